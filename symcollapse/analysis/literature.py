r"""The published random-features formula of Mei & Montanari, implemented from the paper.

Reference: Song Mei and Andrea Montanari, "The generalization error of random features
regression: Precise asymptotics and the double descent curve", arXiv:1908.05355 (2019);
Communications on Pure and Applied Mathematics 75(4), 667–766 (2022).  Used here: the setting
of Section 2 (ridge objective, Gaussian-equivalence constants), **Definition 1** (the fixed
point ν1, ν2, the scalar χ and the rational functions E0, E1, E2, B = E1/E0, V = E2/E0) and
**Theorem 1** (the risk R = F1²·B + (τ² + F*²)·V + F*²).  In the arXiv text the displays
of Definition 1 are, in order, the fixed point, χ, E0, E1, E2 and B, V (eqs. (14)–(19); the
numbering may shift between versions, so the formulas are stated below in full and they, not
the numbers, are what is implemented).  The transcription of E0, E1, E2 and of the fixed
point was cross-read against an independent third-party transcription of Definition 1; the
ridge normalisation (Nλ/d)‖a‖² is confirmed by the 40-digit agreement below and the
disagreement of the unscaled λ (tests/test_literature.py).

Their setting
-------------
x_i ~ Unif(S^{d−1}(√d)), θ_a ~ Unif(S^{d−1}(√d)) (a = 1..N), features σ(⟨θ_a, x⟩/√d),
y = f_d(x) + ε with f_d(x) = β0 + ⟨β1, x⟩ + f_NL(x), ‖β1‖² → F1², E f_NL² → F*², ε ~ N(0, τ²);

    â(λ) = argmin_a (1/n) Σ_i (y_i − Σ_a a_a σ(⟨θ_a, x_i⟩/√d))² + (Nλ/d)‖a‖²,
    R = E_x[(f_d(x) − f̂(x))²]   (no label noise in R),

ψ1 = N/d, ψ2 = n/d; G ~ N(0, 1): μ0 = E σ(G), μ1 = E[Gσ(G)], μ*² = E σ(G)² − μ0² − μ1²;
ζ = μ1/μ*, λ̄ = λ/μ*².  Definition 1: with ξ = i(ψ1ψ2λ̄)^{1/2},

    ν1 = ψ1 (−ξ − ν2 − ζ²ν2/(1 − ζ²ν1ν2))⁻¹,   ν2 = ψ2 (−ξ − ν1 − ζ²ν1/(1 − ζ²ν1ν2))⁻¹,

on the branch of the analytic maps C+ → C+ (Im ν1, Im ν2 > 0, :math:`|\nu_k| \le \psi_k/\mathrm{Im}\,\xi`); χ = ν1ν2, and::

    E0 = −χ⁵ζ⁶ + 3χ⁴ζ⁴ + (ψ1ψ2 − ψ2 − ψ1 + 1)χ³ζ⁶ − 2χ³ζ⁴ − 3χ³ζ²
         + (ψ1 + ψ2 − 3ψ1ψ2 + 1)χ²ζ⁴ + 2χ²ζ² + χ² + 3ψ1ψ2χζ² − ψ1ψ2,
    E1 = ψ2χ³ζ⁴ − ψ2χ²ζ² + ψ1ψ2χζ² − ψ1ψ2,
    E2 = χ⁵ζ⁶ − 3χ⁴ζ⁴ + (ψ1 − 1)χ³ζ⁶ + 2χ³ζ⁴ + 3χ³ζ² + (−ψ1 − 1)χ²ζ⁴ − 2χ²ζ² − χ²,
    B = E1/E0,  V = E2/E0,  R ≃ F1²·B + (τ² + F*²)·V + F*².

At ξ = is (s > 0) the physical branch is purely imaginary, ν_k = i·a_k with a_k > 0:
a1 = ψ1/(s + a2 + ζ²a2/(1 + ζ²a1a2)), a2 = ψ2/(s + a1 + ζ²a1/(1 + ζ²a1a2)), so χ = −a1a2 < 0.
:func:`mei_montanari_nu` brackets that positive root by bisection (and checks that it is
the only positive one on a fine grid), then polishes the complex system with
``mpmath.findroot`` and checks the branch conditions.

The map to docs/setting.md's random features model (clean data, p2 = 0)
------------------------------------------------------------------------
docs/setting.md: x ~ N(0, Σ1) with Σ1 = I, S ∈ R^{m×d} iid N(0, 1/d), features σ(Sx),
v̂ = argmin (1/n)‖σ(XSᵀ)v − y‖² + λ‖v‖², y = xᵀw1 + ε, ‖w1‖² = r², ε ~ N(0, σ1²),
E_test = E_x[(f(x) − xᵀw1)²]; φ = d/n, ψ = m/n.

- θ_a ↔ √d·S_a: the rows of √d·S are N(0, I_d), of norm √d(1 + O(d^{-1/2})); x ~ N(0, I)
  has ‖x‖ = √d(1 + O(d^{-1/2})); the pre-activation (Sx)_a ↔ ⟨θ_a, x⟩/√d has unit
  variance in both (tr Σ1 = 1).  The features are not normalised in either (no 1/√N).
- N = m, so ψ1 = N/d = ψ/φ;  ψ2 = n/d = 1/φ.
- Ridge: both losses are (1/n)Σ(residual)², over the same unnormalised features, so
  λ_ours = Nλ_MM/d = ψ1·λ_MM, i.e. **λ_MM = λ·φ/ψ**, and λ̄ = λ_MM/μ*².
- Target: β1 = w1, F1² = r² (= θ of the single atom), f_NL = 0 so F*² = 0; β0 = 0.
- Noise: τ² = σ1².  Their R excludes the noise, as does E_test: R ↔ E_test.
- Constants: μ1 = E[Gσ(G)] = E σ′(G) (Stein), μ*² as above, both at unit pre-activation
  variance — for the centred relu μ0 = 0, μ1 = 1/2, μ*² = 1/4 − 1/(2π); for tanh μ0 = 0 and
  μ1, μ*² by quadrature (:func:`activation_constants`, written here from the definitions).
- Bias/variance: B multiplies F1² (the noise-free part) and V multiplies τ² (the label-noise
  part), which is the toolkit's split at p2 = 0: bias ↔ F1²·B, variance ↔ τ²·V.

The sphere ↔ Gaussian change of the input and weight laws is a difference of finite-d
models that vanishes in the proportional limit (both give the same limit: the Gaussian
equivalence of the features holds for either); the formulas compared are the limits.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath as mp

from symcollapse.core.errors import ConfigError, ConvergenceError

ACTIVATIONS = ("relu", "tanh")
GUARD_DIGITS = 15


def _num(x):
    """An mpf from an int, Fraction, decimal string or float (floats by their decimal repr)."""
    if isinstance(x, Fraction):
        return mp.mpf(x.numerator) / x.denominator
    if isinstance(x, float):
        return mp.mpf(repr(x))
    return mp.mpf(x)


def _positive(name, x):
    v = _num(x)
    if not v > 0:
        raise ConfigError(f"{name} = {x!r} is out of range: allowed {name} > 0")
    return v


def _gauss(f):
    """E f(G), G ~ N(0, 1), by mpmath quadrature at the working precision."""
    val, err = mp.quad(lambda g: f(g) * mp.exp(-g * g / 2), [-mp.inf, 0, mp.inf], error=True)
    if err > mp.mpf(10) ** (-(mp.mp.dps - 5)):
        raise ConvergenceError(f"Gaussian quadrature error {mp.nstr(err, 3)} too large")
    return val / mp.sqrt(2 * mp.pi)


def activation_constants(activation: str, dps: int = 30) -> dict:
    r"""Mei–Montanari's constants at unit pre-activation variance, from their definitions:
    μ0 = E σ(G), μ1 = E[Gσ(G)], μ*² = E σ(G)² − μ0² − μ1² (σ as in docs/setting.md).

    relu (centred, σ(h) = max(h, 0) − 1/√(2π)): with E max(G,0) = 1/√(2π),
    E[G max(G,0)] = 1/2, E max(G,0)² = 1/2 these are μ0 = 0, μ1 = 1/2,
    μ*² = 1/2 − 1/(2π) − 1/4.  tanh: μ0 = 0 (odd), μ1 and E tanh² by quadrature.
    Returns mu0, mu1, mustar2, mustar, zeta = μ1/μ* (mpf at ``dps`` digits)."""
    if activation not in ACTIVATIONS:
        raise ConfigError(f"activation = {activation!r} is not allowed: allowed \"relu\", \"tanh\"")
    with mp.workdps(dps + GUARD_DIGITS):
        if activation == "relu":
            c0 = 1 / mp.sqrt(2 * mp.pi)
            e_pos, e_gpos, e_pos2 = c0, mp.mpf(1) / 2, mp.mpf(1) / 2
            mu0 = e_pos - c0
            mu1 = e_gpos                              # E[G(max(G,0) − c0)] = E[G max(G,0)]
            second = e_pos2 - 2 * c0 * e_pos + c0 * c0
        else:
            mu0 = mp.mpf(0)
            mu1 = _gauss(lambda g: g * mp.tanh(g))
            second = _gauss(lambda g: mp.tanh(g) ** 2)
        mustar2 = second - mu0 ** 2 - mu1 ** 2
        out = {"mu0": mu0, "mu1": mu1, "mustar2": mustar2, "mustar": mp.sqrt(mustar2),
               "zeta": mu1 / mp.sqrt(mustar2)}
    with mp.workdps(dps):
        return {k: +v for k, v in out.items()}


# ----------------------------------------------------------------------------- fixed point

def _bisect(f, lo, hi, iters=200):
    """A root of the increasing-through-zero f on [lo, hi] (f(lo) < 0 <= f(hi)), in floats."""
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if f(mid) < 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _positive_branch_start(psi1, psi2, s, zeta):
    """(a1, a2) > 0 of the purely imaginary branch ν_k = i·a_k, in floats.

    For a fixed a1 > 0, a2·(s + a1 + ζ²a1/(1 + ζ²a1a2)) is increasing in a2 from 0 to ∞, so
    a2(a1) is unique; F(a1) = a1·(s + a2 + ζ²a2/(1 + ζ²a1a2)) − ψ1 goes from −ψ1 (a1 → 0) to
    ≥ 0 (a1 = ψ1/s).  The root is bracketed there; a grid of F checks it is the only one."""
    psi1, psi2, s, z2 = float(psi1), float(psi2), float(s), float(zeta) ** 2

    def a2_of(a1):
        return _bisect(lambda a2: a2 * (s + a1 + z2 * a1 / (1 + z2 * a1 * a2)) - psi2,
                       0.0, psi2 / s)

    def F(a1):
        a2 = a2_of(a1)
        return a1 * (s + a2 + z2 * a2 / (1 + z2 * a1 * a2)) - psi1

    hi = psi1 / s
    grid = [hi * 10.0 ** (-14 + 14 * k / 300) for k in range(301)]
    signs = [F(a) >= 0 for a in grid]
    changes = sum(1 for u, v in zip(signs, signs[1:]) if u != v)
    if changes != 1 or signs[0]:
        raise ConvergenceError(f"the positive branch is not isolated ({changes} sign changes)")
    a1 = _bisect(F, 0.0, hi)
    return a1, a2_of(a1)


def mei_montanari_nu(psi1, psi2, lambar, zeta, dps: int = 30):
    r"""ν1, ν2 of Definition 1 at ξ = i(ψ1ψ2λ̄)^{1/2} on the branch C+ → C+ (mpc, ``dps``
    digits).  The fixed point is solved by ``mpmath.findroot`` in the pole-free form
    ν1(−ξ − ν2 − ζ²ν2/(1 − ζ²ν1ν2)) = ψ1 (and 1 ↔ 2), started from the bracketed positive
    imaginary root; the result must have Im ν_k > 0, :math:`|\nu_k| \le \psi_k/\mathrm{Im}\,\xi`,
    Re ν_k ≈ 0."""
    with mp.workdps(dps + GUARD_DIGITS):
        psi1, psi2 = _positive("psi1", psi1), _positive("psi2", psi2)
        lambar, zeta = _positive("lambar", lambar), _num(zeta)
        s = mp.sqrt(psi1 * psi2 * lambar)
        xi = mp.mpc(0, s)
        z2 = zeta ** 2
        a1, a2 = _positive_branch_start(psi1, psi2, s, zeta)

        def system(n1, n2):
            q = 1 - z2 * n1 * n2
            return (n1 * (-xi - n2 - z2 * n2 / q) - psi1,
                    n2 * (-xi - n1 - z2 * n1 / q) - psi2)

        n1, n2 = mp.findroot(system, (mp.mpc(0, a1), mp.mpc(0, a2)),
                             tol=mp.mpf(10) ** (-2 * (dps + GUARD_DIGITS) + 10))
        res = max(abs(r) for r in system(n1, n2))
        tiny = mp.mpf(10) ** (-(dps + 5))
        if res > tiny:
            raise ConvergenceError(f"fixed point residual {mp.nstr(res, 3)}")
        for k, (nu, ps) in enumerate(((n1, psi1), (n2, psi2)), start=1):
            if not (nu.imag > 0 and abs(nu) <= ps / s * (1 + tiny) and abs(nu.real) <= tiny):
                raise ConvergenceError(f"nu{k} = {mp.nstr(nu, 8)} is off the physical branch")
    with mp.workdps(dps):
        return +n1, +n2


# ----------------------------------------------------------------------------- the formula

def mei_montanari_BV(zeta, psi1, psi2, lambar, dps: int = 30) -> dict:
    r"""B and V of Definition 1 (E0, E1, E2 at χ = ν1ν2) for ζ, ψ1, ψ2, λ̄."""
    with mp.workdps(dps + GUARD_DIGITS):
        psi1, psi2, zeta = _num(psi1), _num(psi2), _num(zeta)
        n1, n2 = mei_montanari_nu(psi1, psi2, lambar, zeta, dps + GUARD_DIGITS)
        chi_c = n1 * n2
        if abs(chi_c.imag) > mp.mpf(10) ** (-(dps + 5)) * abs(chi_c):
            raise ConvergenceError(f"chi = {mp.nstr(chi_c, 8)} is not real")
        x, z, p = chi_c.real, zeta, psi1 * psi2
        E0 = (-x ** 5 * z ** 6 + 3 * x ** 4 * z ** 4 + (p - psi2 - psi1 + 1) * x ** 3 * z ** 6
              - 2 * x ** 3 * z ** 4 - 3 * x ** 3 * z ** 2 + (psi1 + psi2 - 3 * p + 1) * x ** 2 * z ** 4
              + 2 * x ** 2 * z ** 2 + x ** 2 + 3 * p * x * z ** 2 - p)
        E1 = psi2 * x ** 3 * z ** 4 - psi2 * x ** 2 * z ** 2 + p * x * z ** 2 - p
        E2 = (x ** 5 * z ** 6 - 3 * x ** 4 * z ** 4 + (psi1 - 1) * x ** 3 * z ** 6
              + 2 * x ** 3 * z ** 4 + 3 * x ** 3 * z ** 2 + (-psi1 - 1) * x ** 2 * z ** 4
              - 2 * x ** 2 * z ** 2 - x ** 2)
        out = {"B": E1 / E0, "V": E2 / E0, "chi": x, "nu1": n1, "nu2": n2,
               "E0": E0, "E1": E1, "E2": E2}
    with mp.workdps(dps):
        return {k: +v for k, v in out.items()}


def mei_montanari_test_error(psi1, psi2, lam, mu1, mustar, F1sq, tau2, Fstar2=0,
                             dps: int = 30) -> dict:
    r"""Theorem 1 of Mei & Montanari: R ≃ F1²·B(ζ, ψ1, ψ2, λ/μ*²) + (τ² + F*²)·V + F*²,
    with ζ = μ1/μ*, in *their* normalisation (ridge (Nλ/d)‖a‖², ψ1 = N/d, ψ2 = n/d).

    Returns B, V, bias = F1²·B, variance = (τ² + F*²)·V, risk, chi, nu1, nu2 (mpf/mpc)."""
    with mp.workdps(dps + GUARD_DIGITS):
        mu1, mustar = _num(mu1), _positive("mustar", mustar)
        lam = _positive("lam", lam)
        F1sq, tau2, Fstar2 = _num(F1sq), _num(tau2), _num(Fstar2)
        if F1sq < 0 or tau2 < 0 or Fstar2 < 0:
            raise ConfigError("F1sq, tau2, Fstar2 must be >= 0")
        bv = mei_montanari_BV(mu1 / mustar, psi1, psi2, lam / mustar ** 2, dps + GUARD_DIGITS)
        out = dict(bv, bias=F1sq * bv["B"], variance=(tau2 + Fstar2) * bv["V"])
        out["risk"] = out["bias"] + out["variance"] + Fstar2
    with mp.workdps(dps):
        return {k: +v for k, v in out.items()}


# ----------------------------------------------------------------------------- the map

def from_config(config) -> dict:
    r"""Mei–Montanari's parameters for a clean (p2 = 0) isotropic ``random_features`` config
    (a dict with docs/contract.md's keys): ψ1 = ψ/φ, ψ2 = 1/φ, λ_MM = λφ/ψ, F1² = θ, τ² = σ1².
    Values are exact Fractions (floats by their decimal repr)."""
    def frac(key, default=None):
        v = config.get(key, default)
        if v is None:
            raise ConfigError(f"{key} is missing: it is required here")
        return Fraction(repr(v)) if isinstance(v, float) else Fraction(v)
    if config.get("model") != "random_features":
        raise ConfigError('model must be "random_features" here')
    if frac("p2", 0) != 0:
        raise ConfigError("p2 must be 0 here: the published formula is for clean data")
    atoms = config.get("atoms", [])
    if len(atoms) != 1 or Fraction(atoms[0].get("s1", 1)) != 1:
        raise ConfigError("atoms must be one isotropic atom with s1 = 1 here (Sigma1 = I)")
    phi, psi, lam = frac("phi"), frac("psi"), frac("lam")
    theta = atoms[0]["theta"]
    theta = Fraction(repr(theta)) if isinstance(theta, float) else Fraction(theta)
    sigma1 = frac("sigma1", 0)
    return {"psi1": psi / phi, "psi2": 1 / phi, "lam": lam * phi / psi,
            "F1sq": theta, "tau2": sigma1 ** 2, "activation": config["activation"]}


def to_config(psi1, psi2, lam, activation: str, F1sq, tau) -> dict:
    r"""The symcollapse config of Mei–Montanari's (ψ1, ψ2, λ, F1², τ) with F*² = 0:
    φ = 1/ψ2, ψ = ψ1/ψ2, λ_ours = ψ1·λ, one atom {s1 = s2 = 1, θ = F1²}, σ1 = τ, p2 = 0.
    Arguments are taken exactly (Fractions; floats by their decimal repr)."""
    def frac(name, v):
        f = Fraction(repr(v)) if isinstance(v, float) else Fraction(v)
        if f <= 0 and name != "tau" and name != "F1sq":
            raise ConfigError(f"{name} = {v!r} is out of range: allowed {name} > 0")
        return f
    psi1, psi2, lam = frac("psi1", psi1), frac("psi2", psi2), frac("lam", lam)
    F1sq, tau = frac("F1sq", F1sq), frac("tau", tau)
    if activation not in ACTIVATIONS:
        raise ConfigError(f"activation = {activation!r} is not allowed: allowed \"relu\", \"tanh\"")
    return {"model": "random_features", "activation": activation, "phi": 1 / psi2,
            "psi": psi1 / psi2, "p2": 0, "lam": psi1 * lam, "sigma1": tau, "sigma2": 0,
            "atoms": [{"weight": 1, "s1": 1, "s2": 1, "theta": F1sq, "delta": 0}]}
