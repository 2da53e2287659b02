//! Standard output and files, written so that the exit status tells the
//! truth: a closed pipe (`cliptheory check | head`) ends the output quietly
//! instead of panicking (the command still exits with its verdict), a full
//! disk is a typed error (exit 2), and output files are checked before any
//! work and written atomically (`cliptheory::files`).

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use cliptheory::error::{Error, Result};
use cliptheory::files::{check_output, write_atomically};

/// Set once standard output is closed by its reader.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// Options every command shares.
#[derive(clap::Args, Clone, Copy, Debug)]
pub struct Globals {
    /// Overwrite output files that exist.
    #[arg(long, global = true)]
    pub force: bool,
    /// Largest instance file read, in bytes.
    #[arg(long, global = true, default_value_t = cliptheory::files::DEFAULT_MAX_INPUT_BYTES)]
    pub max_input_bytes: u64,
}

impl Globals {
    /// Checks an output path before any work (see [`check_output`]).
    pub fn check_output(&self, path: &Path) -> Result<()> {
        check_output(path, self.force)
    }

    /// Writes an output file atomically.
    pub fn write(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        write_atomically(path, bytes)
    }
}

/// Prints `text` to standard output; after the reader closed it, prints
/// nothing more (and is not an error).
pub fn print(text: &str) -> Result<()> {
    if CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {
            CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(source) => Err(Error::Io {
            path: "<standard output>".into(),
            source,
        }),
    }
}

/// [`print()`] with a newline.
pub fn println(text: &str) -> Result<()> {
    print(&format!("{text}\n"))
}
