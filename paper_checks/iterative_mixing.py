"""Iterative mixing with fresh real data each generation, against real-only training and
plain mixing (linear model)."""
import mpmath as mp
import numpy as np

import symcollapse as sc
from symcollapse.studies import mixing

from .common import Outcome, iso, pyplot, save

CLAIM = ("Iterative mixing forgets the synthetic labeler: E(∞) does not depend on c², beats "
         "plain mixing at small φ (no c² floor), and diverges near the interpolation threshold "
         "(φ ≥ (1 + p2)/(1 + 2p2), ridgeless).  (The paper's summary says it cannot prevent "
         "collapse; with fresh real data each generation the derived recursion says this more "
         "nuanced thing.)")
KIND = "numerics"
METHOD = "the derived recursion at 30 digits, its fixed point and spectral radius"


def evaluate(fast=False, phi=0.1, p2=0.5, sigma=0.5):
    cfg = {"strategy": "iterative", "generations": 30, "phi": phi, "p2": p2, "lam": 0,
           "sigma1": sigma, "sigma2": sigma, "atoms": iso(1.0)}
    r1 = sc.predict(cfg, dps=30)
    r4 = sc.predict(dict(cfg, atoms=iso(4.0)), dps=30)
    plain = sc.predict({k: v for k, v in cfg.items() if k not in ("strategy", "generations")}, dps=30)
    alone = sc.predict(mixing.real_only({k: v for k, v in cfg.items() if k not in ("strategy", "generations")}), dps=30)
    forgets = abs(r1["limit"] - r4["limit"]) < mp.mpf(10) ** -25
    beats = r1["limit"] < plain["test_error"]
    edge = (1 + p2) / (1 + 2 * p2)
    div = sc.predict(dict(cfg, phi=min(0.99, edge * 1.05)), dps=20)["limit"] == mp.inf
    ok = bool(forgets and beats and div and r1["limit"] < mp.inf)
    lines = [f"φ = {phi}, p2 = {p2}: E(∞) = {mp.nstr(r1['limit'], 10)} at c² = 1 and {mp.nstr(r4['limit'], 10)} at c² = 4",
             f"plain mixing {mp.nstr(plain['test_error'], 6)}, real data only {mp.nstr(alone['test_error'], 6)}",
             f"divergence past φ = (1 + p2)/(1 + 2p2) = {edge:.4f}: {div}"]
    return Outcome(ok, f"E(∞) = {mp.nstr(r1['limit'], 6)} vs plain {mp.nstr(plain['test_error'], 6)}",
                   lines, {"r": r1, "plain": float(plain["test_error"]), "alone": float(alone["test_error"])})


def figure(out, path):
    plt = pyplot()
    r = out.data["r"]
    fig, ax = plt.subplots(figsize=(6.5, 4))
    t = np.arange(1, len(r["test_error"]) + 1)
    ax.semilogy(t, [float(v) for v in r["test_error"]], "o-", ms=3, label="iterative E(t)")
    ax.semilogy(t, [float(v) for v in r["zeta"]], "s-", ms=3, label="its δ-driven part")
    ax.axhline(out.data["plain"], color="tab:red", ls="--", label="plain mixing")
    ax.axhline(out.data["alone"], color="k", ls=":", label="real data only")
    ax.set_xlabel("generation t")
    ax.set_title("iterative mixing forgets the synthetic labeler")
    ax.legend()
    ax.grid(alpha=0.3)
    save(fig, path)
