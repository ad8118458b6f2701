"""The config contract: every bad value refused with a message naming the key and range."""
import decimal
from fractions import Fraction

import mpmath as mp
import pytest
import sympy as sp

from conftest import ISO
from symcollapse.core.errors import ConfigError
from symcollapse.core.spec import loads, parse


def refused(cfg, *words):
    with pytest.raises(ConfigError) as info:
        parse(cfg)
    msg = str(info.value)
    assert "\n" not in msg
    for w in words:
        assert w in msg, (w, msg)
    return msg


def atom(**kw):
    a = {"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}
    a.update(kw)
    return a


@pytest.mark.parametrize("key,value,words", [
    ("p2", 1.5, ["p2", "0 <= p2 <= 1"]),
    ("p2", -0.1, ["p2", "0 <= p2 <= 1"]),
    ("phi", 0, ["phi", "0 < phi"]),
    ("phi", -2, ["phi", "0 < phi"]),
    ("lam", -0.1, ["lam", "0 <= lam"]),
    ("sigma1", -1, ["sigma1", "0 <= sigma1"]),
    ("sigma2", float("nan"), ["sigma2", "finite"]),
    ("phi", float("inf"), ["phi", "finite"]),
    ("phi", True, ["phi", "number"]),
    ("lam", "0.1", ["lam", "number"]),
    ("p2", None, ["p2", "number"]),
    ("p2", [0.1], ["p2", "number"]),
    ("model", "quadratic", ["model", "linear"]),
    ("strategy", "greedy", ["strategy", "plain"]),
])
def test_bad_values_are_refused(key, value, words):
    refused(dict(ISO, **{key: value}), *words)


@pytest.mark.parametrize("missing", ["phi", "p2", "lam", "atoms"])
def test_missing_keys_are_refused(missing):
    cfg = {k: v for k, v in ISO.items() if k != missing}
    refused(cfg, missing, "missing")


def test_unknown_keys_are_refused():
    refused(dict(ISO, colour="blue"), "colour", "allowed keys")
    refused(dict(ISO, atoms=[atom(colour=1)]), "atoms[0].colour")


@pytest.mark.parametrize("bad,words", [
    (atom(s1=-1), ["atoms[0].s1", ">= 0"]),
    (atom(s2=float("inf")), ["atoms[0].s2"]),
    (atom(theta=-0.5), ["atoms[0].theta"]),
    (atom(delta=float("nan")), ["atoms[0].delta"]),
    (atom(weight=0), ["atoms[0].weight", "> 0"]),
    ({"weight": 1, "s1": 1, "s2": 1, "theta": 1}, ["atoms[0].delta", "missing"]),
])
def test_bad_atoms_are_refused(bad, words):
    refused(dict(ISO, atoms=[bad]), *words)


def test_atoms_must_be_a_non_empty_list_summing_to_one():
    refused(dict(ISO, atoms=[]), "atoms", "empty")
    refused(dict(ISO, atoms={"weight": 1}), "atoms", "list")
    refused(dict(ISO, atoms=[atom(weight=0.5)]), "weights sum to 0.5", "within 1e-9")
    refused(dict(ISO, atoms=[atom(weight=0.5), atom(weight=0.5 + 2e-9)]), "within 1e-9")
    spec = parse(dict(ISO, atoms=[atom(weight=0.5), atom(weight=0.5 + 5e-10)]))
    assert sum(a.weight for a in spec.atoms) == 1  # renormalized exactly


def test_model_and_strategy_specific_keys():
    refused(dict(ISO, psi=2), "psi", "linear")
    refused(dict(ISO, alpha=0.5), "alpha", "weighted")
    refused(dict(ISO, generations=3), "generations", "iterative")
    refused(dict(ISO, activation="relu"), "activation", "random_features")
    refused(dict(ISO, strategy="weighted"), "alpha", "missing")
    refused(dict(ISO, strategy="weighted", alpha=0.5, p2=0), "p2", "0 < p2 < 1")
    refused(dict(ISO, strategy="iterative", generations=0), "generations", "1 <= generations")
    refused(dict(ISO, strategy="iterative", generations=2.5), "generations", "integer")
    refused(dict(ISO, model="random_projection"), "psi", "missing")
    refused(dict(ISO, model="random_features", psi=1), "activation", "missing")
    refused(dict(ISO, n=1), "n", "2 <= n")
    refused(dict(ISO, trials=1.0), "trials", "integer")
    refused(dict(ISO, seed=-1), "seed")
    assert parse(dict(ISO, model="random_features", psi=1, activation="tanh")).activation == "tanh"


def test_numbers_are_read_from_their_decimal_text():
    spec = parse(dict(ISO, phi=0.1, lam=1e-30))
    assert spec.phi == Fraction(1, 10)
    assert spec.lam == Fraction(1, 10 ** 30)
    cfg = loads('{"phi": 0.1, "p2": 0.3, "lam": 0, "atoms": '
                '[{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]}')
    assert isinstance(cfg["phi"], decimal.Decimal)
    assert parse(cfg).p2 == Fraction(3, 10)


def test_python_number_types():
    spec = parse(dict(ISO, phi=Fraction(1, 3), p2=sp.Rational(1, 7), lam=mp.mpf("0.25")))
    assert spec.phi == Fraction(1, 3) and spec.p2 == Fraction(1, 7) and spec.lam == Fraction(1, 4)
    with pytest.raises(ConfigError, match="closed_form"):
        parse(dict(ISO, phi=sp.Symbol("phi")))
    sym = parse(dict(ISO, phi=sp.Symbol("phi", positive=True)), symbolic=True)
    assert isinstance(sym.phi, sp.Symbol)


def test_json_errors():
    with pytest.raises(ConfigError, match="not valid JSON"):
        loads("{phi: 0.5,")
    with pytest.raises(ConfigError, match="NaN"):
        loads('{"phi": NaN}')
    with pytest.raises(ConfigError, match="twice"):
        loads('{"phi": 1, "phi": 2}')
    with pytest.raises(ConfigError, match="JSON object"):
        parse(loads("[1, 2]"))


def test_hostile_magnitudes():
    refused(dict(ISO, lam=decimal.Decimal("1e-999999999")), "lam", "magnitudes")
    refused(dict(ISO, phi=10 ** 400), "phi", "out of range")


def test_numpy_scalars_are_numbers_and_arrays_are_not():
    import numpy as np
    from fractions import Fraction
    atoms = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]
    s = parse({"phi": np.float64(0.1), "p2": np.int64(0), "lam": np.float64(0.25), "atoms": atoms})
    assert s.phi == Fraction(1, 10) and s.p2 == 0 and s.lam == Fraction(1, 4)
    for bad in (np.bool_(True), np.array([0.1, 0.2]), np.float64("nan")):
        with pytest.raises(ConfigError, match="phi"):
            parse({"phi": bad, "p2": 0, "lam": 0, "atoms": atoms})
