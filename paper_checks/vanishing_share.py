"""How fast must the synthetic share vanish for the clean scaling law to survive?"""
import sympy as sp

from symcollapse.analysis import scaling
from symcollapse.studies import schedules

from .common import Outcome, pyplot, save

CLAIM = ("Collapse is avoided only if the synthetic share vanishes (paper's open question: how "
         "fast?).  On a power-law spectrum (ridgeless, d ≫ n) with p2 = κn^(−a) the error falls "
         "like n^(−min(a, a_c)): the clean law n^(−a_c) survives iff a ≥ a* = a_c, because the "
         "p1·p2 part of ζ is linear in p2.")
KIND = "symbolic+fit"
METHOD = ("SymPy (ζ as a polynomial in p2 from the fixed-point system, its n → ∞ densities, the "
          "clean rate) + a fit of the solved curve over n = 10³…10⁹ for a on both sides of a*")


def evaluate(fast=False, beta=1.5, gamma=2.0, kappa=0.5, fractions=(0.3, 0.6, 1.6),
             cross_term=True):
    """``cross_term=False`` drops the p1·p2 term of ζ from the derived law (what the p2²
    floor alone would predict): the verdict must then fail."""
    law = scaling.PowerLaw(beta=beta, gamma=gamma)
    star = schedules.critical_a(law)
    a_values = [f * star for f in fractions]
    ns = schedules.FIT_NS[::3] if fast else schedules.FIT_NS
    curves = schedules.schedule_curves(law, [(kappa, a) for a in a_values], ns)
    rows, ok = [], True
    for a, c in zip(a_values, curves):
        terms = [t for t in schedules.derived_terms(law, kappa, a)
                 if cross_term or not t[0].startswith("p2 term")]
        derived = min(x for _, coef, x in terms if coef != 0)
        fit = scaling.fitted_exponent(list(ns), c["test_error"])
        gap = abs(fit / derived - 1)
        ok &= gap < 0.02
        rows.append((a, derived, fit, gap))
    if not cross_term:  # a* of the remaining terms (the p2² term alone gives a_c/2)
        kept = [x for label, _, x in schedules.schedule_law()["terms"][1:] if not label.startswith("p2 term")]
        roots = [r for x in kept for r in sp.solve(sp.Eq(x, schedules.a_clean), schedules.a_s)]
        star = float(sp.Max(*roots).subs(schedules.a_clean, schedules.law_values(law)["a_c"]))
    lines = [f"β = {beta}, γ = {gamma}, κ = {kappa}: clean exponent a_c = "
             f"{schedules.law_values(law)['a_c']:g}, critical a* = {star:g}"]
    lines += [f"a = {a:.4g}: derived exponent {d:.4g}, fitted {f:.4f} (gap {100 * g:.2f} %)"
              for a, d, f, g in rows]
    key = f"a* = {star:g}; worst gap {100 * max(r[3] for r in rows):.2f} %"
    return Outcome(ok, key, lines, {"ns": list(ns), "a": a_values, "curves": [c["test_error"] for c in curves],
                                    "rows": rows, "critical_a": star})


def figure(out, path):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for a, E, (_, d, f, _g) in zip(out.data["a"], out.data["curves"], out.data["rows"]):
        ax.loglog(out.data["ns"], E, marker="o", ms=3,
                  label=f"a = {a:.3g}: derived n^-{d:.3g}, fit n^-{f:.3g}")
    ax.set_xlabel("n")
    ax.set_ylabel("test error")
    ax.set_title(f"p2 = κ n^-a: the clean law survives iff a ≥ a* = {out.data['critical_a']:g}")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    save(fig, path)
