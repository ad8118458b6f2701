r"""Which system answers a config: the ridge λ > 0, or a side of the ridgeless limit.

For λ = 0 the limit λ → 0⁺ depends on whether the training rows are interpolated.  The
features of group j live on the support :math:`S_j` of its covariance (atoms with
:math:`s_j > 0`) and group j has :math:`n_j = p_j n` rows.  For Gaussian blocks the rank
of the design is the size of a maximum matching rows ↔ coordinates (König), which gives,
in units of n (weights w of coordinate sets, exact rational arithmetic):

* **underparametrized** (every visible coordinate determined, e_j → finite):
  :math:`\varphi w(S_1\cup S_2) < 1,\ \varphi w(S_1\setminus S_2) < p_1,\
  \varphi w(S_2\setminus S_1) < p_2`.  The direct system at λ = 0 applies.
* **interpolating** (every row fitted exactly, e_j = O(λ)): :math:`\varphi w(S_1\cup S_2)
  > 1,\ \varphi w(S_1) > p_1,\ \varphi w(S_2) > p_2`.  The system rescaled by
  :math:`e_j = \lambda\varepsilon_j` (:func:`~symcollapse.equations.rescale`) at λ = 0.
* on a boundary (an equality): the interpolation threshold.  The error diverges unless
  the labels are noiseless and consistent (σ_j = 0, δ = 0 on the support of Σ2), in which
  case the square system recovers w1 exactly and the error is 0.
* otherwise one group interpolates and the other does not: not derived here (use λ > 0).

With one group present only its own condition remains (e.g. φ w(S_1) < p_1).
Coordinates seen by no present group contribute nothing to any trace and are dropped.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from . import equations as eq
from .errors import DivergenceError, UnsupportedError
from .spec import Spec


@dataclass(frozen=True)
class Regime:
    """The system to solve for a spec, with its atoms and a plain-words description."""

    name: str
    system: eq.System | None
    atoms: tuple
    exact_zero: bool = False
    description: str = ""


# ----------------------------------------------------------------------------- families

@functools.lru_cache(maxsize=None)
def linear_family(strategy: str, fixed: tuple, interpolating: bool) -> eq.System:
    """The linear model for a strategy, with some parameters fixed to exact values
    (``fixed``: pairs ``(symbol, value)``, e.g. p2 = 0 removes group 2), either direct or
    rescaled by :math:`e_j = \\lambda\\varepsilon_j` (``interpolating``)."""
    system = eq.linear_system().subs(eq.mixture_weights(strategy))
    if fixed:
        system = system.subs(dict(fixed))
    name = f"linear/{strategy}" + "".join(f"/{s}={v}" for s, v in fixed)
    if interpolating:
        eps = {x: sp.Symbol("epsilon" + str(x)[1:], positive=True)
               for x in system.unknowns if x in (eq.e1, eq.e2)}
        system = eq.rescale(system, {x: eq.lam * v for x, v in eps.items()}, eq.lam,
                            name + "/interpolating")
    return system.replace_name(name + ("/interpolating" if interpolating else ""))


def _fixed_parameters(spec: Spec) -> tuple:
    """Parameters whose value changes the structure (a group absent): fixed exactly."""
    fixed = []
    if spec.strategy in ("plain", "iterative") and spec.p2 in (0, 1):
        fixed.append((eq.p2, int(spec.p2)))
    if spec.strategy == "weighted" and spec.alpha in (0, 1):
        fixed.append((eq.alpha, int(spec.alpha)))
    return tuple(fixed)


def group_weights(spec: Spec):
    """(a1, a2): the weights of the groups in the loss (plain: p_j; weighted: α, 1−α)."""
    if spec.strategy == "weighted":
        return spec.alpha, 1 - spec.alpha
    return spec.p1, spec.p2


def parameter_values(spec: Spec) -> dict:
    """Parameter symbol → exact value."""
    vals = {eq.phi: spec.phi, eq.p2: spec.p2, eq.lam: spec.lam, eq.sigma1: spec.sigma1,
            eq.sigma2: spec.sigma2}
    if spec.alpha is not None:
        vals[eq.alpha] = spec.alpha
    if spec.psi is not None:
        vals[eq.psi] = spec.psi
    return vals


# ----------------------------------------------------------------------------- counting

def _present_groups(spec: Spec):
    a = group_weights(spec)
    p = (spec.p1, spec.p2)
    return tuple(j for j in (0, 1) if a[j] != 0 and p[j] != 0)


def _visible(atom, groups) -> bool:
    s = (atom.s1, atom.s2)
    return any(s[j] > 0 for j in groups)


def interpolation_side(spec: Spec) -> str:
    """'under', 'over', 'boundary' or 'mixed' for the ridgeless limit (module docstring)."""
    groups = _present_groups(spec)
    p = (spec.p1, spec.p2)
    phi = spec.phi

    def w(pred):
        return sum((a.weight for a in spec.atoms if pred(a)), Fraction(0))

    support = [lambda a: a.s1 > 0, lambda a: a.s2 > 0]
    if len(groups) == 1:
        j = groups[0]
        under = [(phi * w(support[j]), p[j])]
        over = under
    else:
        union = phi * w(lambda a: a.s1 > 0 or a.s2 > 0)
        only1 = phi * w(lambda a: a.s1 > 0 and not a.s2 > 0)
        only2 = phi * w(lambda a: a.s2 > 0 and not a.s1 > 0)
        under = [(union, 1), (only1, p[0]), (only2, p[1])]
        over = [(union, 1), (phi * w(support[0]), p[0]), (phi * w(support[1]), p[1])]
    if all(x < y for x, y in under):
        return "under"
    if all(x > y for x, y in over):
        return "over"
    if any(x == y for x, y in under + over):
        return "boundary"
    return "mixed"


def _consistent_noiseless(spec: Spec) -> bool:
    groups = _present_groups(spec)
    sig = (spec.sigma1, spec.sigma2)
    if any(sig[j] != 0 for j in groups):
        return False
    if 1 in groups and any(a.delta != 0 and a.s2 > 0 for a in spec.atoms):
        return False
    return True


def _spectral_scale(spec: Spec) -> Fraction:
    m = max(max(a.s1, a.s2) for a in spec.atoms)
    return m if m > 0 else Fraction(1)


# ----------------------------------------------------------------------------- selection

def linear_regime(spec: Spec) -> Regime:
    """The regime of a linear-model config (see the module docstring)."""
    groups = _present_groups(spec)
    atoms = tuple(a for a in spec.atoms if _visible(a, groups))
    fixed = _fixed_parameters(spec)
    if not atoms:
        return Regime("no data", None, (), exact_zero=True,
                      description="no present group sees any coordinate: ŵ = 0 on the "
                                  "support of Σ1 is empty, the test error is 0")
    if spec.lam > 0:
        side = interpolation_side(spec)
        interpolating = side == "over" and spec.lam < _spectral_scale(spec) / 1000
        return Regime("ridge", linear_family(spec.strategy, fixed, interpolating), atoms,
                      description="ridge λ > 0" + (" (solved in the rescaled variables "
                                                     "e_j = λ ε_j)" if interpolating else ""))
    side = interpolation_side(spec)
    if side == "under":
        return Regime("ridgeless, underparametrized", linear_family(spec.strategy, fixed, False),
                      atoms, description="λ → 0⁺ with fewer coordinates than rows: the "
                                         "direct system at λ = 0")
    if side == "over":
        return Regime("ridgeless, interpolating", linear_family(spec.strategy, fixed, True),
                      atoms, description="λ → 0⁺ with every row interpolated: the system "
                                         "rescaled by e_j = λ ε_j, at λ = 0")
    if side == "boundary":
        under_closure = _under_closure(spec)
        if under_closure and _consistent_noiseless(spec):
            return Regime("interpolation threshold, noiseless", None, atoms, exact_zero=True,
                          description="square noiseless consistent system: w1 is recovered "
                                      "exactly, the test error is 0")
        if under_closure:
            raise DivergenceError(
                f"interpolation threshold: lam = 0 with phi = {_show(spec.phi)} puts as many "
                "rows as coordinates, and the noise or label shift makes the ridgeless test "
                "error diverge (+inf); use lam > 0 or move phi off the threshold")
        raise UnsupportedError(
            "ridgeless limit on the boundary where one group's rows are exactly as many as "
            "its own coordinates: not derived; use lam > 0")
    raise UnsupportedError(
        "ridgeless limit (lam = 0) where one group's rows are interpolated and the other's "
        "are not (supports of s1 and s2 differ): not derived; use lam > 0")


def threshold_parts(spec: Spec) -> dict:
    """The λ → 0⁺ values at the interpolation threshold of the underparametrized side:
    Bias → 0, Var → +∞ iff a present group is noisy, ζ → +∞ iff the synthetic labels are
    inconsistent (δ ≠ 0 on the support of Σ2); used where a curve crosses the threshold."""
    inf = float("inf")
    groups = _present_groups(spec)
    sig = (spec.sigma1, spec.sigma2)
    noisy = any(sig[j] != 0 for j in groups)
    shifted = 1 in groups and any(a.delta != 0 and a.s2 > 0 for a in spec.atoms)
    var = inf if noisy else 0.0
    zeta = inf if shifted else 0.0
    return {"bias": 0.0, "variance": var, "zeta": zeta, "test_error": var + zeta}


def _under_closure(spec: Spec) -> bool:
    groups = _present_groups(spec)
    p = (spec.p1, spec.p2)
    phi = spec.phi

    def w(pred):
        return sum((a.weight for a in spec.atoms if pred(a)), Fraction(0))

    if len(groups) == 1:
        j = groups[0]
        return phi * w(lambda a: (a.s1, a.s2)[j] > 0) <= p[j]
    return (phi * w(lambda a: a.s1 > 0 or a.s2 > 0) <= 1
            and phi * w(lambda a: a.s1 > 0 and not a.s2 > 0) <= p[0]
            and phi * w(lambda a: a.s2 > 0 and not a.s1 > 0) <= p[1])


def _show(x) -> str:
    return str(x) if not isinstance(x, Fraction) or x.denominator == 1 else f"{float(x):.10g}"
