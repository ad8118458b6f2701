r"""Closed forms derived by SymPy from the fixed-point systems of :mod:`equations`.

Nothing here is typed in: the isotropic closed forms come from the same
:class:`~symcollapse.equations.System` that the numerics solve, expanded on one symbolic
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

import functools
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from . import equations as eq
from .errors import UnsupportedError
from .regimes import linear_family
from .spec import parse

PARTS = ("test_error", "bias", "variance", "zeta")

# Symbols for the isotropic atom (the toolkit's own names, DESIGN.md).
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
class _IsoAtom:
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
        if sp.simplify(sp.together(eqs[a].xreplace(sub) - eqs[b].xreplace(sub))) != 0:
            raise AssertionError(f"isotropic reduction: the equations of {a} and {b} differ")
    return sub


#: The sides of each model for which an isotropic closed form is derived: the rescaling of
#: the family (:func:`~symcollapse.regimes.model_family`), the region (a SymPy condition)
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
        return sp.simplify(-coeffs[1] / coeffs[0])
    if poly.degree() == 2:
        a, b, c = coeffs
        return (-b + sp.sqrt(b ** 2 - 4 * a * c)) / (2 * a)
    if poly.degree() != 3:
        raise AssertionError(f"degree {poly.degree()} polynomial: no explicit root here")
    a, b, c, d = coeffs
    p = sp.simplify((3 * a * c - b ** 2) / (3 * a ** 2))
    q = sp.simplify((2 * b ** 3 - 9 * a * b * c + 27 * a ** 2 * d) / (27 * a ** 3))
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
    from .regimes import model_family
    scaled, region, sample = SIDES[model][side]
    steps = []
    fam = model_family(model, "plain", (), scaled)
    system = fam.expand_traces([_IsoAtom()])
    if side != "ridge":
        system = eq.limit_at_zero(system, eq.lam, system.name + "/ridgeless")
    first, rates = _first_order_split(system)
    pairs = [tuple(x for x in first if str(x).rstrip("12") != str(x) and str(x)[-1] == k)
             for k in "12"]
    e_pair = tuple(x for x in first if str(x)[-1] in "12")
    u_pair = tuple(x for x in rates if str(x)[-1] in "12")
    sub = _symmetric_reduction(system, [e_pair, u_pair])
    steps.append(Step("With one atom and s1 = s2 the equations of the two groups coincide "
                      "after relabelling: the positive solution is symmetric.",
                      sub, "sympy: the two residuals are identical after the substitution"))
    x1 = e_pair[0]
    others = [x for x in first if x not in e_pair]
    eqs = {x: sp.together(f.xreplace(sub)) for x, f in zip(system.unknowns, system.equations)}
    # eliminate the other first-order unknowns (L or ℓ): the x1-equation is linear in them
    elim = {}
    for y in others:
        sol = sp.solve(sp.numer(eqs[x1]), y)
        if len(sol) != 1:
            raise AssertionError(f"cannot eliminate {y} from the equation of {x1}")
        elim[y] = sp.factor(sol[0])
        steps.append(Step(f"The equation of {x1} is linear in {y}:", sp.Eq(y, elim[y])))
    target = eqs[others[0]].xreplace(elim) if others else eqs[x1]
    num = sp.factor(sp.numer(sp.together(target)))
    factors = [f for f, _m in sp.factor_list(num)[1] if f.has(x1)]
    poly = sp.Poly(sp.Mul(*factors), x1)
    steps.append(Step(f"First order: {x1} is a root of a polynomial of degree {poly.degree()}:",
                      sp.Eq(sp.collect(sp.expand(poly.as_expr()), x1), 0)))
    root = _choose_root(model, side, poly, x1, elim, sample, steps)
    if poly.degree() <= 2:
        if sp.simplify(poly.as_expr().xreplace({x1: root})) != 0:
            raise AssertionError(f"{model}/{side}: the chosen root does not solve the polynomial")
        steps.append(Step(f"The root for {x1}:" if side == "ridge" else
                          f"It solves the polynomial of {x1} exactly:",
                          sp.Eq(x1, root) if side == "ridge" else None,
                          "sympy: substituted into the polynomial, it simplifies to 0"))
    # second order: linear in the rates
    rate_syms = [u_pair[0]] + [x for x in rates if x not in u_pair]
    lin = [sp.numer(sp.together(eqs[x].xreplace(sub).xreplace(elim))) for x in [u_pair[0]] +
           [r for r in rates if r not in u_pair]]
    sol = sp.solve(lin, rate_syms, dict=True)
    if len(sol) != 1:
        raise AssertionError("second order: not a unique linear solution")
    rate_vals = {k: sp.factor(v) for k, v in sol[0].items()}
    steps.append(Step(f"Second order: linear in {', '.join(map(str, rate_syms))}; in terms of {x1}:",
                      rate_vals, "sympy: the linear system has a unique solution"))
    full = dict(sub)
    in_x = {}
    for name in PARTS:
        dens = sp.sympify(system.densities[name]).xreplace(sub).xreplace(rate_vals).xreplace(elim)
        in_x[name] = sp.factor(sp.cancel(dens))
    steps.append(Step(f"Bias, Var and ζ as rational functions of {x1}:", dict(in_x)))
    parts = {}
    for name in PARTS:
        expr = in_x[name].xreplace({x1: root})
        parts[name] = expr if side == "ridge" else sp.factor(sp.simplify(expr))
    _check_at_points(system, full, rate_vals, elim, x1, root, model, side)
    steps.append(Step(f"Substituting the root for {x1}:", parts,
                      "50-digit check at random rational points: every residual vanishes"))
    info = {"polynomial": poly, "unknown": x1, "root": root, "rational": in_x,
            "eliminated": elim, "rates": rate_vals, "region": region}
    return parts, steps, info


def _choose_root(model, side, poly, x, elim, sample, steps):
    """The physical root: unique, with every first-order unknown positive."""
    full_sample = {eq.phi: sp.Rational(7, 5), eq.psi: sp.Rational(3, 5), eq.lam: sp.Rational(1, 3),
                   s_iso: sp.Rational(3, 2), eq.p2: sp.Rational(1, 5)}
    full_sample.update(sample)
    if side == "ridge":
        if model == "linear":
            a, _b, c = poly.all_coeffs()
            product = sp.simplify(c / a)
            if sp.simplify(product + eq.lam / s_iso) != 0:
                raise AssertionError(f"product of the roots is {product}, not -lambda/s")
            steps.append(Step("The roots multiply to c/a = −λ/s < 0, so exactly one is positive: "
                              "the larger one.", sp.Eq(sp.Symbol("e_{+} e_{-}"), product),
                              "sympy: the product is -λ/s"))
        else:
            steps.append(Step(
                "On the physical interval max(0, 1 − φs', 1 − ψs') < e < 1 (where L > 0 and "
                "ρ > tr(MK⁻¹)) the polynomial is strictly increasing, negative at the left end "
                "and positive at e = 1, and has no root above 1: the physical root is the "
                "largest real root.", None))
        root = largest_real_root(poly, steps)
    else:
        candidates = sp.roots(poly, x, multiple=True)
        good = []
        for r in candidates:
            ok = sp.N(r.subs(full_sample)) > 0 and all(
                sp.N(sp.sympify(v).xreplace({x: r}).subs(full_sample)) > 0 for v in elim.values())
            if ok:
                good.append(r)
        if len(good) != 1:
            raise AssertionError(f"{model}/{side}: expected one physical root, found {good}")
        root = sp.factor(good[0])
        steps.append(Step(f"Ridgeless, {side}: the only root with every first-order unknown "
                          "positive in this region:", sp.Eq(x, root)))
    return root


def _check_at_points(system, sub, rate_vals, elim, x1, root, model, side, count=4):
    """50-digit check: the closed-form solution solves every equation of the system."""
    import random
    rng = random.Random(hash((model, side)) & 0xFFFF)
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
    if model == "linear":
        under = isotropic("linear", "under")[0][part]
        over = isotropic("linear", "over")[0][part]
        at_one = _threshold_value(under, over)
        return sp.Piecewise((under, eq.phi < 1), (over, eq.phi > 1), (at_one, True))
    pieces = []
    for side in ("sketch", "features", "interpolating"):
        region = SIDES[model][side][1]
        pieces.append((isotropic(model, side)[0][part], region))
    invertible = isotropic("linear", "under")[0][part]
    pieces.append((invertible, sp.Eq(eq.psi, eq.phi) & (eq.phi < 1)))
    pieces.append((sp.nan, True))
    return sp.Piecewise(*pieces)


def _threshold_value(under, over):
    """The value at φ = 1: the common one-sided limit, or NaN if they differ."""
    left = sp.limit(under, eq.phi, 1, "-")
    right = sp.limit(over, eq.phi, 1, "+")
    if left.has(sp.Limit) or right.has(sp.Limit):
        return sp.nan
    if sp.simplify(left - right) == 0 or (left == right):
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
    written out (:func:`largest_real_root`).
    """
    if part not in PARTS:
        from .errors import ConfigError
        raise ConfigError(f"part = {part!r} is not allowed: allowed "
                          + ", ".join(PARTS))
    spec = parse(config, symbolic=True)
    if spec.model not in SIDES or spec.strategy != "plain":
        raise UnsupportedError("closed_form: available for the linear and random projections "
                               "models with plain mixing in this version")
    if len(spec.atoms) != 1 or sp.simplify(_sympy_value(spec.atoms[0].s1)
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
            result = sp.Piecewise(*[(sp.factor(e) if not e.has(sp.Piecewise) else e, c)
                                    for e, c in result.args])
        else:
            result = sp.factor(result) if not result.has(sp.cos) else result
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
    (:func:`~symcollapse.equations.rescale`) and set η = 0.  The L equation becomes
    L = λ0 and the sketch equation b = 0; what remains is the linear model's system at
    ridge λ0.  Returns ``(limit_system, steps)``; each step is checked.

    (At a fixed λ instead, L = λφ/ψ·(1 + O(1/ψ)) → 0: the ridgeless linear model.)
    """
    from .regimes import model_family
    steps = []
    system = model_family("random_projection", strategy, (), ())
    moved = system.subs({eq.psi: 1 / eta, eq.lam: lam0 / (eta * eq.phi)})
    resc = eq.rescale(moved, {}, eta, "projection/psi->oo")
    limit = eq.limit_at_zero(resc, eta, "projection/psi=oo")
    eqs = dict(zip(limit.unknowns, limit.equations))
    L_sol = sp.solve(eqs[eq.L_eff], eq.L_eff)
    b_sol = sp.solve(eqs[eq.b_rate].subs(eq.L_eff, lam0), eq.b_rate)
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
        if sp.simplify(f.xreplace(sub) - g) != 0:
            raise AssertionError(f"psi -> oo: the equation of {x} differs from the linear model's")
    for k in PARTS:
        if sp.simplify(sp.sympify(limit.densities[k]).xreplace(sub)
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
    import mpmath as mp

    from .compiled import atoms_mp, compile_system, to_mpf
    from .regimes import parameter_values, select
    from .solve import solve_point
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
        outs = c.outputs_mp(sol.x, [to_mpf(params[s]) for s in c.params], atoms_mp(regime.atoms))
    with mp.workdps(dps):
        res = {k: +outs[k] for k in PARTS}
    res["regime"] = regime.name
    if spec.psi is not None:
        res["rho"] = spec.psi / spec.phi
    return res
