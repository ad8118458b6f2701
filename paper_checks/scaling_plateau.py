"""The scaling law bends into a plateau (power-law spectrum, d ≫ n)."""
import sympy as sp

from symcollapse.analysis import scaling

from .common import Outcome, pyplot, save

CLAIM = ("On a power-law spectrum the clean error falls like n^(−a) with the derived a; any "
         "synthetic share p2 > 0 turns it into a plateau at the derived floor.")
KIND = "symbolic+fit"
METHOD = "SymPy (Mellin integrals of the fixed point) + a fit of the solved curve over n = 10³…10⁸"


def evaluate(fast=False, p2s=(0.001, 0.01), beta=2.0, gamma=2.0, c0=1e-6):
    law = scaling.PowerLaw(beta=beta, gamma=gamma, c0=c0)
    rate = scaling.clean_rate()
    vals = {scaling.beta_s: sp.nsimplify(beta), scaling.gamma_s: sp.nsimplify(gamma)}
    a = float(rate["exponent"].subs(vals))
    ns = [10 ** k for k in range(1, 15)]
    clean = scaling.learning_curve(law, ns)["test_error"]
    fit = scaling.fitted_exponent(ns[2:8], clean[2:8])
    curves, ok = {0: clean}, abs(fit - a) / a < 0.02
    lines = [f"derived exponent a = {a}, fitted over n = 10³…10⁸: {fit:.4f}"]
    for q in p2s:
        E = scaling.learning_curve(law, ns, p2=q)["test_error"]
        cr = scaling.crossover(law, q)
        curves[q] = E
        plateau = cr["floor"] > 0 and abs(E[-1] / cr["floor"] - 1) < 1e-3
        ok &= plateau
        lines.append(f"p2 = {q}: floor {cr['floor']:.4e}, E(n = 10¹⁴) = {E[-1]:.4e}, crossover n* = {cr['n_star']:.0f}")
    return Outcome(ok, f"a = {fit:.4f} (derived {a:g})", lines, {"ns": ns, "curves": curves})


def figure(out, path):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for q, E in out.data["curves"].items():
        ax.loglog(out.data["ns"], E, label=f"p2 = {q}")
    ax.set_xlabel("n")
    ax.set_ylabel("test error")
    ax.set_title("β = γ = 2: n⁻³ bends into the collapse plateau")
    ax.legend()
    ax.grid(alpha=0.3)
    save(fig, path)
