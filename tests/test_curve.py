"""The float64 vectorized path: curve() against predict() point by point, and the
grouping of points by regime (regimes.signatures) against select() on every point."""
import math
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from properties import examples
import symcollapse as sc
from symcollapse.core import regimes
from symcollapse.core.errors import DivergenceError, SymcollapseError
from symcollapse.core.spec import parse

A3 = [{"weight": 0.3, "s1": 2, "s2": 1, "theta": 1, "delta": 0.5},
      {"weight": 0.5, "s1": 1, "s2": 0.5, "theta": 0.5, "delta": 2},
      {"weight": 0.2, "s1": 0.1, "s2": 3, "theta": 2, "delta": 1}]
LIN = {"phi": 0.7, "p2": 0.3, "lam": 0.01, "sigma1": 0.5, "sigma2": 0.3, "atoms": A3}
RP = dict(LIN, model="random_projection", psi=1.5, phi=2.0)
WEIGHTED = dict(LIN, strategy="weighted", alpha=0.8)

CASES = [
    ("phi", LIN, np.linspace(0.05, 4, 1501)),
    ("phi", dict(LIN, lam=1e-7), np.linspace(0.05, 4, 1501)),
    ("p2", LIN, np.linspace(0, 1, 801)),
    ("lam", LIN, np.logspace(-8, 2, 801)),
    ("sigma1", LIN, np.linspace(0, 2, 301)),
    ("sigma2", LIN, np.linspace(0, 2, 301)),
    ("alpha", WEIGHTED, np.linspace(0, 1, 301)),
    ("psi", RP, np.geomspace(0.05, 20, 1501)),
    ("lam", RP, np.logspace(-6, 1, 601)),
    ("phi", dict(RP, lam=1e-3), np.linspace(0.1, 4, 801)),
]


@pytest.mark.parametrize("key,cfg,values", CASES,
                         ids=[f"{c[1].get('model', 'linear')}-{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_curve_matches_predict(key, cfg, values):
    """Every varying key reaches the solver (a curve that ignored it would be constant),
    and warm-started points agree with an independent high-precision solve."""
    out = sc.curve(cfg, **{key: values})
    assert np.all(np.isfinite(out["test_error"]))
    assert np.ptp(out["test_error"]) > 1e-6
    rng = random.Random(hash(key) % 1000)
    for i in rng.sample(range(len(values)), 10) + [0, len(values) - 1]:
        exact = sc.predict(dict(cfg, **{key: float(values[i])}), dps=20)
        for part in ("test_error", "bias", "variance", "zeta"):
            want = float(exact[part])
            assert out[part][i] == pytest.approx(want, rel=1e-10, abs=1e-13), (key, i, part)


def test_curve_crossing_thresholds():
    """A ridgeless curve through φ = 1 gets +inf on the threshold and finite values on
    both sides; grid points exactly on a threshold are classified exactly."""
    cfg = dict(LIN, lam=0, atoms=[{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}])
    phi = np.r_[np.linspace(0.1, 3, 291), 1.0]
    out = sc.curve(cfg, phi=phi)
    on = np.isclose(phi, 1.0, rtol=0, atol=1e-15)
    assert np.all(np.isinf(out["test_error"][on]))
    assert np.all(np.isfinite(out["test_error"][~on]))
    p1, p2 = 0.7, 0.3
    under = phi < 1
    f = phi[under]
    # rows are exchangeable (Σ1 = Σ2 = I): Var = (p1σ1² + p2σ2²)φ/(1−φ), ζ = c²(p2² + p1p2φ/(1−φ))
    want = (p1 * 0.5 ** 2 + p2 * 0.3 ** 2) * f / (1 - f) + (p2 ** 2 + p1 * p2 * f / (1 - f))
    assert out["test_error"][under] == pytest.approx(want, rel=1e-10)


def test_curve_refuses_bad_values_with_one_line():
    with pytest.raises(sc.ConfigError, match=r"^p2 = 1.5 is out of range"):
        sc.curve(LIN, p2=np.array([0.1, 0.2, 1.5]))
    with pytest.raises(sc.ConfigError, match=r"phi = nan is not a finite number"):
        sc.curve(LIN, phi=[0.5, float("nan")])
    with pytest.raises(sc.ConfigError, match="alpha is not allowed"):
        sc.curve(LIN, alpha=[0.5])


def test_curve_exact_numbers_take_the_exact_path():
    from fractions import Fraction
    vals = [Fraction(1, 3), Fraction(1, 2), Fraction(2, 1)]
    out = sc.curve(LIN, phi=vals)
    for i, v in enumerate(vals):
        assert out["test_error"][i] == pytest.approx(
            float(sc.predict(dict(LIN, phi=v), dps=20)["test_error"]), rel=1e-12)


# ----------------------------------------------------------------------------- grouping

SPECIAL = {"phi": [0.5, 1.0, 0.7, 1 / 0.7, 0.3 / 0.7, 2.0],
           "p2": [0.0, 1.0, 0.3, 0.5],
           "lam": [0.0, 1e-3, 2e-3, 1e-6, 0.1],
           "psi": [1.0, 0.5, 2.0, 0.7],
           "sigma1": [0.0, 0.5], "sigma2": [0.0, 0.3],
           "alpha": [0.0, 1.0, 0.5]}
BASES = {
    "linear-full": dict(LIN),
    "linear-partial": dict(LIN, atoms=[{"weight": 0.4, "s1": 1, "s2": 0, "theta": 1, "delta": 1},
                                       {"weight": 0.6, "s1": 2, "s2": 1, "theta": 1, "delta": 0}]),
    "projection": dict(RP),
    "weighted": dict(WEIGHTED),
}


def _value(key):
    return st.one_of(st.sampled_from(SPECIAL[key]),
                     st.floats(min_value=0.0 if key != "phi" and key != "psi" else 0.01,
                               max_value=1.0 if key in ("p2", "alpha") else 4.0,
                               allow_subnormal=False).map(lambda v: 0.0 if v < 1e-200 else v))


def _regime_key(spec):
    try:
        r = regimes.select(spec)
    except SymcollapseError as exc:
        return (type(exc).__name__,)
    return (r.name, r.system, tuple(r.atoms), r.exact_zero, tuple(r.null_atoms),
            r.delegate is not None)


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_equal_signatures_mean_equal_regimes(data):
    name = data.draw(st.sampled_from(sorted(BASES)))
    base_cfg = BASES[name]
    keys = ["phi", "p2", "lam", "sigma1", "sigma2"]
    if "psi" in base_cfg:
        keys.append("psi")
    if "alpha" in base_cfg:
        keys.append("alpha")
    vary = data.draw(st.lists(st.sampled_from(keys), min_size=1, max_size=3, unique=True))
    size = data.draw(st.integers(min_value=2, max_value=12))
    cols = {}
    for k in vary:
        vals = data.draw(st.lists(_value(k), min_size=size, max_size=size))
        if k == "p2" and base_cfg.get("strategy") == "weighted":
            vals = [min(max(v, 0.01), 0.99) for v in vals]
        if k in ("phi", "psi"):
            vals = [max(v, 0.01) for v in vals]
        cols[k] = np.array(vals, dtype=float)
    base = parse(base_cfg)
    codes, tie = regimes.signatures(base, cols)
    specs = [parse(dict(base_cfg, **{k: float(cols[k][i]) for k in cols})) for i in range(size)]
    seen = {}
    for i in range(size):
        if tie[i]:
            continue
        key = _regime_key(specs[i])
        if codes[i] in seen:
            assert seen[codes[i]] == key, (name, {k: cols[k][i] for k in cols})
        seen[codes[i]] = key


def test_exact_thresholds_are_ties():
    """A point exactly on a threshold (φ·w = p1, here) is never decided by floats."""
    base = parse(BASES["linear-partial"])
    # S1 only has weight 0.4: φ·0.4 = p1 = 0.7 at φ = 1.75
    codes, tie = regimes.signatures(base, {"phi": np.array([1.75, 1.7, 1.8]),
                                           "lam": np.array([0.0, 0.0, 0.0])})
    assert tie.tolist() == [True, False, False]
    assert codes[1] != codes[2]  # the two sides of the threshold are different regimes


def test_divergence_at_threshold_in_a_curve():
    cfg = dict(RP, lam=0, atoms=[{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}])
    out = sc.curve(cfg, psi=[0.5, 1.0, 2.0])
    assert math.isinf(out["test_error"][1])
    with pytest.raises(DivergenceError):
        sc.predict(dict(cfg, psi=1.0))
