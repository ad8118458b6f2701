"""Adaptive mixing: theory against Monte Carlo of the finite model (acceptance sizes).

    OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/adaptive_mc.py [--quick]

Part 1, weighted mixing with α = α(n) (d, m fixed, φ = d/n): the α*(n) path and power
schedules α_n = 1 − κn^-b, linear and random projections, min(d, m) >= 400, several n.
Part 2, iterative mixing with per-generation schedules α(t) / p2(t) (the optimal ones of
``adaptive.optimal_schedule`` and hand-picked ones), linear model, d >= 400.
Tolerance: 3 se + 1 % (linear), 3 se + 1.5 % (projections), on the exact conditional
expectation given the designs.  Also prints the exponent / n_eff table of the derived answer.
"""
import sys
import time

import symcollapse as sc
from symcollapse.studies import adaptive as A
from symcollapse.studies import mixing

ISO = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]
A2 = [{"weight": .5, "s1": 2, "s2": .5, "theta": 1, "delta": 2},
      {"weight": .5, "s1": .5, "s2": 1.5, "theta": .5, "delta": .5}]


def weighted_rows(quick):
    lin = dict(strategy="weighted", alpha=0.5, p2=0.2, lam=0, sigma1=0.5, sigma2=0.5)
    rows = [
        ("W1 linear iso, alpha*(n)", dict(lin, atoms=ISO, phi=0.1), 400, None, "optimal", [1000, 4000, 10000]),
        ("W2 linear A2, 1-n^-1/2", dict(lin, atoms=A2, p2=0.3, sigma2=0.8, phi=0.1), 400, None,
         A.power_schedule(1, 0.5), [1000, 4000, 10000]),
        ("W3 rp iso, alpha*(n)", dict(lin, atoms=ISO, model="random_projection", psi=0.1, phi=0.2),
         800, 400, "optimal", [2000, 8000]),
        ("W4 rp A2, 1-20/n", dict(lin, atoms=A2, model="random_projection", psi=0.1, phi=0.2, p2=0.3),
         800, 400, A.power_schedule(20, 1), [2000, 8000]),
    ]
    trials = 6 if quick else 16
    print("## Weighted mixing, alpha = alpha(n): theory vs Monte Carlo (conditional E given X, S)")
    print("| config | d | m | n | alpha(n) | trials | theory | MC mean +- se | dev % | tol % | ok |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    ok_all = True
    for name, cfg, d, m, sch, ns in rows:
        for n in (ns[:1] if quick else ns):
            c = A.proportional_config(cfg, d, n, m)
            a = (float(mixing.optimal_alpha(c, dps=15)["alpha_star"]) if sch == "optimal" else sch(n))
            c = dict(c, alpha=a)
            th = float(sc.predict(c, dps=15)["test_error"])
            mc = sc.simulate(c, n=n, trials=trials, seed=3)
            mean, se = mc["conditional"]["test_error"]["mean"], mc["conditional"]["test_error"]["se"]
            rel = 0.015 if m else 0.01
            ok = abs(mean - th) <= 3 * se + rel * th
            ok_all &= ok
            print(f"| {name} | {mc['d']} | {mc['m'] or '-'} | {n} | {a:.6f} | {trials} | {th:.6f} | "
                  f"{mean:.6f} +- {se:.6f} | {100 * (mean - th) / th:+.2f} | "
                  f"{100 * (3 * se + rel * th) / th:.2f} | {ok} |")
    return ok_all


def iterative_rows(quick):
    T = 4
    base = {"I1": dict(phi=0.5, p2=0.5, lam=0.1, sigma1=0.5, sigma2=0.5, atoms=ISO),
            "I2": dict(phi=0.8, p2=0.4, lam=0.05, sigma1=0.5, sigma2=1.0, atoms=A2),
            "I5": dict(phi=0.3, p2=0.5, lam=0, sigma1=0.5, sigma2=0.5, atoms=ISO)}
    t0 = time.time()
    opt1 = A.optimal_schedule(base["I1"], T, "alpha", "final", sweeps=3, tol=1e-5)
    opt2 = A.optimal_schedule(base["I2"], T, "alpha", "sum", sweeps=3, tol=1e-5)
    opt3 = A.optimal_schedule(base["I1"], T, "p2", "sum", sweeps=3, tol=1e-5)
    opt4 = A.optimal_schedule(base["I2"], T, "p2", "sum", sweeps=3, tol=1e-5)
    print(f"\n(optimal schedules found in {time.time() - t0:.0f} s)")
    cases = [
        ("I1 iso, optimal alpha(t) for E(T)", base["I1"], {"alpha": opt1["schedule"]}, opt1),
        ("I2 A2, optimal alpha(t) for sum E", base["I2"], {"alpha": opt2["schedule"]}, opt2),
        ("I3 iso, optimal p2(t) for sum E (mean p2 = .5)", base["I1"], {"p2": opt3["schedule"]}, opt3),
        ("I4 A2, optimal p2(t) for sum E (mean p2 = .4)", base["I2"], {"p2": opt4["schedule"]}, opt4),
        ("I5 iso ridgeless, alpha = .6, .8, .9, 1", base["I5"], {"alpha": [0.6, 0.8, 0.9, 1.0]}, None),
    ]
    print("\n## Iterative mixing with schedules: the optimum against the best constant (deterministic recursion)")
    print("| case | schedule | objective (optimal) | best constant | constant value | gain % |")
    print("|---|---|---|---|---|---|")
    for name, _cfg, sch, opt in cases:
        if opt is None:
            continue
        key = list(sch)[0]
        print(f"| {name} | {key} = {[round(float(x), 4) for x in opt['schedule']]} | {float(opt['value']):.6f} | "
              f"{key} = {round(float(opt['constant']['schedule'][0]), 4)} | {float(opt['constant']['value']):.6f} | "
              f"{100 * float(opt['gain']):.2f} |")
    trials = 6 if quick else 24
    print("\n## Iterative schedules: theory vs Monte Carlo per generation (conditional E given the designs)")
    print("| case | d | n | t | theory | MC mean +- se | dev % | tol % | ok |")
    print("|---|---|---|---|---|---|---|---|---|")
    ok_all = True
    for name, cfg, sch, _opt in cases:
        th = mixing.iterate(cfg, dps=15, schedule=sch)["test_error"]
        n = int(round(400 / cfg["phi"]))
        mc = A.simulate_schedule(cfg, n=n, trials=trials, seed=7, schedule=sch)
        cond = mc["conditional"]["test_error"]
        for t in range(len(th)):
            ref = float(th[t])
            mean, se = cond["mean"][t], cond["se"][t]
            ok = abs(mean - ref) <= 3 * se + 0.01 * ref
            ok_all &= ok
            print(f"| {name} | {mc['d']} | {n} | {t + 1} | {ref:.6f} | {mean:.6f} +- {se:.6f} | "
                  f"{100 * (mean - ref) / ref:+.2f} | {100 * (3 * se + 0.01 * ref) / ref:.2f} | {ok} |")
    return ok_all


def exponent_table():
    res = A.answer()
    print("## alpha(n) schedules, isotropic ridgeless, d = 50, p2 = .2, sigma = .5, c2 = 1, n = 1e3..1e8 "
          "(11 points)")
    print("| schedule | fitted exponent | local exponent (last half-decade) | derived | n_eff/n at 1e8 | "
          "n_eff - n1 at 1e8 |")
    print("|---|---|---|---|---|---|")
    for name, r in res["rows"].items():
        print(f"| {name} | {r['exponent']:.4f} | {r['local']:.4f} | {r['derived']} | {r['ratio']:.6f} | "
              f"{r['gain']:.3f} |")
    ser = res["series"]
    print(f"\nderived: E = {ser['series']};  condition {ser['condition']};  gain G(kappa) = {ser['gain']};  "
          f"kappa* = {ser['kappa_star']} = {float(res['kappa_star']):g};  G* = {ser['gain_star']} = "
          f"{float(res['gain_star']):g}")


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    t0 = time.time()
    exponent_table()
    ok1 = weighted_rows(quick)
    ok2 = iterative_rows(quick)
    print(f"\nall within tolerance: weighted {ok1}, iterative {ok2}  ({time.time() - t0:.0f} s)")
