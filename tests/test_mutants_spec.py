"""The config contract of ``symcollapse.core.spec``, stated exactly (found by mutation testing).

Every number is read exactly from its decimal text; every refusal is a one-line
``ConfigError`` whose message names the key, echoes the bad value and states the allowed
range.  The messages below are compared in full: they are what the command line prints.
"""
import dataclasses
import decimal
import json
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

from symcollapse.core.errors import ConfigError
from symcollapse.core.spec import (MAX_ATOMS, Atom, Spec, load, loads, parse, resolve_p2_schedule,
                              scalar_bounds, screen, to_number)

ATOM = {"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 2}
BASE = {"phi": 0.25, "p2": 0.125, "lam": 0, "atoms": [ATOM]}
ALL_KEYS = ("model, activation, strategy, design, phi, psi, psi1, psi2, p2, p2_schedule, lam, sigma1, "
            "sigma2, alpha, generations, atoms, n, trials, seed")
ATOM_LIST = "{weight, s1, s2, theta, delta}"


def cfg(**kw):
    out = dict(BASE)
    out.update(kw)
    return out


def message(fn, *args, **kw):
    """The one-line message of the ConfigError that ``fn(*args, **kw)`` raises."""
    with pytest.raises(ConfigError) as info:
        fn(*args, **kw)
    msg = str(info.value)
    assert "\n" not in msg
    return msg


def refusal(config, **kw):
    return message(parse, config, **kw)


# ----------------------------------------------------------------------------- ranges

@pytest.mark.parametrize("key,strategy,bounds", [
    ("phi", "plain", dict(low=0, low_open=True)),
    ("psi", "weighted", dict(low=0, low_open=True)),
    ("p2", "plain", dict(low=0, high=1)),
    ("p2", "iterative", dict(low=0, high=1)),
    ("p2", "weighted", dict(low=0, high=1, low_open=True, high_open=True,
                            explain='0 < p2 < 1 for strategy "weighted" (both groups present)')),
    ("lam", "plain", dict(low=0)),
    ("sigma1", "plain", dict(low=0)),
    ("sigma2", "weighted", dict(low=0)),
    ("alpha", "weighted", dict(low=0, high=1,
                               explain='0 <= alpha <= 1, required for strategy "weighted"')),
])
def test_scalar_bounds_are_the_documented_ranges(key, strategy, bounds):
    assert scalar_bounds(key, strategy) == bounds


def test_scalar_bounds_default_strategy_is_plain_and_unknown_keys_raise():
    assert scalar_bounds("p2") == dict(low=0, high=1)
    with pytest.raises(KeyError):
        scalar_bounds("n")


@pytest.mark.parametrize("key,value,text", [
    ("phi", 0, "phi = 0 is out of range: allowed 0 < phi"),
    ("phi", -2, "phi = -2 is out of range: allowed 0 < phi"),
    ("p2", 1.5, "p2 = 1.5 is out of range: allowed 0 <= p2 <= 1"),
    ("p2", -0.1, "p2 = -0.1 is out of range: allowed 0 <= p2 <= 1"),
    ("lam", -0.5, "lam = -0.5 is out of range: allowed 0 <= lam"),
    ("sigma1", -1, "sigma1 = -1 is out of range: allowed 0 <= sigma1"),
    ("sigma2", Fraction(-1, 3), "sigma2 = -1/3 is out of range: allowed 0 <= sigma2"),
    ("lam", decimal.Decimal("-0.10"), "lam = -0.10 is out of range: allowed 0 <= lam"),
])
def test_out_of_range_message_echoes_the_value_and_states_the_range(key, value, text):
    assert refusal(cfg(**{key: value})) == text


@pytest.mark.parametrize("key,value,expected", [
    ("p2", 0, Fraction(0)), ("p2", 1, Fraction(1)), ("lam", 0, Fraction(0)),
    ("sigma1", 0, Fraction(0)), ("phi", Fraction(1, 10 ** 300), Fraction(1, 10 ** 300)),
])
def test_closed_bounds_are_accepted(key, value, expected):
    assert getattr(parse(cfg(**{key: value})), key) == expected


def test_weighted_p2_excludes_both_ends_and_alpha_includes_both():
    w = dict(strategy="weighted", alpha=0.5)
    for p2 in (0, 1):
        assert refusal(cfg(p2=p2, **w)) == (
            f'p2 = {p2} is out of range: allowed 0 < p2 < 1 for strategy "weighted" '
            "(both groups present)")
    assert parse(cfg(p2=0.5, **w)).p2 == Fraction(1, 2)
    for alpha in (0, 1):
        assert parse(cfg(strategy="weighted", alpha=alpha)).alpha == alpha
    assert refusal(cfg(strategy="weighted", alpha=1.5)) == (
        'alpha = 1.5 is out of range: allowed 0 <= alpha <= 1, required for strategy "weighted"')
    assert refusal(cfg(strategy="weighted")) == (
        'alpha is missing: it is required (0 <= alpha <= 1, required for strategy "weighted")')


@pytest.mark.parametrize("missing,text", [
    ("phi", "phi is missing: it is required (0 < phi)"),
    ("p2", "p2 is missing: it is required (0 <= p2 <= 1)"),
    ("lam", "lam is missing: it is required (0 <= lam)"),
    ("atoms", f"atoms is missing: it is required (a non-empty list of {ATOM_LIST})"),
])
def test_missing_required_keys_name_the_range(missing, text):
    assert refusal({k: v for k, v in BASE.items() if k != missing}) == text


def test_screen_masks_exactly_what_parse_might_refuse():
    v = [0.5, 0.0, -1.0, np.nan, np.inf, -np.inf, 1e300, 9.95e299, 9.8e299,
         1.005e-300, 1.02e-300, 1e-310]
    assert screen("phi", v).tolist() == [False, True, True, True, True, True, True, True, False,
                                         True, False, True]
    assert screen("lam", v).tolist() == [False, False, True, True, True, True, True, True, False,
                                         True, False, True]
    p = [0.0, 1.0, 0.5, -0.1, 1.1]
    assert screen("p2", p).tolist() == [False, False, False, True, True]
    assert screen("p2", p, "weighted").tolist() == [True, True, False, True, True]
    assert screen("alpha", p, "weighted").tolist() == [False, False, False, True, True]
    # every unmasked entry is accepted by parse
    for key, values in (("phi", v), ("p2", p)):
        for x, bad in zip(values, screen(key, values)):
            if not bad:
                parse(cfg(**{key: float(x)}))


# ----------------------------------------------------------------------------- numbers

def test_numbers_are_exact_fractions_of_their_decimal_text():
    s = parse(cfg(phi=0.1, p2=0.3, lam=1e-30, sigma1=2.5e3, sigma2=decimal.Decimal("0.07")))
    assert (s.phi, s.p2, s.lam, s.sigma1, s.sigma2) == (
        Fraction(1, 10), Fraction(3, 10), Fraction(1, 10 ** 30), Fraction(2500),
        Fraction(7, 100))
    assert all(type(x) is Fraction for x in (s.phi, s.p2, s.lam, s.sigma1, s.sigma2))
    text = json.dumps(cfg(phi=0.1)).replace("0.125", "0.3")
    c = loads(text)
    assert isinstance(c["phi"], decimal.Decimal)
    assert parse(c).phi == Fraction(1, 10) and parse(c).p2 == Fraction(3, 10)


def test_python_numeric_types_are_read_exactly():
    assert to_number("x", 7) == Fraction(7) and type(to_number("x", 7)) is Fraction
    assert to_number("x", Fraction(2, 6)) == Fraction(1, 3)
    assert to_number("x", mp.mpf("0.25")) == Fraction(1, 4)
    assert to_number("x", mp.mpf(3) / 8) == Fraction(3, 8)
    assert to_number("x", mp.mpf(0)) == 0
    assert to_number("x", mp.mpf(6)) == 6
    assert to_number("x", sp.Rational(-2, 7)) == Fraction(-2, 7)
    assert type(to_number("x", sp.Integer(5))) is Fraction
    assert to_number("x", sp.Float("0.1")) == Fraction(1, 10)
    assert to_number("x", decimal.Decimal("0e-500")) == 0  # zero at any exponent is zero


def test_negative_mpmath_numbers_keep_their_sign():
    """mpf.man_exp drops the sign: a negative mpmath number is read from its _mpf_ tuple
    (sign, mantissa, exponent), and refused where the key must be positive."""
    assert to_number("x", mp.mpf("-0.25")) == Fraction(-1, 4)
    assert to_number("x", mp.mpf(-3)) == -3 and to_number("x", mp.mpf(0)) == 0
    assert to_number("x", -mp.mpf(2) ** -60) == Fraction(-1, 2 ** 60)
    assert message(parse, {"phi": mp.mpf("-0.5"), "p2": 0, "lam": 1,
                           "atoms": [{"weight": 1, "s1": 1, "s2": 1, "theta": 1,
                                      "delta": 0}]}) == (
        "phi = mpf('-0.5') is out of range: allowed 0 < phi")


def test_numpy_scalars_are_read_by_their_python_value():
    assert to_number("phi", np.int64(3)) == 3
    assert to_number("phi", np.float32(0.5)) == Fraction(1, 2)
    assert to_number("phi", np.array(0.25)) == Fraction(1, 4)
    assert message(to_number, "phi", np.bool_(True)) == "phi must be a number, got true"
    assert message(to_number, "phi", np.array([0.1, 0.2])).startswith(
        "phi must be a number, got ndarray")


@pytest.mark.parametrize("value,text", [
    (True, "phi must be a number, got true"),
    (False, "phi must be a number, got false"),
    (None, "phi must be a number, got null"),
    ("0.1", 'phi must be a number, got "0.1"'),
    ("x" * 40, 'phi must be a number, got "' + "x" * 40 + '"'),
    ("y" * 41, 'phi must be a number, got "' + "y" * 37 + '..."'),
    ([0.1], "phi must be a number, got a list of 1"),
    ((1, 2), "phi must be a number, got a list of 2"),
    ({"a": 1}, "phi must be a number, got an object"),
    (1 + 2j, "phi must be a number, got complex (1+2j)"),
    (b"ab", "phi must be a number, got bytes b'ab'"),
    (range(10 ** 30), "phi must be a number, got range " + repr(range(10 ** 30))[:37] + "..."),
    (range(10 ** 26), "phi must be a number, got range " + repr(range(10 ** 26))),
])
def test_non_numbers_are_refused_with_the_value_echoed(value, text):
    assert message(to_number, "phi", value) == text
    assert refusal(cfg(phi=value)) == text


@pytest.mark.parametrize("value,text", [
    (float("nan"), "lam = nan is not a finite number"),
    (float("-inf"), "lam = -inf is not a finite number"),
    (decimal.Decimal("NaN"), "lam = NaN is not a finite number"),
    (decimal.Decimal("Infinity"), "lam = Infinity is not a finite number"),
    (mp.mpf("inf"), "lam = mpf('+inf') is not a finite number"),
    (mp.mpc(1, 2), "lam must be a real number, got mpc(real='1.0', imag='2.0')"),
])
def test_non_finite_and_non_real_values_are_refused(value, text):
    assert message(to_number, "lam", value) == text


MAGNITUDE = "allowed magnitudes are 0 or between 1e-300 and 1e300"


@pytest.mark.parametrize("value", [
    10 ** 300, -10 ** 300, Fraction(10 ** 300), Fraction(-1, 10 ** 300), decimal.Decimal("1e300"),
    decimal.Decimal("-9.99e300"), decimal.Decimal("1e-300"), 1e300, 1e-300, mp.mpf(2) ** 996,
    mp.mpf(2) ** -996, sp.Rational(1, 10 ** 300)])
def test_magnitudes_up_to_1e300_are_accepted(value):
    if isinstance(value, (float, decimal.Decimal)):
        expected = Fraction(decimal.Decimal(repr(value) if isinstance(value, float) else value))
    elif isinstance(value, mp.mpf):
        expected = Fraction(2) ** int(mp.log(value, 2))
    else:
        expected = Fraction(int(sp.Rational(value).p), int(sp.Rational(value).q))
    assert to_number("lam", value) == expected


@pytest.mark.parametrize("value,text", [
    (10 ** 300 + 1, "lam is out of range: allowed magnitudes up to 1e300"),
    (-10 ** 300 - 1, "lam is out of range: allowed magnitudes up to 1e300"),
    (Fraction(10 ** 300 + 1), f"lam is out of range: {MAGNITUDE}"),
    (Fraction(1, 10 ** 300 + 1), f"lam is out of range: {MAGNITUDE}"),
    (Fraction(-1, 10 ** 300 + 1), f"lam is out of range: {MAGNITUDE}"),
    (sp.Rational(1, 10 ** 301), f"lam is out of range: {MAGNITUDE}"),
    (mp.mpf(2) ** 1000, f"lam is out of range: {MAGNITUDE}"),
    (mp.mpf(2) ** -1000, f"lam is out of range: {MAGNITUDE}"),
    (decimal.Decimal("1e301"), f"lam = 1E+301 is out of range: {MAGNITUDE}"),
    (decimal.Decimal("-1e-301"), f"lam = -1E-301 is out of range: {MAGNITUDE}"),
    (decimal.Decimal("1e-999999999"), f"lam = 1E-999999999 is out of range: {MAGNITUDE}"),
    (1e-310, f"lam = 1E-310 is out of range: {MAGNITUDE}"),
])
def test_magnitudes_beyond_1e300_are_refused(value, text):
    assert message(to_number, "lam", value) == text


def test_sympy_values_outside_symbolic_mode_are_refused():
    assert refusal(cfg(phi=sp.sqrt(2))) == (
        "phi must be a number, got the SymPy object sqrt(2) "
        "(symbols are accepted by closed_form only)")
    assert refusal(cfg(phi=sp.Symbol("phi", positive=True))) == (
        "phi must be a number, got the SymPy object phi (symbols are accepted by closed_form only)")
    # symbolic mode keeps expressions but still refuses non-expressions, without the hint
    assert message(to_number, "phi", sp.true, symbolic=True) == (
        "phi must be a number, got the SymPy object True")


def test_symbolic_mode_keeps_expressions_and_refuses_non_finite_or_non_real():
    x = sp.Symbol("x")
    assert to_number("phi", x, symbolic=True) is x
    assert to_number("phi", sp.sqrt(2), symbolic=True) == sp.sqrt(2)
    assert to_number("phi", sp.Float("0.5"), symbolic=True) == Fraction(1, 2)
    assert to_number("phi", sp.Rational(1, 3), symbolic=True) == Fraction(1, 3)
    assert message(to_number, "phi", sp.I, symbolic=True) == "phi = I is not a finite real number"
    assert message(to_number, "phi", sp.oo, symbolic=True) == "phi = oo is not a finite real number"
    assert message(to_number, "phi", sp.zoo, symbolic=True) == \
        "phi = zoo is not a finite real number"


def test_symbolic_ranges_are_checked_where_sympy_can_decide():
    nonneg = sp.Symbol("x", nonnegative=True)
    nonpos = sp.Symbol("y", nonpositive=True)
    free = sp.Symbol("z")
    s = parse(cfg(phi=free, lam=nonpos, p2=1 + nonneg), symbolic=True)
    assert (s.phi, s.lam, s.p2) == (free, nonpos, 1 + nonneg)
    assert s.symbolic
    assert refusal(cfg(phi=nonpos), symbolic=True) == "phi = y is out of range: allowed 0 < phi"
    assert refusal(cfg(lam=-1 - nonneg), symbolic=True) == \
        "lam = -x - 1 is out of range: allowed 0 <= lam"
    assert refusal(cfg(p2=2 + nonneg), symbolic=True) == \
        "p2 = x + 2 is out of range: allowed 0 <= p2 <= 1"
    assert refusal(cfg(strategy="weighted", alpha=0.5, p2=1 + nonneg), symbolic=True) == (
        'p2 = x + 1 is out of range: allowed 0 < p2 < 1 for strategy "weighted" '
        "(both groups present)")
    # a symbolic atom weight is kept as given (no sum check, no renormalization)
    w = sp.Symbol("w", positive=True)
    s = parse(cfg(atoms=[dict(ATOM, weight=w), dict(ATOM, weight=2)]), symbolic=True)
    assert [a.weight for a in s.atoms] == [w, 2]


# ----------------------------------------------------------------------------- choices

@pytest.mark.parametrize("key,value,text", [
    ("model", "quadratic", 'model = "quadratic" is not allowed: allowed values are "linear", '
                           '"random_projection", "random_features", "deep_random_features"'),
    ("model", 1, 'model = 1 is not allowed: allowed values are "linear", "random_projection", '
                 '"random_features", "deep_random_features"'),
    ("strategy", "greedy", 'strategy = "greedy" is not allowed: allowed values are "plain", '
                           '"weighted", "iterative", "replace", "accumulate"'),
    ("strategy", None, 'strategy = null is not allowed: allowed values are "plain", '
                       '"weighted", "iterative", "replace", "accumulate"'),
])
def test_choices_list_the_allowed_values(key, value, text):
    assert refusal(cfg(**{key: value})) == text


def test_defaults_and_choices_are_kept():
    s = parse(BASE)
    assert (s.model, s.strategy, s.activation, s.psi, s.sigma1, s.sigma2, s.alpha,
            s.generations, s.n, s.trials, s.seed) == (
        "linear", "plain", None, None, 0, 0, None, None, None, None, None)
    assert type(s.sigma1) is Fraction and type(s.sigma2) is Fraction
    full = parse(cfg(model="random_features", activation="relu", psi=0.5, strategy="iterative",
                     generations=3, sigma1=0.5, sigma2=0.25, n=10, trials=5, seed=0))
    assert (full.model, full.activation, full.psi, full.strategy, full.generations,
            full.sigma1, full.sigma2, full.n, full.trials, full.seed) == (
        "random_features", "relu", Fraction(1, 2), "iterative", 3, Fraction(1, 2),
        Fraction(1, 4), 10, 5, 0)
    rp = parse(cfg(model="random_projection", psi=2, strategy="weighted", alpha=0.25))
    assert (rp.model, rp.psi, rp.activation, rp.strategy, rp.alpha) == (
        "random_projection", 2, None, "weighted", Fraction(1, 4))


def test_model_and_strategy_specific_keys_are_refused_elsewhere():
    assert refusal(cfg(model="random_features", psi=1)) == (
        'activation is missing: it is required for model "random_features" '
        '(allowed "relu", "tanh")')
    assert refusal(cfg(model="random_features", psi=1, activation="sigmoid")) == (
        'activation = "sigmoid" is not allowed: allowed values are "relu", "tanh"')
    for model in ("linear", "random_projection"):
        assert refusal(cfg(model=model, psi=1, activation="relu")) == (
            f'activation is not allowed for model "{model}": it is the activation of the '
            'features of "random_features" and "deep_random_features"')
    for model in ("random_projection", "random_features"):
        extra = {"activation": "tanh"} if model == "random_features" else {}
        assert refusal(cfg(model=model, **extra)) == "psi is missing: it is required (0 < psi)"
    assert refusal(cfg(model="random_projection", psi=0)) == \
        "psi = 0 is out of range: allowed 0 < psi"
    assert refusal(cfg(psi=2)) == (
        'psi is not allowed for model "linear": it is the model size m/n of '
        '"random_projection" and "random_features"')
    for strategy in ("plain", "iterative"):
        assert refusal(cfg(strategy=strategy, generations=2, alpha=0.5)) == (
            f'alpha is not allowed for strategy "{strategy}": it is the weight of the real data '
            'of strategy "weighted"')
    for strategy in ("plain", "weighted"):
        extra = {"alpha": 0.5} if strategy == "weighted" else {}
        assert refusal(cfg(strategy=strategy, generations=2, **extra)) == (
            f'generations is not allowed for strategy "{strategy}": it is the number of '
            'generations of strategies "iterative", "replace" and "accumulate"')


# ----------------------------------------------------------------------------- integers

@pytest.mark.parametrize("extra,text", [
    (dict(strategy="iterative"), "generations is missing: it is required (an integer >= 1)"),
    (dict(strategy="iterative", generations=0),
     "generations = 0 is out of range: allowed integers 1 <= generations <= 10000"),
    (dict(strategy="iterative", generations=10001),
     "generations = 10001 is out of range: allowed integers 1 <= generations <= 10000"),
    (dict(strategy="iterative", generations=2.5),
     "generations must be an integer >= 1, got 2.5"),
    (dict(strategy="iterative", generations=True),
     "generations must be an integer >= 1, got true"),
    (dict(n=1), "n = 1 is out of range: allowed integers 2 <= n"),
    (dict(n="10"), 'n must be an integer >= 2, got "10"'),
    (dict(trials=1), "trials = 1 is out of range: allowed integers 2 <= trials"),
    (dict(trials=2.0), "trials must be an integer >= 2, got 2.0"),
    (dict(seed=-1), "seed = -1 is out of range: allowed integers 0 <= seed"),
    (dict(seed=sp.Rational(1, 2)), "seed must be an integer >= 0, got 1/2"),
])
def test_integer_keys_name_their_range(extra, text):
    assert refusal(cfg(**extra)) == text


def test_integer_keys_accept_their_bounds_and_sympy_integers():
    s = parse(cfg(strategy="iterative", generations=10000, n=2, trials=2, seed=0))
    assert (s.generations, s.n, s.trials, s.seed) == (10000, 2, 2, 0)
    assert parse(cfg(strategy="iterative", generations=1)).generations == 1
    s = parse(cfg(n=sp.Integer(7), seed=sp.Integer(0)))
    assert (s.n, s.seed) == (7, 0) and type(s.n) is int and type(s.seed) is int


# ----------------------------------------------------------------------------- atoms

@pytest.mark.parametrize("atoms,text", [
    ({"weight": 1}, f"atoms must be a non-empty list of {ATOM_LIST}, got an object"),
    ("abc", f'atoms must be a non-empty list of {ATOM_LIST}, got "abc"'),
    ([], f"atoms is empty: allowed a non-empty list of {ATOM_LIST}"),
    ([None] * (MAX_ATOMS + 1), "atoms has 200001 entries: allowed at most 200000"),
    # MAX_ATOMS entries pass the count check (the first entry is what is refused)
    ([None] * MAX_ATOMS, "atoms[0] must be an object with keys weight, s1, s2, theta, delta, "
                         "got null"),
    ([ATOM, [1]], "atoms[1] must be an object with keys weight, s1, s2, theta, delta, "
                  "got a list of 1"),
    ([dict(ATOM, colour=1, size=2)],
     "atoms[0].colour is not a known key: allowed keys are weight, s1, s2, theta, delta"),
    ([{"weight": 1, "s1": 1, "theta": 1}],
     "atoms[0].s2 is missing: each atom needs weight, s1, s2, theta, delta"),
    ([dict(ATOM, weight=0)], "atoms[0].weight = 0 is out of range: allowed atoms[0].weight > 0"),
    ([dict(ATOM, weight=0.5), dict(ATOM, weight=-0.5)],
     "atoms[1].weight = -0.5 is out of range: allowed atoms[1].weight > 0"),
    ([dict(ATOM, weight="1")], 'atoms[0].weight must be a number, got "1"'),
    ([dict(ATOM, s1=-1)], "atoms[0].s1 = -1 is out of range: allowed atoms[0].s1 >= 0 and finite"),
    ([dict(ATOM, s2=-2)], "atoms[0].s2 = -2 is out of range: allowed atoms[0].s2 >= 0 and finite"),
    ([dict(ATOM, theta=float("inf"))], "atoms[0].theta = inf is not a finite number"),
    ([dict(ATOM, delta=-0.5)],
     "atoms[0].delta = -0.5 is out of range: allowed atoms[0].delta >= 0 and finite"),
    ([dict(ATOM, weight=0.5)], "atoms weights sum to 0.5: allowed a sum of 1 within 1e-9"),
    ([dict(ATOM, weight=0.5), dict(ATOM, weight=0.5 + 1.5e-9)],
     "atoms weights sum to 1.0000000015: allowed a sum of 1 within 1e-9"),
    ([dict(ATOM, weight=0.5), dict(ATOM, weight=decimal.Decimal("0.4999999989"))],
     "atoms weights sum to 0.9999999989: allowed a sum of 1 within 1e-9"),
])
def test_bad_atoms_are_refused_by_index_and_key(atoms, text):
    assert refusal(cfg(atoms=atoms)) == text


def test_atom_values_are_kept_in_their_fields():
    s = parse(cfg(atoms=({"delta": 4, "theta": 3, "s2": 2, "s1": 0, "weight": 1},)))
    assert s.atoms == (Atom(Fraction(1), Fraction(0), Fraction(2), Fraction(3), Fraction(4)),)
    assert s.atoms_as_dicts() == [{"weight": 1, "s1": 0, "s2": 2, "theta": 3, "delta": 4}]


def test_weights_within_1e9_of_one_are_renormalized_exactly():
    # a sum off by exactly 1e-9 is accepted, and each weight is divided by the sum
    s = parse(cfg(atoms=[dict(ATOM, weight=0.5), dict(ATOM, weight=0.500000001)]))
    total = Fraction(1000000001, 10 ** 9)
    assert [a.weight for a in s.atoms] == [Fraction(1, 2) / total,
                                          Fraction(500000001, 10 ** 9) / total]
    assert sum(a.weight for a in s.atoms) == 1
    s = parse(cfg(atoms=[dict(ATOM, weight=0.25), dict(ATOM, weight=0.749999999)]))
    assert s.atoms[0].weight == Fraction(1, 4) / Fraction(999999999, 10 ** 9)
    # weights summing to exactly 1 are kept as read
    s = parse(cfg(atoms=[dict(ATOM, weight=0.1), dict(ATOM, weight=0.9)]))
    assert [a.weight for a in s.atoms] == [Fraction(1, 10), Fraction(9, 10)]


# ----------------------------------------------------------------------------- parse

def test_config_must_be_an_object_with_known_keys():
    assert refusal([1, 2]) == "the config must be a JSON object, got a list of 2"
    assert refusal("phi") == 'the config must be a JSON object, got "phi"'
    assert refusal(cfg(colour="blue")) == f"colour is not a known key: allowed keys are {ALL_KEYS}"
    assert refusal({1: 2, **BASE}) == f"1 is not a known key: allowed keys are {ALL_KEYS}"
    assert refusal({(1, 2): 2, **BASE}) == \
        f"a list of 2 is not a known key: allowed keys are {ALL_KEYS}"


def test_a_spec_is_returned_as_is_and_round_trips_through_its_config():
    s = parse(cfg(model="random_projection", psi=0.5, n=3))
    assert parse(s) is s
    c = s.to_config()
    assert c == {"phi": Fraction(1, 4), "p2": Fraction(1, 8), "lam": 0,
                 "atoms": [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 2}],
                 "model": "random_projection", "strategy": "plain", "psi": Fraction(1, 2),
                 "sigma1": 0, "sigma2": 0, "n": 3}
    assert parse(c) == s
    assert s.replace(phi=Fraction(3)).phi == 3 and s.phi == Fraction(1, 4)


def test_p1_is_one_minus_p2_and_symbolic_flags_expressions_anywhere():
    s = parse(cfg(p2=0.3, seed=1))
    assert s.p1 == Fraction(7, 10)
    assert s.symbolic is False
    theta = sp.Symbol("theta", positive=True)
    assert parse(cfg(atoms=[dict(ATOM, theta=theta)]), symbolic=True).symbolic is True
    assert parse(cfg(lam=sp.sqrt(2)), symbolic=True).symbolic is True


# ----------------------------------------------------------------------------- schedule

def test_p2_schedule_sets_p2_at_the_configs_n():
    no_p2 = {k: v for k, v in BASE.items() if k != "p2"}
    s = parse(dict(no_p2, p2_schedule={"kappa": 0.5, "a": 1}, n=10))
    assert s.p2 == Fraction(1, 20) and s.n == 10
    assert refusal(dict(no_p2, p2_schedule={"kappa": 1, "a": 1})) == (
        "n is missing: it is required with p2_schedule (the sample size at which "
        "p2 = kappa*n^(-a) is evaluated; an integer >= 2)")
    assert refusal(cfg(p2_schedule={"kappa": 1, "a": 1}, n=4)) == (
        "p2 and p2_schedule are both given: allowed one of them "
        "(p2_schedule sets p2 = kappa*n^(-a) at the config's n)")
    sym = parse(dict(no_p2, p2_schedule={"kappa": 1, "a": sp.Rational(1, 2)}, n=4),
                symbolic=True)
    assert sym.p2 == Fraction(1, 2) and type(sym.p2) is Fraction


@pytest.mark.parametrize("schedule,n,expected", [
    ({"kappa": 0.5, "a": 2}, 10, Fraction(1, 200)),       # integer a: exact
    ({"kappa": 0.5, "a": 2}, 1, Fraction(1, 2)),          # n = 1 is allowed
    ({"kappa": 1, "a": 1}, 2.5, Fraction(2, 5)),           # n need not be an integer
    ({"kappa": 0.5, "a": 0.5}, 100, Fraction(1, 20)),     # terminating decimal: exact
    ({"kappa": 2.7, "a": 1.5}, 2.25, Fraction(4, 5)),     # 2.7 / 1.5^3
    ({"kappa": 1, "a": 0.5}, 6.25, Fraction(2, 5)),
    ({"kappa": 1, "a": 0}, 7, Fraction(1)),
    ({"kappa": 1, "a": 300}, 10, Fraction(1, 10 ** 300)),  # exactly 1e-300 is allowed
])
def test_schedule_values_are_exact(schedule, n, expected):
    value = resolve_p2_schedule(schedule, n)
    assert value == expected and type(value) is Fraction


def test_irrational_schedule_values_are_rounded_to_200_significant_digits():
    value = resolve_p2_schedule({"kappa": 1, "a": 0.5}, 2)
    with mp.workdps(300):
        exact = 1 / mp.sqrt(2)
        err = abs(mp.mpf(value.numerator) / value.denominator - exact)
        assert err <= mp.mpf("0.5e-200")  # 0.7071...: the 200th digit is the 200th decimal
        assert err > mp.mpf("1e-260")
    # 0.7071... with 200 digits: the last one is the 200th decimal
    assert (value * 10 ** 200).denominator == 1 and (value * 10 ** 199).denominator != 1
    kappa = resolve_p2_schedule({"kappa": 0.3, "a": 1.5}, 3)
    with mp.workdps(300):
        exact = mp.mpf(3) / 10 * mp.power(3, mp.mpf(-3) / 2)
        assert abs(mp.mpf(kappa.numerator) / kappa.denominator - exact) <= mp.mpf("1e-201")


def test_symbolic_schedules_stay_exact():
    v = resolve_p2_schedule({"kappa": 1, "a": 0.5}, 2, symbolic=True)
    assert v == sp.sqrt(2) / 2
    v = resolve_p2_schedule({"kappa": 0.5, "a": 1}, 4, symbolic=True)
    assert v == Fraction(1, 8) and type(v) is Fraction
    v = resolve_p2_schedule({"kappa": 0.6, "a": 0.5}, 2.25, symbolic=True)
    assert v == Fraction(2, 5) and type(v) is Fraction
    assert resolve_p2_schedule({"kappa": 1, "a": 1}, 2.5, symbolic=True) == Fraction(2, 5)
    assert resolve_p2_schedule({"kappa": 1, "a": 0}, 3, symbolic=True) == 1
    assert message(resolve_p2_schedule, {"kappa": 1, "a": 0}, 3, "weighted", symbolic=True) == (
        'p2_schedule gives p2 = kappa*n^(-a) = 1 at n = 3: allowed 0 < kappa*n^(-a) < 1 for '
        'strategy "weighted"')
    assert message(resolve_p2_schedule, {"kappa": 4, "a": 0.5}, 2, symbolic=True) == (
        "p2_schedule gives p2 = kappa*n^(-a) = 2*sqrt(2) at n = 2: allowed 0 <= kappa*n^(-a) <= 1")
    a = sp.Symbol("a", positive=True)
    assert resolve_p2_schedule({"kappa": 1, "a": a}, 2, symbolic=True) == 2 ** -a


@pytest.mark.parametrize("schedule,n,strategy,text", [
    ([1, 2], 2, "plain",
     'p2_schedule must be an object {"kappa": kappa > 0, "a": a >= 0}, got a list of 2'),
    ({"kappa": 1, "a": 1, "b": 2}, 2, "plain",
     "p2_schedule.b is not a known key: allowed keys are kappa, a (p2 = kappa*n^(-a))"),
    ({"kappa": 1, "a": 1, 3: 2}, 2, "plain",
     "p2_schedule.3 is not a known key: allowed keys are kappa, a (p2 = kappa*n^(-a))"),
    ({"a": 1}, 2, "plain", "p2_schedule.kappa is missing: it is required (p2_schedule.kappa > 0)"),
    ({"kappa": 1}, 2, "plain", "p2_schedule.a is missing: it is required (p2_schedule.a >= 0)"),
    ({"kappa": 0, "a": 1}, 2, "plain",
     "p2_schedule.kappa = 0 is out of range: allowed p2_schedule.kappa > 0"),
    ({"kappa": 1, "a": -0.5}, 2, "plain",
     "p2_schedule.a = -0.5 is out of range: allowed p2_schedule.a >= 0"),
    ({"kappa": "1", "a": 1}, 2, "plain", 'p2_schedule.kappa must be a number, got "1"'),
    ({"kappa": 1, "a": 1}, 0.5, "plain",
     "n = 0.5 is out of range: allowed n >= 1 (p2_schedule)"),
    ({"kappa": 1, "a": 1}, "4", "plain", 'n must be a number, got "4"'),
    ({"kappa": 2, "a": 0}, 5, "plain",
     "p2_schedule gives p2 = kappa*n^(-a) = 2.0 at n = 5: allowed 0 <= kappa*n^(-a) <= 1"),
    ({"kappa": 1, "a": 0}, 5, "weighted",
     'p2_schedule gives p2 = kappa*n^(-a) = 1.0 at n = 5: allowed 0 < kappa*n^(-a) < 1 for '
     'strategy "weighted"'),
    ({"kappa": 5.4, "a": 1.5}, 2.25, "plain",
     "p2_schedule gives p2 = kappa*n^(-a) = 1.6 at n = 2.25: allowed 0 <= kappa*n^(-a) <= 1"),
    ({"kappa": 1, "a": 301}, 10, "plain",
     "p2_schedule gives p2 = kappa*n^(-a) = 1.0e-301 at n = 10: allowed 0 <= kappa*n^(-a) <= 1, "
     "and not below 1e-300"),
    ({"kappa": 1, "a": 10 ** 6}, 10, "plain",
     "p2_schedule gives p2 = kappa*n^(-a) = 1e-1000000 at n = 10: allowed 0 <= kappa*n^(-a) <= 1, "
     "and not below 1e-300"),
    ({"kappa": 1, "a": 999999}, 10, "weighted",
     "p2_schedule gives p2 = kappa*n^(-a) = 1.0e-999999 at n = 10: allowed 0 < kappa*n^(-a) < 1 "
     'for strategy "weighted", and not below 1e-300'),
])
def test_bad_schedules_are_refused_with_the_value_they_give(schedule, n, strategy, text):
    assert message(resolve_p2_schedule, schedule, n, strategy) == text


def test_weighted_schedule_inside_the_open_range_is_accepted():
    assert resolve_p2_schedule({"kappa": 0.5, "a": 1}, 5, "weighted") == Fraction(1, 10)
    assert resolve_p2_schedule({"kappa": 1, "a": 0}, 5) == 1


# ----------------------------------------------------------------------------- JSON

@pytest.mark.parametrize("text,expected", [
    ('{"phi": NaN}', "NaN is not a number here: allowed finite numbers only"),
    ('{"phi": Infinity}', "Infinity is not a number here: allowed finite numbers only"),
    ('{"phi": -Infinity}', "-Infinity is not a number here: allowed finite numbers only"),
    ('{"phi": 1, "phi": 2}', "phi appears twice in the config: each key once"),
    ('{"atoms": [{"s1": 1, "s1": 2}]}', "s1 appears twice in the config: each key once"),
    ("{phi: 0.5,", "the config is not valid JSON: Expecting property name enclosed in double "
                   "quotes: line 1 column 2 (char 1)"),
    ('{"phi": 1}\n{"p2": 2}', "the config is not valid JSON: Extra data: line 2 column 1 "
                              "(char 11)"),
    ("[" * 200_000, "the config is nested too deeply to be a config"),
])
def test_json_text_errors(text, expected):
    assert message(loads, text) == expected


def test_json_text_that_is_not_text_is_refused():
    assert message(loads, 12) == ("the config is not valid JSON: the JSON object must be str, "
                                  "bytes or bytearray, not int")


def test_json_keeps_decimal_text_and_nested_objects():
    c = loads('{"phi": 0.1, "lam": 1e-30, "n": 10, "atoms": [{"weight": 1.0}]}')
    assert c == {"phi": decimal.Decimal("0.1"), "lam": decimal.Decimal("1e-30"), "n": 10,
                 "atoms": [{"weight": decimal.Decimal("1.0")}]}
    assert type(c["n"]) is int


def test_load_reads_files_and_names_them_in_errors(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(cfg(phi=0.1)), encoding="utf-8")
    assert parse(load(good)).phi == Fraction(1, 10)
    assert parse(load(str(good))).phi == Fraction(1, 10)
    missing = tmp_path / "nope.json"
    assert message(load, missing) == f"cannot read config {missing}: no such file"
    assert message(load, tmp_path) == f"cannot read config {tmp_path}: it is a directory"
    long = tmp_path / ("x" * 5000)
    assert message(load, long) == f"cannot read config {long}: File name too long"
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"phi": "\xe9"}')
    assert message(load, latin) == f"config {latin} is not UTF-8 text"
    broken = tmp_path / "broken.json"
    broken.write_text('{"phi": 1, "phi": 1}', encoding="utf-8")
    assert message(load, broken) == "phi appears twice in the config: each key once"


def test_load_accepts_50_mb_and_refuses_more(tmp_path):
    body = b'{"phi": 1}'
    exact = tmp_path / "exact.json"
    exact.write_bytes(body + b" " * (50_000_000 - len(body)))
    assert load(exact) == {"phi": 1}
    big = tmp_path / "big.json"
    big.write_bytes(body + b" " * (50_000_001 - len(body)))
    assert message(load, big) == f"config {big} is larger than 50 MB"


# ----------------------------------------------------------------------------- second pass
# (survivors of the second mutation run: the SymPy and numpy objects that are not numbers,
# the defaults of the public functions, and what parse hands to the p2 schedule)

def test_unknown_scalar_keys_raise_a_key_error_naming_the_key():
    with pytest.raises(KeyError) as info:
        scalar_bounds("n")
    assert info.value.args == ("n",)


def test_screen_margin_is_one_percent_inside_the_magnitude_limits():
    edge = [0.99 * 10.0 ** 300, 1.01 * 10.0 ** -300]
    assert screen("lam", edge).tolist() == [False, False]
    for x in edge:
        parse(cfg(lam=float(x)))


def test_screen_reads_any_array_like_of_numbers_as_floats():
    v = [decimal.Decimal("0.5"), decimal.Decimal("-1"), Fraction(1, 3), 2]
    assert screen("phi", v).tolist() == [False, True, False, False]


def test_to_number_outside_symbolic_mode_by_default():
    assert message(to_number, "phi", sp.sqrt(2)) == (
        "phi must be a number, got the SymPy object sqrt(2) "
        "(symbols are accepted by closed_form only)")


@pytest.mark.parametrize("value,text", [
    (sp.Matrix([[1]]), "phi must be a number, got the SymPy object Matrix([[1]]) "
                       "(symbols are accepted by closed_form only)"),
    (sp.Symbol("r", rational=True), "phi must be a number, got the SymPy object r "
                                    "(symbols are accepted by closed_form only)"),
    (np.sin, "phi must be a number, got ufunc <ufunc 'sin'>"),
    (b"a" * 37, "phi must be a number, got bytes b'" + "a" * 37 + "'"),  # a 40-char repr
    (sp.Float("-1e-400"), f"phi = -1.00000000000000E-400 is out of range: {MAGNITUDE}"),
])
def test_objects_that_are_not_config_numbers_are_refused(value, text):
    assert message(to_number, "phi", value) == text


@pytest.mark.parametrize("value,text", [
    (sp.Symbol("k", integer=True), "n must be an integer >= 2, got k"),
    (sp.Matrix([[3]]), "n must be an integer >= 2, got Matrix([[3]])"),
])
def test_integer_keys_refuse_sympy_objects_that_are_not_integers(value, text):
    assert refusal(cfg(n=value)) == text


def test_parse_resolves_the_schedule_for_its_strategy_and_mode():
    no_p2 = {k: v for k, v in BASE.items() if k != "p2"}
    assert refusal(dict(no_p2, strategy="weighted", alpha=0.5, n=5,
                        p2_schedule={"kappa": 1, "a": 0})) == (
        'p2_schedule gives p2 = kappa*n^(-a) = 1.0 at n = 5: allowed 0 < kappa*n^(-a) < 1 for '
        'strategy "weighted"')
    s = parse(dict(no_p2, p2_schedule={"kappa": 1, "a": 0.5}, n=2), symbolic=True)
    assert s.p2 == sp.sqrt(2) / 2


def test_symbolic_schedules_keep_a_symbolic_kappa():
    assert resolve_p2_schedule({"kappa": sp.sqrt(2) / 2, "a": 1}, 2, symbolic=True) == \
        sp.sqrt(2) / 4


def test_schedule_messages_show_six_digits_and_echo_odd_keys():
    assert message(resolve_p2_schedule, {"kappa": 5, "a": 1}, 3) == (
        "p2_schedule gives p2 = kappa*n^(-a) = 1.66667 at n = 3: allowed 0 <= kappa*n^(-a) <= 1")
    assert message(resolve_p2_schedule, {"kappa": 1, "a": 1, None: 2}, 3) == (
        "p2_schedule.null is not a known key: allowed keys are kappa, a (p2 = kappa*n^(-a))")


class _EmptyValueError(str):
    """A str whose reading fails with a ValueError that has no message."""

    def startswith(self, *args):
        raise ValueError()


def test_json_errors_without_a_message_are_named_by_their_type():
    assert message(loads, _EmptyValueError('{"phi": 1}')) == \
        "the config is not valid JSON: ValueError"
