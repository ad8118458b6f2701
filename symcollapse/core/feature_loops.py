r"""The self-consuming loops with a ridge of the models that see the inputs through random
features: random projections, and random features through their Gaussian equivalent
(docs/theory/loops.md, "Random projections" and "Random features").

Features F = μ1XSᵀ + √κ Z (S ∈ R^{m×d} drawn once and kept; Z iid N(0, 1) noise features;
random projections: μ1 = 1, κ = 0; random features: the activation's μ1 and κ = μ*² at
τ² = tr Σ, :func:`setting`), G = FᵀF/n, R = (G + λ)⁻¹, A = GR = I − λR, and Ω = μ1²SΣSᵀ + κ
the covariance of a feature row, which is also the test kernel; the test cross term is
E[f(x)xᵀ] = μ1SΣ.  Below, S stands for μ1S (so Ω = SΣSᵀ + κ).  On a fixed design generation 0's fit is
v̂_0 = b + ν_0 with b = RSΣ̂w*, ν_k = RFᵀε_k/n, and the labels of generation t ≥ 1 are
Fv̂_{t−1} + ε_t, so v̂_t = p_t(A)b + Σ_kQ_{t,k}(A)ν_k with the exact polynomials of the
linear model's loop (p_t = P_t/a: b takes the place of Aw*).  With ŵ_t = Sᵀv̂_t:

.. math:: \mathrm{Bias}_t = \operatorname{tr}(\Theta\Sigma) - 2\sum_ic_iB_i
          + \sum_{i,j}c_ic_j\Gamma_{ij},\qquad
          \mathrm{Var}_t = \sigma^2\psi\sum_k\operatorname{tr}_m(\Omega\,g_k(R)),

:math:`\sum_ic_ir^i = r\,p_t(1 - \lambda r)`, :math:`g_k(r) = Q_{t,k}(1-\lambda r)^2(r -
\lambda r^2)`, and the moments :math:`B_i = \operatorname{tr}(\Theta\Sigma S^\top R^iS\hat
\Sigma)`, :math:`\Gamma_{ij} = \operatorname{tr}(\Theta\hat\Sigma S^\top R^i\Omega R^jS
\hat\Sigma)`, :math:`\operatorname{tr}_m(\Omega R^j)`: Taylor coefficients at z = λ of the
one-point functions β(z), τ(z) and of the two-point function γ(z₁, z₂) of
R(z) = (G + z)⁻¹.  Their deterministic equivalents, in two stages (given S the features are
Gaussian with covariance Ω; then the sketch S):

* per point z, μ = z/e: the sketch at ν = (κ + μ)/μ1², :math:`(\psi - \varphi a)q = \nu\varphi`,
  a = tr(Σ(Σ + q)⁻¹), gives :math:`S^\top(\Omega + \mu)^{-1}S \asymp (\Sigma + q)^{-1}` and
  :math:`\rho = \operatorname{tr}_m((\Omega+\mu)^{-1}) = (1 - v)/(\kappa + \mu)`, v = φa/ψ;
  the features' equation :math:`e = 1 - \psi\operatorname{tr}_m(\Omega(\Omega+\mu)^{-1})
  = 1 - \psi + \psi\mu\rho` closes the pair (e, q) (for projections e = 1 − φa and
  zφ = eq(e − 1 + ψ));
* τ(z) = (1 − μρ)/e, β(z) = U(q) = tr(ΘΣ²(Σ + q)⁻¹);
* γ(z₁, z₂): X = Ω⁻¹SΣ-part + X_⊥ (X_⊥ independent of F, covariance Σ_⊥ = Σ − ΣSᵀΩ⁻¹SΣ)
  and the two-point equivalent of the linear model with covariance Ω,
  :math:`E[R_1BR_2] \asymp K_1^{-1}(B + c(B)\Omega)K_2^{-1}`, K = eΩ + z, give
  :math:`\gamma = \frac{\mu_2U_2 - \mu_1U_1}{\mu_2 - \mu_1} + c\Bigl(U_0 + \frac{\mu_1U_2 -
  \mu_2U_1}{\mu_2 - \mu_1}\Bigr) + (\operatorname{tr}(\Theta\Sigma) - U_0)\,\psi\,(\tau_2 -
  z_1(1+c)T_1)`, with :math:`T_1 = \operatorname{tr}_m(\Omega K_1^{-1}K_2^{-1})`,
  :math:`c = \psi e_1e_2T_2/(1 - \psi e_1e_2T_2)`, :math:`T_2 =
  \operatorname{tr}_m(\Omega^2K_1^{-1}K_2^{-1})` (partial fractions of ρ) and
  U_0 = tr(ΘΣSᵀΩ⁻¹SΣ) = U(q_0), q_0 the sketch's q at μ = 0 (ν = κ/μ1²; for projections 0
  when d ≤ m, else φ tr(Σ(Σ + q_0)⁻¹) = ψ).

**Fresh design, replace** (:func:`fresh_replace`).  Given S, generation t ≥ 1 is ridge on new
Gaussian features of covariance Ω with the teacher v̂_{t−1}: v̂_t = A_tv̂_{t−1} + ν_t, A_t
independent of the past, E[A_t] ≍ a(Ω), a(ω) = ω/(ω + μ), μ = λ/e, and
:math:`E[A_tBA_t] \asymp a(\Omega)Ba(\Omega) + \lambda^2c(B)\Omega K^{-2}`,
:math:`E[RGR] \asymp \eta\Omega K^{-2}`, η = e − λc(I),
c(B) = ψe²tr_m(ΩK⁻²B)/(1 − ψe²tr_m(Ω²K⁻²)).  So V_t = E[v̂_tv̂_tᵀ] = a^tV_0a^t + w_t(Ω)/m with
w_t = Σ_{r≤t} a^{2(t−r)}(ω/k²)(λ²m c(V_{r−1}) + σ²ψη): every quantity is a functional of a
rational function of Ω — tr_m(h(Ω)) and tr(ΘΣSᵀh(Ω)SΣ), in partial fractions the Taylor
coefficients in μ of ρ(μ) and U(q(μ)) (the sketch alone) — or of V_0, whose clean part is
γ with B = h(Ω).  E_test(t) = Tr(ΩV_t) − 2tr(ΘΣSᵀa(Ω)^t(Ω + μ)⁻¹SΣ) + tr(ΘΣ).  As
t → ∞ the bias tends to tr(ΘΣ) and the variance to (λ²c_∞ + σ²ψη)·tr_m(ω²/(e²μ(2ω + μ))),
c_∞ = gσ²ψη/(1 − λ²g), g = ψ/(D e²μ)·tr_m(ω²/((ω + μ)²(2ω + μ))) (a sketch at μ/2), when
λ²g < 1; otherwise the loop diverges.  The code writes every factor finite as e → 0: the
features' equation e = D − μψtr_m(ω/(ω+μ)²) gives η = e²/D exactly, so with λ = eμ the
sources are μ²·(e⁻²m c) and σ²ψ/D against ω/(ω + μ)², and λ²g = μ²(e²g).  Without a ridge,
where the fits interpolate (min(φ, ψ) > 1), e = 0 and μ = μ₀ > 0: the same recursion is the
minimum-norm loop (its generation 0 the plain ridgeless model).

At z₁ = z₂ = λ these give the plain model's Bias and Var (p2 = 0) to 30 digits (random
projections; random features: the engine's system of the same Gaussian equivalent); γ at
z₁ ≠ z₂ agrees with a simulation (tests/test_loops_projections.py).  The Taylor
coefficients are Cauchy integrals on circles around λ (the functions are analytic for
Re z > 0: G ⪰ 0), the trapezoidal rule on N points with the radius chosen so that the
aliased terms are below the working precision.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import comb

import mpmath as mp

from symcollapse import models
from symcollapse.core.compiled import to_mpf
from symcollapse.core.loops import in_resolvent, loop_polynomials, variance_polynomial


@dataclass
class Setting:
    """φ, ψ, the atoms [(w, s, θ)] of Σ and w*, and the features' μ1², κ (mpmath numbers)."""

    phi: object
    psi: object
    atoms: list
    mu1sq: object = 1
    kappa: object = 0

    def tr(self, f):
        """The normalized trace Σ_k w_k f(s_k, θ_k) over the atoms."""
        return mp.fsum(w * f(s, th) for w, s, th in self.atoms)

    def share(self, q):
        """a = tr(Σ(Σ + q)⁻¹) and its derivative in q."""
        return (self.tr(lambda s, th: s / (s + q)), -self.tr(lambda s, th: s / (s + q) ** 2))

    def U(self, q):
        """U(q) = tr(ΘΣ²(Σ + q)⁻¹) = tr(ΘΣSᵀ(Ω + μ)⁻¹SΣ) at the sketch's q."""
        return self.tr(lambda s, th: th * s * s / (s + q))

    # -- the sketch alone: (ψ − φa(q))q = νφ
    def sketch_floor(self):
        """The smallest q of the sketch's branch (ν = 0): 0 when φ ≤ ψ, else φa(q) = ψ."""
        if self.phi <= self.psi:
            return mp.mpf(0)
        return _bisect(lambda q: self.phi * self.share(q)[0] - self.psi, mp.mpf(0), decreasing=True)

    def sketch_real(self, nu):
        """q of the sketch at a real ν ≥ 0 (its left side rises from 0 on the branch)."""
        lo = self.sketch_floor()
        if nu == 0:
            return lo
        return _bisect(lambda q: (self.psi - self.phi * self.share(q)[0]) * q - nu * self.phi, lo)

    def sketch_newton(self, nu, q):
        """q of the sketch at a complex ν near a known ``q`` (Newton)."""
        tol = mp.mpf(2) ** (-mp.mp.prec + 8)
        for _ in range(100):
            a, da = self.share(q)
            step = ((self.psi - self.phi * a) * q - nu * self.phi) / (
                -self.phi * da * q + self.psi - self.phi * a)
            q -= step
            if abs(step) <= tol * abs(q):
                return q
        raise ArithmeticError(f"the sketch's fixed point did not converge at nu = {nu}")

    # -- the features' point z: H(q) = e(q)μ(q) − z
    def _pair(self, q):
        """(μ, e, ρ, dμ/dq, de/dq) on the curve of the sketch parametrized by q
        (e = 1 − ψ + ψμρ, ρ = (1 − v)/(κ + μ))."""
        a, da = self.share(q)
        A = self.psi - self.phi * a
        mu = self.mu1sq * A * q / self.phi - self.kappa
        dmu = self.mu1sq * (A - self.phi * da * q) / self.phi
        v, dv = self.phi * a / self.psi, self.phi * da / self.psi
        if self.kappa == 0:              # μρ = 1 − v, also at μ = 0
            seen, dseen, rho = 1 - v, -dv, (1 - v) / mu if mu != 0 else mp.inf
        else:
            seen = (1 - v) * mu / (self.kappa + mu)
            dseen = -dv * mu / (self.kappa + mu) + (1 - v) * self.kappa * dmu / (self.kappa + mu) ** 2
            rho = (1 - v) / (self.kappa + mu)
        return mu, 1 - self.psi + self.psi * seen, rho, dmu, self.psi * dseen

    def real_q(self, z):
        """q at a real z > 0: on the branch where μ ≥ 0 and e ≥ 0, H = eμ rises from 0."""
        lo = self.sketch_real(self.kappa / self.mu1sq)              # μ = 0
        if self._pair(lo)[1] < 0:
            lo = _bisect(lambda q: self._pair(q)[1], lo)              # e = 0
        return _bisect(lambda q: _product(self._pair(q)) - z, lo)

    def newton_q(self, z, q):
        """q at a complex z near a known solution ``q`` (Newton on H)."""
        tol = mp.mpf(2) ** (-mp.mp.prec + 8)
        for _ in range(100):
            mu, e, _rho, dmu, de = self._pair(q)
            step = (e * mu - z) / (de * mu + e * dmu)
            q -= step
            if abs(step) <= tol * abs(q):
                return q
        raise ArithmeticError(f"the loop's fixed point did not converge at z = {z}")

    def point(self, z, q) -> dict:
        """The one-point quantities at z from its q (module docstring)."""
        mu, e, rho, _dmu, _de = self._pair(q)
        return {"z": z, "e": e, "mu": mu, "tau": (1 - mu * rho) / e, "rho": rho, "U": self.U(q)}

    @property
    def energy(self):
        """tr(ΘΣ) = ‖w*‖²_Σ."""
        return self.tr(lambda s, th: th * s)

    @property
    def U0(self):
        """tr(ΘΣSᵀΩ⁻¹SΣ): the part of the signal the features see (the sketch at μ = 0)."""
        return self.U(self.sketch_real(self.kappa / self.mu1sq))

    @property
    def trace(self):
        """tr_m(Ω) = μ1² tr Σ + κ."""
        return self.mu1sq * self.tr(lambda s, th: s) + self.kappa


def _product(pair):
    """eμ of a :meth:`Setting._pair` (the features' point z)."""
    return pair[0] * pair[1]


def _bisect(f, lo, decreasing=False):
    """The root above ``lo`` of a monotone f (bracketed by doubling, refined by a bracketing
    secant)."""
    sign = -1 if decreasing else 1
    hi = lo + 1
    while sign * f(hi) < 0:
        hi *= 2
    return mp.findroot(f, (lo, hi), solver="anderson")


def feature_constants(spec):
    """(μ1², κ): the model's feature constants (hook ``loop_constants``), or those of a
    projection (1, 0).  Computed at the caller's working precision: an error in them moves
    every value on the Cauchy circles alike (the same analytic function of z at slightly
    other constants), so the raised precision of the coefficients is not needed here."""
    model = models.get(spec.model)
    if "loop_constants" in model.hooks:
        return model.hook("loop_constants")(spec)
    return mp.mpf(1), mp.mpf(0)


def setting(spec, constants) -> Setting:
    """The loop's :class:`Setting` at the working precision, with ``constants`` = (μ1², κ)."""
    atoms = [(to_mpf(a.weight), to_mpf(a.s1), to_mpf(a.theta)) for a in spec.atoms]
    return Setting(to_mpf(spec.phi), to_mpf(spec.psi), atoms, *constants)


def two_point(P1, P2, psi, U0, energy):
    """γ(z₁, z₂) = tr(ΘΣ̂SᵀR(z₁)ΩR(z₂)SΣ̂) from the points' quantities (module docstring)."""
    e1, e2, m1, m2 = P1["e"], P2["e"], P1["mu"], P2["mu"]
    D = (P1["rho"] - P2["rho"]) / (m2 - m1)               # tr_m((Ω + μ1)⁻¹(Ω + μ2)⁻¹)
    T2 = (1 - m1 * P1["rho"] - m2 * P2["rho"] + m1 * m2 * D) / (e1 * e2)
    T1 = (P2["rho"] - m1 * D) / (e1 * e2)
    c = psi * e1 * e2 * T2 / (1 - psi * e1 * e2 * T2)
    U1, U2 = P1["U"], P2["U"]
    seen = (m2 * U2 - m1 * U1) / (m2 - m1) + c * (U0 + (m1 * U2 - m2 * U1) / (m2 - m1))
    return seen + (energy - U0) * psi * (P2["tau"] - P1["z"] * (1 + c) * T1)


def _circle(st, lam, q_lam, radius, N):
    """The points λ + radius·ω^k, k < N (ω = e^{2πi/N}), each solved from its neighbour."""
    out, q = [], mp.mpc(q_lam)
    for k in range(N):
        z = lam + radius * mp.expjpi(mp.mpf(2 * k) / N)
        q = st.newton_q(z, q)
        out.append(st.point(z, q))
    return out


def _residual(st, z, q):
    """|e(q)μ(q) − z|: the residual of the features' fixed point at z (the answer's
    ``residual``)."""
    mu, e = st._pair(q)[:2]
    return abs(e * mu - z)


def _coefficients(values, radius, N, order):
    """[h^j] of f(λ + h), j ≤ order, from f on the circle (trapezoidal Cauchy integral;
    complex: f may be a function of another complex variable)."""
    return [mp.fsum(f * mp.expjpi(-mp.mpf(2 * k * j) / N) for k, f in enumerate(values))
            / N / radius ** j for j in range(order + 1)]


def moments(spec, T: int) -> dict:
    r"""The moments of generations 0..T at the working precision: ``energy`` = tr(ΘΣ),
    ``B[i]`` (i = 1..T+1), ``Gamma[i][j]`` (i, j = 1..T+1), ``tau[j]`` = tr_m(ΩR^j)
    (j = 1..2T+2), and ``tau_half`` = τ(λ/2) for the limit (module docstring)."""
    lam = to_mpf(spec.lam)
    digits = mp.mp.dps
    constants = feature_constants(spec)
    with mp.workdps(3 * digits + 20 + T):       # the Cauchy coefficients' cancellations
        st = setting(spec, constants)
        psi, energy, U0 = st.psi, st.energy, st.U0
        q_lam = st.real_q(lam)
        order1, order2 = 2 * T + 1, T
        N1, N2 = 2 * (order1 + 1), 2 * (order2 + 1)
        # radii: the aliased coefficients ([h^{j+N}]·radius^N, radius of convergence ≥ λ)
        # fall below 10^−(digits+10); the two circles of γ differ, so that μ1 ≠ μ2
        r1 = lam * mp.mpf(10) ** (-mp.mpf(digits + 10) / N1)
        r2 = lam * mp.mpf(10) ** (-mp.mpf(digits + 10) / N2) / 2
        one = _circle(st, lam, q_lam, r1, N1)
        inner = _circle(st, lam, q_lam, r2, N2)
        outer = _circle(st, lam, q_lam, 2 * r2, N2)
        tau = [mp.re(c) for c in _coefficients([P["tau"] for P in one], r1, N1, order1)]
        beta = [mp.re(c) for c in _coefficients([P["U"] for P in inner], r2, N2, order2)]
        rows = [_coefficients([two_point(P1, P2, psi, U0, energy) for P2 in outer], 2 * r2, N2,
                              order2) for P1 in inner]
        gamma = [[mp.re(c) for c in _coefficients([row[j] for row in rows], r2, N2, order2)]
                 for j in range(order2 + 1)]
        half = st.point(lam / 2, st.real_q(lam / 2))["tau"]
        sign = lambda k: 1 if k % 2 == 0 else -1  # noqa: E731   R^{k+1} ↔ (−1)^k [h^k]
        return {"energy": +energy,
                "B": [None] + [sign(i) * beta[i] for i in range(order2 + 1)],
                "Gamma": [[None] * (order2 + 2)] + [
                    [None] + [sign(i + j) * gamma[j][i] for j in range(order2 + 1)]
                    for i in range(order2 + 1)],
                "tau": [None] + [sign(j) * tau[j] for j in range(order1 + 1)],
                "tau_half": half, "trace": st.trace, "residual": _residual(st, lam, q_lam)}


def fixed_design(spec, dps: int) -> dict:
    """E_test(t), Bias_t, Var_t for t = 0..T of a fixed-design loop with a ridge (random
    projections, or random features through their Gaussian equivalent), the limit t → ∞ and
    the ``residual`` of the fixed point at λ, at the working precision (``dps``: the caller's
    target)."""
    T = spec.generations
    M = moments(spec, T)
    lam = spec.lam
    psi = to_mpf(spec.psi)
    sigma2 = to_mpf(spec.sigma1) ** 2
    P, Q = loop_polynomials(spec.strategy, T)
    out = {"test_error": [], "bias": [], "variance": []}
    for t in range(T + 1):
        p = P[t][1:]                                           # P_t = a·p_t
        c = [Fraction(0)] + in_resolvent(p, lam)               # r·p_t(1 − λr)
        idx = [i for i in range(1, len(c)) if c[i]]
        bias = (M["energy"] - 2 * mp.fsum(to_mpf(c[i]) * M["B"][i] for i in idx)
                + mp.fsum(to_mpf(c[i]) * to_mpf(c[j]) * M["Gamma"][i][j] for i in idx for j in idx))
        g = variance_polynomial(Q[t], lam)
        var = sigma2 * psi * mp.fsum(to_mpf(g[j]) * M["tau"][j] for j in range(1, len(g)) if g[j])
        out["bias"].append(bias)
        out["variance"].append(var)
        out["test_error"].append(bias + var)
    lam_mp = to_mpf(lam)
    out["limit"] = M["energy"]
    if spec.strategy == "replace" and sigma2 != 0:
        out["limit"] += sigma2 * psi / (2 * lam_mp) * (M["trace"] - lam_mp / 2 * M["tau_half"])
    out["residual"] = M["residual"]
    return out


# ----------------------------------------------------------------------------- fresh design

def _rational(h, g=None, c=1):
    """A function of ω as {(i, j): coefficient} for Σ coefficient·ω^i/(ω + μ)^j (i ≥ −1):
    h·g (or h times the constant c)."""
    if g is None:
        return {k: v * c for k, v in h.items()}
    out = {}
    for (i1, j1), c1 in h.items():
        for (i2, j2), c2 in g.items():
            key = (i1 + i2, j1 + j2)
            out[key] = out.get(key, 0) + c1 * c2
    return out


def _functional(h, mu, pole, const, at_zero=None):
    """L[h] of a linear functional given on 1/(ω + μ)^l (``pole(l)``), on 1 (``const``) and
    on 1/ω (``at_zero``), by partial fractions: ω^i = Σ_k C(i, k)(−μ)^{i−k}(ω + μ)^k and
    1/(ω(ω + μ)^j) = μ^{−j}/ω − Σ_{l≤j} μ^{−(j−l+1)}/(ω + μ)^l."""
    out = mp.mpf(0)
    for (i, j), c in h.items():
        if i == -1:
            out += c * (at_zero / mu ** j - mp.fsum(pole(l) / mu ** (j - l + 1)
                                                    for l in range(1, j + 1)))
            continue
        for k in range(i + 1):
            term = c * comb(i, k) * (-mu) ** (i - k)
            if k < j:
                out += term * pole(j - k)
            elif k == j:
                out += term * const
            else:
                raise ValueError("a polynomial part of degree > 0 (not needed by the loop)")
    return out


def fresh_replace(spec, dps: int) -> dict:
    """E_test(t), Bias_t, Var_t for t = 0..T of a fresh-design replace loop with a ridge, or
    without one where the fits interpolate (random projections, or random features through
    their Gaussian equivalent), the limit
    t → ∞ (module docstring) and the ``residual`` of the fixed point at λ, at the working
    precision."""
    T = spec.generations
    lam = to_mpf(spec.lam)
    sigma2 = to_mpf(spec.sigma1) ** 2
    digits = mp.mp.dps
    constants = feature_constants(spec)
    with mp.workdps(3 * digits + 20 + 2 * T):
        st = setting(spec, constants)
        phi, psi, energy, U0 = st.phi, st.psi, st.energy, st.U0
        q_lam = st.real_q(lam)
        mu = st._pair(q_lam)[0]
        order = 2 * T + 4
        N = 2 * (order + 1)
        radius = mu * mp.mpf(10) ** (-mp.mpf(digits + 10) / N)
        U, rho, q = [], [], mp.mpc(q_lam)
        for k in range(N):
            m = mu + radius * mp.expjpi(mp.mpf(2 * k) / N)
            q = st.sketch_newton((st.kappa + m) / st.mu1sq, q)
            U.append(st.U(q))
            rho.append((1 - phi / psi * st.share(q)[0]) / (st.kappa + m))
        cU = [mp.re(c) for c in _coefficients(U, radius, N, order)]
        cR = [mp.re(c) for c in _coefficients(rho, radius, N, order)]
        sketch = lambda h: _functional(h, mu, lambda l: (-1) ** (l - 1) * cU[l - 1],  # noqa: E731
                                       st.mu1sq * psi / phi * st.tr(lambda s, th: th * s * s), U0)
        tr_m = lambda h: _functional(h, mu, lambda l: (-1) ** (l - 1) * cR[l - 1], 1)  # noqa: E731
        D = 1 - psi * tr_m({(2, 2): 1})
        # η = e − λc(I) = e²/D (e = 1 − ψtr_m(ω/(ω+μ)) = D − μψtr_m(ω/(ω+μ)²)), and every
        # factor below is written finite as e → 0: the ridgeless limit on the interpolating side
        wk2 = {(1, 2): 1}                                     # e²ω/k², k = e(ω + μ)

        def v0(h, signal, noise):
            """Tr(h(Ω)V_0): γ with B = h(Ω) for the signal, the noise of generation 0."""
            hw = _rational(h, wk2)
            out = sigma2 * psi / D * tr_m(hw) if noise else mp.mpf(0)
            if signal:
                c_h = psi * tr_m(hw) / D
                seen = _rational(h, {(0, 2): 1})
                seen[(-1, 2)] = seen.get((-1, 2), 0) + mu ** 2 * c_h
                out += sketch(seen) + (energy - U0) * psi / D * tr_m(hw)
            return out

        out = {}
        for part, signal, noise in (("bias", True, False), ("variance", False, True)):
            gains, errors = [], []                            # m·c(V_{t−1})/e² per generation
            for t in range(T + 1):
                def moment(h, t=t, signal=signal, noise=noise, gains=gains):
                    value = v0(_rational(h, {(2 * t, 2 * t): 1}), signal, noise)
                    for r in range(1, t + 1):
                        source = mu ** 2 * gains[r - 1] + (sigma2 * psi / D if noise else 0)
                        value += source * tr_m(_rational(_rational(h, {(2 * (t - r), 2 * (t - r)): 1}), wk2))
                    return value
                error = moment({(1, 0): 1})
                if signal:
                    error += energy - 2 * sketch({(t, t + 1): 1})
                errors.append(error)
                gains.append(psi / D * moment(wk2))
            out[part] = errors
        out["test_error"] = [b + v for b, v in zip(out["bias"], out["variance"])]
        out["limit"] = _fresh_limit(st, mu, D, sigma2, -cR[1])
        out["residual"] = _residual(st, lam, q_lam)
    return out


def _fresh_limit(st, mu, D, sigma2, pole2):
    """E_test(∞) of the fresh replace loop (module docstring; ĝ = e²g and η/e² = 1/D, so it
    holds at λ = 0 too): the sketch at μ/2 gives ρ(μ/2) and tr_m(Ω(Ω + μ/2)⁻¹); ``pole2`` =
    tr_m((Ω + μ)⁻²)."""
    q_half = st.sketch_real((st.kappa + mu / 2) / st.mu1sq)
    rho_half = (1 - st.phi / st.psi * st.share(q_half)[0]) / (st.kappa + mu / 2)
    g = st.psi / (D * mu) * (-mu * pole2 + rho_half / 2)
    if mu ** 2 * g >= 1:
        return mp.inf
    c_inf = g * sigma2 * st.psi / (D * (1 - mu ** 2 * g))
    spread = (st.trace - mu / 2 * (1 - mu / 2 * rho_half)) / (2 * mu)
    return st.energy + (mu ** 2 * c_inf + sigma2 * st.psi / D) * spread
