"""Self-consuming loops (linear, random projections and random features models): replacing the data makes the error grow without bound,
accumulating it keeps the error bounded — the deterministic equivalents against the actual loop."""
import mpmath as mp
import numpy as np

import symcollapse as sc

from .common import Outcome, pyplot, save

CLAIM = ("Retrained on its own labels, a model collapses when each generation replaces the "
         "data: OLS gains σ²φ/(1−φ) per generation, E(t) = (t+1)σ²φ/(1−φ); accumulating the "
         "data keeps it bounded, E(t) = σ²φ/(1−φ)·Σ_{i≤t+1} 1/i² < (π²/6)σ²φ/(1−φ).  The toolkit's "
         "deterministic equivalents (ridge, any spectrum, fixed or fresh design; random "
         "projections and random features too) match the simulated loop generation by "
         "generation.")
KIND = "numerics + Monte Carlo"
METHOD = ("predict at 30 digits against the OLS anchors; the theory of replace/accumulate, "
          "fixed/fresh design, against the exact conditional expectation of the simulated loop")

THREE = [{"weight": 0.25, "s1": 3, "theta": 2}, {"weight": 0.5, "s1": 1, "theta": 1},
         {"weight": 0.25, "s1": 1 / 3, "theta": 0.5}]
ISO = [{"weight": 1, "s1": 1, "theta": 1}]


def _loop(strategy, design, lam, phi, sigma, T, atoms, psi=None, activation=None):
    cfg = {"strategy": strategy, "design": design, "phi": phi, "lam": lam, "sigma1": sigma,
           "generations": T, "atoms": atoms}
    if psi is not None:
        cfg.update(model="random_projection", psi=psi)
    if activation is not None:
        cfg.update(model="random_features", activation=activation)
    return cfg


def cases(sigma, fast=True):
    """The loops compared with the simulation: (label, config).  The full run covers both
    loops, both designs, λ = 0 and λ > 0, φ on both sides of 1, an isotropic and a 3-atom
    spectrum: 17 linear configs, 12 of random projections (both designs with and without a
    ridge) and 5 of random features (relu, tanh; both designs, both loops); the fast run 9 of
    them."""
    grid = [("replace", "fixed", 0, 0.5, THREE), ("accumulate", "fixed", 0, 0.5, THREE),
            ("replace", "fresh", 0.1, 1.5, ISO), ("accumulate", "fixed", 0.2, 1.5, THREE),
            ("accumulate", "fresh", 0, 0.5, THREE), ("accumulate", "fresh", 0.1, 1.5, THREE)]
    if not fast:
        grid += [("replace", "fixed", 0, 1.5, ISO), ("replace", "fixed", 0.1, 0.5, ISO),
                 ("replace", "fixed", 0.2, 1.5, THREE), ("replace", "fresh", 0, 0.5, ISO),
                 ("replace", "fresh", 0, 1.5, THREE), ("replace", "fresh", 0.2, 0.5, THREE),
                 ("accumulate", "fixed", 0, 1.5, ISO), ("accumulate", "fixed", 0.1, 0.5, ISO),
                 ("accumulate", "fresh", 0.05, 0.5, ISO), ("accumulate", "fresh", 0.5, 1.5, ISO),
                 ("accumulate", "fresh", 0, 2.4, THREE)]
    grid = [row + (None,) for row in grid]
    # random projections (ψ = m/n): fixed design with a ridge, and without one on both designs
    grid += [("replace", "fixed", 0.1, 0.5, THREE, 0.3), ("accumulate", "fresh", 0, 0.5, THREE, 0.3)]
    if not fast:
        grid += [("replace", "fresh", 0.1, 0.5, THREE, 0.3), ("replace", "fresh", 0.1, 1.5, THREE, 2),
                 ("accumulate", "fixed", 0.1, 1.5, THREE, 2), ("replace", "fixed", 1 / 3, 1.5, ISO, 0.5),
                 ("replace", "fresh", 0, 1.5, ISO, 0.5), ("accumulate", "fixed", 0, 1.5, ISO, 2),
                 ("accumulate", "fresh", 0.1, 0.5, THREE, 0.3), ("accumulate", "fresh", 0.2, 1.5, ISO, 2),
                 ("accumulate", "fresh", 0, 2.4, ISO, 1.5), ("replace", "fresh", 0, 2.5, ISO, 1.5)]
    grid = [row + (None,) for row in grid]
    # random features (the network retrained on its own outputs), with a ridge
    grid += [("replace", "fixed", 0.1, 0.5, THREE, 0.3, "relu")]
    if not fast:
        grid += [("replace", "fresh", 0.1, 1.5, ISO, 2, "tanh"),
                 ("accumulate", "fixed", 0.2, 0.5, THREE, 1.5, "relu"),
                 ("accumulate", "fresh", 0.1, 0.5, THREE, 0.3, "relu"),
                 ("accumulate", "fresh", 0.2, 1.5, ISO, 2, "tanh")]
    out = []
    for strategy, design, lam, phi, atoms, psi, activation in grid:
        spectrum = "isotropic" if atoms is ISO else "3 atoms"
        model = ("linear" if psi is None else f"projections ψ = {psi}" if activation is None
                 else f"random features ({activation}) ψ = {psi}")
        label = f"{model}, {strategy}, {design}, λ = {lam:.3g}, φ = {phi}, {spectrum}"
        out.append((label, _loop(strategy, design, lam, phi, sigma, 4, atoms, psi, activation)))
    return out


def evaluate(fast=False, sigma=1.0, phi=0.5, T=6):
    unit = sigma ** 2 * phi / (1 - phi)
    rep = sc.predict(_loop("replace", "fixed", 0, phi, sigma, T, ISO), dps=30)
    acc = sc.predict(_loop("accumulate", "fixed", 0, phi, sigma, T, ISO), dps=30)
    with mp.workdps(30):
        anchors = max(max(abs(rep["test_error"][t] - (t + 1) * mp.mpf(unit)) for t in range(T + 1)),
                      max(abs(acc["test_error"][t] - mp.mpf(unit) * sum(mp.mpf(1) / i ** 2
                                                                      for i in range(1, t + 2)))
                          for t in range(T + 1)))
    grows = unit > 0 and rep["test_error"][T] - rep["test_error"][0] >= T * unit * (1 - 1e-12)
    bounded = acc["limit"] < mp.inf and all(v < acc["limit"] for v in acc["test_error"])
    separate = unit > 0 and rep["test_error"][T] > 2 * acc["test_error"][T]
    n_d, trials, tol, rf_tol = (100, 4, 0.03, 0.04) if fast else (400, 10, 0.015, 0.025)
    rows, fits, worst, runs = [], [], 0.0, []
    for label, cfg in cases(sigma, fast):
        theory = sc.predict(cfg, dps=15)
        smallest = min(cfg["phi"], cfg.get("psi", cfg["phi"]))     # d ≥ n_d, min(d, m) ≥ n_d
        mc = sc.simulate(cfg, n=int(round(n_d / smallest)), trials=trials, seed=7)
        runs.append((label, theory, mc))
        allowed = tol if "activation" not in cfg else rf_tol       # the equivalent's bias
        for t in range(cfg["generations"] + 1):
            a = float(theory["test_error"][t])
            m, se = mc["conditional"]["test_error"]["mean"][t], mc["conditional"]["test_error"]["se"][t]
            gap = abs(m - a) / a if a else abs(m)
            ok_t = abs(m - a) <= 3 * se + allowed * abs(a) + 1e-12
            worst = max(worst, gap)
            fits.append(ok_t)
            rows.append(f"| {label} | {t} | {a:.5f} | {m:.5f} ± {se:.5f} | {100 * gap:.2f} % | "
                        f"{'ok' if ok_t else 'OFF'} |")
    matches = all(fits)
    ok = bool(anchors < mp.mpf(10) ** -25 and grows and bounded and separate and matches)
    lines = [f"OLS, φ = {phi}, σ = {sigma}: replace E({T}) = {mp.nstr(rep['test_error'][T], 10)} "
             f"= {T + 1}·σ²φ/(1−φ); accumulate E({T}) = {mp.nstr(acc['test_error'][T], 10)}, "
             f"limit (π²/6)σ²φ/(1−φ) = {mp.nstr(acc['limit'], 10)} (anchors to "
             f"{mp.nstr(anchors, 2)})",
             f"theory vs the simulated loop (min(d, m) = {n_d}, {trials} trials): every generation within "
             f"3 se + {100 * tol:g} % ({100 * rf_tol:g} % for random features): {matches} "
             f"(largest gap {100 * worst:.2f} %)",
             "| loop | t | theory | Monte Carlo | gap | |", "|---|---|---|---|---|---|"] + rows
    key = (f"replace E({T})/E(0) = {float(rep['test_error'][T] / rep['test_error'][0]):.2f}, "
           f"accumulate {float(acc['test_error'][T] / acc['test_error'][0]):.3f}"
           if unit > 0 else "no noise: nothing to collapse")
    return Outcome(ok, key, lines, {"rep": rep, "acc": acc, "runs": runs, "phi": phi,
                                    "sigma": sigma})


def figure(out, path):
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    rep, acc = out.data["rep"], out.data["acc"]
    t = np.arange(len(rep["test_error"]))
    ax1.plot(t, [float(v) for v in rep["test_error"]], "o-", label="replace (fixed = fresh)")
    ax1.plot(t, [float(v) for v in acc["test_error"]], "s-", label="accumulate (fixed)")
    if mp.isfinite(acc["limit"]):
        ax1.axhline(float(acc["limit"]), color="tab:orange", ls=":", label="accumulate limit π²/6·σ²φ/(1−φ)")
    ax1.set_xlabel("generation t")
    ax1.set_ylabel("E_test(t)")
    ax1.set_title(f"OLS, φ = {out.data['phi']}, σ = {out.data['sigma']}")
    ax1.legend(fontsize=8)
    ax1.grid(alpha=0.3)
    for (label, theory, mc), mark in zip(out.data.get("runs", []), "o^sDv<>phx*+P"):
        tt = np.arange(len(theory["test_error"]))
        line, = ax2.plot(tt, [float(v) for v in theory["test_error"]], "-", label=label)
        ax2.errorbar(tt, mc["mean"], yerr=mc["se"], fmt=mark, color=line.get_color(), ms=4)
    ax2.set_xlabel("generation t")
    ax2.set_title("theory (lines) vs the simulated loop (points)")
    ax2.legend(fontsize=8)
    ax2.grid(alpha=0.3)
    save(fig, path)
