"""ζ is the culprit: as n → ∞ Bias + Var → 0 while ζ tends to the floor; ζ = 0 exactly
when p2 = 0 or Δ = 0."""
import mpmath as mp
import numpy as np

import symcollapse as sc

from .common import A3, Outcome, iso, pyplot, save

CLAIM = ("ζ is the culprit: Bias + Var → 0 while ζ tends to the floor; ζ = 0 iff p2 = 0 "
         "or Δ = 0.")
KIND = "numerics"
METHOD = "high-precision numerics (predict at 30 digits along n, and at ζ's zero set)"


def evaluate(fast=False, predict=None, p2=0.1, c2=1.0):
    predict = predict or sc.predict
    cfg = {"phi": 0.5, "p2": p2, "lam": 0, "sigma1": 0.5, "sigma2": 0.5, "atoms": iso(c2)}
    phis = [10.0 ** -k for k in range(1, 7 if fast else 9)]
    rows = [predict(dict(cfg, phi=phi), dps=30) for phi in phis]
    classical = [r["bias"] + r["variance"] for r in rows]
    zeta = [r["zeta"] for r in rows]
    floor = mp.mpf(p2) ** 2 * c2
    shrinking = all(b < a for a, b in zip(classical, classical[1:])) and classical[-1] < 1e-5
    to_floor = abs(zeta[-1] - floor) < 1e-5 and floor > 0 and all(z >= 0 for z in zeta)
    zero_set = []
    for label, c in (("p2 = 0", dict(cfg, p2=0)),
                     ("Δ = 0 (anisotropic)", {"phi": 0.7, "p2": 0.4, "lam": 0.01, "atoms":
                                             [dict(a, delta=0) for a in A3]}),
                     ("Δ ≠ 0 off supp Σ2", {"phi": 0.5, "p2": 0.3, "lam": 0.1, "atoms": [
                         {"weight": 0.5, "s1": 1, "s2": 0, "theta": 1, "delta": 2},
                         {"weight": 0.5, "s1": 1, "s2": 1, "theta": 1, "delta": 0}]})):
        zero_set.append((label, predict(c, dps=30)["zeta"] == 0))
    nonzero = predict(dict(cfg, phi=0.5), dps=30)["zeta"] > 0
    ok = shrinking and to_floor and all(z for _, z in zero_set) and nonzero
    lines = [f"φ = {phis[-1]:.0e}: Bias + Var = {mp.nstr(classical[-1], 3)}, ζ = {mp.nstr(zeta[-1], 8)} "
             f"(floor p2²c² = {mp.nstr(floor, 8)})"] + [f"ζ = 0 exactly for {lab}: {z}" for lab, z in zero_set]
    return Outcome(ok, f"ζ(φ = {phis[-1]:.0e}) = {mp.nstr(zeta[-1], 6)}", lines,
                   {"phis": phis, "classical": [float(x) for x in classical], "zeta": [float(x) for x in zeta],
                    "floor": float(floor)})


def figure(out, path):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    n = [1 / p for p in out.data["phis"]]
    ax.loglog(n, out.data["classical"], "o-", label="Bias + Var")
    ax.loglog(n, out.data["zeta"], "s-", label="ζ")
    ax.axhline(out.data["floor"], color="k", ls=":", lw=1, label="floor p2²c²")
    ax.set_xlabel("n / d = 1/φ")
    ax.set_title("the classical terms vanish, ζ does not")
    ax.legend()
    ax.grid(alpha=0.3)
    save(fig, path)
