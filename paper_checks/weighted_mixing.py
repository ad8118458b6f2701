"""Weighted mixing cannot escape the floor for a fixed α < 1, and the best weight α* → 1
as n → ∞ (linear model)."""
from fractions import Fraction

import mpmath as mp
import sympy as sp

from symcollapse.core import equations as eq
from symcollapse.studies import mixing
from symcollapse.analysis.limits import c2 as C2, s_iso

from .common import Outcome, iso, pyplot, save

CLAIM = ("No fixed weight α < 1 escapes the strong-collapse floor (1 − α)²c²; the optimal "
         "α* rises to 1 as n grows (the best mix discards the synthetic data).")
KIND = "symbolic+numerics"
METHOD = "symbolic (n → ∞ expansion of the weighted system) + α* at 20 digits for n = 10²…10⁸"


def evaluate(fast=False, c2=1.0, p2=0.2, sigma=0.5):
    floor, ridgeless, roots = mixing.weighted_floor_isotropic()
    at = ridgeless.subs({C2: sp.nsimplify(c2), s_iso: 1})
    positive = all(at.subs(eq.alpha, a) > 0 for a in (0, sp.Rational(1, 2), sp.Rational(9, 10),
                                                      sp.Rational(999, 1000)))
    ks = range(2, 7) if fast else range(2, 9)
    rows = []
    for k in ks:
        r = mixing.optimal_alpha({"strategy": "weighted", "alpha": 0.5, "phi": Fraction(50, 10 ** k),
                                  "p2": p2, "lam": 0, "sigma1": sigma, "sigma2": sigma, "atoms": iso(c2)},
                                 dps=20)
        rows.append((10 ** k, r))
    stars = [float(r["alpha_star"]) for _, r in rows]
    rising = all(b > a for a, b in zip(stars, stars[1:])) and stars[-1] > 1 - 10 * 50 / rows[-1][0]
    ok = positive and roots == [1] and rising
    lines = [f"floor (ridgeless, isotropic): {sp.factor(ridgeless)}; zero only at α = {roots}",
             f"floor > 0 for α ∈ {{0, 1/2, 9/10, 999/1000}} at c² = {c2}: {positive}"]
    lines += [f"n = {n:.0e} (d = 50): α* = {mp.nstr(r['alpha_star'], 8)}, E(α*) = {mp.nstr(r['error'], 5)}, "
              f"plain {mp.nstr(r['plain'], 5)}, real only {mp.nstr(r['real_only'], 5)}" for n, r in rows]
    return Outcome(ok, f"α* = {stars[-1]:.7f} at n = {rows[-1][0]:.0e}", lines, {"rows": rows})


def figure(out, path):
    plt = pyplot()
    rows = out.data["rows"]
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ns = [n for n, _ in rows]
    ax.loglog(ns, [1 - float(r["alpha_star"]) for _, r in rows], "o-", label="1 − α*")
    ax.loglog(ns, [50 / n * 0.25 / 0.8 for n in ns], "k:", label="φσ₁²/(p₁c²)")
    ax.set_xlabel("n (d = 50)")
    ax.set_title("the best weight tends to 1")
    ax.legend()
    ax.grid(alpha=0.3)
    save(fig, path)
