"""The solver's contract (symcollapse.core.solve), on small systems whose answers are known
exactly: the equilibrated LU, the Newton stopping rule relative to each unknown, steps in
log x for positive unknowns, the rounding floor met by raising the precision, the
continuations in float64 and mpmath.  (These tests also kill the module's mutants:
tests/MUTATION.md.)"""
import dataclasses
import re
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

from symcollapse.core import equations as eq, solve as S
from symcollapse.core.compiled import AtomArrays, atoms_float, atoms_mp, compile_system
from symcollapse.core.errors import ConvergenceError
from symcollapse.core.spec import Atom

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
    from symcollapse.core.regimes import linear_family
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
    from symcollapse.core.compiled import atoms_mp
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


# ----------------------------------------------------------------------------- precision schedules

def test_floor_zone_is_half_the_working_digits():
    for dps, half in ((30, 15), (31, 15), (45, 22)):
        with mp.workdps(dps):
            assert S._floor_zone() == mp.mpf(10) ** -half


def test_continued_raises_the_guard_by_doubling_up_to_the_largest(monkeypatch):
    """The mpmath continuation runs at the working precision w, then, where it stalls, at
    w + 15, w + 30, w + 60, ... while the guard stays within max_guard(w)."""
    from symcollapse.core.precision import max_guard
    c = _sqrt_system()
    seen = []

    def stalls_below(limit):
        def fake(c_, p, atoms):
            seen.append(mp.mp.dps)
            assert p == [mp.mpf(4)]
            if mp.mp.dps < limit:
                raise ConvergenceError("stalled")
            return [mp.mpf(2)]
        return fake

    with mp.workdps(40):
        monkeypatch.setattr(S, "continuation_mp", stalls_below(40))
        assert S._continued(c, {a: Fraction(4)}, ONE_ATOM) == [2] and seen == [40]
        seen.clear()
        monkeypatch.setattr(S, "continuation_mp", stalls_below(100))
        assert S._continued(c, {a: Fraction(4)}, ONE_ATOM) == [2]
        assert seen == [40, 55, 70, 100]
        seen.clear()
        monkeypatch.setattr(S, "continuation_mp", stalls_below(10 ** 6))
        with pytest.raises(ConvergenceError, match=r"^stalled \(up to 520 digits\)$"):
            S._continued(c, {a: Fraction(4)}, ONE_ATOM)
        assert seen == [40, 55, 70, 100, 160, 280, 520] and max_guard(40) == 480


def test_newton_to_tolerance_raises_the_guard_by_doubling(monkeypatch):
    """Each PrecisionLimited restarts Newton from the caller's start (the lower
    precision's iterate may be rounding noise) with the guard doubled (15, 30, 60, ...),
    at the tolerance of the caller's precision."""
    c = _sqrt_system()
    seen = []

    def fake(c_, x, p, atoms, *, tol):
        seen.append((mp.mp.dps, [float(v) for v in x], tol))
        if mp.mp.dps < 90:
            raise S.PrecisionLimited("floor", [mp.mpf(len(seen))], mp.mpf(1))
        return S.Solution(x=list(x), residual=0, step=0, iterations=1)

    monkeypatch.setattr(S, "newton_mp", fake)
    monkeypatch.setattr(S, "frozen_newton", lambda *a, **k: None)   # the full Newton only
    with mp.workdps(30):
        sol = S.newton_to_tolerance(c, [mp.mpf(7)], {a: Fraction(4)}, ONE_ATOM)
    tol = mp.mpf(10) ** -22
    assert [s[0] for s in seen] == [30, 45, 60, 90]
    assert [s[1] for s in seen] == [[7.0]] * 4
    assert all(abs(s[2] / tol - 1) < mp.mpf(10) ** -20 for s in seen)
    assert sol.x == [7] and sol.extra == 60
    seen.clear()
    given = mp.mpf("1e-5")
    with mp.workdps(30):
        S.newton_to_tolerance(c, [mp.mpf(7)], {a: Fraction(4)}, ONE_ATOM, tol=given)
    assert all(s[2] is given for s in seen)


def test_newton_to_tolerance_names_the_digits_it_gave_up_at(monkeypatch):
    def fake(c_, x, p, atoms, *, tol):
        raise S.PrecisionLimited("floor", [mp.mpf(1)], mp.mpf(1))

    monkeypatch.setattr(S, "newton_mp", fake)
    monkeypatch.setattr(S, "frozen_newton", lambda *a, **k: None)   # the full Newton only
    with mp.workdps(30):
        with pytest.raises(ConvergenceError, match=r"^floor \(and up to 510 digits\)$") as info:
            S.newton_to_tolerance(_sqrt_system(), [mp.mpf(7)], {a: Fraction(4)}, ONE_ATOM)
    assert not isinstance(info.value, S.PrecisionLimited)


def test_newton_to_tolerance_records_and_accepts_a_guard(monkeypatch):
    """The guard a solve needed is returned in ``extra``; a related solve given it starts
    there (and doubles from it)."""
    seen = []

    def fake(c_, x, p, atoms, *, tol):
        seen.append(mp.mp.dps)
        if mp.mp.dps < 70:
            raise S.PrecisionLimited("floor", list(x), mp.mpf(1))
        return S.Solution(x=list(x), residual=0, step=0, iterations=1)

    monkeypatch.setattr(S, "newton_mp", fake)
    monkeypatch.setattr(S, "frozen_newton", lambda *a, **k: None)   # the full Newton only
    with mp.workdps(30):
        sol = S.newton_to_tolerance(_sqrt_system(), [mp.mpf(7)], {a: Fraction(4)}, ONE_ATOM)
        assert seen == [30, 45, 60, 90] and sol.extra == 60
        seen.clear()
        sol = S.newton_to_tolerance(_sqrt_system(), [mp.mpf(7)], {a: Fraction(4)}, ONE_ATOM,
                                    extra=sol.extra)
        assert seen == [90] and sol.extra == 60
        seen.clear()
        sol = S.newton_to_tolerance(_sqrt_system(), [mp.mpf(7)], {a: Fraction(4)}, ONE_ATOM,
                                    extra=20)
        assert seen == [50, 70] and sol.extra == 40


def test_training_solve_starts_at_the_test_solves_guard():
    """A weighted point whose test-error solve needs over 100 guard digits: the training
    system, started there, converges (it failed when restarted at the working precision)."""
    import symcollapse as sc
    cfg = {"model": "linear", "strategy": "weighted", "phi": Fraction(100000000001, 10 ** 11),
           "p2": 1 - Fraction(1, 10 ** 12), "lam": Fraction(1, 10 ** 40), "sigma1": 0,
           "sigma2": 0, "alpha": 1 - Fraction(1, 10 ** 40),
           "atoms": [{"weight": Fraction(1, 3), "s1": 3, "s2": Fraction(1, 10 ** 11),
                      "theta": 10 ** 20, "delta": 1},
                     {"weight": Fraction(2, 3), "s1": Fraction(1, 2), "s2": 10 ** 37,
                      "theta": 10, "delta": 0}]}
    low, high = sc.predict(cfg, dps=20), sc.predict(cfg, dps=40)
    for k in ("df", "train_error", "train_error_synthetic"):
        assert 0 < low[k] and mp.nstr(low[k], 20) == mp.nstr(high[k], 20), k


# ----------------------------------------------------------------------------- small pieces

def test_precision_limited_carries_the_iterate_and_its_correction():
    e = S.PrecisionLimited("msg", [1, 2], mp.mpf("0.5"))
    assert isinstance(e, ConvergenceError) and str(e) == "msg"
    assert e.x == [1, 2] and e.relative == mp.mpf("0.5")


def test_step_refuses_a_non_finite_correction():
    with mp.workdps(30):
        LU = S.Factored(mp.matrix([[1, 0], [0, 2]]))
        assert list(S._step(LU, mp.matrix([2, 4]), 1)) == [2, 2]
        with pytest.raises(ConvergenceError, match=r"^Newton: non-finite step at iteration 4$"):
            S._step(LU, mp.matrix([mp.inf, 1]), 4)
        with pytest.raises(ConvergenceError, match="non-finite"):
            S._step(LU, mp.matrix([1, mp.nan]), 4)


def test_factor_message_names_iteration_digits_reason_and_residual():
    with mp.workdps(30):
        with pytest.raises(S.PrecisionLimited) as info:
            S._factor(mp.matrix([[1, 2], [0, 0]]), 7, mp.mpf("0.00125"))
    assert str(info.value) == ("Newton: singular Jacobian at iteration 7 at 30 digits "
                               "(a row of the Jacobian is 0; residual 0.00125)")
    assert info.value.x is None and info.value.relative == mp.inf
    with mp.workdps(30):
        assert S._factor(mp.matrix([[2]]), 1, 0).solve(mp.matrix([4]))[0] == 2


def test_spectral_scale_is_the_largest_atom_value():
    A = AtomArrays(np.ones(2), np.array([0.5, 3.0]), np.array([2.0, 0.25]), np.ones(2),
                   np.ones(2))
    assert S._spectral_scale(A) == 3.0
    A = AtomArrays(np.ones(1), np.array([0.5]), np.array([7.0]), np.ones(1), np.ones(1))
    assert S._spectral_scale(A) == 7.0
    zero = AtomArrays(np.ones(1), np.zeros(1), np.zeros(1), np.ones(1), np.ones(1))
    assert S._spectral_scale(zero) == 1.0
    empty = AtomArrays(np.ones(0), np.zeros(0), np.zeros(0), np.ones(0), np.ones(0))
    assert S._spectral_scale(empty) == 1.0


def test_positive_index_lists_the_positive_unknowns():
    c = compile_system(system("pair", [x, y], [x - 1, y - 2], {x: 1, y: 1}, positive=(y,)))
    assert list(S._positive_index(c)) == [1]
    assert list(S._positive_index(_tangent_system())) == []


def test_float_representable_bounds_are_inclusive():
    assert S._float_representable([Fraction(1, 10 ** 280), 10 ** 280, 0, Fraction(-3, 7)])
    assert not S._float_representable([Fraction(-1, 10 ** 281)])
    assert not S._float_representable([-10 ** 281])
    assert not S._float_representable([mp.inf]) and not S._float_representable([mp.nan])


def test_spread_digits_of_huge_numbers_counts_their_digits():
    assert S.spread_digits([10 ** 350, 1]) == 350
    assert S.spread_digits([Fraction(10 ** 301, 3), Fraction(1, 10 ** 5)]) == 306
    assert S.spread_digits([Fraction(-1, 100), 10]) == 3


def test_float_newton_without_lambda_and_with_damping():
    """x² = a by continuation_np (no λ: Newton from the guess); 1 − a/x = 0 from x = 1 with
    a = 10⁻³, where the full step leaves x > 0: damped, the point still converges."""
    c = _sqrt_system()
    p = np.array([[4.0], [9.0], [0.25]])
    A = atoms_float(ONE_ATOM)
    xs, ok, res = S.continuation_np(c, p, A)
    assert ok.all() and np.allclose(xs[:, 0], [2, 3, 0.5], rtol=1e-13) and np.all(res < 1e-12)
    r = compile_system(system("recip", [x], [1 - a / x], {x: 1}))
    xs, ok, res = S.newton_np(r, np.array([[1.0], [1.0]]), np.array([[1e-3], [0.5]]), A)
    assert ok.all() and np.allclose(xs[:, 0], [1e-3, 0.5], rtol=1e-12)
    assert np.all(res < 1e-10)
    xs, ok, _ = S.newton_np(c, np.array([[50.0]]), np.array([[2.0]]), A)
    assert ok.all() and xs[0, 0] == pytest.approx(np.sqrt(2), rel=1e-14)


def test_float_newton_reports_no_root():
    c = compile_system(system("none", [x], [x ** 2 + a], {x: 1}))
    xs, ok, res = S.newton_np(c, np.array([[1.0]]), np.array([[1.0]]), atoms_float(ONE_ATOM))
    assert not ok[0] and res[0] >= 1


def test_mpmath_continuation_without_lambda_solves_from_the_guess():
    from symcollapse.core.compiled import atoms_mp
    c = _sqrt_system()
    with mp.workdps(40):
        got = S.continuation_mp(c, [mp.mpf(2)], atoms_mp(ONE_ATOM))
        assert abs(got[0] - mp.sqrt(2)) < mp.mpf(10) ** -19


def test_walk_reports_where_it_stalled(monkeypatch):
    def never(c_, x_, p, atoms, tol, maxiter=60):
        raise ConvergenceError("no")

    monkeypatch.setattr(S, "_guide", never)
    with mp.workdps(30):
        p_cur = [mp.mpf(0)]
        with pytest.raises(ConvergenceError, match=r"^continuation in lam stalled at lam = "
                                                   r"100\.0$"):
            S._walk(None, [mp.mpf(1)], p_cur, 0, mp.mpf(100), mp.mpf(1), None, mp.mpf(0))
        visited = []

        def ok(c_, x_, p, atoms, tol, maxiter=60):
            visited.append(p[0])
            return [p[0]]

        monkeypatch.setattr(S, "_guide", ok)
        p_cur = [mp.mpf(0)]
        out = S._walk(None, [mp.mpf(1)], p_cur, 0, mp.mpf(100), mp.mpf(1), None, mp.mpf(0))
    assert p_cur[0] == 1 and out == [1] and visited[-1] == 1
    assert all(hi > lo for hi, lo in zip(visited, visited[1:]))      # λ decreases to lo
    assert 100 > visited[0] > 1


def test_newton_on_a_linear_system_is_exact_after_one_step():
    lin = compile_system(system("lin", [x, y], [x - 1, x + y - 3], {x: 1, y: 1}, positive=()))
    with mp.workdps(30):
        sol = S.newton_mp(lin, [mp.mpf(5), mp.mpf(-7)], [], atoms_mp_one(),
                          tol=mp.mpf(10) ** -20)
    assert sol.x == [1, 2] and sol.iterations == 2
    assert sol.residual == 0 and sol.step == 0 and sol.correction == [0, 0]


def test_newton_failure_messages():
    c = _tangent_system()
    with mp.workdps(45):
        with pytest.raises(S.PrecisionLimited) as info:
            S.newton_mp(c, [mp.mpf(3), mp.mpf(0)], [mp.mpf(10) ** -60], atoms_mp_one(),
                        tol=mp.mpf(10) ** -37)
    assert str(info.value) == ("Newton: singular Jacobian at iteration 1 at 45 digits (a pivot "
                               "of the equilibrated Jacobian is 0.0; residual 1.0)")
    assert info.value.x == [3, 0] and info.value.relative == mp.inf
    none = compile_system(system("none", [x], [x ** 2 + a], {x: 1}))
    with mp.workdps(30):
        with pytest.raises(S.PrecisionLimited, match=r"^Newton: no acceptable step at iteration "
                                                     r"\d+ at 30 digits \(relative correction "
                                                     rf"{SIG3}\)$") as info:
            S.newton_mp(none, [mp.mpf(1)], [mp.mpf(1)], atoms_mp_one(), tol=mp.mpf(10) ** -20,
                        maxiter=30)
    assert len(info.value.x) == 1 and info.value.relative > 1
    lin = compile_system(system("lin", [x], [x - 1], {x: 1}, positive=()))
    with mp.workdps(30):
        with pytest.raises(S.PrecisionLimited, match=r"^Newton did not converge in 0 iterations: "
                                                     r"last relative step \+inf$") as info:
            S.newton_mp(lin, [mp.mpf(5)], [], atoms_mp_one(), tol=mp.mpf(10) ** -20, maxiter=0)
    # steps that wander are left to a higher precision (newton_to_tolerance), but never
    # taken as a guide point (_guide accepts only a floor reached in the quadratic zone)
    assert info.value.x == [5] and info.value.relative == mp.inf


# ----------------------------------------------------------------------------- ridgeless and tiny scales

def test_float64_continuation_to_the_ridgeless_limit():
    """λ = 0 exactly (the path ends at a tiny ridge, then Newton at λ = 0): e = 1 − φ for
    φ < 1; a given starting ridge gives the same answer."""
    c, params = _linear(Fraction(0))
    p = np.array([[float(params[s]) for s in c.params]])
    A = atoms_float(ONE_ATOM)
    k = c.unknowns.index(eq.e1)
    for start in (None, 1e3, 0.5):
        xs, ok, res = S.continuation_np(c, p, A, lam_start=start)
        assert ok.all() and xs[0, k] == pytest.approx(0.5, rel=1e-12) and res[0] < 1e-12


def test_solve_point_at_tiny_scales_goes_through_mpmath():
    c, params = _linear(Fraction(1, 10 ** 210))
    tiny = (Atom(Fraction(1), Fraction(1, 10 ** 200), Fraction(1, 10 ** 200), Fraction(1),
                 Fraction(1)),)
    with mp.workdps(40):
        sol = S.solve_point(c, params, tiny, dps=25)
        e1 = sol.x[c.unknowns.index(eq.e1)]
        assert abs(e1 / _iso_e(Fraction(1, 10 ** 10), params[eq.phi]) - 1) < mp.mpf(10) ** -30


def test_solve_point_ridgeless():
    c, params = _linear(Fraction(0))
    with mp.workdps(40):
        sol = S.solve_point(c, params, ONE_ATOM, dps=25)
        assert abs(sol.x[c.unknowns.index(eq.e1)] - mp.mpf("0.5")) < mp.mpf(10) ** -30


def test_float_newton_stops_a_singular_point_without_stopping_the_others():
    c = _sqrt_system()
    A = atoms_float(ONE_ATOM)
    xs, ok, res = S.newton_np(c, np.array([[0.0], [1.0], [3.0]]), np.array([[4.0], [2.0], [9.0]]),
                              A)
    assert list(ok) == [False, True, True]
    assert xs[0, 0] == 0.0 and res[0] == 4.0                 # never moved: J(0) = 0
    assert xs[1, 0] == pytest.approx(np.sqrt(2), rel=1e-15) and xs[2, 0] == 3.0
    xs, ok, _ = S.newton_np(c, np.array([[100.0]]), np.array([[2.0]]), A, maxiter=2)
    assert not ok[0] and xs[0, 0] < 100                         # too few iterations
    # done at a loose tol, but converged only with a correction below 1e-7 (1 + |x|)
    xs, ok, _ = S.newton_np(c, np.array([[1.5]]), np.array([[2.0]]), A, tol=1e-3)
    assert not ok[0] and 1e-12 < abs(xs[0, 0] - np.sqrt(2)) < 1e-5


# ----------------------------------------------------------------------------- path guides

def test_guide_takes_the_rounding_floor_only_in_the_quadratic_zone(monkeypatch):
    calls = []

    def floor_at(relative):
        def fake(c_, x_, p, atoms, *, tol, maxiter):
            calls.append((tol, maxiter))
            if relative is None:
                return S.Solution(x=[mp.mpf(5)], residual=0, step=0, iterations=1)
            raise S.PrecisionLimited("floor here", [mp.mpf(7)], relative)
        return fake

    monkeypatch.setattr(S, "newton_mp", floor_at(None))
    assert S._guide(None, [1], [], None, mp.mpf("1e-9"), maxiter=25) == [5]
    assert calls == [(mp.mpf("1e-9"), 25)]
    assert S._guide(None, [1], [], None, 1) == [5] and calls[-1][1] == 60
    for rel in (S.QUADRATIC_ZONE, mp.mpf("1e-9")):
        monkeypatch.setattr(S, "newton_mp", floor_at(rel))
        assert S._guide(None, [1], [], None, 1) == [7]
    monkeypatch.setattr(S, "newton_mp", floor_at(S.QUADRATIC_ZONE * (1 + mp.mpf(10) ** -10)))
    with pytest.raises(ConvergenceError, match="^floor here$") as info:
        S._guide(None, [1], [], None, 1)
    assert not isinstance(info.value, S.PrecisionLimited)


def test_mpmath_continuation_schedule(monkeypatch):
    """From λ = 100·max s down to the target; for λ = 0 down to 10^(-w/2)·min s, then
    Newton at λ = 0, going down by 10^(-w/2) again where that fails, eight times at most."""
    c, params = _linear(Fraction(0))
    k = c.params.index(eq.lam)
    atoms = AtomArrays([mp.mpf(1)] * 2, [mp.mpf(4), mp.mpf("0.5")], [mp.mpf(2), 0],
                       [mp.mpf(1)] * 2, [mp.mpf(1)] * 2)
    walks, guides = [], []

    def walk(c_, x_, p_cur, k_, hi, lo, atoms_, tol):
        walks.append((hi, lo, tol))
        p_cur[k_] = lo
        return x_

    def guide(c_, x_, p, atoms_, tol, maxiter=60):
        guides.append(p[k])
        if p[k] == 0:
            raise ConvergenceError("no")
        return x_

    monkeypatch.setattr(S, "_walk", walk)
    monkeypatch.setattr(S, "_guide", guide)
    with mp.workdps(30):
        p = c.values_mp(params)
        with pytest.raises(ConvergenceError, match=r"^continuation in lam to 0 failed below "
                                                   r"lam = 5\.0e-121$"):
            S.continuation_mp(c, p, atoms)
        drop = mp.mpf(10) ** -15
        assert guides[0] == 400 and guides[1:] == [0] * 8
        assert len(walks) == 8
        assert walks[0][:2] == (400, mp.mpf("0.5") * drop)
        for n, (hi, lo, tol) in enumerate(walks[1:], 1):
            assert hi == walks[n - 1][1] and lo == hi * drop
            assert tol == mp.mpf(10) ** -20
        walks.clear()
        p[k] = mp.mpf(1000)                                       # beyond 100·max s
        S.continuation_mp(c, p, atoms)
        assert walks == [(1000, 1000, mp.mpf(10) ** -20)]
        walks.clear()
        p[k] = mp.mpf("0.25")
        S.continuation_mp(c, p, atoms)
        assert walks[0][:2] == (400, mp.mpf("0.25"))
    with mp.workdps(20):
        walks.clear()
        S.continuation_mp(c, c.values_mp({**params, eq.lam: Fraction(1, 4)}), atoms)
        assert walks[0][2] == mp.mpf(10) ** -12


def test_factored_accepts_lists_and_pivots_above_the_resolution():
    with mp.workdps(30):
        got = S.Factored([[2, 1], [1, 3]]).solve([3, 4])
        assert list(got) == [1, 1]
        J = mp.matrix([[1, 1], [1, 1 + mp.mpf(10) ** -25]])       # pivot 1e-25 ≫ 2·eps
        sol = S.Factored(J).solve(mp.matrix([2, 2 + mp.mpf(10) ** -25]))
        assert abs(sol[0] - 1) < mp.mpf(10) ** -4 and abs(sol[1] - 1) < mp.mpf(10) ** -4
        with pytest.raises(S.NearlySingular, match=r"^a pivot of the equilibrated Jacobian "
                                                   r"is [0-9.]+e-31$"):
            S.Factored(mp.matrix([[1, 1], [1, 1 + mp.mpf(10) ** -31]]))


def test_solve_along_solves_anchors_by_continuation_and_warm_starts_the_rest(monkeypatch):
    """solve_along's contract: every stride-th point and the last by the λ-continuation,
    the points between by Newton (10 iterations) from the linear interpolation of the
    anchors' solutions; nothing redone when those converge; short curves (P ≤ 2·stride)
    by the continuation alone."""
    c, params = _linear(Fraction(1, 10))
    A = atoms_float(ONE_ATOM)
    k = c.params.index(eq.lam)
    P = 30
    p = np.array([[float(params[s]) for s in c.params]] * P)
    p[:, k] = np.linspace(0.05, 0.5, P)
    conts, newtons = [], []
    real_cont, real_newton = S.continuation_np, S.newton_np

    def cont(c_, p_, atoms, **kw):
        conts.append((p_[:, k].copy(), kw))
        return real_cont(c_, p_, atoms, **kw)

    def newton(c_, x0, p_, atoms, **kw):
        if kw.get("maxiter") == 10:
            newtons.append((np.array(x0, copy=True), p_[:, k].copy(), kw))
        return real_newton(c_, x0, p_, atoms, **kw)

    monkeypatch.setattr(S, "continuation_np", cont)
    monkeypatch.setattr(S, "newton_np", newton)
    x, ok, res = S.solve_along(c, p, A, stride=8, tol=1e-11)
    anchors = [0, 8, 16, 24, 29]
    assert ok.all() and np.all(res < 1e-9) and x.shape == (P, len(c.unknowns))
    assert len(conts) == 1 and list(conts[0][0]) == list(p[anchors, k])
    assert conts[0][1] == {"tol": 1e-11}
    assert len(newtons) == 1
    x0, lams, kw = newtons[0]
    rest = [i for i in range(P) if i not in anchors]
    assert list(lams) == list(p[rest, k]) and kw == {"tol": 1e-11, "maxiter": 10}
    for r, start in zip(rest, x0):
        i0 = max(a for a in anchors if a < r)
        i1 = min(a for a in anchors if a > r)
        w = (r - i0) / (i1 - i0)
        assert np.allclose(start, (1 - w) * x[i0] + w * x[i1], rtol=1e-12, atol=0)
    conts.clear()
    x2, ok2, _ = S.solve_along(c, p[:16], A, stride=8)
    assert ok2.all() and len(conts) == 1 and len(conts[0][0]) == 16
    assert np.allclose(x2, x[:16], rtol=1e-9)


# ----------------------------------------------------------------------------- float64 costs and batches

def _iso_float():
    """The isotropic first order in float64: x(1 + a/(x + λ)) = 1 (a = φ, x = e)."""
    return compile_system(system("iso", [x], [x * (1 + a / (x + eq.lam)) - 1], {x: 1}))


def _iso_root(phi, lam):
    """The positive root of e² + (λ + φ − 1)e − λ = 0 (that equation, cleared)."""
    b = lam + phi - 1
    return (-b + np.sqrt(b * b + 4 * lam)) / 2 if lam > 0 else max(1 - phi, 0.0)


def _counted(c):
    """Count the float64 evaluations of ``c``: calls and points, residual with Jacobian
    and residual alone."""
    calls = {"rj": 0, "rj_points": 0, "r": 0, "r_points": 0}
    rj, r = c.residual_jacobian_np, c.residual_np

    def rj_(x_, p, atoms):
        calls["rj"] += 1
        calls["rj_points"] += len(x_)
        return rj(x_, p, atoms)

    def r_(x_, p, atoms):
        calls["r"] += 1
        calls["r_points"] += len(x_)
        return r(x_, p, atoms)

    c.residual_jacobian_np, c.residual_np = rj_, r_
    return calls


def test_float_newton_leaves_its_start_alone_and_reads_integers():
    c = _sqrt_system()
    start = np.array([[1.0], [3.0]])
    xs, ok, _ = S.newton_np(c, start, np.array([[4.0], [2.0]]), atoms_float(ONE_ATOM))
    assert ok.all() and list(start[:, 0]) == [1.0, 3.0]
    xs, ok, _ = S.newton_np(c, [[1], [3]], np.array([[4.0], [2.0]]), atoms_float(ONE_ATOM))
    assert ok.all() and np.allclose(xs[:, 0], [2, np.sqrt(2)], rtol=1e-15)


def test_float_newton_cost_on_a_batch_of_scales():
    """A batch of one-unknown points (so that every operation is exact-ish and the same on
    every machine) whose roots span 1e-3 to 1e6: each converges to float64 resolution,
    judged on its own scale, at the cost measured for the damped Newton of this module
    (a change that adds iterations or damping trials fails here)."""
    c = _sqrt_system()
    calls = _counted(c)
    targets = np.array([[1e12], [1e-6], [2.0], [2.0]])
    xs, ok, res = S.newton_np(c, np.array([[1.0], [1.0], [1.0], [1e3]]), targets,
                              atoms_float(ONE_ATOM))
    assert ok.all() and np.allclose(xs[:, 0], np.sqrt(targets[:, 0]), rtol=2e-16, atol=0)
    assert np.all(res <= 1e-15 * targets[:, 0] + 1e-15)
    assert calls == {"rj": 15, "rj_points": 40, "r": 33, "r_points": 116}


def test_float_newton_stops_a_point_that_took_no_step():
    """No damped step passed the test (here: no halving allowed, the full step far from
    the root is not in the quadratic zone): the next iteration would repeat this one, so
    the point stops after one Jacobian, unmoved and not converged; the other point goes on."""
    c = _sqrt_system()
    calls = _counted(c)
    xs, ok, _ = S.newton_np(c, np.array([[100.0], [1.414213]]), np.array([[2.0], [2.0]]),
                            atoms_float(ONE_ATOM), halvings=0)
    assert list(ok) == [False, True] and xs[0, 0] == 100.0
    assert xs[1, 0] == pytest.approx(np.sqrt(2), rel=1e-15)
    assert calls["rj_points"] == calls["rj"] + 1          # the far point: one Jacobian only


def test_float_continuation_cost_on_a_batch_of_ridges():
    """The λ-continuation of a batch (ridges 1e-8 to 10 and λ = 0, φ on both sides of 1)
    at the cost measured for this module: the secant predictor, the step control
    (×1.6 up to 0.5, ÷4 on a failure) and the looser intermediate tolerance all show in
    these counts.  φ = 2 at λ = 0 has no positive root (e → 0): not converged."""
    c = _iso_float()
    calls = _counted(c)
    lams = [1e-8, 1e-4, 0.1, 10.0, 0.0, 0.0]
    phis = [0.5, 2.0, 0.5, 2.0, 0.5, 2.0]
    p = np.array([[ph, lm] for ph, lm in zip(phis, lams)])
    assert c.params == (a, eq.lam)
    xs, ok, res = S.continuation_np(c, p, atoms_float(ONE_ATOM))
    assert list(ok) == [True] * 5 + [False]
    for i in range(5):
        assert xs[i, 0] == pytest.approx(_iso_root(phis[i], lams[i]), rel=1e-12)
        assert res[i] < 1e-15
    assert calls == {"rj": 66, "rj_points": 164, "r": 142, "r_points": 518}


def test_float_continuation_keeps_walking_the_points_that_started(monkeypatch):
    """A point whose Newton at the starting ridge fails gets that ridge ×1e3, up to four
    times (the others keep theirs); a point that never starts is reported unsolved while
    the others are still solved at their own λ (not left at the starting ridge)."""
    c = _iso_float()
    real = S.newton_np
    starts = []

    walked = []

    def fails_for_half(c_, x0, p, atoms, **kw):
        if "maxiter" not in kw and len(starts) < 5:
            starts.append(list(p[:, 1]))
        elif kw.get("maxiter") == 12:
            walked.extend(p[:, 0])
        xs, ok, res = real(c_, x0, p, atoms, **kw)
        return xs, ok & ~(p[:, 0] == 0.5), res

    monkeypatch.setattr(S, "newton_np", fails_for_half)
    xs, ok, res = S.continuation_np(c, np.array([[0.5, 0.1], [2.0, 0.1]]), atoms_float(ONE_ATOM))
    assert list(ok) == [False, True] and walked and 0.5 not in walked   # never walks
    assert xs[1, 0] == pytest.approx(_iso_root(2.0, 0.1), rel=1e-12)
    assert starts == [[100.0, 100.0], [1e5, 100.0], [1e8, 100.0], [1e11, 100.0],
                      [1e14, 100.0]]
    starts.clear()

    def fails_first(c_, x0, p, atoms, **kw):
        if "maxiter" not in kw:
            starts.append(list(p[:, 1]))
        xs, ok, res = real(c_, x0, p, atoms, **kw)
        return xs, ok & ~((p[:, 0] == 0.5) & (len(starts) == 1)), res

    monkeypatch.setattr(S, "newton_np", fails_first)
    xs, ok, res = S.continuation_np(c, np.array([[0.5, 0.1], [2.0, 0.1]]), atoms_float(ONE_ATOM))
    assert list(ok) == [True, True] and starts == [[100.0, 100.0], [1e5, 100.0], [0.1, 0.1]]
    assert np.allclose(xs[:, 0], [_iso_root(0.5, 0.1), _iso_root(2.0, 0.1)], rtol=1e-12)


# ----------------------------------------------------------------------------- messages and rarely taken paths

SIG3 = r"-?\d\.\d{1,2}(e[-+]\d+)?"      # mpmath's nstr(v, 3): at most 3 significant digits


def test_newton_messages_give_three_significant_digits():
    """Each refusal names its number to 3 significant digits, and carries the iterate
    (for a higher precision) and the relative correction it stopped at."""
    cube = compile_system(system("cube", [x], [(x - a) ** 3], {x: 1}))   # a triple root
    with mp.workdps(30):
        with pytest.raises(S.PrecisionLimited) as info:
            S.newton_mp(cube, [mp.mpf("1.2345") * (1 + mp.mpf(10) ** -12)],
                        [mp.mpf("1.2345")], atoms_mp_one(), tol=mp.mpf(10) ** -25)
    msg = str(info.value)
    assert re.fullmatch(rf"Newton: the corrections stopped shrinking at {SIG3} \(relative\) "
                        r"at 30 digits", msg), msg
    assert len(info.value.x) == 1 and abs(info.value.x[0] / mp.mpf("1.2345") - 1) < 1e-12
    assert 0 < info.value.relative < mp.mpf(10) ** -14
    assert msg.split(" at ")[1].split(" ")[0] == mp.nstr(info.value.relative, 3)
    far = _sqrt_system()                      # from 2^70: 70 halvings, more than 60 steps
    with mp.workdps(30):
        with pytest.raises(S.PrecisionLimited) as info:
            S.newton_mp(far, [mp.mpf(2) ** 70], [mp.mpf(3)], atoms_mp_one(),
                        tol=mp.mpf(10) ** -22)
    msg = str(info.value)
    assert re.fullmatch(rf"Newton did not converge in 60 iterations: last relative step "
                        rf"{SIG3}", msg), msg
    assert info.value.relative == mp.inf and info.value.x[0] < mp.mpf(2) ** 20
    with mp.workdps(30):
        sol = S.newton_mp(far, [mp.mpf(2) ** 20], [mp.mpf(3)], atoms_mp_one(),
                          tol=mp.mpf(10) ** -22)
        again = S.newton_mp(far, [mp.mpf(2) ** 20], [mp.mpf(3)], atoms_mp_one(),
                            tol=mp.mpf(10) ** -22, maxiter=sol.iterations)
    assert again.x == sol.x and sol.iterations > 20      # exactly maxiter steps suffice


def test_singular_messages_name_the_pivot_and_the_residual():
    none = compile_system(system("none", [x], [x ** 2 + a], {x: 1}, positive=()))
    with mp.workdps(30):
        with pytest.raises(S.PrecisionLimited) as info:
            S.newton_mp(none, [mp.mpf(0)], [mp.mpf("1.23456")], atoms_mp_one(),
                        tol=mp.mpf(10) ** -20)
    assert str(info.value) == ("Newton: singular Jacobian at iteration 1 at 30 digits (a "
                               "column of the Jacobian is 0; residual 1.23)")
    with mp.workprec(203):                 # a pivot of 2^-202 = 1.5557e-61 ≤ 2·eps
        with pytest.raises(S.NearlySingular) as info:
            S.Factored(mp.matrix([[1, 1], [1, 1 + mp.mpf(2) ** -202]]))
    assert str(info.value) == "a pivot of the equilibrated Jacobian is 1.56e-61"


def test_factored_solves_a_three_by_three_system():
    """Elimination below a second pivot that is not 1 (the 2×2 cases never reach it)."""
    with mp.workdps(40):
        J = mp.matrix([[4, 1, 2], [1, 3, 0.5], [2, 2.5, 5]])
        F = mp.matrix([1, 2, 3])
        got = S.Factored(J).solve(F)
        want = mp.lu_solve(J, F)
        assert mp.norm(got - want, mp.inf) < mp.mpf(10) ** -35


def test_walk_names_the_ridge_it_stalled_at(monkeypatch):
    def never(*args, **kw):
        raise ConvergenceError("no")

    monkeypatch.setattr(S, "_guide", never)
    with mp.workdps(30):
        with pytest.raises(ConvergenceError) as info:
            S._walk(_sqrt_system(), [mp.mpf(1)], [mp.mpf(1)], 0, mp.mpf(100),
                    mp.mpf(10) ** -30, atoms_mp_one(), mp.mpf(10) ** -20)
        # the last try: dtau = 0.1/4^11 (the next quarter is below 1e-8)
        d = mp.mpf("0.1") / 4 ** 11
        last = mp.exp((1 - d) * mp.log(100) + d * mp.log(mp.mpf(10) ** -30))
    assert str(info.value) == f"continuation in lam stalled at lam = {mp.nstr(last, 5)}"
    assert mp.nstr(last, 5) == "100.0" and mp.nstr(last, 6) == "99.9998"


def test_continuation_to_zero_names_the_last_ridge(monkeypatch):
    """Where Newton at λ = 0 fails after every extension, the message names the last
    starting ridge (3 significant digits)."""
    c, params = _linear(Fraction(0))
    calls = []
    real_guide = S._guide

    def fails_at_zero(c_, x_, p, atoms, tol, maxiter=60):
        if p[c_.params.index(eq.lam)] == 0:
            calls.append(1)
            raise ConvergenceError("no")
        return real_guide(c_, x_, p, atoms, tol, maxiter=maxiter)

    monkeypatch.setattr(S, "_guide", fails_at_zero)
    from symcollapse.core.compiled import atoms_mp
    odd = (Atom(Fraction(1), Fraction(123456, 100000), Fraction(123456, 100000), Fraction(1),
                Fraction(1)),)
    with mp.workdps(20):
        p = c.values_mp(params)
        with pytest.raises(ConvergenceError) as info:
            S.continuation_mp(c, p, atoms_mp(odd))
    assert len(calls) == 8
    assert re.fullmatch(rf"continuation in lam to 0 failed below lam = {SIG3}",
                        str(info.value)), str(info.value)
    assert str(info.value).endswith("1.23e-80")   # 1.23456·1e-10·(1e-10)^7 at 20 digits


def test_solve_point_falls_back_to_the_mpmath_continuation(monkeypatch):
    """Where the float64 continuation fails (or its polish does), the mpmath continuation
    gives the start; and a spread of scales beyond FLOAT_SPREAD (complements 1 − x
    included) starts in mpmath at that many more digits."""
    c, params = _linear(Fraction(1, 10))
    seen = []
    real = S._continued

    def continued(c_, params_, atoms):
        seen.append(mp.mp.dps)
        return real(c_, params_, atoms)

    monkeypatch.setattr(S, "_continued", continued)
    monkeypatch.setattr(S, "_float_start",
                        lambda c_, p, A, **kw: (np.zeros((1, len(c_.unknowns))),
                                                np.array([False]), np.array([np.inf])))
    with mp.workdps(40):
        sol = S.solve_point(c, params, ONE_ATOM, dps=25)
        e1 = sol.x[c.unknowns.index(eq.e1)]
        assert abs(e1 / _iso_e(Fraction(1, 10), params[eq.phi]) - 1) < mp.mpf(10) ** -30
    assert seen == [40]
    seen.clear()
    near_one = {**params, eq.p2: 1 - Fraction(1, 10 ** 13)}    # 1 − p2 = 1e-13: spread 13
    with mp.workdps(40):
        S.solve_point(c, near_one, ONE_ATOM, dps=25)
    assert seen == [53]
    seen.clear()
    twelve = {**params, eq.p2: 1 - Fraction(1, 10 ** 12)}      # spread 12: float64 start
    with mp.workdps(40):
        S.solve_point(c, twelve, ONE_ATOM, dps=25)
    assert seen == [40]           # the float64 path is faked to fail: the fallback, at 40


def test_spread_digits_of_mpf_and_of_the_largest_rationals():
    with mp.workdps(30):
        assert S.spread_digits([mp.mpf("1e-500"), 1]) == 500
        assert S.spread_digits([mp.mpf("2e-5"), Fraction(10 ** 5)]) == 10
        assert S.spread_digits([mp.mpf(3), mp.mpf("4e7")]) == 8
    assert S.spread_digits([5000, 1]) == 4 and S.spread_digits([Fraction(1, 5000), 1]) == 4
    # beyond 10^300 the digits are counted (an approximation by a whole order)
    assert S.spread_digits([5 * 10 ** 300, 1]) == 300
    assert S.spread_digits([Fraction(1, 5 * 10 ** 300), 1]) == 300
    assert S.spread_digits([Fraction(10 ** 299 * 5, 1), 1]) == 300


def test_solve_along_redoes_the_points_whose_warm_start_fails(monkeypatch):
    """A warm-started point that does not converge, or converges outside the domain of a
    positive unknown, is solved again by the continuation (at the caller's tol); a point
    next to a failed anchor starts from its left anchor alone."""
    c = _iso_float()
    A = atoms_float(ONE_ATOM)
    P = 20
    p = np.column_stack([np.full(P, 0.5), np.linspace(0.05, 0.5, P)])
    real_cont, real_newton = S.continuation_np, S.newton_np
    redone, starts = [], []

    def cont(c_, p_, atoms, **kw):
        if len(p_) == 4:                    # the anchors 0, 8, 16, 19: anchor 16 fails
            xs, ok, res = real_cont(c_, p_, atoms, **kw)
            ok[2] = False
            return xs, ok, res
        redone.append((p_[:, 1].copy(), kw))
        return real_cont(c_, p_, atoms, **kw)

    def newton(c_, x0, p_, atoms, **kw):
        xs, ok, res = real_newton(c_, x0, p_, atoms, **kw)
        if kw.get("maxiter") == 10:
            starts.append(np.array(x0, copy=True))
            ok[0] = False                    # point 1: did not converge
            xs[1, 0] = 0.0                   # point 2: on the boundary of the domain x > 0
        return xs, ok, res

    monkeypatch.setattr(S, "continuation_np", cont)
    monkeypatch.setattr(S, "newton_np", newton)
    x, ok, res = S.solve_along(c, p, A, stride=8, tol=1e-11)
    assert len(redone) == 1 and list(redone[0][0]) == [p[1, 1], p[2, 1]]
    assert redone[0][1] == {"tol": 1e-11}
    assert ok[1] and ok[2] and not ok[16]
    for i in (1, 2):
        assert x[i, 0] == pytest.approx(_iso_root(0.5, p[i, 1]), rel=1e-12)
    rest = [i for i in range(P) if i not in (0, 8, 16, 19)]
    start = dict(zip(rest, starts[0][:, 0]))
    assert start[9] == x[8, 0] and start[17] == x[16, 0]      # beside the failed anchor
    w = (3 - 0) / 8
    assert start[3] == pytest.approx((1 - w) * x[0, 0] + w * x[8, 0], rel=1e-15)


# ----------------------------------------------------------------------------- more of the contract, measured

def test_float_newton_cost_with_damping_and_the_positive_domain():
    """1 − a/x = 0 from starts whose full step leaves x > 0 (3a) or overshoots (20 for
    a = 2), beside points that need no damping, over roots from 1e-3 to 1e3: exact roots,
    at the measured cost."""
    c = compile_system(system("recip", [x], [1 - a / x], {x: 1}))
    calls = _counted(c)
    targets = np.array([[1e-3], [1.0], [1e3], [2.0], [5.0]])
    starts = np.array([[3e-3], [1.9], [1e2], [20.0], [4.0]])
    xs, ok, res = S.newton_np(c, starts, targets, atoms_float(ONE_ATOM))
    assert ok.all() and np.allclose(xs[:, 0], targets[:, 0], rtol=2e-16, atol=0)
    assert xs.dtype == float and ok.dtype == bool and res.dtype == float
    assert calls == {"rj": 10, "rj_points": 37, "r": 15, "r_points": 70}


def test_float_continuation_passes_its_tolerances_and_ridges(monkeypatch):
    """Every Newton of the λ-continuation gets the caller's atoms and tolerance (the
    path's intermediate points 1e-9, 12 iterations of at most 6 halvings), the start at the given ridge."""
    c = _iso_float()
    A = atoms_float(ONE_ATOM)
    real = S.newton_np
    seen = []

    def newton(c_, x0, p, atoms, **kw):
        seen.append((p[:, -1].copy(), atoms is A, kw))
        return real(c_, x0, p, atoms, **kw)

    monkeypatch.setattr(S, "newton_np", newton)
    xs, ok, _ = S.continuation_np(c, np.array([[0.5, 0.1], [2.0, 0.2]]), A, lam_start=7.0,
                                  tol=1e-10)
    assert ok.all() and all(s[1] for s in seen)
    assert list(seen[0][0]) == [7.0, 7.0] and seen[0][2] == {"tol": 1e-10}
    assert all(s[2] == {"tol": 1e-9, "maxiter": 12, "halvings": 6} for s in seen[1:-1])
    assert list(seen[-1][0]) == [0.1, 0.2] and seen[-1][2] == {"tol": 1e-10}
    seen.clear()
    sq = _sqrt_system()                          # no λ: Newton from the guess, same tol
    S.continuation_np(sq, np.array([[4.0]]), A, tol=1e-10)
    assert len(seen) == 1 and seen[0][1] and seen[0][2] == {"tol": 1e-10}


def _judge_path_steps(monkeypatch, judge):
    """Run the λ-continuation's path steps (its Newton calls with maxiter = 12) through
    ``judge(p, x0, xs, ok) -> ok``, which records them and may fail some; every other
    Newton call is left alone."""
    real = S.newton_np

    def newton(c_, x0, p, atoms, **kw):
        xs, ok, res = real(c_, x0, p, atoms, **kw)
        if kw.get("maxiter") == 12:
            ok = judge(p, x0, xs, ok)
        return xs, ok, res

    monkeypatch.setattr(S, "newton_np", newton)


def test_float_continuation_gives_up_a_point_whose_path_fails(monkeypatch):
    """A path step that fails quarters the point's step in τ; below 1e-6 the point is
    given up (the others go on).  From dτ = 0.1: 0.025, …, 0.1/4^9 < 1e-6: nine tries."""
    c = _iso_float()
    tries = []

    def judge(p, x0, xs, ok):
        blocked = p[:, 0] == 0.5
        tries.append(int(blocked.sum()))
        return ok & ~blocked

    _judge_path_steps(monkeypatch, judge)
    xs, ok, _ = S.continuation_np(c, np.array([[0.5, 0.1], [2.0, 0.2]]), atoms_float(ONE_ATOM))
    assert list(ok) == [False, True]
    assert xs[1, 0] == pytest.approx(_iso_root(2.0, 0.2), rel=1e-12)
    assert sum(tries) == 9


def test_float_continuation_raises_the_ridge_at_most_four_times(monkeypatch):
    """A point whose Newton at the starting ridge fails is started again at a ridge 1e3
    times larger, at most four times, with the caller's atoms and tolerance; a point that
    never starts keeps the residual of its last try (a float) and is not converged."""
    c = _iso_float()
    A = atoms_float(ONE_ATOM)
    real = S.newton_np
    calls = []

    def newton(c_, x0, p, atoms, **kw):
        if "maxiter" not in kw:
            calls.append((list(p[:, 1]), atoms is A, kw))
        xs, ok, res = real(c_, x0, p, atoms, **kw)
        return xs, ok & ~(p[:, 0] == 0.5), res

    monkeypatch.setattr(S, "newton_np", newton)
    xs, ok, res = S.continuation_np(c, np.array([[0.5, 0.1], [2.0, 0.1]]), A, tol=1e-10)
    assert [cl[0] for cl in calls] == [[100.0, 100.0], [1e5, 100.0], [1e8, 100.0],
                                       [1e11, 100.0], [1e14, 100.0], [0.1]]
    assert all(cl[1] and cl[2] == {"tol": 1e-10} for cl in calls)
    assert list(ok) == [False, True] and res.dtype == float and np.all(np.isfinite(res))
    assert xs[1, 0] == pytest.approx(_iso_root(2.0, 0.1), rel=1e-10)


def test_float_continuation_step_control_after_failures(monkeypatch):
    """The path in τ (log λ from 100 to the target, linear in τ): steps from 0.1 grow by
    1.6 up to 0.5 and shrink by 4 on a failure.  With the first two tries of τ = 1 failed:
    0.1, 0.26, 0.516, 0.9256, then 1 (step 0.5), 1 (0.5/4 reaches it), then
    0.9256 + 0.5/16 = 0.95685."""
    c = _iso_float()
    taus, failures = [], [2]
    lo, hi = 0.1, 100.0

    def judge(p, x0, xs, ok):
        lam = p[0, 1]
        tau = 1.0 if lam == lo else (np.log(hi) - np.log(lam)) / (np.log(hi) - np.log(lo))
        taus.append(round(float(tau), 10))
        if tau == 1.0 and failures[0]:
            failures[0] -= 1
            return np.zeros_like(ok)
        return ok

    _judge_path_steps(monkeypatch, judge)
    xs, ok, _ = S.continuation_np(c, np.array([[0.5, lo]]), atoms_float(ONE_ATOM))
    assert ok[0] and xs[0, 0] == pytest.approx(_iso_root(0.5, lo), rel=1e-12)
    assert taus == [0.1, 0.26, 0.516, 0.9256, 1.0, 1.0, 0.95685, 1.0]


def test_exact_parameters_are_read_as_float64():
    """Parameters given exactly (Fractions, as a spec holds them; mpmath numbers) are read
    as float64 by the continuation and along a curve."""
    c = _iso_float()
    A = atoms_float(ONE_ATOM)
    p = [[Fraction(1, 2), Fraction(1, 10)], [Fraction(2), Fraction(1, 5)]]
    xs, ok, res = S.continuation_np(c, p, A)
    assert ok.all() and xs.dtype == float and res.dtype == float
    assert list(xs[:, 0]) == pytest.approx([_iso_root(0.5, 0.1), _iso_root(2.0, 0.2)], rel=1e-12)
    curve = [[mp.mpf(1) / 2, mp.mpf(k + 5) / 100] for k in range(70)]
    xs, ok, res = S.solve_along(c, curve, A, stride=8)
    assert ok.all() and xs.dtype == float
    assert np.allclose(xs[:, 0], [_iso_root(0.5, (k + 5) / 100) for k in range(70)], rtol=1e-12)


def test_solve_along_types_strides_and_tolerance(monkeypatch):
    """Boolean flags and float residuals; curves longer than 2·stride (default 32) go by
    anchors; the caller's tolerance reaches the continuation of a short curve; the
    default tolerance is 1e-12."""
    c = _iso_float()
    A = atoms_float(ONE_ATOM)
    real_cont = S.continuation_np
    conts = []

    def cont(c_, p_, atoms, **kw):
        conts.append((len(p_), kw))
        return real_cont(c_, p_, atoms, **kw)

    monkeypatch.setattr(S, "continuation_np", cont)
    p = np.column_stack([np.full(65, 0.5), np.linspace(0.05, 0.5, 65)])
    x, ok, res = S.solve_along(c, p, A)
    assert ok.dtype == bool and res.dtype == float and ok.all()
    assert conts == [(3, {"tol": 1e-12})]                     # anchors 0, 32, 64
    assert np.allclose(x[:, 0], [_iso_root(0.5, lm) for lm in p[:, 1]], rtol=1e-12)
    conts.clear()
    S.solve_along(c, p[:64], A, tol=1e-7)
    assert conts == [(64, {"tol": 1e-7})]
    ints = S.solve_along(c, [[1, 1], [2, 1]], A)[0]           # integer parameters read as floats
    assert np.allclose(ints[:, 0], [_iso_root(1.0, 1.0), _iso_root(2.0, 1.0)], rtol=1e-12)


def test_scales_and_representability():
    half = AtomArrays(np.ones(2), np.array([0.5, 0.25]), np.array([0.1, 0.0]), np.ones(2),
                      np.ones(2))
    assert S._spectral_scale(half) == 0.5
    assert S._float_representable([1, 2, Fraction(1, 3)])
    assert not S._float_representable([Fraction(1, 10 ** 400)])
    assert not S._float_representable([10 ** 300])


def test_mpmath_continuation_to_lambda_zero_and_without_lambda():
    """The mpmath λ-continuation ending at λ = 0 (the linear model at φ = 1/2: e = 1/2);
    a system without λ that reads its atoms and takes its guess from the parameters."""
    from symcollapse.core.compiled import atoms_mp
    c, params = _linear(Fraction(0))
    with mp.workdps(30):
        xs = S.continuation_mp(c, c.values_mp(params), atoms_mp(ONE_ATOM))
        assert abs(xs[c.unknowns.index(eq.e1)] - mp.mpf("0.5")) < mp.mpf(10) ** -20
    t = compile_system(system("trace", [x], [x * eq.tr(eq.S1) - a], {x: a}))
    two = (Atom(Fraction(1), Fraction(2), Fraction(1), Fraction(1), Fraction(1)),)
    with mp.workdps(30):
        xs = S.continuation_mp(t, [mp.mpf(3)], atoms_mp(two))
        assert abs(xs[0] - mp.mpf("1.5")) < mp.mpf(10) ** -20


def test_newton_accepts_an_unknown_that_is_zero_after_three_quiet_iterations():
    """y = 3(x² − a) is 0 at the root: its corrections never meet the relative test, so
    it is accepted once the corrections stayed below tol (scaled by the largest unknown)
    for ZERO_PATIENCE = 3 iterations more: 9 iterations, y at the rounding floor.  The
    residual and step are max-norms, the corrections per unknown."""
    zp = compile_system(system("zp", [x, y], [x ** 2 - a, y - 3 * (x ** 2 - a)], {x: 1, y: 0},
                               positive=(x,)))
    last = []
    rj = zp.residual_jacobian_mp

    def record(xv, p, atoms):
        F, J = rj(xv, p, atoms)
        last.append(F)
        return F, J

    zp.residual_jacobian_mp = record
    with mp.workdps(30):
        sol = S.newton_mp(zp, [mp.mpf("1.6"), mp.mpf("0.1")], [mp.mpf(2)], atoms_mp_one(),
                          tol=mp.mpf(10) ** -22)
        assert S.ZERO_PATIENCE == 3 and sol.iterations == 9
        assert abs(sol.x[0] - mp.sqrt(2)) < mp.mpf(10) ** -28 and abs(sol.x[1]) < 1e-29
        assert sol.residual == max(abs(v) for v in last[-1])
        assert sol.step == max(sol.correction) and len(sol.correction) == 2


def test_newton_messages_of_a_damped_step_and_a_non_finite_one():
    sq = _sqrt_system()
    with mp.workdps(30):
        with pytest.raises(S.PrecisionLimited) as info:
            S.newton_mp(sq, [mp.mpf(3)], [mp.mpf(2)], atoms_mp_one(), tol=mp.mpf(10) ** -22,
                        maxiter=1)
        assert str(info.value) == ("Newton did not converge in 1 iterations: last relative "
                                   "step 0.389")
        with pytest.raises(ConvergenceError) as info:
            S.newton_mp(sq, [mp.mpf(3)], [mp.inf], atoms_mp_one(), tol=mp.mpf(10) ** -22)
        assert str(info.value) == "Newton: non-finite step at iteration 1"


def test_newton_leaves_the_domain_in_log_steps():
    """1 − a/x from 3a: the full step would take x to −3a; the positive unknown moves by
    e^(−Δ/x) instead, and Newton converges in 7 iterations."""
    recip = compile_system(system("recip", [x], [1 - a / x], {x: 1}))
    with mp.workdps(30):
        sol = S.newton_mp(recip, [mp.mpf(3)], [mp.mpf(1)], atoms_mp_one(), tol=mp.mpf(10) ** -22)
    assert sol.iterations == 7 and abs(sol.x[0] - 1) < mp.mpf(10) ** -25


def test_float_newton_stops_a_singular_point_inside_the_domain_at_once():
    """(x − 1)² = a from x = 1 (a singular Jacobian inside the domain x > 0): that point
    stops without a single damping trial, while the other converges to 1 + √a."""
    c = compile_system(system("shift", [x], [(x - 1) ** 2 - a], {x: 2}))
    calls = _counted(c)
    xs, ok, _ = S.newton_np(c, np.array([[1.0], [2.0]]), np.array([[4.0], [4.0]]),
                            atoms_float(ONE_ATOM))
    assert list(ok) == [False, True] and xs[0, 0] == 1.0 and xs[1, 0] == 3.0
    assert calls["r_points"] - calls["rj_points"] < 10


def test_float_newton_cost_where_points_stall_at_float_resolution():
    """(x − a)³ + b(x − a) = 0: triple roots (b = 0, linear convergence by 2/3) stop when
    their corrections stall below 1e-7 of their own scale, beside simple roots (b = 1), at
    scales 1e-3 to 1e3; every point is handed on as converged (an mpmath polish takes the
    triple roots from there) at the measured cost."""
    c = compile_system(system("mixed", [x], [(x - a) ** 3 + b * (x - a)], {x: 1}))
    calls = _counted(c)
    p = np.array([[1e-3, 0.0], [1e3, 0.0], [2.0, 1.0], [1e3, 1.0], [5.0, 0.0]])
    start = np.array([[2e-3], [1.5e3], [3.0], [3e3], [4.0]])
    xs, ok, res = S.newton_np(c, start, p, atoms_float(ONE_ATOM))
    assert ok.all()
    assert xs[2, 0] == 2.0 and xs[3, 0] == 1e3 and res[2] == res[3] == 0.0
    for i in (0, 1, 4):
        assert abs(xs[i, 0] / p[i, 0] - 1) < 2e-4 and res[i] < 1e-11
    assert calls == {"rj": 37, "rj_points": 123, "r": 31, "r_points": 117}


def test_float_continuation_predicts_each_point_on_its_own(monkeypatch):
    """The secant predictor is judged per point: a point whose first path step failed (no
    previous step, a NaN prediction) does not keep the others from theirs."""
    c = _iso_float()
    path = []

    def judge(p, x0, xs, ok):
        path.append((p[:, 0].copy(), np.array(x0, copy=True), xs.copy()))
        if len(path) <= 2:
            return ok & ~(p[:, 0] == 0.5)            # point 0: its first two steps fail
        return ok

    _judge_path_steps(monkeypatch, judge)
    xs, ok, _ = S.continuation_np(c, np.array([[0.5, 0.1], [2.0, 0.2]]), atoms_float(ONE_ATOM))
    assert ok.all()
    phis, start, _ = path[1]                       # the second step: point 1 has a previous
    k = list(phis).index(2.0)
    assert len(phis) == 2 and start[k, 0] != path[0][2][list(path[0][0]).index(2.0), 0]


# ----------------------------------------------------------------------------- the stopping and damping rules at their boundaries
# Each rule is exercised exactly at its threshold (values exact in binary), so that the
# inclusive or strict comparison it states is the one the solver makes.

z = sp.Symbol("z", real=True)
w = sp.Symbol("w", real=True)


def _free(name, unknowns, equations, guess):
    """A system without positive unknowns."""
    return compile_system(system(name, unknowns, equations, guess, positive=()))


def test_float_damping_test_is_inclusive_at_one_minus_t_over_4():
    """(z − 1)² + u(z − 1) + w from z = 1: Δ = w/u and the simplified correction at the full
    step is Δ²/u, i.e. w/u² of Δ.  u = 2, w = 3: exactly 3/4 — the full step is taken
    (≤); u = 4, w = 12.5: 0.78125 > 3/4 — halved (z = 1 − 3.125/2)."""
    c = _free("quad", [z], [(z - 1) ** 2 + a * (z - 1) + b], {z: 1})
    xs, _, _ = S.newton_np(c, np.ones((2, 1)), np.array([[2.0, 3.0], [4.0, 12.5]]),
                           atoms_float(ONE_ATOM), maxiter=1)
    assert list(xs[:, 0]) == [-0.5, -0.5625]
    with mp.workdps(30):
        for (u, w_), at in [((2, 3), "-0.5"), ((4, "12.5"), "-0.5625")]:
            with pytest.raises(S.PrecisionLimited, match="did not converge in 1 iterations") as err:
                S.newton_mp(c, [mp.mpf(1)], [mp.mpf(u), mp.mpf(w_)], atoms_mp_one(),
                            tol=mp.mpf(10) ** -20, maxiter=1)
            assert err.value.x[0] == mp.mpf(at)


def test_float_damping_without_positive_unknowns():
    """z³ = a from starts whose full step overshoots: damped steps in a system without
    positive unknowns reach the roots."""
    c = _free("cube", [z], [z ** 3 - a], {z: 1})
    xs, ok, _ = S.newton_np(c, np.array([[10.0], [0.5], [3.0]]),
                            np.array([[8.0], [27.0], [27.0]]), atoms_float(ONE_ATOM))
    assert ok.all() and list(xs[:, 0]) == [2.0, 3.0, 3.0]


def test_float_newton_never_sets_a_positive_unknown_to_zero():
    """x = a with a = 0, the boundary of the domain x > 0: a full step to 0, in the
    quadratic zone (from 1e-7) or damped (from 1), is refused; x stays positive."""
    c = compile_system(system("id", [x], [x - a], {x: 1}))
    for start in (1e-7, 1.0):
        xs, _, _ = S.newton_np(c, np.array([[start], [2.0]]), np.array([[0.0], [2.0]]),
                               atoms_float(ONE_ATOM))
        assert xs[0, 0] > 0 and xs[1, 0] == 2.0


def test_float_newton_quadratic_zone_and_tolerance_are_inclusive():
    """z = a: a correction of exactly 1e-6 of the scale (from 0 to a = −1e-6) is taken
    without the damping test, and one of exactly tol·scale ends Newton at once."""
    c = _free("lin", [z], [z - a], {z: 0})
    calls = _counted(c)
    xs, ok, _ = S.newton_np(c, np.array([[0.0]]), np.array([[-1e-6]]), atoms_float(ONE_ATOM))
    assert ok[0] and xs[0, 0] == -1e-6
    assert calls == {"rj": 2, "rj_points": 2, "r": 1, "r_points": 1}
    c = _free("lin", [z], [z - a], {z: 0})
    calls = _counted(c)
    tol = 2.0 ** -30
    xs, _, _ = S.newton_np(c, np.array([[1.0]]), np.array([[1 - 2 * tol]]),
                           atoms_float(ONE_ATOM), tol=tol)
    assert xs[0, 0] == 1 - 2 * tol and calls == {"rj": 1, "rj_points": 1, "r": 1, "r_points": 1}


def test_float_newton_converged_means_strictly_below_1e_7_of_the_scale():
    """z = 0 from 1e-7 with tol = 1e-7: the correction 1e-7 ends Newton (≤ tol·scale) at
    the exact root, but is not below 1e-7·(1 + |z|) = 1e-7: not converged.  A triple root
    stopped by a loose tolerance at a correction between 1e-7 and 1.5e-7 of its own scale
    (z between 2e-7 and 3e-7) is not converged either, beside a point of scale 1e6 (each
    point on its own scale)."""
    c = _free("lin", [z], [z - a], {z: 0})
    xs, ok, _ = S.newton_np(c, np.array([[1e-7]]), np.array([[0.0]]), atoms_float(ONE_ATOM),
                            tol=1e-7)
    assert xs[0, 0] == 0.0 and not ok[0]
    c = _free("tri", [z], [(z - a) ** 3], {z: 1})
    xs, ok, _ = S.newton_np(c, np.array([[1.0], [1e6 + 1]]), np.array([[0.0], [1e6]]),
                            atoms_float(ONE_ATOM), tol=1.5e-7)
    assert list(ok) == [False, False]
    assert 2e-7 < xs[0, 0] <= 3e-7 and abs(xs[1, 0] - 1e6) < 1


def test_float_newton_resolution_rule_is_strict():
    """(z − r)² halves its correction exactly; from r + 4e the third correction is exactly
    1e-7·(1 + |z|) (r, e chosen so) — not below it, so Newton goes on: a fourth iteration,
    which ends at r + e/4 (stalled at resolution)."""
    r, e = 0.4528629258275032, 2.905726432800293e-07
    c = _free("double", [z], [(z - a) ** 2], {z: 0})
    calls = _counted(c)
    xs, _, _ = S.newton_np(c, np.array([[r + 4 * e]]), np.array([[r]]), atoms_float(ONE_ATOM))
    assert calls["rj"] == 4 and xs[0, 0] == pytest.approx(r + e / 4, abs=1e-22)


def test_float_newton_stall_count_at_float_resolution():
    """x² = 2 with tol = 0 from the float nearest √2, its neighbour and √2(1 + 1e-9),
    beside a point whose step leaves the domain: the corrections stall at float64
    resolution and each point stops after two stalled iterations, within 1 ulp of √2 (the
    float64 operations here are single IEEE roundings: the same on every machine)."""
    c = compile_system(system("sq", [x], [x * x - a], {x: 1}))
    calls = _counted(c)
    s2 = float(np.sqrt(2.0))
    starts = np.array([[s2], [np.nextafter(s2, 2)], [s2 * (1 + 1e-9)], [50.0]])
    xs, ok, _ = S.newton_np(c, starts, np.array([[2.0], [2.0], [2.0], [1e-6]]),
                            atoms_float(ONE_ATOM), tol=0.0)
    below = np.nextafter(s2, 0)
    assert ok.all() and list(xs[:3, 0]) == [below, s2, below]
    assert xs[3, 0] == pytest.approx(1e-3, rel=1e-12)
    assert calls["rj"] == 21


def test_float_newton_quadratic_zone_exit_is_judged_per_point():
    """(x − a)/((x − a)² + 1e-20)^(1/4) overshoots its root (Newton's step is ≈ 2(x − a)):
    a point in the quadratic zone takes its full step without the damping test even when
    another point's full step in the quadratic zone leaves the domain (that one is damped)."""
    c = compile_system(system("over", [x], [(x - a) / ((x - a) ** 2 + b) ** sp.Rational(1, 4)],
                              {x: 1}))
    xs, _, _ = S.newton_np(c, np.array([[1 + 1e-7], [2e-7]]),
                           np.array([[1.0, 1e-20], [-1e-7, 1e-20]]), atoms_float(ONE_ATOM),
                           maxiter=1)
    assert xs[0, 0] == pytest.approx(1 - 1e-7, rel=1e-12)
    assert xs[1, 0] == pytest.approx(5e-8, rel=1e-6)


def _mp_newton(c, x0, p, tol, maxiter=60):
    with mp.workdps(30):
        return S.newton_mp(c, [mp.mpf(v) for v in x0], [mp.mpf(v) for v in p], atoms_mp_one(),
                           tol=mp.mpf(tol), maxiter=maxiter)


def test_mpmath_stopping_rule_is_inclusive():
    """z = a from 1 with a = 1 − 2^-40 and tol = 2^-40: the correction is exactly tol of z,
    and Newton returns after one iteration."""
    c = _free("lin", [z], [z - a], {z: 1})
    sol = _mp_newton(c, [1], [1 - mp.mpf(2) ** -40], mp.mpf(2) ** -40)
    assert sol.iterations == 1 and sol.x[0] == 1 - mp.mpf(2) ** -40


def test_mpmath_zero_patience_counts_corrections_equal_to_tol():
    """z = 1 beside e^{w/ε}, whose correction is ε at every iteration (no root: w runs to
    −∞, its relative test never met): with ε = tol every correction counts as quiet, and
    Newton accepts after ZERO_PATIENCE + 1 = 4 iterations; with ε = 2·tol, never: the
    corrections stop shrinking above tol (a rounding floor)."""
    for eps, expect in [(sp.Rational(1, 2 ** 40), 4), (sp.Rational(1, 2 ** 39), None)]:
        c = _free("exp", [z, w], [z - 1, sp.exp(w / eps)], {z: 1, w: 0})
        if expect is None:
            with pytest.raises(S.PrecisionLimited, match=r"stopped shrinking at 1\.82e-12"):
                _mp_newton(c, [1, 0], [], mp.mpf(2) ** -40, maxiter=12)
        else:
            sol = _mp_newton(c, [1, 0], [], mp.mpf(2) ** -40)
            assert sol.iterations == expect and sol.x[1] == -4 * mp.mpf(2) ** -40


def test_mpmath_rounding_floor_rules():
    """Below the floor zone (10^-15 at 30 digits) a correction that halves exactly (a double
    root) is still shrinking — Newton goes on to the scaled tolerance; one that shrinks by
    2/3 (a triple root) has stopped halving — at the second iteration already."""
    c = _free("double", [z, w], [z - 1, w ** 2], {z: 1, w: 0})
    sol = _mp_newton(c, [1, "1e-16"], [], "1e-20")
    assert sol.iterations == 17
    c = _free("triple", [z, w], [z - 1, w ** 3], {z: 1, w: 0})
    with pytest.raises(S.PrecisionLimited, match=r"stopped shrinking at 2\.22e-17") as err:
        _mp_newton(c, [1, "1e-16"], [], "1e-20")
    assert mp.nstr(err.value.x[1], 12) == "6.66666666667e-17"


def test_mpmath_no_acceptable_step_names_three_digits():
    """z² + 1 = 0 (no real root) from 3e-30: no damped step reduces the correction."""
    c = _free("noroot", [z], [z ** 2 + a], {z: 1})
    with pytest.raises(S.PrecisionLimited, match=r"no acceptable step at iteration 1 at 30 "
                                                 r"digits \(relative correction 5\.56e\+58\)"):
        _mp_newton(c, ["3e-30"], [1], "1e-20")


def test_mpmath_newton_from_a_positive_unknown_at_zero():
    """x(x − a) = 0 and z = 1 from x = 0 (the boundary of x > 0, where the correction is 0):
    the stopping rule is met but the root is outside the domain — not returned; Newton
    runs out of iterations there."""
    c = compile_system(system("pz", [x, z], [x * (x - a), z - 1], {x: 1, z: 1}, positive=(x,)))
    with pytest.raises(S.PrecisionLimited, match="did not converge in 12 iterations"):
        _mp_newton(c, [0, 1], [1], "1e-20", maxiter=12)


# ----------------------------------------------------------------------------- fast paths

def test_frozen_newton_polishes_a_float64_start():
    """From a float64 start the frozen float64 inverse contracts the error by ~1e-16 per
    step: √a to 50 digits in at most four residuals, its correction a bound on the error."""
    c = _sqrt_system()
    with mp.workdps(60):
        for target in (mp.mpf(2), mp.mpf("1e-60"), mp.mpf("1e60")):
            start = [mp.mpf(float(target))]
            sol = S.frozen_newton(c, start, [target ** 2], atoms_mp(ONE_ATOM),
                                  tol=mp.mpf(10) ** -52)
            assert sol is not None and sol.iterations <= 4
            assert abs(sol.x[0] / target - 1) < mp.mpf(10) ** -55
            assert abs(sol.x[0] - target) <= sol.correction[0] + target * mp.mpf(10) ** -58


def test_frozen_newton_refuses_what_it_cannot_contract(monkeypatch):
    """None (the full Newton then runs) for a start too far for eight steps, a singular
    Jacobian, a second step outside the quadratic zone, and an inverse too rough to
    contract by FROZEN_CONTRACTION per step."""
    c = _sqrt_system()
    A = atoms_mp(ONE_ATOM)
    with mp.workdps(50):
        tol = mp.mpf(10) ** -42
        assert S.frozen_newton(c, [mp.mpf(10) ** 6], [mp.mpf(4)], A, tol=tol) is None
        assert S.frozen_newton(c, [mp.mpf(0)], [mp.mpf(4)], A, tol=tol) is None
    with mp.workdps(20):    # a second large step: not near the solution, left to newton_mp
        assert S.frozen_newton(c, [mp.mpf("2.5")], [mp.mpf(4)], A,
                               tol=mp.mpf(10) ** -12) is None
        assert abs(S.newton_to_tolerance(c, [mp.mpf("2.5")], {a: Fraction(4)}, ONE_ATOM).x[0]
                   - 2) < mp.mpf(10) ** -11
    with mp.workdps(50):
        assert S.frozen_newton(c, [mp.mpf(2) + mp.mpf(10) ** -12], [mp.mpf(4)], A,
                               tol=tol) is not None
        real = S._float_inverse
        monkeypatch.setattr(S, "_float_inverse",
                            lambda J: (lambda K: (K[0] * (1 + 1e-4), K[1]))(real(J)))
        assert S.frozen_newton(c, [mp.mpf(2) + mp.mpf(10) ** -12], [mp.mpf(4)], A,
                               tol=tol) is None     # contracts by 1e-4 only


def test_unique_root_systems_start_at_the_target(monkeypatch):
    """The mixture systems have one positive root at λ > 0: their float64 start is Newton
    from the guess at the target, without the λ-continuation, and lands on the same root;
    a system without the mark, or λ = 0, walks down from a large ridge."""
    c, params = _linear(Fraction(1, 10))
    assert c.system.unique_root
    walked = []
    real = S.continuation_np
    monkeypatch.setattr(S, "continuation_np",
                        lambda *args, **kw: walked.append(1) or real(*args, **kw))
    with mp.workdps(45):
        direct = S.solve_point(c, params, ONE_ATOM, dps=30)
    assert walked == []
    unmarked = compile_system(dataclasses.replace(c.system, unique_root=False))
    with mp.workdps(45):
        walk = S.solve_point(unmarked, params, ONE_ATOM, dps=30)
    assert walked == [1]
    assert all(abs(u - v) <= mp.mpf(10) ** -35 * (1 + abs(v)) for u, v in zip(direct.x, walk.x))
    assert not eq.rescale(c.system, {eq.e1: eq.lam * sp.Symbol("eps1", positive=True)},
                          eq.lam, "ridgeless").unique_root


def test_frozen_newton_leaves_tiny_unknowns_to_the_full_newton():
    """An unknown below 10^-(w/2) of the largest may be 0 up to rounding: the frozen
    polish declines it (newton_mp judges it), and accepts it at a precision that
    resolves it."""
    c = compile_system(system("tiny", [x, y], [x ** 2 - a, y - sp.Rational(1, 10 ** 40) * x],
                              {x: 1, y: 0}))
    A = atoms_mp(ONE_ATOM)
    start = [mp.mpf(2) + mp.mpf(10) ** -12, mp.mpf("2e-40")]
    with mp.workdps(50):
        assert S.frozen_newton(c, start, [mp.mpf(4)], A, tol=mp.mpf(10) ** -42) is None
        sol = S.newton_to_tolerance(c, start, {a: Fraction(4)}, ONE_ATOM)
        assert abs(sol.x[1] / mp.mpf("2e-40") - 1) < mp.mpf(10) ** -40
    with mp.workdps(100):
        sol = S.frozen_newton(c, start, [mp.mpf(4)], A, tol=mp.mpf(10) ** -92)
        assert sol is not None and abs(sol.x[1] / mp.mpf("2e-40") - 1) < mp.mpf(10) ** -90


@pytest.mark.parametrize("model", ["linear", "random_projection"])
def test_the_direct_start_finds_the_continuations_root(monkeypatch, model):
    """The start at the target (unique positive root) and the λ-continuation from a large
    ridge land on the same fixed point, across sizes, shares and spectra of both mixture
    models (the uniqueness the direct start relies on, seen where it matters)."""
    from symcollapse.core.regimes import model_family, parameter_values
    from symcollapse.core.spec import parse
    system = model_family(model, "plain", ())
    assert system.unique_root
    direct = compile_system(system)
    walked = compile_system(dataclasses.replace(system, unique_root=False))
    atoms = [{"weight": Fraction(1, 3), "s1": 4, "s2": Fraction(1, 2), "theta": 2, "delta": 1},
             {"weight": Fraction(2, 3), "s1": Fraction(1, 5), "s2": 3, "theta": 1, "delta": 2}]
    for phi, p2, lam, psi in ((Fraction(1, 5), Fraction(1, 2), Fraction(1, 100), Fraction(3)),
                              (Fraction(3), Fraction(9, 10), Fraction(1, 1000), Fraction(1, 4)),
                              (Fraction(1), Fraction(1, 20), Fraction(5), Fraction(1)),
                              (Fraction(7, 2), Fraction(1, 3), Fraction(1, 10), Fraction(7, 2))):
        cfg = {"phi": phi, "p2": p2, "lam": lam, "sigma1": 1, "sigma2": 1, "atoms": atoms}
        if model != "linear":
            cfg.update(model=model, psi=psi)
        spec = parse(cfg)
        params = parameter_values(spec)
        with mp.workdps(45):
            a = S.solve_point(direct, params, spec.atoms, dps=30)
            b = S.solve_point(walked, params, spec.atoms, dps=30)
            assert all(abs(u - v) <= mp.mpf(10) ** -32 * (1 + abs(v)) for u, v in zip(a.x, b.x))
