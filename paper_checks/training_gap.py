"""Training error on a mixture: GCV on the mixed training set estimates the mixture's risk,
not the real test risk, while the real rows' own training error stays tied to the real test
error; with clean data the GCV relation is exact."""
import mpmath as mp

import symcollapse as sc
from symcollapse.studies import generalization as G

from .common import A3, Outcome, iso, pyplot, save

CLAIM = ("With synthetic data GCV on the mixed training set estimates the mixture's risk, "
         "not E_test + σ1² (exact again at p2 = 0); the training errors match Monte Carlo.")
KIND = "numerics"
METHOD = ("high-precision numerics (GCV identity at 40 digits, GCV's bias along p2) and Monte "
          "Carlo of the training errors")


def evaluate(fast=False, predict=None, p2=0.3, c2=1.0, simulate=None):
    predict = predict or sc.predict
    simulate = simulate or sc.simulate
    base = {"phi": 0.5, "lam": 0.1, "sigma1": 0.5, "sigma2": 0.5, "atoms": iso(c2)}
    clean = predict(dict(base, p2=0, atoms=A3), dps=40)
    with mp.workdps(40):
        identity = abs(clean["gcv"] - clean["test_error"] - mp.mpf(1) / 4) / clean["gcv"]
    grid = [i / 10 for i in range(0, 10)]
    rows = [predict(dict(base, p2=q), dps=20) for q in grid]
    real = [float(r["test_error"]) + 0.25 for r in rows]
    gcv = [float(r["gcv"]) for r in rows]
    mixture = [float(G.gcv_report(dict(base, p2=q), dps=20)["mixture_risk"]) for q in grid]
    cfg = dict(base, p2=p2)
    th = predict(cfg, dps=20)
    bias = float(th["gcv"]) - (float(th["test_error"]) + 0.25)
    n, trials = (200, 4) if fast else (800, 12)
    mc = simulate(cfg, n, trials, seed=7)
    worst = 0.0
    mc_ok = True
    for k in ("train_error", "train_error_real", "train_error_synthetic"):
        m, v = mc["conditional"][k], float(th[k])
        mc_ok &= abs(m["mean"] - v) <= 3 * m["se"] + (0.02 if fast else 0.01) * v
        worst = max(worst, abs(m["mean"] / v - 1))
    tracks_mixture = max(abs(a - b) for a, b in zip(gcv, mixture)) < 1e-12
    ok = (identity < mp.mpf(10) ** -30 and abs(bias) > 0.01 and tracks_mixture and mc_ok)
    lines = [f"p2 = 0: |GCV − (E_test + σ1²)|/GCV = {mp.nstr(identity, 3)} (40 digits)",
             f"p2 = {p2}: GCV − (E_test + σ1²) = {bias:+.5f} (GCV = {float(th['gcv']):.5f})",
             f"GCV = mixture risk p1(G1+σ1²) + p2(G2+σ2²) along p2 ∈ [0, 0.9]: {tracks_mixture}",
             f"training errors vs Monte Carlo (d = {mc['d']}, {trials} designs): worst "
             f"{100 * worst:.2f} %"]
    return Outcome(ok, f"GCV bias {bias:+.4f} at p2 = {p2}", lines,
                   {"p2": grid, "real": real, "gcv": gcv, "mixture": mixture,
                    "train": [float(r["train_error"]) for r in rows],
                    "test": [float(r["test_error"]) for r in rows]})


def figure(out, path):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    d = out.data
    ax.plot(d["p2"], d["real"], "o-", label="E_test + σ1² (real risk)")
    ax.plot(d["p2"], d["gcv"], "s-", label="GCV on the mixed training set")
    ax.plot(d["p2"], d["mixture"], "k:", label="mixture risk p1(G1+σ1²)+p2(G2+σ2²)")
    ax.plot(d["p2"], d["train"], "^-", label="E_train")
    ax.set_xlabel("synthetic fraction p2")
    ax.set_title("GCV follows the mixture, not the real risk (φ = 0.5, λ = 0.1)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    save(fig, path)
