"""The interpolation peak at ψ = 1: for d > n the error peaks at the threshold, higher and
closer to ψ = 1 as λ → 0 (random projections)."""
import numpy as np

import symcollapse as sc
from symcollapse.analysis import modelsize
from symcollapse.core.errors import SymcollapseError

from .common import Outcome, iso, pyplot, save

CLAIM = "The test error of random projections peaks at the interpolation threshold ψ = 1 (φ > 1), diverging as λ → 0."
KIND = "numerics"
METHOD = "high-precision root of ∂E/∂ψ (Illinois at 20 digits) for λ = 10⁻², 10⁻³, 10⁻⁴; exponent fit"


def evaluate(fast=False, phi=2.0, p2=0.1, c2=1.0):
    base = {"model": "random_projection", "phi": phi, "psi": 1.0, "p2": p2, "lam": 1e-2,
            "sigma1": 0.5, "sigma2": 0.5, "atoms": iso(c2)}
    lams = [1e-2, 1e-3, 1e-4] if fast else [1e-2, 1e-3, 1e-4, 1e-5]
    try:
        res = modelsize.peak_scaling(base, lams, dps=20)
    except SymcollapseError as exc:
        return Outcome(False, "no peak", [f"no peak of E in ψ: {exc}"], {})
    psi_star = [float(v) for v in res["psi_star"]]
    height = [float(v) for v in res["height"]]
    ok = (all(b > a for a, b in zip(height, height[1:]))
          and all(abs(b - 1) < abs(a - 1) for a, b in zip(psi_star, psi_star[1:]))
          and abs(psi_star[-1] - 1) < 0.01 and res["kappa"] > 0.2)
    lines = [f"λ = {lam:g}: ψ* = {p:.6f}, E* = {h:.4f}" for lam, p, h in zip(lams, psi_star, height)]
    lines.append(f"fitted E* ∝ λ^(−κ): κ = {res['kappa']:.3f}")
    psis = np.geomspace(0.2, 5, 300)
    curves = {lam: sc.curve(dict(base, lam=lam), psi=list(psis))["test_error"] for lam in lams[:3]}
    return Outcome(ok, f"ψ* = {psi_star[-1]:.5f} at λ = {lams[-1]:g}", lines,
                   {"psis": psis, "curves": curves, "peaks": list(zip(psi_star, height))})


def figure(out, path):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    if out.data:
        for lam, E in out.data["curves"].items():
            ax.loglog(out.data["psis"], E, label=f"λ = {lam:g}")
        for p, h in out.data["peaks"]:
            ax.plot([p], [h], "kv", ms=5)
    ax.axvline(1, color="k", ls=":", lw=1)
    from matplotlib.ticker import NullFormatter
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("model size ψ = m/n")
    ax.set_ylabel("test error")
    ax.set_title("the peak at the interpolation threshold (φ = 2)")
    ax.legend()
    ax.grid(alpha=0.3)
    save(fig, path)
