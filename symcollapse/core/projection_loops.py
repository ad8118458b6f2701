r"""The fixed-design self-consuming loops of the random projections model with a ridge
(docs/theory/loops.md, "Random projections with a ridge").

Features F = XSᵀ (S ∈ R^{m×d} drawn once and kept), G = FᵀF/n = SΣ̂Sᵀ, R = (G + λ)⁻¹,
A = GR = I − λR, Ω = SΣSᵀ.  On a fixed design generation 0's fit is
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

* per point z, unknowns (e, q): :math:`e = 1 - \varphi\operatorname{tr}(\Sigma(\Sigma +
  q)^{-1})` and :math:`z\varphi = eq(e - 1 + \psi)`; μ = z/e, and
  :math:`S^\top(\Omega + \mu)^{-1}S \asymp (\Sigma + q)^{-1}`;
* :math:`v = \operatorname{tr}_m(\Omega(\Omega+\mu)^{-1}) = \frac\varphi\psi
  \operatorname{tr}(\Sigma(\Sigma + q)^{-1})`, τ(z) = v/e, ρ(z) = tr_m((Ω + μ)⁻¹) = (1 − v)/μ,
  β(z) = U(q) = tr(ΘΣ²(Σ + q)⁻¹);
* γ(z₁, z₂): X = Ω⁻¹SΣ-part + X_⊥ (X_⊥ independent of F, covariance Σ_⊥ = Σ − ΣSᵀΩ⁻¹SΣ)
  and the two-point equivalent of the linear model with covariance Ω,
  :math:`E[R_1BR_2] \asymp K_1^{-1}(B + c(B)\Omega)K_2^{-1}`, K = eΩ + z, give
  :math:`\gamma = \frac{\mu_2U_2 - \mu_1U_1}{\mu_2 - \mu_1} + c\Bigl(U_0 + \frac{\mu_1U_2 -
  \mu_2U_1}{\mu_2 - \mu_1}\Bigr) + (\operatorname{tr}(\Theta\Sigma) - U_0)\,\psi\,(\tau_2 -
  z_1(1+c)T_1)`, with :math:`T_1 = \operatorname{tr}_m(\Omega K_1^{-1}K_2^{-1})`,
  :math:`c = \psi e_1e_2T_2/(1 - \psi e_1e_2T_2)`, :math:`T_2 =
  \operatorname{tr}_m(\Omega^2K_1^{-1}K_2^{-1})` (partial fractions of ρ) and U_0 = U(q_0),
  q_0 the sketch's q at μ = 0 (0 when d ≤ m, else φ tr(Σ(Σ + q_0)⁻¹) = ψ).

At z₁ = z₂ = λ these give the plain model's Bias and Var (p2 = 0) to 30 digits; γ at
z₁ ≠ z₂ agrees with a simulation (tests/test_projection_loops.py).  The Taylor
coefficients are Cauchy integrals on circles around λ (the functions are analytic for
Re z > 0: G ⪰ 0), the trapezoidal rule on N points with the radius chosen so that the
aliased terms are below the working precision.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath as mp

from symcollapse.core.compiled import to_mpf
from symcollapse.core.loops import in_resolvent, loop_polynomials, variance_polynomial


def _tr(atoms, f):
    """The normalized trace Σ_k w_k f(s_k, θ_k) over the atoms [(w, s, θ)]."""
    return mp.fsum(w * f(s, th) for w, s, th in atoms)


def _share(atoms, q):
    """tr(Σ(Σ + q)⁻¹) and its derivative in q."""
    return (_tr(atoms, lambda s, th: s / (s + q)), -_tr(atoms, lambda s, th: s / (s + q) ** 2))


def sketch_q0(phi, psi, atoms):
    """q_0: the sketch's q at μ = 0 — 0 when φ ≤ ψ (d ≤ m: SᵀΩ⁻¹SΣ = I on the range), else
    the root of φ tr(Σ(Σ + q)⁻¹) = ψ."""
    if phi <= psi:
        return mp.mpf(0)
    return _bisect(lambda q: phi * _share(atoms, q)[0] - psi, mp.mpf(0), decreasing=True)


def _bisect(f, lo, decreasing=False):
    """The root above ``lo`` of a monotone f (bracketed by doubling, refined by secant)."""
    sign = -1 if decreasing else 1
    hi = lo + 1
    while sign * f(hi) < 0:
        hi *= 2
    return mp.findroot(f, (lo, hi), solver="anderson")


def _residual(phi, psi, atoms, z, q):
    """H(q) = (1 − φa)·q·(ψ − φa) − zφ, a = tr(Σ(Σ + q)⁻¹), and H'(q)."""
    a, da = _share(atoms, q)
    e, f = 1 - phi * a, psi - phi * a
    return e * q * f - z * phi, -phi * da * q * f + e * f - e * q * phi * da


def real_q(phi, psi, atoms, z):
    """q at a real z > 0: the root of H on q > q_min, where both e and ψ − φa are positive
    (H rises there from −zφ)."""
    cap = min(mp.mpf(1), psi)
    lo = mp.mpf(0)
    if phi * _share(atoms, lo)[0] > cap:
        lo = _bisect(lambda q: phi * _share(atoms, q)[0] - cap, lo, decreasing=True)
    return _bisect(lambda q: _residual(phi, psi, atoms, z, q)[0], lo)


def newton_q(phi, psi, atoms, z, q):
    """q at a complex z near a known solution ``q`` (Newton on H)."""
    tol = mp.mpf(2) ** (-mp.mp.prec + 8)
    for _ in range(100):
        value, slope = _residual(phi, psi, atoms, z, q)
        step = value / slope
        q -= step
        if abs(step) <= tol * abs(q):
            return q
    raise ArithmeticError(f"the projections loop's fixed point did not converge at z = {z}")


def point(phi, psi, atoms, z, q) -> dict:
    """The one-point quantities at z from its q (module docstring)."""
    a = _share(atoms, q)[0]
    e = 1 - phi * a
    mu = z / e
    v = phi / psi * a
    return {"z": z, "e": e, "mu": mu, "tau": v / e, "rho": (1 - v) / mu,
            "U": _tr(atoms, lambda s, th: th * s * s / (s + q))}


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


def _circle(phi, psi, atoms, lam, q_lam, radius, N):
    """The points λ + radius·ω^k, k < N (ω = e^{2πi/N}), each solved from its neighbour."""
    out, q = [], mp.mpc(q_lam)
    for k in range(N):
        z = lam + radius * mp.expjpi(mp.mpf(2 * k) / N)
        q = newton_q(phi, psi, atoms, z, q)
        out.append(point(phi, psi, atoms, z, q))
    return out


def _coefficients(values, radius, N, order):
    """[h^j] of f(λ + h), j ≤ order, from f on the circle (trapezoidal Cauchy integral;
    complex: f may be a function of another complex variable)."""
    return [mp.fsum(f * mp.expjpi(-mp.mpf(2 * k * j) / N) for k, f in enumerate(values))
            / N / radius ** j for j in range(order + 1)]


def moments(spec, T: int) -> dict:
    r"""The moments of generations 0..T at the working precision: ``energy`` = tr(ΘΣ),
    ``B[i]`` (i = 1..T+1), ``Gamma[i][j]`` (i, j = 1..T+1), ``tau[j]`` = tr_m(ΩR^j)
    (j = 1..2T+2), and ``tau_half`` = τ(λ/2) for the limit (module docstring)."""
    phi, psi, lam = (to_mpf(x) for x in (spec.phi, spec.psi, spec.lam))
    atoms = [(to_mpf(a.weight), to_mpf(a.s1), to_mpf(a.theta)) for a in spec.atoms]
    digits = mp.mp.dps
    with mp.workdps(3 * digits + 20 + T):       # the Cauchy coefficients' cancellations
        energy = _tr(atoms, lambda s, th: th * s)
        q_lam = real_q(phi, psi, atoms, lam)
        U0 = _tr(atoms, lambda s, th: th * s * s / (s + sketch_q0(phi, psi, atoms)))
        order1, order2 = 2 * T + 1, T
        N1, N2 = 2 * (order1 + 1), 2 * (order2 + 1)
        # radii: the aliased coefficients ([h^{j+N}]·radius^N, radius of convergence ≥ λ)
        # fall below 10^−(digits+10); the two circles of γ differ, so that μ1 ≠ μ2
        r1 = lam * mp.mpf(10) ** (-mp.mpf(digits + 10) / N1)
        r2 = lam * mp.mpf(10) ** (-mp.mpf(digits + 10) / N2) / 2
        one = _circle(phi, psi, atoms, lam, q_lam, r1, N1)
        inner = _circle(phi, psi, atoms, lam, q_lam, r2, N2)
        outer = _circle(phi, psi, atoms, lam, q_lam, 2 * r2, N2)
        tau = [mp.re(c) for c in _coefficients([P["tau"] for P in one], r1, N1, order1)]
        beta = [mp.re(c) for c in _coefficients([P["U"] for P in inner], r2, N2, order2)]
        rows = [_coefficients([two_point(P1, P2, psi, U0, energy) for P2 in outer], 2 * r2, N2,
                              order2) for P1 in inner]
        gamma = [[mp.re(c) for c in _coefficients([row[j] for row in rows], r2, N2, order2)]
                 for j in range(order2 + 1)]
        half = point(phi, psi, atoms, lam / 2, real_q(phi, psi, atoms, lam / 2))["tau"]
        sign = lambda k: 1 if k % 2 == 0 else -1  # noqa: E731   R^{k+1} ↔ (−1)^k [h^k]
        return {"energy": +energy,
                "B": [None] + [sign(i) * beta[i] for i in range(order2 + 1)],
                "Gamma": [[None] * (order2 + 2)] + [
                    [None] + [sign(i + j) * gamma[j][i] for j in range(order2 + 1)]
                    for i in range(order2 + 1)],
                "tau": [None] + [sign(j) * tau[j] for j in range(order1 + 1)],
                "tau_half": half, "trace": _tr(atoms, lambda s, th: s)}


def fixed_design(spec, dps: int) -> dict:
    """E_test(t), Bias_t, Var_t for t = 0..T of a fixed-design loop of random projections at
    λ > 0, and the limit t → ∞, at the working precision (``dps``: the caller's target)."""
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
    out["residual"] = mp.mpf(0)
    return out
