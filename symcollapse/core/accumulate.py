r"""Accumulate on a fresh design with a ridge: the linear model's loop whose fits nest
resolvents of partial sums (docs/theory/loops.md, "Accumulate on a fresh design").

**The recursion.**  Batch k brings X_k (n rows, x ~ N(0, Σ)), Ĝ_k = X_kᵀX_k/n, and the fit of
generation t is ridge on batches 0..t, N_t = (t + 1)n rows, objective (1/N_t)‖Xw − y‖² + λ‖w‖².
With Ŝ_t = Σ_{k≤t}Ĝ_k its normal equations (Ŝ_t + (t + 1)λ)ŵ_t = Σ_{k≤t}X_kᵀy_k/n, and
those of generation t − 1 give Σ_{k<t}X_kᵀy_k/n = (Ŝ_{t−1} + tλ)ŵ_{t−1}; the labels
y_t = X_tŵ_{t−1} + ε_t then telescope them:

.. math:: (\hat S_t + (t+1)\lambda)\,u_t - (\hat S_t + t\lambda)\,u_{t-1}
          = -\lambda w^* + X_t^\top\varepsilon_t/n,\qquad u_t = \hat w_t - w^*,\ u_{-1} = 0.

Stacked over t = 0..T this is one block lower-bidiagonal system Hu = −λ(1⊗w*) + ξ,
:math:`H = \sum_j \hat G_j\otimes P_j + I\otimes\Lambda`, with the L × L patterns (L = T + 1)
:math:`(P_j)_{kk} = 1,\ (P_j)_{k,k-1} = -1` for k ≥ j (0 elsewhere) and
:math:`\Lambda_{kk} = (k+1)\lambda,\ \Lambda_{k,k-1} = -k\lambda`.

**First order.**  The batches are independent Gaussian blocks; leaving one row out
(Woodbury on the rank-L update (x⊗I)P_j(x⊗I)ᵀ/n) gives the deterministic equivalent, per
atom (eigenvalue s of Σ),

.. math:: H^{-1} \asymp \bar Q(s) = (sK + \Lambda)^{-1},\quad
          K = \sum_jK_j,\ K_j = P_j(I + \Delta P_j)^{-1},\quad
          \Delta = \varphi\operatorname{tr}(\Sigma\bar Q(\Sigma)),

an L × L fixed point, lower triangular like H.  Its diagonal is generation k's own
equation :math:`\Delta_{kk} = \frac{\varphi}{k+1}\operatorname{tr}(\Sigma(1 + \Delta_{kk})
/(\Sigma + \lambda(1 + \Delta_{kk})))` (ridge on N_k rows, κ_k = λ(1 + Δ_kk)); every entry
below it is affine in itself once the entries nearer the diagonal are known, so Δ is solved
exactly, one subdiagonal after the other (:func:`fixed_point`).

**Second order.**  Bias_t and Var_t are quadratic in H⁻¹: the lower-left block of the
inverse of the 2L pencil [[H, 0], [−e_te_tᵀ⊗Σ, Hᵀ]] is H⁻ᵀ(e_te_tᵀ⊗Σ)H⁻¹.  Its equivalent's
trace part Z = φ tr(Σ·(lower-left block)) solves the linear equation

.. math:: Z = \varphi\operatorname{tr}\Bigl(\Sigma^2\bar Q^\top\bigl(\textstyle\sum_j
          K_j^\top ZK_j + e_te_t^\top\bigr)\bar Q\Bigr),

and, with g(s) = Q̄(s)1 and Â_k = (I + P_kΔ)⁻¹ (a row of batch k against the block: Woodbury
again),

.. math:: \mathrm{Bias}_t = \lambda^2\operatorname{tr}\bigl(\Theta\Sigma\,g^\top
          (\textstyle\sum_jK_j^\top ZK_j + e_te_t^\top)g\bigr),\qquad
          \mathrm{Var}_t = \sigma^2\sum_{k\le t}(\hat A_k^\top Z\hat A_k)_{kk}.

Both are linear functionals of Z, so one adjoint solve each serves every generation
(:func:`adjoint`).  At L = 1 these are the plain model's ridge Bias and Var (κ = λ(1 + Δ),
1 + K²Z = 1/(1 − φtr(Σ²(Σ + κ)⁻²))); tests compare generation 0 with the plain model to 30
digits and every generation with a simulation of the loop.

**Limit.**  M_t = I − λ(Ŝ_t + (t + 1)λ)⁻¹ ⪯ (1 − c/(t + 1))I with c = λ/(‖Σ‖(1 + o(1)) + λ) > 0,
so Π_tM_t → 0 (Σ c/(t + 1) = ∞): ŵ_t forgets w*, the bias tends to tr(ΘΣ); the k-th noise
has size O(1/(k + 1)) and is damped by Π_{j>k}M_j ≍ ((k + 1)/(t + 1))^c, so the variance
tends to 0.  E_test(∞) = tr(ΘΣ) = ‖w*‖²_Σ, as for the fixed design.
"""
from __future__ import annotations

import mpmath as mp

from symcollapse.core.compiled import to_mpf
from symcollapse.core.errors import UnsupportedError

#: The largest T answered (the equivalent has L(L + 1)/2 unknowns and costs O(L⁴) per atom).
MAX_GENERATIONS = 40


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


def _diagonal(phi, lam, atoms, k):
    r"""Δ_kk: :math:`x = \frac{\varphi}{k+1}\sum_aw_as_a(1+x)/(s_a + \lambda(1+x))`, Newton
    from the right (x − φ'g(x) is convex, g rises to Σws/λ)."""
    rate = phi / (k + 1)
    x = rate * mp.fsum(w * s for w, s, _th in atoms) / lam
    tol = mp.mpf(2) ** (-mp.mp.prec + 4)
    for _ in range(200):
        f = x - rate * mp.fsum(w * s * (1 + x) / (s + lam * (1 + x)) for w, s, _th in atoms)
        df = 1 - rate * mp.fsum(w * s * s / (s + lam * (1 + x)) ** 2 for w, s, _th in atoms)
        step = f / df
        x -= step
        if abs(step) <= tol * (1 + abs(x)):
            return x
    raise ArithmeticError(f"the diagonal fixed point of generation {k} did not converge")


def fixed_point(phi, lam, atoms, L):
    r"""Δ, the K_j, K and the per-atom Q̄ of the first-order equivalent (module docstring),
    lower triangular L × L lists, solved one subdiagonal m = k − l at a time: the (k, l)
    entries of X_j = I + ΔP_j, A_j = X_j⁻¹, K_j = P_jA_j, Y = sK + Λ and Q̄ = Y⁻¹ are affine
    in Δ_kl (forward substitution in the triangular inverses), so Δ_kl = φΣ_aw_as_aQ̄_a[k, l]
    is a linear equation.  ``atoms``: [(w, s, θ)]."""
    D, X = _zeros(L), [_zeros(L) for _ in range(L)]
    A, Kj = [_zeros(L) for _ in range(L)], [_zeros(L) for _ in range(L)]
    K, Q = _zeros(L), [_zeros(L) for _ in atoms]
    for m in range(L):
        for k in range(m, L):
            l = k - m
            if m == 0:
                D[k][k] = _diagonal(phi, lam, atoms, k)
                _fill_diagonal(k, D, X, A, Kj, K, Q, lam, atoms)
                continue
            # every entry below as a pair (constant, coefficient of Δ_kl)
            x_kl = [((-D[k][l + 1] if l + 1 >= j else 0), (1 if l >= j else 0)) for j in range(L)]
            a_kl = []
            for j in range(L):
                c0 = x_kl[j][0] * A[j][l][l] + mp.fsum(X[j][k][i] * A[j][i][l] for i in range(l + 1, k))
                a_kl.append((-c0 / X[j][k][k], -x_kl[j][1] * A[j][l][l] / X[j][k][k]))
            kj_kl = [((a_kl[j][0] - A[j][k - 1][l], a_kl[j][1]) if k >= j else (0, 0)) for j in range(L)]
            k_kl = (mp.fsum(c[0] for c in kj_kl), mp.fsum(c[1] for c in kj_kl))
            q_kl = []
            for a, (_w, s, _th) in enumerate(atoms):
                y_kl = (s * k_kl[0] + ridge_pattern(lam, k, l), s * k_kl[1])
                y_kk = s * K[k][k] + ridge_pattern(lam, k, k)
                rest = mp.fsum((s * K[k][i] + ridge_pattern(lam, k, i)) * Q[a][i][l] for i in range(l + 1, k))
                q_kl.append((-(y_kl[0] * Q[a][l][l] + rest) / y_kk, -y_kl[1] * Q[a][l][l] / y_kk))
            const = phi * mp.fsum(w * s * q[0] for (w, s, _th), q in zip(atoms, q_kl))
            coef = phi * mp.fsum(w * s * q[1] for (w, s, _th), q in zip(atoms, q_kl))
            d = const / (1 - coef)
            D[k][l] = d
            for j in range(L):
                X[j][k][l] = x_kl[j][0] + x_kl[j][1] * d
                A[j][k][l] = a_kl[j][0] + a_kl[j][1] * d
                Kj[j][k][l] = kj_kl[j][0] + kj_kl[j][1] * d
            K[k][l] = k_kl[0] + k_kl[1] * d
            for a in range(len(atoms)):
                Q[a][k][l] = q_kl[a][0] + q_kl[a][1] * d
    return {"Delta": D, "Kj": Kj, "K": K, "Q": Q}


def _fill_diagonal(k, D, X, A, Kj, K, Q, lam, atoms):
    """The (k, k) entries once Δ_kk is known."""
    L = len(D)
    for j in range(L):
        X[j][k][k] = 1 + (D[k][k] if k >= j else 0)
        A[j][k][k] = 1 / X[j][k][k]
        Kj[j][k][k] = A[j][k][k] if k >= j else mp.mpf(0)
    K[k][k] = mp.fsum(Kj[j][k][k] for j in range(L))
    for a, (_w, s, _th) in enumerate(atoms):
        Q[a][k][k] = 1 / (s * K[k][k] + ridge_pattern(lam, k, k))


def residual(phi, lam, atoms, fp):
    """max |Δ − φΣ_aw_as_a(s_aK + Λ)⁻¹|, the inverse recomputed by mpmath's LU (a check of
    the subdiagonal solve that does not share its algebra)."""
    L = len(fp["Delta"])
    D = mp.matrix(fp["Delta"])
    K = mp.zeros(L, L)
    for j in range(L):
        P = mp.matrix([[pattern(j, r, c) for c in range(L)] for r in range(L)])
        K += P * mp.inverse(mp.eye(L) + D * P)
    Lam = mp.matrix([[ridge_pattern(lam, r, c) for c in range(L)] for r in range(L)])
    image = mp.zeros(L, L)
    for w, s, _th in atoms:
        image += phi * w * s * mp.inverse(s * K + Lam)
    return max(abs(x) for x in (D - image))


def adjoint(phi, atoms, fp, B):
    r"""G with G = 𝒯*(G) + B, :math:`\mathcal T^*(G) = \varphi\sum_{a,j}w_as_a^2V_{aj}GV_{aj}^\top`,
    V_aj = K_jQ̄_a lower triangular: (VGVᵀ)_{kl} involves G_{ii'} with i ≤ k, i' ≤ l only, so
    G is solved entry by entry in row-major order (each entry's own coefficient
    Σc·V_kkV_ll moved to the left), with W = GVᵀ kept per congruence."""
    L = len(B)
    Vs, cs = [], []
    for a, (w, s, _th) in enumerate(atoms):
        Qa = fp["Q"][a]
        for Kj in fp["Kj"]:
            Vs.append([[mp.fsum(Kj[r][i] * Qa[i][c] for i in range(c, r + 1)) if c <= r else mp.mpf(0)
                        for c in range(L)] for r in range(L)])
            cs.append(phi * w * s * s)
    G = _zeros(L)
    W = [_zeros(L) for _ in Vs]                 # W_r[i][l] = Σ_{i'≤l} G[i][i'] V_r[l][i']
    for k in range(L):
        for l in range(L):
            self_coef = mp.fsum(c * V[k][k] * V[l][l] for c, V in zip(cs, Vs))
            partial = mp.mpf(0)
            for r, (c, V) in enumerate(zip(cs, Vs)):
                W[r][k][l] = mp.fsum(G[k][i2] * V[l][i2] for i2 in range(l))
                partial += c * mp.fsum(V[k][i] * W[r][i][l] for i in range(k + 1))
            G[k][l] = (B[k][l] + partial) / (1 - self_coef)
            for r, V in enumerate(Vs):
                W[r][k][l] += G[k][l] * V[l][l]
    return G


def loop(phi, lam, sigma2, atoms, T) -> dict:
    """Bias_t, Var_t, E_test(t) for t = 0..T (module docstring) and the fixed point's
    residual, at the working precision."""
    L = T + 1
    fp = fixed_point(phi, lam, atoms, L)
    D, Kj, Q = fp["Delta"], fp["Kj"], fp["Q"]
    g = [[mp.fsum(Qa[r][c] for c in range(r + 1)) for r in range(L)] for Qa in Q]
    B_bias = _zeros(L)
    for (w, s, th), ga in zip(atoms, g):
        for K_j in Kj:
            v = [mp.fsum(K_j[r][c] * ga[c] for c in range(r + 1)) for r in range(L)]
            _add_outer(B_bias, v, lam * lam * w * th * s)
    B_var = _zeros(L)
    for k in range(L):
        _add_outer(B_var, _column_of_inverse(D, k), sigma2)
    G_bias, G_var = adjoint(phi, atoms, fp, B_bias), adjoint(phi, atoms, fp, B_var)
    out = {"bias": [], "variance": [], "test_error": []}
    for t in range(L):
        rows = [[Qa[t][c] for c in range(L)] for Qa in Q]
        pair = lambda G: phi * mp.fsum(w * s * s * _quadratic(G, q) for (w, s, _th), q in zip(atoms, rows))  # noqa: E731
        bias = pair(G_bias) + lam * lam * mp.fsum(w * th * s * ga[t] ** 2 for (w, s, th), ga in zip(atoms, g))
        var = pair(G_var)
        out["bias"].append(bias)
        out["variance"].append(var)
        out["test_error"].append(bias + var)
    out["limit"] = mp.fsum(w * th * s for w, s, th in atoms)
    out["residual"] = residual(phi, lam, atoms, fp)
    return out


def _add_outer(M, v, c):
    for r in range(len(v)):
        for col in range(len(v)):
            M[r][col] += c * v[r] * v[col]


def _quadratic(G, q):
    return mp.fsum(q[r] * mp.fsum(G[r][c] * q[c] for c in range(len(q))) for r in range(len(q)))


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


def fresh_accumulate(spec, dps: int) -> dict:
    """The loop of ``spec`` (linear model, accumulate, fresh design, λ > 0) at the working
    precision (the caller confirms the digits)."""
    if spec.generations > MAX_GENERATIONS:
        raise UnsupportedError(f"generations = {spec.generations}: an accumulate loop on a fresh "
                               f"design is derived up to {MAX_GENERATIONS} generations (its "
                               "equivalent has (T + 1)(T + 2)/2 unknowns)")
    atoms = [(to_mpf(a.weight), to_mpf(a.s1), to_mpf(a.theta)) for a in spec.atoms]
    return loop(to_mpf(spec.phi), to_mpf(spec.lam), to_mpf(spec.sigma1) ** 2, atoms, spec.generations)
