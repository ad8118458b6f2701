"""The one-pass route of ``predict`` (symcollapse.core.one_pass): where it answers, its
digits are the two-precision confirmation's, digit for digit; each of its proofs refuses
what it cannot prove."""
from fractions import Fraction

import mpmath as mp
import pytest
from flint import arb
from hypothesis import HealthCheck, given, settings, strategies as st

import symcollapse as sc
from properties import examples
from symcollapse.core import certify as cert, decomposition as D, one_pass
from symcollapse.core.compiled import compile_system, mpfr_precision, to_mpfr
from symcollapse.core.precision import GUARD, rounded
from symcollapse.core.regimes import parameter_values

ISO = {"phi": Fraction(1, 2), "p2": Fraction(1, 5), "lam": Fraction(1, 10),
       "sigma1": Fraction(1, 2), "sigma2": Fraction(1, 2),
       "atoms": [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]}


def confirmed(spec, regime, dps):
    """The two-precision route's values for the same spec."""
    out, _w, _warm = D.confirmed(lambda warm: D._answer(regime, spec, dps, warm), dps,
                                 what=regime.name, unchecked=("residual", "newton_step"))
    return out


def assert_same_digits(fast, slow):
    assert fast.keys() == slow.keys()
    for k in slow:
        if k not in ("residual", "newton_step"):
            assert fast[k] == slow[k], k


def test_the_benchmark_point_is_proved_in_one_pass_with_the_confirmed_digits():
    spec = sc.parse(ISO)
    regime = D.regime_of(spec)
    fast = one_pass.answer(regime, spec, 30)
    assert fast is not None
    assert_same_digits(fast, confirmed(spec, regime, 30))
    assert fast["residual"] < mp.mpf(10) ** -40 and fast["newton_step"] < mp.mpf(10) ** -40


fraction = st.fractions(min_value=Fraction(1, 20), max_value=4, max_denominator=40)
share = st.fractions(min_value=Fraction(1, 40), max_value=Fraction(39, 40), max_denominator=40)


@st.composite
def configs(draw):
    model = draw(st.sampled_from(("linear", "random_projection")))
    strategy = draw(st.sampled_from(("plain", "weighted")))
    k = draw(st.integers(1, 3))
    atoms = [{"weight": Fraction(1, k), "s1": draw(fraction), "s2": draw(fraction),
              "theta": draw(fraction), "delta": draw(fraction)} for _ in range(k)]
    cfg = {"model": model, "strategy": strategy, "phi": draw(fraction), "p2": draw(share),
           "lam": draw(st.fractions(min_value=Fraction(1, 20), max_value=2, max_denominator=40)),
           "sigma1": draw(fraction), "sigma2": draw(fraction), "atoms": atoms}
    if model == "random_projection":
        cfg["psi"] = draw(fraction)
    if strategy == "weighted":
        cfg["alpha"] = draw(share)
    return cfg


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs(), st.sampled_from((15, 30, 50)))
def test_one_pass_digits_are_the_confirmed_digits(cfg, dps):
    """Both routes release the correctly rounded dps-digit decimal of every number (the
    parts, the unknowns, the training errors, df, GCV): where the one pass answers, it
    answers the same, and on these ridge configs it does answer."""
    spec = sc.parse(cfg)
    regime = D.regime_of(spec)
    fast = one_pass.answer(regime, spec, dps)
    assert fast is not None
    assert_same_digits(fast, confirmed(spec, regime, dps))


@pytest.mark.parametrize("why, cfg", [
    ("the ridgeless limit has no unique-root start", dict(ISO, lam=0)),
    ("a test error that is exactly 0 is not proved positive",
     dict(ISO, sigma1=0, sigma2=0, atoms=[{"weight": 1, "s1": 1, "s2": 1, "theta": 0,
                                           "delta": 0}])),
])
def test_what_one_pass_cannot_prove_is_confirmed_instead(why, cfg):
    spec = sc.parse(cfg)
    regime = D.regime_of(spec)
    if regime.delegate is None:
        assert one_pass.answer(regime, spec, 30) is None, why
    assert sc.predict(cfg, dps=30)["test_error"] >= 0


def test_release_is_the_correctly_rounded_decimal_of_a_proved_ball():
    with cert.ball_precision(30, GUARD), mp.workdps(60):
        third = arb(1) / 3
        assert one_pass.release(third, 30) == rounded(mp.mpf(1) / 3, 30)
        assert one_pass.release(-third * 10 ** 7, 20) == rounded(-mp.mpf(10) ** 7 / 3, 20)
        assert one_pass.release(arb(0), 30) == 0
        # 0.99999… rounds up to 1 at 5 digits (a carry into the next decade)
        assert one_pass.release(arb(1) - arb(10) ** -9, 5) == 1
        # a ball across the boundary between 0.12345 and 0.12346 is not released
        with pytest.raises(one_pass.Unproved):
            one_pass.release(arb("0.123455", "1e-9"), 5)
        assert one_pass.release(arb("0.123454", "1e-9"), 5) == rounded(mp.mpf("0.12345"), 5)
        with pytest.raises(one_pass.Unproved):
            one_pass.release(arb(0, "1e-40"), 30)


def _solved(cfg, dps=30):
    spec = sc.parse(cfg)
    regime = D.regime_of(spec)
    c = compile_system(regime.system)
    params = parameter_values(spec)
    return c, params, regime.atoms


def test_krawczyk_encloses_the_newton_solution_and_refuses_a_point_that_is_not_one():
    c, params, atoms = _solved(ISO)
    with mp.workdps(30 + GUARD), cert.ball_precision(30, GUARD):
        A = cert.arb_atoms(atoms)
        p = cert.arb_arguments(c, params)
        with mpfr_precision():
            start, lu = one_pass._start(c, params, atoms)
            x, corr, _res, _lu = one_pass.newton_mpfr(c, start, params, atoms,
                                                      tol=one_pass._tolerance(), steps=6,
                                                      frozen=True, lu=lu)
        K = one_pass.enclosure(c, x, corr, p, A)
        # the proved root lies within 10^-40 of the Newton solution, in a ball that narrow
        assert all(abs(k - one_pass._ball(v)) < abs(one_pass._ball(v)) * arb(10) ** -40
                   for k, v in zip(K, x))
        assert all(k.rad() < abs(k.mid()) * arb(10) ** -40 for k in K)
        with mpfr_precision():
            moved = [v * (1 + to_mpfr(mp.mpf(10) ** -20)) for v in x]
        with pytest.raises(one_pass.Unproved, match="contract"):
            one_pass.enclosure(c, moved, corr, p, A)


def test_a_frozen_newton_that_does_not_contract_is_refused():
    """A Jacobian factored far from the solution (the guess at 53 bits) and then frozen
    contracts too slowly: refused, where the unfrozen Newton converges."""
    c, params, atoms = _solved(ISO)
    with mp.workdps(30 + GUARD), mpfr_precision():
        guess = [to_mpfr(mp.mpf(v)) for v in ("3", "0.01", "2", "0.02")]
        with pytest.raises(one_pass.Unproved):
            one_pass.newton_mpfr(c, guess, params, atoms, tol=one_pass._tolerance(), steps=6,
                                 frozen=True)
        x = one_pass.newton_mpfr(c, guess, params, atoms, tol=one_pass._tolerance(), steps=40,
                                 damped=True)[0]
        assert all(v > 0 for v in x)
