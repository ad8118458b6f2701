r"""Beyond Gaussian data: the paper's empirical claims on a real dataset, offline.

The real distribution D1 is scikit-learn's handwritten digits (1,797 images of 8 × 8
pixels; it ships inside scikit-learn, nothing is downloaded): the 61 pixels that vary,
standardized, as x ∈ R^d (d = 61), and the centred one-hot label as y ∈ R^10 (each output
a regression; errors are averaged over the 10 outputs).  The population D1 is the
empirical distribution of a pool of 1,297 images (training rows are drawn from it with
replacement, i.e. iid): Σ1 is its covariance and w1 its least-squares fit (so the excess
risk of a predictor f is E(f(x) − w1ᵀx)², and σ1² is the residual of w1).  The other 500
images, never seen by w1, a generator or a learner, measure every test error:
MSE(f) − MSE(w1) on held-out real labels.

Synthetic data (D2): real images relabelled by a *generator*, a ridge fit on a small real
subset (n_g images): y = w2ᵀx with w2 = ŵ_gen, so the quality c² = E‖w2 − w1‖² (mean over
the outputs) is measured, not assumed; fewer generator images, lower quality.

Learners, of tunable size: ridge on the pixels (the classical linear model), ridge on
random ReLU features of width m (σ(h) = max(h, 0) − 1/√(2π), S with N(0, 1/d) entries),
and a two-layer ReLU network of width m trained by full-batch Adam to convergence
(numpy, seeded).

Theory overlay: the linear (or random projections) model with the dataset's covariance
spectrum as atoms (eigenvalues s_k of Σ1, weight 1/d, θ_k = d·(u_kᵀw1)², δ_k =
d·(u_kᵀ(w2 − w1))², averaged over the outputs), σ2 = 0, and σ1² the residual's effective
level for least squares, tr(Σ⁻¹E[xxᵀε²])/d (the residual is the label's non-linear part,
heteroscedastic; for independent noise this is σ1²): measured, nothing is fitted.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from symcollapse import models
from symcollapse.analysis.limits import floor
from symcollapse.core.decomposition import predict
from symcollapse.core.errors import ConfigError

RELU_MEAN = 1 / math.sqrt(2 * math.pi)
TEST_SIZE = 500


# ----------------------------------------------------------------------------- the data

@functools.lru_cache(maxsize=4)
def digits(split_seed: int = 0) -> dict:
    """The digits problem: pool and held-out test set, Σ1, w1, σ1² (see the module)."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:  # pragma: no cover - a declared dependency
        raise ConfigError("the real-data experiments need scikit-learn: pip install "
                          "scikit-learn") from None
    X, labels = load_digits(return_X_y=True)
    X = X.astype(float)
    X = X[:, X.std(axis=0) > 0]
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    Y = np.eye(10)[labels]
    Y = Y - Y.mean(axis=0)
    N, d = X.shape
    perm = np.random.default_rng(split_seed).permutation(N)
    test, pool = perm[:TEST_SIZE], perm[TEST_SIZE:]
    # the population D1 is the pool's empirical distribution (training rows are drawn
    # from it with replacement, i.e. iid); the held-out images are an independent sample
    Xp, Yp = X[pool], Y[pool]
    Sigma = Xp.T @ Xp / len(pool)
    W1 = np.linalg.solve(Sigma, Xp.T @ Yp / len(pool))
    R = Yp - Xp @ W1
    sigma1_sq = float(np.mean(R ** 2))
    # the residual is the non-linear part of the label: heteroscedastic.  Its effect on a
    # least-squares fit is the sandwich tr(Σ⁻¹ E[x xᵀ ε²])/d (= σ² for independent noise)
    M = np.einsum("ni,nj,n->ij", Xp, Xp, np.mean(R ** 2, axis=1)) / len(pool)
    sigma_eff_sq = float(np.trace(np.linalg.solve(Sigma, M)) / d)
    s, U = np.linalg.eigh(Sigma)
    return {"X": X, "Y": Y, "d": d, "Sigma": Sigma, "W1": W1, "sigma1_sq": sigma1_sq,
            "sigma_eff_sq": sigma_eff_sq, "test": test, "pool": pool,
            "eigenvalues": np.maximum(s, 0.0), "eigenvectors": U}


def generator(n_gen: int, lam: float = 1e-2, seed: int = 0) -> dict:
    """A synthetic labeler: ridge on ``n_gen`` real pool images.  Returns ``W2`` and its
    measured quality ``c2`` = mean over outputs of ‖w2 − w1‖²."""
    data = digits()
    rng = np.random.default_rng(10_000 + seed)
    idx = rng.choice(data["pool"], size=n_gen, replace=False)
    X, Y = data["X"][idx], data["Y"][idx]
    W2 = np.linalg.solve(X.T @ X / n_gen + lam * np.eye(data["d"]), X.T @ Y / n_gen)
    c2 = float(np.mean(np.sum((W2 - data["W1"]) ** 2, axis=0)))
    return {"W2": W2, "c2": c2, "n_gen": n_gen}


def theory_atoms(W2) -> list:
    """The dataset's spectrum as co-diagonal atoms, with w1's and δ's energies."""
    data = digits()
    s, U = data["eigenvalues"], data["eigenvectors"]
    d = data["d"]
    theta = d * np.mean((U.T @ data["W1"]) ** 2, axis=1)
    delta = d * np.mean((U.T @ (W2 - data["W1"])) ** 2, axis=1)
    return [{"weight": 1 / d, "s1": float(a), "s2": float(a), "theta": float(t),
             "delta": float(dl)} for a, t, dl in zip(s, theta, delta)]


# ----------------------------------------------------------------------------- learners

def _ridge(F, Y, lam):
    n, m = F.shape
    if m <= n:
        return np.linalg.solve(F.T @ F / n + lam * np.eye(m), F.T @ Y / n)
    return F.T @ np.linalg.solve(F @ F.T / n + lam * np.eye(n), Y / n)


def _features(X, S):
    return np.maximum(X @ S.T, 0.0) - RELU_MEAN


def fit_predict(learner: str, Xtr, Ytr, Xte, *, m=None, lam=1e-3, rng=None, steps=3000):
    """Train ``learner`` ("linear", "random_features", "network") and predict on Xte."""
    d = Xtr.shape[1]
    if learner == "linear":
        return Xte @ _ridge(Xtr, Ytr, lam)
    if learner == "random_features":
        S = rng.standard_normal((m, d)) / math.sqrt(d)
        V = _ridge(_features(Xtr, S), Ytr, lam)
        return _features(Xte, S) @ V
    if learner == "network":
        return _network(Xtr, Ytr, Xte, m, lam, rng, steps)
    raise ValueError(f"unknown learner {learner!r}")


def _network(Xtr, Ytr, Xte, m, wd, rng, steps, lr=1e-2):
    """f(x) = Aᵀ relu(Wx + b)/√m, MSE + wd·(‖W‖² + ‖A‖²)/2, full-batch Adam."""
    n, d = Xtr.shape
    k = Ytr.shape[1]
    params = [rng.standard_normal((m, d)) / math.sqrt(d), np.zeros(m),
              rng.standard_normal((m, k)) * 0.1]
    mom = [np.zeros_like(p) for p in params]
    vel = [np.zeros_like(p) for p in params]
    b1, b2, eps = 0.9, 0.999, 1e-8
    for t in range(1, steps + 1):
        W, b, A = params
        H = Xtr @ W.T + b
        R = np.maximum(H, 0.0)
        out = R @ A / math.sqrt(m)
        G = 2 * (out - Ytr) / (n * k)
        gA = R.T @ G / math.sqrt(m) + wd * A
        gH = (G @ A.T / math.sqrt(m)) * (H > 0)
        gW = gH.T @ Xtr + wd * W
        gb = gH.sum(axis=0)
        for i, g in enumerate((gW, gb, gA)):
            mom[i] = b1 * mom[i] + (1 - b1) * g
            vel[i] = b2 * vel[i] + (1 - b2) * g * g
            params[i] = params[i] - lr * (mom[i] / (1 - b1 ** t)) / (
                np.sqrt(vel[i] / (1 - b2 ** t)) + eps)
    W, b, A = params
    return np.maximum(Xte @ W.T + b, 0.0) @ A / math.sqrt(m)


def excess_test_error(learner, n, p2, gen, seed, **kw) -> float:
    """One trial: train on n pool images (n2 = round(p2 n) relabelled by the generator),
    return the held-out excess error MSE(f) − MSE(w1), averaged over the outputs."""
    data = digits()
    rng = np.random.default_rng(seed)
    idx = rng.choice(data["pool"], size=n, replace=True)
    n2 = int(round(p2 * n))
    X = data["X"][idx]
    Y = data["Y"][idx].copy()
    if n2:
        Y[:n2] = X[:n2] @ gen["W2"]
    Xte, Yte = data["X"][data["test"]], data["Y"][data["test"]]
    pred = fit_predict(learner, X, Y, Xte, rng=rng, **kw)
    base = np.mean((Yte - Xte @ data["W1"]) ** 2)
    return float(np.mean((Yte - pred) ** 2) - base)


def _mean_se(values):
    a = np.asarray(values, float)
    return float(a.mean()), float(a.std(ddof=1) / math.sqrt(len(a))) if len(a) > 1 else 0.0


# ----------------------------------------------------------------------------- theory

def theory_config(n, p2, gen, lam, model="linear", m=None) -> dict:
    data = digits()
    cfg = {"phi": data["d"] / n, "p2": p2, "lam": lam,
           "sigma1": math.sqrt(data["sigma_eff_sq"]),
           "sigma2": 0.0, "atoms": theory_atoms(gen["W2"])}
    size = models.get(model).size_key
    if size is not None:
        cfg.update(model=model, **{size: m / n})
    return cfg


def theory(n, p2, gen, lam, model="linear", m=None, sigma1_sq=None) -> float:
    cfg = theory_config(n, p2, gen, lam, model, m)
    if sigma1_sq is not None:
        cfg["sigma1"] = math.sqrt(sigma1_sq)
    return float(predict(cfg, dps=15)["test_error"])


def fit_noise(rows, gen, lam) -> float:
    """One fitted number: the noise level σ1² that best matches the *clean* (p2 = 0)
    curve in relative least squares.  E_test is affine in σ1² (Var = p1σ1²u1), so
    E = B + σ1²V with B, V from two predictions; the p2 > 0 curves are then predictions."""
    pts = [r for r in rows if r["p2"] == 0]
    B = np.array([theory(r["n"], 0.0, gen, lam, sigma1_sq=0.0) for r in pts])
    V = np.array([theory(r["n"], 0.0, gen, lam, sigma1_sq=1.0) for r in pts]) - B
    y = np.array([r["mean"] for r in pts])
    w = 1 / y ** 2
    return float(max(np.sum(w * V * (y - B)) / np.sum(w * V * V), 0.0))


def gaussian_surrogate(n, p2, gen, lam, seed) -> float:
    """One trial on Gaussian data with the digits' Σ1, w1, σ1 and w2: the setting of the
    theory, with everything else as in the real-data runs (the control experiment)."""
    data = digits()
    rng = np.random.default_rng(50_000 + seed)
    d = data["d"]
    L = np.linalg.cholesky(data["Sigma"] + 1e-12 * np.eye(d))
    X = rng.standard_normal((n, d)) @ L.T
    n2 = int(round(p2 * n))
    W = np.vstack([np.repeat(data["W1"][None], n - n2, 0), np.repeat(gen["W2"][None], n2, 0)])
    Y = np.einsum("ni,nio->no", X, W) + math.sqrt(data["sigma1_sq"]) * \
        rng.standard_normal((n, 10)) * (np.arange(n) < n - n2)[:, None]
    What = _ridge(X, Y, lam)
    D = What - data["W1"]
    return float(np.mean(np.einsum("io,ij,jo->o", D, data["Sigma"], D)))


# ----------------------------------------------------------------------------- experiments

GENERATORS = {"high": 400, "low": 40}   # images seen by the generator (quality)


def n_curve(*, ns=(100, 200, 400, 800, 1600, 3200), p2s=(0.0, 0.01, 0.1, 0.5), seeds=8,
            learner="linear", lam=1e-3, quality="low", m=None, progress=None) -> dict:
    """Excess test error against n for each p2 (mean ± se over seeds), with the linear
    model's theory (no fit) for the linear learner and the n → ∞ floor."""
    gen = generator(GENERATORS[quality])
    rows = []
    for p2 in p2s:
        for n in ns:
            vals = [excess_test_error(learner, n, p2, gen, s, lam=lam, m=m) for s in range(seeds)]
            mean, se = _mean_se(vals)
            row = {"p2": p2, "n": n, "mean": mean, "se": se, "theory": None}
            if learner == "linear":
                row["theory"] = theory(n, p2, gen, lam)
                g = [gaussian_surrogate(n, p2, gen, lam, s) for s in range(seeds)]
                row["gaussian"], row["gaussian_se"] = _mean_se(g)
            rows.append(row)
            if progress:
                progress.update(1)
    fitted = None
    if learner == "linear":
        fitted = fit_noise(rows, gen, lam)
        for r in rows:
            r["theory_fitted"] = theory(r["n"], r["p2"], gen, lam, sigma1_sq=fitted)
    floors = {}
    if learner == "linear":
        for p2 in p2s:
            floors[p2] = float(floor(theory_config(ns[-1], p2, gen, lam))["test_error"])
    return {"rows": rows, "c2": gen["c2"], "floor": floors, "learner": learner,
            "quality": quality, "lam": lam, "sigma1_sq_fitted": fitted,
            "sigma1_sq_measured": digits()["sigma_eff_sq"]}


def model_size_curve(*, ms=(5, 10, 20, 30, 36, 44, 60, 100, 200, 400), n=40, p2=0.5,
                     seeds=16, learner="random_features", lam=1e-4, qualities=("high", "low"),
                     steps=1500, progress=None) -> dict:
    """Excess test error against the model size m at fixed n (threshold m = n), for a
    clean run (p2 = 0) and each generator quality, with the random projections theory
    (ψ = m/n, φ = d/n, no fit) beside it."""
    out = {"n": n, "p2": p2, "learner": learner, "lam": lam, "curves": {}, "c2": {}}
    labels = [("clean", None)] + [(q, generator(GENERATORS[q])) for q in qualities]
    for label, gen in labels:
        g = gen or generator(GENERATORS["high"])
        share = 0.0 if gen is None else p2
        rows = []
        for m in ms:
            vals = [excess_test_error(learner, n, share, g, s, m=m, lam=lam, steps=steps)
                    for s in range(seeds)]
            mean, se = _mean_se(vals)
            try:
                th = theory(n, share, g, lam, model="random_projection", m=m)
            except Exception:  # a regime without a finite answer (a threshold)
                th = float("inf")
            rows.append({"m": m, "mean": mean, "se": se, "theory": th})
            if progress:
                progress.update(1)
        out["curves"][label] = rows
        if gen is not None:
            out["c2"][label] = gen["c2"]
    return out


def summarize_n_curve(res) -> dict:
    """Per p2: error at the largest n, its ratio to the clean one, the relative fall over
    the last doubling (a plateau has ≈ 0), and the theory's worst relative gap."""
    rows = res["rows"]
    ns = sorted({r["n"] for r in rows})
    out = {}
    clean_last = next(r["mean"] for r in rows if r["p2"] == 0 and r["n"] == ns[-1])
    for p2 in sorted({r["p2"] for r in rows}):
        rr = {r["n"]: r for r in rows if r["p2"] == p2}
        last, prev = rr[ns[-1]]["mean"], rr[ns[-2]]["mean"]
        def gap(key):
            g = [abs(r["mean"] - r[key]) / r[key] for r in rr.values() if r.get(key)]
            return max(g) if g else None

        gauss = [abs(r["gaussian"] - r["theory"]) / r["theory"] for r in rr.values()
                 if r.get("gaussian") is not None]
        out[p2] = {"last": last, "ratio_to_clean": last / clean_last,
                   "fall_last_step": (prev - last) / prev,
                   "theory_gap": gap("theory"), "fitted_theory_gap": gap("theory_fitted"),
                   "gaussian_vs_theory": max(gauss) if gauss else None,
                   "floor": res["floor"].get(p2)}
    return out


def summarize_model_size(res) -> dict:
    """Per generator quality, the collapse gap g(m) = E(mix) − E(clean) against m: its
    change below the threshold (smallest m to the last m ≤ 0.8n: > 0 is amplification),
    its change beyond it (first m ≥ 1.5n to the largest m: < 0 is mitigation), g at the
    largest m (> 0: not removed), and where the raw error peaks.  The widths right at
    the threshold are left out of the two changes: there the error's seed-to-seed spread
    is as large as the error itself."""
    n = res["n"]
    clean = {r["m"]: r["mean"] for r in res["curves"]["clean"]}
    out = {}
    for label, rows in res["curves"].items():
        if label == "clean":
            continue
        gap = {r["m"]: r["mean"] - clean[r["m"]] for r in rows}
        ms = sorted(gap)
        below = [m for m in ms if m <= 0.8 * n]
        above = [m for m in ms if m >= 1.5 * n]
        out[label] = {"c2": res["c2"][label],
                      "gap_below": gap[below[-1]] - gap[below[0]],
                      "gap_above": gap[above[-1]] - gap[above[0]],
                      "gap_at_largest_m": gap[ms[-1]],
                      "gap_max_m": max(ms, key=lambda m: gap[m]),
                      "peak_m": max(rows, key=lambda r: r["mean"])["m"]}
    return out
