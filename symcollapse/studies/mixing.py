r"""Mixing strategies: weighted mixing (the weight α of the real data) and iterative mixing
(each generation re-labels fresh synthetic inputs with the previous model).

**Weighted** (docs/setting.md; docs/theory/linear.md §4): the same fixed point with group weights
a1 = α, a2 = 1 − α and ratios γ_j = a_jφ/p_j (:func:`symcollapse.core.equations.mixture_weights`),
for both models, through :func:`~symcollapse.predict`.  On top: :func:`optimal_alpha`
(α* by high-precision root finding of ∂E/∂α, the implicit-function-theorem derivative of
the SymPy system), :func:`compare` (weighted at α*, plain α = p1, real data only α = 1) and
:func:`weighted_floor_isotropic` (the n → ∞ floor as a function of α, derived by SymPy from
the n → ∞ expansion system).

**Iterative**: the recursion over generations is :mod:`symcollapse.core.iterative`
(:func:`~symcollapse.core.iterative.iterate`, :func:`~symcollapse.core.iterative.schedule_specs`, re-exported here); :func:`iterative_isotropic`
gives its closed form on one isotropic atom.
"""
from __future__ import annotations

import functools
from fractions import Fraction

import mpmath as mp
import numpy as np
import sympy as sp

from symcollapse.analysis.limits import IsoAtom, c2, expand, expansion_system, r2, s_iso, tau
from symcollapse.core import determinism as sym, equations as eq
from symcollapse.core.decomposition import curve, derivative, predict
from symcollapse.core.errors import ConfigError
from symcollapse.core.iterative import Context, iterate, schedule_specs, step
from symcollapse.core.regimes import model_family
from symcollapse.core.spec import parse

__all__ = ["real_only", "optimal_alpha", "compare", "weighted_floor_isotropic", "weighted_floor",
           "iterate", "schedule_specs", "iterative_isotropic"]


# ----------------------------------------------------------------------------- weighted

def _weighted(config, alpha):
    spec = parse(config)
    if spec.strategy != "weighted":
        raise ConfigError('strategy must be "weighted" (with alpha) for the weighted tools')
    return spec.replace(alpha=alpha)


def real_only(config):
    """The config of training on the n1 = p1·n real samples alone (no synthetic rows):
    φ' = φ/p1 (and ψ' = ψ/p1), p2 = 0.  Weighted mixing at α = 1 equals it."""
    spec = parse(config)
    if not 0 < spec.p1:
        raise ConfigError("real_only: p2 = 1 leaves no real samples")
    changes = {"phi": spec.phi / spec.p1, "p2": Fraction(0), "strategy": "plain", "alpha": None}
    if spec.psi is not None:
        changes["psi"] = spec.psi / spec.p1
    return spec.replace(**changes)


def optimal_alpha(config, dps: int = 30, grid: int = 201) -> dict:
    r"""The weight α* ∈ [0, 1] of the real data that minimizes the derived test error.

    A float64 scan of E(α) (:func:`~symcollapse.curve`) brackets the minimum; α* is then the
    root of ∂E/∂α (implicit function theorem on the SymPy system,
    :func:`~symcollapse.core.decomposition.derivative`) by the Illinois method at ``dps`` digits,
    or an endpoint when E is monotone there.  Returns ``alpha_star``, ``error`` (E at α*),
    ``plain`` (α = p1), ``real_only`` (α = 1) and ``derivative`` (∂E/∂α at α*).
    """
    spec = _weighted(config, Fraction(1, 2))
    cfg = spec.to_config()
    edge = 1e-12  # α = 0 or 1 removes a group (another regime): brackets stay inside
    alphas = np.unique(np.concatenate([np.linspace(edge, 1 - edge, grid),
                                       1 - np.geomspace(edge, 0.5, grid)]))
    E = curve(cfg, alpha=list(alphas))["test_error"]
    k = int(np.nanargmin(np.where(np.isfinite(E), E, np.inf)))
    f = lambda a: derivative(dict(cfg, alpha=a), "alpha", dps=dps + 5)["test_error"]  # noqa: E731
    with mp.workdps(dps + 10):
        if k in (0, len(alphas) - 1):  # monotone: the optimum is the end point
            a_star = mp.mpf(0) if k == 0 else mp.mpf(1)
            d = f(mp.mpf(float(alphas[k])))
        else:
            lo, hi = mp.mpf(float(alphas[k - 1])), mp.mpf(float(alphas[k + 1]))
            a_star = mp.findroot(f, (lo, hi), solver="illinois", tol=mp.mpf(10) ** (-dps - 2))
            d = f(a_star)
        err = predict(dict(cfg, alpha=a_star), dps=dps)["test_error"]
        plain = predict(dict(cfg, alpha=spec.p1), dps=dps)["test_error"]
        alone = predict(real_only(cfg), dps=dps)["test_error"] if spec.p1 > 0 else mp.inf
    with mp.workdps(dps):
        return {"alpha_star": +a_star, "error": +err, "plain": +plain, "real_only": +alone,
                "derivative": d}


def compare(config, dps: int = 30) -> dict:
    """Weighted at α*, plain mixing (α = p1) and real data only (α = 1), side by side."""
    return optimal_alpha(config, dps=dps)


@functools.lru_cache(maxsize=None)
def weighted_floor_isotropic():
    r"""The n → ∞ floor of weighted mixing on isotropic data, derived by SymPy.

    The n → ∞ expansion system (:func:`symcollapse.analysis.limits.expansion_system`, φ = τ → 0) of
    the weighted linear family, on one symbolic atom: its limit system has e_j = 1, u_j = 0,
    and the floor is :math:`s\,(\lambda^2r^2 + (1-\alpha)^2c^2s^2)/(s+\lambda)^2`, so
    (1 − α)²c²s ridgeless.  Returns ``(floor, ridgeless_floor, alpha_roots)`` where
    ``alpha_roots`` solves ridgeless floor = 0 for c² > 0: only α = 1 escapes it.
    """
    family = model_family("linear", "weighted", (), ())
    system = expansion_system(family, ((eq.phi, tau),), (), family.name + "/n->oo")
    iso = system.expand_traces([IsoAtom()])
    eqs = dict(zip(iso.unknowns, iso.equations))
    sol = {}
    for x in (eq.e1, eq.e2, eq.u1, eq.u2):
        if x in eqs:
            roots = sym.solve(eqs[x].xreplace(sol), x)
            if len(roots) != 1:
                raise AssertionError(f"weighted floor: {x} is not determined")
            sol[x] = roots[0]
    if sol.get(eq.e1) != 1 or sol.get(eq.u1, 0) != 0:
        raise AssertionError(f"weighted floor: unexpected limit {sol}")
    floor = sym.factor(sym.simplify(sp.sympify(iso.densities["test_error"]).xreplace(sol)))
    ridgeless = sym.factor(floor.subs(eq.lam, 0))
    roots = sym.solve(sp.Eq(ridgeless.subs({c2: sp.Symbol("c2", positive=True)}), 0), eq.alpha)
    return floor, ridgeless, roots


def weighted_floor(config, dps: int = 30) -> dict:
    """The n → ∞ floor of a weighted config, any spectrum (the n → ∞ expansion)."""
    return expand("n->oo", config, dps=dps)["value"]


# ----------------------------------------------------------------------------- iterative

@functools.lru_cache(maxsize=None)
def iterative_isotropic():
    r"""Iterative mixing on isotropic data, in closed form (SymPy), from the same map.

    On one symbolic atom the map is scalar: ν_t = −λθ/K + βν_{t−1}, β = p2e/s_MP-type,
    and E(t) = C0 + aE(t−1) + (cross term).  Returns ``a`` (the ζ-propagation factor, the
    map's spectral radius), ``beta``, the limit ``E_inf`` (the fixed point, a rational
    function of e), and ``E_1`` (one step from m0 = δ: the plain theorem), each in the
    symbols of :mod:`symcollapse.analysis.limits` (e the first-order unknown, s, r2, c2, φ, p2, λ,
    σ1, σ2).
    """
    e = sp.Symbol("e", positive=True)
    k = sp.Symbol("k", positive=True)     # K = e s + λ, kept as a symbol until the end
    one = lambda v: np.array([v], dtype=object)  # noqa: E731
    c = Context(w=one(sp.Integer(1)), s1=one(s_iso), s2=one(s_iso), theta=one(r2), delta=one(c2),
             e1=e, e2=e, lam=k - e * s_iso, phi=eq.phi, p2=eq.p2, sigma1=eq.sigma1,
             sigma2=eq.sigma2, K_given=one(k))
    back = {k: e * s_iso + eq.lam}
    zero = one(sp.Integer(0))
    def done(expr):
        return sym.factor(sp.cancel(sym.factor(sp.cancel(expr)).xreplace(back)))

    m1, _ = step(c, c.delta, zero)
    E1 = done(c.tr(c.s1 * m1))
    mz, _ = step(c, one(sp.Integer(1)), zero, signal=False, noise=False)
    a_k = sym.factor(sp.cancel(c.tr(c.s1 * mz) / s_iso))
    beta_k = sym.factor(sp.cancel(c.p2 * c.e2 * s_iso / c.K[0]))
    # one atom: the linear part is m ↦ a·m, so m∞ = r/(1 − a) with r one step from m = 0 at ν∞
    nu_inf = -c.lam * c.theta / (c.K - c.p2 * c.e2 * c.s2)
    step_m, step_nu = step(c, zero, nu_inf)
    if sp.cancel(step_nu[0] - nu_inf[0]) != 0:
        raise AssertionError("iterative: ν∞ is not the fixed point of the ν recursion")
    r_k = sym.factor(sp.cancel(c.tr(c.s1 * step_m)))
    E_inf = done(r_k / (1 - a_k))
    return {"a": done(a_k), "beta": done(beta_k), "E_inf": E_inf, "E_1": E1, "unknown": e}
