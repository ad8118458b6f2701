"""Theory = Monte Carlo of the finite model, both models (a table)."""
import math

import symcollapse as sc

from .common import A3, Outcome, iso, pyplot, save

CLAIM = "The deterministic equivalents match Monte Carlo of the finite models (linear, random projections, weighted, iterative)."
KIND = "Monte Carlo"
METHOD = "Monte Carlo (exact conditional expectation given X, S): 3 s.e. + a finite-size allowance"

CASES = {
    "linear iso ridgeless φ=.3": {"phi": 0.3, "p2": 0.5, "lam": 0, "sigma1": 0.5, "sigma2": 1.0, "atoms": iso(2)},
    "linear A3 φ=1.5 λ=1e-3": {"phi": 1.5, "p2": 0.5, "lam": 1e-3, "sigma1": 0.5, "sigma2": 0.2, "atoms": A3},
    "projections iso ψ=.9 φ=2": {"model": "random_projection", "psi": 0.9, "phi": 2, "p2": 0.1, "lam": 1e-2,
                                 "sigma1": 0.5, "sigma2": 0.8, "atoms": iso(1)},
    "projections A3 ψ=5 φ=.5": {"model": "random_projection", "psi": 5, "phi": 0.5, "p2": 0.1, "lam": 1e-2,
                                "sigma1": 0.5, "sigma2": 0.8, "atoms": A3},
    "weighted A3 α=.9": {"strategy": "weighted", "alpha": 0.9, "phi": 0.7, "p2": 0.3, "lam": 0.1,
                         "sigma1": 0.5, "sigma2": 0.8, "atoms": A3},
    "iterative iso t=3": {"strategy": "iterative", "generations": 3, "phi": 0.5, "p2": 0.5, "lam": 0.1,
                          "sigma1": 0.5, "sigma2": 0.5, "atoms": iso(1)},
}


#: More configs for the full run (d, m ≥ 400): ridgeless projections on each side, a
#: weighted projections model, an anisotropic iterative run.
FULL_EXTRA = {
    "linear A3 φ=.7 ridgeless": {"phi": 0.7, "p2": 0.5, "lam": 0, "sigma1": 0.5, "sigma2": 1.0, "atoms": A3},
    "linear iso φ=3 λ=1": {"phi": 3, "p2": 0.01, "lam": 1, "sigma1": 0.5, "sigma2": 0.5, "atoms": iso(2)},
    "projections iso ψ=.5 φ=2 ridgeless": {"model": "random_projection", "psi": 0.5, "phi": 2, "p2": 0.3,
                                           "lam": 0, "sigma1": 0.5, "sigma2": 0.8, "atoms": iso(1)},
    "projections A3 ψ=3 φ=2 ridgeless": {"model": "random_projection", "psi": 3, "phi": 2, "p2": 0.3,
                                         "lam": 0, "sigma1": 0.5, "sigma2": 0.8, "atoms": A3},
    "weighted projections α=.5": {"strategy": "weighted", "alpha": 0.5, "model": "random_projection",
                                  "psi": 1.5, "phi": 2, "p2": 0.5, "lam": 0.05, "sigma1": 0.5,
                                  "sigma2": 0.8, "atoms": A3},
    "iterative A3 t=4": {"strategy": "iterative", "generations": 4, "phi": 1.5, "p2": 0.6, "lam": 0.2,
                         "sigma1": 0.3, "sigma2": 0.6, "atoms": A3},
}


def evaluate(fast=False, predict=None, cases=None):
    predict = predict or sc.predict
    cases = cases or (CASES if fast else {**CASES, **FULL_EXTRA})
    rows, ok = [], True
    floor = 150 if fast else 400
    allowance = 0.03 if fast else 0.015
    for name, cfg in cases.items():
        ratios = [cfg["phi"]] + ([cfg["psi"]] if "psi" in cfg else [])
        n = 100 * math.ceil(max(400 if not fast else 200, floor / min(ratios)) / 100)
        if cfg.get("strategy") == "iterative":
            n = min(n, 600 if not fast else 300)
        trials = 6 if fast else 12
        th = predict(cfg, dps=20)
        mc = sc.simulate(cfg, n=n, trials=trials, seed=17)
        t = th["test_error"][-1] if isinstance(th["test_error"], list) else th["test_error"]
        c = mc["conditional"]["test_error"]
        m, s = (c["mean"][-1], c["se"][-1]) if isinstance(c["mean"], list) else (c["mean"], c["se"])
        good = abs(m - float(t)) <= 3 * s + allowance * float(t)
        ok &= good
        rows.append((name, mc["d"], mc["m"], float(t), m, s, good))
    worst = max(abs(r[4] - r[3]) / r[3] for r in rows)
    lines = ["| config | d | m | theory | Monte Carlo ± s.e. | within |", "|---|---|---|---|---|---|"]
    lines += [f"| {r[0]} | {r[1]} | {r[2] or '–'} | {r[3]:.5f} | {r[4]:.5f} ± {r[5]:.5f} | {'yes' if r[6] else 'NO'} |"
              for r in rows]
    return Outcome(ok, f"largest gap {worst:.2%}", lines, {"rows": rows})


def figure(out, path):
    plt = pyplot()
    rows = out.data["rows"]
    fig, ax = plt.subplots(figsize=(6.5, 4))
    y = range(len(rows))
    ax.errorbar([r[4] / r[3] - 1 for r in rows], list(y), xerr=[3 * r[5] / r[3] for r in rows], fmt="o", capsize=3)
    ax.axvline(0, color="k", lw=1)
    ax.set_yticks(list(y))
    ax.set_yticklabels([r[0] for r in rows], fontsize=8)
    ax.set_xlabel("Monte Carlo / theory − 1  (bars: 3 s.e.)")
    ax.set_title("theory against Monte Carlo")
    ax.grid(alpha=0.3)
    save(fig, path)
