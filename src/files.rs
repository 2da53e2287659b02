//! Reading and writing files safely: reads bounded in size (an instance
//! file is JSON, not a stream of zeros), writes atomic (a temporary file in
//! the target's folder, flushed to disk, then renamed over the target), so
//! a full disk or a crash never leaves a truncated output behind, and
//! outputs checked before any work is done.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Largest instance file read by default (64 MiB); raise it with
/// [`read_to_string_limited`]'s `max_bytes` (the command line's
/// `--max-input-bytes`).
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 64 << 20;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The whole file as UTF-8 text, refusing a file (or stream) longer than
/// `max_bytes` before reading past the limit.
pub fn read_to_string_limited(path: &Path, max_bytes: u64) -> Result<String> {
    let file = std::fs::File::open(path).map_err(io(path))?;
    let mut bytes = Vec::new();
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io(path))?;
    if bytes.len() as u64 > max_bytes {
        return Err(Error::InvalidField {
            field: path.display().to_string(),
            reason: format!(
                "the file is larger than {max_bytes} bytes (raise the limit with --max-input-bytes)"
            ),
        });
    }
    String::from_utf8(bytes).map_err(|e| Error::Parse {
        path: path.to_path_buf(),
        reason: format!("not UTF-8 text: {e}"),
    })
}

/// Checks that `path` can be written before any work is done: its folder
/// exists, it is not a folder itself, and it does not exist unless
/// `overwrite` is set.
pub fn check_output(path: &Path, overwrite: bool) -> Result<()> {
    let refuse = |reason: String| Error::InvalidField {
        field: path.display().to_string(),
        reason,
    };
    if path.is_dir() {
        return Err(refuse("is a folder, not a file".into()));
    }
    if path.exists() && !overwrite {
        return Err(refuse(
            "exists already (pass --force to overwrite it)".into(),
        ));
    }
    let folder = folder_of(path);
    if !folder.is_dir() {
        return Err(refuse(format!(
            "its folder {} does not exist",
            folder.display()
        )));
    }
    Ok(())
}

fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Writes `bytes` to `path` atomically: into a temporary file beside it,
/// flushed to disk, then renamed over `path`. On any error the temporary
/// file is removed and `path` is untouched.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let folder = folder_of(path);
    let name = path
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    let temporary = folder.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if let Err(source) = written {
        std::fs::remove_file(&temporary).ok();
        return Err(Error::Io {
            path: path.to_path_buf(),
            source,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_atomic_writes() {
        let dir = std::env::temp_dir().join(format!("cliptheory-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.txt");
        write_atomically(&path, b"hello").unwrap();
        assert_eq!(read_to_string_limited(&path, 5).unwrap(), "hello");
        assert!(read_to_string_limited(&path, 4).is_err());
        assert!(check_output(&path, false).is_err());
        assert!(check_output(&path, true).is_ok());
        assert!(check_output(&dir, true).is_err());
        assert!(check_output(&dir.join("missing/b.txt"), true).is_err());
        let leftovers = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
        std::fs::remove_dir_all(&dir).ok();
    }
}
