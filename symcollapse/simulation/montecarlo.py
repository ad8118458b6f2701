r"""Monte Carlo of the finite model: the referee of every formula.

This module never imports the theory (equations, solve, limits, …).  For a config and a
sample size n it builds the finite problem of docs/setting.md — d = round(φn), n2 = round(p2·n)
(rounding half up), atom k on a largest-remainder share of the d coordinates — and, per
trial, draws fresh X, w1 ~ N(0, θ/d), δ ~ N(0, δ/d) and the label noise, fits the model
and records

* the exact test error :math:`(\hat w - w_1)^\top\Sigma_1(\hat w - w_1)` of that draw
  (no test sampling), and
* its exact conditional expectation given X (over w1, δ and the noise), split as
  :math:`\mathrm{Bias}_X = \operatorname{Tr}(\Theta E^\top\Sigma_1E)` with
  :math:`E = I - MX`, :math:`\mathrm{Var}_X = \sum_j\sigma_j^2
  \operatorname{Tr}(M_j^\top\Sigma_1M_j)` and :math:`\zeta_X =
  \operatorname{Tr}(\Delta(M_2X_2)^\top\Sigma_1M_2X_2)`, where :math:`\hat w = My` is
  the fitted linear map and :math:`M_j` its columns on group j.  It has far less Monte
  Carlo noise and tests each term separately.

Every fit goes through one thin SVD of the row-weighted design
:math:`\tilde X = C^{1/2}X/\sqrt n` (C the per-row weights of the loss), which costs
:math:`O(nd\min(n,d))` — the cheaper of the primal and dual solves.  λ = 0 is the
minimum-norm least-squares fit (the λ → 0⁺ limit).  Trial t draws from
``SeedSequence(seed, spawn_key=(t,))``, so results do not depend on how trials are split
across processes.
"""
from __future__ import annotations

import math
import sys

import numpy as np

from symcollapse import models
from symcollapse.core.errors import ConfigError
from symcollapse.core.spec import DEFAULT_N, DEFAULT_TRIALS, LOOPS, parse
from symcollapse.simulation.design import (MAX_TRIALS, check_sizes, check_work, coordinates, draw_design,
                                           fit_map, row_weights, sizes, stats, sz_m_invalid)
from symcollapse.simulation.loops import simulate_loop


def draw_fit(spec, cols, n1, n2, rng, m=None) -> dict:
    """Draw one training set of the mixture (docs/setting.md: X, w1, δ, the noise, then S for
    random projections) and fit the model.  Returns the draws, the SVD factors of
    :func:`~symcollapse.simulation.design.fit_map` (with W = V, or SᵀV, so that ŵ = W diag(g) Uᵀ C^{1/2} y/√n, and
    ``rc`` = C^{1/2}/√n per row) and ``w_hat``."""
    n = n1 + n2
    X, w1, delta, eps, S = draw_design(cols, n1, n2, m, rng)
    sig = np.concatenate([np.full(n1, float(spec.sigma1)), np.full(n2, float(spec.sigma2))])
    y = X @ w1 + sig * eps
    y[n1:] += X[n1:] @ delta
    c = row_weights(spec, n1, n2, n)
    U, g, V, sv = fit_map(X, c, float(spec.lam), S, singular_values=True)
    W = V if S is None else S.T @ V
    rc = np.sqrt(c) / math.sqrt(n)
    w_hat = W @ (g * (U.T @ (rc * y)))
    return {"X": X, "y": y, "w1": w1, "delta": delta, "sigma": sig, "U": U, "g": g, "W": W,
            "sv": sv, "rc": rc, "w_hat": w_hat}


def one_trial(spec, cols, n1, n2, rng, m=None):
    """One draw: returns (sampled error, bias_X, var_X, zeta_X, E_train, E_train,real,
    E_train,synthetic, df/n, and the three training errors' expectations given X).

    For random projections (``m`` given) a fresh S ∈ R^{m×d} with iid N(0, 1/d) entries
    is drawn after X and the labels, and ŵ = Sᵀv̂.  The training errors (docs/setting.md) are the
    mean squared residuals Xŵ − y over all rows, the n1 real and the n2 synthetic rows
    (NaN for a group without rows); df = Σ_k s_k²/(s_k² + λ) over the singular values of
    the (weighted) features C^{1/2}F/√n (the rank for λ = 0)."""
    d = cols["s1"].size
    n = n1 + n2
    s1 = cols["s1"]
    f = draw_fit(spec, cols, n1, n2, rng, m)
    X, y, w1, sig, U, g, W, sv, rc, w_hat = (f[k] for k in (
        "X", "y", "w1", "sigma", "U", "g", "W", "sv", "rc", "w_hat"))
    diff = w_hat - w1
    sampled = float(np.sum(s1 * diff * diff))
    resid2 = (X @ w_hat - y) ** 2
    train = _group_means(resid2, n1) + (float(np.sum(g * sv)) / n,)
    # conditional expectation given X (and S): with ŵ = A·Bm·(…), A = W (d × r),
    # Bias = Tr Θ(I − A Bm)ᵀΣ1(I − A Bm) and ζ = Tr Δ(A Bm₂)ᵀΣ1(A Bm₂) reduce to r × r
    # Hadamard sums, O(d r²) instead of forming d × d matrices
    Xt = X * rc[:, None]                      # C^{1/2} X / √n
    GUt = g[:, None] * U.T                    # r × n
    Bm = GUt @ Xt                             # r × d: ŵ's map of the signal is A·Bm
    Q = W.T @ (s1[:, None] * W)               # AᵀΣ1A (r × r)
    theta = cols["theta"] / d
    diag_AB = np.einsum("kj,jk->k", W, Bm)    # (A Bm)_kk
    bias = float(np.sum(s1 * theta) - 2 * np.sum(s1 * theta * diag_AB)
                 + np.sum(Q * ((Bm * theta[None, :]) @ Bm.T)))
    zeta = 0.0
    if n2 and np.any(cols["delta"]):
        Bm2 = GUt[:, n1:] @ Xt[n1:]           # r × d: the map of δ through group 2
        zeta = float(np.sum(Q * ((Bm2 * (cols["delta"] / d)[None, :]) @ Bm2.T)))
    var = 0.0
    for rows, sg in ((slice(0, n1), float(spec.sigma1)), (slice(n1, n), float(spec.sigma2))):
        if sg == 0 or rows.start == rows.stop:
            continue
        Mj = GUt[:, rows] * rc[rows][None, :]  # r × n_j (M_j = A Mj)
        var += sg * sg * float(np.sum(Mj * (Q @ Mj)))
    cond_train = _group_means(_conditional_residuals(X, W, g, U, rc, cols, sig, n1), n1)
    return (sampled, bias, var, zeta) + train + cond_train


def _group_means(per_row, n1):
    """(mean over all rows, over the first n1, over the rest); NaN for an empty group."""
    n = per_row.size
    return (float(per_row.mean()), float(per_row[:n1].mean()) if n1 else math.nan,
            float(per_row[n1:].mean()) if n1 < n else math.nan)


def _conditional_residuals(X, W, g, U, rc, cols, sig, n1):
    r"""Per row i, the exact expectation over w1, δ and the noise, given the design (and S),
    of the squared training residual :math:`((P - I)y)_i^2`, with the fitted-value map
    :math:`P = XW\,\mathrm{diag}(g)U^\top C^{1/2}/\sqrt n = LR^\top`:

    .. math:: \sum_k ((P-I)X)_{ik}^2\theta_k/d + \sum_k ((P-I)Z)_{ik}^2\delta_k/d
              + \sum_l (P-I)_{il}^2\sigma_l^2,

    Z = X on the synthetic rows and 0 on the real ones.  O(n r (d + r)) without n × n
    matrices: the noise term is :math:`(LR^\top DRL^\top)_{ii} - 2P_{ii}\sigma_i^2 + \sigma_i^2`.
    """
    d = X.shape[1]
    L = (X @ W) * g[None, :]                  # n × r
    R = U * rc[:, None]                       # n × r
    PX = L @ (R.T @ X)
    part = ((PX - X) ** 2) @ (cols["theta"] / d)
    if n1 < X.shape[0] and np.any(cols["delta"]):
        PZ = L @ (R[n1:].T @ X[n1:])
        PZ[n1:] -= X[n1:]
        part = part + (PZ ** 2) @ (cols["delta"] / d)
    s2 = sig * sig
    Qn = R.T @ (R * s2[:, None])              # Rᵀ D R (r × r)
    p_diag = np.sum(L * R, axis=1)
    return part + np.sum((L @ Qn) * L, axis=1) - 2 * p_diag * s2 + s2


def iterative_trial(spec, cols, n1, n2, rng, generations, plan=None):
    r"""One draw of iterative mixing (docs/setting.md): w1, δ once; each generation fresh X1, X2 and
    noise, synthetic labels y2 = X2ŵ_{t−1} + ε (ŵ_0 = w2 = w1 + δ), a plain ridge fit.

    With the fitted map M (ŵ = My), D_t = ŵ_t − w1 = G_tw1 + H_tD_{t−1} + M_tσε with
    G = MX − I and H = M_2X_2 (M_2: M's columns on group 2).  The exact conditional
    expectation given all designs tracks the maps A_t = G_t + H_tA_{t−1} (of w1),
    B_t = H_tB_{t−1} (of δ; B_0 = I) and the noise covariance N_t = H_tN_{t−1}H_tᵀ +
    M_t diag(σ²) M_tᵀ: Bias = Tr(ΘA_tᵀΣ1A_t), ζ = Tr(ΔB_tᵀΣ1B_t), Var = Tr(Σ1N_t).
    ``plan`` (optional): per generation ``(n1_t, n2_t, c_t)`` — the row counts (n1_t + n2_t
    = n) and the per-row loss weights of generation t (a schedule of shares and weights);
    by default every generation is (n1, n2, 1).
    Returns an array (generations × 4): sampled error, bias, variance, zeta."""
    d = cols["s1"].size
    n = n1 + n2
    lam = float(spec.lam)
    s1 = cols["s1"]
    w1 = rng.standard_normal(d) * np.sqrt(cols["theta"] / d)
    delta = rng.standard_normal(d) * np.sqrt(cols["delta"] / d)
    if plan is None:
        plan = [(n1, n2, np.ones(n))] * generations
    theta, dvar = cols["theta"] / d, cols["delta"] / d
    D = delta.copy()
    A = np.zeros((d, d))
    B = np.eye(d)
    N = np.zeros((d, d))
    out = np.zeros((generations, 4))
    for t in range(generations):
        n1, n2, c = plan[t]
        sig = np.concatenate([np.full(n1, float(spec.sigma1)), np.full(n2, float(spec.sigma2))])
        X = rng.standard_normal((n, d))
        X[:n1] *= np.sqrt(s1)
        X[n1:] *= np.sqrt(cols["s2"])
        eps = rng.standard_normal(n)
        U, g, V = fit_map(X, c, lam)
        Mfull = (V * g[None, :]) @ U.T / math.sqrt(n) * np.sqrt(c)[None, :]  # d × n: ŵ = M y
        G = Mfull @ X - np.eye(d)
        H = Mfull[:, n1:] @ X[n1:]
        D = G @ w1 + H @ D + Mfull @ (sig * eps)
        A = G + H @ A
        B = H @ B
        Ms = Mfull * sig[None, :]
        N = H @ N @ H.T + Ms @ Ms.T
        S1A, S1B = s1[:, None] * A, s1[:, None] * B
        out[t] = (float(np.sum(s1 * D * D)), float(np.sum(theta * np.sum(A * S1A, axis=0))),
                  float(np.sum(s1 * np.diag(N))), float(np.sum(dvar * np.sum(B * S1B, axis=0))))
    return out


def simulate(config, n: int | None = None, trials: int | None = None, seed: int | None = None,
             *, progress: bool | None = None) -> dict:
    """Monte Carlo of the finite model (linear, random projections or random features; for
    the latter two a fresh projection S per trial, docs/setting.md; random features:
    :func:`symcollapse.simulation.random_features.simulate_rf`).

    ``n``, ``trials`` and ``seed`` not given are the config's own keys ``n``, ``trials``,
    ``seed``, else :data:`~symcollapse.core.spec.DEFAULT_N`,
    :data:`~symcollapse.core.spec.DEFAULT_TRIALS` and 0 (as ``symcollapse simulate`` reads them).

    Returns ``mean`` and ``se`` (standard error of the mean) of the exact test error over
    ``trials`` independent draws, the sizes ``d``, ``n``, ``m`` (None for the linear
    model), ``n1``, ``n2``, ``conditional``: mean and se of the exact conditional
    expectation given X of ``test_error``, ``bias``, ``variance``, ``zeta``, and (plain and
    weighted) ``train_error``, ``train_error_real``, ``train_error_synthetic`` and ``df``
    (df/n): mean and se of the measured training errors (None for a group without rows);
    ``conditional`` also holds the training errors' exact conditional expectations.
    """
    if n is None or trials is None or seed is None:
        given = parse(config)
        n = (given.n or DEFAULT_N) if n is None else n
        trials = (given.trials or DEFAULT_TRIALS) if trials is None else trials
        seed = (given.seed or 0) if seed is None else seed
    if isinstance(config, dict) and "p2_schedule" in config:  # p2 = kappa·n^(−a) at this n
        config = dict(config, n=n)
    spec = parse(config)
    for key, value, low in (("n", n, 2), ("trials", trials, 2), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ConfigError(f"{key} = {value!r} is out of range: allowed integers {key} >= {low}")
    if spec.symbolic:
        raise ConfigError("simulate needs numeric values, not symbols")
    if trials > MAX_TRIALS:
        raise ConfigError(f"trials = {trials} is out of range: allowed integers "
                          f"2 <= trials <= {MAX_TRIALS}")
    if sz_m_invalid(spec, n):
        raise ConfigError(f"n = {n} gives m = round(psi*n) = 0: allowed n with m >= 1")
    check_sizes(spec, sizes(spec, int(n)))
    check_work(spec, sizes(spec, int(n)), int(trials))
    model = models.get(spec.model)
    model.require(f"simulate:{spec.strategy}")
    if spec.strategy in LOOPS:                  # every model's loop: simulation/loops.py
        show = sys.stderr.isatty() if progress is None else progress
        return simulate_loop(spec, n, trials, seed, progress=show)
    return model.hook("simulate")(spec, n, trials, seed, progress=progress)


def simulate_mixture(spec, n: int, trials: int, seed: int = 0, *, progress: bool | None = None) -> dict:
    """Monte Carlo of the linear and random projections models (a parsed ``spec`` whose n,
    trials and seed :func:`simulate` has checked); the result of :func:`simulate`."""
    sz = sizes(spec, int(n))
    check_sizes(spec, sz)
    cols = coordinates(spec, sz["d"])
    show = sys.stderr.isatty() if progress is None else progress
    if spec.strategy == "iterative":
        return simulate_iterative(spec, sz, cols, int(trials), int(seed), show)
    if spec.strategy in LOOPS:
        return simulate_loop(spec, n, trials, seed, progress=show)
    rows = []
    iterator = range(int(trials))
    if show:
        from tqdm import tqdm
        iterator = tqdm(iterator, desc="simulate", unit="trial", file=sys.stderr, leave=False)
    for t in iterator:
        rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(t,)))
        rows.append(one_trial(spec, cols, sz["n1"], sz["n2"], rng, sz["m"]))
    rows = np.array(rows)
    mean, se = stats(rows[:, 0])
    cond = {}
    total = rows[:, 1] + rows[:, 2] + rows[:, 3]
    for name, col in (("test_error", total), ("bias", rows[:, 1]), ("variance", rows[:, 2]),
                      ("zeta", rows[:, 3])):
        m_, s_ = stats(col)
        cond[name] = {"mean": m_, "se": s_}
    out = {"mean": mean, "se": se, "d": sz["d"], "n": sz["n"], "m": sz["m"],
           "n1": sz["n1"], "n2": sz["n2"], "trials": int(trials), "seed": int(seed),
           "conditional": cond}
    for k, name in enumerate(TRAIN_KEYS, start=4):
        col = rows[:, k]
        out[name] = None if np.isnan(col).any() else dict(zip(("mean", "se"), stats(col)))
    for k, name in enumerate(TRAIN_KEYS[:3], start=8):
        col = rows[:, k]
        cond[name] = None if np.isnan(col).any() else dict(zip(("mean", "se"), stats(col)))
    return out


#: The training-side measurements of :func:`simulate` (columns 4.. of :func:`one_trial`).
TRAIN_KEYS = ("train_error", "train_error_real", "train_error_synthetic", "df")


def simulate_iterative(spec, sz, cols, trials, seed, show, plan=None):
    """simulate() for strategy "iterative": lists over generations 1..T (``plan``: the
    per-generation (n1_t, n2_t, row weights) of :func:`iterative_trial`, T = its length)."""
    T = spec.generations if plan is None else len(plan)
    iterator = range(trials)
    if show:
        from tqdm import tqdm
        iterator = tqdm(iterator, desc="simulate (iterative)", unit="trial", file=sys.stderr,
                        leave=False)
    runs = []
    for t in iterator:
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(t,)))
        runs.append(iterative_trial(spec, cols, sz["n1"], sz["n2"], rng, T, plan))
    runs = np.array(runs)                       # trials × T × 4
    mean = runs.mean(axis=0)
    se = runs.std(axis=0, ddof=1) / math.sqrt(trials)
    total = runs[:, :, 1:].sum(axis=2)
    cond = {"test_error": {"mean": total.mean(axis=0).tolist(),
                           "se": (total.std(axis=0, ddof=1) / math.sqrt(trials)).tolist()}}
    for k, name in ((1, "bias"), (2, "variance"), (3, "zeta")):
        cond[name] = {"mean": mean[:, k].tolist(), "se": se[:, k].tolist()}
    return {"mean": mean[:, 0].tolist(), "se": se[:, 0].tolist(), "d": sz["d"], "n": sz["n"],
            "m": sz["m"], "n1": sz["n1"], "n2": sz["n2"], "trials": trials, "seed": seed,
            "generations": T, "conditional": cond}
