//! Logistic regression on real data: 200 rows of the red wine-quality data
//! (Cortez et al. 2009, UCI, CC BY 4.0; copied from `linfa-datasets` 0.8.1,
//! every 8th row; provenance in `data/README.md`).
//!
//! Features are standardised over the 200 rows and an intercept feature `1`
//! is appended (`dim = 12`); the label is `+1` when quality is at least 6.

use nalgebra::DVector;
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use crate::clipping::Threshold;
use crate::error::{Error, Result};
use crate::instance::{Component, Instance};

pub use crate::data::WINE_CSV;

/// Quality at or above which a wine is labelled `+1`.
pub const GOOD_QUALITY: f64 = 6.0;

/// Standardised feature rows (with intercept) and `±1` labels.
pub fn wine_rows() -> Result<Vec<(DVector<f64>, f64)>> {
    let mut raw: Vec<Vec<f64>> = Vec::new();
    for (line_number, line) in WINE_CSV.lines().enumerate().skip(1) {
        let values = line
            .split(',')
            .map(|v| v.trim().parse::<f64>())
            .collect::<std::result::Result<Vec<f64>, _>>()
            .map_err(|e| Error::InvalidField {
                field: format!("winequality line {}", line_number + 1),
                reason: e.to_string(),
            })?;
        if values.len() != 12 {
            return Err(Error::DimensionMismatch {
                field: format!("winequality line {}", line_number + 1),
                expected: 12,
                found: values.len(),
            });
        }
        raw.push(values);
    }
    let n = raw.len() as f64;
    let mean: Vec<f64> = (0..11)
        .map(|k| raw.iter().map(|r| r[k]).sum::<f64>() / n)
        .collect();
    let sd: Vec<f64> = (0..11)
        .map(|k| {
            let v = raw.iter().map(|r| (r[k] - mean[k]).powi(2)).sum::<f64>() / n;
            if v > 0.0 {
                v.sqrt()
            } else {
                1.0
            }
        })
        .collect();
    Ok(raw
        .iter()
        .map(|r| {
            let a =
                DVector::from_iterator(12, (0..11).map(|k| (r[k] - mean[k]) / sd[k]).chain([1.0]));
            (a, if r[11] >= GOOD_QUALITY { 1.0 } else { -1.0 })
        })
        .collect())
}

/// Logistic regression on a random contiguous block of `20..=200` wine
/// rows (wrapping around), at a random start point `x0 ∈ [−1, 1]^12`.
pub fn wine_logistic_case() -> BoxedStrategy<Instance<f64>> {
    let rows = wine_rows().unwrap_or_default();
    let total = rows.len().max(1);
    (
        20usize..=200,
        0..total,
        prop::collection::vec(-1.0..1.0f64, 12),
    )
        .prop_map(move |(n, start, x0)| {
            let components = (0..n.min(rows.len()).max(1))
                .filter_map(|k| rows.get((start + k) % total))
                .map(|(a, label)| Component::Logistic {
                    a: a.clone(),
                    label: *label,
                })
                .collect();
            Instance::from_parts(crate::instance::InstanceParts {
                gamma: Threshold::new(1.0).expect("1 > 0"),
                x0: DVector::from_column_slice(&x0),
                components,
                note: Some("logistic regression on red wine-quality rows".into()),
            })
            .expect("generated instances are valid")
        })
        .boxed()
}
