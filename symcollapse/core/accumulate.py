r"""Accumulate on a fresh design with a ridge: the loop whose fits nest resolvents of partial
sums (docs/theory/loops.md, "Fresh design, accumulate, with a ridge").  One derivation serves
the three one-layer models: the linear model's features are x itself, covariance Σ; random
projections and random features (through their Gaussian equivalent) see f = μ1Sx + √κz,
covariance Ω = μ1²SΣSᵀ + κ given S (μ1 = 1, κ = 0 for projections).

**The recursion.**  Given S, write y = fᵀb + r with b = Ω⁻¹μ1SΣw* the features' teacher and
r independent of f, of variance σ_r² = tr(ΘΣ) − ‖b‖²_Ω (0 for the linear model).  Batch k
brings F_k (n rows), Ĝ_k = F_kᵀF_k/n; generation t fits ridge on batches 0..t,
N_t = (t + 1)n rows, objective (1/N_t)‖Fv − y‖² + λ‖v‖².  With Ŝ_t = Σ_{k≤t}Ĝ_k, generation
t − 1's normal equations give Σ_{k<t}F_kᵀy_k/n = (Ŝ_{t−1} + tλ)v̂_{t−1}, and the labels
y_t = F_tv̂_{t−1} + ε_t (t ≥ 1; y_0 = F_0b + r_0 + ε_0) telescope generation t's:

.. math:: (\hat S_t + (t+1)\lambda)\,u_t - (\hat S_t + t\lambda)\,u_{t-1}
          = -\lambda b + F_t^\top\xi_t/n,\qquad u_t = \hat v_t - b,\ u_{-1} = 0,

ξ_0 = r_0 + ε_0, ξ_t = ε_t.  Stacked over t = 0..T this is one block lower-bidiagonal system
Hu = −λ(1⊗b) + ξ, :math:`H = \sum_j \hat G_j\otimes P_j + I\otimes\Lambda` (L = T + 1),
:math:`(P_j)_{kk} = 1,\ (P_j)_{k,k-1} = -1` for k ≥ j (0 elsewhere),
:math:`\Lambda_{kk} = (k+1)\lambda,\ \Lambda_{k,k-1} = -k\lambda`, and
E_test(t) = ‖u_t‖²_Ω + σ_r².

**First order.**  The batches are independent Gaussian blocks with covariance Ω; leaving one
row out (Woodbury on the rank-L update (f⊗I)P_j(f⊗I)ᵀ/n) gives the deterministic equivalent,
a function of Ω alone,

.. math:: H^{-1} \asymp \bar Q(\Omega),\quad \bar Q(\omega) = (\omega K + \Lambda)^{-1},\quad
          K = \sum_jK_j,\ K_j = P_j(I + \Delta P_j)^{-1},\quad
          \Delta = \gamma\int\omega\,\bar Q(\omega)\,d\nu(\omega),

γ = dim/n (φ, or ψ = m/n) and ν the spectral distribution of Ω (the atoms of Σ for the linear
model; the sketch's Stieltjes transform ρ(μ) = tr((Ω + μ)⁻¹) otherwise,
:class:`FeatureSpectrum`).  Δ is lower triangular: Q̄'s poles are ω = −μ_k, μ_k = λ(1 + Δ_kk),
with Δ_kk generation k's own equation (ridge on N_k rows), and Q̄(ω) = Σ_pa_pb_pᵀ/(ω + μ_p).
Every entry below the diagonal is affine in itself once the entries nearer the diagonal are
known, so Δ is solved exactly, one subdiagonal after the other, carrying each entry of Q̄ as
its partial fractions (:func:`fixed_point`).

**Second order.**  Bias_t and Var_t are quadratic in H⁻¹: the lower-left block of the inverse
of the 2L pencil [[H, 0], [−e_te_tᵀ⊗Ω, Hᵀ]] is H⁻ᵀ(e_te_tᵀ⊗Ω)H⁻¹.  Its equivalent's trace
part Z = γ tr(Ω·block) solves :math:`Z = \gamma\int\omega^2\bar Q^\top(\sum_jK_j^\top ZK_j +
e_te_t^\top)\bar Q\,d\nu`.  In the basis of the poles (A = [a_p], Bᵀ = [b_pᵀ], both
triangular; W_j = BᵀK_jA) Z = γBΞBᵀ with

.. math:: \Xi = m_2\circ\Bigl(\gamma\sum_jW_j^\top\Xi W_j + A^\top e_te_t^\top A\Bigr),\qquad
          (m_2)_{pq} = \int\frac{\omega^2\,d\nu}{(\omega+\mu_p)(\omega+\mu_q)},

and with g = Q̄1, β = Bᵀ1, Â_k = (I + P_kΔ)⁻¹ (a row of batch k against the block: Woodbury
again), ν_b the spectral measure of b (∫h dν_b = bᵀh(Ω)b, from U(μ) = ∫ω²/(ω + μ)dν_b):

.. math:: \mathrm{Bias}_t = \sigma_r^2 + \lambda^2\int\omega\,g^\top(\cdots)g\,d\nu_b
          + \sigma_r^2(\hat A_0^\top Z\hat A_0)_{00}
          = \sigma_r^2 + \langle\Xi, \lambda^2(n_1\circ\beta\beta^\top)/m_2
          + \gamma\sigma_r^2B^\top v_0v_0^\top B\rangle,\qquad
          \mathrm{Var}_t = \langle\Xi, \gamma\sigma^2\textstyle\sum_kB^\top v_kv_k^\top B\rangle,

v_k = Â_ke_k, (n_1)_{pq} = ∫ω dν_b/((ω + μ_p)(ω + μ_q)).  Both are linear functionals of Ξ,
so one adjoint solve each serves every generation (:func:`congruence_solve`).  At L = 1 these
are the plain model's Bias and Var; tests compare generation 0 with the plain model to 30
digits and every generation with a simulation of the loop.

**Limit.**  M_t = I − λ(Ŝ_t + (t + 1)λ)⁻¹ ⪯ (1 − c/(t + 1))I with c > 0, so Π_tM_t → 0
(Σ c/(t + 1) = ∞): v̂_t forgets b, and the k-th noise, of size O(1/(k + 1)), is damped by
((k + 1)/(t + 1))^c.  E_test(∞) = tr(ΘΣ) = ‖w*‖²_Σ, the error of the zero predictor, as for
the fixed design.
"""
from __future__ import annotations

import mpmath as mp

from symcollapse.core import feature_loops
from symcollapse.core.compiled import to_mpf
from symcollapse.core.errors import UnsupportedError

#: The largest T answered (the equivalent has L(L + 1)/2 unknowns and costs O(L⁴)).
MAX_GENERATIONS = 40


# ----------------------------------------------------------------------------- spectra

class AtomSpectrum:
    """The linear model: ν the atoms of Σ (ratio φ), ν_b = Θ-weighted (b = w*, σ_r = 0).
    ``energy`` = tr(ΘΣ), ``seen`` = ∫ω dν_b = ‖b‖²_Ω, ``trace`` = ∫ω dν."""

    def __init__(self, ratio, atoms):
        self.ratio, self.atoms = ratio, atoms          # atoms: [(w, s, θ)]
        self.energy = mp.fsum(w * th * s for w, s, th in atoms)
        self.seen = self.energy
        self.trace = mp.fsum(w * s for w, s, _th in atoms)

    def at(self, mu):
        """(ρ, ρ', U, U') at μ > 0: ρ = tr((Σ + μ)⁻¹), U = tr(ΘΣ²(Σ + μ)⁻¹), μ-derivatives."""
        a = self.atoms
        return (mp.fsum(w / (s + mu) for w, s, _th in a), -mp.fsum(w / (s + mu) ** 2 for w, s, _th in a),
                mp.fsum(w * th * s * s / (s + mu) for w, s, th in a),
                -mp.fsum(w * th * s * s / (s + mu) ** 2 for w, s, th in a))


class FeatureSpectrum:
    r"""Random projections and random features given S (ratio ψ): through the sketch of
    :class:`~symcollapse.core.feature_loops.Setting` at ν = (κ + μ)/μ1²,
    ρ(μ) = (1 − φa(q)/ψ)/(κ + μ) and U(μ) = tr(ΘΣ²(Σ + q)⁻¹), q'(ν) = φ/(ψ − φa − φa'q)."""

    def __init__(self, setting):
        self.st = setting
        self.ratio = setting.psi
        self.energy, self.seen, self.trace = setting.energy, setting.U0, setting.trace

    def at(self, mu):
        """(ρ, ρ', U, U') at μ > 0 from the sketch's q at ν = (κ + μ)/μ1² and its implicit
        derivative."""
        st = self.st
        q = st.sketch_real((st.kappa + mu) / st.mu1sq)
        a, da = st.share(q)
        dq = st.phi / (st.psi - st.phi * a - st.phi * da * q) / st.mu1sq
        v = st.phi * a / st.psi
        rho = (1 - v) / (st.kappa + mu)
        drho = -st.phi * da * dq / st.psi / (st.kappa + mu) - (1 - v) / (st.kappa + mu) ** 2
        dU = -st.tr(lambda s, th: th * s * s / (s + q) ** 2) * dq
        return rho, drho, st.U(q), dU


# ----------------------------------------------------------------------------- patterns

def _zeros(L):
    return [[mp.mpf(0)] * L for _ in range(L)]


def pattern(j, row, col):
    """(P_j)_{row, col}: 1 on the diagonal and −1 below it, in the rows k ≥ j."""
    if row < j:
        return 0
    return 1 if col == row else (-1 if col == row - 1 else 0)


def ridge_pattern(lam, row, col):
    """Λ_{row, col}: (k + 1)λ on the diagonal, −kλ below it."""
    if col == row:
        return (row + 1) * lam
    return -row * lam if col == row - 1 else 0


# ----------------------------------------------------------------------------- first order

def _diagonal(spec_, lam, k):
    r"""1 + Δ_kk = x: :math:`x - 1 = \frac{\gamma}{k+1}\,x\,I(\lambda x)`, I(μ) = ∫ω/(ω + μ)dν = 1 − μρ;
    x·I(λx) is concave and below tr/λ, so Newton from x = 1 + γ·tr/((k + 1)λ) decreases to it."""
    rate = spec_.ratio / (k + 1)
    x = 1 + rate * spec_.trace / lam
    tol = mp.mpf(2) ** (-mp.mp.prec + 4)
    for _ in range(200):
        mu = lam * x
        rho, drho, _U, _dU = spec_.at(mu)
        integral = 1 - mu * rho
        f = x - 1 - rate * x * integral
        if f <= 0:                     # the root, to rounding (Newton stays right of it)
            return x - 1
        df = 1 - rate * (integral - mu * (rho + mu * drho))
        step = f / df
        x -= step
        if step <= tol * x:
            return x - 1
    raise ArithmeticError(f"the diagonal fixed point of generation {k} did not converge")


def fixed_point(spec_, lam, L):
    r"""Δ, the K_j and the partial fractions of Q̄ (module docstring): lower-triangular L × L
    lists, ``Q[k][l][p]`` the coefficient of 1/(ω + μ_p) in Q̄_kl, ``mu`` the poles and
    ``moments[p]`` = (ρ, ρ', U, U') at μ_p.  Solved one subdiagonal m = k − l at a time: the
    (k, l) entries of X_j = I + ΔP_j, A_j = X_j⁻¹, K_j = P_jA_j and Q̄ = (ωK + Λ)⁻¹ (forward
    substitution in the triangular inverses, partial fractions in ω) are affine in Δ_kl, so
    Δ_kl = γΣ_pQ_kl[p]·I(μ_p) is a linear equation."""
    D = _zeros(L)
    for k in range(L):
        D[k][k] = _diagonal(spec_, lam, k)
    mu = [lam * (1 + D[k][k]) for k in range(L)]
    moments = [spec_.at(m) for m in mu]
    integral = [1 - m * mom[0] for m, mom in zip(mu, moments)]
    X, A, Kj = ([_zeros(L) for _ in range(L)] for _ in range(3))
    K = _zeros(L)
    Q = [[[mp.mpf(0)] * L for _ in range(L)] for _ in range(L)]
    for k in range(L):
        for j in range(L):
            X[j][k][k] = 1 + (D[k][k] if k >= j else 0)
            A[j][k][k] = 1 / X[j][k][k]
            Kj[j][k][k] = A[j][k][k] if k >= j else mp.mpf(0)
        K[k][k] = mp.fsum(Kj[j][k][k] for j in range(L))
        Q[k][k][k] = 1 / K[k][k]
    for m in range(1, L):
        for k in range(m, L):
            l = k - m
            # entries as pairs (constant, coefficient of Δ_kl)
            x_kl = [((-D[k][l + 1] if l + 1 >= j else 0), (1 if l >= j else 0)) for j in range(L)]
            a_kl = []
            for j in range(L):
                c0 = x_kl[j][0] * A[j][l][l] + mp.fsum(X[j][k][i] * A[j][i][l] for i in range(l + 1, k))
                a_kl.append((-c0 / X[j][k][k], -x_kl[j][1] * A[j][l][l] / X[j][k][k]))
            kj_kl = [((a_kl[j][0] - A[j][k - 1][l], a_kl[j][1]) if k >= j else (0, 0)) for j in range(L)]
            k_kl = (mp.fsum(c[0] for c in kj_kl), mp.fsum(c[1] for c in kj_kl))
            q0, q1 = _q_entry(k, l, K, Q, mu, lam, k_kl)
            const = spec_.ratio * mp.fsum(c * i for c, i in zip(q0, integral))
            coef = spec_.ratio * mp.fsum(c * i for c, i in zip(q1, integral))
            d = const / (1 - coef)
            D[k][l] = d
            for j in range(L):
                X[j][k][l] = x_kl[j][0] + x_kl[j][1] * d
                A[j][k][l] = a_kl[j][0] + a_kl[j][1] * d
                Kj[j][k][l] = kj_kl[j][0] + kj_kl[j][1] * d
            K[k][l] = k_kl[0] + k_kl[1] * d
            Q[k][l] = [c0 + c1 * d for c0, c1 in zip(q0, q1)]
    return {"Delta": D, "Kj": Kj, "K": K, "Q": Q, "mu": mu, "moments": moments}


def _q_entry(k, l, K, Q, mu, lam, k_kl):
    r"""Q̄_kl = −(1/Y_kk)Σ_{l≤i<k}Y_kiQ̄_il (Y = ωK + Λ, Y_kk = K_kk(ω + μ_k)) in partial
    fractions: (ωK_ki + Λ_ki)/((ω + μ_k)(ω + μ_p)) = K_ki/(ω + μ_p) + (Λ_ki − μ_kK_ki)
    (1/(ω + μ_p) − 1/(ω + μ_k))/(μ_k − μ_p).  K_kl is the pair ``k_kl``; returns the
    coefficient vectors (constant, coefficient of Δ_kl)."""
    L = len(mu)
    const, coef = [mp.mpf(0)] * L, [mp.mpf(0)] * L

    def add(vec, Kki, Lki, i):
        for p in range(l, i + 1):
            cross = (Lki - mu[k] * Kki) / (mu[k] - mu[p])
            vec[p] += Q[i][l][p] * (Kki + cross)
            vec[k] -= Q[i][l][p] * cross

    add(const, k_kl[0], ridge_pattern(lam, k, l), l)
    add(coef, k_kl[1], 0, l)
    for i in range(l + 1, k):
        add(const, K[k][i], ridge_pattern(lam, k, i), i)
    scale = -1 / K[k][k]
    return [c * scale for c in const], [c * scale for c in coef]


def independent_residual(spec_, lam, fp):
    """The largest entry of Δ − γ∫ωQ̄(ω)dν in absolute value, recomputed without the
    subdiagonal solve's algebra: K by LU from
    Δ, the poles and the partial fractions of (ωK + Λ)⁻¹ from mpmath's eigen-decomposition of
    K⁻¹Λ, and the spectrum at those poles (a test of :func:`fixed_point`; O(L³) in mpmath's
    matrices, so not run on every answer)."""
    L = len(fp["Delta"])
    D = mp.matrix(fp["Delta"])
    K = mp.zeros(L, L)
    for j in range(L):
        P = mp.matrix([[pattern(j, r, c) for c in range(L)] for r in range(L)])
        K += P * mp.inverse(mp.eye(L) + D * P)
    Lam = mp.matrix([[ridge_pattern(lam, r, c) for c in range(L)] for r in range(L)])
    Kinv = mp.inverse(K)
    E, V = mp.eig(Kinv * Lam)
    right = mp.inverse(V) * Kinv
    image = mp.zeros(L, L)
    for p in range(L):
        rho = spec_.at(mp.re(E[p]))[0]
        image += spec_.ratio * (1 - mp.re(E[p]) * rho) * (V[:, p] * right[p, :])
    return max(abs(x) for x in (D - image))


# ----------------------------------------------------------------------------- second order

def congruence_solve(Vs, cs, B, weight=None):
    r"""G with :math:`G = w\circ(\sum_rc_rV_rGV_r^\top + B)` (w = ``weight``, all ones when
    None), V_r lower triangular: (VGVᵀ)_{kl} involves G_{ii'} with i ≤ k, i' ≤ l only, so G is
    solved entry by entry in row-major order (each entry's own coefficient w·Σc·V_kkV_ll
    moved to the left), with W_r = GV_rᵀ kept per congruence."""
    L = len(B)
    G = _zeros(L)
    W = [_zeros(L) for _ in Vs]                 # W_r[i][l] = Σ_{i'≤l} G[i][i'] V_r[l][i']
    for k in range(L):
        for l in range(L):
            w = 1 if weight is None else weight[k][l]
            self_coef = mp.fsum(c * V[k][k] * V[l][l] for c, V in zip(cs, Vs))
            partial = mp.mpf(0)
            for r, (c, V) in enumerate(zip(cs, Vs)):
                W[r][k][l] = mp.fsum(G[k][i2] * V[l][i2] for i2 in range(l))
                partial += c * mp.fsum(V[k][i] * W[r][i][l] for i in range(k + 1))
            G[k][l] = w * (B[k][l] + partial) / (1 - w * self_coef)
            for r, V in enumerate(Vs):
                W[r][k][l] += G[k][l] * V[l][l]
    return G


def _kernels(fp):
    """m₂ and n₁ (module docstring) on the poles, by partial fractions:
    m₂(μ, ν) = 1 + (μ²ρ(μ) − ν²ρ(ν))/(ν − μ), m₂(μ, μ) = 1 − 2μρ − μ²ρ';
    n₁(μ, ν) = (V(μ) − V(ν))/(ν − μ), V(μ) = ∫ω/(ω + μ)dν_b = (U₀ − U(μ))/μ,
    n₁(μ, μ) = −V'(μ).  ``U0`` = ∫ω dν_b is set by the caller."""
    mu, mom, U0 = fp["mu"], fp["moments"], fp["seen"]
    L = len(mu)
    m2, n1 = _zeros(L), _zeros(L)
    V = [(U0 - m[2]) / x for x, m in zip(mu, mom)]
    for p in range(L):
        rho_p, drho_p, U_p, dU_p = mom[p]
        for q in range(L):
            if p == q:
                m2[p][p] = 1 - 2 * mu[p] * rho_p - mu[p] ** 2 * drho_p
                n1[p][p] = (U0 - U_p) / mu[p] ** 2 + dU_p / mu[p]
            else:
                m2[p][q] = 1 + (mu[p] ** 2 * rho_p - mu[q] ** 2 * mom[q][0]) / (mu[q] - mu[p])
                n1[p][q] = (V[p] - V[q]) / (mu[q] - mu[p])
    return m2, n1


def _lower_matmul(X, Y):
    """XY of lower-triangular L × L lists (the sum runs over j ≤ t ≤ i)."""
    L = len(X)
    return [[mp.fsum(X[i][t] * Y[t][j] for t in range(j, i + 1)) if j <= i else mp.mpf(0)
             for j in range(L)] for i in range(L)]


def consistency(fp, ratio, lam):
    """The fixed point's residual at the working precision: the largest entry, in absolute
    value, of K_jX_j − P_j (K_j = P_jX_j⁻¹, X_j = I + ΔP_j), of K − Σ_jK_j, of
    (ωK + Λ)Q̄(ω) − I at ω = 1 from Q̄'s partial fractions, and of Δ − γΣ_pQ̄_p(1 − μ_pρ(μ_p))
    (the equation)."""
    D, Kj, K, Q, mu = fp["Delta"], fp["Kj"], fp["K"], fp["Q"], fp["mu"]
    L = len(D)
    gaps = []
    for j in range(L):
        X = [[(1 if r == c else 0) + mp.fsum(D[r][i] * pattern(j, i, c) for i in range(c, r + 1))
              for c in range(L)] for r in range(L)]
        prod = _lower_matmul(Kj[j], X)
        gaps += [prod[r][c] - pattern(j, r, c) for r in range(L) for c in range(r + 1)]
    gaps += [K[r][c] - mp.fsum(Kj[j][r][c] for j in range(L)) for r in range(L) for c in range(r + 1)]
    Qw = [[mp.fsum(Q[r][c][p] / (1 + mu[p]) for p in range(L)) for c in range(L)] for r in range(L)]
    prod = _lower_matmul([[K[r][c] + ridge_pattern(lam, r, c) for c in range(L)] for r in range(L)], Qw)
    gaps += [prod[r][c] - (1 if r == c else 0) for r in range(L) for c in range(r + 1)]
    integral = [1 - m * mom[0] for m, mom in zip(mu, fp["moments"])]
    gaps += [D[r][c] - ratio * mp.fsum(q * i for q, i in zip(Q[r][c], integral))
             for r in range(L) for c in range(r + 1)]
    return max(abs(g) for g in gaps)


def _column_of_inverse(D, k):
    """Â_ke_k, column k of (I + P_kΔ)⁻¹ (forward substitution; rows above k vanish)."""
    L = len(D)
    M = [[(1 if r == c else 0) + mp.fsum(pattern(k, r, i) * D[i][c] for i in range(L)) for c in range(L)]
         for r in range(L)]
    x = [mp.mpf(0)] * L
    for r in range(L):
        rhs = (1 if r == k else 0) - mp.fsum(M[r][c] * x[c] for c in range(r))
        x[r] = rhs / M[r][r]
    return x


def loop(spec_, lam, sigma2, T) -> dict:
    """Bias_t, Var_t, E_test(t) for t = 0..T (module docstring), the limit and the fixed
    point's residual, at the working precision; ``spec_``: an :class:`AtomSpectrum` or a
    :class:`FeatureSpectrum`."""
    L = T + 1
    r = spec_.ratio
    fp = fixed_point(spec_, lam, L)
    fp["seen"] = spec_.seen
    D, Kj, Q, K = fp["Delta"], fp["Kj"], fp["Q"], fp["K"]
    # the rank-one residues Q_kl[p] = a_p[k]b_p[l], normalized a_p[p] = 1
    A = [[Q[k][p][p] * K[p][p] if k >= p else mp.mpf(0) for p in range(L)] for k in range(L)]
    Bt = [[Q[p][l][p] if l <= p else mp.mpf(0) for l in range(L)] for p in range(L)]     # Bᵀ
    Ws = [_lower_matmul(_lower_matmul(Bt, Kj_), A) for Kj_ in Kj]
    m2, n1 = _kernels(fp)
    beta = [mp.fsum(row) for row in Bt]
    unseen = spec_.energy - spec_.seen                                                 # σ_r²
    projected = [[mp.fsum(Bt[p][i] * v[i] for i in range(L)) for p in range(L)]
                 for v in (_column_of_inverse(D, k) for k in range(L))]               # Bᵀv_k
    M_bias = [[lam * lam * n1[p][q] * beta[p] * beta[q] / m2[p][q]
               + r * unseen * projected[0][p] * projected[0][q] for q in range(L)] for p in range(L)]
    M_var = [[r * sigma2 * mp.fsum(v[p] * v[q] for v in projected) for q in range(L)] for p in range(L)]
    H_bias = congruence_solve(Ws, [r] * L, M_bias, m2)
    H_var = congruence_solve(Ws, [r] * L, M_var, m2)
    out = {"bias": [], "variance": [], "test_error": []}
    for t in range(L):
        a_t = A[t]
        bias = unseen + mp.fsum(a_t[p] * H_bias[p][q] * a_t[q] for p in range(L) for q in range(L))
        var = mp.fsum(a_t[p] * H_var[p][q] * a_t[q] for p in range(L) for q in range(L))
        out["bias"].append(bias)
        out["variance"].append(var)
        out["test_error"].append(bias + var)
    out["limit"] = +spec_.energy
    out["residual"] = consistency(fp, r, lam)
    return out


def _check_generations(spec):
    if spec.generations > MAX_GENERATIONS:
        raise UnsupportedError(f"generations = {spec.generations}: an accumulate loop on a fresh "
                               f"design is derived up to {MAX_GENERATIONS} generations (its "
                               "equivalent has (T + 1)(T + 2)/2 unknowns)")


def _boosted(make_spectrum, spec) -> dict:
    """:func:`loop` at a working precision raised by the digits its partial fractions cancel.
    Q̄'s residues grow like the products of 1/(μ_k − μ_p) over close poles, and the sums of
    them lose about 2·log10 of the largest: a 30-digit :func:`fixed_point` measures it first."""
    T = spec.generations
    with mp.workdps(30):
        fp = fixed_point(make_spectrum(), to_mpf(spec.lam), T + 1)
        largest = max(abs(c) for row in fp["Q"] for entry in row for c in entry)
    extra = 10 + 2 * max(0, int(mp.log10(largest)))
    with mp.workdps(mp.mp.dps + extra):
        return loop(make_spectrum(), to_mpf(spec.lam), to_mpf(spec.sigma1) ** 2, T)


def fresh_accumulate(spec, dps: int) -> dict:
    """The linear model's loop of ``spec`` (accumulate, fresh design, λ > 0) at the working
    precision (the caller confirms the digits)."""
    _check_generations(spec)
    return _boosted(lambda: AtomSpectrum(to_mpf(spec.phi), [
        (to_mpf(a.weight), to_mpf(a.s1), to_mpf(a.theta)) for a in spec.atoms]), spec)


def feature_fresh_accumulate(spec, dps: int) -> dict:
    """The same loop for random projections and random features (their Gaussian
    equivalent, constants from the model's hook ``loop_constants``), given S through the
    sketch."""
    _check_generations(spec)
    return _boosted(lambda: FeatureSpectrum(feature_loops.setting(
        spec, feature_loops.feature_constants(spec))), spec)
