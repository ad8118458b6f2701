"""Beyond ψ = 1 larger models mitigate collapse but do not remove it; as ψ → ∞ the
projections model becomes the linear model (random projections, d > n)."""
import mpmath as mp
import numpy as np

import symcollapse as sc
from symcollapse.analysis import limits

from .common import Outcome, iso, pyplot, save

CLAIM = ("Past ψ = 1 the error falls with ψ but stays above the error without synthetic data; "
         "ψ → ∞ with λ = λ0ψ/φ is the linear model at ridge λ0.")
KIND = "numerics"
METHOD = "∂E/∂ψ by the implicit function theorem; the ψ → ∞ expansion system (25 digits)"


def evaluate(fast=False, p2=0.1, c2=1.0, phi=2.0, lam=0.01):
    base = {"model": "random_projection", "phi": phi, "psi": 2.0, "p2": p2, "lam": lam,
            "sigma1": 0.5, "sigma2": 0.5, "atoms": iso(c2)}
    psis = np.geomspace(1.2, 50, 40 if fast else 120)
    mix = sc.curve(base, wrt="psi", psi=list(psis))
    clean = sc.curve(dict(base, p2=0), psi=list(psis))["test_error"]
    falls = bool(np.all(mix["d_test_error"] < 0))
    above = bool(np.all(mix["test_error"] > clean * (1 + 1e-9)))
    lim = limits.expand("psi->oo", base, dps=30)["value"]["test_error"]
    lin = sc.predict({k: v for k, v in base.items() if k not in ("model", "psi")}, dps=30)["test_error"]
    with mp.workdps(30):
        same = abs(lim - lin) < mp.mpf(10) ** -25
    ok = falls and above and same
    gap = float(np.min(mix["test_error"] - clean))
    lines = [f"∂E/∂ψ < 0 on ψ ∈ [1.2, 50]: {falls}",
             f"E(p2 = {p2}) − E(p2 = 0) ≥ {gap:.4f} > 0 on the whole range: {above}",
             f"ψ → ∞ (λ = λ0ψ/φ): {mp.nstr(lim, 20)}; linear model at λ0: {mp.nstr(lin, 20)}"]
    return Outcome(ok, f"min extra error {gap:.4f}", lines,
                   {"psis": psis, "mix": mix["test_error"], "clean": clean})


def figure(out, path):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.semilogx(out.data["psis"], out.data["mix"], label="with synthetic data")
    ax.semilogx(out.data["psis"], out.data["clean"], "k--", label="p2 = 0")
    ax.set_xlabel("model size ψ = m/n (> 1)")
    ax.set_ylabel("test error")
    ax.set_title("larger models mitigate, never remove, the collapse")
    ax.legend()
    ax.grid(alpha=0.3)
    save(fig, path)
