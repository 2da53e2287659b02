"""Machine checks for the theory of gradient clipping in incremental gradient
methods, from Python.

The functions are the ``cliptheory`` Rust library's, compiled (PyO3):

- :func:`angles`: angles between minibatch gradients and the full gradient
  per batch size, for a per-example gradient matrix (the same dict as
  ``cliptheory angles --json``);
- :func:`clipped_direction`: ``d = (1/n) Σ_i clip_γ(g_i)``;
- :func:`bias`: ``β``, ``β₊``, ``‖d − g‖``, ``⟨d, g⟩`` and the CDC ``ρ``;
- :func:`check`: the theory check report (``cliptheory check --json``);
- :func:`certify`: certified ``(L0, L1)`` of an instance
  (``cliptheory certify --json``).

Arrays are NumPy arrays of shape ``(n, d)`` (row ``i`` is ``∇f_i``),
float32 or float64, in any memory layout (they are copied and widened to
float64). Bad input raises :class:`ValueError` with the library's message.
"""

from ._cliptheory import (
    DEFAULT_ANGLES_SEED,
    DEFAULT_CASES,
    DEFAULT_PASSES,
    DEFAULT_SAMPLES,
    DEFAULT_SEED,
    ESTIMATOR_SAMPLES,
    __version__,
    angles,
    bias,
    certify,
    check,
    clipped_direction,
)

__all__ = [
    "DEFAULT_ANGLES_SEED",
    "DEFAULT_CASES",
    "DEFAULT_PASSES",
    "DEFAULT_SAMPLES",
    "DEFAULT_SEED",
    "ESTIMATOR_SAMPLES",
    "__version__",
    "angles",
    "bias",
    "certify",
    "check",
    "clipped_direction",
]
