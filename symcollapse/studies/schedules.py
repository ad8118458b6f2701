r"""A vanishing synthetic share: :math:`p_2(n) = \kappa\,n^{-a}` on a power-law spectrum.

How fast must the synthetic share vanish for the clean scaling law to survive?  Setting of
:mod:`symcollapse.analysis.scaling` (d ≫ n, the series spectrum :math:`s_i = i^{-\beta}` for Σ1 = Σ2,
:math:`w_i^2 = r_0i^{-\gamma}`, :math:`\delta_i = c_0i^{-\gamma_\delta}`, plain mixing,
σ1 = σ2 = σ), with the share of synthetic rows resolved at each sample size by the config
key ``p2_schedule`` (:func:`symcollapse.core.spec.resolve_p2_schedule`).

**Derived** (:func:`zeta_polynomial`, :func:`schedule_law`, by SymPy from the system of
:mod:`symcollapse.core.equations`):

* With Σ1 = Σ2 the fixed point (e, u) does not depend on p2, so Bias and Var are the clean
  ones, and ζ is exactly quadratic in p2: ζ = p2·u·Σ_i δ_is_i + p2²·Z2 (the coefficient of
  p2 is exactly u·Σδs at any λ: the p1·p2 term of ζ, the shift acting as label noise on the
  synthetic rows).
* Ridgeless, noiseless: u → β − 1 and Z2 → (2 − β)·S with S = Σ_i δ_is_i = c0·ζ(γδ + β), so

  .. math:: E(n) \simeq C n^{-a_c} + \kappa(\beta-1)S\,n^{-a} + \kappa^2(2-\beta)S\,n^{-2a},

  a_c = min(γ + β − 1, 2β) (:func:`~symcollapse.analysis.scaling.clean_rate`).  The exponent is min(a, a_c), the
  critical share exponent is a* = a_c: the clean law survives only if p2 falls faster than
  the clean error itself.  (The p2² "floor" term alone would suggest a_c/2.)
* Noisy with the clean-tuned ridge λ*(n) ∝ n^{-β/(γ+β)}: e → 1, u ≈ I2 λ^{-1/β}/n decays
  like n^{-a_σ}, so the p1·p2 term decays with its own exponent a + a_σ, the p2² term is
  κ²S n^{-2a}, and E(n) ≃ C_σ n^{-a_σ} + κ²S n^{-2a} + κUS n^{-(a+a_σ)}: the exponent is
  min(a_σ, 2a) and a* = a_σ/2, a_σ = (γ + β − 1)/(γ + β).

>>> law = scaling.PowerLaw(beta=2.0, gamma=1.5)
>>> critical_a(law), exponent(law, 1.0), exponent(law, 4.0)
(2.5, 1.0, 2.5)
"""
from __future__ import annotations

import functools
from fractions import Fraction

import mpmath as mp
import numpy as np
import sympy as sp

from symcollapse.analysis import scaling
from symcollapse.core import determinism as sym, equations as eq
from symcollapse.core.decomposition import curve, predict
from symcollapse.core.errors import ConfigError, UnsupportedError
from symcollapse.core.regimes import model_family
from symcollapse.core.spec import resolve_p2_schedule, to_number

REGIMES = ("ridgeless", "tuned")

a_s = sp.Symbol("a", nonnegative=True)            # the schedule's exponent
kappa_s = sp.Symbol("kappa", positive=True)       # the schedule's constant
a_clean = sp.Symbol("a_c", positive=True)         # the clean exponent of the regime
C_clean = sp.Symbol("C", positive=True)           # the clean constant of the regime
S_delta = sp.Symbol("S", positive=True)           # Σ_i δ_i s_i = c0 ζ(γδ + β)
U_s = sp.Symbol("U", positive=True)               # tuned regime: u(n) ≃ U n^(−a_σ)
tau_s = sp.Symbol("tau", positive=True)           # effective ridge λ/e (ridgeless side)
A_s, B_s, lam_s = sp.symbols("A B lambda", positive=True)
_beta, _gamma, _n = scaling.beta_s, scaling.gamma_s, scaling.n_s


# ----------------------------------------------------------------------------- derivation

@functools.lru_cache(maxsize=None)
def zeta_polynomial():
    r"""ζ as a polynomial in p2 on a co-spectral spectrum (Σ2 = Σ1), from the system.

    Returns ``{"c1", "c2", "bias", "variance", "steps"}``: the per-coordinate densities of
    ζ = p2·tr(c1) + p2²·tr(c2) and of Bias, Var (σ1 = σ2 = σ), in the atom symbols and the
    unknowns e = e1, u = u1; ``steps`` lists what SymPy checked."""
    system = model_family("linear", "plain", (), ())
    co, same = {eq.S2: eq.S1}, {eq.e2: eq.e1, eq.u2: eq.u1}
    sigma = sp.Symbol("sigma", positive=True)
    steps = []
    reduced = [sp.expand(sp.sympify(f).xreplace(co).xreplace(same)) for f in system.equations]
    if any(f.has(eq.p2) for f in reduced) or sym.simplify(reduced[0] - reduced[1]) != 0 \
            or sym.simplify(reduced[2] - reduced[3]) != 0:
        raise AssertionError("co-spectral reduction: the fixed point still depends on p2")
    steps.append("With Σ2 = Σ1 the equations of e1, e2 (and of u1, u2) coincide and p2 drops "
                 "out of them: e, u do not depend on p2.")
    dens = {k: sp.sympify(v).xreplace(co).xreplace(same).xreplace({eq.sigma1: sigma, eq.sigma2: sigma})
            for k, v in system.densities.items()}
    for part in ("bias", "variance"):
        if sym.simplify(sp.diff(dens[part], eq.p2)) != 0:
            raise AssertionError(f"{part} depends on p2 on a co-spectral spectrum")
    steps.append("Bias and Var (σ1 = σ2) do not depend on p2: only ζ carries the schedule.")
    K = eq.S1 * eq.e1 + eq.lam
    poly = sp.Poly(sp.expand(sp.cancel(dens["zeta"] * K ** 2)), eq.p2)
    coeffs = [sym.factor(c / K ** 2) for c in reversed(poly.all_coeffs())]
    if poly.degree() != 2 or coeffs[0] != 0:
        raise AssertionError(f"ζ is not p2·c1 + p2²·c2: degree {poly.degree()}")
    c1, c2 = coeffs[1], coeffs[2]
    if sym.simplify(c1 - eq.u1 * eq.DELTA * eq.S1) != 0:
        raise AssertionError(f"the coefficient of p2 is {c1}, not u·δ·s")
    steps.append("ζ is exactly quadratic in p2, and the coefficient of p2 is u·δ·s at any λ "
                 "(the p1·p2 term: the shift enters the interpolated synthetic rows as noise).")
    bias = sym.simplify(dens["bias"])
    var = sym.simplify(dens["variance"])
    return {"c1": c1, "c2": c2, "bias": bias, "variance": var, "steps": tuple(steps)}


@functools.lru_cache(maxsize=None)
def ridgeless_orders():
    r"""Ridgeless (λ = τe, τ → 0 as n → ∞): the n → ∞ densities of the p2 and p2² terms.

    1 + u → I1/(I1 − I2) = β (:func:`~symcollapse.analysis.scaling.clean_rate`), so c1 → (β − 1)δs and
    c2 → (1 − u)δs = (2 − β)δs; their sum at p2 is the floor density of
    :func:`~symcollapse.analysis.scaling.interpolation_floor` (:func:`floor_identity`).  Returns ``{"Z1", "Z2", "steps"}``:
    Z1, Z2 are the coefficients of δ·s."""
    zp = zeta_polynomial()
    ints = scaling.continuum_integrals()
    one_plus_u = sym.simplify(ints["I1"][0] / (ints["I1"][0] - ints["I2"][0]))
    if sym.simplify(one_plus_u - _beta) != 0:
        raise AssertionError("1 + u is not beta")
    out, steps = {}, []
    for name, c in (("Z1", zp["c1"]), ("Z2", zp["c2"])):
        lim = sp.limit(sp.cancel(c.xreplace({eq.lam: tau_s * eq.e1})), tau_s, 0)
        lim = sym.factor(lim.subs(eq.u1, one_plus_u - 1))
        coef = sym.simplify(lim / (eq.DELTA * eq.S1))
        if coef.has(eq.DELTA, eq.S1, eq.e1, tau_s):
            raise AssertionError(f"{name}: the limit density {lim} is not a multiple of δ·s")
        out[name] = coef
    steps.append("λ = τe, τ → 0 in c1 and c2, then 1 + u = I1/(I1 − I2) = β (SymPy's Mellin "
                 "integrals): Z1 = (β − 1), Z2 = (2 − β) times δ·s.")
    out["steps"] = tuple(steps)
    return out


def floor_identity() -> bool:
    """True when p2·Z1 + p2²·Z2 (:func:`ridgeless_orders`) is, as a density, the n → ∞ floor
    p2² + p1p2(β − 1) of :func:`~symcollapse.analysis.scaling.interpolation_floor` (derived there independently)."""
    o = ridgeless_orders()
    floor_dens = scaling.interpolation_floor()[0]["zeta"]
    return sym.simplify(floor_dens - (eq.p2 * o["Z1"] + eq.p2 ** 2 * o["Z2"]) * eq.DELTA * eq.S1) == 0


@functools.lru_cache(maxsize=None)
def tuned_orders():
    r"""Noisy data, ridge tuned to the clean error: λ*(n), and the decay of u(n).

    For λ ≫ n^{-β}: e → 1, u ≃ (1/n)Σ_i s_i²/(s_i+λ)² ≃ I2 λ^{-1/β}/n (continuum) and the
    clean error is A λ^p + B λ^{-1/β}/n with A = r0 J, B = σ² I2, p = (γ + β − 1)/β
    (:func:`~symcollapse.analysis.scaling.tuned_rate`, redone with A, B kept as symbols).  SymPy gives λ*, the
    clean exponent a_σ, the exponent of u(λ*(n)) (it is a_σ again), and the limit density
    of the p2² term, c2 → δs (e → 1, u → 0, λ → 0).  Returns a dict of SymPy expressions."""
    zp = zeta_polynomial()
    p = (_gamma + _beta - 1) / _beta
    E = A_s * lam_s ** p + B_s * lam_s ** (-1 / _beta) / _n
    crit = sym.solve(sp.diff(E, lam_s), lam_s)
    if len(crit) != 1:
        raise AssertionError(f"tuned ridge: expected one critical point, got {crit}")
    lam_star = crit[0]
    a_sigma = sym.simplify(-sp.diff(sp.log(E.subs(lam_s, lam_star)), _n) * _n)
    u_star = lam_star ** (-1 / _beta) / _n  # times I2
    a_u = sym.simplify(-sp.diff(sp.log(u_star), _n) * _n)
    if a_sigma.has(_n) or a_u.has(_n):
        raise AssertionError("tuned ridge: the exponents depend on n")
    C_sigma = sym.simplify(sp.powdenest(sp.expand_power_base(E.subs(lam_s, lam_star) * _n ** a_sigma,
                                                            force=True), force=True))
    U = sym.simplify(sp.powdenest(sp.expand_power_base(u_star * _n ** a_u, force=True), force=True))
    c2 = sp.limit(zp["c2"].subs({eq.e1: 1, eq.u1: 0}), eq.lam, 0)
    Z2 = sym.simplify(c2 / (eq.DELTA * eq.S1))
    ints = scaling.continuum_integrals()
    return {"lambda_star": lam_star, "a_sigma": a_sigma, "a_u": a_u, "C_sigma": C_sigma,
            "U": U, "Z2": Z2, "A": sp.Symbol("r0", positive=True) * ints["J"][0],
            "B": sp.Symbol("sigma", positive=True) ** 2 * ints["I2"][0], "I2": ints["I2"][0]}


@functools.lru_cache(maxsize=None)
def schedule_law(regime: str = "ridgeless"):
    r"""The leading terms of E(n) under p2 = κn^{-a}, as SymPy data.

    Returns ``{"terms", "exponent", "critical_a", "constant", "condition"}``: ``terms`` is a
    tuple of (label, coefficient, exponent of n); ``exponent`` = Min over the terms;
    ``critical_a`` = the largest a at which a synthetic term is no slower than the clean
    one (solved term by term); ``constant`` the Piecewise coefficient of the leading power
    (for a > 0).  Symbols: a, kappa, a_c (clean exponent), C (clean constant), S = Σδs, U."""
    _regime(regime)
    if regime == "ridgeless":
        orders = ridgeless_orders()
        terms = (("clean (Bias)", C_clean, a_clean),
                 ("p2 term (p1·p2 part of ζ)", kappa_s * orders["Z1"] * S_delta, a_s),
                 ("p2² term", kappa_s ** 2 * orders["Z2"] * S_delta, 2 * a_s))
        condition = sp.And(_beta > 1, _gamma > 1, a_s >= 0)
    else:
        t = tuned_orders()
        terms = (("clean (Bias + Var at λ*)", C_clean, a_clean),
                 ("p2 term (p1·p2 part of ζ, u ≃ U n^-a_σ)", kappa_s * U_s * S_delta, a_s + a_clean),
                 ("p2² term", kappa_s ** 2 * t["Z2"] * S_delta, 2 * a_s))
        condition = sp.And(_beta > 1, _gamma > 1, _gamma < _beta + 1, a_s >= 0)
    exponent = sp.Min(*[x for _, _, x in terms])
    roots = []
    for _, _, x in terms[1:]:
        roots += [r for r in sym.solve(sp.Eq(x, a_clean), a_s)]
    critical = sp.Max(*roots)
    below = [c for _, c, x in terms[1:] if sym.simplify(x.subs(a_s, critical / 2) - sp.Min(*[
        y.subs(a_s, critical / 2) for _, _, y in terms[1:]])) == 0]
    at = [c for _, c, x in terms[1:] if sym.simplify(x.subs(a_s, critical) - a_clean) == 0]
    constant = sp.Piecewise((C_clean, a_s > critical), (C_clean + sp.Add(*at), sp.Eq(a_s, critical)),
                            (sp.Add(*below), True))
    return {"terms": terms, "exponent": exponent, "critical_a": critical, "constant": constant,
            "condition": condition}


# ----------------------------------------------------------------------------- numbers

def _regime(regime):
    if regime not in REGIMES:
        raise ConfigError(f"regime = {regime!r} is not allowed: allowed " + ", ".join(REGIMES))


def _check_law(law, regime, sigma):
    if law.beta2 is not None and law.beta2 != law.beta:
        raise UnsupportedError("schedules: derived for Σ1 = Σ2 (beta2 = beta)")
    if regime == "tuned":
        if not law.gamma < law.beta + 1:
            raise UnsupportedError("schedules: the tuned regime needs gamma < beta + 1")
        if not (sigma is not None and sigma > 0):
            raise ConfigError(f"sigma = {sigma!r} is out of range: the tuned regime needs sigma > 0")


def _a_value(a):
    v = to_number("p2_schedule.a", a)
    if not v >= 0:
        raise ConfigError(f"p2_schedule.a = {a!r} is out of range: allowed p2_schedule.a >= 0")
    return float(v)


def law_values(law: scaling.PowerLaw, regime: str = "ridgeless", sigma=None) -> dict:
    """The numbers of the law in :func:`schedule_law`'s symbols: a_c, C, S (and U), floats."""
    _regime(regime)
    _check_law(law, regime, sigma)
    vals = {_beta: sp.nsimplify(law.beta), _gamma: sp.nsimplify(law.gamma)}
    gd = law.gamma if law.gamma_delta is None else law.gamma_delta
    S = float(mp.mpf(law.c0) * mp.zeta(mp.mpf(gd) + law.beta))
    if regime == "ridgeless":
        rate = scaling.clean_rate()
        return {"a_c": float(rate["exponent"].subs(vals)),
                "C": float(rate["constant"].subs(vals)) * law.r0, "S": S}
    t = tuned_orders()
    r0, sg = sp.Symbol("r0", positive=True), sp.Symbol("sigma", positive=True)
    AB = {A_s: t["A"], B_s: t["B"]}
    num = {**vals, r0: sp.nsimplify(law.r0), sg: sp.nsimplify(sigma)}
    return {"a_c": float(t["a_sigma"].subs(num)), "C": float(t["C_sigma"].subs(AB).subs(num)),
            "S": S, "U": float((t["U"].subs(AB) * t["I2"]).subs(num))}


def derived_terms(law: scaling.PowerLaw, kappa, a, regime: str = "ridgeless", sigma=None) -> list:
    """The terms of :func:`schedule_law` as numbers: [(label, coefficient, exponent of n)]."""
    return _numeric_terms(law, kappa, _a_value(a), regime, sigma)


def _numeric_terms(law, kappa, a, regime, sigma):
    law_num = law_values(law, regime, sigma)
    subs = {a_clean: law_num["a_c"], C_clean: law_num["C"], S_delta: law_num["S"],
            U_s: law_num.get("U", 1.0), kappa_s: float(kappa), a_s: a,
            _beta: law.beta, _gamma: law.gamma}
    return [(label, float(c.subs(subs)), float(x.subs(subs)))
            for label, c, x in schedule_law(regime)["terms"]]


def exponent(law: scaling.PowerLaw, a, regime: str = "ridgeless", sigma=None) -> float:
    """The derived exponent of E(n) ∝ n^-exponent under p2 = κn^-a (κ does not enter)."""
    return min(x for _, c, x in _numeric_terms(law, 1.0, _a_value(a), regime, sigma) if c != 0)


def critical_a(law: scaling.PowerLaw, regime: str = "ridgeless", sigma=None) -> float:
    """a*: for a > a* the clean exponent survives, for a < a* the synthetic term leads."""
    num = law_values(law, regime, sigma)
    return float(schedule_law(regime)["critical_a"].subs({a_clean: num["a_c"]}))


def leading_constant(law: scaling.PowerLaw, kappa, a, regime: str = "ridgeless",
                     sigma=None) -> float:
    """The coefficient of the leading power n^-exponent: the sum of the coefficients of the
    derived terms with the smallest exponent (at a = 0 that is the floor at p2 = κ)."""
    k = to_number("p2_schedule.kappa", kappa)
    if not k > 0:
        raise ConfigError(f"p2_schedule.kappa = {kappa!r} is out of range: allowed p2_schedule.kappa > 0")
    terms = _numeric_terms(law, k, _a_value(a), regime, sigma)
    low = min(x for _, c, x in terms if c != 0)
    return sum(c for _, c, x in terms if abs(x - low) <= 1e-12 * max(1.0, abs(low)))


def tuned_lambda(law: scaling.PowerLaw, n, sigma) -> float:
    """λ*(n) of the clean error (:func:`tuned_orders`) for this law and noise level."""
    _check_law(law, "tuned", sigma)
    t = tuned_orders()
    r0, sg = sp.Symbol("r0", positive=True), sp.Symbol("sigma", positive=True)
    f = t["lambda_star"].subs({A_s: t["A"], B_s: t["B"]}).subs(
        {_beta: sp.nsimplify(law.beta), _gamma: sp.nsimplify(law.gamma), r0: sp.nsimplify(law.r0),
         sg: sp.nsimplify(sigma)})
    return float(f.subs(_n, sp.nsimplify(float(n))))


def schedule_spec(law: scaling.PowerLaw, kappa, a, n, *, lam=0, sigma=0, atoms=None):
    """The series-spectrum Spec (:func:`~symcollapse.analysis.scaling.spec`) at sample size n with
    p2 = κn^-a resolved by :func:`symcollapse.core.spec.resolve_p2_schedule`."""
    p2 = resolve_p2_schedule({"kappa": kappa, "a": a}, to_number("n", n))
    return scaling.spec(law, n, p2=p2, lam=lam, sigma1=sigma, sigma2=sigma, atoms=atoms)


def predict_schedule(law: scaling.PowerLaw, kappa, a, n, dps: int = 20, *,
                     regime: str = "ridgeless", sigma=0) -> dict:
    """:func:`~symcollapse.predict` at one n (λ = 0, or λ*(n) for the tuned regime)."""
    _regime(regime)
    lam = 0 if regime == "ridgeless" else tuned_lambda(law, n, sigma)
    return predict(schedule_spec(law, kappa, a, n, lam=lam, sigma=sigma, atoms=_atoms(law)), dps=dps)


def schedule_curve(law: scaling.PowerLaw, kappa, a, ns, *, regime: str = "ridgeless",
                   sigma=0) -> dict:
    """E(n) and its parts along ns under p2 = κn^-a (each p2 resolved as the config key
    does), by the vectorized float64 path :func:`~symcollapse.curve`.  Returns numpy arrays
    ``n``, ``p2``, ``lam``, ``test_error``, ``bias``, ``variance``, ``zeta``."""
    return schedule_curves(law, [(kappa, a)], ns, regime=regime, sigma=sigma)[0]


def schedule_curves(law: scaling.PowerLaw, schedules, ns, *, regime: str = "ridgeless",
                    sigma=0) -> list:
    """:func:`schedule_curve` for several schedules [(κ, a), …] in one vectorized call."""

    _regime(regime)
    ns, schedules = list(ns), list(schedules)
    if not ns or not schedules:
        raise ConfigError("ns and schedules must be non-empty (sample sizes >= 1; (kappa, a) pairs)")
    nv = [to_number("n", n) for n in ns]
    lams = [tuned_lambda(law, float(n), sigma) if regime == "tuned" else 0.0 for n in nv]
    p2 = [[float(resolve_p2_schedule({"kappa": k, "a": a}, n)) for n in nv] for k, a in schedules]
    base = scaling.spec(law, nv[0], lam=lams[0], sigma1=sigma, sigma2=sigma, atoms=_atoms(law, True))
    out = curve(base, phi=[Fraction(1) / n for n in nv] * len(schedules),
                p2=[q for row in p2 for q in row], lam=lams * len(schedules))
    curves = []
    for j, row in enumerate(p2):
        part = slice(j * len(nv), (j + 1) * len(nv))
        c = {k: np.asarray(v)[part] for k, v in out.items()}
        c.update(n=np.array([float(n) for n in nv]), p2=np.array(row), lam=np.array(lams))
        curves.append(c)
    return curves


#: The series rule of the float64 curves (:func:`~symcollapse.analysis.scaling.power_law_atoms` arguments): a
#: shorter exact head and fewer tail nodes than the default 30-digit rule, which float64
#: cannot resolve anyway (the two agree to 1e-9 relative; derivations/schedules.md checks it).
CURVE_RULE = dict(head=100, nodes=8, dps=16)


@functools.lru_cache(maxsize=8)
def _atoms(law, light: bool = False):
    return scaling.power_law_atoms(law, **(CURVE_RULE if light else {}))


#: Default grid of the exponent fits: n = 10³ … 10⁹.
FIT_NS = tuple(int(round(10 ** (3 + k / 2))) for k in range(13))


def measured_exponent(law: scaling.PowerLaw, kappa, a, ns=FIT_NS, *, regime: str = "ridgeless",
                      sigma=0) -> float:
    """Least-squares slope of −log E against log n of :func:`schedule_curve`."""
    return measured_exponents(law, kappa, [a], ns, regime=regime, sigma=sigma)[0]


def measured_exponents(law: scaling.PowerLaw, kappa, a_values, ns=FIT_NS, *,
                       regime: str = "ridgeless", sigma=0) -> list:
    """:func:`measured_exponent` for several a at once (one vectorized curve)."""
    curves = schedule_curves(law, [(kappa, a) for a in a_values], ns, regime=regime, sigma=sigma)
    return [scaling.fitted_exponent(list(ns), c["test_error"]) for c in curves]


SUMMARY_LAW = dict(beta=1.5, gamma=2.0)


def notebook_summary(kappa=0.5, fractions=(0.3, 0.6, 1.6), law=None) -> dict:
    """The one-sentence answer in numbers, for a notebook cell: for β = 1.5, γ = 2
    (ridgeless, noiseless) the critical exponent a* (= the clean exponent a_c), and for
    a = fraction·a* the derived and the fitted exponents of E(n) over n = 10³…10⁹, with the
    largest relative gap.  With only the p2² term a* would be a_c/2 (``naive_critical_a``)."""
    law = law or scaling.PowerLaw(**SUMMARY_LAW)
    star = critical_a(law)
    a_values = [f * star for f in fractions]
    fits = measured_exponents(law, kappa, a_values, FIT_NS[::2])
    rows = [{"a": a, "derived": exponent(law, a), "measured": m} for a, m in zip(a_values, fits)]
    worst = max(abs(r["measured"] / r["derived"] - 1) for r in rows)
    naive = float(sym.solve(sp.Eq(2 * a_s, a_clean), a_s)[0].subs(a_clean, law_values(law)["a_c"]))
    return {"beta": law.beta, "gamma": law.gamma, "kappa": float(kappa),
            "a_clean": law_values(law)["a_c"], "critical_a": star, "naive_critical_a": naive,
            "rows": rows, "max_relative_gap": worst,
            "answer": (f"the clean law n^-{law_values(law)['a_c']:g} survives iff p2 = κn^-a "
                       f"with a >= a* = {star:g} (the clean exponent itself); for a < a* the "
                       f"error falls like n^-a")}
