//! How long computations report progress without the library drawing
//! anything: the caller passes a [`Progress`] (the command line draws a bar;
//! [`Silent`] ignores it). Observers of the incremental engine get whole
//! epoch records instead (`incremental::run_observed`).

/// Receives progress from a long computation. Every method has a no-op
/// default; implementations must be `Sync` (the explorer reports from
/// several threads).
pub trait Progress: Sync {
    /// A phase named `label` with `total` units of work begins.
    fn start(&self, label: &str, total: u64) {
        let _ = (label, total);
    }
    /// `units` more units are done.
    fn advance(&self, units: u64) {
        let _ = units;
    }
    /// The computation ended (successfully or not).
    fn finish(&self) {}
}

/// Reports nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl Progress for Silent {}
