"""How fast one predict is, through the door and along the bare oracle path: ``python
benchmarks/predict_speed.py [--repeat N]``.

Measured in one run on this machine (nothing here is a test):

* ``predict``: :func:`symcollapse.predict` at dps 30 — the model's regime, the solve, the
  training errors, df and GCV, every reported digit proved (one pass, a Krawczyk
  enclosure and balls: :mod:`symcollapse.core.one_pass`) or, where that proves nothing,
  confirmed at two precisions;
* ``oracle``: the hand-typed statement of the same model (``tests/oracles/statements.py``)
  compiled once and solved at the same point (:func:`~symcollapse.core.solve.solve_point` at dps 30 + 15 and the outputs):
  one solve, nothing confirmed, no training error;

for one isotropic atom (the median over ``--repeat`` calls, λ nudged between calls so that no
cache answers) and for 1,000 atoms (best of 3), with the ratio predict / oracle.  Targets:
1 atom ≤ 2 ms median, 1,000 atoms ≤ 0.3 s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from fractions import Fraction

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

import mpmath as mp  # noqa: E402

import symcollapse as sc  # noqa: E402
from oracles import statements  # noqa: E402
from symcollapse.core.compiled import atoms_mp, compile_system  # noqa: E402
from symcollapse.core.regimes import parameter_values  # noqa: E402
from symcollapse.core.solve import solve_point  # noqa: E402

ISO = {"phi": Fraction(1, 2), "p2": Fraction(1, 5), "lam": Fraction(1, 10), "sigma1": Fraction(1, 2),
       "sigma2": Fraction(1, 2), "atoms": [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]}


def many_atoms(k: int) -> list:
    """k atoms with deterministic, distinct spectra and energies."""
    return [{"weight": Fraction(1, k), "s1": Fraction(1 + (7 * i) % 29, 10),
             "s2": Fraction(1 + (11 * i) % 31, 10), "theta": Fraction(1 + (3 * i) % 7, 5),
             "delta": Fraction(1 + (5 * i) % 11, 10)} for i in range(k)]


def oracle(cfg, dps=30):
    spec = sc.parse(cfg)
    c = compile_system(statements.linear_system_of("plain"))
    params = parameter_values(spec)
    with mp.workdps(dps + 15):
        sol = solve_point(c, params, spec.atoms, dps=dps)
        return c.outputs_mp(sol.x, c.values_mp(params), atoms_mp(spec.atoms))["test_error"]


def timed(f, cfgs):
    out = []
    for cfg in cfgs:
        t = time.perf_counter()
        f(cfg)
        out.append(time.perf_counter() - t)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=100)
    args = ap.parse_args(argv)
    sc.predict(ISO, dps=30), oracle(ISO)                      # derive and compile once
    nudged = [dict(ISO, lam=Fraction(1, 10) + Fraction(i, 10 ** 5)) for i in range(1, args.repeat + 1)]
    door = statistics.median(timed(lambda c: sc.predict(c, dps=30), nudged))
    bare = statistics.median(timed(oracle, nudged))
    print(f"1 atom, dps 30 (median of {args.repeat}): predict {door * 1e3:.2f} ms, oracle "
          f"{bare * 1e3:.2f} ms, ratio {door / bare:.2f} (target predict <= 2 ms)")
    big = dict(ISO, atoms=many_atoms(1000))
    sc.predict(big, dps=30)
    cfgs = [dict(big, lam=Fraction(1, 10) + Fraction(i, 10 ** 5)) for i in range(1, 4)]
    door = min(timed(lambda c: sc.predict(c, dps=30), cfgs))
    bare = min(timed(oracle, cfgs))
    print(f"1000 atoms, dps 30 (best of 3): predict {door:.3f} s, oracle {bare:.3f} s, ratio "
          f"{door / bare:.2f} (target predict <= 0.3 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
