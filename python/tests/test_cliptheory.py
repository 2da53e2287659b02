"""Tests of the cliptheory Python package.

- numbers agree with NumPy to 1e-12;
- ``angles``, ``check`` and ``certify`` give exactly what the command line's
  ``--json`` prints on the same data (the built binary
  ``target/release/cliptheory``, or ``$CLIPTHEORY_BIN``; skipped with the
  reason when it is not built);
- bad input raises ValueError (never a panic).
"""

import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

import cliptheory

REPO = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
CLI = pathlib.Path(os.environ.get("CLIPTHEORY_BIN", REPO / "target" / "release" / "cliptheory"))

if os.environ.get("CLIPTHEORY_REQUIRE_CLI") and not CLI.is_file():
    # CI sets this: there the comparisons with the command line must run.
    raise RuntimeError(f"CLIPTHEORY_REQUIRE_CLI is set but {CLI} is not built")

needs_cli = pytest.mark.skipif(
    not CLI.is_file(),
    reason=f"the command line is not built at {CLI} (run `cargo build --release` at the "
    "repository root, or set CLIPTHEORY_BIN): no comparison with its --json output",
)
needs_fixtures = pytest.mark.skipif(
    not FIXTURES.is_dir(), reason=f"the repository's fixtures are not at {FIXTURES}"
)


def cli_json(*args, expect_codes=(0,)):
    """Runs the command line and parses its JSON standard output."""
    done = subprocess.run(
        [str(CLI), *map(str, args)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode in expect_codes, done.stderr
    return json.loads(done.stdout)


def random_grads(seed, n, d, scale=1.0, shift=0.3):
    rng = np.random.default_rng(seed)
    return scale * (rng.normal(size=(n, d)) + shift)


# ---------------------------------------------------------------- numpy references


def np_clip(g, gamma):
    norms = np.linalg.norm(g, axis=1)
    factor = np.minimum(1.0, gamma / np.where(norms > 0, norms, 1.0))
    return g * factor[:, None]


def np_quantities(g, gamma):
    g = np.asarray(g, dtype=np.float64)
    n = g.shape[0]
    norms = np.linalg.norm(g, axis=1)
    mean = g.mean(axis=0)
    d = np_clip(g, gamma).mean(axis=0)
    grad_norm = np.linalg.norm(mean)
    excess = np.maximum(norms - gamma, 0.0)
    if grad_norm > 0:
        cos = np.where(norms > 0, g @ mean / (np.where(norms > 0, norms, 1.0) * grad_norm), 0.0)
        beta_plus = float(np.sum(excess * np.maximum(cos, 0.0)) / n)
    else:
        beta_plus = None
    d_dot_g = float(d @ mean)
    denominator = min(grad_norm, gamma) * grad_norm
    return {
        "d": d,
        "beta": float(excess.sum() / n),
        "beta_plus": beta_plus,
        "bias_norm": float(np.linalg.norm(d - mean)),
        "d_dot_g": d_dot_g,
        "rho": d_dot_g / denominator if denominator > 0 else 0.0,
        "grad_norm": float(grad_norm),
        "clipped_direction_norm": float(np.linalg.norm(d)),
        "max_norm": float(norms.max()),
        "clipped": int(np.sum(norms > gamma)),
    }


CASES = [
    # (seed, n, d, scale, gamma): some clipped, all clipped, none clipped, large n
    (0, 10, 5, 1.0, 1.0),
    (1, 30, 3, 5.0, 0.5),
    (2, 7, 12, 0.01, 10.0),
    (3, 200, 40, 1.0, 2.0),
    (4, 1, 4, 3.0, 1.0),
]


@pytest.mark.parametrize("seed,n,d,scale,gamma", CASES)
def test_clipped_direction_matches_numpy(seed, n, d, scale, gamma):
    g = random_grads(seed, n, d, scale)
    got = cliptheory.clipped_direction(g, gamma)
    assert isinstance(got, np.ndarray)
    assert got.dtype == np.float64 and got.shape == (d,)
    np.testing.assert_allclose(got, np_quantities(g, gamma)["d"], rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed,n,d,scale,gamma", CASES)
def test_bias_matches_numpy(seed, n, d, scale, gamma):
    g = random_grads(seed, n, d, scale)
    got = cliptheory.bias(g, gamma)
    want = np_quantities(g, gamma)
    for key in [
        "beta",
        "beta_plus",
        "bias_norm",
        "d_dot_g",
        "rho",
        "grad_norm",
        "clipped_direction_norm",
        "max_norm",
    ]:
        assert abs(got[key] - want[key]) <= 1e-12 * max(1.0, abs(want[key])), key
    assert got["clipped"] == want["clipped"]
    assert (got["n"], got["dim"], got["gamma"]) == (n, d, gamma)
    # BIAS-2: ‖d − g‖ ≤ β
    assert got["bias_norm"] <= got["beta"] * (1 + 1e-12) + 1e-15


def test_bias_desc_5_ascent():
    # DESC-5 (the crate's doc example): the clipped mean of 30, -1, -1 ascends.
    g = np.array([[30.0], [-1.0], [-1.0]])
    got = cliptheory.bias(g, 1.0)
    assert abs(cliptheory.clipped_direction(g, 1.0)[0] + 1.0 / 3.0) < 1e-12
    assert got["d_dot_g"] < 0 and got["rho"] < 0


def test_bias_zero_full_gradient():
    g = np.array([[1.0, 2.0], [-1.0, -2.0]])
    got = cliptheory.bias(g, 0.5)
    assert got["beta_plus"] is None
    assert got["rho"] == 0.0 and got["d_dot_g"] == 0.0 and got["grad_norm"] == 0.0


LAYOUTS = {
    "C float64": lambda g: np.ascontiguousarray(g),
    "F float64": lambda g: np.asfortranarray(g),
    "strided view": lambda g: np.repeat(g, 2, axis=1)[:, ::2],
    "reversed rows": lambda g: g[::-1][::-1],
    "big-endian": lambda g: g.astype(">f8"),
    "read-only": lambda g: np.frombuffer(g.tobytes(), dtype=np.float64).reshape(g.shape),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_any_layout_gives_the_same_numbers(layout):
    g = random_grads(5, 12, 6)
    arranged = LAYOUTS[layout](g)
    assert np.array_equal(arranged, g)
    assert np.array_equal(cliptheory.clipped_direction(arranged, 1.0), cliptheory.clipped_direction(g, 1.0))
    assert cliptheory.bias(arranged, 1.0) == cliptheory.bias(g, 1.0)
    assert cliptheory.angles(arranged) == cliptheory.angles(g)


def test_float32_is_widened_exactly():
    g32 = random_grads(6, 15, 4).astype(np.float32)
    g64 = g32.astype(np.float64)
    np.testing.assert_allclose(
        cliptheory.clipped_direction(g32, 1.0), np_quantities(g64, 1.0)["d"], rtol=0, atol=1e-12
    )
    assert cliptheory.bias(g32, 1.0) == cliptheory.bias(g64, 1.0)
    assert cliptheory.angles(np.asfortranarray(g32)) == cliptheory.angles(g64)


# ---------------------------------------------------------------- angles


def test_angles_keys_and_exact_rows_match_numpy():
    g = random_grads(7, 9, 4)
    report = cliptheory.angles(g)
    assert list(report) == [
        "n", "d", "grad_norm", "sigma2", "monotone", "falls", "summary", "seed", "samples", "rows",
    ]
    assert (report["n"], report["d"]) == (9, 4)
    assert report["samples"] == cliptheory.DEFAULT_SAMPLES == 1000
    assert report["seed"] == cliptheory.DEFAULT_ANGLES_SEED == 20210318
    mean = g.mean(axis=0)
    assert abs(report["grad_norm"] - np.linalg.norm(mean)) < 1e-12
    assert abs(report["sigma2"] - np.mean(np.sum((g - mean) ** 2, axis=1))) < 1e-12
    rows = {row["b"]: row for row in report["rows"]}
    assert sorted(rows) == list(range(1, 10))  # every b for n ≤ 16
    cos1 = g @ mean / (np.linalg.norm(g, axis=1) * np.linalg.norm(mean))
    assert rows[1]["exact"] and rows[1]["batches"] == 9
    assert abs(rows[1]["mean_cos"] - cos1.mean()) < 1e-12
    for q, key in [(0.1, "q10_cos"), (0.5, "q50_cos"), (0.9, "q90_cos")]:
        assert abs(rows[1][key] - np.quantile(cos1, q)) < 1e-12
    assert rows[1]["frac_obtuse"] == np.mean(cos1 < 0)
    assert abs(rows[9]["mean_cos"] - 1.0) < 1e-12 and rows[9]["batches"] == 1


def test_angles_options():
    g = random_grads(8, 40, 3, shift=0.1)
    report = cliptheory.angles(g, batch_sizes=[np.int64(20), 2, 39], samples=50, passes=3, seed=7)
    assert [row["b"] for row in report["rows"]] == [2, 20, 39]
    assert report["seed"] == 7 and report["samples"] == 50
    by_b = {row["b"]: row for row in report["rows"]}
    assert not by_b[20]["exact"] and by_b[20]["batches"] == 6  # passes · ⌊n/m⌋ = 3 · 2
    assert by_b[39]["exact"] and by_b[39]["batches"] == 40
    assert cliptheory.angles(g, batch_sizes=(2, 20, 39), samples=50, passes=3, seed=7) == report
    numpy_ints = dict(samples=np.int32(50), passes=np.uint8(3), seed=np.int64(7))
    assert cliptheory.angles(g, batch_sizes=np.array([39, 2, 20]), **numpy_ints) == report


@needs_fixtures
def test_angles_agrees_with_the_saved_expectations():
    expected = json.loads((FIXTURES / "batch_small_expected.json").read_text())
    for name, want in expected.items():
        path = FIXTURES / name
        if not path.is_file() or not isinstance(want, dict) or "rows" not in want:
            continue
        got = cliptheory.angles(np.load(path))
        for key in ("n", "d"):
            assert got[key] == want[key]
        for key in ("grad_norm", "sigma2"):
            assert abs(got[key] - want[key]) <= 1e-12 * max(1.0, abs(want[key])), (name, key)
        got_rows = {row["b"]: row for row in got["rows"]}
        for row in want["rows"]:
            for key, value in row.items():
                if isinstance(value, float):
                    assert abs(got_rows[row["b"]][key] - value) <= 1e-12, (name, row["b"], key)
                else:
                    assert got_rows[row["b"]][key] == value, (name, row["b"], key)


@needs_cli
@pytest.mark.parametrize(
    "dtype,args",
    [
        ("float64", []),
        ("float32", []),
        ("float64", ["--batch-sizes", "3,17,40,64", "--samples", "30", "--passes", "2", "--seed", "5"]),
    ],
)
def test_angles_is_identical_to_the_command_line(tmp_path, dtype, args):
    g = random_grads(9, 64, 7, shift=0.2).astype(dtype)
    path = tmp_path / "grads.npy"
    np.save(path, g)
    want = cli_json("angles", path, "--json", *args)
    kwargs = {}
    if args:
        kwargs = dict(batch_sizes=[3, 17, 40, 64], samples=30, passes=2, seed=5)
    # the Python side gets a Fortran-order copy: the layout must not matter
    got = cliptheory.angles(np.asfortranarray(np.load(path)), **kwargs)
    assert got == want


@needs_cli
@needs_fixtures
@pytest.mark.parametrize(
    "name", ["batch_small_f64.npy", "batch_small_f32.npy", "batch_small_f64_big_endian.npy", "batch_4_example.npy"]
)
def test_angles_is_identical_to_the_command_line_on_fixtures(name):
    path = FIXTURES / name
    assert cliptheory.angles(np.load(path)) == cli_json("angles", path, "--json")


# ---------------------------------------------------------------- check, certify


def without_smt(report):
    """The command line's check --json less the per-row `smt` verdicts: the
    prover (z3) is behind the library's `smt` feature, which the command line
    enables and these bindings do not (it links libz3)."""
    for row in report["rows"]:
        smt = row.pop("smt", None)
        assert smt is None or set(smt) == {"verdict", "scope"}
    return report


@needs_cli
def test_check_is_identical_to_the_command_line():
    got = cliptheory.check(only=["BIAS-2", "DESC-5"], cases=40, seed=3)
    want = without_smt(
        cli_json("check", "--only", "BIAS-2", "--only", "DESC-5", "--cases", "40", "--seed", "3", "--json")
    )
    assert got == want
    assert [row["id"] for row in got["rows"]] == ["BIAS-2", "DESC-5"]
    assert cliptheory.check("BIAS-2", cases=40, seed=3)["rows"] == got["rows"][:1]


@needs_cli
def test_full_check_is_identical_to_the_command_line():
    # every statement and the certification table (few cases: a few seconds)
    got = cliptheory.check(cases=20)
    assert got == without_smt(cli_json("check", "--cases", "20", "--json"))
    assert "certification" in got and len(got["rows"]) > 20
    assert all(row["evaluation_errors"] == 0 for row in got["rows"])


def test_check_defaults():
    got = cliptheory.check("CLIP-1", cases=5)
    assert got["seed"] == cliptheory.DEFAULT_SEED == 20210318
    assert got["cases_per_statement"] == 5
    assert "certification" not in got  # only with only=None
    assert got["rows"][0]["verdict"] in ("holds", "proved")


CERTIFY_FIXTURES = [
    "smooth_certify_kinds.json",
    "smooth_certify_quadratic.json",
    "smooth_certify_exp_cone.json",
]

# Two exponentials pulling in opposite directions: no proven rule covers f
# (SMOOTH-5), so certify returns the components' own certificates.
NO_CERTIFICATE = {
    "format": "cliptheory.instance.v1",
    "dim": 1,
    "gamma": 1.0,
    "x0": [0.0],
    "components": [{"kind": "exp", "a": [1.0], "b": 0.0}, {"kind": "exp", "a": [-1.0], "b": 0.0}],
}


@needs_fixtures
@pytest.mark.parametrize("name", CERTIFY_FIXTURES)
def test_certify_dict_and_path_agree(name):
    path = FIXTURES / name
    from_path = cliptheory.certify(path)
    assert cliptheory.certify(str(path)) == from_path
    assert cliptheory.certify(json.loads(path.read_text())) == from_path
    assert set(from_path) == {
        "components", "f", "f_rule", "sampled_lower_bound_L0", "lower_bound_at", "looseness",
    }
    assert from_path["sampled_lower_bound_L0"] <= from_path["f"]["L0"] * (1 + 1e-9) + 1e-12


@needs_cli
@needs_fixtures
@pytest.mark.parametrize("name", CERTIFY_FIXTURES)
def test_certify_is_identical_to_the_command_line(name):
    path = FIXTURES / name
    assert cliptheory.certify(path, samples=50) == cli_json("certify", path, "--json", "--samples", "50")


@needs_cli
def test_certify_without_a_rule_is_identical_to_the_command_line(tmp_path):
    got = cliptheory.certify(NO_CERTIFICATE)
    assert got["f"] is None and "no certified" in got["error"]
    assert len(got["components"]) == 2
    path = tmp_path / "no_rule.json"
    path.write_text(json.dumps(NO_CERTIFICATE))
    assert got == cli_json("certify", path, "--json", expect_codes=(2,))


# ---------------------------------------------------------------- bad input

GOOD = random_grads(10, 6, 3)


def with_entry(value, at=(2, 1)):
    g = GOOD.copy()
    g[at] = value
    return g


BAD_GRADS = {
    "list": ([[1.0, 2.0], [3.0, 4.0]], "numpy.ndarray"),
    "1-D": (np.ones(3), "2-D"),
    "3-D": (np.ones((2, 2, 2)), "2-D"),
    "no rows": (np.ones((0, 3)), "empty"),
    "no columns": (np.ones((3, 0)), "empty"),
    "int": (np.ones((3, 2), dtype=np.int64), "float32 or float64"),
    "bool": (np.ones((3, 2), dtype=bool), "float32 or float64"),
    "float16": (np.ones((3, 2), dtype=np.float16), "float32 or float64"),
    "complex": (np.ones((3, 2), dtype=np.complex128), "float32 or float64"),
    "object": (np.ones((3, 2), dtype=object), "float32 or float64"),
    "NaN": (with_entry(np.nan), "grads[2, 1] must be finite, got NaN"),
    "inf": (with_entry(-np.inf), "grads[2, 1] must be finite"),
    "float32 NaN": (with_entry(np.nan).astype(np.float32), "grads[2, 1] must be finite"),
}


@pytest.mark.parametrize("case", sorted(BAD_GRADS))
def test_bad_grads_raise_value_error(case):
    grads, message = BAD_GRADS[case]
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        cliptheory.clipped_direction(grads, 1.0)
    with pytest.raises(ValueError):
        cliptheory.bias(grads, 1.0)
    with pytest.raises(ValueError):
        cliptheory.angles(grads)


@pytest.mark.parametrize("gamma", [0.0, -1.0, np.nan, np.inf, 5e-325])
def test_bad_gamma_raises_value_error(gamma):
    with pytest.raises(ValueError, match="gamma must be a finite number > 0"):
        cliptheory.clipped_direction(GOOD, gamma)
    with pytest.raises(ValueError, match="gamma"):
        cliptheory.bias(GOOD, gamma)


@pytest.mark.parametrize("gamma", ["1.0", None, True, [1.0]])
def test_gamma_of_the_wrong_type_raises_value_error(gamma):
    with pytest.raises(ValueError, match="gamma"):
        cliptheory.clipped_direction(GOOD, gamma)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(batch_sizes=[0]), "batch size 0 is outside 1..=6"),
        (dict(batch_sizes=[7]), "batch size 7 is outside"),
        (dict(batch_sizes=[-1]), "batch_sizes"),
        (dict(batch_sizes=[1.5]), "batch_sizes"),
        (dict(batch_sizes="12"), "batch_sizes"),
        (dict(batch_sizes=[]), "batch_sizes"),
        (dict(batch_sizes=3), "batch_sizes"),
        (dict(samples=0), "samples: must be at least 1"),
        (dict(samples=-5), "samples"),
        (dict(samples=2.0), "samples"),
        (dict(passes=0), "passes: must be at least 1"),
        (dict(seed=-1), "seed"),
        (dict(seed=2**64), "seed"),
        (dict(samples=True), "samples: must be an int, got bool"),
        (dict(batch_sizes=[np.bool_(True)]), "batch_sizes"),
    ],
)
def test_bad_angles_options_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cliptheory.angles(GOOD, **kwargs)


def test_angles_refuses_a_zero_full_gradient():
    with pytest.raises(ValueError, match="full gradient"):
        cliptheory.angles(np.array([[1.0, 2.0], [-1.0, -2.0]]))


def test_angles_refuses_underflowing_dumps():
    with pytest.raises(ValueError, match="underflow"):
        cliptheory.angles(GOOD * 1e-200)


def test_angles_clip_matches_numpy():
    """``clip=γ``: per row, the mean over all batches of the cosine between
    the clipped batch mean and the (unclipped) full gradient, against numpy
    over every subset (n = 9: all sizes exact)."""
    import itertools

    g = random_grads(11, 9, 4, scale=2.0)
    gamma = 1.5
    report = cliptheory.angles(g, clip=gamma)
    assert report["clip"] == gamma
    clipped = np_clip(g, gamma)
    mean = g.mean(axis=0)
    for row in report["rows"]:
        b = row["b"]
        sums = np.array([clipped[list(batch)].sum(axis=0) for batch in itertools.combinations(range(9), b)])
        cos = sums @ mean / (np.linalg.norm(sums, axis=1) * np.linalg.norm(mean))
        assert abs(row["mean_cos_clipped"] - cos.mean()) < 1e-12, b
        assert row["stderr_cos_clipped"] == 0.0
    assert report["rows"][0]["mean_cos_clipped"] == report["rows"][0]["mean_cos"]
    assert abs(report["rows"][1]["mean_cos_clipped"] - report["rows"][1]["mean_cos"]) > 1e-3
    assert "mean_cos_clipped" not in cliptheory.angles(g)["rows"][0]


@pytest.mark.parametrize("gamma", [0.0, -1.0, float("inf"), float("nan"), True, "1"])
def test_angles_refuses_a_bad_clip(gamma):
    with pytest.raises(ValueError, match="clip"):
        cliptheory.angles(GOOD, clip=gamma)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(only="NOPE-1"), "unknown statement id"),
        (dict(only=["BIAS-2", 3]), "only"),
        (dict(only=[]), "only"),
        (dict(only=5), "only"),
        (dict(only="BIAS-2", cases=0), "cases"),
        (dict(only="BIAS-2", cases=10**6 + 1), "cases"),
        (dict(only="BIAS-2", seed=-3), "seed"),
    ],
)
def test_bad_check_arguments_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cliptheory.check(**kwargs)


@needs_fixtures
@pytest.mark.parametrize("name", sorted(p.name for p in (FIXTURES / "bad").glob("*.json")) if FIXTURES.is_dir() else [])
def test_bad_instance_files_raise_value_error(name):
    with pytest.raises(ValueError):
        cliptheory.certify(FIXTURES / "bad" / name)


@pytest.mark.parametrize(
    "instance,message",
    [
        ({**NO_CERTIFICATE, "gamma": 0.0}, "gamma"),
        ({**NO_CERTIFICATE, "format": "v0"}, "format"),
        ({**NO_CERTIFICATE, "x0": [float("nan")]}, "x0"),
        ({**NO_CERTIFICATE, "components": []}, "components"),
        ({**NO_CERTIFICATE, "components": [{"kind": "exp", "a": [1.0, 2.0], "b": 0.0}]}, r"components\[0\]"),
        ({k: v for k, v in NO_CERTIFICATE.items() if k != "dim"}, "dim"),
        ({**NO_CERTIFICATE, "x0": np.zeros(1)}, "instance"),
        ("/nonexistent/instance.json", "nonexistent"),
        (42, "instance"),
    ],
)
def test_bad_instances_raise_value_error(instance, message):
    with pytest.raises(ValueError, match=message):
        cliptheory.certify(instance)


def test_bad_certify_samples_raise_value_error():
    with pytest.raises(ValueError, match="samples"):
        cliptheory.certify(NO_CERTIFICATE, samples=0)


def test_docstrings_and_signatures():
    for f in (cliptheory.angles, cliptheory.clipped_direction, cliptheory.bias, cliptheory.check, cliptheory.certify):
        assert f.__doc__ and len(f.__doc__) > 80
    assert cliptheory.angles.__text_signature__ == (
        "(grads, batch_sizes=None, samples=1000, passes=10, seed=20210318, clip=None)"
    )
    stub = pathlib.Path(cliptheory.__file__).with_name("__init__.pyi")
    assert stub.is_file() and stub.with_name("py.typed").is_file()
