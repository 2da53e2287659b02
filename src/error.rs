//! Typed errors for bad input.
//!
//! A violated lemma is *not* an error: it is a value (a negative slack with the
//! instance that produced it). Errors are reserved for input this crate
//! refuses: non-finite numbers, empty sums, dimension mismatches, `gamma ≤ 0`,
//! malformed files.

use std::path::PathBuf;

/// Everything that can go wrong with input to this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The clipping threshold is not a finite positive number.
    #[error("gamma must be a finite number > 0, got {value:e}{}", zero_hint(*value))]
    InvalidGamma {
        /// The value given.
        value: f64,
    },
    /// A number that must be finite is NaN or infinite.
    #[error("{field} must be finite, got {value}")]
    NonFinite {
        /// Where the number sits, for example `components[2].c[0]`.
        field: String,
        /// The value found.
        value: f64,
    },
    /// Two vectors or a vector and a matrix do not fit together.
    #[error("dimension mismatch in {field}: expected {expected}, got {found}")]
    DimensionMismatch {
        /// Where the mismatch is.
        field: String,
        /// The size required.
        expected: usize,
        /// The size found.
        found: usize,
    },
    /// A sum or average over no terms.
    #[error("{what} is empty: an average over no terms is undefined")]
    Empty {
        /// What was empty.
        what: String,
    },
    /// A field holds a value outside its allowed set or range.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        /// The field, as a JSON path.
        field: String,
        /// What is wrong and what is allowed.
        reason: String,
    },
    /// A file could not be parsed.
    #[error("{path}: {reason}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column where known.
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A statement id that the registry does not know.
    #[error("unknown statement id {id:?}; `cliptheory list` shows the known ids")]
    UnknownStatement {
        /// The id asked for.
        id: String,
    },
    /// No proven `(L0, L1)` rule of `theorems/SMOOTH.md` covers this sum.
    #[error("no certified (L0, L1) rule applies: {reason}")]
    NoCertificate {
        /// Which combination of terms the rules do not cover, and why.
        reason: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Refuses a NaN or infinite `value` at `field` (named lazily).
pub fn ensure_finite<T: crate::real::Real>(field: impl FnOnce() -> String, value: T) -> Result<()> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(Error::NonFinite {
            field: field(),
            value: value.to_f64_lossless(),
        })
    }
}

/// Refuses a threshold that is not finite and positive.
pub fn ensure_gamma(value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidGamma { value })
    }
}

/// Why a threshold may read as 0: JSON numbers below the smallest
/// subnormal (`5e-324`) round to 0 in `f64`.
fn zero_hint(value: f64) -> &'static str {
    if value == 0.0 {
        " (a number below 5e-324 in size reads as 0 in f64)"
    } else {
        ""
    }
}
