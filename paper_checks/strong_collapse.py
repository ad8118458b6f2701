"""Strong model collapse: with any synthetic share p2 > 0 and any shift c² > 0 the test
error does not go to 0 as n → ∞ (linear model, isotropic, ridgeless)."""
import numpy as np
import sympy as sp

import symcollapse as sc
from symcollapse.analysis import limits

from .common import Outcome, iso, pyplot, save

CLAIM = ("Strong collapse: for any p2 > 0 and c² > 0 the test error does not go to 0 as "
         "n → ∞ — shown for p2 as small as 0.001 and 0.01.")
KIND = "symbolic+numerics"
METHOD = "symbolic (n → ∞ limit of the derived closed form) + high-precision numerics"


def evaluate(fast=False, p2s=(0.001, 0.01, 0.1), c2=1.0, sigma=0.5):
    floor_expr = limits.expand_isotropic("n->oo", "linear", "under")["value"]["test_error"]
    p2, c2s, s = sp.Symbol("p2", nonnegative=True), limits.c2, limits.s_iso
    derived = {q: float(floor_expr.subs({sp.Symbol("p2", nonnegative=True): q, c2s: c2, s: 1}))
               for q in p2s}
    d = 100
    ns = np.geomspace(2 * d, 1e9 * d, 40 if fast else 120)
    curves, ok, lines = {}, True, []
    for q in p2s:
        cfg = {"phi": 0.5, "p2": q, "lam": 0, "sigma1": sigma, "sigma2": sigma, "atoms": iso(c2)}
        E = sc.curve(cfg, phi=list(d / ns))["test_error"]
        curves[q] = E
        last = float(sc.predict(dict(cfg, phi=d / ns[-1]), dps=30)["test_error"])
        good = derived[q] > 0 and last >= derived[q] * (1 - 1e-6) and abs(last / derived[q] - 1) < 0.01
        ok &= good
        lines.append(f"p2 = {q}: derived floor p2²c² = {derived[q]:.3e}; E at n = 1e9·d: {last:.4e}")
    return Outcome(ok, f"floor {derived[min(p2s)]:.1e} at p2 = {min(p2s)}", lines,
                   {"ns": ns, "curves": curves, "floors": derived})


def figure(out, path):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for q, E in out.data["curves"].items():
        line, = ax.loglog(out.data["ns"], E, label=f"p2 = {q}")
        ax.axhline(out.data["floors"][q], color=line.get_color(), ls=":", lw=1)
    ax.set_xlabel("n (d = 100)")
    ax.set_ylabel("test error")
    ax.set_title("strong collapse: the curves stop at p2²c² (dotted)")
    ax.legend()
    ax.grid(alpha=0.3)
    save(fig, path)
