"""The isotropic closed form of the linear model and its ridgeless limit, derived."""
import mpmath as mp
import numpy as np
import sympy as sp

import symcollapse as sc

from .common import Outcome, pyplot, save

CLAIM = ("Isotropic linear model, ridgeless, φ < 1: E_test = σ²φ/(1−φ) + c²(p2² + p1p2φ/(1−φ)), "
         "derived from the fixed point; its φ > 1 side and the λ > 0 form agree with predict.")
KIND = "symbolic"
METHOD = "symbolic (SymPy simplifies the difference to 0) + 30-digit numerics"

phi, p2, sigma, c2 = sp.symbols("phi p2 sigma c2", positive=True)
MODEL_MD = sigma ** 2 * phi / (1 - phi) + c2 * (p2 ** 2 + (1 - p2) * p2 * phi / (1 - phi))


def evaluate(fast=False, formula=MODEL_MD):
    cfg = {"phi": phi, "p2": p2, "lam": 0, "sigma1": sigma, "sigma2": sigma,
           "atoms": [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": c2}]}
    E = sc.closed_form(cfg)
    under = E.args[0].expr
    symbolic = sp.simplify(under - formula) == 0
    worst = mp.mpf(0)
    pts = [(0.25, 0.125, 0.5, 2), (0.7, 0.3, 1, 0.5), (2.5, 0.4, 0.3, 1), (0.1, 0.01, 0.2, 4)]
    for ph, q, sg, c in pts:
        num = sc.predict({"phi": ph, "p2": q, "lam": 0, "sigma1": sg, "sigma2": sg,
                          "atoms": [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": c}]}, dps=40)
        val = sp.N(E.subs({phi: sp.nsimplify(ph), p2: sp.nsimplify(q), sigma: sp.nsimplify(sg),
                           c2: sp.nsimplify(c)}), 45)
        with mp.workdps(45):
            worst = max(worst, abs(mp.mpf(str(val)) - num["test_error"]))
    ridge = sc.closed_form({"phi": sp.Rational(1, 2), "p2": sp.Rational(1, 5), "lam": sp.Rational(1, 10),
                            "sigma1": sp.Rational(1, 2), "sigma2": sp.Rational(1, 2), "atoms":
                            [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]})
    ridge_ok = abs(float(sp.N(ridge)) - 0.29735) < 1e-5
    ok = symbolic and worst < mp.mpf(10) ** -30 and ridge_ok
    lines = [f"closed form (φ < 1 branch): {sp.factor(under)}",
             f"difference with docs/setting.md's formula simplifies to 0: {symbolic}",
             f"largest gap to predict at 4 points (both sides of φ = 1): {mp.nstr(worst, 3)}",
             f"λ = 0.1, φ = 0.5, p2 = 0.2, σ = 0.5: {float(sp.N(ridge)):.5f} (docs/theory/linear.md §6.1: 0.29735)"]
    return Outcome(ok, f"gap {mp.nstr(worst, 2)}", lines, {"expr": E})


def figure(out, path):
    plt = pyplot()
    E = out.data["expr"]
    f = sp.lambdify([phi, p2, sigma, c2], E, "numpy")
    x = np.concatenate([np.linspace(0.02, 0.95, 200), np.linspace(1.05, 4, 200)])
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for q in (0, 0.1, 0.3):
        y = np.array([float(f(v, q, 0.5, 1.0)) for v in x])
        y[np.abs(x - 1) < 0.06] = np.nan
        ax.semilogy(x, y, label=f"p2 = {q}")
    ax.axvline(1, color="k", ls=":", lw=1)
    ax.set_xlabel("φ = d/n")
    ax.set_ylabel("ridgeless test error")
    ax.set_title("closed form on both sides of the interpolation threshold")
    ax.legend()
    ax.grid(alpha=0.3)
    save(fig, path)
