r"""Which system answers a config: the ridge λ > 0, or a side of the ridgeless limit.

**Linear model.**  For λ = 0 the limit λ → 0⁺ depends on whether the training rows are
interpolated.  The features of group j live on the support :math:`S_j` of its covariance
(atoms with :math:`s_j > 0`) and group j has :math:`n_j = p_j n` rows.  For Gaussian
blocks the rank of the design is the size of a maximum matching rows ↔ coordinates
(König), which gives, in units of n (weights w of coordinate sets, exact arithmetic):

* **underparametrized** (every visible coordinate determined, e_j → finite):
  :math:`\varphi w(S_1\cup S_2) < 1,\ \varphi w(S_1\setminus S_2) < p_1,\
  \varphi w(S_2\setminus S_1) < p_2`.  The direct system at λ = 0 applies.
* **interpolating** (every row fitted exactly, e_j = O(λ)): :math:`\varphi w(S_1\cup S_2)
  > 1,\ \varphi w(S_1) > p_1,\ \varphi w(S_2) > p_2`.  The system rescaled by
  :math:`e_j = \lambda\varepsilon_j` (:func:`~symcollapse.core.equations.rescale`) at λ = 0.
* on a boundary (an equality): the interpolation threshold.  The error diverges unless
  the labels are noiseless and consistent (σ_j = 0, δ = 0 on the support of Σ2), in which
  case the square system recovers w1 exactly and the error is 0.
* otherwise one group interpolates and the other does not: not derived here (use λ > 0).

With one group present only its own condition remains (e.g. φ w(S_1) < p_1).

**Random projections.**  The features XSᵀ have rank min(n, m, d_vis) (d_vis: coordinates
seen by a present group).  With ρ = m/d, for λ → 0⁺ (docs/theory/projections.md):
m < min(n, d): L → L0 > 0, the direct system at λ = 0; d < min(n, m): L = O(λ), rescaled by
L = λℓ; n < min(d, m): L and e_j = O(λ), rescaled by both.  The error diverges where
min(φ, ψ) = 1 and the other ratio is ≥ 1; at m = d < n the projection is invertible and
the ridgeless error is the linear model's.  (Ridgeless projections are derived for full
supports: every visible atom seen by every present group.)

Atoms seen by no present group: for λ > 0 they stay in the traces (K ≥ λ there); in the
direct system at λ = 0 they would be 0/0, and their contribution is the per-atom limit
λ → 0⁺ of the densities with the present groups' eigenvalues set to 0
(:func:`null_atom_densities`, e.g. θ·s1 of bias when only synthetic data are seen).
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from fractions import Fraction

import mpmath as mp
import numpy as np
import sympy as sp

from symcollapse import models
from symcollapse.core import determinism as sym, equations as eq, system_cache
from symcollapse.core.errors import DivergenceError, UnsupportedError
from symcollapse.core.spec import Spec


@dataclass(frozen=True)
class Regime:
    """The system to solve for a spec, with its atoms and a plain-words description.

    ``null_atoms`` are atoms whose contribution is given by ``null_densities`` (per-atom
    expressions in the unknowns) instead of the system's traces.  ``delegate`` is a spec
    whose answer is this spec's answer (e.g. an invertible projection)."""

    name: str
    system: eq.System | None
    atoms: tuple
    exact_zero: bool = False
    description: str = ""
    null_atoms: tuple = ()
    null_densities: dict = field(default_factory=dict)
    delegate: Spec | None = None


# ----------------------------------------------------------------------------- families

SCALINGS = {
    "e": ((eq.e1, "epsilon1"), (eq.e2, "epsilon2")),
    "L": ((eq.L_eff, "ell"),),
}


def group_unknowns(system: eq.System) -> tuple:
    r"""The unknowns that carry the groups' factors e₁, e₂, as the System names them: e_j
    itself, or ε_j where the ridgeless side rescales e_j = λε_j (read off
    :attr:`~symcollapse.core.equations.System.scale`); None for a factor the system does not
    have, or for both in a regime without a fixed point (``system`` None).  Returns
    ``((name, rescaled), …)`` for j = 1, 2."""
    if system is None:
        return ((None, False),) * 2
    out = []
    for e in (eq.e1, eq.e2):
        if e in system.scale:
            found = sp.sympify(system.scale[e]).free_symbols & set(system.unknowns)
            out.append((str(found.pop()), True) if len(found) == 1 else (None, True))
        else:
            out.append((str(e), False) if e in system.unknowns else (None, False))
    return tuple(out)


#: The arguments of :func:`model_family` that built each family, by system name.
_FAMILY_ARGS: dict = {}


@functools.lru_cache(maxsize=None)
def model_family(model: str, strategy: str, fixed: tuple, scaled: tuple = (),
                 training: bool = False) -> eq.System:
    """A model's system for a strategy, with some parameters fixed to exact values
    (``fixed``: pairs ``(symbol, value)``, e.g. p2 = 0 removes group 2), rescaled for the
    ridgeless limit by ``scaled`` (``"e"``: e_j = λε_j; ``"L"``: L = λℓ).  ``training``:
    the system extended by the training error (the model's
    :meth:`~symcollapse.models.base.Model.training_system`)."""
    declared = models.get(model)
    derive = functools.partial(declared.training_system if training else declared.system,
                               strategy)
    key = strategy + ("-training" if training else "")
    system = system_cache.cached(model, key, derive) if declared.cache_system else derive()
    if fixed:
        system = without_vanished_unknowns(system.subs(dict(fixed)))
    name = f"{model}/{strategy}" + "".join(f"/{s}={v}" for s, v in fixed)
    if scaled:
        sub = {}
        for key in scaled:
            for x, new in SCALINGS[key]:
                if x in system.unknowns:
                    sub[x] = eq.lam * sp.Symbol(new, positive=True)
        name += "/scaled:" + ",".join(scaled)
        system = eq.rescale(system, sub, eq.lam, name)
    if training:
        name += "/training"
    else:
        _FAMILY_ARGS[name] = (model, strategy, fixed, scaled)
    return system.replace_name(name)


def without_vanished_unknowns(system: eq.System) -> eq.System:
    """The system with the unknowns that vanish identically set to 0 and removed: those whose
    first-order (large-ridge) guess is 0 and whose equations all hold when they are 0 — the
    blocks of a group that a fixed parameter removed (p2 = 0), which the outputs may still
    see through a trace; the remaining unknowns solve the remaining equations."""
    candidates = [x for x in system.unknowns if sp.sympify(system.guess.get(x, 1)) == 0]
    while candidates:
        zero = {x: sp.Integer(0) for x in candidates}
        held = [x for x, e in zip(system.unknowns, system.equations)
                if x in zero and not eq.vanishes(sp.sympify(e).xreplace(zero))]
        if not held:
            break
        candidates = [x for x in candidates if x not in held]
    if not candidates:
        return system
    keep = [i for i, x in enumerate(system.unknowns) if x not in zero]
    return dataclasses.replace(
        system, unknowns=tuple(system.unknowns[i] for i in keep),
        equations=tuple(sp.sympify(system.equations[i]).xreplace(zero) for i in keep),
        densities={k: sp.sympify(v).xreplace(zero) for k, v in system.densities.items()},
        positive=tuple(x for x in system.positive if x not in zero),
        guess={k: v for k, v in system.guess.items() if k not in zero})


def training_family(system: eq.System) -> eq.System:
    """The training-error version of a family built by :func:`model_family`."""
    return model_family(*_FAMILY_ARGS[system.name], training=True)


def linear_family(strategy: str, fixed: tuple, interpolating: bool) -> eq.System:
    """The linear model, direct or rescaled by e_j = λε_j (``interpolating``)."""
    return model_family("linear", strategy, fixed, ("e",) if interpolating else ())


@functools.lru_cache(maxsize=None)
def null_atom_densities(system: eq.System, present: tuple) -> dict:
    """Per-atom densities of an atom that no present group sees: the atom-dependent part
    of the system's densities with the present groups' eigenvalues set to 0, in the
    limit λ → 0⁺."""
    zero = {eq.S1: 0} if 0 in present else {}
    if 1 in present:
        zero[eq.S2] = 0
    out = {}
    for k, d in system.densities.items():
        # constants (tr c = c) are accounted for once by the solved system, not per atom
        _const, dependent = sp.expand(sp.sympify(d)).as_independent(
            *eq.coordinate_symbols(d), as_Add=True)
        expr = dependent.subs(zero)
        if expr.has(eq.lam):
            expr = sp.limit(expr, eq.lam, 0, "+")
        out[k] = sym.simplify(expr)
    return out


def fixed_parameters(spec: Spec) -> tuple:
    """Parameters whose value changes the structure (a group absent): fixed exactly, as
    pairs ``(symbol, value)`` for :func:`model_family` (a group's unknowns then drop out)."""
    fixed = []
    if spec.strategy in ("plain", "iterative") and spec.p2 in (0, 1):
        fixed.append((eq.p2, int(spec.p2)))
    if spec.strategy == "weighted" and spec.alpha in (0, 1):
        fixed.append((eq.alpha, int(spec.alpha)))
    return tuple(fixed)


def weight_zero_regime(spec: Spec, name: str) -> Regime | None:
    r"""At α ∈ {0, 1} of strategy "weighted" one group has weight 0 in the loss, which is
    then the plain loss of the other group's n_j = p_j n rows alone: the regime that
    delegates to that plain mixture (p_2 = 1 − α, φ and every model size ψ divided by p_j),
    an exact identity; None elsewhere.  (A system posed with a group's weight 0 has that
    group's blocks degenerate.)"""
    if spec.strategy != "weighted" or spec.alpha not in (0, 1):
        return None
    p = spec.p1 if spec.alpha == 1 else spec.p2
    sizes = {k: v / p for k, v in spec.sizes}
    alone = spec.replace(strategy="plain", alpha=None, p2=1 - spec.alpha, phi=spec.phi / p,
                         psi=None if spec.psi is None else spec.psi / p, **sizes)
    group = "real" if spec.alpha == 1 else "synthetic"
    return Regime(f"{name}/weighted/alpha={spec.alpha}", None, spec.atoms, delegate=alone,
                  description=f"alpha = {spec.alpha}: the {group} rows alone, the plain mixture "
                              f"of n_j = p_j n rows (phi and the model sizes divided by p_j = {p})")


def group_weights(spec: Spec):
    """(a1, a2): the weights of the groups in the loss (plain: p_j; weighted: α, 1−α)."""
    if spec.strategy == "weighted":
        return spec.alpha, 1 - spec.alpha
    return spec.p1, spec.p2


def parameter_values(spec: Spec) -> dict:
    """Parameter symbol → value: the config's scalars (exact), and the model's own
    constants where it declares them (its ``parameters`` hook, e.g. the Gaussian-equivalence
    constants of random features, at the working precision)."""
    vals = {eq.phi: spec.phi, eq.p2: spec.p2, eq.lam: spec.lam, eq.sigma1: spec.sigma1,
            eq.sigma2: spec.sigma2}
    if spec.alpha is not None:
        vals[eq.alpha] = spec.alpha
    if spec.psi is not None:
        vals[eq.psi] = spec.psi
    for key, value in spec.sizes:           # a model's other sizes, e.g. psi1, psi2
        vals[sp.Symbol(key, positive=True)] = value
    model = models.get(spec.model)
    if "parameters" in model.hooks:
        vals.update(model.hook("parameters")(spec))
    return vals


# ----------------------------------------------------------------------------- counting

def present_groups(spec: Spec):
    """Indices (0 = real, 1 = synthetic) of the groups with rows and weight in the loss."""
    a = group_weights(spec)
    p = (spec.p1, spec.p2)
    return tuple(j for j in (0, 1) if a[j] != 0 and p[j] != 0)


def _visible(atom, groups) -> bool:
    s = (atom.s1, atom.s2)
    return any(s[j] > 0 for j in groups)


class _Rep:
    """A stand-in atom for a support class (which of s1, s2 are > 0)."""

    __slots__ = ("s1", "s2")

    def __init__(self, s1, s2):
        self.s1, self.s2 = s1, s2


_STATS: dict = {}


def _atom_stats(atoms) -> dict:
    """Per atoms tuple (cached by identity; long spectra are asked many times along a
    curve): the total weight of each support class (s1 > 0, s2 > 0) and the spectral
    scale max(s1, s2)."""
    hit = _STATS.get(id(atoms))
    if hit is not None and hit[0] is atoms:
        return hit[1]
    classes = {}
    for a in atoms:
        key = (a.s1 > 0, a.s2 > 0)
        classes[key] = classes.get(key, 0) + a.weight
    m = max(max(a.s1, a.s2) for a in atoms)
    stats = {"classes": classes, "scale": m if m > 0 else Fraction(1), "split": {}}
    if len(_STATS) > 64:
        _STATS.clear()
    _STATS[id(atoms)] = (atoms, stats)
    return stats


def _w(spec, pred):
    """Total weight of the atoms satisfying ``pred`` (a predicate of the supports)."""
    classes = _atom_stats(spec.atoms)["classes"]
    return sum((w for (b1, b2), w in classes.items() if pred(_Rep(int(b1), int(b2)))), 0)


def _common(x, y):
    """Exact rationals (Fraction, int) compare exactly; anything else (mpf atoms of a
    quadrature rule) compares at the current mpmath precision."""
    if isinstance(x, (Fraction, int)) and isinstance(y, (Fraction, int)):
        return x, y
    conv = lambda v: mp.mpf(v.numerator) / v.denominator if isinstance(v, Fraction) else mp.mpf(v)  # noqa: E731
    return conv(x), conv(y)


def _lt(x, y):
    x, y = _common(x, y)
    return x < y


def _eq(x, y):
    x, y = _common(x, y)
    return x == y


def interpolation_side(spec: Spec) -> str:
    """'under', 'over', 'boundary' or 'mixed' for the ridgeless linear model."""
    groups = present_groups(spec)
    p = (spec.p1, spec.p2)
    phi = spec.phi
    support = [lambda a: a.s1 > 0, lambda a: a.s2 > 0]
    if len(groups) == 1:
        j = groups[0]
        under = [(phi * _w(spec, support[j]), p[j])]
        over = under
    else:
        union = phi * _w(spec, lambda a: a.s1 > 0 or a.s2 > 0)
        only1 = phi * _w(spec, lambda a: a.s1 > 0 and not a.s2 > 0)
        only2 = phi * _w(spec, lambda a: a.s2 > 0 and not a.s1 > 0)
        under = [(union, 1), (only1, p[0]), (only2, p[1])]
        over = [(union, 1), (phi * _w(spec, support[0]), p[0]), (phi * _w(spec, support[1]), p[1])]
    if all(_lt(x, y) for x, y in under):
        return "under"
    if all(_lt(y, x) for x, y in over):
        return "over"
    if any(_eq(x, y) for x, y in under + over):
        return "boundary"
    return "mixed"


def _under_closure(spec: Spec) -> bool:
    groups = present_groups(spec)
    p = (spec.p1, spec.p2)
    phi = spec.phi
    def le(x, y):
        return not _lt(y, x)
    if len(groups) == 1:
        j = groups[0]
        return le(phi * _w(spec, lambda a: (a.s1, a.s2)[j] > 0), p[j])
    return (le(phi * _w(spec, lambda a: a.s1 > 0 or a.s2 > 0), 1)
            and le(phi * _w(spec, lambda a: a.s1 > 0 and not a.s2 > 0), p[0])
            and le(phi * _w(spec, lambda a: a.s2 > 0 and not a.s1 > 0), p[1]))


def _consistent_noiseless(spec: Spec) -> bool:
    groups = present_groups(spec)
    sig = (spec.sigma1, spec.sigma2)
    if any(sig[j] != 0 for j in groups):
        return False
    if 1 in groups and any(a.delta != 0 and a.s2 > 0 for a in spec.atoms):
        return False
    return True


def _spectral_scale(spec: Spec) -> Fraction:
    return _atom_stats(spec.atoms)["scale"]


def threshold_parts(spec: Spec) -> dict:
    """The λ → 0⁺ values at an interpolation threshold: Bias → 0, Var → +∞ iff a present
    group is noisy, ζ → +∞ iff the synthetic labels are inconsistent (δ ≠ 0 on the
    support of Σ2); for random projections below full rank every part of the signal
    outside the projected space acts as noise, so the error diverges whenever w1 ≠ 0.
    Used where a curve crosses the threshold."""
    inf = float("inf")
    groups = present_groups(spec)
    sig = (spec.sigma1, spec.sigma2)
    noisy = any(sig[j] != 0 for j in groups)
    if models.get(spec.model).rank_limited and spec.psi < spec.phi:
        noisy = noisy or any(a.theta != 0 and max(a.s1, a.s2) > 0 for a in spec.atoms)
    shifted = 1 in groups and any(a.delta != 0 and a.s2 > 0 for a in spec.atoms)
    var = inf if noisy else 0.0
    zeta = inf if shifted else 0.0
    return {"bias": 0.0, "variance": var, "zeta": zeta, "test_error": var + zeta}


# ----------------------------------------------------------------------------- many points

#: Relative width of the band around a threshold inside which a float comparison is not
#: trusted (the point is then classified exactly, by :func:`select` on its own spec).
TIE_BAND = 1e-12


def signatures(base: Spec, cols: dict):
    """Group many points by regime without building a spec per point.

    ``cols`` maps scalar keys to float arrays of one length P (keys not given come from
    ``base``, whose atoms and strategy every point shares).  Every comparison that
    :func:`select` can make is evaluated for all points at once: the flags p2 ∈ {0, 1},
    α ∈ {0, 1}, λ = 0, σ_j = 0 and the signs of φ·w(A) − r for every support set A (S1 ∪ S2,
    S1∖S2, S2∖S1, S1, S2) against every reference r (1, p1, p2, ψ), of ψ − 1, ψ − φ and of
    λ − scale/1000.  Points with equal rows make the same comparisons with the same
    outcomes, hence get the same regime (a comparison of values that do not vary is the
    same at every point and is left to the exact selection of each group).  Returns ``(codes, tie)``: an integer code per
    point (equal codes, equal regimes) and a mask of the points lying within
    :data:`TIE_BAND` of a threshold, which a float comparison cannot decide.
    """

    P = len(next(iter(cols.values())))

    def col(key):
        if key in cols:
            return np.asarray(cols[key], dtype=float)
        v = getattr(base, key)
        return np.full(P, np.nan if v is None else float(v))

    phi, p2, lam, psi, alpha = (col(k) for k in ("phi", "p2", "lam", "psi", "alpha"))
    s1, s2 = col("sigma1"), col("sigma2")
    p1 = 1 - p2
    classes = _atom_stats(base.atoms)["classes"]

    def weight(pred):
        return float(sum((w for (b1, b2), w in classes.items() if pred(b1, b2)), 0))

    sets = [weight(lambda a, b: a or b), weight(lambda a, b: a and not b),
            weight(lambda a, b: b and not a), weight(lambda a, b: a), weight(lambda a, b: b)]
    scale = float(_atom_stats(base.atoms)["scale"])
    refs = ((np.ones(P), ()), (p1, ("p2",)), (p2, ("p2",)), (psi, ("psi",)))
    flags = [p2 == 0, p2 == 1, alpha == 0, alpha == 1, lam == 0, s1 == 0, s2 == 0]
    rows = [np.asarray(f, dtype=np.int64) for f in flags]
    tie = np.zeros(P, dtype=bool)
    with np.errstate(invalid="ignore"):      # inf·0 of a refused value: NaN, judged below
        pairs = [(phi * w, r, ("phi",) + keys) for w in sets for r, keys in refs]
        pairs += [(psi, np.ones(P), ("psi",)), (psi, phi, ("psi", "phi")),
                  (lam, np.full(P, scale / 1000), ("lam",))]
        for x, y, keys in pairs:
            if not any(k in cols for k in keys):
                continue  # the same comparison at every point: decided once, exactly
            diff = x - y
            band = TIE_BAND * np.maximum(np.maximum(np.abs(x), np.abs(y)), 1e-300)
            known = np.isfinite(diff)
            near = known & (np.abs(diff) <= band) & ~((x == 0) & (y == 0))
            tie |= near
            rows.append(np.where(known, np.sign(diff), 2).astype(np.int64))
    # a code per distinct row (sign −1, 0, 1; 2 where the comparison is not a number)
    codes = np.unique(np.stack(rows, axis=1), axis=0, return_inverse=True)[1]
    return codes.ravel().astype(np.int64), tie


# ----------------------------------------------------------------------------- selection

def select(spec: Spec) -> Regime:
    """The regime of a config (see the module docstring): the model's ``regime`` hook, or
    :func:`ridge_regime` for a model that declares only its expressions (a ``sources``
    hook); a model with neither is refused with its reason."""
    declared = models.get(spec.model)
    if "regime" in declared.hooks or "sources" not in declared.hooks:
        return declared.hook("regime")(spec)
    return ridge_regime(spec)


def ridge_regime(spec: Spec) -> Regime:
    """The regime of a model that declares only its expressions (a ``sources`` hook): its
    derived system at λ > 0 (α ∈ {0, 1}: :func:`weight_zero_regime`); the ridgeless limit is
    refused (no rescaling of its unknowns is declared)."""
    declared = models.get(spec.model)
    if spec.lam <= 0:
        raise UnsupportedError(declared.reason("ridgeless") or (
            f'model "{spec.model}": the ridgeless limit (lam = 0) is not derived for it; use lam > 0'))
    alone = weight_zero_regime(spec, spec.model)
    if alone is not None:
        return alone
    return Regime("ridge", model_family(spec.model, spec.strategy, fixed_parameters(spec)),
                  spec.atoms, description="ridge λ > 0: the system the pencil engine derives")


def linear_regime(spec: Spec) -> Regime:
    """The regime of a linear-model spec (see the module docstring)."""
    return _linear(spec)


def projection_regime(spec: Spec) -> Regime:
    """The regime of a random-projections spec (see the module docstring)."""
    return _projection(spec)


def _split_null(spec: Spec, groups):
    split = _atom_stats(spec.atoms)["split"]
    if groups not in split:
        visible = tuple(a for a in spec.atoms if _visible(a, groups))
        null = tuple(a for a in spec.atoms if not _visible(a, groups))
        split[groups] = (spec.atoms, ()) if not null else (visible, null)
    return split[groups]


def _linear(spec: Spec) -> Regime:
    groups = present_groups(spec)
    fixed = fixed_parameters(spec)
    visible, null = _split_null(spec, groups)
    if spec.lam > 0:
        side = interpolation_side(spec) if visible else "under"
        interpolating = side == "over" and _lt(spec.lam, _spectral_scale(spec) / 1000)
        return Regime("ridge", linear_family(spec.strategy, fixed, interpolating), spec.atoms,
                      description="ridge λ > 0" + (" (solved in the rescaled variables "
                                                     "e_j = λ ε_j)" if interpolating else ""))
    if not visible:
        system = linear_family(spec.strategy, fixed, False)
        return Regime("ridgeless, no visible data", system, (), null_atoms=null,
                      null_densities=null_atom_densities(system, groups),
                      description="no present group sees any coordinate: ŵ = 0")
    side = interpolation_side(spec)
    if side == "under":
        system = linear_family(spec.strategy, fixed, False)
        return Regime("ridgeless, underparametrized", system, visible, null_atoms=null,
                      null_densities=null_atom_densities(system, groups) if null else {},
                      description="λ → 0⁺ with fewer coordinates than rows: the direct "
                                  "system at λ = 0")
    if side == "over":
        if _weights_irrelevant(spec):
            return Regime("ridgeless, interpolating", None, spec.atoms,
                          delegate=spec.replace(strategy="plain", alpha=None),
                          description="λ → 0⁺ with every row interpolated: the minimum-norm "
                                      "interpolator, which no positive weighting of the rows "
                                      "changes (the plain mixture's value)")
        return Regime("ridgeless, interpolating", linear_family(spec.strategy, fixed, True),
                      spec.atoms, description="λ → 0⁺ with every row interpolated: the "
                                              "system rescaled by e_j = λ ε_j, at λ = 0")
    if side == "boundary":
        if _under_closure(spec):
            if _consistent_noiseless(spec):
                system = linear_family(spec.strategy, fixed, False)
                return Regime("interpolation threshold, noiseless", system, (), exact_zero=True,
                              null_atoms=null,
                              null_densities=null_atom_densities(system, groups) if null else {},
                              description="square noiseless consistent system: w1 is "
                                          "recovered exactly on the seen coordinates")
            raise DivergenceError(
                f"interpolation threshold: lam = 0 with phi = {_show(spec.phi)} puts as many "
                "rows as coordinates, and the noise or label shift makes the ridgeless test "
                "error diverge (+inf); use lam > 0 or move phi off the threshold",
                parts=threshold_parts(spec))
        raise UnsupportedError(
            "ridgeless limit on the boundary where one group's rows are exactly as many as "
            "its own coordinates: not derived; use lam > 0")
    raise UnsupportedError(
        "ridgeless limit (lam = 0) where one group's rows are interpolated and the other's "
        "are not (supports of s1 and s2 differ): not derived; use lam > 0")


def projection_side(spec: Spec) -> str:
    """'sketch' (m < min(n, d)), 'features' (d < min(n, m)), 'interpolating'
    (n < min(d, m)), 'invertible' (m = d < n) or 'threshold'."""
    groups = present_groups(spec)
    phi_eff = spec.phi * _w(spec, lambda a: _visible(a, groups))
    psi = spec.psi
    one = Fraction(1)
    if _lt(psi, one) and _lt(psi, phi_eff):
        return "sketch"
    if _lt(phi_eff, one) and _lt(phi_eff, psi):
        return "features"
    if _lt(one, phi_eff) and _lt(one, psi):
        return "interpolating"
    if _eq(psi, phi_eff) and _lt(psi, one):
        return "invertible"
    return "threshold"


def _weights_irrelevant(spec: Spec) -> bool:
    r"""Whether the ridgeless fit ignores the weighting: both groups present with positive
    weights (0 < α < 1) and every row interpolated.  Then
    :math:`(X^\top AX + \mu)^{-1}X^\top A = X^\top(XX^\top + \mu A^{-1})^{-1}
    \to X^\top(XX^\top)^{-1}` as μ → 0⁺ for any positive diagonal A: the weighted and the
    plain mixture have the same minimum-norm interpolator (in x, or in the features Sx)."""
    return spec.strategy == "weighted" and len(present_groups(spec)) == 2


def _projection(spec: Spec) -> Regime:
    groups = present_groups(spec)
    fixed = fixed_parameters(spec)
    if spec.lam > 0:
        side = projection_side(spec) if _w(spec, lambda a: _visible(a, groups)) else "sketch"
        tiny = _lt(spec.lam, _spectral_scale(spec) / 1000)
        scaled = ()
        if tiny and side == "features":
            scaled = ("L",)
        elif tiny and side == "interpolating":
            scaled = ("e", "L")
        return Regime("ridge", model_family("random_projection", spec.strategy, fixed, scaled),
                      spec.atoms, description="ridge λ > 0" + (
                          f" (solved in the rescaled variables {', '.join(scaled)})" if scaled else ""))
    full = all(all((a.s1, a.s2)[j] > 0 for j in groups) for a in spec.atoms)
    if not full:
        raise UnsupportedError(
            "ridgeless random projections (lam = 0) are derived for full supports (every "
            "atom with s1 > 0 and s2 > 0 for the groups present); use lam > 0")
    side = projection_side(spec)
    if side == "sketch":
        return Regime("ridgeless, projection-limited (m < min(n, d))",
                      model_family("random_projection", spec.strategy, fixed, ()), spec.atoms,
                      description="λ → 0⁺ with fewer features than samples and dimensions: "
                                  "L stays positive; the direct system at λ = 0")
    if side == "features":
        return Regime("ridgeless, feature-rich (d < min(n, m))",
                      model_family("random_projection", spec.strategy, fixed, ("L",)),
                      spec.atoms, description="λ → 0⁺ with L = λℓ, at λ = 0")
    if side == "interpolating":
        if _weights_irrelevant(spec):
            return Regime("ridgeless, interpolating (n < min(d, m))", None, spec.atoms,
                          delegate=spec.replace(strategy="plain", alpha=None),
                          description="λ → 0⁺ with every row interpolated: the minimum-norm "
                                      "interpolator in the features, which no positive "
                                      "weighting of the rows changes (the plain mixture's "
                                      "value)")
        return Regime("ridgeless, interpolating (n < min(d, m))",
                      model_family("random_projection", spec.strategy, fixed, ("e", "L")),
                      spec.atoms, description="λ → 0⁺ with L = λℓ and e_j = λε_j, at λ = 0")
    if side == "invertible":
        return Regime("ridgeless, invertible projection (m = d < n)", None, spec.atoms,
                      delegate=spec.replace(model="linear", psi=None),
                      description="S is square and invertible: least squares in x, the "
                                  "linear model's ridgeless value")
    signal_free = all(a.theta == 0 for a in spec.atoms if _visible(a, groups))
    if _consistent_noiseless(spec) and (spec.psi >= spec.phi or signal_free):
        return Regime("interpolation threshold, noiseless", None, (), exact_zero=True,
                      description="noiseless consistent labels at the threshold with m ≥ d "
                                  "(or w1 = 0 on the seen coordinates): w1 is recovered exactly")
    raise DivergenceError(
        f"interpolation threshold: lam = 0 with phi = {_show(spec.phi)} and psi = "
        f"{_show(spec.psi)} (min(phi, psi) = 1): the ridgeless test error diverges (+inf); "
        "use lam > 0 or move off the threshold", parts=threshold_parts(spec))


def _show(x) -> str:
    return str(x) if not isinstance(x, Fraction) or x.denominator == 1 else f"{float(x):.10g}"
