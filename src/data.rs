//! Real data sets shipped with the crate (small, licensed, provenance in
//! `data/README.md`), embedded at compile time so that nothing is read from
//! disk at run time.

/// 200 rows of the red wine-quality data (Cortez et al. 2009, UCI, CC BY
/// 4.0; every 8th row): a header and 11 features plus `quality` per line.
pub const WINE_CSV: &str = include_str!("../data/winequality_red_every8th.csv");

/// The Breast Cancer Wisconsin (Diagnostic) data set (UCI, CC BY 4.0; the
/// copy shipped with scikit-learn): a first line `n, p, class names`, then
/// 30 features and the diagnosis per line.
pub const BREAST_CANCER_CSV: &str = include_str!("../data/breast_cancer_wisconsin.csv");

/// The UCI optical recognition of handwritten digits set (Alpaydin and
/// Kaynak 1998, CC BY 4.0; the copy shipped with scikit-learn): 1797 lines
/// of 64 pixel counts `0..16` (an 8 × 8 image) and the digit `0..9`.
pub const DIGITS_CSV: &str = include_str!("../data/digits.csv");
