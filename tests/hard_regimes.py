"""The hard-regime table: what predict(..., certify=True) returns in each hard regime.

Run: python tests/hard_regimes.py  (prints a Markdown table; tests/test_certify.py asserts
every row's outcome)."""
import os
import sys
import time

import mpmath

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import symcollapse as sc  # noqa: E402
from symcollapse.core.errors import SymcollapseError  # noqa: E402

ISO = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]
WIDE = [{"weight": 0.25, "s1": 1e10, "s2": 1e9, "theta": 1e-10, "delta": 1e-10},
        {"weight": 0.25, "s1": 1, "s2": 2, "theta": 1, "delta": 1},
        {"weight": 0.25, "s1": 1e-5, "s2": 1e-4, "theta": 1, "delta": 1},
        {"weight": 0.25, "s1": 1e-10, "s2": 1e-10, "theta": 1, "delta": 1}]


def rp(**kw):
    return dict({"model": "random_projection", "psi": 2, "phi": 2, "p2": 0.3, "lam": 1e-3,
                 "sigma1": 0.5, "sigma2": 0.5, "atoms": ISO}, **kw)


def lin(**kw):
    return dict({"phi": 0.5, "p2": 0.3, "lam": 1e-3, "sigma1": 0.5, "sigma2": 0.5,
                 "atoms": ISO}, **kw)


def cases():
    pl = sc.spectra.power_law(10_000, beta=1.0, beta2=0.5, gamma=0.5, c2=0.5)
    return [
        ("λ = 1e-30, φ = 0.5 (dps 50)", lin(lam=1e-30), 50),
        ("λ = 1e-30, φ = 2 (dps 50)", lin(lam=1e-30, phi=2), 50),
        ("λ = 1e-30, projections ψ = φ = 2 (dps 50)", rp(lam=1e-30), 50),
        ("λ = 1e-30, projections ψ = 0.5 (dps 50)", rp(lam=1e-30, psi=0.5), 50),
        ("φ = 1 − 1e-9, λ = 0", lin(phi=1 - 1e-9, lam=0), 30),
        ("φ = 1 + 1e-9, λ = 0", lin(phi=1 + 1e-9, lam=0), 30),
        ("φ = 1, λ = 0 (noisy)", lin(phi=1, lam=0), 30),
        ("φ = 1, λ = 0, noiseless and consistent", lin(phi=1, lam=0, sigma1=0, sigma2=0,
                                                        atoms=[dict(ISO[0], delta=0)]), 30),
        ("φ = 1 + 1e-9, λ = 1e-3", lin(phi=1 + 1e-9), 30),
        ("ψ = 1 − 1e-9, φ = 2, λ = 0", rp(psi=1 - 1e-9, lam=0), 30),
        ("ψ = 1 + 1e-9, φ = 2, λ = 0", rp(psi=1 + 1e-9, lam=0), 30),
        ("ψ = 1, φ = 2, λ = 0", rp(psi=1, lam=0), 30),
        ("ψ = 1 + 1e-9, φ = 2, λ = 1e-3", rp(psi=1 + 1e-9), 30),
        ("p2 = 0", lin(p2=0), 30),
        ("p2 = 1", lin(p2=1), 30),
        ("p2 = 1, projections", rp(p2=1), 30),
        ("p2 = 0, λ = 0, φ = 2", lin(p2=0, lam=0, phi=2), 30),
        ("c² = 1e6", lin(atoms=[dict(ISO[0], delta=1e6)]), 30),
        ("c² = 1e6, projections ψ = 1.001", rp(psi=1.001, atoms=[dict(ISO[0], delta=1e6)]), 30),
        ("eigenvalues 1e-10 … 1e10, λ = 1e-3", lin(atoms=WIDE), 30),
        ("eigenvalues 1e-10 … 1e10, λ = 0, φ = 0.5", lin(atoms=WIDE, lam=0), 30),
        ("eigenvalues 1e-10 … 1e10, projections", rp(atoms=WIDE), 30),
        ("10,000 atoms, λ = 1e-3", lin(atoms=pl, phi=1.5), 30),
        ("10,000 atoms, projections", rp(atoms=pl), 30),
    ]


def run(name, cfg, dps):
    t = time.perf_counter()
    try:
        r = sc.predict(cfg, dps=dps, certify=True)
    except SymcollapseError as exc:
        return name, dps, "error (exit %d)" % exc.exit_code, str(exc), time.perf_counter() - t
    c = r["certified"]
    digits = min(c[k]["digits"] for k in ("test_error", "bias", "variance", "zeta"))
    return (name, dps, f"certified, {digits} digits",
            f"E_test = {mpmath.nstr(r['test_error'], 12)} ({r['regime']})",
            time.perf_counter() - t)


if __name__ == "__main__":
    print("| regime | dps | outcome | value or message | seconds |\n|---|---|---|---|---|")
    for name, cfg, dps in cases():
        row = run(name, cfg, dps)
        print(f"| {row[0]} | {row[1]} | {row[2]} | {row[3]} | {row[4]:.2f} |", flush=True)
