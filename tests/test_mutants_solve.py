"""The solver's contract (symcollapse.solve), on small systems whose answers are known
exactly: the equilibrated LU, the Newton stopping rule relative to each unknown, steps in
log x for positive unknowns, the rounding floor met by raising the precision, the
continuations in float64 and mpmath.  (These tests also kill the module's mutants:
tests/MUTATION.md.)"""
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

from symcollapse import equations as eq
from symcollapse import solve as S
from symcollapse.compiled import AtomArrays, atoms_float, compile_system
from symcollapse.errors import ConvergenceError
from symcollapse.spec import Atom

x, y = sp.symbols("x y", positive=True)
a, b = sp.symbols("a b", positive=True)
ONE_ATOM = (Atom(Fraction(1), Fraction(1), Fraction(1), Fraction(1), Fraction(1)),)


def system(name, unknowns, equations, guess, positive=None):
    return eq.System(name=name, unknowns=tuple(unknowns), equations=tuple(equations),
                     densities={"out": unknowns[0]},
                     positive=tuple(unknowns if positive is None else positive),
                     guess=guess)


def atoms_mp_one():
    return AtomArrays([mp.mpf(1)], [mp.mpf(1)], [mp.mpf(1)], [mp.mpf(1)], [mp.mpf(1)])


# ----------------------------------------------------------------------------- the LU

def test_factored_solves_a_badly_scaled_system_exactly_enough():
    J_ = sp.Matrix([[sp.Integer(10) ** 50, 2], [3, 4 * sp.Integer(10) ** -50]])
    with mp.workdps(40):
        J = mp.matrix([[mp.mpf(10) ** 50, 2], [3, 4 * mp.mpf(10) ** -50]])
        got = S.Factored(J).solve(mp.matrix([1, 1]))
        inv = S.Factored(J).inverse()
        for g, w in zip(got, J_.LUsolve(sp.Matrix([1, 1]))):
            w = mp.mpf(sp.N(w, 60))
            assert abs(g - w) <= abs(w) * mp.mpf(10) ** -35
        exact = J_.inv()
        for i in range(2):
            for j in range(2):
                w = mp.mpf(sp.N(exact[i, j], 60))
                assert abs(inv[i, j] - w) <= abs(w) * mp.mpf(10) ** -35


def test_factored_pivots_rows():
    with mp.workdps(30):
        J = mp.matrix([[0, 1], [1, 0]])
        assert list(S.Factored(J).solve(mp.matrix([2, 3]))) == [3, 2]
        J3 = mp.matrix([[0, 0, 1], [2, 0, 0], [0, 5, 0]])
        assert list(S.Factored(J3).solve(mp.matrix([1, 4, 10]))) == [2, 2, 1]


@pytest.mark.parametrize("J, message", [
    ([[1, 0], [2, 0]], "a column of the Jacobian is 0"),
    ([[1, 2], [0, 0]], "a row of the Jacobian is 0"),
    ([[1, 2], [2, 4]], "a pivot of the equilibrated Jacobian is 0"),
])
def test_factored_refuses_singular(J, message):
    with mp.workdps(30):
        with pytest.raises(S.NearlySingular, match=message):
            S.Factored(mp.matrix(J))


def test_a_pivot_below_the_precision_is_resolved_by_more_digits():
    J = [[1, 1], [1, 1 + mp.mpf(10) ** -40]]
    with mp.workdps(30):
        with pytest.raises(S.NearlySingular, match="pivot of the equilibrated Jacobian"):
            S.Factored(mp.matrix([[1, 1], [1, 1 + mp.mpf(10) ** -40]]))
    with mp.workdps(60):
        J = mp.matrix([[1, 1], [1, 1 + mp.mpf(10) ** -40]])
        sol = S.Factored(J).solve(mp.matrix([2, 2 + mp.mpf(10) ** -40]))
        assert abs(sol[0] - 1) < mp.mpf(10) ** -15 and abs(sol[1] - 1) < mp.mpf(10) ** -15


def test_factor_turns_singularity_into_a_precision_limit():
    with mp.workdps(30):
        with pytest.raises(S.PrecisionLimited,
                           match=r"singular Jacobian at iteration 3 at 30 digits \(a column"):
            S._factor(mp.matrix([[1, 0], [1, 0]]), 3, mp.mpf(5))


# ----------------------------------------------------------------------------- measures and steps

def test_corrections_strict_and_scaled():
    with mp.workdps(30):
        xs = mp.matrix([mp.mpf(2), mp.mpf("1e-20"), mp.mpf(0), mp.mpf(4)])
        step = mp.matrix([mp.mpf("2e-3"), mp.mpf("1e-30"), 0, mp.mpf(1)])
        strict, scaled = S._corrections(step, xs, pos=[0, 1])
        assert strict == mp.mpf("0.25")           # unknown 3: 1/4
        assert scaled == mp.mpf("0.25")           # unknown 3 (not positive): 1/‖x‖ = 1/4
        strict, scaled = S._corrections(mp.matrix([0, 0, mp.mpf(1), 0]), xs, pos=[0, 1])
        assert strict == mp.inf and scaled == mp.mpf("0.25")
        # positive unknowns are measured relative to themselves
        strict, scaled = S._corrections(mp.matrix([0, mp.mpf("1e-21"), 0, 0]), xs, pos=[0, 1])
        assert scaled == strict and abs(strict - mp.mpf("0.1")) < mp.mpf(10) ** -28
        strict, scaled = S._corrections(mp.matrix([0, mp.mpf("1e-21"), 0, 0]), xs, pos=[0])
        assert abs(strict - mp.mpf("0.1")) < mp.mpf(10) ** -28
        assert abs(scaled - mp.mpf("1e-21") / 4) < mp.mpf(10) ** -50
        assert S._corrections(mp.matrix([0, 0, 0, 0]), xs, pos=[]) == (0, 0)


def test_advance_moves_positive_unknowns_in_log_where_a_step_would_cross_zero():
    with mp.workdps(30):
        xs = mp.matrix([mp.mpf(2), mp.mpf(1), mp.mpf(-1)])
        step = mp.matrix([mp.mpf(1), mp.mpf(3), mp.mpf(5)])
        out = S._advance(xs, step, 1, pos=[0, 1])
        assert out[0] == 1                              # stays positive: linear
        assert abs(out[1] - mp.exp(-3)) < mp.mpf(10) ** -25   # would be -2: x·e^{-Δ/x}
        assert out[2] == -6                             # not a positive unknown
        half = S._advance(xs, step, mp.mpf("0.5"), pos=[0, 1])
        assert half[0] == mp.mpf("1.5") and abs(half[1] - mp.exp(mp.mpf(-1.5))) < mp.mpf(10) ** -25
        far = S._advance(mp.matrix([mp.mpf(1)]), mp.matrix([mp.mpf(10) ** 6]), 1, pos=[0])
        assert abs(far[0] - mp.exp(-S.LOG_STEP)) < mp.mpf(10) ** -40   # clamped at e^-50


def test_spread_digits_and_float_representable():
    assert S.spread_digits([Fraction(1, 10 ** 50), 10 ** 50, 0, 3]) == 100
    assert S.spread_digits([Fraction(7), Fraction(7)]) == 0
    assert S.spread_digits([]) == 0 and S.spread_digits([0, 0]) == 0
    assert S.spread_digits([Fraction(1, 10 ** 400), 1]) == 400
    assert S.spread_digits([2, 3]) == 1
    assert S._float_representable([Fraction(1, 2), 0, 10 ** 10])
    assert not S._float_representable([Fraction(1, 10 ** 290)])
    assert not S._float_representable([10 ** 290])
    assert not S._float_representable([Fraction(1, 10 ** 400)])


# ----------------------------------------------------------------------------- Newton in mpmath

def _sqrt_system():
    """x² = a (x > 0): the positive root √a."""
    return compile_system(system("sqrt", [x], [x ** 2 - a], {x: 1}))


def test_newton_converges_relative_to_each_unknown():
    c = _sqrt_system()
    for target in (mp.mpf(2), mp.mpf("1e-60"), mp.mpf("1e60")):
        with mp.workdps(50):
            sol = S.newton_mp(c, [mp.sqrt(target) * mp.mpf("1.1")], [target], atoms_mp_one(),
                              tol=mp.mpf(10) ** -42)
            assert abs(sol.x[0] / mp.sqrt(target) - 1) < mp.mpf(10) ** -42
            assert sol.iterations < 12 and sol.correction is not None
            assert sol.residual < abs(target)


def test_newton_keeps_positive_unknowns_positive():
    """1 − a/x = 0 from x = 1 with a = 10⁻²⁰: the linear step 2x − x²/a would go far below
    0; the step in log x lands below the root, and Newton converges from there."""
    c = compile_system(system("recip", [x], [1 - a / x], {x: 1}))
    with mp.workdps(40):
        sol = S.newton_mp(c, [mp.mpf(1)], [mp.mpf("1e-20")], atoms_mp_one(),
                          tol=mp.mpf(10) ** -30)
        assert abs(sol.x[0] / mp.mpf("1e-20") - 1) < mp.mpf(10) ** -30


def test_newton_reports_failures():
    c = compile_system(system("none", [x], [x ** 2 + a], {x: 1}))   # no real root
    with mp.workdps(30):
        with pytest.raises(ConvergenceError):
            S.newton_mp(c, [mp.mpf(1)], [mp.mpf(1)], atoms_mp_one(), tol=mp.mpf(10) ** -20,
                        maxiter=30)
    lin = compile_system(system("lin", [x], [x - 1], {x: 1}, positive=()))
    with mp.workdps(30):
        with pytest.raises(ConvergenceError, match="did not converge in 0 iterations"):
            S.newton_mp(lin, [mp.mpf(5)], [], atoms_mp_one(), tol=mp.mpf(10) ** -20, maxiter=0)


def _tangent_system():
    """x + y = 2, x + (1 + b) y = 2 + b: (1, 1) for every b, with condition ~ 1/b."""
    return compile_system(system("near", [x, y], [x + y - 2, x + (1 + b) * y - 2 - b],
                                 {x: 1, y: 1}, positive=()))


def test_the_rounding_floor_raises_the_precision():
    c = _tangent_system()
    tiny = Fraction(1, 10 ** 60)
    with mp.workdps(45):
        with pytest.raises(S.PrecisionLimited) as info:
            S.newton_mp(c, [mp.mpf(3), mp.mpf(0)], [mp.mpf(tiny.numerator) / tiny.denominator],
                        atoms_mp_one(), tol=mp.mpf(10) ** -37)
        assert info.value.x is not None and len(info.value.x) == 2
        sol = S.newton_to_tolerance(c, [mp.mpf(3), mp.mpf(0)], {b: tiny}, ONE_ATOM)
        assert all(abs(v - 1) < mp.mpf(10) ** -37 for v in sol.x)


def test_newton_to_tolerance_gives_up_beyond_the_largest_guard():
    c = _tangent_system()
    with mp.workdps(20):
        with pytest.raises(ConvergenceError, match=r"\(and up to \d+ digits\)"):
            S.newton_to_tolerance(c, [mp.mpf(3), mp.mpf(0)], {b: Fraction(1, 10 ** 900)},
                                  ONE_ATOM)


def test_guide_accepts_the_floor_only_in_the_quadratic_zone():
    c = _tangent_system()
    with mp.workdps(45):
        p = [mp.mpf(10) ** -60]
        with pytest.raises(ConvergenceError):
            S._guide(c, [mp.mpf(3), mp.mpf(0)], p, atoms_mp_one(), mp.mpf(10) ** -37)


# ----------------------------------------------------------------------------- the model systems

def _linear(lam, phi=Fraction(1, 2), p2=Fraction(1, 5)):
    from symcollapse.regimes import linear_family
    c = compile_system(linear_family("plain", (), False))
    params = {eq.phi: phi, eq.p2: p2, eq.lam: lam, eq.sigma1: Fraction(1, 2),
              eq.sigma2: Fraction(1, 2)}
    return c, params


def _iso_e(lam, phi):
    """Isotropic plain mixing: e solves e(1 + φ/(e + λ)) = 1."""
    with mp.workdps(80):
        lam, phi = mp.mpf(lam.numerator) / lam.denominator, mp.mpf(phi.numerator) / phi.denominator
        return (1 - phi - lam + mp.sqrt((1 - phi - lam) ** 2 + 4 * lam)) / 2


@pytest.mark.parametrize("lam", [Fraction(1, 10), Fraction(1, 10 ** 8), Fraction(10 ** 6)])
def test_solve_point_on_the_isotropic_closed_form(lam):
    c, params = _linear(lam)
    with mp.workdps(45):
        sol = S.solve_point(c, params, ONE_ATOM, dps=30)
        e1 = sol.x[c.unknowns.index(eq.e1)]
        assert abs(e1 / _iso_e(lam, params[eq.phi]) - 1) < mp.mpf(10) ** -36
        warm = S.solve_point(c, params, ONE_ATOM, dps=30, warm=sol.x)
        assert warm.iterations <= 2 and abs(warm.x[0] - sol.x[0]) < mp.mpf(10) ** -36


def test_mpmath_continuation_reaches_tiny_scales():
    """s = 10⁻²⁰⁰ (float64 cannot represent its square): the mpmath continuation goes
    below every spectral scale, λ = 10⁻²⁰⁰ lam solved relative to e."""
    from symcollapse.compiled import atoms_mp
    c, params = _linear(Fraction(1, 10 ** 210))
    tiny = (Atom(Fraction(1), Fraction(1, 10 ** 200), Fraction(1, 10 ** 200), Fraction(1),
                 Fraction(1)),)
    with mp.workdps(45):
        x0 = S.continuation_mp(c, c.values_mp(params), atoms_mp(tiny))
        sol = S.newton_to_tolerance(c, x0, params, tiny)
        e1 = sol.x[c.unknowns.index(eq.e1)]
        # scale invariance: s and λ scaled together leave e unchanged (λ/s = 10⁻¹⁰)
        assert abs(e1 / _iso_e(Fraction(1, 10 ** 10), params[eq.phi]) - 1) < mp.mpf(10) ** -30


# ----------------------------------------------------------------------------- float64 path

def test_float64_continuation_and_curve_order_solve():
    c, params = _linear(Fraction(1, 10))
    lams = np.array([1e-6, 1e-3, 0.1, 1.0, 30.0])
    rows = []
    for lam in lams:
        p = {**params, eq.lam: lam}
        rows.append([float(p[s]) for s in c.params])
    p = np.array(rows)
    A = atoms_float(ONE_ATOM)
    xs, ok, res = S.continuation_np(c, p, A)
    assert ok.all() and np.all(res < 1e-10)
    k = c.unknowns.index(eq.e1)
    for i, lam in enumerate(lams):
        want = float(_iso_e(Fraction(lam).limit_denominator(10 ** 12), params[eq.phi]))
        assert xs[i, k] == pytest.approx(want, rel=1e-9)
    many = np.repeat(p, 20, axis=0)          # P > 2·stride: anchors and interpolated starts
    x2, ok2, _ = S.solve_along(c, many, A, stride=8)
    assert ok2.all() and np.allclose(x2[::20], xs, rtol=1e-9)
    x3, ok3, _ = S.newton_np(c, xs * 1.01, p, A)
    assert ok3.all() and np.allclose(x3, xs, rtol=1e-10)


def test_batched_inverse_marks_singular_matrices():
    J = np.array([np.eye(2), [[1.0, 2.0], [2.0, 4.0]]])
    inv = S._batched_inverse(J)
    assert np.allclose(inv[0], np.eye(2)) and np.all(np.isnan(inv[1]))
