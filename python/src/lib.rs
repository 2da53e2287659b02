//! Python bindings of `cliptheory` (PyO3): the extension module
//! `cliptheory._cliptheory`, re-exported by the `cliptheory` package.
//!
//! Every function validates its input before any work and raises
//! `ValueError` with the library's typed error message (`cliptheory::Error`)
//! on bad input; results are built by the same library calls the command
//! line makes, serialised with `serde_json` exactly as its `--json` output
//! (NaN becomes `None`, as in JSON), then converted to Python objects.

use std::path::{Path, PathBuf};

use cliptheory::batch::analyzer::{
    analyze, AnglesOptions, RowsInMemory, DEFAULT_ANGLES_SEED, DEFAULT_PASSES, DEFAULT_SAMPLES,
};
use cliptheory::clipping::Threshold;
use cliptheory::direction::{cdc_rho, GradientSet};
use cliptheory::error::Error;
use cliptheory::instance::Instance;
use cliptheory::report::{DEFAULT_CASES, DEFAULT_SEED};
use cliptheory::smooth::{certify_each_component, certify_instance, ESTIMATOR_SAMPLES};
use cliptheory::statements::Registry;
use nalgebra::DVector;
use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyArrayDescrMethods, PyArrayMethods, PyUntypedArray,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyRuntimeWarning, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt, PyString};

/// The most random cases `check` draws per statement and float type (as
/// the command line's `--cases`).
const MAX_CASES: u64 = 1_000_000;

/// The most estimator points `certify` samples (as the command line's
/// `--samples`).
const MAX_CERTIFY_SAMPLES: u64 = 10_000_000;

/// A library error as the `ValueError` Python sees.
fn value_error(error: Error) -> PyErr {
    PyValueError::new_err(error.to_string())
}

/// `Error::InvalidField` for an argument of these bindings.
fn invalid(field: &str, reason: impl Into<String>) -> PyErr {
    value_error(Error::InvalidField {
        field: field.into(),
        reason: reason.into(),
    })
}

/// A JSON value (as `--json` prints it) as a Python object.
fn to_python<'py, T: serde::Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    // Through `serde_json::Value` so that NaN becomes `None` exactly as in
    // the command line's JSON.
    let value = serde_json::to_value(value)
        .map_err(|e| invalid("result", format!("cannot be serialised: {e}")))?;
    pythonize::pythonize(py, &value).map_err(PyErr::from)
}

/// The Python type name of `obj`, for messages.
fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "?".into(), |n| n.to_string())
}

/// A non-negative integer as `u64`: a Python `int` or anything with
/// `__index__` (NumPy integers), but not a `bool`.
fn count(field: &str, obj: &Bound<'_, PyAny>) -> PyResult<u64> {
    let is_bool = obj.is_instance_of::<PyBool>()
        || obj
            .get_type()
            .name()
            .is_ok_and(|n| n.to_string().starts_with("bool"));
    let index = if is_bool {
        None
    } else if obj.is_instance_of::<PyInt>() {
        Some(obj.clone())
    } else {
        obj.call_method0("__index__")
            .ok()
            .filter(|i| i.is_instance_of::<PyInt>())
    };
    let Some(index) = index else {
        return Err(invalid(
            field,
            format!("must be an int, got {}", type_name(obj)),
        ));
    };
    index.extract::<u64>().map_err(|_| {
        invalid(
            field,
            format!("must be a non-negative int below 2^64, got {index}"),
        )
    })
}

/// `count` as `usize`.
fn count_usize(field: &str, obj: &Bound<'_, PyAny>) -> PyResult<usize> {
    let value = count(field, obj)?;
    usize::try_from(value).map_err(|_| invalid(field, format!("{value} is too large")))
}

/// A finite positive threshold from a Python number.
fn threshold(obj: &Bound<'_, PyAny>) -> PyResult<Threshold<f64>> {
    let value = number("gamma", obj)?;
    Threshold::new(value).map_err(value_error)
}

/// A float from a Python number (not a bool).
fn number(field: &str, obj: &Bound<'_, PyAny>) -> PyResult<f64> {
    if obj.is_instance_of::<PyBool>() {
        return Err(invalid(field, "must be a number, got bool"));
    }
    obj.extract()
        .map_err(|_| invalid(field, format!("must be a number, got {}", type_name(obj))))
}

/// A validated `(n, d)` matrix, row-major, widened to `f64`.
struct Matrix {
    rows: usize,
    cols: usize,
    values: Vec<f64>,
}

impl Matrix {
    fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.cols..(i + 1) * self.cols]
    }
}

/// Reads a 2-D `float32` or `float64` NumPy array of any memory layout (C
/// or Fortran order, strided views, either byte order) into a row-major
/// `f64` copy. Refuses other objects, other dtypes, other shapes, empty
/// arrays and NaN or infinite entries (naming the row and column).
fn matrix(field: &str, obj: &Bound<'_, PyAny>) -> PyResult<Matrix> {
    let Ok(array) = obj.cast::<PyUntypedArray>() else {
        return Err(invalid(
            field,
            format!(
                "expected a numpy.ndarray of shape (n, d), got {} (convert with numpy.asarray)",
                type_name(obj)
            ),
        ));
    };
    let dtype = array.dtype();
    let (kind, size) = (dtype.kind(), dtype.itemsize());
    if kind != b'f' || !(size == 4 || size == 8) {
        return Err(invalid(
            field,
            format!(
                "expected dtype float32 or float64, got {} (convert with .astype(numpy.float64))",
                dtype.str().map_or_else(|_| "?".into(), |s| s.to_string())
            ),
        ));
    }
    if array.ndim() != 2 {
        return Err(invalid(
            field,
            format!(
                "expected a 2-D array of shape (n, d), got shape {:?}",
                array.shape()
            ),
        ));
    }
    let (rows, cols) = (array.shape()[0], array.shape()[1]);
    if rows == 0 || cols == 0 {
        return Err(value_error(Error::Empty {
            what: format!("{field} ({rows} × {cols})"),
        }));
    }
    // `iter()` walks the logical (row-major) order whatever the strides.
    let values: Vec<f64> = if let Ok(a) = obj.cast::<PyArray2<f64>>() {
        a.readonly().as_array().iter().copied().collect()
    } else if let Ok(a) = obj.cast::<PyArray2<f32>>() {
        a.readonly()
            .as_array()
            .iter()
            .map(|&x| f64::from(x))
            .collect()
    } else {
        // Non-native byte order: let NumPy swap it into a native copy.
        let native = obj.call_method1("astype", ("float64",))?;
        let a = native.cast::<PyArray2<f64>>()?;
        a.readonly().as_array().iter().copied().collect()
    };
    if let Some(k) = values.iter().position(|x| !x.is_finite()) {
        return Err(value_error(Error::NonFinite {
            field: format!("{field}[{}, {}]", k / cols, k % cols),
            value: values[k],
        }));
    }
    Ok(Matrix { rows, cols, values })
}

/// The rows of `grads` as a validated [`GradientSet`] with threshold `gamma`.
fn gradient_set(grads: &Bound<'_, PyAny>, gamma: &Bound<'_, PyAny>) -> PyResult<GradientSet<f64>> {
    let gamma = threshold(gamma)?;
    let m = matrix("grads", grads)?;
    let vectors = (0..m.rows)
        .map(|i| DVector::from_column_slice(m.row(i)))
        .collect();
    GradientSet::new(vectors, gamma).map_err(value_error)
}

/// Angles between minibatch gradients and the full gradient, per batch size.
///
/// ``grads`` is the per-example gradient matrix, shape ``(n, d)``, float32
/// or float64 (any memory layout; copied and widened to float64). Returns
/// the same dict as ``cliptheory angles --json`` on the same data: ``n``,
/// ``d``, ``grad_norm``, ``sigma2``, ``monotone``, ``falls``, ``summary``,
/// ``seed``, ``samples`` and ``rows`` (one dict per batch size ``b`` with
/// ``exact``, ``batches``, ``replicates``, ``mean_cos``, ``stderr_cos``
/// (``None`` when not estimable), ``q10_cos``, ``q50_cos``,
/// ``q90_cos``, ``frac_obtuse``, ``mean_sin2``, ``bound_sin2``).
///
/// ``batch_sizes`` defaults to every ``b`` for ``n ≤ 16``, else ``1, 2, 4, …``
/// below ``n − 1``, then ``n − 1`` and ``n``. ``samples`` batches are drawn per batch size
/// (sizes with at most that many batches are enumerated), from at most
/// ``passes`` seeded random permutations.
///
/// ``clip=γ`` (a finite number > 0) adds, per row, ``mean_cos_clipped`` and
/// ``stderr_cos_clipped``: over the same batches, the cosine between the
/// clipped batch mean ``(1/b) Σ_{i∈B} clip_γ(g_i)``, ``clip_γ(v) = min(1,
/// γ/‖v‖) v``, and the unclipped full gradient ``g``; the report gains
/// ``clip``.
///
/// Raises ValueError on bad input (not a 2-D float array, NaN or infinite
/// entries, a zero full gradient, batch sizes outside ``1..=n``, ``samples``
/// or ``passes`` below 1, over the analyzer's budgets).
#[pyfunction]
#[pyo3(
    signature = (grads, batch_sizes=None, samples=None, passes=None, seed=None, clip=None),
    text_signature = "(grads, batch_sizes=None, samples=1000, passes=10, seed=20210318, clip=None)"
)]
fn angles<'py>(
    py: Python<'py>,
    grads: &Bound<'py, PyAny>,
    batch_sizes: Option<&Bound<'py, PyAny>>,
    samples: Option<&Bound<'py, PyAny>>,
    passes: Option<&Bound<'py, PyAny>>,
    seed: Option<&Bound<'py, PyAny>>,
    clip: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let clip = clip
        .filter(|c| !c.is_none())
        .map(|c| number("clip", c))
        .transpose()?;
    let batch_sizes = match batch_sizes.filter(|b| !b.is_none()) {
        None => Vec::new(),
        Some(sizes) => {
            if sizes.is_instance_of::<PyString>() {
                return Err(invalid(
                    "batch_sizes",
                    "must be a sequence of ints, got str",
                ));
            }
            let items = sizes.try_iter().map_err(|_| {
                invalid(
                    "batch_sizes",
                    format!("must be a sequence of ints, got {}", type_name(sizes)),
                )
            })?;
            let mut out = Vec::new();
            for item in items {
                out.push(count_usize("batch_sizes", &item?)?);
            }
            if out.is_empty() {
                return Err(invalid(
                    "batch_sizes",
                    "is empty: pass None for the default sizes",
                ));
            }
            out
        }
    };
    let options = AnglesOptions {
        batch_sizes,
        samples: samples
            .filter(|s| !s.is_none())
            .map_or(Ok(DEFAULT_SAMPLES), |s| count_usize("samples", s))?,
        passes: passes
            .filter(|s| !s.is_none())
            .map_or(Ok(DEFAULT_PASSES), |s| count_usize("passes", s))?,
        seed: seed
            .filter(|s| !s.is_none())
            .map_or(Ok(DEFAULT_ANGLES_SEED), |s| count("seed", s))?,
        clip,
    };
    let m = matrix("grads", grads)?;
    let report = py.detach(|| {
        let source = RowsInMemory::new(m.rows, m.cols, &m.values)?;
        analyze(&source, &options)
    });
    to_python(py, &report.map_err(value_error)?)
}

/// The clipped direction ``d = (1/n) Σ_i clip_γ(g_i)`` of the rows ``g_i`` of
/// ``grads`` (shape ``(n, d)``, float32 or float64), where
/// ``clip_γ(v) = min(1, γ/‖v‖) v``. Returns a float64 array of shape ``(d,)``.
///
/// Raises ValueError on bad input (not a 2-D float array, NaN or infinite
/// entries, ``gamma`` not a finite number > 0).
#[pyfunction]
fn clipped_direction<'py>(
    py: Python<'py>,
    grads: &Bound<'py, PyAny>,
    gamma: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let set = gradient_set(grads, gamma)?;
    let d = py.detach(|| set.clipped_direction());
    Ok(d.as_slice().to_vec().into_pyarray(py))
}

/// The bias of the clipped direction and the descent quantities at one
/// point, for the rows ``g_i`` of ``grads`` (shape ``(n, d)``) and threshold
/// ``gamma``, with ``g = (1/n) Σ g_i`` and ``d = (1/n) Σ clip_γ(g_i)``:
///
/// - ``beta``: ``β = (1/n) Σ_i (‖g_i‖ − γ)_+`` (BIAS-2 bounds ``‖d − g‖ ≤ β``);
/// - ``beta_plus``: ``β₊ = (1/n) Σ_{i∈C} (‖g_i‖ − γ)(cos θ_i)_+`` (DESC-3),
///   ``None`` when ``g = 0``;
/// - ``bias_norm``: ``‖d − g‖``, with ``d − g`` by BIAS-1;
/// - ``d_dot_g``: ``⟨d, g⟩`` (``d`` descends iff ``> 0``);
/// - ``rho``: the largest ``ρ`` with CDC(ρ),
///   ``⟨d, g⟩ / (min(‖g‖, γ) ‖g‖)`` (DESC-6), ``0`` when ``g = 0``;
/// - ``grad_norm`` ``‖g‖``, ``clipped_direction_norm`` ``‖d‖``,
///   ``max_norm`` ``max_i ‖g_i‖``, ``clipped`` (how many rows have
///   ``‖g_i‖ > γ``), ``n``, ``dim``, ``gamma``.
///
/// Raises ValueError on bad input (as :func:`clipped_direction`).
#[pyfunction]
fn bias<'py>(
    py: Python<'py>,
    grads: &Bound<'py, PyAny>,
    gamma: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let set = gradient_set(grads, gamma)?;
    let value = py.detach(|| {
        let d = set.clipped_direction();
        let d_dot_g = d.dot(set.mean());
        let grad_norm = set.mean_norm();
        serde_json::json!({
            "beta": set.beta(),
            "beta_plus": set.beta_plus(),
            "bias_norm": set.bias().norm(),
            "d_dot_g": d_dot_g,
            "rho": cdc_rho(d_dot_g, grad_norm, set.threshold()),
            "grad_norm": grad_norm,
            "clipped_direction_norm": d.norm(),
            "max_norm": set.max_norm(),
            "clipped": set.norms().iter().filter(|&&s| s > set.gamma()).count(),
            "n": set.len(),
            "dim": set.dim(),
            "gamma": set.gamma(),
        })
    });
    to_python(py, &value)
}

/// The theory check report: every registered statement on seeded random
/// cases, as ``cliptheory check --json`` prints it (``seed``,
/// ``cases_per_statement``, ``rows`` with one dict per statement, and
/// ``certification`` when ``only`` is ``None``), less the per-row ``smt``
/// verdicts of the SMT prover: the command line enables the library's
/// ``smt`` feature (it links libz3), these bindings do not.
///
/// ``only`` is a statement id (``"BIAS-2"``) or a list of ids; ``cases``
/// (1 to 10⁶) random cases are drawn per statement and float type.
/// The full report (``only=None``) takes as long as the command line's.
///
/// Raises ValueError for an unknown id or ``cases`` out of range.
#[pyfunction]
#[pyo3(
    signature = (only=None, cases=None, seed=None),
    text_signature = "(only=None, cases=2000, seed=20210318)"
)]
fn check<'py>(
    py: Python<'py>,
    only: Option<&Bound<'py, PyAny>>,
    cases: Option<&Bound<'py, PyAny>>,
    seed: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let only: Vec<String> = match only.filter(|o| !o.is_none()) {
        None => Vec::new(),
        Some(o) if o.is_instance_of::<PyString>() => vec![o.extract()?],
        Some(o) => {
            let items = o.try_iter().map_err(|_| {
                invalid(
                    "only",
                    format!(
                        "must be a statement id or a list of ids, got {}",
                        type_name(o)
                    ),
                )
            })?;
            let mut ids = Vec::new();
            for item in items {
                let item = item?;
                ids.push(item.extract::<String>().map_err(|_| {
                    invalid("only", format!("ids must be str, got {}", type_name(&item)))
                })?);
            }
            if ids.is_empty() {
                return Err(invalid("only", "is empty: pass None for every statement"));
            }
            ids
        }
    };
    let cases = cases
        .filter(|c| !c.is_none())
        .map_or(Ok(DEFAULT_CASES as u64), |c| count("cases", c))?;
    if !(1..=MAX_CASES).contains(&cases) {
        return Err(invalid(
            "cases",
            format!("must be between 1 and {MAX_CASES}, got {cases}"),
        ));
    }
    let seed = seed
        .filter(|s| !s.is_none())
        .map_or(Ok(DEFAULT_SEED), |s| count("seed", s))?;
    let registry = Registry::builtin();
    // Unknown ids are refused before any work.
    for id in &only {
        registry.find(id).map_err(value_error)?;
    }
    let report = py.detach(|| cliptheory::report::check(&registry, cases as usize, seed, &only));
    to_python(py, &report.map_err(value_error)?)
}

/// Certified ``(L0, L1)`` of every component and of ``f``, with the sampled
/// lower bound on ``L0``, as ``cliptheory certify --json`` prints it
/// (``components``, ``f``, ``f_rule``, ``sampled_lower_bound_L0``,
/// ``lower_bound_at``, ``looseness``).
///
/// ``instance`` is a dict in the instance JSON v1 format
/// (``{"format": "cliptheory.instance.v1", "dim": …, "gamma": …, "x0": […],
/// "components": […]}``) or the path of an instance file (str or
/// ``os.PathLike``). ``samples`` (1 to 10⁷) random points feed the lower
/// bound.
///
/// When no proven rule covers the average ``f``, returns, as the command
/// line does, ``{"components": [...], "f": None, "error": "..."}`` with each
/// component's own certificate (or its error). When the sampled lower bound
/// exceeds the certified ``L0`` (an unsound certificate; the command line
/// exits 2) a RuntimeWarning is issued.
///
/// Raises ValueError on a malformed instance (naming the field) or an
/// unreadable file.
#[pyfunction]
#[pyo3(
    signature = (instance, samples=None),
    text_signature = "(instance, samples=400)"
)]
fn certify<'py>(
    py: Python<'py>,
    instance: &Bound<'py, PyAny>,
    samples: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let samples = samples
        .filter(|s| !s.is_none())
        .map_or(Ok(ESTIMATOR_SAMPLES as u64), |s| count("samples", s))?;
    if !(1..=MAX_CERTIFY_SAMPLES).contains(&samples) {
        return Err(invalid(
            "samples",
            format!("must be between 1 and {MAX_CERTIFY_SAMPLES}, got {samples}"),
        ));
    }
    let instance = load_instance(instance)?;
    let result = py.detach(|| certify_instance(&instance, samples as usize));
    match result {
        Ok(certified) => {
            if certified.lower_bound_exceeds_certificate() {
                PyErr::warn(
                    py,
                    &py.get_type::<PyRuntimeWarning>(),
                    &std::ffi::CString::new(format!(
                        "the sampled lower bound L0 >= {:e} exceeds the certified L0 = {:e} of f: \
                         the certificate is unsound here",
                        certified.sampled_lower_bound_L0, certified.f.l0
                    ))
                    .unwrap_or_default(),
                    1,
                )?;
            }
            to_python(py, &certified)
        }
        Err(error @ Error::NoCertificate { .. }) => {
            let rows: Vec<serde_json::Value> = certify_each_component(&instance)
                .iter()
                .map(|(index, c)| match c {
                    Ok(c) => serde_json::json!({
                        "index": index, "L0": c.pair.l0, "L1": c.pair.l1, "rule": c.rule
                    }),
                    Err(e) => serde_json::json!({"index": index, "error": e.to_string()}),
                })
                .collect();
            let value =
                serde_json::json!({"components": rows, "f": null, "error": error.to_string()});
            to_python(py, &value)
        }
        Err(error) => Err(value_error(error)),
    }
}

/// An instance from a dict (instance JSON v1) or a path.
fn load_instance(obj: &Bound<'_, PyAny>) -> PyResult<Instance<f64>> {
    if obj.is_instance_of::<pyo3::types::PyDict>() {
        let value: serde_json::Value = pythonize::depythonize(obj)
            .map_err(|e| invalid("instance", format!("not JSON data: {e}")))?;
        let text = value.to_string();
        return Instance::from_json_str(&text, Path::new("<dict>")).map_err(value_error);
    }
    let path: PathBuf = obj.extract().map_err(|_| {
        invalid(
            "instance",
            format!(
                "expected a dict in the instance JSON v1 format or a path, got {}",
                type_name(obj)
            ),
        )
    })?;
    Instance::load(&path).map_err(value_error)
}

/// Machine checks for gradient clipping in incremental gradient methods:
/// the compiled part of the ``cliptheory`` package.
#[pymodule]
fn _cliptheory(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(angles, m)?)?;
    m.add_function(wrap_pyfunction!(clipped_direction, m)?)?;
    m.add_function(wrap_pyfunction!(bias, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(certify, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DEFAULT_SAMPLES", DEFAULT_SAMPLES)?;
    m.add("DEFAULT_PASSES", DEFAULT_PASSES)?;
    m.add("DEFAULT_ANGLES_SEED", DEFAULT_ANGLES_SEED)?;
    m.add("DEFAULT_CASES", DEFAULT_CASES)?;
    m.add("DEFAULT_SEED", DEFAULT_SEED)?;
    m.add("ESTIMATOR_SAMPLES", ESTIMATOR_SAMPLES)?;
    Ok(())
}
