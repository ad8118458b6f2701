"""Literate derivations, generated from the code that computes.

Each document of ``derivations/`` is produced by a function here that builds the
equations with :mod:`symcollapse.core.equations`, derives each step with SymPy and checks it
(exact identities by SymPy, the rest by high-precision numerics), and writes Markdown
with the results rendered as LaTeX.  A failed check raises: a document cannot be
produced with a false step in it.  ``symcollapse derive --check`` regenerates all of them
and compares with the committed files.
"""
from __future__ import annotations

import difflib
import importlib
import multiprocessing
import os
import random
import re
from concurrent.futures import ProcessPoolExecutor
from fractions import Fraction
from pathlib import Path

import mpmath as mp
import numpy as np
import sympy as sp

from symcollapse.analysis.limits import (c2 as C2, closed_form, floor, isotropic, isotropic_linear,
                                         large_n_system, projection_large_psi, r2 as R2, s_iso)
from symcollapse.analysis.reductions import projection_via_linear
from symcollapse.core import determinism as sym, equations as eq
from symcollapse.core.compiled import atoms_mp, compile_system, to_mpf
from symcollapse.core.decomposition import predict, predict as _predict
from symcollapse.core.errors import ConfigError
from symcollapse.core.outputs import replace_text
from symcollapse.core.regimes import linear_family, model_family
from symcollapse.core.solve import solve_point
from symcollapse.core.spec import Atom
from symcollapse.pencil.derived import general_system


def _tex(expr) -> str:
    return sp.latex(expr, mul_symbol=None)


def _display(expr) -> str:
    return "$$\n" + _tex(expr) + "\n$$\n"


class Doc:
    """A Markdown document under construction, with a running list of checks."""

    def __init__(self, title):
        self.parts = [f"# {title}\n"]
        self.checks = 0

    def text(self, s):
        self.parts.append(s.strip("\n") + "\n")

    def math(self, expr, label=None):
        if label:
            self.parts.append(f"$$\n{label} = {_tex(expr)}\n$$\n")
        else:
            self.parts.append(_display(expr))

    def check(self, ok: bool, what: str):
        if not ok:
            raise AssertionError(f"derivation check failed: {what}")
        self.checks += 1
        self.parts.append(f"> **Check {self.checks}** (passed): {what}\n")

    def render(self) -> str:
        return "\n".join(self.parts).rstrip("\n") + "\n"


# ----------------------------------------------------------------------------- helpers

def _random_matrix(rng, rows, cols):
    return mp.matrix([[mp.mpf(rng.gauss(0, 1)) for _ in range(cols)] for _ in range(rows)])


def _diag(values):
    m = mp.matrix(len(values), len(values))
    for i, v in enumerate(values):
        m[i, i] = v
    return m


def _check_error_decomposition(doc: Doc):
    """ŵ − w1 = −λRw1 + a2RΣ̂2δ + R Σ_j (a_j/n_j) X_jᵀε_j, exactly (50 digits)."""
    rng = random.Random(7)
    with mp.workdps(50):
        d, n1, n2 = 4, 3, 5
        a1, a2, lam = mp.mpf("0.3"), mp.mpf("0.7"), mp.mpf("0.25")
        X1, X2 = _random_matrix(rng, n1, d), _random_matrix(rng, n2, d)
        w1, delta = _random_matrix(rng, d, 1), _random_matrix(rng, d, 1)
        eps1, eps2 = _random_matrix(rng, n1, 1), _random_matrix(rng, n2, 1)
        y1, y2 = X1 * w1 + eps1, X2 * (w1 + delta) + eps2
        S1h, S2h = X1.T * X1 / n1, X2.T * X2 / n2
        R = mp.inverse(a1 * S1h + a2 * S2h + lam * mp.eye(d))
        w_hat = R * (a1 * X1.T * y1 / n1 + a2 * X2.T * y2 / n2)
        rhs = -lam * R * w1 + a2 * R * S2h * delta + R * (a1 * X1.T * eps1 / n1 + a2 * X2.T * eps2 / n2)
        err = mp.norm(w_hat - w1 - rhs, mp.inf)
    doc.check(err < mp.mpf(10) ** -45,
              f"the error decomposition holds for random 4-dimensional data at 50 digits "
              f"(largest difference {bound_text(err, 45)})")


def bound_text(err, digits: int) -> str:
    """A difference as the bound it meets (documents must not depend on last bits)."""
    return f"< 1e-{digits}" if err < mp.mpf(10) ** -digits else mp.nstr(err, 3)


def _check_sherman_morrison(doc: Doc):
    rng = random.Random(11)
    with mp.workdps(50):
        d = 5
        A = _random_matrix(rng, d, d)
        A = A * A.T + mp.eye(d)
        x = _random_matrix(rng, d, 1)
        c = mp.mpf("0.37")
        R = mp.inverse(A + c * x * x.T)
        Rm = mp.inverse(A)
        lhs = R * x
        rhs = Rm * x / (1 + c * (x.T * Rm * x)[0])
        err = mp.norm(lhs - rhs, mp.inf)
    doc.check(err < mp.mpf(10) ** -45,
              f"Sherman–Morrison, R x = R₋ x / (1 + c xᵀR₋x), on a random 5×5 example at 50 "
              f"digits (largest difference {bound_text(err, 45)})")


def _theory_u_form(system):
    """docs/theory/linear.md §1's statement of the second order: u_j = γ_j e_j² tr(Σ_j Σ1eff K⁻²)."""
    K = eq.a1 * eq.e1 * eq.S1 + eq.a2 * eq.e2 * eq.S2 + eq.lam
    s1eff = (1 + eq.a1 * eq.u1) * eq.S1 + eq.a2 * eq.u2 * eq.S2
    return (eq.u1 - eq.gamma1 * eq.e1 ** 2 * eq.tr(eq.S1 * s1eff / K ** 2),
            eq.u2 - eq.gamma2 * eq.e2 ** 2 * eq.tr(eq.S2 * s1eff / K ** 2))


def _p2_one_consistency(doc: Doc):
    """p2 = 1, Σ1 = Σ2 = Σ: ζ = tr(δΣ) − 2λ tr(δΣK⁻¹) + λ² tr(δ 𝓛[Σ]) (RΣ̂ = I − λR)."""

    fam = linear_family("plain", ((eq.p2, 1),), False)
    c = compile_system(fam)
    atoms = (Atom(Fraction(1, 4), Fraction(3), Fraction(3), Fraction(1), Fraction(2)),
             Atom(Fraction(1, 2), Fraction(1), Fraction(1), Fraction(2), Fraction(1, 2)),
             Atom(Fraction(1, 4), Fraction(1, 5), Fraction(1, 5), Fraction(1, 3), Fraction(5)))
    params = {eq.phi: Fraction(3, 5), eq.lam: Fraction(1, 10), eq.sigma1: Fraction(0),
              eq.sigma2: Fraction(1, 2)}
    with mp.workdps(60):
        sol = solve_point(c, params, atoms, dps=45)
        vals = dict(zip(c.unknowns, sol.x))
        p = c.values_mp(params)
        zeta = c.outputs_mp(sol.x, p, atoms_mp(atoms))["zeta"]
        lamv = mp.mpf(1) / 10
        e2v, u2v = vals[eq.e2], vals[eq.u2]
        total = mp.mpf(0)
        for a in atoms:
            w, s, dl = to_mpf(a.weight), to_mpf(a.s2), to_mpf(a.delta)
            K = e2v * s + lamv
            L = (1 + u2v) * s / K ** 2
            total += w * (dl * s - 2 * lamv * dl * s / K + lamv ** 2 * dl * L)
        err = abs(total - zeta)
    doc.check(err < mp.mpf(10) ** -40,
              "with p2 = 1 and Σ1 = Σ2 (three atoms, φ = 3/5, λ = 1/10), ζ equals "
              "tr(ΔΣ) − 2λ tr(ΔΣK⁻¹) + λ² tr(Δ𝓛[Σ]) to 40 digits "
              f"(ζ = {mp.nstr(zeta, 20)}, difference {bound_text(err, 40)})")


# ----------------------------------------------------------------------------- documents

def _render_isotropic(doc: Doc, model: str, sides):
    """The checked steps of :func:`symcollapse.analysis.limits.isotropic` for each side."""
    for side, title in sides:
        _parts, steps, _info = isotropic(model, side)
        doc.text(f"### {title}\n")
        for st in steps:
            doc.text(st.text)
            if isinstance(st.result, dict):
                for k, v in st.result.items():
                    if side == "ridge" and st.text.startswith("Substituting"):
                        continue
                    if sp.count_ops(v) > 600:
                        doc.text(f"{k}: {sp.count_ops(v)} operations (not rendered).")
                    elif isinstance(k, sp.Basic):
                        doc.math(sp.Eq(k, v))
                    else:
                        doc.math(v, r"\mathrm{%s}" % str(k).replace("_", r"\_"))
            elif st.result is not None:
                if sp.count_ops(st.result) > 600:
                    doc.text(f"({sp.count_ops(st.result)} operations; not rendered.)")
                else:
                    doc.math(st.result)
            if st.check:
                doc.check(True, st.check)


def linear_document() -> str:
    """derivations/linear.md: the linear model on a real + synthetic mixture."""
    doc = Doc("The linear model on a real + synthetic mixture: E_test ≃ Bias + Var + ζ")
    doc.text("""
Generated by `symcollapse derive linear` from the code that computes; every check below
was run when this file was generated (`symcollapse derive --check` re-runs them).
Notation of docs/setting.md: groups j = 1 (real) and 2 (synthetic) with n_j = p_j n rows,
Σ̂_j = X_jᵀX_j/n_j, normalized traces tr(·) = (1/d)Tr(·) = Σ_k weight_k f(atom_k).
""")
    doc.text("""
## 1. The estimator and the three error terms

One form covers plain and weighted mixing: ŵ = R(a₁X₁ᵀy₁/n₁ + a₂X₂ᵀy₂/n₂) with
R = (a₁Σ̂₁ + a₂Σ̂₂ + λI)⁻¹, where plain mixing has a_j = p_j and weighted mixing
a₁ = α, a₂ = 1 − α.  Put γ_j = a_j d/n_j (= φ for plain mixing).  Since
y₁ = X₁w₁ + ε₁ and y₂ = X₂(w₁ + δ) + ε₂, and R(a₁Σ̂₁ + a₂Σ̂₂) = I − λR,

    ŵ − w₁ = −λRw₁ + a₂RΣ̂₂δ + R Σ_j (a_j/n_j) X_jᵀε_j.
""")
    _check_error_decomposition(doc)
    doc.text("""
The three pieces are independent given X with mean zero for δ and ε (w₁, δ, ε are
independent and E δ = 0, E ε = 0), so every cross term averages out and
E_test = ‖ŵ − w₁‖²_{Σ₁} = Bias + Var + ζ with

    Bias = λ² Tr(Θ RΣ₁R),   Var = Σ_j (a_j/n_j)² σ_j² Tr(X_j RΣ₁R X_jᵀ),   ζ = a₂² Tr(Δ Σ̂₂RΣ₁RΣ̂₂).

The same conditional expectations are what `symcollapse.simulate` computes exactly for each
draw of X (its `conditional` output), so each term is compared with simulation separately.
""")
    doc.text("""
## 2. First order: the resolvent

Leave one row out.  For a row x of group j, Sherman–Morrison with c = a_j/n_j gives
R x = R₋x / (1 + (a_j/n_j) xᵀR₋x), where R₋ is the resolvent without that row:
""")
    _check_sherman_morrison(doc)
    doc.text("""
The quadratic form (a_j/n_j)xᵀR₋x concentrates on γ_j tr(Σ_j K⁻¹), so R x ≈ e_j R₋x with
e_j = 1/(1 + γ_j tr(Σ_j K⁻¹)).  Averaging I = R(Σ_j a_jΣ̂_j + λ) row by row then gives
R ≍ K⁻¹ with K = a₁e₁Σ₁ + a₂e₂Σ₂ + λ.  This is the first-order fixed point of
docs/theory/linear.md §1.  The toolkit does not type it: the pencil engine derives it from
the expressions of §1 in Gaussian blocks (`symcollapse.pencil.derived`; its unknowns named
by the model, g_{n_j} = a_je_j/p_j, and the shares written p_j = a_jφ/γ_j):
""")
    system = general_system("linear")
    for e in system.equations[:2]:
        doc.math(sp.Eq(e, 0))
    K = eq.a1 * eq.e1 * eq.S1 + eq.a2 * eq.e2 * eq.S2 + eq.lam
    stated = (eq.e1 * (1 + eq.gamma1 * eq.tr(eq.S1 / K)) - 1, eq.e2 * (1 + eq.gamma2 * eq.tr(eq.S2 / K)) - 1)
    doc.check(all(sp.cancel(merge_traces(d) - merge_traces(st)) == 0
                  for d, st in zip(system.equations[:2], stated)),
              "SymPy: the derived equations are e_j(1 + γ_j tr(Σ_jK⁻¹)) = 1, the statement of "
              "docs/theory/linear.md §1")
    doc.text("""
## 3. Second order by differentiation

R A R is the derivative of a resolvent: −∂_t (Σ_j a_jΣ̂_j + λ + tA)⁻¹ at t = 0.  Apply the
first order to the perturbed resolvent, K(t) = Σ_j a_j e_j(t)Σ_j + λ + tA, and differentiate:
R A R ≍ 𝓛[A] := K⁻¹(A + Σ_l a_l ė_l Σ_l)K⁻¹ with ė the derivative of the fixed point.
The engine does exactly this in SymPy (the probe tΣ₁ sits in the expression of R, and its
fixed point is differentiated with x → x + t ẋ); the rates ẋ = (u₁, u₂) solve the linear
equations it returns:
""")
    for e in system.equations[2:]:
        doc.math(sp.Eq(e, 0))
    K = eq.a1 * eq.e1 * eq.S1 + eq.a2 * eq.e2 * eq.S2 + eq.lam
    L1 = -sp.diff(1 / (K + eq.t_probe * eq.S1).xreplace(
        {eq.e1: eq.e1 + eq.t_probe * eq.u1, eq.e2: eq.e2 + eq.t_probe * eq.u2}), eq.t_probe).subs(eq.t_probe, 0)
    doc.text("and the per-atom density of 𝓛[Σ₁] is")
    doc.math(sp.factor_terms(L1), r"\mathcal L[\Sigma_1]")
    s1eff = (1 + eq.a1 * eq.u1) * eq.S1 + eq.a2 * eq.u2 * eq.S2
    doc.check(sym.simplify(sp.factor_terms(L1) - s1eff / K ** 2) == 0,
              "SymPy: 𝓛[Σ₁] = Σ₁ᵉᶠᶠ K⁻² with Σ₁ᵉᶠᶠ = (1 + a₁u₁)Σ₁ + a₂u₂Σ₂")
    # the derived equations are the stated ones multiplied by 1/e_j at the first-order solution
    stated = _theory_u_form(system)
    ok = True
    for j, (derived, st) in enumerate(zip(system.equations[2:], stated)):
        e_j, g_j, S_j = ((eq.e1, eq.gamma1, eq.S1), (eq.e2, eq.gamma2, eq.S2))[j]
        # on the first-order solution 1 + γ_j tr(Σ_j/K) = 1/e_j
        on_shell = derived.xreplace({eq.tr(S_j / K): (1 / e_j - 1) / g_j})
        ok &= sym.simplify(sp.expand(on_shell - st / e_j)) == 0
    doc.check(ok, "SymPy: on the first-order solution the derived equations are "
                  "u_j = γ_j e_j² tr(Σ_j Σ₁ᵉᶠᶠ K⁻²), the form stated in docs/theory/linear.md §1")
    doc.text("""
## 4. The error functional

Bias = λ² tr(Θ 𝓛[Σ₁]) follows from §3 directly.  For Var, each row of group j contributes
x_iᵀRΣ₁Rx_i ≈ e_j² Tr(Σ_j 𝓛[Σ₁]) (first order applied twice), and the sum over the n_j rows
is exactly a_jσ_j² times the right-hand side of the u_j equation: Var = a₁σ₁²u₁ + a₂σ₂²u₂.
For ζ, write it as a double sum over pairs of synthetic rows; the diagonal pairs give
a₂u₂ tr(ΔΣ₂); for an off-diagonal pair a two-row Woodbury step gives, besides the leading
e₂² x_iᵀSΣ₁Sx_k, a correction −e₂³ r_ik(…) with r_ik = (a₂/n₂)x_iᵀSx_k of order n^(-1/2);
multiplied by x_kᵀΔx_i it contributes at the same order as the leading term.  Summing:

    ζ = a₂²e₂² tr(ΔΣ₂𝓛[Σ₁]Σ₂) + a₂u₂ [tr(ΔΣ₂) − 2a₂e₂ tr(ΔΣ₂²K⁻¹)].

The engine reads ζ from the pencil of a₂²Σ̂₂RΣ̂₂, derived beside that of R; its unknowns
are proportional copies of R's (merged) and blocks given explicitly by them (eliminated),
and its density, factored, is the compact form in which every term is ≥ 0
(1 − 2a₂e₂Σ₂/K + a₂²e₂²Σ₂²/K² = (a₁e₁Σ₁ + λ)²/K²):
""")
    doc.math(system.densities["zeta"], r"\zeta\ \text{density}")
    zeta_two_point = (eq.a2 ** 2 * eq.e2 ** 2 * eq.DELTA * eq.S2 ** 2 * s1eff / K ** 2
                      + eq.a2 * eq.u2 * (eq.DELTA * eq.S2 - 2 * eq.a2 * eq.e2 * eq.DELTA * eq.S2 ** 2 / K))
    doc.check(sym.simplify(sp.together(system.densities["zeta"] - zeta_two_point)) == 0,
              "SymPy: the compact density equals the two-point density, atom by atom")
    doc.text("The Bias and Var densities:")
    doc.math(system.densities["bias"], r"\mathrm{Bias}\ \text{density}")
    doc.math(system.densities["variance"], r"\mathrm{Var}")
    _p2_one_consistency(doc)
    doc.text("""
## 5. The ridgeless limit λ → 0⁺

Underparametrized side (fewer visible coordinates than rows, e.g. φ < 1 with full
supports): e_j stays positive and the system at λ = 0 is the limit.  Interpolating side
(every row fitted, e.g. φ > 1): e_j = O(λ).  `rescale` substitutes e_j = λε_j, factors λ out
of each trace and divides each equation by its leading power of λ; the family is exact for
λ > 0 and its member at λ = 0 is the ridgeless system.  For plain mixing:
""")
    over = eq.limit_at_zero(linear_family("plain", (), True), eq.lam, "over")
    for e in over.equations[:2]:
        doc.math(sp.Eq(e, 0))
    doc.text("with the outputs (densities)")
    for k in ("bias", "zeta"):
        doc.math(over.densities[k], r"\mathrm{%s}" % k.capitalize() if k == "bias" else r"\zeta")
    doc.text("""
Which side applies is decided exactly from the supports (`symcollapse.core.regimes`): for
Gaussian designs the rank is the size of a maximum matching between rows and visible
coordinates.  On the threshold itself the error diverges, except for noiseless, consistent
labels (then the square system recovers w₁ and the error is 0).
""")
    doc.text("""
## 6. Isotropic closed forms (Σ₁ = Σ₂ = sI, ‖w₁‖² = r², Tr Δ = c², plain mixing)

`symcollapse.analysis.limits.isotropic_linear` expands the same system on one symbolic atom and
reduces it; its steps, with their checks:
""")
    _render_isotropic(doc, "linear", (("ridge", "λ > 0"), ("under", "λ → 0⁺, φ < 1"),
                                      ("over", "λ → 0⁺, φ > 1")))
    phi, p2, sb, c2, r2 = eq.phi, eq.p2, sp.Symbol("sigma"), sp.Symbol("c2"), sp.Symbol("r2")
    under = isotropic_linear("under")[0]["test_error"].xreplace(
        {eq.sigma1: sb, eq.sigma2: sb, s_iso: 1, C2: c2, R2: r2})
    model_md = sb ** 2 * phi / (1 - phi) + c2 * (p2 ** 2 + (1 - p2) * p2 * phi / (1 - phi))
    doc.text("docs/setting.md's formula (σ₁ = σ₂ = σ, s = 1, φ < 1):")
    doc.math(model_md, r"E_{\rm test}")
    doc.check(sym.simplify(under - model_md) == 0,
              "SymPy: the derived ridgeless φ < 1 test error minus docs/setting.md's formula simplifies to 0")
    over_te = isotropic_linear("over")[0]["test_error"].xreplace(
        {eq.sigma1: sb, eq.sigma2: sb, s_iso: 1, C2: c2, R2: r2})
    theory_over = r2 * (1 - 1 / phi) + sb ** 2 / (phi - 1) + c2 * p2 * (phi - p2) / (phi * (phi - 1))
    doc.check(sym.simplify(over_te - theory_over) == 0,
              "SymPy: the derived ridgeless φ > 1 test error equals "
              "r²(1 − 1/φ) + σ²/(φ − 1) + c²p₂(φ − p₂)/(φ(φ − 1))")
    # λ > 0: docs/theory/linear.md §3 in the variable s_MP = k + φ
    ridge = isotropic_linear("ridge")[0]["test_error"]
    lam = eq.lam
    sMP = (1 + lam + phi + sp.sqrt((1 + lam + phi) ** 2 - 4 * phi)) / 2
    sbar2 = (1 - p2) * eq.sigma1 ** 2 + p2 * eq.sigma2 ** 2
    theory_ridge = (R2 * (sMP - 1) ** 2 / (sMP ** 2 - phi) + sbar2 * phi / (sMP ** 2 - phi)
                    + C2 * p2 * ((p2 + phi) * sMP - 2 * p2 * phi) / (sMP * (sMP ** 2 - phi)))
    rng = random.Random(3)
    worst = 0
    for _ in range(6):
        pt = {phi: sp.Rational(rng.randint(1, 40), 10), p2: sp.Rational(rng.randint(0, 10), 10),
              lam: sp.Rational(rng.randint(1, 50), 20), eq.sigma1: sp.Rational(rng.randint(0, 9), 7),
              eq.sigma2: sp.Rational(rng.randint(0, 9), 5), R2: sp.Rational(rng.randint(1, 9), 3),
              C2: sp.Rational(rng.randint(0, 9), 4), s_iso: 1}
        diff = abs(sp.N((ridge - theory_ridge).xreplace(pt), 50))
        worst = max(worst, diff)
    doc.check(worst < sp.Float("1e-45"),
              "at 6 random rational points (λ > 0, s = 1) the derived closed form equals "
              "docs/theory/linear.md §3's form in s = [1 + λ + φ + √((1 + λ + φ)² − 4φ)]/2, to 45 digits")
    doc.text(f"\n_{doc.checks} checks passed._\n")
    return doc.render()


def _proportional(derived, stated) -> bool:
    """Whether two equations are equal per atom up to a nonzero factor free of the atom
    symbols (their merged integrands, :func:`merge_traces`): the same equation, scaled."""
    q = sp.cancel(merge_traces(derived) / merge_traces(stated))
    return q != 0 and not q.free_symbols & set(eq.ATOM)


def merge_traces(expr):
    """One per-atom integrand g with expr = tr(g): constants and atom-free coefficients go
    inside (tr is linear and tr(c) = c).  Two expressions with equal merged integrands are
    equal for every spectrum."""
    expr = sp.expand(expr)
    total = 0
    for term in sp.Add.make_args(expr):
        traces = [f for f in term.atoms(eq.tr)]
        if not traces:
            total += term
            continue
        if len(traces) != 1:
            raise ValueError("a product of traces cannot be merged")
        t = traces[0]
        coeff = sp.cancel(term / t)
        total += coeff * t.args[0]
    return total


def _check_sketch_equivalent(doc: Doc):
    """Sᵀ(SMSᵀ + λ)⁻¹S against (M + L)⁻¹ for a seeded S (d = 1200, m = 600): traces of
    the two agree within 1 % (finite-size fluctuations are O(1/√d) per entry, O(1/d) for
    traces)."""
    rng = np.random.default_rng(2024)
    d, m, lam = 1200, 600, 0.05
    Mdiag = np.repeat([2.0, 0.5, 0.1], d // 3)
    S = rng.standard_normal((m, d)) / np.sqrt(d)
    P = S.T @ np.linalg.solve(S @ (Mdiag[:, None] * S.T) + lam * np.eye(m), S)
    with mp.workdps(30):
        rho = mp.mpf(m) / d
        f = lambda L: L * (rho - sum(mp.mpf(x) / (x + L) for x in (2.0, 0.5, 0.1)) / 3) - lam  # noqa: E731
        L = float(mp.findroot(f, 0.1))
    ok = True
    for test in (np.ones(d), np.repeat([1.0, 0.0, 0.0], d // 3), np.repeat([0.0, 0.0, 1.0], d // 3)):
        sim = np.mean(test * np.diag(P))
        th = np.mean(test / (Mdiag + L))
        ok &= abs(sim - th) <= 0.01 * th
    doc.check(ok, "a seeded projection (d = 1200, m = 600, M with three atoms, λ = 0.05): "
                  "normalized traces of Sᵀ(SMSᵀ + λ)⁻¹S against Θ = I and two atom "
                  "indicators agree with those of (M + L)⁻¹ within 1 %")


def _check_projection_identity(doc: Doc):
    rng = random.Random(5)
    with mp.workdps(50):
        d, m, n1, n2 = 5, 3, 4, 3
        a1, a2, lam = mp.mpf("0.6"), mp.mpf("0.4"), mp.mpf("0.3")
        X1, X2 = _random_matrix(rng, n1, d), _random_matrix(rng, n2, d)
        S = _random_matrix(rng, m, d)
        y1, y2 = _random_matrix(rng, n1, 1), _random_matrix(rng, n2, 1)
        F1, F2 = X1 * S.T, X2 * S.T
        G = a1 * F1.T * F1 / n1 + a2 * F2.T * F2 / n2 + lam * mp.eye(m)
        v = mp.inverse(G) * (a1 * F1.T * y1 / n1 + a2 * F2.T * y2 / n2)
        Sig = a1 * X1.T * X1 / n1 + a2 * X2.T * X2 / n2
        P = S.T * mp.inverse(S * Sig * S.T + lam * mp.eye(m)) * S
        w = P * (a1 * X1.T * y1 / n1 + a2 * X2.T * y2 / n2)
        err = mp.norm(S.T * v - w, mp.inf)
    doc.check(err < mp.mpf(10) ** -45, "ŵ = Sᵀv̂ equals P(a₁X₁ᵀy₁/n₁ + a₂X₂ᵀy₂/n₂) with "
              "P = Sᵀ(SΣ̂Sᵀ + λ)⁻¹S, on random data at 50 digits "
              f"(largest difference {bound_text(err, 45)})")


def projections_document() -> str:
    """derivations/projections.md: the random projections model on a mixture."""
    doc = Doc("Random projections on a real + synthetic mixture: a nested fixed point")
    doc.text("""
Generated by `symcollapse derive projections`; every check was run when this file was
generated.  Setting of docs/setting.md: S ∈ R^{m×d} with iid N(0, 1/d) entries, features z = Sx,
ridge on z: v̂ = argmin (1/n)‖XSᵀv − y‖² + λ‖v‖², ŵ = Sᵀv̂, ψ = m/n, ρ = ψ/φ = m/d.
Notation of derivations/linear.md.
""")
    doc.text("""
## 1. Conditioning on S: a smoother in x-space

For a fixed S, ŵ = Sᵀv̂ = P(a₁X₁ᵀy₁/n₁ + a₂X₂ᵀy₂/n₂) with P = Sᵀ(SΣ̂Sᵀ + λ)⁻¹S and
Σ̂ = a₁Σ̂₁ + a₂Σ̂₂ (push-through identity):
""")
    _check_projection_identity(doc)
    doc.text("""
So ŵ − w₁ = −(I − PΣ̂)w₁ + a₂PΣ̂₂δ + P Σ_j (a_j/n_j)X_jᵀε_j, the linear model's decomposition
with the resolvent R replaced by the smoother P.  Leaving one row out works as before,
because adding a row x of group j changes SΣ̂Sᵀ by a rank-one term in the feature space:
P x ≈ e_j P₋x with e_j = 1/(1 + γ_j tr(Σ_j P)).  Averaging I − PΣ̂ row by row replaces
Σ̂ by M = a₁e₁Σ₁ + a₂e₂Σ₂ inside P: what is left is P(M) = Sᵀ(SMSᵀ + λ)⁻¹S, random only
through S.
""")
    doc.text("""
## 2. Averaging over S: the effective ridge L

SMSᵀ = Σ_i M_i s_is_iᵀ is a sum over the d columns s_i of S.  Leave one column out: with
Q = (SMSᵀ + λ)⁻¹ and q = (1/d)Tr Q, Sherman–Morrison gives s_iᵀQs_i ≈ q/(1 + M_i q), i.e.
P_ii ≈ 1/(L + M_i) with L := 1/q, while off-diagonal entries average out.  Taking the
trace of I = Q(SMSᵀ + λ) and dividing by d: ρ = tr(Mq/(1 + Mq)) + λq.  In terms of L:
""")
    Lq = sp.Symbol("L", positive=True)
    rho_s = sp.Symbol("rho", positive=True)
    Mv = sp.Symbol("M", positive=True)
    q = 1 / Lq
    trace_eq = sp.Eq(rho_s, sp.Function("tr")(Mv * q / (1 + Mv * q)) + eq.lam * q)
    doc.math(trace_eq)
    solved = sym.solve(rho_s - Mv * q / (1 + Mv * q) - eq.lam * q, eq.lam)[0]
    doc.check(sym.simplify(solved - Lq * (rho_s - Mv / (Mv + Lq))) == 0,
              "SymPy: solving for λ (per atom, the trace being linear) gives "
              "λ = L(ρ − tr(M(M + L)⁻¹)), the equation of L in docs/theory/projections.md")
    _check_sketch_equivalent(doc)
    doc.text("The first-order system the engine derives from the expressions of §1 (K = M + L; "
             "the sketch's unknown named by L = φ/(ψ g_m)):")
    base = general_system("random_projection")
    by = dict(zip(base.unknowns, base.equations))
    for x in (eq.L_eff, eq.e1, eq.e2):
        doc.math(sp.Eq(by[x], 0))
    Kp = eq.a1 * eq.e1 * eq.S1 + eq.a2 * eq.e2 * eq.S2 + eq.L_eff
    doc.check(_proportional(by[eq.L_eff], eq.L_eff * (eq.psi / eq.phi - eq.tr((Kp - eq.L_eff) / Kp))
                            - eq.lam),
              "SymPy: the derived equation of L is λ = L(ρ − tr(MK⁻¹)), ρ = ψ/φ, times −φ/(ψL)")
    doc.text("""
## 3. Second order: one probe differentiates both levels

RΣ₁R of the linear model becomes PΣ₁P.  Both levels of averaging are captured by
perturbing the data term, M → M + tA with A = Σ₁: the rows' unknowns move with rates
u_j = ė_j and the effective ridge with rate b = L̇, and −∂_t K(t)⁻¹ = K⁻¹(Σ₁ᵉᶠᶠ + b)K⁻¹
with Σ₁ᵉᶠᶠ = ∂_tM = (1 + a₁u₁)Σ₁ + a₂u₂Σ₂.  Differentiating the fixed point gives the three linear
equations; the one for b is
""")
    doc.math(sp.Eq(by[eq.b_rate], 0))
    K = eq.a1 * eq.e1 * eq.S1 + eq.a2 * eq.e2 * eq.S2 + eq.L_eff
    M = K - eq.L_eff
    s1eff = (1 + eq.a1 * eq.u1) * eq.S1 + eq.a2 * eq.u2 * eq.S2
    stated = eq.b_rate * (eq.psi / eq.phi - eq.tr(M ** 2 / K ** 2)) - eq.L_eff ** 2 * eq.tr(s1eff / K ** 2)
    on_shell = {eq.lam: eq.L_eff * eq.psi / eq.phi - eq.L_eff * eq.tr(M / K)}
    doc.check(_proportional(by[eq.b_rate].xreplace(on_shell), stated),
              "SymPy (per atom, after merging traces; λ from the equation of L): the derived "
              "equation is, up to a nonzero factor, "
              "b(ρ − tr(M²K⁻²)) = L² tr(Σ₁ᵉᶠᶠK⁻²), the sketch term of docs/theory/projections.md; "
              "it uses M/K − LM/K² = M²/K²")
    for j in (0, 1):
        e_j, g_j, S_j = ((eq.e1, eq.gamma1, eq.S1), (eq.e2, eq.gamma2, eq.S2))[j]
        u_j = (eq.u1, eq.u2)[j]
        on_shell = by[u_j].xreplace({eq.tr(S_j / K): (1 / e_j - 1) / g_j})
        st = u_j - g_j * e_j ** 2 * eq.tr(S_j * (s1eff + eq.b_rate) / K ** 2)
        doc.check(sp.cancel(merge_traces(on_shell) - merge_traces(st / e_j)) == 0,
                  f"SymPy: on the first-order solution the equation of {u_j} is "
                  f"{u_j} = γ e² tr(Σ (Σ₁ᵉᶠᶠ + b) K⁻²)")
    doc.text("""
## 4. The error functional

Bias = Tr Θ(I − MP)Σ₁ᵉᶠᶠ(I − PM) after the row average (as in the linear model).  With
P ≍ K⁻¹ and PΣ₁ᵉᶠᶠP ≍ (Σ₁ᵉᶠᶠ + b)K⁻², it is
Θ[Σ₁ᵉᶠᶠ − 2MK⁻¹Σ₁ᵉᶠᶠ + M²(Σ₁ᵉᶠᶠ + b)K⁻²]; the engine reads it from the pencil's d-block next
to the projection, and its density is
""")
    doc.math(base.densities["bias"], r"\mathrm{Bias}\ \text{density}")
    doc.check(sp.cancel(base.densities["bias"]
                        - eq.THETA * (eq.L_eff ** 2 * s1eff + eq.b_rate * M ** 2) / K ** 2) == 0,
              "SymPy: Bias = L² tr(ΘΣ₁ᵉᶠᶠK⁻²) + b tr(ΘM²K⁻²) (I − MK⁻¹ = LK⁻¹)")
    doc.text("ζ keeps the two-point form of the linear model with the new 𝓛; compact form:")
    doc.math(base.densities["zeta"], r"\zeta\ \text{density}")
    lin = general_system("linear")
    reduce = {eq.L_eff: eq.lam, eq.b_rate: 0}
    same = all(sp.cancel(sp.sympify(base.densities[k]).xreplace(reduce) - lin.densities[k]) == 0
               for k in ("bias", "variance", "zeta"))
    doc.check(same, "SymPy: with L = λ and b = 0 the densities are exactly the linear model's")
    doc.text("""
## 5. Exact checks of the whole theorem

**Isotropic data.**  For Σ₁ = Σ₂ = I the model is the linear model in feature space with a
Marchenko–Pastur spectrum (docs/theory/projections.md; `symcollapse.analysis.reductions`, integrals by an
exponentially convergent midpoint rule refined to the requested precision).  The general
theorem above, evaluated on isotropic configs, agrees with it part by part:
""")
    iso = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]
    rows = []
    for phi, psi, lam, p2 in ((2, Fraction(1, 2), Fraction(1, 100), Fraction(1, 10)),
                              (Fraction(1, 2), 2, Fraction(1, 10), Fraction(1, 2)),
                              (2, Fraction(11, 10), Fraction(1, 1000), Fraction(1, 10)),
                              (2, 3, 0, Fraction(3, 10))):
        cfg = {"model": "random_projection", "phi": phi, "psi": psi, "lam": lam, "p2": p2,
               "sigma1": Fraction(1, 2), "sigma2": Fraction(4, 5), "atoms": iso}
        a = predict(cfg, dps=30)
        b = projection_via_linear(cfg, dps=30)
        gap = max(abs(a[k] - b[k]) for k in ("test_error", "bias", "variance", "zeta"))
        rows.append((phi, psi, lam, p2, a["test_error"], gap, b["nodes"]))
    doc.text("| φ | ψ | λ | p₂ | E_test | largest difference of the four parts | nodes |\n"
             "|---|---|---|---|---|---|---|\n" + "\n".join(
                 f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {mp.nstr(r[4], 20)} | "
                 f"{'< 1e-25' if r[5] < mp.mpf(10) ** -25 else mp.nstr(r[5], 3)} | {r[6]} |"
                 for r in rows))
    doc.check(all(r[5] < mp.mpf(10) ** -25 for r in rows),
              "the general theorem equals the Marchenko–Pastur reduction to 25 digits at all four points")
    doc.text("""
**Large models.**  ψ → ∞ with λ = λ₀ψ/φ (`limits.projection_large_psi`: ψ = 1/η, leading
order in η, η = 0):
""")
    _limit, steps = projection_large_psi()
    for st in steps:
        doc.text(st.text)
        if isinstance(st.result, dict):
            for k, v in st.result.items():
                doc.math(sp.Eq(k, v))
        doc.check(True, st.check)
    doc.text("""
At a fixed λ instead L ≈ λφ/ψ → 0 and the model tends to the ridgeless linear model: the
effective ridge vanishes as the model grows.

**n → ∞ at fixed m/d** (`limits.large_n_system`: ψ = ρφ, leading order in φ, φ = 0): the rows'
unknowns become e_j = 1, u_j = 0 and what remains is a width-ρ sketch of the population
problem, whose error is the collapse floor of a finite-width model.  The floor system:
""")
    fl = large_n_system(model_family("random_projection", "plain", (), ()))
    for x, f in zip(fl.unknowns, fl.equations):
        if x in (eq.L_eff, eq.b_rate):
            doc.math(sp.Eq(f, 0))
    trivial = {eq.e1: 1, eq.e2: 1, eq.u1: 0, eq.u2: 0}
    doc.check(all(sym.solve(f, x) == [trivial[x]] for x, f in zip(fl.unknowns, fl.equations)
                  if x in trivial), "SymPy: in the limit system e_j = 1 and u_j = 0")
    doc.math(sp.sympify(fl.densities["zeta"]).xreplace(trivial),
             r"\zeta_\infty\ \text{density}")
    narrow = floor({"model": "random_projection", "phi": 1, "psi": Fraction(1, 2), "lam": 0,
                    "p2": Fraction(3, 10), "atoms": iso})
    wide = floor({"model": "random_projection", "phi": 1, "psi": 2, "lam": 0,
                  "p2": Fraction(3, 10), "atoms": iso})
    doc.text(f"Isotropic, ridgeless, p₂ = 0.3, c² = 1: at m/d = 2 the floor is "
             f"{mp.nstr(wide['test_error'], 12)}, all of it ζ (the linear model's p₂²c² = 0.09); at "
             f"m/d = 1/2 it is {mp.nstr(narrow['test_error'], 12)} = Bias "
             f"{mp.nstr(narrow['bias'], 12)} (the part of w₁ outside the sketch, r²(1 − ρ)) + ζ "
             f"{mp.nstr(narrow['zeta'], 12)}: the narrow model sees less of the shift too.")
    with mp.workdps(40):
        ok = (abs(wide["test_error"] - mp.mpf(9) / 100) < mp.mpf(10) ** -25
              and abs(narrow["bias"] - mp.mpf(1) / 2) < mp.mpf(10) ** -25
              and narrow["test_error"] > wide["test_error"] and narrow["zeta"] < wide["zeta"])
    doc.check(ok, "a wide model (m > d) has the linear model's floor p₂²c²; a narrow one a "
                  "higher floor made of the unseen signal r²(1 − ρ), with a smaller ζ")
    doc.text("""
## 6. The ridgeless limit λ → 0⁺

`symcollapse.core.regimes` picks, from the ranks min(n, m, d): m < min(n, d): L → L₀ > 0, the
system at λ = 0; d < min(n, m): L = λℓ; n < min(d, m): L = λℓ and e_j = λε_j (each family
rescaled by `rescale` and exact for λ > 0).  m = d < n: S is invertible, least squares in x,
the linear model's value.  min(φ, ψ) = 1 with the other ≥ 1: the interpolation threshold,
a divergence unless the labels are noiseless and consistent with m ≥ d.
""")
    doc.text("""
## 7. Isotropic closed forms (Σ₁ = Σ₂ = sI, plain mixing)

`symcollapse.analysis.limits.isotropic("random_projection", side)` expands the general system on one
symbolic atom and reduces it.  After the symmetric reduction the equation of e₁ is linear in
L, which leaves one polynomial in e₁: a cubic for λ > 0, whose physical root is the largest
real root (written out by `limits.largest_real_root`: trigonometric form when the three roots
are real, Cardano's real root otherwise), and linear factors on the ridgeless sides.
""")
    _render_isotropic(doc, "random_projection", (
        ("ridge", "λ > 0"), ("sketch", "λ → 0⁺, ψ < min(1, φ)"),
        ("features", "λ → 0⁺, φ < min(1, ψ)"), ("interpolating", "λ → 0⁺, φ > 1 and ψ > 1")))
    worst = mp.mpf(0)
    rng = random.Random(11)
    for _ in range(6):
        phi, psi = Fraction(rng.randint(1, 30), 10), Fraction(rng.randint(1, 30), 10)
        if phi == psi or 1 in (phi, psi):
            continue
        for lam in (Fraction(rng.randint(1, 20), 17), 0):
            cfg = {"model": "random_projection", "phi": phi, "psi": psi, "lam": lam,
                   "p2": Fraction(rng.randint(0, 10), 10), "sigma1": Fraction(1, 2),
                   "sigma2": Fraction(1, 3), "atoms": [{"weight": 1, "s1": Fraction(3, 2),
                                                        "s2": Fraction(3, 2), "theta": 1, "delta": 2}]}
            num = _predict(cfg, dps=40)
            with mp.workdps(45):
                for part in ("test_error", "zeta"):
                    v = mp.mpf(str(sp.N(closed_form(cfg, part), 45)))
                    worst = max(worst, abs(v - num[part]) / (1 + abs(v)))
    doc.check(worst < mp.mpf(10) ** -35,
              "`closed_form` (cubic root for λ > 0, the Piecewise over the ridgeless sides) equals "
              f"predict at random rational points on every side, to 35 digits (worst {bound_text(worst, 35)})")
    doc.text(f"\n_{doc.checks} checks passed._\n")
    return doc.render()


def _module_document(name: str):
    """The ``document()`` of ``symcollapse.derive.<name>``, imported when rendered."""
    def build() -> str:
        return importlib.import_module(f".{name}", __package__).document()
    build.__name__ = f"_{name}_document"
    return build


DOCUMENTS = {
    "projections": ("derivations/projections.md", projections_document,
                    "random projections: conditioning on S, effective ridge L, sketch term b, limits"),
    "linear": ("derivations/linear.md", linear_document,
               "the linear model: fixed point, Bias + Var + ζ, ridgeless sides, closed forms"),
    "limits": ("derivations/limits.md", _module_document("limits"),
               "every limit (p2, c², λ → 0⁺, λ → ∞, ψ → ∞, n → ∞) with its first-order term"),
    "scaling": ("derivations/scaling.md", _module_document("scaling"),
                "power-law scaling laws, the tuned ridge, the plateau and the crossover n*"),
    "mixing": ("derivations/mixing.md", _module_document("mixing"),
               "weighted mixing (α*, the floor in α) and iterative mixing (the recursion, its limit)"),
    "training": ("derivations/training.md", _module_document("training"),
                 "the training error on a mixture (G₂ along Σ₂), df, GCV and its bias"),
    "schedules": ("derivations/schedules.md", _module_document("schedules"),
                  "a vanishing synthetic share p2 = κn^(−a): the exponent, a* and the constant"),
    "kinds": ("derivations/kinds.md", _module_document("kinds"),
              "kinds of synthetic data at equal c²: the floor per unit c², takeover sizes"),
    "adaptive": ("derivations/adaptive.md", _module_document("adaptive"),
                 "adaptive mixing: α_n = 1 − κn^(−b), the α* path, per-generation schedules"),
    "loops": ("derivations/loops.md", _module_document("loops"),
              "self-consuming loops: replace and accumulate, fixed and fresh design, limits"),
    "pencil": ("derivations/pencil.md", _module_document("pencil"),
               "the linear-pencil engine: pencils, the operator-valued fixed point, random features"),
}


def to_latex(markdown: str) -> str:
    r"""A standalone LaTeX document from a derivation's Markdown (for xelatex or lualatex,
    which read its Unicode text): headings become sections, ``$$…$$`` display math
    ``\[…\]``, checks bold paragraphs, indented blocks verbatim and tables tabulars."""
    lines = markdown.splitlines()
    out = [r"\documentclass{article}", r"\usepackage{amsmath,amssymb}", r"\usepackage{fontspec}",
           r"\usepackage[margin=2cm]{geometry}", r"\begin{document}"]
    i = 0

    def inline(text):
        parts = re.split(r"(\$[^$]+\$)", text)
        esc = []
        for p in parts:
            if p.startswith("$") and p.endswith("$") and len(p) > 1:
                esc.append(p)
            else:
                p = p.replace("\\", r"\textbackslash{}")
                for ch in "&%#_{}":
                    p = p.replace(ch, "\\" + ch)
                p = re.sub(r"\*\*(.+?)\*\*", r"\\textbf{\1}", p)
                p = re.sub(r"`([^`]+)`", r"\\texttt{\1}", p)
                esc.append(p)
        return "".join(esc)

    while i < len(lines):
        line = lines[i]
        if line.startswith("$$"):
            j = i + 1
            body = []
            while j < len(lines) and not lines[j].startswith("$$"):
                body.append(lines[j])
                j += 1
            out.append(r"\[" + "\n".join(body) + r"\]")
            i = j + 1
            continue
        if line.startswith("# "):
            out.append(r"\section*{" + inline(line[2:]) + "}")
        elif line.startswith("## "):
            out.append(r"\subsection*{" + inline(line[3:]) + "}")
        elif line.startswith("### "):
            out.append(r"\subsubsection*{" + inline(line[4:]) + "}")
        elif line.startswith("> "):
            out.append(r"\par\noindent " + inline(line[2:]) + r"\par")
        elif line.startswith("    "):
            block = []
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                block.append(lines[i][4:])
                i += 1
            out.append(r"\begin{verbatim}" + "\n" + "\n".join(block).rstrip() + "\n" + r"\end{verbatim}")
            continue
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(set(c) <= set("-: ") for c in cells):
                    rows.append(" & ".join(inline(c) for c in cells) + r" \\")
                i += 1
            width = rows[0].count(" & ") + 1 if rows else 1
            out.append(r"\begin{tabular}{" + "l" * width + "}\n" + "\n".join(rows) + "\n" + r"\end{tabular}")
            continue
        else:
            out.append(inline(line))
        i += 1
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"


def listing() -> str:
    rows = [f"{name:10s} {path:28s} {what}" for name, (path, _f, what) in DOCUMENTS.items()]
    return "available derivations (symcollapse derive NAME):\n" + "\n".join(rows) + "\n"


def render(name: str) -> str:
    if name not in DOCUMENTS:
        raise ConfigError(f"derive: {name!r} is not a derivation: allowed "
                          + ", ".join(DOCUMENTS))
    return DOCUMENTS[name][1]()


def _root() -> Path:
    for base in (Path.cwd(), Path(__file__).resolve().parent.parent):
        if (base / "derivations").is_dir() and (base / "symcollapse").is_dir():
            return base
    raise ConfigError("derivations/ not found: run from a checkout of the project")


def _render_all() -> dict:
    """Every document's text.  They are independent, so with more than one core they are
    rendered in fresh worker processes (spawned: nothing inherited), the longest first;
    the texts do not depend on where they were rendered."""
    names = sorted(DOCUMENTS, key=lambda n: -_COST.get(n, 1))
    workers = min(2, os.cpu_count() or 1)
    if workers < 2:
        return {n: render(n) for n in names}
    with ProcessPoolExecutor(max_workers=workers,
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {n: pool.submit(render, n) for n in names}
        return {n: f.result() for n, f in futures.items()}


#: Rough relative rendering costs (seconds on 2 cores), to start the longest first.
_COST = {"limits": 70, "scaling": 30, "projections": 13, "mixing": 6, "training": 5, "schedules": 10,
         "kinds": 14, "adaptive": 16, "pencil": 20, "loops": 15,
         "linear": 1}


def check(out) -> int:
    """Regenerate every document and compare with the committed file; 1 if any differs."""
    root = _root()
    failed = 0
    texts = _render_all()
    for name, (path, fn, _what) in DOCUMENTS.items():
        fresh = texts[name]
        target = root / path
        old = target.read_text(encoding="utf-8") if target.exists() else ""
        if old == fresh:
            out.write(f"ok    {path}\n")
        else:
            failed += 1
            out.write(f"DIFF  {path}\n")
            diff = difflib.unified_diff(old.splitlines(), fresh.splitlines(), "committed",
                                        "regenerated", lineterm="", n=1)
            for i, line in enumerate(diff):
                if i >= 40:
                    out.write("      ...\n")
                    break
                out.write("      " + line + "\n")
    return 1 if failed else 0


def write_all(out) -> int:
    root = _root()
    texts = _render_all()
    for name, (path, fn, _what) in DOCUMENTS.items():
        text = texts[name]
        replace_text(root / path, text, key="derive --write")
        out.write(f"wrote {path}\n")
    return 0
