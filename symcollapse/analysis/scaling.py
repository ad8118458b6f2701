r"""Scaling laws: the test error against n for power-law spectra, and the plateau that
synthetic data put under it.

**Setting** (docs/setting.md, "Scaling laws"): d ≫ n.  Coordinates i = 1, 2, … carry the
eigenvalues :math:`s_i = i^{-\beta}` of Σ1 (β > 1; Σ2 the same, or :math:`i^{-\beta_2}`),
signal energies :math:`w_i^2 = r_0\,i^{-\gamma}` (γ > 1) and shift energies
:math:`\delta_i = c_0\,i^{-\gamma_\delta}`.  Every normalized trace of the linear model's
system enters as :math:`\varphi\operatorname{tr}f = \frac1n\sum_i f(s_i)` or
:math:`\operatorname{tr}(\theta f) = \sum_i w_i^2 f(s_i)` (and the same with δ), so the
series spectrum *is* the linear model with φ = 1/n and one atom of weight 1 per
coordinate, θ = w², δ = δ (a reference dimension D = 1).  :func:`power_law_atoms` turns the
series into atoms: coordinates i < N0 exactly, the tail by the midpoint form of
Euler–Maclaurin, :math:`\sum_{i\ge N_0} f(i) = \int_{N_0-1/2}^\infty f(x)\,dx
+ \tfrac1{24}f'(N_0-\tfrac12) + O(f''')`, with the integral by Gauss–Legendre panels in
log x (one panel per e-fold over 32 e-folds, so the crossover at
:math:`i\sim\kappa^{-1/\beta}` is resolved for any practical n, then wider panels) and
f' by a two-point stencil.  Then :func:`~symcollapse.predict` and :func:`~symcollapse.curve`
apply unchanged.

**Derived** (:func:`clean_rate`, :func:`tuned_rate`, by SymPy from Mellin-type integrals
of the fixed point, with their conditions): for clean noiseless data the ridgeless error
falls as :math:`C n^{-a}` with a = min(γ + β − 1, 2β); with noise the ridgeless error has
a floor σ²(β − 1) and the tuned ridge gives :math:`a_\sigma = (\gamma+\beta-1)/(\gamma+\beta)`.
With synthetic data (p2 > 0, Δ ≠ 0) the error has the floor
:math:`p_2^2\sum_i\delta_i s_{1,i}s_{2,i}^2/(p_1s_{1,i}+p_2s_{2,i})^2` (:func:`floor`):
the law bends into a plateau at the crossover :math:`n^\star = (C/\text{floor})^{1/a}`
(:func:`crossover`), and a mixture of n samples is worth at most n* real ones
(:func:`worth`).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction

import mpmath as mp
import numpy as np
import sympy as sp

from symcollapse.core import determinism as sym, equations as eq
from symcollapse.core.decomposition import curve, predict
from symcollapse.core.errors import ConfigError, UnsupportedError
from symcollapse.core.regimes import model_family
from symcollapse.core.spec import Atom, Spec, to_number

#: Default size of the exact head of the series.
HEAD = 400
#: Gauss–Legendre nodes per panel of the tail.
NODES = 24
#: The tail's panels are one e-fold wide up to this many e-folds beyond the head.
UNIT_PANELS = 32


@dataclass(frozen=True)
class PowerLaw:
    """A power-law spectrum on coordinates i = 1, 2, …: s1 = i^-β, s2 = i^-β2 (default β),
    w_i² = r0·i^-γ, δ_i = c0·i^-γδ (default γδ = γ).  ``r0`` and ``c0`` are the energies of
    the first coordinate (‖w1‖² = r0·ζ(γ), Tr Δ = c0·ζ(γδ))."""

    beta: float
    gamma: float
    beta2: float | None = None
    gamma_delta: float | None = None
    r0: float = 1.0
    c0: float = 1.0

    def __post_init__(self):
        for key, low in (("beta", 1), ("gamma", 1)):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, (int, float, Fraction)) or not v > low:
                raise ConfigError(f"{key} = {v!r} is out of range: allowed {key} > {low} "
                                  "(a summable spectrum and a finite ‖w1‖²)")
        if self.beta2 is not None and not self.beta2 > 1:
            raise ConfigError(f"beta2 = {self.beta2!r} is out of range: allowed beta2 > 1")
        if self.gamma_delta is not None and not self.gamma_delta > 1:
            raise ConfigError(f"gamma_delta = {self.gamma_delta!r} is out of range: allowed "
                              "gamma_delta > 1")
        for key in ("r0", "c0"):
            v = getattr(self, key)
            if not v >= 0:
                raise ConfigError(f"{key} = {v!r} is out of range: allowed {key} >= 0")

    def values(self, i):
        """(s1, s2, w², δ) at coordinate i (mpf, current precision)."""
        b2 = self.beta if self.beta2 is None else self.beta2
        gd = self.gamma if self.gamma_delta is None else self.gamma_delta
        return (i ** -_mpf(self.beta), i ** -_mpf(b2), _mpf(self.r0) * i ** -_mpf(self.gamma),
                _mpf(self.c0) * i ** -_mpf(gd))


def _mpf(v):
    """An int, float or Fraction as mpf at the current precision (exact rationals rounded
    once)."""
    if isinstance(v, Fraction):
        return mp.mpf(v.numerator) / v.denominator
    return mp.mpf(v)


@functools.lru_cache(maxsize=32)
def _panels(decay: float, dps: int):
    """Panel edges in u = ln(x/a) for the tail integral: unit panels up to u = UNIT_PANELS
    (the crossover i ~ κ^(−1/β) lies there for any n up to ~e^UNIT_PANELS·N0), then panels
    doubling up to a width 8/decay, until the slowest integrand x·x^−decay has fallen below
    10^−(dps+8).  Beyond the crossover the integrand in u is a sum of exponentials
    e^−(decay + jβ)u, which 24-node Gauss–Legendre integrates to ~10^−32 relative on a
    panel of width 8/decay."""
    end = (dps + 8) * mp.log(10) / decay + 2
    edges, u, width = [0], 0, 1
    while u < end:
        if u >= UNIT_PANELS:
            width = min(2 * width, max(1, int(8 / decay)))
        u += width
        edges.append(u)
    return tuple(edges)


def _rule(decay: float, head: int, nodes: int, dps: int):
    """Nodes and weights of the tail rule for Σ_{i ≥ head} (midpoint Euler–Maclaurin):
    Gauss–Legendre on panels [e^u_k, e^u_{k+1}]·(head − 1/2) in u = ln x (:func:`_panels`);
    plus the f' stencil."""
    with mp.workdps(dps):
        a = mp.mpf(head) - mp.mpf(1) / 2
        gl = mp.calculus.quadrature.GaussLegendre(mp.mp)
        degree = max(1, int(mp.ceil(mp.log(nodes, 2) - 1)))
        base = gl.calc_nodes(degree, mp.mp.prec)  # nodes on [-1, 1] with weights
        rule = []
        edges = _panels(decay, dps)
        for lo, hi in zip(edges, edges[1:]):
            for t, w in base:
                u = lo + (t + 1) * (hi - lo) / 2
                x = a * mp.exp(u)
                rule.append((x, w * (hi - lo) / 2 * x))  # dx = x du
        # +(1/24) f'(a) ≈ (1/24)(f(head) − f(head − 1)), a = head − 1/2
        rule.append((mp.mpf(head), mp.mpf(1) / 24))
        rule.append((mp.mpf(head - 1), -mp.mpf(1) / 24))
        return tuple(rule)


def power_law_atoms(law: PowerLaw, *, head: int = HEAD, nodes: int = NODES, dps: int = 30):
    """Atoms (weight = number of coordinates represented) of the series spectrum: the exact
    head i = 1..head−1 and the tail quadrature (module docstring)."""
    atoms = []
    with mp.workdps(dps + 10):
        for i in range(1, head):
            s1, s2, th, de = law.values(mp.mpf(i))
            atoms.append(Atom(mp.mpf(1), s1, s2, th, de))
        decay = min(law.beta, law.beta2 or law.beta, law.gamma) - 1
        for x, w in _rule(float(decay), head, nodes, dps + 10):
            s1, s2, th, de = law.values(x)
            atoms.append(Atom(w, s1, s2, th, de))
    return tuple(atoms)


def spec(law: PowerLaw, n, *, p2=0, lam=0, sigma1=0, sigma2=0, atoms=None) -> Spec:
    """The linear model of the series spectrum at sample size n (φ = 1/n, D = 1)."""
    n_ = to_number("n", n)
    if not n_ >= 1:
        raise ConfigError(f"n = {n!r} is out of range: allowed n >= 1")
    vals = {k: to_number(k, v) for k, v in (("p2", p2), ("lam", lam), ("sigma1", sigma1),
                                            ("sigma2", sigma2))}
    if not 0 <= vals["p2"] <= 1:
        raise ConfigError(f"p2 = {p2!r} is out of range: allowed 0 <= p2 <= 1")
    for k in ("lam", "sigma1", "sigma2"):
        if vals[k] < 0:
            raise ConfigError(f"{k} = {vals[k]} is out of range: allowed {k} >= 0")
    return Spec(phi=1 / n_, p2=vals["p2"], lam=vals["lam"], sigma1=vals["sigma1"],
                sigma2=vals["sigma2"], atoms=atoms if atoms is not None else power_law_atoms(law))


def predict_n(law: PowerLaw, n, dps: int = 20, **kw) -> dict:
    """:func:`~symcollapse.predict` of the series spectrum at sample size n."""
    return predict(spec(law, n, **kw), dps=dps)


def learning_curve(law: PowerLaw, ns, **kw) -> dict:
    """The float64 path over sample sizes ns (vectorized; :func:`~symcollapse.curve`)."""
    base = spec(law, ns[0], **kw)
    return curve(base, phi=[Fraction(1) / to_number("n", n) for n in ns])


def fitted_exponent(ns, values) -> float:
    """Least-squares slope of −log E against log n."""
    x = np.log(np.asarray(ns, dtype=float))
    y = np.log(np.asarray(values, dtype=float))
    return float(-np.polyfit(x, y, 1)[0])


# ----------------------------------------------------------------------------- derived laws

beta_s, gamma_s, n_s, sigma_s = sp.symbols("beta gamma n sigma", positive=True)
kappa_s = sp.Symbol("kappa", positive=True)
_x = sp.Symbol("x", positive=True)


def _mellin(integrand):
    """∫_0^∞ integrand dx with SymPy, returning (value, condition)."""
    res = sp.integrate(integrand, (_x, 0, sp.oo), conds="separate")
    if isinstance(res, tuple):
        return sym.simplify(res[0]), res[1]
    return sym.simplify(res), sp.true


@functools.lru_cache(maxsize=None)
def continuum_integrals():
    r"""The three Mellin-type integrals of the continuum fixed point, by SymPy:
    :math:`I_1 = \int_0^\infty\frac{dx}{1+x^\beta}`, :math:`I_2 = \int_0^\infty
    \frac{dx}{(1+x^\beta)^2}` and :math:`J = \int_0^\infty\frac{x^{\beta-\gamma}}
    {(1+x^\beta)^2}dx`, each with its condition."""
    b, g = beta_s, gamma_s
    return {"I1": _mellin(1 / (1 + _x ** b)), "I2": _mellin(1 / (1 + _x ** b) ** 2),
            "J": _mellin(_x ** (b - g) / (1 + _x ** b) ** 2)}


@functools.lru_cache(maxsize=None)
def clean_rate():
    r"""Clean, noiseless, ridgeless: E ≃ C n^-a, derived.

    The interpolating ridgeless system (ε = e/λ at λ = 0) with κ = 1/ε reads
    :math:`\frac1n\sum_i\frac{s_i}{s_i+\kappa} = 1`, and Bias
    :math:`= (1+u)\sum_i w_i^2\frac{s_i\kappa^2}{(s_i+\kappa)^2}` with
    :math:`1+u = (1 - \frac1n\sum_i\frac{s_i^2}{(s_i+\kappa)^2})^{-1}`.  With
    :math:`i = \kappa^{-1/\beta}x` the sums become :math:`\kappa^{-1/\beta}I_1`,
    :math:`\kappa^{-1/\beta}I_2` and :math:`r_0\kappa^{(\gamma+\beta-1)/\beta}J` (relative
    corrections O(κ^{1/β})), so κ = (I1/n)^β, 1 + u = I1/(I1 − I2) and
    E ≃ (1+u)·r0·J·(I1/n)^{γ+β−1}.  J converges iff γ < β + 1; beyond, the head dominates:
    :math:`\sum_i w_i^2\kappa^2/s_i = r_0\zeta(\gamma-\beta)\kappa^2` and a = 2β.

    Returns ``{"exponent", "constant", "one_plus_u", "kappa", "condition"}``, each a SymPy
    expression in beta, gamma, n (Piecewise over the two source regimes).
    """
    ints = continuum_integrals()
    I1, c1 = ints["I1"]
    I2, c2_ = ints["I2"]
    J, cJ = ints["J"]
    one_plus_u = sym.simplify(I1 / (I1 - I2))
    kappa = (I1 / n_s) ** beta_s
    a_main = gamma_s + beta_s - 1
    C_main = sym.simplify(one_plus_u * J * I1 ** a_main)
    C_sat = sym.simplify(one_plus_u * sp.zeta(gamma_s - beta_s) * I1 ** (2 * beta_s))
    cond = gamma_s < beta_s + 1
    return {"exponent": sp.Piecewise((a_main, cond), (2 * beta_s, gamma_s > beta_s + 1)),
            "constant": sp.Piecewise((C_main, cond), (C_sat, gamma_s > beta_s + 1)),
            "one_plus_u": one_plus_u, "kappa": kappa,
            "condition": sp.And(beta_s > 1, gamma_s > 1),
            "integral_conditions": (c1, c2_, cJ)}


@functools.lru_cache(maxsize=None)
def tuned_rate():
    r"""Clean data with noise σ, ridge tuned to n: :math:`E^\star \simeq C_\sigma
    n^{-a_\sigma}`, :math:`a_\sigma = \frac{\gamma+\beta-1}{\gamma+\beta}` (γ < β + 1).

    For λ ≫ n^-β the fixed point gives e → 1, κ ≈ λ, u → 0, so E(λ) ≈ r0 J λ^p +
    σ² I2 λ^{-1/β}/n with p = (γ + β − 1)/β; minimizing over λ (SymPy) gives λ* and E*.
    Also returns ``ridgeless_noise_floor`` = σ²(β − 1), the variance that the ridgeless
    interpolator keeps for any n (tempered overfitting), derived from 1 + u.
    """
    ints = continuum_integrals()
    I1, I2, J = ints["I1"][0], ints["I2"][0], ints["J"][0]
    lam = sp.Symbol("lambda", positive=True)
    r0 = sp.Symbol("r0", positive=True)
    p = (gamma_s + beta_s - 1) / beta_s
    E = r0 * J * lam ** p + sigma_s ** 2 * I2 * lam ** (-1 / beta_s) / n_s
    crit = sym.solve(sp.diff(E, lam), lam)
    if len(crit) != 1:
        raise AssertionError(f"tuned ridge: expected one critical point, got {crit}")
    lam_star = sym.simplify(crit[0])
    E_star = sym.simplify(E.subs(lam, lam_star))
    exponent = sym.simplify(-sp.diff(sp.log(E_star), n_s) * n_s)
    return {"lambda_star": lam_star, "error": E_star, "exponent": exponent,
            "ridgeless_noise_floor": sym.simplify(sigma_s ** 2 * (clean_rate()["one_plus_u"] - 1)),
            "condition": sp.And(beta_s > 1, gamma_s > 1, gamma_s < beta_s + 1)}


@functools.lru_cache(maxsize=None)
def interpolation_floor():
    r"""The n → ∞ limit of the ridgeless mixture on a co-spectral series spectrum (Σ1 = Σ2).

    With Σ1 = Σ2 the two groups' equations coincide (e1 = e2 = e, u1 = u2 = u); put
    λ = κe.  Every part is then a function of κ, u and sums over i; as n → ∞, κ → 0 and the
    continuum gives 1 + u → I1/(I1 − I2) = β.  Bias → 0, Var → σ̄²(β − 1) (the label noise
    the interpolator keeps) and

    .. math:: \zeta \to \bigl(p_2^2 + p_1p_2(\beta-1)\bigr)\sum_i\delta_is_i,

    the proportional floor c²(p2² + p1p2φ/(1−φ)) with φ/(1−φ) replaced by β − 1: in
    d ≫ n the shift is both a bias (p2²) and, on the interpolated synthetic rows, a noise.
    Returns ``(densities, steps)``: per-coordinate floor densities of each part (in the
    atom symbols, β and the parameters) and the checked steps.
    """
    steps = []
    system = model_family("linear", "plain", (), ())
    co = {eq.S2: eq.S1}
    same = {eq.e2: eq.e1, eq.u2: eq.u1}
    eqs = {x: sp.sympify(f).xreplace(co) for x, f in zip(system.unknowns, system.equations)}
    for a, b in ((eq.e1, eq.e2), (eq.u1, eq.u2)):
        if sym.simplify(eqs[a].xreplace(same) - eqs[b].xreplace(same)) != 0:
            raise AssertionError(f"co-spectral reduction: the equations of {a} and {b} differ")
    steps.append(("With Σ2 = Σ1 the equations of the two groups coincide: e1 = e2 = e, u1 = u2 = u.",
                  "sympy: identical residuals after the substitution"))
    kappa = kappa_s
    out = {}
    for part, dens in system.densities.items():
        d = sp.sympify(dens).xreplace(co).xreplace(same).xreplace({eq.lam: kappa * eq.e1})
        d = sp.limit(sp.cancel(d), kappa, 0)
        out[part] = sym.factor(d.subs(eq.u1, beta_s - 1))
    steps.append(("λ = κe, κ → 0 inside each density, then 1 + u = I1/(I1 − I2) = β (SymPy's "
                  "integrals; continuum of the sums, exact as κ → 0).", "sympy: limits and integrals"))
    ints = continuum_integrals()
    if sym.simplify(ints["I1"][0] / (ints["I1"][0] - ints["I2"][0]) - beta_s) != 0:
        raise AssertionError("1 + u is not beta")
    return out, steps


def floor(law: PowerLaw, p2, sigma1=0, sigma2=0, dps: int = 30) -> dict:
    r"""The n → ∞ floor of the ridgeless mixture on a co-spectral series spectrum
    (:func:`interpolation_floor`, summed over the coordinates: Σ_i δ_i s_i = c0 ζ(γδ + β)).
    Returns mpf values of each part."""
    if law.beta2 is not None and law.beta2 != law.beta:
        raise UnsupportedError("scaling.floor: derived for Σ1 = Σ2 (beta2 = beta)")
    dens, _steps = interpolation_floor()
    gd = law.gamma if law.gamma_delta is None else law.gamma_delta
    with mp.workdps(dps + 5):
        p2m = mp.mpf(to_number("p2", p2).numerator) / to_number("p2", p2).denominator
        sig = [mp.mpf(str(x)) for x in (sigma1, sigma2)]
        sums = {eq.DELTA: _mpf(law.c0) * mp.zeta(_mpf(gd) + _mpf(law.beta))}
        out = {}
        for part, d in dens.items():
            d = sp.expand(d)
            coeff_delta = d.coeff(eq.DELTA)
            rest = sym.simplify(d - coeff_delta * eq.DELTA)
            if rest.has(eq.DELTA, eq.THETA):
                raise AssertionError(f"floor: unexpected {part} density {d}")
            vals = {beta_s: _mpf(law.beta), eq.p2: p2m, eq.sigma1: sig[0], eq.sigma2: sig[1]}
            c = coeff_delta.subs(eq.S1, 1)  # the δ-density is (coefficient)·δ·s
            if sym.simplify(coeff_delta - c * eq.S1) != 0:
                raise AssertionError("floor: the shift density is not proportional to δ·s")
            f = sp.lambdify(list(vals), [c, rest], modules="mpmath")
            cv, rv = f(*vals.values())
            out[part] = cv * sums[eq.DELTA] + rv
    with mp.workdps(dps):
        return {k: +v for k, v in out.items()}


def crossover(law: PowerLaw, p2) -> dict:
    r"""Where the floor takes over: :math:`n^\star = (C/\mathrm{floor})^{1/a}` with C, a of
    :func:`clean_rate` (noiseless, ridgeless) and the floor of :func:`floor`."""
    rate = clean_rate()
    vals = {beta_s: sp.nsimplify(law.beta), gamma_s: sp.nsimplify(law.gamma)}
    a = float(rate["exponent"].subs(vals))
    C = float(rate["constant"].subs(vals)) * law.r0
    fl = float(floor(law, p2)["test_error"])
    n_star = (C / fl) ** (1 / a) if fl > 0 else float("inf")  # no floor: the law never bends
    return {"exponent": a, "constant": C, "floor": fl, "n_star": n_star}


def worth(law: PowerLaw, n, p2, *, grid: int = 200) -> float:
    r"""The number of real samples that a mixture of n samples (fraction p2 synthetic) is
    worth: n_eff with E_clean(n_eff) = E_mix(n) (noiseless, ridgeless).  The clean learning
    curve is evaluated on a fine log grid up to 10n (one vectorized float64 call) and
    inverted by interpolation in log-log (it is strictly decreasing).  It is at most about
    n* (:func:`crossover`): past it more data buy nothing."""
    target = float(learning_curve(law, [int(n)], p2=p2)["test_error"][0])
    ns = np.geomspace(1, 10 * float(n), grid)
    clean = learning_curve(law, [max(1, int(round(m))) for m in ns])["test_error"]
    if target < clean[-1]:
        return float("inf")
    if target >= clean[0]:
        return 1.0
    logs = np.log(clean)[::-1]
    u = float(np.interp(np.log(target), logs, np.log(ns)[::-1]))
    for _ in range(4):  # Newton in log-log on the clean curve (n need not be an integer)
        h = 1e-4
        e0, e1 = learning_curve(law, [float(np.exp(u)), float(np.exp(u + h))])["test_error"]
        slope = (np.log(e1) - np.log(e0)) / h
        step = (np.log(target) - np.log(e0)) / slope
        u += step
        if abs(step) < 1e-10:
            break
    return float(np.exp(u))


def tuned_curve(law: PowerLaw, ns, sigma, *, grid=None) -> dict:
    """The error at the best ridge for each n (noisy clean data): every (n, λ) of a log-λ
    grid in one vectorized float64 evaluation, then a parabola through the three grid
    points around the minimum (in log λ) for λ* and E*.  Returns ``n``, ``lam`` and
    ``test_error`` arrays."""
    ns = [int(n) for n in ns]
    if grid is None:  # around the derived λ*(n) (tuned_rate), a factor 30 each way
        star = sp.lambdify(n_s, tuned_rate()["lambda_star"].subs(
            {beta_s: sp.nsimplify(law.beta), gamma_s: sp.nsimplify(law.gamma),
             sigma_s: sp.nsimplify(sigma), sp.Symbol("r0", positive=True): sp.nsimplify(law.r0)}))
        grids = [np.geomspace(float(star(n)) / 30, float(star(n)) * 30, 31) for n in ns]
    else:
        grids = [np.asarray(grid, dtype=float)] * len(ns)
    base = spec(law, ns[0], sigma1=sigma, sigma2=sigma, lam=1)
    phis = [Fraction(1, n) for n, g in zip(ns, grids) for _ in g]
    lams = [float(x) for g in grids for x in g]
    flat = curve(base, phi=phis, lam=lams)["test_error"]
    lam_best, err_best = [], []
    for i, g in enumerate(grids):
        row = flat[i * len(g):(i + 1) * len(g)]
        u = np.log(g)
        k = int(np.clip(np.argmin(row), 1, len(g) - 2))
        y = np.log(row[k - 1:k + 2])
        c2, c1, c0 = np.polyfit(u[k - 1:k + 2], y, 2)
        ustar = -c1 / (2 * c2)
        lam_best.append(float(np.exp(ustar)))
        err_best.append(float(np.exp(c0 + c1 * ustar + c2 * ustar ** 2)))
    return {"n": np.array(ns), "lam": np.array(lam_best), "test_error": np.array(err_best)}


def finite_config(law: PowerLaw, d: int, n: int, *, p2=0, lam=0, sigma1=0, sigma2=0) -> dict:
    """An ordinary config with the first d coordinates of the power law (weights 1/d,
    d-scaled energies θ = d·w², δ = d·δ; φ = d/n): what :func:`~symcollapse.simulate`
    runs, and what the series spectrum approaches when d ≫ n."""
    if not isinstance(d, int) or d < 1 or not isinstance(n, int) or n < 1:
        raise ConfigError("finite_config: d and n must be positive integers")
    atoms = []
    for i in range(1, d + 1):
        s1, s2, th, de = law.values(mp.mpf(i))
        atoms.append({"weight": Fraction(1, d), "s1": float(s1), "s2": float(s2),
                      "theta": float(th * d), "delta": float(de * d)})
    return {"phi": Fraction(d, n), "p2": p2, "lam": lam, "sigma1": sigma1, "sigma2": sigma2,
            "atoms": atoms}
