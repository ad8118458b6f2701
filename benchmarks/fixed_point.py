"""Damped fixed-point iteration of the first-order equations: the usual research-code
approach, written here independently of the toolkit's solver, as the benchmark's baseline.

Linear model (docs/theory/linear.md §1), with K = a1 e1 Σ1 + a2 e2 Σ2 + λ (a_j = p_j):

    e_j ← 1 / (1 + φ tr(Σ_j K⁻¹)),

random projections (docs/theory/projections.md), with K = L + a1 e1 Σ1 + a2 e2 Σ2:

    e_j ← 1 / (1 + φ tr(Σ_j K⁻¹)),    L ← λ / (ψ/φ − tr((a1e1Σ1 + a2e2Σ2) K⁻¹)),

each step x ← (1 − η) x + η G(x), stopped when the relative change is below ``tol``.
"""
from __future__ import annotations

import time

import numpy as np


def _arrays(cfg):
    w = np.array([a["weight"] for a in cfg["atoms"]], float)
    s1 = np.array([a["s1"] for a in cfg["atoms"]], float)
    s2 = np.array([a["s2"] for a in cfg["atoms"]], float)
    return w / w.sum(), s1, s2


def damped_fixed_point(cfg, *, eta=0.5, tol=1e-12, max_iter=1_000_000):
    """Iterate to convergence or ``max_iter``; returns ``x`` (e1, e2[, L] by name),
    ``iterations``, ``converged``, ``seconds``."""
    w, s1, s2 = _arrays(cfg)
    phi, lam, p2 = float(cfg["phi"]), float(cfg["lam"]), float(cfg["p2"])
    a1, a2 = 1 - p2, p2
    projection = cfg.get("model") == "random_projection"
    psi = float(cfg.get("psi", 0))
    e1 = e2 = 1.0
    L = 1.0
    t = time.perf_counter()
    converged = False
    it = 0
    with np.errstate(all="ignore"):  # a diverging iteration overflows: reported, not warned
        for it in range(1, max_iter + 1):
            M = a1 * e1 * s1 + a2 * e2 * s2
            K = M + (L if projection else lam)
            g1 = 1 / (1 + phi * np.dot(w, s1 / K))
            g2 = 1 / (1 + phi * np.dot(w, s2 / K))
            n1 = (1 - eta) * e1 + eta * g1
            n2 = (1 - eta) * e2 + eta * g2
            change = max(abs(n1 - e1) / abs(n1), abs(n2 - e2) / abs(n2))
            if projection:
                denom = psi / phi - np.dot(w, M / K)
                gL = lam / denom if denom > 0 else L / 2  # keep L > 0 (a common guard)
                nL = (1 - eta) * L + eta * gL
                change = max(change, abs(nL - L) / abs(nL))
                L = nL
            e1, e2 = n1, n2
            if not np.isfinite(change):
                break
            if change < tol:
                converged = True
                break
    x = {"e1": e1, "e2": e2}
    if projection:
        x["L"] = L
    return {"x": x, "iterations": it, "converged": converged,
            "seconds": time.perf_counter() - t}
