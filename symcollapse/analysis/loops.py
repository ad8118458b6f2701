r"""Closed forms and limits of the self-consuming loops, derived by SymPy
(docs/theory/loops.md).

* :func:`kappa` — the noise factor :math:`\kappa_t = \sum_kQ_{t,k}(1)^2` of the ridgeless
  fixed-design loops, in closed form in t: the coefficient of the k-th noise is solved from
  the loop's recursion at a = 1 (replace: 1; accumulate: 1/(k + 1), proved by substitution)
  and summed; its t → ∞ limit.
* :func:`loop_closed_form` — E_test(t), Bias_t or Var_t of a ridgeless loop on an isotropic
  spectrum (fixed design; fresh design where no fit interpolates) as one SymPy expression in t.
* :func:`fresh_accumulate_ols` — accumulate with a fresh design and no ridge, in digamma
  functions, and its limit.
* :func:`replace_limit_isotropic` — E_test(∞) of fixed-design replace at λ > 0 on an
  isotropic spectrum, from the general limit of docs/theory/loops.md.
* :func:`doubling_generation` — the first generation whose error is at least twice
  generation 0's (closed form where ridgeless, else by stepping the theory).
"""
from __future__ import annotations

import functools

import sympy as sp

from symcollapse import models
from symcollapse.analysis.limits import closed_form, r2, s_iso
from symcollapse.core import determinism as sym, equations as eq
from symcollapse.core.decomposition import predict
from symcollapse.core.errors import UnsupportedError
from symcollapse.core.loops import plain, rank_condition
from symcollapse.core.spec import LOOPS, parse

#: The generation (a non-negative integer) and a summation index.
t = sp.Symbol("t", integer=True, nonnegative=True)
k = sp.Symbol("k", integer=True, nonnegative=True)
i = sp.Symbol("i", integer=True, positive=True)


def noise_coefficient(strategy: str):
    r""":math:`Q_{t,k}(1)`, the coefficient of the k-th noise in ŵ_t at a = 1 (A = I), for
    k ≤ t, checked against the loop's recursion: replace :math:`Q_{t,k} = Q_{t-1,k}` (k < t),
    :math:`Q_{t,t} = 1`; accumulate :math:`Q_{t,k} = \frac{1}{t+1}\bigl(\sum_{i=k+1}^{t}
    Q_{i-1,k} + 1\bigr)` — the sum over the batches i whose teacher ŵ_{i−1} already
    carries ε_k, plus batch k's own labels.  Raises if the stated form does not solve it."""
    if strategy == "replace":
        q = sp.Integer(1)
        ok = True
    else:
        q = 1 / (k + 1)
        carried = sp.summation(q, (i, k + 1, t))            # Q_{i−1,k} = q for i − 1 ≥ k
        ok = sym.simplify((carried + 1) / (t + 1) - q) == 0
    if not ok:
        raise AssertionError(f"{strategy}: the noise coefficient does not solve the recursion")
    return q


def kappa(strategy: str):
    r""":math:`\kappa_t = \sum_{k=0}^{t}Q_{t,k}(1)^2` in closed form (replace: t + 1;
    accumulate: the generalized harmonic number :math:`H^{(2)}_{t+1}`), and its limit
    as t → ∞ (∞; π²/6).

    >>> kappa("accumulate")
    (harmonic(t + 1, 2), pi**2/6)
    """
    q2 = noise_coefficient(strategy).subs(k, i - 1) ** 2            # batches i = k + 1
    return sp.summation(q2, (i, 1, t + 1)), sp.summation(q2, (i, 1, sp.oo))


def fresh_accumulate_ols(rank=eq.phi):
    r"""Var_t/σ² of accumulate with a fresh design and no ridge where no fit interpolates
    (rank ratio r < 1: r = φ for the linear model, min(φ, ψ) for random projections), any
    spectrum: :math:`\sum_{k\le t}r/((k+1)(k+1-r)) = \psi(t+2-r) - \psi(1-r)
    - \psi(t+2) + \psi(1)` (ψ the digamma function), checked by SymPy against the
    recursion (it is 0 at t = −1 and grows by the k = t term), and its limit
    :math:`\psi(1) - \psi(1-r)`.  Returns ``(expression in t, limit)``."""
    r = sp.Dummy("r", positive=True)
    psi0 = functools.partial(sp.polygamma, 0)
    expr = psi0(t + 2 - r) - psi0(1 - r) - psi0(t + 2) + psi0(1)
    step = sp.expand_func(expr - expr.subs(t, t - 1)) - r / ((t + 1) * (t + 1 - r))
    if sym.simplify(step) != 0 or sym.simplify(expr.subs(t, -1)) != 0:
        raise AssertionError("the digamma form does not solve the fresh accumulate recursion")
    return expr.subs(r, rank), sp.limit(expr, t, sp.oo).subs(r, rank)


def _isotropic_plain(spec, part):
    """Generation 0's closed form (plain, p2 = 0) on an isotropic spectrum."""
    base = plain(spec).to_config()
    base["atoms"] = [dict(a, s2=a["s1"], delta=0) for a in base["atoms"]]
    return closed_form(base, part)


def loop_closed_form(config, part: str = "test_error"):
    r"""E_test(t) (or ``part`` = ``bias``, ``variance``) of a ridgeless loop on one isotropic
    atom, as an expression in the generation :data:`t`: Bias_0 + κ_t Var_0 with the plain
    ridgeless closed forms (a ``Piecewise`` in the sides of the limit).  Fixed design, and
    a fresh design where no fit interpolates (rank ratio φ, or min(φ, ψ) for random
    projections, below 1): ``replace`` adds the noises alike, ``accumulate`` is Bias_0 plus
    σ² times :func:`fresh_accumulate_ols` (any spectrum).
    Other loops have no closed form here (:class:`~symcollapse.core.errors.UnsupportedError`; use ``predict``)."""
    spec = parse(config, symbolic=True)
    if spec.strategy not in LOOPS:
        raise UnsupportedError('loop_closed_form: for strategies "replace" and "accumulate"')
    if spec.lam != 0:
        raise UnsupportedError("loop_closed_form: available at lam = 0 (ridge loops: "
                               "replace_limit_isotropic, or predict)")
    model = models.get(spec.model)
    model.require(spec.strategy)
    rank = sp.sympify(spec.phi)                       # the rank ratio (core.loops.rank_ratio)
    if model.rank_limited:
        rank = sp.Min(rank, sp.sympify(spec.size(model.size_key)))
    if spec.design == "fresh" and not _below_one(rank):
        raise UnsupportedError(f"loop_closed_form: a fresh design is in closed form where the "
                               f"fits do not interpolate ({rank_condition(model)}) only "
                               "(use predict)")
    if spec.design == "fresh" and spec.strategy == "accumulate":
        # Without interpolation a model that is not rank-limited fits its teacher exactly
        # (Bias_0 = 0, any spectrum); a projection keeps the bias of what it cannot see.
        bias0 = _isotropic_plain(spec, "bias") if model.rank_limited else sp.Integer(0)
        expr, _limit = fresh_accumulate_ols(rank)
        var = sp.sympify(spec.sigma1) ** 2 * expr
        return {"bias": bias0, "variance": var, "test_error": bias0 + var}[part]
    bias0 = _isotropic_plain(spec, "bias")
    var0 = _isotropic_plain(spec, "variance")
    kap, _limit = kappa(spec.strategy)
    parts = {"bias": bias0, "variance": kap * var0, "test_error": bias0 + kap * var0}
    return parts[part]


def _below_one(phi) -> bool:
    return bool(sp.sympify(phi) < 1) if sp.sympify(phi).is_number else False


#: The first-order unknown e(λ/2) of an isotropic atom (a symbol of the closed forms).
e_half = sp.Symbol("e_half", positive=True)


def replace_limit_isotropic():
    r"""E_test(∞) of fixed-design replace at λ > 0 on one isotropic atom (Σ = sI, ‖w*‖² = r²),
    from the general limit :math:`\operatorname{tr}(\Theta\Sigma) +
    \frac{\sigma^2\varphi}{2\lambda}(\operatorname{tr}\Sigma -
    \frac\lambda2\operatorname{tr}(\Sigma K(\lambda/2)^{-1}))`, K(z) = e(z)s + z:

    .. math:: E_{\rm test}(\infty) = r^2s + \frac{\sigma^2\varphi\,s^2e}{\lambda(2es + \lambda)},

    e = e(λ/2) the positive root of :math:`e^2s + e(\lambda/2 + (\varphi - 1)s) - \lambda/2 = 0`.
    Returns ``(limit in e_half, the root e(λ/2))``; the first is checked equal to the general
    form by SymPy."""
    z = eq.lam / 2
    general = r2 * s_iso + eq.sigma1 ** 2 * eq.phi / (2 * eq.lam) * (
        s_iso - z * s_iso / (e_half * s_iso + z))
    compact = r2 * s_iso + eq.sigma1 ** 2 * eq.phi * s_iso ** 2 * e_half / (
        eq.lam * (2 * e_half * s_iso + eq.lam))
    if sym.simplify(general - compact) != 0:
        raise AssertionError("the compact isotropic limit differs from the general one")
    e = sp.Symbol("e", positive=True)
    first = sp.numer(sp.together(e * (1 + eq.phi * s_iso / (e * s_iso + z)) - 1))
    root = next(r for r in sp.solve(first, e) if _positive_branch(r))
    return compact, root


def _positive_branch(root) -> bool:
    """Whether a root of the first-order quadratic is the positive one (at a sample point)."""
    point = {eq.phi: sp.Rational(1, 2), eq.lam: sp.Rational(1, 3), s_iso: sp.Rational(2)}
    return bool(sp.N(root.subs(point)) > 0)


def doubling_generation(config, max_generations: int = 40, dps: int = 20):
    r"""The first generation t ≥ 1 with E_test(t) ≥ 2E_test(0), or None when the loop never
    doubles its error: where the limit stays below 2E_test(0) and the errors up to
    ``max_generations`` do too.  Ridgeless loops in closed form: replace doubles at
    :math:`\lceil 1 + \mathrm{Bias}_0/\mathrm{Var}_0\rceil`; accumulate never
    (κ_t < π²/6 < 2).  Returns ``(t or None, errors)`` (the errors computed)."""
    cfg = dict(config, generations=max_generations)
    out = predict(cfg, dps=dps)
    errors = out["test_error"]
    target = 2 * errors[0]
    for g, value in enumerate(errors):
        if g >= 1 and value >= target:
            return g, errors
    return None, errors


__all__ = ["t", "k", "e_half", "kappa", "fresh_accumulate_ols", "noise_coefficient", "loop_closed_form", "replace_limit_isotropic",
           "doubling_generation"]
