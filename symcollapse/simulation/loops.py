r"""Monte Carlo of the self-consuming loops (docs/setting.md, "Self-consuming loops").

One trial draws w*'s law only through its covariance and runs the actual loop on the
designs: generation 0 fits ridge on (X_0, X_0w* + σε_0); generation t fits on n rows
labelled by ŵ_{t−1} with fresh noise, X_t a fresh draw (design ``"fresh"``) or X_0 again
(``"fixed"``), on batch t alone (``replace``) or on batches 0..t stacked (``accumulate``,
loss (1/N_t)‖Fv − y‖² + λ‖v‖², N_t = (t+1)n).  For the projections model S is drawn once
per trial and kept; for random features the network's features σ(XSᵀ) are fitted and the
test expectation is exact given the trained network (:func:`rf_loop_trial`).

Every fitted ŵ is linear in w* and the noises: ŵ_t = W_tw* + Σ_k E_{t,k}σε_k with
:math:`W_t = \sum_iM_{t,i}X_iW_{i-1}` (W_{−1} = I) and :math:`E_{t,k} = \sum_iM_{t,i}X_i
E_{i-1,k} + M_{t,k}`, M_{t,i} the block of generation t's fitted map (ŵ = My) on batch i.
A trial reports the exact conditional expectation given its designs,

.. math:: \mathrm{Bias}_t = \operatorname{tr}(\Theta(W_t - I)^\top\Sigma(W_t - I)),\qquad
          \mathrm{Var}_t = \sigma^2\sum_k\operatorname{Tr}(E_{t,k}^\top\Sigma E_{t,k}),

with Θ = diag(θ)/d; the mean over trials and its standard error are returned.
"""
from __future__ import annotations

import math
import sys

import numpy as np

from symcollapse import models
from symcollapse.simulation.design import coordinates, fit_map, sizes, stats
from symcollapse.simulation.random_features import activation_function, feature_kernel


def loop_trial(spec, cols, n: int, m, rng) -> np.ndarray:
    """One trial of a loop: an array (T + 1) × 2 of the exact conditional Bias_t, Var_t."""
    d = cols["s1"].size
    s = cols["s1"]
    lam = float(spec.lam)
    T = spec.generations
    S = rng.standard_normal((m, d)) / math.sqrt(d) if m is not None else None
    X0 = rng.standard_normal((n, d)) * np.sqrt(s)
    batches = []
    W_prev, E_prev = [np.eye(d)], [[]]          # W_{i−1}, E_{i−1,k} for i = 0..t
    out = np.zeros((T + 1, 2))
    theta = cols["theta"] / d
    for t in range(T + 1):
        X = X0 if (t == 0 or spec.design == "fixed") else rng.standard_normal((n, d)) * np.sqrt(s)
        batches.append(X)
        used = range(t + 1) if spec.strategy == "accumulate" else (t,)
        stacked = np.vstack([batches[i] for i in used])
        U, g, V = fit_map(stacked, np.ones(stacked.shape[0]), lam, S)
        M = (V * g[None, :]) @ U.T / math.sqrt(stacked.shape[0])   # (m or d) × N_t
        if S is not None:
            M = S.T @ M
        blocks = dict(zip(used, np.split(M, len(used), axis=1)))
        W = sum(blocks[i] @ (batches[i] @ W_prev[i]) for i in used)
        E = [sum((blocks[i] @ (batches[i] @ E_prev[i][k]) for i in used if k < len(E_prev[i])),
                 np.zeros_like(blocks[t])) for k in range(t + 1)]
        for k in used:                          # batch k's own labels carry σε_k
            E[k] = E[k] + blocks[k]
        G = W - np.eye(d)
        out[t, 0] = float(np.sum(theta * np.sum(s[:, None] * G * G, axis=0)))
        out[t, 1] = float(spec.sigma1) ** 2 * sum(float(np.sum(s[:, None] * Ek * Ek)) for Ek in E)
        W_prev.append(W)
        E_prev.append(E)
    return out


def rf_loop_trial(spec, cols, n: int, m: int, rng) -> np.ndarray:
    r"""One trial of a loop of random features: an array (T + 1) × 2 of the exact conditional
    Bias_t, Var_t.  S is drawn once; batch i's features are F_i = σ(X_iSᵀ) and its labels
    X_0w* + σε_0 (i = 0) or F_iv̂_{i−1} + σε_i, the previous network on the new inputs.  With
    v̂_t = W_tw* + Σ_kE_{t,k}σε_k, the test kernel C = E[σ(Sx)σ(Sx)ᵀ] and G = diag(μ1)SΣ
    (:func:`~symcollapse.simulation.random_features.feature_kernel`):
    Bias_t = tr(Θ(W_tᵀCW_t − 2W_tᵀG + Σ)), Var_t = σ²Σ_k Tr(E_{t,k}ᵀCE_{t,k})."""
    d = cols["s1"].size
    s = cols["s1"]
    act = activation_function(spec.activation)
    S = rng.standard_normal((m, d)) / math.sqrt(d)
    X0 = rng.standard_normal((n, d)) * np.sqrt(s)
    C, mu1 = feature_kernel(spec.activation, (S * s[None, :]) @ S.T)
    G = mu1[:, None] * (S * s[None, :])
    theta = cols["theta"] / d
    inputs, feats, W_prev, E_prev = [], [], [None], [[]]
    out = np.zeros((spec.generations + 1, 2))
    for t in range(spec.generations + 1):
        X = X0 if (t == 0 or spec.design == "fixed") else rng.standard_normal((n, d)) * np.sqrt(s)
        inputs.append(X)
        feats.append(act(X @ S.T))
        used = range(t + 1) if spec.strategy == "accumulate" else (t,)
        stacked = np.vstack([feats[i] for i in used])
        U, g, V = fit_map(stacked, np.ones(stacked.shape[0]), float(spec.lam))
        M = (V * g[None, :]) @ U.T / math.sqrt(stacked.shape[0])      # m × N_t
        blocks = dict(zip(used, np.split(M, len(used), axis=1)))
        # the teacher of batch i: w* itself (i = 0), else the network of generation i − 1
        W = sum(blocks[i] @ (inputs[0] if i == 0 else feats[i] @ W_prev[i]) for i in used)
        E = [sum((blocks[i] @ (feats[i] @ E_prev[i][k]) for i in used if i > 0 and k < len(E_prev[i])),
                 np.zeros_like(blocks[t])) for k in range(t + 1)]
        for k in used:
            E[k] = E[k] + blocks[k]
        out[t, 0] = float(np.sum(theta * (np.sum(W * (C @ W), axis=0) - 2 * np.sum(W * G, axis=0) + s)))
        out[t, 1] = float(spec.sigma1) ** 2 * sum(float(np.sum(Ek * (C @ Ek))) for Ek in E)
        W_prev.append(W)
        E_prev.append(E)
    return out


def simulate_loop(spec, n: int, trials: int, seed: int = 0, *, progress: bool | None = None) -> dict:
    """Monte Carlo of a loop (a parsed ``spec`` that :func:`~symcollapse.simulate` has
    checked): ``mean`` and ``se`` lists over generations 0..T of the exact conditional test
    error, ``conditional`` with ``test_error``, ``bias``, ``variance`` (mean, se lists), the
    sizes and ``generations``."""
    sz = sizes(spec, int(n))
    cols = coordinates(spec, sz["d"])
    model = models.get(spec.model)           # a model's own trial (hook ``loop_trial``)
    trial = model.hook("loop_trial") if "loop_trial" in model.hooks else loop_trial
    show = sys.stderr.isatty() if progress is None else progress
    iterator = range(int(trials))
    if show:
        from tqdm import tqdm
        iterator = tqdm(iterator, desc=f"simulate ({spec.strategy})", unit="trial",
                        file=sys.stderr, leave=False)
    runs = []
    for t in iterator:
        rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(t,)))
        runs.append(trial(spec, cols, sz["n"], sz["m"], rng))
    runs = np.array(runs)                                    # trials × (T + 1) × 2
    parts = {"bias": runs[:, :, 0], "variance": runs[:, :, 1],
             "test_error": runs[:, :, 0] + runs[:, :, 1]}
    cond = {}
    for name, col in parts.items():
        ms = [stats(col[:, t]) for t in range(col.shape[1])]
        cond[name] = {"mean": [a for a, _ in ms], "se": [b for _, b in ms]}
    return {"mean": cond["test_error"]["mean"], "se": cond["test_error"]["se"], "d": sz["d"],
            "n": sz["n"], "m": sz["m"], "trials": int(trials), "seed": int(seed),
            "generations": list(range(spec.generations + 1)), "conditional": cond}
