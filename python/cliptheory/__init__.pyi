"""Type stubs of the cliptheory package (the compiled cliptheory._cliptheory)."""

import os
from typing import Any, Dict, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

__version__: str
DEFAULT_SAMPLES: int
DEFAULT_PASSES: int
DEFAULT_ANGLES_SEED: int
DEFAULT_CASES: int
DEFAULT_SEED: int
ESTIMATOR_SAMPLES: int

_Grads = Union[npt.NDArray[np.float32], npt.NDArray[np.float64]]

def angles(
    grads: _Grads,
    batch_sizes: Optional[Sequence[int]] = None,
    samples: int = 1000,
    passes: int = 10,
    seed: int = 20210318,
    clip: Optional[float] = None,
) -> Dict[str, Any]:
    """Angles between minibatch gradients and the full gradient per batch
    size: the dict of ``cliptheory angles --json`` (keys ``n``, ``d``,
    ``grad_norm``, ``sigma2``, ``monotone``, ``falls``, ``summary``,
    ``seed``, ``samples``, ``rows``; with ``clip=γ`` also ``clip`` and, per
    row, ``mean_cos_clipped`` and ``stderr_cos_clipped``); bad input raises
    ValueError."""

def clipped_direction(grads: _Grads, gamma: float) -> npt.NDArray[np.float64]:
    """``d = (1/n) Σ_i clip_γ(g_i)`` over the rows of ``grads``, shape
    ``(d,)``; bad input raises ValueError."""

def bias(grads: _Grads, gamma: float) -> Dict[str, Any]:
    """``beta``, ``beta_plus`` (None when g = 0), ``bias_norm`` (‖d − g‖),
    ``d_dot_g``, ``rho`` (CDC), ``grad_norm``, ``clipped_direction_norm``,
    ``max_norm``, ``clipped``, ``n``, ``dim``, ``gamma``; bad input raises
    ValueError."""

def check(
    only: Union[None, str, Sequence[str]] = None,
    cases: int = 2000,
    seed: int = 20210318,
) -> Dict[str, Any]:
    """The theory check report: the dict of ``cliptheory check --json``
    (keys ``seed``, ``cases_per_statement``, ``rows``, and
    ``certification`` when ``only`` is None), less the per-row ``smt``
    verdicts of the SMT prover. Unknown ids and ``cases``
    outside 1..=10⁶ raise ValueError."""

def certify(
    instance: Union[Dict[str, Any], str, "os.PathLike[str]"],
    samples: int = 400,
) -> Dict[str, Any]:
    """Certified ``(L0, L1)``: the dict of ``cliptheory certify --json``
    (keys ``components``, ``f``, ``f_rule``, ``sampled_lower_bound_L0``,
    ``lower_bound_at``, ``looseness``; or ``components``, ``f`` = None and
    ``error`` when no rule covers f). A malformed instance raises
    ValueError."""

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
