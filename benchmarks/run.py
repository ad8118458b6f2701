"""The benchmarks, measured in one run: ``python benchmarks/run.py [--quick]``.

Prints one table per question (numbers depend on the machine; nothing here is a test):

1. predict time against the number of atoms (1 … 10,000) and the precision (dps 15 … 100);
   the first call in a fresh process and the command line's cold start;
2. the float64 vectorized path: a 10,000-point learning curve (1 atom), 100 points over
   1,000 atoms;
3. Newton (ours) against damped fixed-point iteration in hard regimes: iterations, time
   and the error left, as ratios;
4. theory against Monte Carlo: seconds for the theory against seconds for a simulation
   reaching a 1 % standard error at d = 1,000;
5. a 200 × 200 phase diagram (float64): locally, and on a 2-worker Dask LocalCluster
   (identical numbers?).

``--quick`` shrinks the largest sizes (10,000 atoms, the phase diagram) for a smoke run.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import symcollapse as sc  # noqa: E402
from fixed_point import damped_fixed_point  # noqa: E402

ENV = dict(os.environ, PYTHONPATH=ROOT)
ISO = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 2}]
BASE = {"phi": 1.5, "p2": 0.4, "lam": 0.05, "sigma1": 0.5, "sigma2": 0.5}


def timed(f, *args, repeat=1, **kw):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        out = f(*args, **kw)
        best = min(best, time.perf_counter() - t)
    return best, out


def table(title, header, rows):
    print(f"\n## {title}\n")
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(header)]
    print("| " + " | ".join(str(h).ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
    sys.stdout.flush()


def ms(sec):
    return f"{1000 * sec:.1f} ms" if sec < 1 else f"{sec:.2f} s"


# ----------------------------------------------------------------------------- 1. predict

def bench_predict(quick):
    sizes = [1, 10, 100, 1000] + ([] if quick else [10_000])
    rows = []
    for n in sizes:
        atoms = ISO if n == 1 else sc.spectra.power_law(n, beta=1.0, beta2=0.5, gamma=0.5, c2=0.5)
        cfg = dict(BASE, atoms=atoms)
        sc.predict(cfg, dps=15)  # build + lambdify once per system (cached after)
        row = [n]
        for dps in (15, 30, 60, 100):
            sec, _ = timed(sc.predict, cfg, dps=dps, repeat=3 if n <= 100 else 1)
            row.append(ms(sec))
        rows.append(row)
    table("predict: seconds against atoms and precision (warm, in process)",
          ["atoms", "dps 15", "dps 30", "dps 60", "dps 100"], rows)

    code = ("import time, symcollapse as sc; t = time.perf_counter(); "
            f"sc.predict({dict(BASE, atoms=ISO)!r}, dps=30); print(time.perf_counter() - t)")
    first = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 env=ENV, cwd=ROOT, check=True).stdout)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(dict(BASE, atoms=ISO), f)
    cold = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "symcollapse", "predict", f.name, "--dps", "30"],
                       check=True, capture_output=True, env=ENV, cwd=ROOT)
        cold.append(time.perf_counter() - t)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import symcollapse"], check=True, env=ENV, cwd=ROOT)
    imp = time.perf_counter() - t
    os.unlink(f.name)
    table("cold starts (fresh processes)", ["what", "seconds"], [
        ["python -c 'import symcollapse'", f"{imp:.3f}"],
        ["first predict in a process (1 atom, dps 30: SymPy build + lambdify + solve)",
         f"{first:.3f}"],
        ["symcollapse predict cfg.json --dps 30 (wall, best of 3)", f"{min(cold):.3f}"]])


# ----------------------------------------------------------------------------- 2. float64

def bench_float(quick):
    cfg = dict(BASE, atoms=ISO, lam=0.01)
    phi = np.linspace(0.05, 3, 10_000)
    sc.curve(cfg, phi=phi[:50])
    t1, out1 = timed(sc.curve, cfg, phi=phi, repeat=3)
    atoms = sc.spectra.power_law(1000, beta=1.0, beta2=0.5, gamma=0.5, c2=0.5)
    cfg2 = dict(BASE, atoms=atoms)
    phi2 = np.linspace(0.1, 3, 100)
    sc.curve(cfg2, phi=phi2[:3])
    t2, out2 = timed(sc.curve, cfg2, phi=phi2, repeat=3)
    t3, _ = timed(lambda: [sc.predict(dict(cfg, phi=float(v)), dps=15) for v in phi[:200]])
    per_point = t3 / 200
    table("float64 vectorized path (warm, best of 3)", ["curve", "seconds", "per point",
                                                        "vs predict(dps 15) per point"], [
        ["10,000 points, 1 atom", f"{t1:.3f}", f"{1e6 * t1 / 1e4:.1f} µs",
         f"{per_point / (t1 / 1e4):.0f}x faster"],
        ["100 points, 1,000 atoms", f"{t2:.3f}", f"{1e3 * t2 / 100:.2f} ms", ""]])
    assert np.all(np.isfinite(out1["test_error"])) and np.all(np.isfinite(out2["test_error"]))


# ----------------------------------------------------------------------------- 3. Newton

def _count_newton(cfg):
    """Newton iterations (Jacobian evaluations, float64 continuation + mpmath polish) and
    seconds of predict at dps 15 for one point."""
    from symcollapse.core import compiled
    counts = {"n": 0}
    orig_np, orig_mp = compiled.Compiled.residual_jacobian_np, compiled.Compiled.residual_jacobian_mp

    def wrap_np(self, x, p, atoms):
        counts["n"] += 1
        return orig_np(self, x, p, atoms)

    def wrap_mp(self, x, p, atoms):
        counts["n"] += 1
        return orig_mp(self, x, p, atoms)

    sc.predict(cfg, dps=15)
    compiled.Compiled.residual_jacobian_np, compiled.Compiled.residual_jacobian_mp = wrap_np, wrap_mp
    try:
        sec, out = timed(sc.predict, cfg, dps=15)
    finally:
        compiled.Compiled.residual_jacobian_np = orig_np
        compiled.Compiled.residual_jacobian_mp = orig_mp
    return counts["n"], sec, out


def _first_order(unknowns, lam):
    """e1, e2 (and L) from predict's unknowns (rescaled ones: e_j = λ ε_j, L = λ ℓ)."""
    u = {k: float(v) for k, v in unknowns.items()}
    out = {}
    for j in ("1", "2"):
        out["e" + j] = u["e" + j] if "e" + j in u else lam * u["epsilon" + j]
    if "L" in u or "ell" in u:
        out["L"] = u["L"] if "L" in u else lam * u["ell"]
    return out


def bench_newton(quick):
    a3 = [{"weight": 0.3, "s1": 2, "s2": 1, "theta": 1, "delta": 0.5},
          {"weight": 0.5, "s1": 1, "s2": 0.5, "theta": 0.5, "delta": 2},
          {"weight": 0.2, "s1": 0.1, "s2": 3, "theta": 2, "delta": 1}]
    cases = [
        ("linear, λ = 1e-8, φ = 0.999, iso", {"phi": 0.999, "p2": 0.3, "lam": 1e-8, "atoms": ISO}),
        ("linear, λ = 1e-8, φ = 0.999, 3 atoms", {"phi": 0.999, "p2": 0.3, "lam": 1e-8, "atoms": a3}),
        ("projections, ψ = 1.001, φ = 2, λ = 1e-8",
         {"model": "random_projection", "psi": 1.001, "phi": 2, "p2": 0.3, "lam": 1e-8,
          "atoms": ISO}),
        ("projections, ψ = 1.001, φ = 2, λ = 1e-6, 3 atoms",
         {"model": "random_projection", "psi": 1.001, "phi": 2, "p2": 0.3, "lam": 1e-6,
          "atoms": a3}),
    ]
    budget = 200_000 if quick else 1_000_000
    rows = []
    for name, cfg in cases:
        its, sec, out = _count_newton(cfg)
        exact = _first_order(out["unknowns"], cfg["lam"])
        fp = damped_fixed_point(cfg, max_iter=budget)
        err = max(abs(fp["x"][k] - exact[k]) / abs(exact[k]) for k in fp["x"])
        verdict = (f"converged in {fp['iterations']:,}" if fp["converged"]
                   else f"stalled at {fp['iterations']:,}")
        rows.append([name, its, ms(sec), verdict, f"{fp['seconds']:.2f} s", f"{err:.1e}",
                     f"{fp['iterations'] / its:,.0f}x", f"{fp['seconds'] / sec:,.0f}x"])
    table("Newton (symbolic Jacobian, λ-continuation) against damped fixed-point iteration "
          "(η = 0.5, tol 1e-12)",
          ["regime", "Newton its", "Newton time", "fixed point", "fp time", "fp rel. error left",
           "iterations ratio", "time ratio"], rows)


# ----------------------------------------------------------------------------- 4. MC

def bench_monte_carlo(quick):
    rows = []
    cases = [("linear, iso, φ = 0.5, λ = 0.1", {"phi": 0.5, "p2": 0.3, "lam": 0.1,
                                                 "sigma1": 0.5, "sigma2": 0.5, "atoms": ISO}),
             ("projections, ψ = 0.8, φ = 0.5, λ = 0.1",
              {"model": "random_projection", "psi": 0.8, "phi": 0.5, "p2": 0.3, "lam": 0.1,
               "sigma1": 0.5, "sigma2": 0.5, "atoms": ISO})]
    for name, cfg in cases:
        d = 1000
        n = int(d / cfg["phi"])
        sc.predict(cfg, dps=15)
        t_theory, th = timed(sc.predict, cfg, dps=15, repeat=5)
        key = "psi" if "psi" in cfg else "phi"
        sc.curve(cfg, **{key: [cfg[key]]})
        t_float, _ = timed(sc.curve, cfg, **{key: [cfg[key]]}, repeat=5)
        trials = 4 if quick else 10
        t_mc, mc = timed(sc.simulate, cfg, n=n, trials=trials, seed=1)
        per_trial = t_mc / trials
        sd = mc["se"] * np.sqrt(trials)  # one trial's standard deviation
        need = max(2, int(np.ceil((sd / (0.01 * mc["mean"])) ** 2)))
        t_needed = per_trial * need
        rows.append([name, f"{1e3 * t_theory:.1f} ms", f"{1e3 * t_float:.2f} ms",
                     f"{per_trial:.2f} s", need, f"{t_needed:.1f} s",
                     f"{t_needed / t_theory:,.0f}x", f"{t_needed / t_float:,.0f}x",
                     f"{float(th['test_error']):.4f} vs {mc['mean']:.4f} ± {mc['se']:.4f}"])
    table("theory against a simulation reaching 1 % standard error at d = 1,000 (trials "
          "needed estimated from the per-trial spread)",
          ["config", "predict dps 15", "curve float64", "MC per trial", "trials for 1 % se",
           "MC total", "ratio (predict)", "ratio (float64)", "E_test theory vs MC"], rows)


# ----------------------------------------------------------------------------- 5. sweep

def bench_sweep(quick):
    size = 60 if quick else 200
    cfg = {"model": "random_projection", "phi": 2, "psi": 1, "p2": 0.1, "lam": 1e-3,
           "sigma1": 0.5, "sigma2": 0.5, "atoms": ISO}
    grid = {"psi": {"geomspace": [0.05, 20, size]}, "p2": {"linspace": [0, 1, size]}}
    t_local, local = timed(sc.sweep, cfg, grid, processes=1, progress=False)
    t_procs, procs = timed(sc.sweep, cfg, grid, processes=2, progress=False)
    from distributed import Client, LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        t_dask, remote = timed(sc.sweep, cfg, grid, scheduler=client, progress=False)
    same_p = local.equals(procs)
    same_d = local.equals(remote)
    n = size * size
    table(f"a {size} × {size} phase diagram (ψ × p2, random projections, float64)",
          ["where", "seconds", "points/s", "identical to in-process"], [
              ["in process", f"{t_local:.2f}", f"{n / t_local:,.0f}", "-"],
              ["2 local processes", f"{t_procs:.2f}", f"{n / t_procs:,.0f}", str(same_p)],
              ["Dask LocalCluster, 2 workers (after startup)", f"{t_dask:.2f}",
               f"{n / t_dask:,.0f}", str(same_d)]])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    ap.add_argument("--only", choices=["predict", "float", "newton", "mc", "sweep"],
                    help="one section only")
    args = ap.parse_args(argv)
    print(f"# symcollapse benchmarks ({'quick' if args.quick else 'full'}), "
          f"{os.cpu_count()} cores, Python {sys.version.split()[0]}")
    sections = {"predict": bench_predict, "float": bench_float, "newton": bench_newton,
                "mc": bench_monte_carlo, "sweep": bench_sweep}
    for name, f in sections.items():
        if args.only in (None, name):
            f(args.quick)


if __name__ == "__main__":
    main()
