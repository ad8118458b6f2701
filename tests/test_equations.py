"""The symbolic systems: traces, derived second order, compact ζ, ridgeless rescaling."""
import sympy as sp

from oracles import statements as st
from symcollapse.core import equations as eq
from symcollapse.core.regimes import linear_family


def test_trace_is_linear_and_commutes_with_derivatives():
    x = sp.Symbol("x")
    assert eq.tr(3 * x * eq.S1 + 2) == 3 * x * eq.tr(eq.S1) + 2
    assert eq.tr(x) == x
    f = eq.S1 / (x * eq.S1 + 1)
    assert sp.diff(eq.tr(f), x) == eq.tr(sp.diff(f, x))


def test_expand_traces_on_atoms():
    from fractions import Fraction

    from symcollapse.core.spec import Atom
    atoms = [Atom(Fraction(1, 4), 2, 1, 1, 0), Atom(Fraction(3, 4), 1, 3, 2, 1)]
    system = eq.System("t", (eq.e1,), (eq.e1 * eq.tr(eq.S1) - 1,), {"x": eq.S1 * eq.THETA})
    ex = system.expand_traces(atoms)
    assert sp.simplify(ex.equations[0] - (eq.e1 * sp.Rational(5, 4) - 1)) == 0
    assert ex.densities["x"] == sp.Rational(1, 4) * 2 + sp.Rational(3, 4) * 2


def test_second_order_is_derived_and_linear_in_u():
    system = st.linear_system()
    for f in system.equations[2:]:
        for u in (eq.u1, eq.u2):
            assert sp.diff(f, u, 2) == 0
    # the derived u equations hold at u = ė for a finite-difference check of the first order
    # (done numerically in test_solve); here: the density of L[Σ1] is Σ1eff / K²
    K = eq.a1 * eq.e1 * eq.S1 + eq.a2 * eq.e2 * eq.S2 + eq.lam
    s1eff = (1 + eq.a1 * eq.u1) * eq.S1 + eq.a2 * eq.u2 * eq.S2
    assert sp.simplify(system.densities["bias"] - eq.lam ** 2 * eq.THETA * s1eff / K ** 2) == 0


def test_compact_zeta_matches_the_stated_theorem():
    system = st.linear_system()
    K = eq.a1 * eq.e1 * eq.S1 + eq.a2 * eq.e2 * eq.S2 + eq.lam
    stated = (eq.a2 ** 2 * eq.e2 ** 2 * (1 + eq.a1 * eq.u1) * eq.DELTA * eq.S1 * eq.S2 ** 2 / K ** 2
              + eq.a2 * eq.u2 * eq.DELTA * eq.S2 * (eq.a1 * eq.e1 * eq.S1 + eq.lam) ** 2 / K ** 2)
    assert sp.simplify(system.densities["zeta"] - stated) == 0


def test_absent_group_is_pruned():
    fam = linear_family("plain", ((eq.p2, 0),), False)
    assert fam.unknowns == (eq.e1, eq.u1)
    assert fam.densities["zeta"] == 0


def test_interpolating_family_is_exact_for_positive_lambda():
    """The rescaled family at λ > 0 has the same solutions as the direct one."""
    direct = linear_family("plain", (), False)
    over = linear_family("plain", (), True)
    eps1, eps2 = over.unknowns[:2]
    # substitute e_j = λ ε_j into the direct equations: must be proportional to the rescaled
    for f_direct, f_over in zip(direct.equations[:2], over.equations[:2]):
        moved = f_direct.xreplace({eq.e1: eq.lam * eps1, eq.e2: eq.lam * eps2})
        moved = moved.replace(eq.tr, lambda g: eq.tr(sp.factor_terms(g)))
        assert sp.simplify(moved - f_over) == 0
