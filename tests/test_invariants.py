"""Invariants over random valid configs (hypothesis), both models, plain and weighted.

* Bias, Var, ζ ≥ 0 (each part is a sum of non-negative traces; certified lower ends
  ≥ 0 up to the enclosure width).
* E_test is non-decreasing in c² (ζ is linear in Δ with a non-negative coefficient and Δ
  appears nowhere else), in σ1 and in σ2 (Var = a1σ1²u1 + a2σ2²u2 with u_j ≥ 0).
* E_test in p2 is **not** monotone in general: mixing two inconsistent sources is worse
  than either near p2 = 1.  The isotropic ridgeless closed form (σ1 = σ2, φ < 1) gives
  ∂E/∂p2 = c²(2p2 + (1 − 2p2)φ/(1 − φ)), which is ≥ 0 on all of [0, 1] iff φ ≤ 2/3
  (derived below by SymPy).  What holds generally (tested here): with Σ1 = Σ2 and
  σ2 ≥ σ1, E_test is non-decreasing in p2 on [0, 1/2].  With Σ1 ≠ Σ2 even that can fail
  (the synthetic covariance can be more informative).
* ζ = 0 iff p2 = 0, or α = 1 (weighted), or Δ = 0 — for spectra whose atoms are seen by
  both covariances (s1, s2 > 0); with partial supports Δ can also hide where Σ1 = 0.
* dps 30 and dps 60 agree to 28 digits.
* The same seed gives bit-identical simulations, in one process or in several.
"""
from fractions import Fraction as F

import mpmath as mp
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from properties import examples
import symcollapse as sc

PARTS = ("test_error", "bias", "variance", "zeta")
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])
frac = st.integers(1, 40).map(lambda k: F(k, 10))


@st.composite
def valid(draw, same_cov=False, full=True, strategy=None):
    k = draw(st.integers(1, 3))
    atoms = []
    for _ in range(k):
        s1 = draw(frac)
        s2 = s1 if same_cov else draw(frac)
        atoms.append({"weight": F(1, k), "s1": s1, "s2": s2,
                      "theta": draw(st.integers(0, 30).map(lambda v: F(v, 10))),
                      "delta": draw(st.integers(0, 30).map(lambda v: F(v, 10)))})
    cfg = {"phi": draw(frac), "p2": draw(st.integers(0, 10).map(lambda v: F(v, 10))),
           "lam": draw(st.sampled_from([F(1, 1000), F(1, 100), F(1, 10), F(1)])),
           "sigma1": draw(st.integers(0, 10).map(lambda v: F(v, 10))),
           "sigma2": draw(st.integers(0, 10).map(lambda v: F(v, 10))), "atoms": atoms}
    if draw(st.booleans()):
        cfg.update(model="random_projection", psi=draw(frac))
    strategy = strategy or draw(st.sampled_from(["plain", "weighted"]))
    if strategy == "weighted":
        cfg.update(strategy="weighted", alpha=draw(st.integers(0, 10).map(lambda v: F(v, 10))),
                   p2=draw(st.integers(1, 9).map(lambda v: F(v, 10))))
    return cfg


def E(cfg, dps=30):
    return sc.predict(cfg, dps=dps)["test_error"]


def ge(a, b, digits=25):
    """a ≥ b up to 10^-digits relative (compared at 40 digits, not at mpmath's default)."""
    with mp.workdps(40):
        return a >= b - mp.mpf(10) ** -digits * (abs(b) + mp.mpf(10) ** -30)


def _scaled(cfg, t):
    return dict(cfg, atoms=[dict(a, delta=a["delta"] * t) for a in cfg["atoms"]])


@settings(max_examples=examples(120, 5), **SETTINGS)
@given(cfg=valid())
def test_parts_are_non_negative_and_add_up(cfg):
    r = sc.predict(cfg, dps=30, certify=True)
    with mp.workdps(40):
        assert abs(r["bias"] + r["variance"] + r["zeta"] - r["test_error"]) <= \
            mp.mpf(10) ** -27 * (1 + r["test_error"])
    for k in PARTS:
        c = r["certified"][k]
        assert c["upper"] >= 0 and r[k] >= 0, (k, r[k])
        assert c["lower"] >= -(c["upper"] - c["lower"]), (k, c)


@settings(max_examples=examples(80, 5), **SETTINGS)
@given(cfg=valid(), t=st.sampled_from([F(3, 2), F(2), F(10)]),
       ds=st.sampled_from([F(1, 10), F(1, 2), F(1)]))
def test_monotone_in_c2_and_noise(cfg, t, ds):
    e0 = E(cfg)
    assert ge(E(_scaled(cfg, t)), e0)
    assert ge(E(dict(cfg, sigma1=cfg["sigma1"] + ds)), e0)
    assert ge(E(dict(cfg, sigma2=cfg["sigma2"] + ds)), e0)


@settings(max_examples=examples(60, 5), **SETTINGS)
@given(cfg=valid(same_cov=True, strategy="plain"), ds=st.integers(0, 10))
def test_monotone_in_p2_on_the_first_half(cfg, ds):
    cfg = dict(cfg, sigma2=cfg["sigma1"] + F(ds, 10))
    vals = [E(dict(cfg, p2=F(j, 20))) for j in range(11)]
    for a, b in zip(vals, vals[1:]):
        assert ge(b, a), vals


def test_p2_monotonicity_condition_is_derived():
    """∂E/∂p2 of the isotropic ridgeless closed form, σ1 = σ2, φ < 1: non-negative on
    [0, 1] iff φ ≤ 2/3 — and a config beyond it that the toolkit shows decreasing."""
    phi, p2, c2, s = sp.symbols("phi p2 c2 sigma", positive=True)
    expr = sc.closed_form({"phi": phi, "p2": p2, "lam": 0, "sigma1": s, "sigma2": s,
                           "atoms": [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": c2}]})
    expr = expr.args[0][0] if isinstance(expr, sp.Piecewise) else expr
    d = sp.simplify(sp.diff(expr, p2) / c2)
    assert sp.simplify(d - (2 * p2 + (1 - 2 * p2) * phi / (1 - phi))) == 0
    at_one = sp.simplify(d.subs(p2, 1))           # the minimum over [0, 1] (d is linear in p2)
    assert sp.solve(sp.Eq(at_one, 0), phi) == [sp.Rational(2, 3)]
    cfg = {"phi": F(9, 10), "p2": F(9, 10), "lam": 0, "sigma1": F(1, 2), "sigma2": F(1, 2),
           "atoms": [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]}
    assert E(dict(cfg, p2=1)) < E(cfg)
    assert E(dict(cfg, phi=F(2, 3), p2=1)) >= E(dict(cfg, phi=F(2, 3)))


@settings(max_examples=examples(80, 5), **SETTINGS)
@given(cfg=valid(), zero=st.sampled_from(["none", "p2", "delta", "alpha"]))
def test_zeta_zero_iff(cfg, zero):
    if zero == "p2" and cfg.get("strategy") != "weighted":
        cfg = dict(cfg, p2=0)
    elif zero == "delta":
        cfg = _scaled(cfg, 0)
    elif zero == "alpha" and cfg.get("strategy") == "weighted":
        cfg = dict(cfg, alpha=1)
    a2 = (1 - cfg["alpha"]) if cfg.get("strategy") == "weighted" else cfg["p2"]
    shifted = any(a["delta"] > 0 for a in cfg["atoms"])
    z = sc.predict(cfg, dps=30)["zeta"]
    if a2 == 0 or cfg["p2"] == 0 or not shifted:
        assert z == 0
    else:
        assert z > 0


@settings(max_examples=examples(60, 5), **SETTINGS)
@given(cfg=valid())
def test_dps_30_and_60_agree(cfg):
    a, b = sc.predict(cfg, dps=30), sc.predict(cfg, dps=60)
    for k in PARTS:
        with mp.workdps(60):
            assert abs(a[k] - b[k]) <= mp.mpf(10) ** -28 * max(1, abs(b[k])), k


def test_simulations_bit_identical_across_processes():
    cfg = {"model": "random_projection", "phi": 0.5, "psi": 0.8, "p2": 0.3, "lam": 0.1,
           "sigma1": 0.5, "sigma2": 0.5, "n": 60, "trials": 3, "seed": 9,
           "atoms": [{"weight": 0.5, "s1": 1, "s2": 2, "theta": 1, "delta": 1},
                     {"weight": 0.5, "s1": 2, "s2": 1, "theta": 1, "delta": 0.5}]}
    grid = {"psi": [0.5, 0.8, 2.0], "p2": [0.0, 0.3]}
    one = sc.sweep(cfg, grid, method="simulate", processes=1, chunk=2, progress=False)
    two = sc.sweep(cfg, grid, method="simulate", processes=2, chunk=2, progress=False)
    assert one.equals(two)
    direct = sc.simulate(dict(cfg, psi=2.0, p2=0.3), n=60, trials=3, seed=9)
    row = one[(one.psi == 2.0) & (one.p2 == 0.3)].iloc[0]
    assert row["mean"] == direct["mean"] and row["se"] == direct["se"]
