//! The trace's pass on a second thread, beside the epoch.
//!
//! A traced epoch needs the pass at its start point `x_k` (`f`, `∇f`, the
//! clipped direction: `crate::incremental::trace`) and the epoch from
//! `x_k`; neither reads what the other writes. A run that has a second core
//! to itself hands each pass to one helper thread, kept for the whole run,
//! and runs the epoch meanwhile. The helper computes exactly what this
//! thread would have (the same function on the same inputs), so a trace is
//! the same bits with or without it.
//!
//! The hand-over spins on an atomic instead of sleeping: waking a sleeping
//! thread was measured at 50–100 µs on the 2-core build machine, as long as
//! a whole epoch at `n = 10³`, `d = 100` (docs/performance.md). A helper
//! left waiting longer than [`HELPER_SPIN`] parks, so a run that stops between
//! epochs (a slow observer) does not keep a core busy.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use nalgebra::DVector;

use super::engine::{Core, Scratch};
use super::trace::{epoch_pass, EpochPass};
use crate::real::Real;

/// How long the helper spins for its next job before it parks: about ten
/// epochs at `n = 10³`, `d = 100`.
const HELPER_SPIN: Duration = Duration::from_millis(1);

/// How long the run's thread spins for a pass before it yields its core at
/// every look: short, because the helper may be waiting for this very core
/// (measured: with 1 ms here, a run's first hand-over took 1.8 ms, the
/// new thread having been queued behind the spinning one).
const RUN_SPIN: Duration = Duration::from_micros(20);

/// The helper's states.
const IDLE: u8 = 0;
const READY: u8 = 1;
const DONE: u8 = 2;
const QUIT: u8 = 3;
/// The helper returned or unwound: the run computes its passes itself.
const STOPPED: u8 = 4;

/// What the run's thread hands over, and the pass handed back.
struct Job<T: Real> {
    start: DVector<T>,
    order: Vec<usize>,
    order_changed: bool,
    batch: usize,
    pass: Option<EpochPass<T>>,
}

/// On cache lines of its own: the helper spins on `state` when it finishes
/// first, and a line shared with what the run's thread writes during the
/// epoch would move between the cores at every write.
#[repr(align(128))]
struct Shared<T: Real> {
    state: AtomicU8,
    job: Mutex<Job<T>>,
}

fn lock<T: Real>(shared: &Shared<T>) -> MutexGuard<'_, Job<T>> {
    // A panic while holding the lock leaves whole values behind (each field
    // is assigned at once), so a poisoned lock is still usable.
    shared.job.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Where a traced run's passes are computed: on this thread, or on a
/// helper while this thread runs the epoch.
pub(super) struct PassSource<'s, T: Real> {
    scratch: Scratch<T>,
    helper: Option<(&'s Shared<T>, Thread)>,
    /// Passes the helper handed back (tests: a helper that silently left
    /// every pass to this thread would give the same traces).
    #[cfg(test)]
    passes_from_helper: usize,
}

/// The trace's pass: [`epoch_pass`] (tests put a failing one on the
/// helper).
pub(super) type PassFn<T> =
    for<'c> fn(&Core<'c, T>, &mut Scratch<T>, &DVector<T>, &[usize], usize) -> EpochPass<T>;

/// Runs `body` with a source of passes over `core`: a helper thread when
/// `helper` is set (and the system gives one), else this thread.
pub(super) fn with_pass_source<T: Real, R>(
    core: &Core<'_, T>,
    dim: usize,
    helper: bool,
    body: impl FnOnce(&mut PassSource<'_, T>) -> R,
) -> R {
    with_pass_source_using(core, dim, helper, epoch_pass, body)
}

/// [`with_pass_source`] with the helper computing its passes by `helper_pass`.
pub(super) fn with_pass_source_using<T: Real, R>(
    core: &Core<'_, T>,
    dim: usize,
    helper: bool,
    helper_pass: PassFn<T>,
    body: impl FnOnce(&mut PassSource<'_, T>) -> R,
) -> R {
    let mut source = PassSource {
        scratch: Scratch::new(dim),
        helper: None,
        #[cfg(test)]
        passes_from_helper: 0,
    };
    if !helper {
        return body(&mut source);
    }
    let shared = Shared {
        state: AtomicU8::new(IDLE),
        job: Mutex::new(Job {
            start: DVector::zeros(dim),
            order: Vec::new(),
            order_changed: false,
            batch: 1,
            pass: None,
        }),
    };
    thread::scope(|scope| {
        let spawned = thread::Builder::new()
            .name("cliptheory-trace-pass".into())
            .spawn_scoped(scope, || serve(core, &shared, dim, helper_pass));
        let Ok(handle) = spawned else {
            // No thread to be had: the passes run here.
            return body(&mut source);
        };
        #[cfg(test)]
        HELPERS_STARTED.with(|started| started.set(started.get() + 1));
        // Dropped when `body` returns or unwinds: the helper must stop for
        // the scope to end.
        let _quit = Quit(&shared, handle.thread().clone());
        source.helper = Some((&shared, handle.thread().clone()));
        body(&mut source)
    })
}

#[cfg(test)]
thread_local! {
    /// Helper threads started from this thread (tests: which runs get one).
    pub(super) static HELPERS_STARTED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

struct Quit<'s, T: Real>(&'s Shared<T>, Thread);

impl<T: Real> Drop for Quit<'_, T> {
    fn drop(&mut self) {
        self.0.state.store(QUIT, Ordering::Release);
        self.1.unpark();
    }
}

/// Marks the helper stopped however it ends, so that the run's thread
/// never waits for a pass that will not come.
struct Stopped<'s, T: Real>(&'s Shared<T>);

impl<T: Real> Drop for Stopped<'_, T> {
    fn drop(&mut self) {
        self.0.state.store(STOPPED, Ordering::Release);
    }
}

/// The helper: waits for a job, computes its pass, hands it back.
fn serve<T: Real>(core: &Core<'_, T>, shared: &Shared<T>, dim: usize, pass: PassFn<T>) {
    let _stopped = Stopped(shared);
    let mut scratch = Scratch::new(dim);
    // Its own copies, allocated on this thread: the run's thread keeps
    // writing its iterate during the epoch, and a cache line shared with
    // what the pass reads would move between the cores at every read
    // (measured: it cost the helper most of its gain).
    let mut start = DVector::zeros(dim);
    let mut order = Vec::new();
    loop {
        if wait(shared, |s| s == READY || s == QUIT, Patience::Park) == QUIT {
            return;
        }
        let batch = {
            let job = lock(shared);
            start.copy_from(&job.start);
            if job.order_changed {
                order.clone_from(&job.order);
            }
            job.batch
        };
        let pass = pass(core, &mut scratch, &start, &order, batch);
        lock(shared).pass = Some(pass);
        // Told to quit meanwhile (the run's thread unwound): stop.
        if shared
            .state
            .compare_exchange(READY, DONE, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return;
        }
    }
}

/// How a thread waits once it has spun for a while.
#[derive(Clone, Copy, PartialEq)]
enum Patience {
    /// Sleep until unparked, after [`HELPER_SPIN`] (the helper between
    /// jobs).
    Park,
    /// Give the core away and look again, after [`RUN_SPIN`] (the run's
    /// thread, whose helper may be waiting for that core).
    Yield,
}

impl Patience {
    fn spin(self) -> Duration {
        match self {
            Patience::Park => HELPER_SPIN,
            Patience::Yield => RUN_SPIN,
        }
    }
}

/// Waits until the helper's state satisfies `wanted`, and returns it.
fn wait<T: Real>(shared: &Shared<T>, wanted: impl Fn(u8) -> bool, patience: Patience) -> u8 {
    let began = Instant::now();
    let mut spins = 0_u32;
    loop {
        let state = shared.state.load(Ordering::Acquire);
        if wanted(state) {
            return state;
        }
        spins = spins.wrapping_add(1);
        // The clock is read every 64 spins: a spin is tens of nanoseconds.
        if !spins.is_multiple_of(64) || began.elapsed() < patience.spin() {
            std::hint::spin_loop();
        } else if patience == Patience::Park {
            thread::park_timeout(HELPER_SPIN);
        } else {
            thread::yield_now();
        }
    }
}

impl<T: Real> PassSource<'_, T> {
    /// `(pass, epoch())` with `pass` the trace's pass at `start` over
    /// `order` in batches of `batch` (`order_changed`: `order` differs from
    /// the previous call's). With a helper, the pass runs there while this
    /// thread runs `epoch`; without, the pass runs first.
    pub(super) fn pass_and_epoch<S>(
        &mut self,
        core: &Core<'_, T>,
        (start, order, order_changed, batch): (&DVector<T>, &[usize], bool, usize),
        epoch: impl FnOnce() -> S,
    ) -> (EpochPass<T>, S) {
        // The pass on this thread: without a helper, or when it stopped.
        let here = |scratch: &mut Scratch<T>| epoch_pass(core, scratch, start, order, batch);
        let Some((shared, helper)) = &self.helper else {
            return (here(&mut self.scratch), epoch());
        };
        {
            let mut job = lock(shared);
            job.start.copy_from(start);
            if order_changed {
                job.order.clear();
                job.order.extend_from_slice(order);
            }
            job.order_changed = order_changed;
            job.batch = batch;
        }
        // Only an idle helper takes the job; one that stopped (it
        // panicked) has left the passes to this thread.
        let handed = shared
            .state
            .compare_exchange(IDLE, READY, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if !handed {
            return (here(&mut self.scratch), epoch());
        }
        helper.unpark();
        let after = epoch();
        let mut pass = None;
        if wait(shared, |s| s == DONE || s == STOPPED, Patience::Yield) == DONE {
            pass = lock(shared).pass.take();
            #[cfg(test)]
            {
                self.passes_from_helper += usize::from(pass.is_some());
            }
            // DONE → IDLE; fails only if the helper stopped since.
            let _ = shared
                .state
                .compare_exchange(DONE, IDLE, Ordering::AcqRel, Ordering::Acquire);
        }
        // A helper that stopped mid-pass (it panicked): this thread
        // computes the pass (and meets the same panic, with its message).
        let pass = pass.unwrap_or_else(|| here(&mut self.scratch));
        (pass, after)
    }

    /// The pass alone, on this thread (the full-clipped variant, whose
    /// step needs the pass first).
    pub(super) fn pass_here(
        &mut self,
        core: &Core<'_, T>,
        start: &DVector<T>,
        order: &[usize],
        batch: usize,
    ) -> EpochPass<T> {
        epoch_pass(core, &mut self.scratch, start, order, batch)
    }

    /// Whether a helper thread computes the passes (tests).
    #[cfg(test)]
    pub(super) fn has_helper(&self) -> bool {
        self.helper.is_some()
    }

    /// How many passes the helper has handed back (tests).
    #[cfg(test)]
    pub(super) fn passes_from_helper(&self) -> usize {
        self.passes_from_helper
    }
}
