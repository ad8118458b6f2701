"""Timings of predict (run: python benchmarks/bench_predict.py).

Prints, measured in this run: the first call of predict in a fresh process (SymPy build,
lambdify and solve), a warm call, the command line end to end, and a 1,000-atom power-law
spectrum at dps 30.  Not a test: numbers depend on the machine.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

ISO = {"phi": 0.25, "p2": 0.125, "lam": 0, "sigma1": 0.5, "sigma2": 0.5,
       "atoms": [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 2}]}


def fresh_process(code):
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT,
                   env=dict(os.environ, PYTHONPATH=ROOT))
    return time.perf_counter() - t


def main():
    rows = []
    t_import = fresh_process("import symcollapse")
    rows.append(("import symcollapse (fresh process)", t_import))
    code = ("import time, symcollapse as sc; t = time.perf_counter(); "
            f"sc.predict({ISO!r}, dps=30); print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env=dict(os.environ, PYTHONPATH=ROOT), check=True)
    rows.append(("predict, 1 atom, first call in a process", float(out.stdout)))
    import symcollapse as sc
    sc.predict(ISO, dps=30)
    t = time.perf_counter()
    for _ in range(10):
        sc.predict(ISO, dps=30)
    rows.append(("predict, 1 atom, warm (mean of 10)", (time.perf_counter() - t) / 10))
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(ISO, f)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "symcollapse", "predict", f.name, "--dps", "40"],
                   check=True, capture_output=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT))
    rows.append(("symcollapse predict (1 atom, dps 40), wall", time.perf_counter() - t))
    os.unlink(f.name)
    atoms = sc.spectra.power_law(1000, beta=1.0, beta2=0.5, gamma=0.5, c2=0.5)
    cfg = {"phi": 1.5, "p2": 0.4, "lam": 0.05, "sigma1": 0.5, "sigma2": 0.5, "atoms": atoms}
    t = time.perf_counter()
    sc.predict(cfg, dps=30)
    rows.append(("predict, 1,000-atom power law, dps 30", time.perf_counter() - t))
    t = time.perf_counter()
    sc.predict(dict(cfg, lam=0), dps=30)
    rows.append(("predict, 1,000-atom power law, ridgeless, dps 30", time.perf_counter() - t))
    width = max(len(r[0]) for r in rows)
    for name, sec in rows:
        print(f"{name:{width}s}  {sec:8.3f} s")


if __name__ == "__main__":
    main()
