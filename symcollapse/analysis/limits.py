r"""Closed forms derived by SymPy from the fixed-point systems of :mod:`~symcollapse.core.equations`.

Nothing here is typed in: the isotropic closed forms come from the same
:class:`~symcollapse.core.equations.System` that the numerics solve, expanded on one symbolic
atom and reduced step by step (each step is checked, and recorded in :class:`Step` for
the derivation documents).

Isotropic linear model (Σ1 = Σ2 = sI, ‖w1‖² = r², Tr Δ = c², plain mixing):

1. with one atom the equations of e1 and e2 coincide once e2 = e1, and so do those of
   u1 and u2: the unique positive solution is symmetric, e1 = e2 = e, u1 = u2 = u;
2. e solves a quadratic :math:`s e^2 + (\varphi s + \lambda - s)e - \lambda = 0` whose
   roots have product :math:`-\lambda/s < 0` for λ > 0: exactly one is positive, the
   one with :math:`+\sqrt{\cdot}`;
3. u solves a linear equation;
4. ridgeless: on the underparametrized side (φ < 1) the direct system at λ = 0 gives
   e = 1 − φ; on the interpolating side (φ > 1) the rescaled system (e = λε) at λ = 0
   gives ε = 1/(s(φ − 1)); at φ = 1 the one-sided limits are taken.

>>> import sympy as sp
>>> phi = sp.Symbol("phi", positive=True)
>>> cfg = {"phi": phi, "p2": sp.Rational(1, 10), "lam": 0, "sigma1": 0, "sigma2": 0,
...        "atoms": [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]}
>>> closed_form(cfg, "zeta")  # p2² + p1p2φ/(1−φ) and c²p2(φ−p2)/(φ(φ−1)) at p2 = 1/10
Piecewise((-(8*phi + 1)/(100*(phi - 1)), phi < 1), ((10*phi - 1)/(100*phi*(phi - 1)), phi > 1), (oo, True))
"""
from __future__ import annotations

import dataclasses
import functools
import random
import zlib
from dataclasses import dataclass
from fractions import Fraction

import mpmath as mp
import sympy as sp

from symcollapse import models
from symcollapse.core import determinism as sym, equations as eq
from symcollapse.core.compiled import atoms_mp, compile_system, to_mpf
from symcollapse.core.decomposition import predict
from symcollapse.core.equations import PARTS
from symcollapse.core.errors import ConfigError, UnsupportedError
from symcollapse.core.regimes import model_family, parameter_values, select
from symcollapse.core.solve import newton_mp, solve_point
from symcollapse.core.spec import parse

# Symbols for the isotropic atom (the toolkit's own names, docs/contract.md).
s_iso = sp.Symbol("s", positive=True)
r2 = sp.Symbol("r2", nonnegative=True)
c2 = sp.Symbol("c2", nonnegative=True)
e_iso = sp.Symbol("e", positive=True)
u_iso = sp.Symbol("u")


@dataclass(frozen=True)
class Step:
    """One checked step of a derivation: what was done, the result, and the check."""

    text: str
    result: object
    check: str = ""


@dataclass(frozen=True)
class IsoAtom:
    weight: object = 1
    s1: object = s_iso
    s2: object = s_iso
    theta: object = r2
    delta: object = c2


def _symmetric_reduction(system: eq.System, pairs):
    """Substitute x2 = x1 for each pair (x1, x2) and check that the two equations of each
    pair then coincide (so the symmetric point solves both)."""
    sub = {b: a for a, b in pairs}
    eqs = dict(zip(system.unknowns, system.equations))
    for a, b in pairs:
        if sym.simplify(sp.together(eqs[a].xreplace(sub) - eqs[b].xreplace(sub))) != 0:
            raise AssertionError(f"isotropic reduction: the equations of {a} and {b} differ")
    return sub


#: The sides of each model for which an isotropic closed form is derived: the rescaling of
#: the family (:func:`~symcollapse.core.regimes.model_family`), the region (a SymPy condition)
#: and a rational sample point inside it (used to pick roots and checked against).
SIDES = {
    "linear": {
        "ridge": ((), sp.true, {eq.phi: sp.Rational(7, 5), eq.lam: sp.Rational(1, 3)}),
        "under": ((), eq.phi < 1, {eq.phi: sp.Rational(1, 2)}),
        "over": (("e",), eq.phi > 1, {eq.phi: sp.Rational(5, 2)}),
    },
    "random_projection": {
        "ridge": ((), sp.true, {eq.phi: sp.Rational(7, 5), eq.psi: sp.Rational(3, 5),
                                eq.lam: sp.Rational(1, 3)}),
        "sketch": ((), (eq.psi < 1) & (eq.psi < eq.phi), {eq.phi: 2, eq.psi: sp.Rational(1, 2)}),
        "features": (("L",), (eq.phi < 1) & (eq.phi < eq.psi), {eq.phi: sp.Rational(1, 2), eq.psi: 2}),
        "interpolating": (("e", "L"), (eq.phi > 1) & (eq.psi > 1), {eq.phi: 2, eq.psi: 3}),
    },
}


def largest_real_root(poly: sp.Poly, steps):
    r"""The largest real root of a polynomial of degree ≤ 3, as an explicit expression.

    Degree 2: :math:`(-b + \sqrt{b^2 - 4ac})/(2a)` (leading coefficient > 0).  Degree 3:
    with e = t − b/(3a) the depressed cubic t³ + pt + q = 0; when it has three real roots
    (4p³ + 27q² < 0) the largest is :math:`2\sqrt{-p/3}\cos(\tfrac13\arccos(\tfrac{3q}{2p}
    \sqrt{-3/p}))`, otherwise the only real root is the sum of real cube roots
    :math:`\sqrt[3]{-q/2 + \sqrt D} + \sqrt[3]{-q/2 - \sqrt D}`, :math:`D = q^2/4 + p^3/27`.
    (SymPy's `solve` returns Cardano's three branches with principal roots, whose order
    changes across parameter regions, so the branch is written out here.)
    """
    x = poly.gen
    coeffs = poly.all_coeffs()
    if poly.degree() == 1:
        return sym.simplify(-coeffs[1] / coeffs[0])
    if poly.degree() == 2:
        a, b, c = coeffs
        return (-b + sp.sqrt(b ** 2 - 4 * a * c)) / (2 * a)
    if poly.degree() != 3:
        raise AssertionError(f"degree {poly.degree()} polynomial: no explicit root here")
    a, b, c, d = coeffs
    p = sym.simplify((3 * a * c - b ** 2) / (3 * a ** 2))
    q = sym.simplify((2 * b ** 3 - 9 * a * b * c + 27 * a ** 2 * d) / (27 * a ** 3))
    shift = -b / (3 * a)
    trig = 2 * sp.sqrt(-p / 3) * sp.cos(sp.acos(3 * q / (2 * p) * sp.sqrt(-3 / p)) / 3)
    D = q ** 2 / 4 + p ** 3 / 27

    def cbrt(z):
        return sp.sign(z) * sp.Abs(z) ** sp.Rational(1, 3)

    real = cbrt(-q / 2 + sp.sqrt(D)) + cbrt(-q / 2 - sp.sqrt(D))
    steps.append(Step("Depressed cubic t³ + pt + q (e = t − b/3a) with", {sp.Symbol("p"): p, sp.Symbol("q"): q}))
    return shift + sp.Piecewise((trig, 4 * p ** 3 + 27 * q ** 2 < 0), (real, True))


def _first_order_split(system):
    names = {"e1", "e2", "epsilon1", "epsilon2", "L", "ell"}
    first = [x for x in system.unknowns if str(x) in names]
    rates = [x for x in system.unknowns if str(x) not in names]
    return first, rates


@functools.lru_cache(maxsize=None)
def isotropic(model: str, side: str):
    """Closed forms of an isotropic model (Σ1 = Σ2 = sI, plain mixing) on one side.

    ``model`` is ``"linear"`` or ``"random_projection"``; ``side`` a key of
    :data:`SIDES` (``"ridge"`` for λ > 0, else a side of the ridgeless limit).  Returns
    ``(parts, steps, info)``: parts → expressions in the internal symbols (phi, psi, p2,
    lambda, sigma1, sigma2, s, r2, c2), the checked steps, and ``info`` with the
    polynomial of the first-order unknown, the chosen root and the parts as rational
    functions of that unknown.
    """
    scaled, region, sample = SIDES[model][side]
    steps = []
    fam = model_family(model, "plain", (), scaled)
    system = fam.expand_traces([IsoAtom()])
    if side != "ridge":
        system = eq.limit_at_zero(system, eq.lam, system.name + "/ridgeless")
    first, rates = _first_order_split(system)
    e_pair = tuple(x for x in first if str(x)[-1] in "12")
    u_pair = tuple(x for x in rates if str(x)[-1] in "12")
    sub = _symmetric_reduction(system, [e_pair, u_pair])
    steps.append(Step("With one atom and s1 = s2 the equations of the two groups coincide "
                      "after relabelling: the positive solution is symmetric.",
                      sub, "sympy: the two residuals are identical after the substitution"))
    eqs = {x: sp.together(f.xreplace(sub)) for x, f in zip(system.unknowns, system.equations)}
    rule = "largest" if side == "ridge" else "positive"
    x1, elim, root, poly = _first_order_root(eqs, e_pair[0], [x for x in first if x not in e_pair],
                                             _side_label(model, side), rule, sample, steps)
    if poly.degree() <= 2:
        steps.append(Step(f"The root for {x1}:" if side == "ridge" else
                          f"It solves the polynomial of {x1} exactly:",
                          sp.Eq(x1, root) if side == "ridge" else None,
                          "sympy: substituted into the polynomial, it simplifies to 0"))
    # second order: linear in the rates
    rate_syms = [u_pair[0]] + [x for x in rates if x not in u_pair]
    lin = [sp.numer(sp.together(eqs[x].xreplace(sub).xreplace(elim))) for x in [u_pair[0]] +
           [r for r in rates if r not in u_pair]]
    sol = sym.solve(lin, rate_syms, dict=True)
    if len(sol) != 1:
        raise AssertionError("second order: not a unique linear solution")
    rate_vals = {k: sym.factor(v) for k, v in sol[0].items()}
    steps.append(Step(f"Second order: linear in {', '.join(map(str, rate_syms))}; in terms of {x1}:",
                      rate_vals, "sympy: the linear system has a unique solution"))
    full = dict(sub)
    in_x = {}
    for name in PARTS:
        dens = sp.sympify(system.densities[name]).xreplace(sub).xreplace(rate_vals).xreplace(elim)
        in_x[name] = sym.factor(sp.cancel(dens))
    steps.append(Step(f"Bias, Var and ζ as rational functions of {x1}:", dict(in_x)))
    parts = {}
    for name in PARTS:
        expr = in_x[name].xreplace({x1: root})
        parts[name] = expr if side == "ridge" else sym.factor(sym.simplify(expr))
    _check_at_points(system, full, rate_vals, elim, x1, root, model, side)
    steps.append(Step(f"Substituting the root for {x1}:", parts,
                      "50-digit check at random rational points: every residual vanishes"))
    info = {"polynomial": poly, "unknown": x1, "root": root, "rational": in_x,
            "eliminated": elim, "rates": rate_vals, "region": region}
    return parts, steps, info


def _positive_at(expr, point) -> bool:
    """True when expr is real and > 0 at a rational point (30-digit evaluation)."""
    v = sp.N(sp.sympify(expr).subs(point), 30)
    re, im = v.as_real_imag()
    return abs(im) < 1e-20 * (1 + abs(re)) and re > 0


def _is_rational_function(expr) -> bool:
    expr = sp.sympify(expr)
    return not expr.has(sp.Piecewise) and all(
        not (isinstance(a, sp.Pow) and not a.exp.is_Integer) for a in sp.preorder_traversal(expr))


def _side_label(model, side):
    return "ridge λ > 0" if side == "ridge" else f"Ridgeless, {side} side"


def _first_order_root(eqs, x1, others, label, rule, sample, steps):
    """Solve the first-order equations of an isotropic system for their physical root.

    ``eqs`` maps each unknown to its residual (after the symmetric reduction); ``x1`` is
    the first-order unknown kept (e1 or ε1), ``others`` the ones eliminated first (L or ℓ:
    the equation of x1 is linear in them).  What remains is a polynomial in x1.  ``rule``:
    ``"largest"`` takes its largest real root (:func:`largest_real_root`; the physical one
    for a ridge λ > 0), ``"positive"`` the only root with every first-order unknown > 0 at
    the rational ``sample`` point of the region.  Returns ``(x1, elim, root, poly)``.
    """
    elim = {}
    deferred = [y for y in others if not eqs[x1].has(y)]
    others = [y for y in others if y not in deferred]
    for y in others:
        sol = sym.solve(sp.numer(eqs[x1]), y)
        if len(sol) != 1:
            raise AssertionError(f"{label}: cannot eliminate {y} from the equation of {x1}")
        elim[y] = sym.factor(sol[0])
        steps.append(Step(f"The equation of {x1} is linear in {y}:", sp.Eq(y, elim[y])))
    target = eqs[others[0]].xreplace(elim) if others else eqs[x1]
    num = sym.factor(sp.numer(sp.together(target)))
    factors = [f for f, _m in sym.factor_list(num)[1] if f.has(x1)]
    poly = sp.Poly(sp.Mul(*factors), x1)
    steps.append(Step(f"First order: {x1} is a root of a polynomial of degree {poly.degree()}:",
                      sp.Eq(sp.collect(sp.expand(poly.as_expr()), x1), 0)))
    full_sample = {eq.phi: sp.Rational(7, 5), eq.psi: sp.Rational(3, 5), eq.lam: sp.Rational(1, 3),
                   s_iso: sp.Rational(3, 2), eq.p2: sp.Rational(1, 5), rho: sp.Rational(1, 2)}
    full_sample.update(sample)
    if rule == "largest":
        if poly.degree() == 2:
            a, _b, c = poly.all_coeffs()
            product = sym.simplify(c / a)
            if sym.simplify(product + eq.lam / s_iso) != 0:
                raise AssertionError(f"product of the roots is {product}, not -lambda/s")
            steps.append(Step("The roots multiply to c/a = −λ/s < 0, so exactly one is positive: "
                              "the larger one.", sp.Eq(sp.Symbol("e_{+} e_{-}"), product),
                              "sympy: the product is -λ/s"))
        elif poly.degree() == 3:
            steps.append(Step(
                "On the physical interval max(0, 1 − φs', 1 − ψs') < e < 1 (where L > 0 and "
                "ρ > tr(MK⁻¹)) the polynomial is strictly increasing, negative at the left end "
                "and positive at e = 1, and has no root above 1: the physical root is the "
                "largest real root.", None))
        root = largest_real_root(poly, steps)
    else:
        candidates = sp.roots(poly, x1, multiple=True)
        good = []
        for r in candidates:
            if _positive_at(r, full_sample) and all(
                    _positive_at(sp.sympify(v).xreplace({x1: r}), full_sample) for v in elim.values()):
                good.append(r)
        if len(good) != 1:
            raise AssertionError(f"{label}: expected one physical root, found {good}")
        root = sym.factor(good[0])
        steps.append(Step(f"{label}: the only root with every first-order unknown "
                          "positive in this region:", sp.Eq(x1, root)))
    if poly.degree() <= 2 and sym.simplify(poly.as_expr().xreplace({x1: root})) != 0:
        raise AssertionError(f"{label}: the chosen root does not solve the polynomial")
    for y in deferred:  # an unknown that the equation of x1 does not involve: its own equation
        own = sym.factor(sp.numer(sp.together(eqs[y].xreplace(elim).xreplace({x1: root}))))
        cands = [r for r in sp.roots(sp.Poly(own, y), multiple=True) if _positive_at(r, full_sample)]
        if len(cands) != 1:
            raise AssertionError(f"{label}: expected one positive root for {y}, found {cands}")
        elim[y] = sym.factor(cands[0])
        steps.append(Step(f"Then {y} from its own equation (its positive root):", sp.Eq(y, elim[y])))
    return x1, elim, root, poly


def _check_at_points(system, sub, rate_vals, elim, x1, root, model, side, count=4):
    """50-digit check: the closed-form solution solves every equation of the system."""
    rng = random.Random(zlib.crc32(f"{model}/{side}".encode()))
    scaled, region, sample = SIDES[model][side]
    checked = 0
    tries = 0
    while checked < count and tries < 200:
        tries += 1
        pt = {eq.phi: sp.Rational(rng.randint(1, 60), 20), eq.psi: sp.Rational(rng.randint(1, 60), 20),
              eq.lam: sp.Rational(rng.randint(1, 40), 20), eq.p2: sp.Rational(rng.randint(0, 10), 10),
              s_iso: sp.Rational(rng.randint(1, 8), 4), eq.sigma1: sp.Rational(1, 2),
              eq.sigma2: sp.Rational(1, 3), r2: 1, c2: 2}
        if region is not sp.true and not bool(region.subs(pt)):
            continue
        values = {x1: sp.N(root.subs(pt), 60)}
        for y, v in elim.items():
            values[y] = sp.N(sp.sympify(v).subs(pt).xreplace(values), 60)
        for k, v in rate_vals.items():
            values[k] = sp.N(sp.sympify(v).subs(pt).xreplace(values), 60)
        for k, v in sub.items():
            values[k] = values[v]
        for f in system.equations:
            r = sp.N(sp.sympify(f).subs(pt).xreplace(values), 50)
            if abs(r) > 1e-40:
                raise AssertionError(f"{model}/{side}: residual {r} at {pt}")
        checked += 1
    if checked < count:
        raise AssertionError(f"{model}/{side}: no sample points in the region")


def isotropic_linear(side: str):
    """The linear model's isotropic closed forms (see :func:`isotropic`)."""
    parts, steps, _info = isotropic("linear", side)
    return parts, steps


@functools.lru_cache(maxsize=None)
def _ridgeless_piecewise(model: str, part: str):
    """The isotropic ridgeless closed form of a part: one piece per ridgeless side of
    :data:`SIDES` on its region, then the model's boundaries (:data:`BOUNDARIES`)."""
    pieces = [(isotropic(model, side)[0][part], region)
              for side, (_scaled, region, _sample) in SIDES[model].items() if side != "ridge"]
    return sp.Piecewise(*pieces, *BOUNDARIES[model](part))


def _linear_boundaries(part):
    """φ = 1: the value at the interpolation threshold (:func:`_threshold_value`)."""
    under, over = (isotropic("linear", side)[0][part] for side in ("under", "over"))
    return [(_threshold_value(under, over), True)]


def _projection_boundaries(part):
    """m = d < n: the projection is invertible, the linear model's underparametrized
    error; other boundaries (min(φ, ψ) = 1): not a number."""
    invertible = isotropic("linear", "under")[0][part]
    return [(invertible, sp.Eq(eq.psi, eq.phi) & (eq.phi < 1)), (sp.nan, True)]


#: The pieces of each model's ridgeless closed form outside the regions of its sides.
BOUNDARIES = {"linear": _linear_boundaries, "random_projection": _projection_boundaries}


def _threshold_value(under, over):
    """The value at φ = 1: the common one-sided limit, or NaN if they differ."""
    left = sp.limit(under, eq.phi, 1, "-")
    right = sp.limit(over, eq.phi, 1, "+")
    if left.has(sp.Limit) or right.has(sp.Limit):
        return sp.nan
    if sym.simplify(left - right) == 0 or (left == right):
        return left
    return sp.nan


def _sympy_value(v):
    if isinstance(v, Fraction):
        return sp.Rational(v.numerator, v.denominator)
    return sp.sympify(v)


def closed_form(config, part: str = "test_error"):
    """A closed form of ``part`` (test_error, bias, variance or zeta) for a config.

    Available for isotropic configs (one atom, s1 = s2) with plain mixing, for the linear
    and the random projections models.  Config values may be SymPy symbols or expressions;
    they appear unchanged, and p1 is written 1 − p2.  For λ = 0 the answer depends on the
    side of the interpolation threshold and is a ``Piecewise`` (linear: φ < 1, φ > 1 and
    the limit at φ = 1; projections: the three ridgeless regimes of min(n, m, d) and the
    invertible case m = d < n; other boundaries are left undefined, NaN: see ``predict``).
    For random projections with λ > 0 the fixed point is a cubic, whose physical root is
    written out (:func:`~symcollapse.analysis.limits.largest_real_root`).
    """
    if part not in PARTS:
        raise ConfigError(f"part = {part!r} is not allowed: allowed "
                          + ", ".join(PARTS))
    spec = parse(config, symbolic=True)
    if spec.model not in SIDES or spec.strategy != "plain":
        raise UnsupportedError("closed_form: available for the linear and random projections "
                               "models with plain mixing in this version")
    if len(spec.atoms) != 1 or sym.simplify(_sympy_value(spec.atoms[0].s1)
                                           - _sympy_value(spec.atoms[0].s2)) != 0:
        raise UnsupportedError("closed_form: available for one atom with s1 = s2 "
                               "(isotropic Σ1 = Σ2 = sI); use predict for other spectra")
    a = spec.atoms[0]
    values = {eq.phi: spec.phi, eq.p2: spec.p2, eq.lam: spec.lam, eq.sigma1: spec.sigma1,
              eq.sigma2: spec.sigma2, s_iso: a.s1, r2: a.theta, c2: a.delta}
    if spec.psi is not None:
        values[eq.psi] = spec.psi
    values = {k: _sympy_value(v) for k, v in values.items()}
    if values[eq.lam] == 0:
        expr = _ridgeless_piecewise(spec.model, part)
    else:
        expr = isotropic(spec.model, "ridge")[0][part]
    result = expr.xreplace(values)
    if isinstance(result, sp.Piecewise):
        result = sp.piecewise_fold(result)
        if isinstance(result, sp.Piecewise):
            result = sp.Piecewise(*[(sym.factor(e) if not e.has(sp.Piecewise) else e, c)
                                    for e, c in result.args])
        else:
            result = sym.factor(result) if not result.has(sp.cos) else result
    return result


# ----------------------------------------------------------------------------- model limits

#: 1/ψ, m/d and the rescaled ridge λ0 = λφ/ψ (the toolkit's own names).
eta = sp.Symbol("eta", positive=True)
rho = sp.Symbol("rho", positive=True)
lam0 = sp.Symbol("lambda0", positive=True)


@functools.lru_cache(maxsize=None)
def projection_large_psi(strategy: str = "plain"):
    r"""The random projections model as ψ → ∞ with the ridge scaled as λ = λ0 ψ/φ.

    Substitute ψ = 1/η and λ = λ0/(ηφ), divide each equation by its leading power of η
    (:func:`~symcollapse.core.equations.rescale`) and set η = 0.  The L equation becomes
    L = λ0 and the sketch equation b = 0; what remains is the linear model's system at
    ridge λ0.  Returns ``(limit_system, steps)``; each step is checked.

    (At a fixed λ instead, L = λφ/ψ·(1 + O(1/ψ)) → 0: the ridgeless linear model.)
    """
    steps = []
    system = model_family("random_projection", strategy, (), ())
    moved = system.subs({eq.psi: 1 / eta, eq.lam: lam0 / (eta * eq.phi)})
    resc = eq.rescale(moved, {}, eta, "projection/psi->oo")
    limit = eq.limit_at_zero(resc, eta, "projection/psi=oo")
    eqs = dict(zip(limit.unknowns, limit.equations))
    L_sol = sym.solve(eqs[eq.L_eff], eq.L_eff)
    b_sol = sym.solve(eqs[eq.b_rate].subs(eq.L_eff, lam0), eq.b_rate)
    if L_sol != [lam0] or b_sol != [0]:
        raise AssertionError(f"psi -> oo: expected L = lambda0 and b = 0, got {L_sol}, {b_sol}")
    steps.append(Step("As ψ → ∞ with λ = λ0ψ/φ the effective ridge and sketch equations become",
                      {eq.L_eff: L_sol[0], eq.b_rate: b_sol[0]}, "sympy: solved from the limit system"))
    linear = model_family("linear", strategy, (), ()).subs({eq.lam: lam0})
    sub = {eq.L_eff: lam0, eq.b_rate: 0}
    for x, f in zip(limit.unknowns, limit.equations):
        if x in (eq.L_eff, eq.b_rate):
            continue
        g = dict(zip(linear.unknowns, linear.equations))[x]
        if sym.simplify(f.xreplace(sub) - g) != 0:
            raise AssertionError(f"psi -> oo: the equation of {x} differs from the linear model's")
    for k in PARTS:
        if sym.simplify(sp.sympify(limit.densities[k]).xreplace(sub)
                       - sp.sympify(linear.densities[k])) != 0:
            raise AssertionError(f"psi -> oo: {k} differs from the linear model's")
    steps.append(Step("With L = λ0 and b = 0 every remaining equation and every density is the "
                      "linear model's at ridge λ0.", None,
                      "sympy: equation by equation and density by density, differences simplify to 0"))
    return limit, steps


@functools.lru_cache(maxsize=None)
def large_n_system(system: eq.System) -> eq.System:
    r"""n → ∞ at fixed m/d: substitute ψ = ρφ and set φ = 0 (so e_j = 1, u_j = 0).

    For the linear model this is the floor :math:`\lambda^2\operatorname{tr}(\Theta
    \Sigma_1K_0^{-2}) + a_2^2\operatorname{tr}(\Delta\Sigma_1\Sigma_2^2K_0^{-2})`,
    :math:`K_0 = a_1\Sigma_1 + a_2\Sigma_2 + \lambda`; for random projections the same with
    the effective ridge L of a width-ρ sketch and its sketch term b: the collapse floor of
    a finite-width model.
    """
    moved = system.subs({eq.psi: rho * eq.phi}) if eq.psi in system.parameters else system
    resc = eq.rescale(moved, {}, eq.phi, system.name + "/n->oo")
    return eq.limit_at_zero(resc, eq.phi, system.name + "/n->oo")


def floor(config, dps: int = 30) -> dict:
    """The n → ∞ limit of the test error (and its parts) at fixed p2, λ and m/d: the
    strong-model-collapse floor, for both models.  Returns mpf values and ``rho``."""

    spec = parse(config)
    small = Fraction(1, 10 ** 6)
    rep = spec.replace(phi=small) if spec.psi is None else spec.replace(
        phi=small, psi=small * spec.psi / spec.phi)
    regime = select(rep)
    if regime.delegate is not None:
        res = floor(regime.delegate.replace(phi=spec.phi), dps)
        res["regime"] = regime.name
        return res
    if regime.system is None:
        raise UnsupportedError(f"floor: regime {regime.name!r} has no system to take n → ∞ in")
    limit = large_n_system(regime.system)
    params = parameter_values(spec)
    if spec.psi is not None:
        params[rho] = spec.psi / spec.phi
    with mp.workdps(dps + 15):
        c = compile_system(limit)
        sol = solve_point(c, params, regime.atoms, dps=dps)
        outs = c.outputs_mp(sol.x, c.values_mp(params), atoms_mp(regime.atoms))
    with mp.workdps(dps):
        res = {k: +outs[k] for k in PARTS}
    res["regime"] = regime.name
    if spec.psi is not None:
        res["rho"] = spec.psi / spec.phi
    return res


# ----------------------------------------------------------------------------- one-parameter limits
#
# A limit of the paper is a path in the parameters, p = p(τ), τ → 0⁺ (p2 = τ; λ = τ;
# λ = 1/τ; ψ = 1/τ with λ = λ0ψ/φ; φ = τ, …), possibly with unknowns that scale with τ
# (L = ℓ/τ when λ = 1/τ).  Substituted into a system and rescaled (each equation divided
# by its leading power of τ, :func:`~symcollapse.core.equations.rescale`) it is a family F(x, τ)
# that is regular at τ = 0.  Its *expansion system* has the limit point x0 and the first
# derivative x1 = dx/dτ at τ = 0 as unknowns:
#
#     F(x0, 0) = 0,     ∂_x F(x0, 0)·x1 + ∂_τ F(x0, 0) = 0,
#
# and two outputs per part: E0 = E(x0, 0) (the limit) and E1 = ∂_x E·x1 + ∂_τ E (the
# first-order term: E(τ) = E0 + E1 τ + O(τ²) when the Jacobian is invertible at x0).  It
# is an ordinary System: the numerics solve it like any other, and on the isotropic atom
# SymPy solves it in closed form (first the limit system, then linear systems for x1).

tau = sp.Symbol("tau", positive=True)


@dataclass(frozen=True)
class Limit:
    """A one-parameter limit τ → 0⁺ of a model (see the comment above this class).

    ``substitution(spec)`` gives the parameter path (symbol → expression in τ),
    ``scalings(spec)`` the unknowns that scale with τ (old → τ^k·new), ``config_at(spec,
    t)`` the config at τ = t (for the numerical confirmation along a sequence), and
    ``condition`` says in words where the limit is taken.
    """

    name: str
    statement: str
    models: tuple
    variable: str           # what τ is, in words (e.g. "τ = p₂", "τ = 1/λ")
    condition: str = ""

    def substitution(self, spec) -> dict:
        return _LIMIT_PATHS[self.name](spec)[0]

    def scalings(self, spec) -> dict:
        return _LIMIT_PATHS[self.name](spec)[1]

    def config_at(self, spec, t):
        """The spec at τ = t (a Fraction)."""
        return _LIMIT_PATHS[self.name](spec)[2](t)


def _scaled_keys(system) -> tuple:
    keys = []
    if eq.e1 in system.scale or eq.e2 in system.scale:
        keys.append("e")
    if eq.L_eff in system.scale:
        keys.append("L")
    return tuple(keys)


def _family(spec):
    """The family F(x; parameters) that answers a spec (its regime's system, all
    parameters kept free), and the regime."""
    regime = select(spec)
    if regime.system is None or regime.delegate is not None or regime.exact_zero or regime.null_atoms:
        raise UnsupportedError(f"limits: regime {regime.name!r} has no family to expand in")
    return model_family(spec.model, spec.strategy, (), _scaled_keys(regime.system)), regime


def _p2_path(spec):
    return {eq.p2: tau}, {}, lambda t: spec.replace(p2=t)


def _c2_path(spec):
    def at(t):
        return spec.replace(atoms=tuple(dataclasses.replace(a, delta=a.delta * t) for a in spec.atoms))
    return {eq.DELTA: tau * eq.DELTA}, {}, at


def _lam0_path(spec):
    return {eq.lam: tau}, {}, lambda t: spec.replace(lam=t)


def _lam_oo_path(spec):
    return {eq.lam: 1 / tau}, _large_lam_scalings(spec.model), lambda t: spec.replace(lam=1 / t)


def _psi_oo_path(spec):
    # λ = λ0 ψ/φ: the symbol lambda stands for λ0 after the substitution
    lam0_ = spec.lam
    return ({eq.psi: 1 / tau, eq.lam: eq.lam / (tau * eq.phi)}, {},
            lambda t: spec.replace(psi=1 / t, lam=lam0_ / (t * spec.phi)))


def _n_oo_path(spec):
    size = models.get(spec.model).size_key
    if size is not None:                  # the model size grows with d: m/d = ρ fixed
        ratio = getattr(spec, size) / spec.phi
        return ({eq.phi: tau, getattr(eq, size): rho * tau}, {},
                lambda t: spec.replace(phi=t, **{size: ratio * t}))
    return {eq.phi: tau}, {}, lambda t: spec.replace(phi=t)


def _large_lam_scalings(model: str) -> dict:
    """The unknowns that vanish as λ → ∞ (the model's ``limit_scalings``), each written
    as a new finite symbol over τ = 1/λ (e.g. L = ℓ/τ)."""
    return {getattr(eq, x): sp.Symbol(new, positive=True) / tau
            for x, new in models.get(model).limit_scalings.get("lam->oo", {}).items()}


_LIMIT_PATHS = {"p2->0": _p2_path, "c2->0": _c2_path, "lam->0": _lam0_path,
                "lam->oo": _lam_oo_path, "psi->oo": _psi_oo_path, "n->oo": _n_oo_path}

LIMITS = {
    "p2->0": Limit("p2->0", "No synthetic data: ζ vanishes and the classical ridge error remains.",
                   ("linear", "random_projection", "random_features"), "τ = p₂"),
    "c2->0": Limit("c2->0", "Perfect synthetic labels (Δ = 0): ζ vanishes, exactly linearly in Δ.",
                   ("linear", "random_projection", "random_features"), "Δ → τΔ"),
    "lam->0": Limit("lam->0", "The ridgeless limit λ → 0⁺, on the side of the interpolation "
                    "threshold where the config lies.", ("linear", "random_projection"), "τ = λ",
                    "off the interpolation threshold (the regime of the config at λ = 0)"),
    "lam->oo": Limit("lam->oo", "Infinite ridge: ŵ → 0 and E_test → ‖w1‖²_{Σ1} = tr(θΣ1).",
                     ("linear", "random_projection"), "τ = 1/λ"),
    "psi->oo": Limit("psi->oo", "An infinitely wide model with λ = λ0ψ/φ is the linear model at "
                     "ridge λ0.", ("random_projection",), "τ = 1/ψ, λ = λ0/(τφ)"),
    "n->oo": Limit("n->oo", "Infinite data at fixed p₂ (and m/d): the strong-collapse floor, "
                   "and the first-order term in d/n above it.",
                   ("linear", "random_projection", "random_features"),
                   "τ = φ = d/n (ψ = ρτ with ρ = m/d fixed)"),
}


@functools.lru_cache(maxsize=None)
def expansion_system(family: eq.System, substitution: tuple, scalings: tuple, name: str) -> eq.System:
    """The expansion system of a family along a path (see the comment above
    :class:`Limit`).  Unknowns: those of the rescaled family (x0) and ``D<x>`` (x1);
    outputs: each part (its limit) and ``d_<part>`` (its first-order coefficient)."""
    moved = family.subs(dict(substitution)) if substitution else family
    moved = dataclasses.replace(  # each trace over one denominator
        moved, equations=tuple(_together_traces(f) for f in moved.equations),
        densities={k: sp.together(_together_traces(v)) for k, v in moved.densities.items()})
    fam = eq.rescale(moved, dict(scalings), tau, name)
    fam = dataclasses.replace(fam, densities={k: sp.together(_together_traces(v))
                                              for k, v in fam.densities.items()})
    rates = tuple(sp.Symbol(f"D{x}") for x in fam.unknowns)
    along = {x: x + tau * r for x, r in zip(fam.unknowns, rates)}

    def at_zero(expr):
        return sp.sympify(expr).subs(tau, 0)

    def slope(expr):
        return sp.diff(sp.sympify(expr).xreplace(along), tau).subs(tau, 0)

    eqs0 = tuple(at_zero(f) for f in fam.equations)
    eqs1 = tuple(sp.expand_mul(slope(f)) for f in fam.equations)
    dens = {}
    for k, v in fam.densities.items():
        d0 = at_zero(v)
        if d0.has(sp.nan, sp.zoo, sp.oo):
            raise AssertionError(f"{name}: the {k} density has no finite limit")
        dens[k] = d0
        dens[f"d_{k}"] = slope(v)
    guess = {x: fam.guess.get(x, 0) for x in fam.unknowns}
    guess.update({r: 0 for r in rates})
    out = eq.System(name=name, unknowns=fam.unknowns + rates, equations=eqs0 + eqs1,
                    densities=dens, positive=fam.positive, scale=dict(scalings), guess=guess,
                    note=f"expansion of {family.name} at tau = 0")
    return out


def _together_traces(expr):
    return sp.sympify(expr).replace(eq.tr, lambda f: eq.tr(sp.factor_terms(sp.together(f))))


def _expansion_for(limit: Limit, spec):
    if spec.model not in limit.models:
        raise UnsupportedError(f"limit {limit.name}: not defined for model \"{spec.model}\"")
    if spec.strategy not in ("plain", "weighted"):
        raise UnsupportedError(f"limit {limit.name}: not available for strategy \"{spec.strategy}\"")
    if limit.name == "psi->oo" and spec.lam == 0:
        raise UnsupportedError("limit psi->oo: needs lam > 0 (the path is λ = λ0ψ/φ with "
                               "λ0 = lam; at lam = 0 the limit is the ridgeless linear model)")
    near = {"p2->0": Fraction(0), "c2->0": Fraction(0), "lam->0": Fraction(0)}.get(
        limit.name, Fraction(1, 10 ** 6))
    family, regime = _family(limit.config_at(spec, near))
    sub = tuple(sorted(limit.substitution(spec).items(), key=lambda kv: str(kv[0])))
    scal = tuple(sorted(limit.scalings(spec).items(), key=lambda kv: str(kv[0])))
    system = expansion_system(family, sub, scal, f"{family.name}/{limit.name}")
    return system, regime


def expand(limit, config, dps: int = 30) -> dict:
    r"""The limit and its first-order term, for any atoms, at ``dps`` digits.

    Returns ``value`` (test_error, bias, variance, zeta at τ = 0: the limit), ``slope``
    (their derivatives in τ at 0: E(τ) = E0 + E1·τ + O(τ²)), ``tau`` (what τ is),
    ``regime`` and ``residual`` (the expansion system's certificate).  The expansion
    system is solved by Newton from the solution of a nearby point of the path.
    """

    limit = LIMITS[limit] if isinstance(limit, str) else limit
    spec = parse(config)
    system, regime = _expansion_for(limit, spec)
    params = dict(parameter_values(spec))
    if eq.psi in params and spec.phi:
        params[rho] = spec.psi / spec.phi
    c = compile_system(system)
    with mp.workdps(dps + 15):
        start = _start_values(limit, spec, system, dps)
        p_mp = c.values_mp(params)
        atoms = atoms_mp(spec.atoms)
        sol = newton_mp(c, start, p_mp, atoms, tol=mp.mpf(10) ** (-(mp.mp.dps - 8)))
        outs = c.outputs_mp(sol.x, p_mp, atoms)
    with mp.workdps(dps):
        value = {k: +outs[k] for k in PARTS}
        slope = {k: +outs[f"d_{k}"] for k in PARTS}
        residual = +sol.residual
    return {"value": value, "slope": slope, "tau": limit.variable, "regime": regime.name,
            "residual": residual}


def _start_values(limit, spec, system, dps):
    """x0 from the solution at a point of the path near τ = 0 (mapped through the
    scalings), x1 = 0: Newton on the expansion system converges from there."""

    t = Fraction(1, 10 ** 12) if limit.name != "n->oo" else Fraction(1, 10 ** 8)
    near = predict(limit.config_at(spec, t) if limit.name not in ("c2->0",) else spec, dps=dps)
    known = near["unknowns"]
    tt = to_mpf(t)
    inverse = {}
    for old, expr in system.scale.items():
        new = next(iter(expr.free_symbols - {tau}))
        num, den = sp.fraction(sp.together(expr))
        inverse[str(new)] = (str(old), sp.degree(num, tau) - sp.degree(den, tau))
    start = []
    half = len(system.unknowns) // 2
    for x in system.unknowns[:half]:
        name = str(x)
        if name in known:
            start.append(known[name])
        elif name in inverse and inverse[name][0] in known:
            old, k = inverse[name]
            start.append(known[old] / tt ** k)
        else:
            start.append(mp.mpf(0))
    return start + [mp.mpf(0)] * (len(system.unknowns) - half)


#: The sides (families of :data:`SIDES`) on which each limit is derived in closed form
#: for isotropic data.  p2 → 0, c² → 0 and n → ∞ keep the side; λ → 0⁺ starts from the
#: ridge and lands on a ridgeless side; λ → ∞ and ψ → ∞ start from the ridge.
ISOTROPIC_LIMITS = {
    "linear": {"p2->0": ("ridge", "under", "over"), "c2->0": ("ridge", "under", "over"),
               "lam->0": ("under", "over"), "lam->oo": ("ridge",), "n->oo": ("ridge", "under")},
    "random_projection": {"p2->0": ("ridge", "sketch", "features", "interpolating"),
                          "c2->0": ("ridge", "sketch", "features", "interpolating"),
                          "lam->0": ("sketch", "features", "interpolating"),
                          "lam->oo": ("ridge",), "psi->oo": ("ridge",),
                          "n->oo": ("ridge", "sketch", "features")},
}


def _symbolic_path(name, model):
    """The path of a limit as symbols (no config values)."""
    if name == "p2->0":
        return {eq.p2: tau}, {}
    if name == "c2->0":
        return {eq.DELTA: tau * eq.DELTA}, {}
    if name == "lam->0":
        return {eq.lam: tau}, {}
    if name == "lam->oo":
        return {eq.lam: 1 / tau}, _large_lam_scalings(model)
    if name == "psi->oo":
        return {eq.psi: 1 / tau, eq.lam: eq.lam / (tau * eq.phi)}, {}
    if name == "n->oo":
        size = models.get(model).size_key
        return ({eq.phi: tau, getattr(eq, size): rho * tau} if size is not None
                else {eq.phi: tau}), {}
    raise KeyError(name)


#: The region of each (model, side) once the path is taken: n → ∞ sends φ (and ψ = ρφ)
#: to 0, so the ridgeless sides are read in ρ = m/d.
N_OO_REGIONS = {("random_projection", "sketch"): rho < 1,
                 ("random_projection", "features"): rho > 1,
                 ("random_projection", "ridge"): sp.true,
                 ("linear", "ridge"): sp.true, ("linear", "under"): sp.true}


@functools.lru_cache(maxsize=None)
def expand_isotropic(name: str, model: str, side: str):
    r"""A limit of the isotropic model in closed form, with its first-order term.

    The expansion system (:func:`expansion_system`) of the family of ``side``
    (:data:`SIDES`) along the path of limit ``name`` is expanded on one symbolic atom
    (Σ1 = Σ2 = sI, r², c²) and solved: the limit system for its physical root, then
    three linear stages (its second-order rates; the first-order terms of the first-order
    unknowns; those of the rates).  Returns a dict with ``value`` and ``slope`` (part →
    SymPy expression: E(τ) = value + slope·τ + O(τ²)), ``condition`` (where it holds),
    ``tau`` (what τ is) and ``steps``.
    """
    if side not in ISOTROPIC_LIMITS[model].get(name, ()):
        raise UnsupportedError(f"limit {name}: no isotropic closed form on the {side} side "
                               f"of the {model} model")
    scaled, region, sample = SIDES[model][side]
    if name == "lam->0":
        region = SIDES[model][side][1]
    if name == "n->oo":
        region = N_OO_REGIONS[(model, side)]
        sample = {rho: sp.Rational(1, 2) if side == "sketch" else 2}
    family = model_family(model, "plain", (), scaled)
    if side != "ridge" and name != "lam->0":  # the ridgeless member of the family
        family = eq.limit_at_zero(family, eq.lam, family.name + "/ridgeless")
    sub, scal = _symbolic_path(name, model)
    system = expansion_system(family, tuple(sorted(sub.items(), key=lambda kv: str(kv[0]))),
                              tuple(sorted(scal.items(), key=lambda kv: str(kv[0]))),
                              f"{family.name}/{name}")
    steps = [Step(f"The path {LIMITS[name].variable}, τ → 0⁺, in the {model} family of the "
                  f"{side} side; the expansion system has the limit x₀ and the first-order "
                  "term x₁ = dx/dτ at τ = 0 as unknowns.", None)]
    iso = system.expand_traces([IsoAtom()])
    names = [str(x) for x in iso.unknowns]
    pairs = []
    for x in iso.unknowns:
        sx = str(x)
        if sx.endswith("1") and sx[:-1] + "2" in names:
            pairs.append((x, iso.unknowns[names.index(sx[:-1] + "2")]))
    sub_sym = _symmetric_reduction(iso, pairs)
    eqs = {x: sp.together(f.xreplace(sub_sym)) for x, f in zip(iso.unknowns, iso.equations)}
    first_names = {"e1", "e2", "epsilon1", "epsilon2", "L", "ell"}
    first = [x for x in iso.unknowns if str(x) in first_names and x not in sub_sym]
    e_main = next(x for x in first if str(x) in ("e1", "epsilon1"))
    others = [x for x in first if x is not e_main]
    sample_full = dict(sample)
    rule = "largest" if side == "ridge" else "positive"
    x1, elim, root, poly = _first_order_root(eqs, e_main, others, f"{model}, {side} side, {name}",
                                             rule, sample_full, steps)
    # Rational solutions are substituted at once (every stage then stays a rational function
    # of the parameters); radicals are kept as their symbols and substituted at the end.
    rational_root = _is_rational_function(root)
    late = {} if rational_root else {x1: root}
    solved = {x1: root} if rational_root else {}
    for k, v in elim.items():
        v = sym.factor(sp.cancel(sp.sympify(v).xreplace(solved)))
        if _is_rational_function(v):
            solved[k] = v
        else:
            late[k] = v
    rational = not late
    stages = [
        [x for x in iso.unknowns if not str(x).startswith("D") and x not in first
         and x not in sub_sym],
        [x for x in iso.unknowns if str(x).startswith("D") and str(x)[1:] in first_names
         and x not in sub_sym],
        [x for x in iso.unknowns if str(x).startswith("D") and str(x)[1:] not in first_names
         and x not in sub_sym],
    ]
    for group in stages:
        if not group:
            continue
        lin = [sp.numer(sp.together(eqs[x].xreplace(solved))) for x in group]
        sol = sym.solve(lin, group, dict=True)
        if len(sol) != 1:
            raise AssertionError(f"{name}: a linear stage in {group} has no unique solution")
        for k, v in sol[0].items():
            solved[k] = sym.factor(sp.cancel(v))
        steps.append(Step(f"Linear in {', '.join(map(str, group))}:", {k: solved[k] for k in group},
                          "sympy: the linear system has a unique solution"))
    value, slope, folded = {}, {}, {"value": {}, "slope": {}}
    for part in PARTS:
        d0 = sp.sympify(iso.densities[part]).xreplace(sub_sym).xreplace(solved)
        d1 = sp.sympify(iso.densities[f"d_{part}"]).xreplace(sub_sym).xreplace(solved)
        folded["value"][part] = d0 = sym.factor(sp.cancel(d0))
        folded["slope"][part] = d1 = sym.factor(sp.cancel(d1))
        d0, d1 = d0.xreplace(late), d1.xreplace(late)
        if rational:
            d0, d1 = sym.factor(sym.simplify(d0)), sym.factor(sym.simplify(d1))
        value[part], slope[part] = d0, d1
    steps.append(Step("The limit and the first-order term of each part:",
                      {**{f"{k}": v for k, v in value.items()},
                       **{f"d{k}/dτ": v for k, v in slope.items()}}))
    return {"value": value, "slope": slope, "condition": region, "tau": LIMITS[name].variable,
            "steps": steps, "unknown": x1, "root": root, "folded": folded, "roots": late}


def confirm(limit, config, exponents=(3, 4, 5, 6), dps: int = 30) -> dict:
    r"""Confirm a limit numerically: :func:`~symcollapse.predict` along the path τ = 10^-k.

    With E0, E1 from :func:`expand`, returns the rows (τ, E(τ), :math:`|E - E_0|`, the
    remainder :math:`|E - E_0 - E_1\tau|`) and the log-log slopes of the two errors between
    the smallest τ: 1 and 2 when the derived first-order term is right
    (:math:`|E - E_0| = |E_1|\tau + O(\tau^2)`).  For
    Δ → τΔ the error is exactly linear in τ and the remainder is 0 to working precision.
    """

    limit = LIMITS[limit] if isinstance(limit, str) else limit
    spec = parse(config)
    exp_ = expand(limit, spec, dps=dps + 10)
    E0, E1 = exp_["value"]["test_error"], exp_["slope"]["test_error"]
    rows = []
    with mp.workdps(dps + 10):
        for k in exponents:
            t = Fraction(1, 10 ** k)
            E = predict(limit.config_at(spec, t), dps=dps + 10)["test_error"]
            tt = to_mpf(t)
            rows.append({"tau": tt, "E": E, "error": abs(E - E0), "remainder": abs(E - E0 - E1 * tt)})

        def slope(key):
            a, b = rows[-2], rows[-1]
            if a[key] == 0 or b[key] == 0:
                return None
            return (mp.log(a[key]) - mp.log(b[key])) / (mp.log(a["tau"]) - mp.log(b["tau"]))

        out = {"value": E0, "slope": E1, "rows": rows, "order": slope("error"),
               "remainder_order": slope("remainder"), "regime": exp_["regime"]}
    return out
