r"""Self-consuming loops: a model retrained, generation after generation, on what the previous
model produced (docs/setting.md, "Self-consuming loops"; docs/theory/loops.md).

One distribution: x ~ N(0, Σ), y = xᵀw* + ε.  Generation 0 fits ridge on n rows labelled by
w*; generation t ≥ 1 gets n rows labelled by ŵ_{t−1} with fresh noise, its inputs a fresh
draw (design ``"fresh"``) or X_0 again (``"fixed"``), and fits on them alone (``replace``)
or on every batch so far (``accumulate``).  With A = Σ̂(Σ̂ + λ)⁻¹ = I − λR and
ν_k = RX_kᵀε_k/n:

* **fixed design.**  Every batch shares Σ̂, so both loops are linear recursions with matrix
  coefficients in A: :math:`\hat w_t = A\sum_i\alpha_{t,i}\hat w_{i-1} + \sum_k\beta_{t,k}
  \nu_k` (replace: α_{t,t} = β_{t,t} = 1; accumulate: α_{t,i} = β_{t,k} = 1/(t+1)), so
  :math:`\hat w_t - w^* = u_t(R)\,w^* + \sum_kQ_{t,k}(A)\nu_k` with exact polynomials
  (:func:`loop_polynomials`).  Then

  .. math:: \mathrm{Bias}_t = \operatorname{tr}(\Theta\,u_t(R)\Sigma u_t(R)),\qquad
            \mathrm{Var}_t = \sigma^2\varphi\operatorname{tr}(\Sigma\,g_t(R)),\quad
            g_t(r) = \textstyle\sum_kQ_{t,k}(1-\lambda r)^2(r - \lambda r^2),

  moments :math:`\operatorname{tr}(\Sigma R^j)` and :math:`\operatorname{tr}(\Theta R^a
  \Sigma R^b)` of one sample covariance: Taylor coefficients at z = λ of the one-point
  equivalent :math:`R(z) \asymp (e(z)\Sigma + z)^{-1}` and of the two-point one
  :math:`E[R(z_1)\Sigma R(z_2)] \asymp K_1^{-1}\Sigma K_2^{-1}/(1 - \varphi e_1e_2
  \operatorname{tr}(\Sigma^2K_1^{-1}K_2^{-1}))` (:func:`moments`).  At λ = 0, A is the
  projection on the row space: E_test(t) = Bias_0 + κ_tVar_0 with
  :math:`\kappa_t = \sum_kQ_{t,k}(1)^2` (t + 1 for replace, :math:`\sum_{i\le t+1}1/i^2`
  for accumulate).
* **fresh design, replace.**  Generations are independent given ŵ_{t−1}: the recursion of
  iterative mixing (:mod:`symcollapse.core.iterative`) with every row synthetic (p2 = 1),
  started from the teacher w* itself (D_{−1} = 0).
* **fresh design, accumulate.**  With S_t = Σ_{i≤t} X_iᵀX_i the normal equations telescope:
  :math:`\hat w_t = (I - \frac{\lambda}{t+1}R_t)\hat w_{t-1} + R_tX_t^\top\varepsilon_t/N_t`,
  R_t the resolvent of the partial sum S_t/N_t.  Without a ridge (λ = 0) every fit solves
  its normal equations and, where it interpolates ((t + 1)n < d), has the minimum norm, so
  ŵ_{t−1} lies in the row space of batches 0..t − 1 ⊂ that of 0..t and
  :math:`\hat w_t = \hat w_{t-1} + S_t^+X_t^\top\varepsilon_t`: the bias stays Bias₀ and
  the k-th noise contributes :math:`\sigma^2E\operatorname{Tr}(\Sigma S_k^+X_k^\top X_kS_k^+)
  = \sigma^2E\operatorname{Tr}(\Sigma S_k^+)/(k+1)` (the k + 1 batches are exchangeable),
  Var(N_k)/(k + 1) with Var(N_k) the plain ridgeless variance of a fit on N_k = (k + 1)n rows
  (ratio φ/(k + 1)); where the fit does not interpolate that is
  :math:`\sigma^2\varphi/((k+1)(k+1-\varphi))` (the inverse-Wishart mean), so for φ < 1
  :math:`E_{\rm test}(t) = \mathrm{Bias}_0 + \sigma^2\sum_{k\le t}\varphi/((k+1)(k+1-\varphi))`
  and :math:`E_{\rm test}(\infty) = \mathrm{Bias}_0 + \sigma^2(\psi(1) - \psi(1-\varphi))`
  (digamma ψ); for φ > 1 the first ⌈φ⌉ − 1 terms are the interpolating fits' variances and
  the tail is a digamma difference (:func:`fresh_accumulate_ridgeless`).  With a
  ridge the products of resolvents of nested partial sums are one block-bidiagonal system
  in the batches' Gaussian blocks (:mod:`symcollapse.core.accumulate`, the model's hook
  ``loop_fresh_accumulate``).

**Other models.**  With a ridge a model's loops are its hooks ``loop_fixed`` and
``loop_fresh_replace`` (random projections and random features:
:mod:`symcollapse.core.feature_loops`).  **Models of rank r < d without a ridge** (random
projections: features F = XSᵀ, ŵ = Sᵀv̂, S kept for every generation).  The min-norm fit
v̂ = F⁺y keeps its iterates in the row space of F, where labels F v̂_{t−1} are reproduced
exactly:

* fixed design, any side of the ridgeless limit: v̂_t = b + Σ_kQ_{t,k}(1)F⁺ε_k with
  b = F⁺X_0w* (a stacked copy of F has pseudo-inverse [F⁺, …, F⁺]/(t + 1)), so
  E_test(t) = Bias₀ + κ_tVar₀ as for the linear model;
* fresh design where no fit interpolates (rank ratio r = min(φ, ψ) < 1): every F_t has the
  same row space (R^m, or the range of S when d < m), so replace gives v̂_t = v̂_{t−1} +
  F_t⁺ε_t (the same E_test(t) = Bias₀ + (t+1)Var₀);
* fresh design, accumulate, every side: it telescopes as above,
  :math:`\hat v_t = \hat v_{t-1} + S_t^+F_t^\top\varepsilon_t`, whose k-th noise adds
  :math:`\sigma^2E\operatorname{tr}(S\Sigma S^\top S_k^+)/(k+1)`: Var(N_k)/(k + 1), the plain
  variance at the ratios φ/(k + 1), ψ/(k + 1), and where r < k + 1 exactly
  :math:`\sigma^2r/((k+1)(k+1-r))` (given S the features are Gaussian with covariance SΣSᵀ of
  rank min(m, d): the inverse-Wishart mean) — the linear model's formula with φ replaced by
  the rank ratio, above the bias floor of the projection.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath as mp

from symcollapse.core.errors import UnsupportedError
from symcollapse.core.iterative import context, limit_of, run_generations
from symcollapse.core.precision import confirmed, round_values

LOOP_PARTS = ("test_error", "bias", "variance")
#: The largest T of a fixed-design loop (its moments have order 2T + 2 in R).
MAX_FIXED_GENERATIONS = 40


# ----------------------------------------------------------------------------- polynomials

def _poly_mul(p, q):
    out = [Fraction(0)] * (len(p) + len(q) - 1)
    for i, a in enumerate(p):
        if a:
            for j, b in enumerate(q):
                out[i + j] += a * b
    return out


def _poly_add(p, q, c=1):
    n = max(len(p), len(q))
    return [(p[i] if i < len(p) else 0) + c * (q[i] if i < len(q) else 0) for i in range(n)]


def loop_polynomials(strategy: str, T: int):
    r"""The exact polynomials in a (the eigenvalue of A) of generations t = 0..T:
    ``P[t]`` (ŵ_t's coefficient of w*) and ``Q[t][k]`` (of ν_k), coefficient lists in
    increasing degree, from :math:`\hat w_{-1} = w^*` and

    replace: :math:`\hat w_t = A\hat w_{t-1} + \nu_t`; accumulate: :math:`\hat w_t =
    A\frac1{t+1}\sum_{i=0}^{t}\hat w_{i-1} + \frac1{t+1}\sum_{k=0}^{t}\nu_k`.

    >>> P, Q = loop_polynomials("accumulate", 1)
    >>> P[1], Q[1]
    ([Fraction(0, 1), Fraction(1, 2), Fraction(1, 2)], [[Fraction(1, 2), Fraction(1, 2)], [Fraction(1, 2)]])
    """
    prev_P = [[Fraction(1)]]                     # P_{−1} = 1
    prev_Q = [[]]                                # Q_{−1} = 0
    P, Q = [], []
    for t in range(T + 1):
        if strategy == "replace":
            alphas = {t: Fraction(1)}
        else:
            alphas = {i: Fraction(1, t + 1) for i in range(t + 1)}
        mix_P = [Fraction(0)]
        mix_Q = [[Fraction(0)] for _ in range(t + 1)]
        for i, a in alphas.items():
            mix_P = _poly_add(mix_P, prev_P[i], a)
            for k in range(len(prev_Q[i])):
                mix_Q[k] = _poly_add(mix_Q[k], prev_Q[i][k], a)
        Pt = _poly_mul([Fraction(0), Fraction(1)], mix_P)
        Qt = [_poly_mul([Fraction(0), Fraction(1)], q) for q in mix_Q]
        for k in range(t + 1):
            beta = Fraction(1) if strategy == "replace" and k == t else (
                Fraction(1, t + 1) if strategy == "accumulate" else Fraction(0))
            Qt[k] = _poly_add(Qt[k], [beta])
        P.append(_trim(Pt))
        Q.append([_trim(q) for q in Qt])
        prev_P.append(Pt)
        prev_Q.append(Qt)
    return P, Q


def _trim(p):
    p = list(p)
    while len(p) > 1 and p[-1] == 0:
        p.pop()
    return p


def in_resolvent(poly_a, lam) -> list:
    """The coefficients in r of p(1 − λr) (a = 1 − λr: A = I − λR)."""
    out = [Fraction(0)]
    power = [Fraction(1)]
    for c in poly_a:
        out = _poly_add(out, power, c)
        power = _poly_mul(power, [Fraction(1), -lam])
    return out


def variance_polynomial(Qt, lam) -> list:
    r"""The coefficients in r of :math:`g_t(r) = \sum_kQ_{t,k}(1-\lambda r)^2(r - \lambda r^2)`:
    the noises' share of generation t in powers of the resolvent (E[ν_kν_kᵀ] ∝ RΣ̂R, a
    function of R: Σ̂R² = R − λR²)."""
    g = [Fraction(0)]
    for qk in Qt:
        r = in_resolvent(qk, lam)
        g = _poly_add(g, _poly_mul(_poly_mul(r, r), [Fraction(0), Fraction(1), -lam]))
    return g


def noise_factor(strategy: str, T: int) -> list:
    r""":math:`\kappa_t = \sum_kQ_{t,k}(1)^2` for t = 0..T: the factor of the variance at
    λ = 0 (fixed design), where A is the projection on the row space."""
    _P, Q = loop_polynomials(strategy, T)
    return [sum(sum(q) ** 2 for q in Qt) for Qt in Q]


# ----------------------------------------------------------------------------- moments

def moments(c, order: int):
    r"""Taylor coefficients at z = λ of the one- and two-point equivalents of
    :math:`R(z) = (\hat\Sigma + z)^{-1}` for one distribution (c: a
    :class:`~symcollapse.core.iterative.Context` with its fixed point e = e(λ)).

    e(z) solves :math:`e(1 + \varphi\operatorname{tr}(\Sigma K^{-1})) = 1`, K = eΣ + z; order
    by order in h = z − λ the k-th coefficient enters linearly (the recurrence of the
    reciprocal series q = 1/K).  Returns ``(S, Phi)``: :math:`S_j = [h^j]
    \operatorname{tr}(\Sigma R(\lambda + h))` for j ≤ 2·order + 1 and
    :math:`\Phi_{ij} = [h_1^ih_2^j]\operatorname{tr}(\Theta\,E[R(\lambda + h_1)\Sigma
    R(\lambda + h_2)])` for i, j ≤ order.  Since :math:`R(\lambda + h) = \sum_k (-h)^k
    R^{k+1}`: :math:`\operatorname{tr}(\Sigma R^{j+1}) \asymp (-1)^jS_j` and
    :math:`\operatorname{tr}(\Theta R^{i+1}\Sigma R^{j+1}) \asymp (-1)^{i+j}\Phi_{ij}`."""
    s, th, phi, lam = c.s1, c.theta, c.phi, c.lam
    K1 = 2 * order + 2
    e = [c.e1]
    q = [1 / (e[0] * s + lam)]
    D = [e[0] * s + lam]
    tr = c.tr
    g = [1 + phi * tr(s * q[0])]
    pivot = g[0] - e[0] * phi * tr(s * s * q[0] ** 2)
    for k in range(1, K1):
        known = sum((D[j] * q[k - j] for j in range(1, k)), s * 0) + (q[0] if k == 1 else 0)
        q_known = -q[0] * known
        rhs = -e[0] * phi * tr(s * q_known) - sum((e[j] * g[k - j] for j in range(1, k)),
                                                   mp.mpf(0))
        ek = rhs / pivot
        e.append(ek)
        D.append(ek * s + (1 if k == 1 else 0))
        q.append(q_known - q[0] ** 2 * s * ek)
        g.append(phi * tr(s * q[k]))
    S = [tr(s * qk) for qk in q]
    n = order + 1
    atoms = len(s)
    per_atom = [[q[k][a] for k in range(n)] for a in range(atoms)]     # q(h) of each atom
    # X(h1, h2) = φ e(h1)e(h2) tr(Σ²q(h1)q(h2)) = Σ_atoms φ w s² (eq)(h1) (eq)(h2)
    eq_ = [_mul(e[:n], qa, n) for qa in per_atom]
    X = [(phi * c.w[a] * s[a] ** 2, eq_[a]) for a in range(atoms)]
    Y = _inverse_one_minus(X, n)                            # 1/(1 − X)
    theta_part = [(c.w[a] * th[a] * s[a], per_atom[a]) for a in range(atoms)]
    return S, _separable_times(theta_part, Y, n)


def _mul(a, b, n):
    """The product of two univariate series, truncated at degree < n."""
    return [mp.fsum(a[k] * b[i - k] for k in range(i + 1)) for i in range(n)]


def _separable_times(terms, Y, n):
    r"""(Σ_r c_r a_r(h1)a_r(h2))·Y(h1, h2), truncated at degrees < n in each variable
    (terms: [(c_r, a_r)]), as two one-variable convolutions per term: O(r n³)."""
    out = [[mp.mpf(0)] * n for _ in range(n)]
    for c_r, a in terms:
        V = [_mul(a, Y[i], n) for i in range(n)]               # along h2
        for i in range(n):
            row = out[i]
            for j in range(n):
                row[j] += c_r * mp.fsum(a[k] * V[i - k][j] for k in range(i + 1))
    return out


def _inverse_one_minus(terms, n):
    r"""Y = 1/(1 − X) for a separable X = Σ_r c_r a_r(h1)a_r(h2) (terms [(c_r, a_r)]),
    truncated at degrees < n in each variable: Y = 1 + XY solved coefficient by coefficient
    in O(r n³) (row i of Y from rows < i through :math:`W_r = a_r *_{h_2} Y`)."""
    X00 = mp.fsum(c_r * a[0] ** 2 for c_r, a in terms)
    pivot = 1 / (1 - X00)
    Y = [[mp.mpf(0)] * n for _ in range(n)]
    W = [[None] * n for _ in terms]                           # W[r][i] = (a_r * Y[i]) along h2
    for i in range(n):
        above = [[mp.fsum(a[k] * W[r][i - k][j] for k in range(1, i + 1)) for j in range(n)]
                 for r, (_c, a) in enumerate(terms)]
        for j in range(n):
            acc = mp.mpf(1) if i == j == 0 else mp.mpf(0)
            for r, (c_r, a) in enumerate(terms):
                same_row = mp.fsum(a[m] * Y[i][j - m] for m in range(1, j + 1))
                acc += c_r * (above[r][j] + a[0] * same_row)
            Y[i][j] = acc * pivot
        for r, (_c, a) in enumerate(terms):
            W[r][i] = _mul(a, Y[i], n)
    return Y


# ----------------------------------------------------------------------------- the loops

def plain(spec):
    """Generation 0's plain problem: the loop's distribution alone (p2 = 0)."""
    return spec.replace(strategy="plain", design=None, generations=None, p2=Fraction(0))


def fixed_design(spec, dps: int) -> dict:
    """E_test(t), Bias_t, Var_t for t = 0..T of a fixed-design loop at λ > 0 (module
    docstring), at the working precision."""
    T = spec.generations
    c, _regime, sol = context(plain(spec), dps)
    S, Phi = moments(c, T + 1)
    lam = spec.lam
    sigma2phi = c.sigma1 ** 2 * c.phi
    P, Q = loop_polynomials(spec.strategy, T)
    out = {k: [] for k in LOOP_PARTS}
    for t in range(T + 1):
        u = _poly_add(in_resolvent(P[t], lam), [Fraction(1)], -1)     # u_t(r); u_0 = 0
        ut = [mp.mpf(0)] * (len(u) - 1)
        for a in range(1, len(u)):
            ut[a - 1] = (-1) ** (a - 1) * mp.mpf(u[a].numerator) / u[a].denominator
        bias = mp.fsum(ut[i] * ut[j] * Phi[i][j] for i in range(len(ut)) for j in range(len(ut)))
        g = variance_polynomial(Q[t], lam)
        var = sigma2phi * mp.fsum((-1) ** (j - 1) * mp.mpf(g[j].numerator) / g[j].denominator
                                  * S[j - 1] for j in range(1, len(g)))
        out["bias"].append(bias)
        out["variance"].append(var)
        out["test_error"].append(bias + var)
    out["limit"] = _fixed_limit(spec, c, dps)
    out["residual"] = sol.residual
    return out


def _fixed_limit(spec, c, dps):
    r"""E_test(t → ∞) of a fixed-design loop at λ > 0: ŵ_t → 0 in the mean (A < I), so the
    bias tends to tr(ΘΣ); replace keeps a stationary variance
    :math:`\sigma^2\varphi\operatorname{tr}(\Sigma\hat\Sigma(2\hat\Sigma + \lambda)^{-1})
    /\lambda = \frac{\sigma^2\varphi}{2\lambda}(\operatorname{tr}\Sigma -
    \frac\lambda2\operatorname{tr}(\Sigma R(\lambda/2)))`, accumulate averages its noise
    away (κ → 0 for every eigenvalue a < 1)."""
    bias = c.tr(c.theta * c.s1)
    if spec.strategy == "accumulate" or c.sigma1 == 0:
        return bias
    half, _regime, _sol = context(plain(spec.replace(lam=spec.lam / 2)), dps)
    lam = c.lam
    trace = half.tr(half.s1 / (half.e1 * half.s1 + lam / 2))
    return bias + c.sigma1 ** 2 * c.phi / (2 * lam) * (half.tr(half.s1) - lam / 2 * trace)


def fixed_ridgeless(spec, base: dict) -> dict:
    """A fixed-design loop at λ = 0, or a fresh-design replace loop at λ = 0 reduced to
    generation 0 (where no fit interpolates): E_test(t) = Bias_0 + κ_t·Var_0 (module docstring), from
    ``base``, the plain ridgeless answer of generation 0 (Bias_0, Var_0, more digits than are
    reported); the limit is Bias_0 + κ_∞Var_0 (κ_∞ = ∞ for replace, π²/6 for accumulate)."""
    kappa = noise_factor(spec.strategy, spec.generations)
    bias, var = base["bias"], base["variance"]
    out = {"bias": [bias] * len(kappa),
           "variance": [var * mp.mpf(k.numerator) / k.denominator for k in kappa]}
    out["test_error"] = [bias + v for v in out["variance"]]
    if var == 0:
        out["limit"] = bias
    else:
        out["limit"] = mp.inf if spec.strategy == "replace" else bias + mp.pi ** 2 / 6 * var
    out["residual"] = base["residual"]
    return out


def fresh_replace(spec, dps: int) -> dict:
    """A fresh-design replace loop: the iterative recursion with every row synthetic,
    from D_{−1} = 0, for T + 1 generations; its limit where the map contracts."""
    every_row_labelled = spec.replace(strategy="plain", design=None, generations=None,
                                      p2=Fraction(1), sigma2=spec.sigma1)
    c, _regime, sol = context(every_row_labelled, dps)
    steps = run_generations([c] * (spec.generations + 1))
    _rho, lim = limit_of(c)
    out = {k: steps[k] for k in LOOP_PARTS}
    out["limit"] = lim["test_error"]
    out["residual"] = sol.residual
    return out


def rank_ratio(spec, model) -> Fraction:
    """r = rank/n of a generation's features: φ, or min(φ, m/n) for a model that sees the
    inputs through an m-dimensional projection (``Model.rank_limited``)."""
    if model.rank_limited:
        return min(spec.phi, spec.size(model.size_key))
    return spec.phi


def rank_condition(model) -> str:
    """The condition that no fit interpolates, as a config reads it (``phi < 1``, or
    ``min(phi, psi) < 1``)."""
    ratio = f"min(phi, {model.size_key})" if model.rank_limited else "phi"
    return f"{ratio} < 1"


def interpolating_batches(rank: Fraction) -> list:
    """The stacked fits k ≥ 1 with fewer rows than the rank, (k + 1)n < rank·n: their ridgeless
    fits interpolate (every one of them, for the limit; none when r ≤ 2)."""
    return [k for k in range(1, int(rank) + 1) if rank > k + 1]


def stacked_plain(spec, model, k: int):
    """The plain problem of a fit on N_k = (k + 1)n rows: the ratios over N_k (φ/(k + 1), and
    the model size over k + 1 for a model of rank r < d), p2 = 0."""
    changes = {"phi": spec.phi / (k + 1)}
    if model.rank_limited:
        changes[model.size_key] = spec.size(model.size_key) / (k + 1)
    return plain(spec).replace(**changes)


def plain_specs(spec, model) -> list:
    """The plain problems whose answers :func:`predict_loop` reads (``bases``): none for a loop
    with its own recursion or equivalent; generation 0's for the ridgeless loops that reduce
    to it; for a ridgeless fresh accumulate loop, also every interpolating stacked fit
    (:func:`interpolating_batches`)."""
    if spec.lam > 0 or _recursion(spec, model):
        return []
    specs = [plain(spec)]
    if spec.design == "fresh" and spec.strategy == "accumulate":
        specs += [stacked_plain(spec, model, k) for k in interpolating_batches(rank_ratio(spec, model))]
    return specs


def fresh_accumulate_ridgeless(spec, rank: Fraction, bases: list) -> dict:
    r"""A fresh-design accumulate loop without a ridge (module docstring).  Every ridgeless fit
    solves the normal equations and, where it interpolates, keeps the minimum norm, so
    v̂_{t−1} lies in the row space of batches 0..t − 1 ⊂ that of 0..t and the loop telescopes
    to :math:`\hat v_t = \hat v_{t-1} + \hat S_t^+F_t^\top\varepsilon_t/n`: the bias stays
    Bias₀, and the k-th noise adds σ²E Tr(ΩŜ_k⁺)/(n(k + 1)) (exchangeable batches) =
    Var(N_k)/(k + 1), the plain ridgeless variance of a fit on N_k = (k + 1)n rows.  Where it
    does not interpolate (r < k + 1) that is σ²r/((k+1)(k+1−r)) exactly (inverse Wishart);
    where it does, ``bases[i]`` (the plain answers of :func:`plain_specs`: generation 0, then
    the interpolating k).  The tail past the last interpolating K is a digamma difference,
    σ²(ψ(K + 2) − ψ(K + 2 − r)); at an integer rank ratio a fit with as many rows as its rank
    has infinite variance."""
    sigma2, bias0 = spec.sigma1 ** 2, bases[0]["bias"]
    if rank.denominator == 1 and rank <= spec.generations + 1:
        raise UnsupportedError(f"generation {rank - 1}: its {rank}n stacked rows equal the rank "
                               f"of its features (rank ratio {rank}, an integer), where the "
                               "minimum-norm fit's variance is infinite")
    interpolating = dict(zip([0] + interpolating_batches(rank), bases))
    steps = []
    for k in range(max(spec.generations, len(interpolating) - 1) + 1):
        if rank > k + 1:
            steps.append(interpolating[k]["variance"] / (k + 1))
        else:
            step = sigma2 * rank / ((k + 1) * (k + 1 - rank))
            steps.append(mp.mpf(step.numerator) / step.denominator)
    var = [mp.fsum(steps[:t + 1]) for t in range(spec.generations + 1)]
    if rank.denominator == 1:
        limit = mp.inf
    else:                       # the tail past the interpolating fits: σ²(ψ(K + 2) − ψ(K + 2 − r))
        first = len(interpolating) + 1
        r_mp = mp.mpf(rank.numerator) / rank.denominator
        tail = mp.mpf(sigma2.numerator) / sigma2.denominator * (mp.digamma(first) - mp.digamma(first - r_mp))
        limit = bias0 + mp.fsum(steps[:len(interpolating)]) + tail
    return {"bias": [bias0] * len(var), "variance": var,
            "test_error": [bias0 + v for v in var], "limit": limit, "residual": bases[0]["residual"]}


def _recursion(spec, model) -> bool:
    """Whether a fresh-design replace loop runs the model's own recursion (hook
    ``loop_fresh_replace``): with a ridge; without one where the fits interpolate (rank ratio
    above 1, where the recursion's e → 0 limit is finite), or on every side for a model that
    does not refuse ``loop_fresh_replace_ridgeless``."""
    return (spec.design == "fresh" and spec.strategy == "replace"
            and "loop_fresh_replace" in model.hooks
            and (spec.lam > 0 or model.answers("loop_fresh_replace_ridgeless")
                 or rank_ratio(spec, model) > 1))


def _refuse_underived(spec, model, rank):
    """The loops this version does not derive, each with its reason: with a ridge, a model's
    loop is its hooks ``loop_fixed``, ``loop_fresh_replace`` and ``loop_fresh_accumulate``
    (refused with the model's reason where it has none); without a ridge, a fresh accumulate
    loop telescopes on every side, and a fresh replace loop of a model without its own
    recursion reduces to generation 0 only where no fit interpolates."""
    if spec.lam > 0 and spec.design == "fixed":
        model.hook("loop_fixed")
    if spec.lam > 0 and spec.design == "fresh" and spec.strategy == "replace":
        model.hook("loop_fresh_replace")
    if spec.design != "fresh" or _recursion(spec, model):
        return
    if spec.strategy == "accumulate":
        if spec.lam > 0:                # the model's nested-resolvent equivalent
            model.hook("loop_fresh_accumulate")
        return
    if spec.lam == 0 and rank < 1:
        return
    raise UnsupportedError(f'strategy "replace" with design "fresh" at lam = 0 and '
                           f"{rank_condition(model).replace('< 1', '= 1')}: each generation fits as "
                           "many rows as the rank of its features, where the minimum-norm fit's "
                           "variance is infinite")


def predict_loop(spec, dps: int, bases: list, model) -> dict:
    """The deterministic equivalent of a self-consuming loop to ``dps`` digits: lists over
    generations 0..T of ``test_error``, ``bias``, ``variance``, and ``limit`` (E_test as
    t → ∞, ``mp.inf`` where the loop diverges).  Each number is confirmed at two working
    precisions (:func:`~symcollapse.core.precision.confirmed`); a loop without a ridge that
    reduces to plain answers is exact arithmetic on ``bases`` (the answers to
    :func:`plain_specs`, confirmed to dps + 10 digits by the caller).  ``model``:
    the :class:`~symcollapse.models.base.Model` (its loop hooks and refusals, its rank)."""
    rank = rank_ratio(spec, model)
    _refuse_underived(spec, model, rank)
    if spec.design == "fixed" and spec.generations > MAX_FIXED_GENERATIONS:
        raise UnsupportedError(f"generations = {spec.generations}: a fixed-design loop is "
                               f"derived up to {MAX_FIXED_GENERATIONS} generations (its moments "
                               "have order 2T + 2 in the resolvent)")
    if spec.design == "fresh" and spec.strategy == "accumulate" and spec.lam > 0:
        run = model.hook("loop_fresh_accumulate")
        values, _w, _warm = confirmed(lambda warm: (run(spec, dps), None), dps,
                                      what="accumulate loop", unchecked=("residual",))
    elif spec.design == "fresh" and spec.strategy == "accumulate":
        with mp.workdps(dps + 10):
            values = round_values(fresh_accumulate_ridgeless(spec, rank, bases), dps)
    elif bases:
        with mp.workdps(dps + 10):
            values = round_values(fixed_ridgeless(spec, bases[0]), dps)
    else:
        run = model.hook("loop_fixed" if spec.design == "fixed" else "loop_fresh_replace")
        values, _w, _warm = confirmed(lambda warm: (run(spec, dps), None), dps,
                                      what=f"{spec.strategy} loop", unchecked=("residual",))
    values["dps"] = dps
    values["regime"] = f"{spec.strategy}, {spec.design} design"
    values["generations"] = list(range(spec.generations + 1))
    return values
