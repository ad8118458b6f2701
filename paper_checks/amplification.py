"""Larger models amplify collapse below the interpolation threshold when the synthetic data
are of low quality, and not when they are of high quality (random projections)."""
import numpy as np

from symcollapse.analysis import modelsize

from .common import Outcome, iso, pyplot, save

CLAIM = ("Random projections, d < n: with low-quality synthetic data a larger model (ψ ↑ on "
         "(0, 1)) is worse; with high-quality data it is better — the sign of ∂E/∂ψ flips "
         "across a quality threshold c²*(ψ).")
KIND = "numerics"
METHOD = "implicit-function-theorem derivative ∂E/∂ψ of the SymPy system (float64 phase diagram)"


def evaluate(fast=False, low=5.0, high=0.05, phi=0.5, p2=0.5, lam=0.01):
    base = {"model": "random_projection", "phi": phi, "psi": 0.5, "p2": p2, "lam": lam,
            "sigma1": 0.5, "sigma2": 0.5, "atoms": iso(1)}
    psis = np.linspace(0.1, 0.9, 9 if fast else 33)
    grid_c2 = np.linspace(0, 8, 41 if fast else 81)
    pd = modelsize.phase_diagram(base, psis=psis, c2s=np.concatenate([[high, low], grid_c2]))
    dE = pd["dE_dpsi"]
    worse_low = bool(np.all(dE[1] > 0))
    better_high = bool(np.all(dE[0][psis <= 0.5] < 0))
    ok = worse_low and better_high
    star = pd["c2_star"]
    lines = [f"low quality c² = {low}: ∂E/∂ψ > 0 on all of ψ ∈ [0.1, 0.9]: {worse_low}",
             f"high quality c² = {high}: ∂E/∂ψ < 0 on ψ ∈ [0.1, 0.5]: {better_high}",
             "threshold c²*(ψ) at ψ = 0.1, 0.3, 0.5: " + ", ".join(
                 f"{np.interp(v, psis, star):.3f}" for v in (0.1, 0.3, 0.5))]
    return Outcome(ok, f"c²*(0.3) = {np.interp(0.3, psis, star):.3f}", lines,
                   {"psis": psis, "c2": grid_c2, "dE": dE[2:], "star": star})


def figure(out, path):
    plt = pyplot()
    d = out.data
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.contourf(d["psis"], d["c2"], np.sign(d["dE"]), levels=[-2, 0, 2], colors=["#6baed6", "#e6816a"])
    ax.plot(d["psis"], d["star"], "k-", lw=1.5, label="c²*(ψ)")
    ax.set_xlabel("model size ψ = m/n")
    ax.set_ylabel("c² (synthetic quality: larger = worse)")
    ax.set_title("red: a larger model is worse (∂E/∂ψ > 0); φ = 0.5")
    ax.legend(loc="upper right")
    save(fig, path)
