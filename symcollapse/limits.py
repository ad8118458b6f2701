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


@functools.lru_cache(maxsize=None)
def isotropic_linear(side: str):
    """Closed forms of the isotropic linear model (plain mixing) on one side.

    ``side`` is ``"ridge"`` (λ > 0), ``"under"`` (λ → 0⁺, φ < 1) or ``"over"``
    (λ → 0⁺, φ > 1).  Returns ``(parts, steps)``: a dict part → expression in the
    internal symbols (phi, p2, lambda, sigma1, sigma2, s, r2, c2) and the checked steps.
    """
    steps = []
    interpolating = side == "over"
    fam = linear_family("plain", (), interpolating)
    atom = _IsoAtom()
    system = fam.expand_traces([atom])
    if side in ("under", "over"):
        system = eq.limit_at_zero(system, eq.lam, system.name + "/ridgeless")
    first = [x for x in system.unknowns if str(x).startswith(("e", "epsilon"))]
    second = [x for x in system.unknowns if str(x).startswith("u")]
    sub = _symmetric_reduction(system, [tuple(first), tuple(second)])
    steps.append(Step("With one atom and s1 = s2 the equations of the two groups coincide "
                      "after relabelling: the positive solution is symmetric.",
                      sub, "sympy: the two residuals are identical after the substitution"))
    x1, xu = first[0], second[0]
    red = {k: v for k, v in sub.items()}
    eqs = dict(zip(system.unknowns, system.equations))
    f_e = sp.together(eqs[x1].xreplace(red))
    num = sp.numer(f_e)
    poly = sp.Poly(sp.expand(num), x1)
    steps.append(Step(f"First order: the numerator of the residual is a polynomial of "
                      f"degree {poly.degree()} in {x1}.", sp.Eq(poly.as_expr(), 0)))
    roots = sp.solve(poly.as_expr(), x1)
    root = _positive_root(roots, poly, x1, side, steps)
    f_u = sp.together(eqs[xu].xreplace(red))
    u_sol = sp.solve(sp.numer(f_u), xu)
    if len(u_sol) != 1:
        raise AssertionError("second order: the u equation is not linear with one root")
    u_of_x = sp.factor(u_sol[0])
    if sp.cancel(f_u.xreplace({xu: u_of_x})) != 0:
        raise AssertionError("second order: the root does not solve the u equation")
    steps.append(Step(f"Second order: the equation of u is linear; its root, in terms of {x1}:",
                      sp.Eq(xu, u_of_x), "sympy: the residual vanishes identically"))
    in_x = {}
    for name in PARTS:
        dens = sp.sympify(system.densities[name]).xreplace(red).xreplace({xu: u_of_x})
        in_x[name] = sp.factor(sp.cancel(dens))
    steps.append(Step(f"Bias, Var and ζ as rational functions of {x1}:", dict(in_x)))
    if sp.simplify(poly.as_expr().xreplace({x1: root})) != 0:
        raise AssertionError("the chosen root does not solve the first-order polynomial")
    parts = {}
    for name in PARTS:
        expr = in_x[name].xreplace({x1: root})
        parts[name] = expr if side == "ridge" else sp.factor(sp.simplify(expr))
    steps.append(Step(f"Substituting the positive root of {x1}:", parts,
                      "sympy: the root solves the quadratic, u solves its equation"))
    return parts, steps


def _positive_root(roots, poly, x, side, steps):
    """Pick the root that is positive where the side's conditions hold."""
    if side == "ridge":
        a, b, c = (poly.all_coeffs() + [0, 0, 0])[:3]
        product = sp.simplify(c / a)
        if sp.simplify(product + eq.lam / s_iso) != 0:
            raise AssertionError(f"product of the roots is {product}, not -lambda/s")
        steps.append(Step("The roots multiply to c/a; for λ > 0 the product is negative, so "
                          "exactly one root is positive:", sp.Eq(sp.Symbol("e_{+} e_{-}"), product),
                          "sympy: the product is -λ/s"))
        sample = {eq.lam: sp.Rational(1, 3), eq.phi: sp.Rational(7, 5), s_iso: sp.Rational(3, 2),
                  eq.p2: sp.Rational(1, 5)}
        pos = [r for r in roots if sp.N(r.subs(sample)) > 0]
    else:
        cond = eq.phi < 1 if side == "under" else eq.phi > 1
        sample = {eq.phi: sp.Rational(1, 2) if side == "under" else sp.Rational(5, 2),
                  s_iso: sp.Rational(3, 2), eq.p2: sp.Rational(1, 5)}
        pos = [r for r in roots if r != 0 and sp.N(r.subs(sample)) > 0]
        steps.append(Step(f"Ridgeless, {'φ < 1' if side == 'under' else 'φ > 1'}: the nonzero "
                          f"root is positive exactly when {cond}.", pos[0] if pos else None))
    if len(pos) != 1:
        raise AssertionError(f"expected exactly one positive root, found {len(pos)}")
    root = sp.simplify(pos[0])
    steps.append(Step("The positive root:", sp.Eq(x, root)))
    return root


@functools.lru_cache(maxsize=None)
def _isotropic_ridgeless_piecewise(part: str):
    under = isotropic_linear("under")[0][part]
    over = isotropic_linear("over")[0][part]
    at_one = _threshold_value(under, over)
    return sp.Piecewise((under, eq.phi < 1), (over, eq.phi > 1), (at_one, True))


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

    Available for the isotropic linear model with plain mixing (one atom, s1 = s2).
    Config values may be SymPy symbols or expressions; they appear unchanged.  For λ = 0
    the answer depends on the side of the interpolation threshold and is a
    ``Piecewise`` in φ (φ < 1, φ > 1, and the limit at φ = 1).
    """
    if part not in PARTS:
        from .errors import ConfigError
        raise ConfigError(f"part = {part!r} is not allowed: allowed "
                          + ", ".join(PARTS))
    spec = parse(config, symbolic=True)
    if spec.model != "linear" or spec.strategy != "plain":
        raise UnsupportedError("closed_form: available for the linear model with plain "
                               "mixing in this version")
    if len(spec.atoms) != 1 or sp.simplify(_sympy_value(spec.atoms[0].s1)
                                           - _sympy_value(spec.atoms[0].s2)) != 0:
        raise UnsupportedError("closed_form: available for one atom with s1 = s2 "
                               "(isotropic Σ1 = Σ2 = sI); use predict for other spectra")
    a = spec.atoms[0]
    values = {eq.phi: spec.phi, eq.p2: spec.p2, eq.lam: spec.lam, eq.sigma1: spec.sigma1,
              eq.sigma2: spec.sigma2, s_iso: a.s1, r2: a.theta, c2: a.delta}
    values = {k: _sympy_value(v) for k, v in values.items()}
    if values[eq.lam] == 0:
        expr = _isotropic_ridgeless_piecewise(part)
    else:
        expr = isotropic_linear("ridge")[0][part]
    result = expr.xreplace(values)
    if isinstance(result, sp.Piecewise):
        result = sp.piecewise_fold(result)
        if isinstance(result, sp.Piecewise):
            result = sp.Piecewise(*[(sp.factor(e), c) for e, c in result.args])
        else:
            result = sp.factor(result)
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
