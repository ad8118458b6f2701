"""p2_schedule (p2 = kappa·n^(−a)) and symcollapse.studies.schedules: validation, resolution, the
derived exponent against a fit of the solved curve, a small Monte Carlo check, and inputs
that must change the answer."""
from fractions import Fraction

import pytest
import sympy as sp

import symcollapse as sc
from symcollapse.analysis import scaling
from symcollapse.studies import schedules
from symcollapse.core.errors import ConfigError
from symcollapse.core.spec import SCHEDULE_DIGITS, parse

ISO = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]


def cfg(**kw):
    base = {"phi": 0.5, "lam": 0, "atoms": ISO, "p2_schedule": {"kappa": 1, "a": 0.5}, "n": 100}
    base.update(kw)
    return {k: v for k, v in base.items() if v is not None}


# ----------------------------------------------------------------------------- validation

@pytest.mark.parametrize("config, words", [
    (cfg(p2=0.1), "p2 and p2_schedule are both given"),
    (cfg(n=None), "n is missing: it is required with p2_schedule"),
    (cfg(p2_schedule={"kappa": 0, "a": 1}), "p2_schedule.kappa = 0 is out of range: allowed p2_schedule.kappa > 0"),
    (cfg(p2_schedule={"kappa": -1, "a": 1}), "p2_schedule.kappa = -1 is out of range"),
    (cfg(p2_schedule={"kappa": True, "a": 1}), "p2_schedule.kappa must be a number"),
    (cfg(p2_schedule={"kappa": 1, "a": -0.5}), "p2_schedule.a = -0.5 is out of range: allowed p2_schedule.a >= 0"),
    (cfg(p2_schedule={"kappa": 1}), "p2_schedule.a is missing"),
    (cfg(p2_schedule={"kappa": 1, "a": 1, "b": 2}), "p2_schedule.b is not a known key: allowed keys are kappa, a"),
    (cfg(p2_schedule=[1, 0.5]), "p2_schedule must be an object"),
    (cfg(p2_schedule={"kappa": 20, "a": 0.5}), "p2_schedule gives p2 = kappa*n^(-a) = 2.0 at n = 100: allowed 0 <= kappa*n^(-a) <= 1"),
    (cfg(p2_schedule={"kappa": 1, "a": 400}), "not below 1e-300"),
    (cfg(p2_schedule={"kappa": 1, "a": 0}, strategy="weighted", alpha=0.5),
     'allowed 0 < kappa*n^(-a) < 1 for strategy "weighted"'),
])
def test_bad_schedules_are_refused_with_one_line(config, words):
    with pytest.raises(ConfigError) as info:
        parse(config)
    msg = str(info.value)
    assert words in msg and "\n" not in msg
    assert "p2_schedule" in msg or msg.startswith("n is missing")


def test_a_schedule_cannot_be_swept_through_p2():
    with pytest.raises(ConfigError, match="p2 and p2_schedule"):
        sc.curve(cfg(), p2=[0.1, 0.2])


# ----------------------------------------------------------------------------- resolution

def test_resolution_is_exact_where_it_can_be():
    assert parse(cfg()).p2 == Fraction(1, 10)
    assert parse(cfg(p2_schedule={"kappa": 2, "a": 1}, n=1000)).p2 == Fraction(1, 500)
    assert parse(cfg(p2_schedule={"kappa": 10, "a": 0.5})).p2 == 1      # the closed end is allowed
    v = parse(cfg(p2_schedule={"kappa": 1, "a": 0.5}, n=2)).p2          # 1/√2, to 200 digits
    assert isinstance(v, Fraction) and abs(sp.Rational(v.numerator, v.denominator) - 1 / sp.sqrt(2)).evalf(
        SCHEDULE_DIGITS + 10) < sp.Float(10) ** -(SCHEDULE_DIGITS - 2)
    # closed_form keeps the irrational share exact: ridgeless isotropic, φ = 1/2, c² = 1
    q = 1 / sp.sqrt(2)
    assert sp.simplify(sc.closed_form(cfg(n=2)) - (q ** 2 + (1 - q) * q)) == 0


def test_the_schedule_is_only_a_way_to_give_p2():
    with_schedule = cfg(lam=0.1, sigma1=0.5, sigma2=0.3, p2_schedule={"kappa": 3, "a": 0.75}, n=10_000)
    explicit = {k: v for k, v in with_schedule.items() if k != "p2_schedule"}
    explicit["p2"] = Fraction(3, 1000)
    assert parse(with_schedule) == parse(explicit)
    a, b = sc.predict(with_schedule, dps=25), sc.predict(explicit, dps=25)
    assert all(a[k] == b[k] for k in ("test_error", "bias", "variance", "zeta"))


def test_simulate_and_sweeps_resolve_the_schedule_at_their_own_n():
    c = {"phi": 0.5, "lam": 0.1, "atoms": ISO, "p2_schedule": {"kappa": 2, "a": 0.5}}
    for n in (64, 400):  # n2 = round(p2·n) = round(2√n)
        r = sc.simulate(c, n=n, trials=2, seed=0)
        assert r["n2"] == round(2 * n ** 0.5)
    assert sc.simulate(dict(c, n=64), n=400, trials=2)["n2"] == 40  # simulate's n wins
    table = sc.sweep(c, {"n": [64, 400]}, method="simulate", trials=3, seed=5, progress=False)
    assert list(table["status"]) == ["ok", "ok"]
    direct = sc.simulate(c, n=400, trials=3, seed=5)
    assert table["mean"].iloc[1] == direct["mean"] and table["d"].iloc[1] == 200
    with pytest.raises(ConfigError, match="grid.p2_schedule gives p2"):
        sc.sweep(c, {"n": [64, 2]}, method="simulate", trials=2, progress=False)


# ----------------------------------------------------------------------------- derivation

def test_derived_law_structure():
    from symcollapse.core import equations as eq
    zp = schedules.zeta_polynomial()
    assert sp.simplify(zp["c1"] - eq.u1 * eq.DELTA * eq.S1) == 0      # the p1·p2 term: u·δ·s
    orders = schedules.ridgeless_orders()
    assert sp.simplify(orders["Z1"] - (scaling.beta_s - 1)) == 0
    assert sp.simplify(orders["Z2"] - (2 - scaling.beta_s)) == 0
    law = schedules.schedule_law("ridgeless")
    assert law["exponent"] == sp.Min(schedules.a_s, schedules.a_clean)
    assert law["critical_a"] == schedules.a_clean
    tuned = schedules.schedule_law("tuned")
    assert tuned["critical_a"] == schedules.a_clean / 2


LAWS = [scaling.PowerLaw(beta=1.5, gamma=2.0), scaling.PowerLaw(beta=3.0, gamma=2.0, c0=0.5)]


@pytest.mark.parametrize("law", LAWS, ids=["beta1.5_gamma2", "beta3_gamma2"])
def test_exponent_matches_fit_on_both_sides_of_critical_a(law):
    star = schedules.critical_a(law)
    assert star == pytest.approx(schedules.law_values(law)["a_c"])
    a_values = [0.3 * star, 0.6 * star, 1.6 * star]
    fits = schedules.measured_exponents(law, 0.5, a_values, schedules.FIT_NS[::2])
    for a, fit in zip(a_values, fits):
        want = schedules.exponent(law, a)
        assert want == pytest.approx(min(a, star))
        assert abs(fit / want - 1) < 0.02, (a, fit, want)
    # the leading constant: n^a·E(n) at n = 10⁹ against κ(β − 1)S (a < a*), and the floor at a = 0
    a = a_values[0]
    E = schedules.schedule_curve(law, 0.5, a, [10 ** 9])["test_error"][0]
    assert E * 1e9 ** a == pytest.approx(schedules.leading_constant(law, 0.5, a), rel=1e-3)
    assert schedules.leading_constant(law, 0.5, 0) == pytest.approx(
        float(scaling.floor(law, 0.5)["test_error"]), rel=1e-12)


def test_broken_inputs_change_the_answer():
    law = LAWS[0]
    a = 0.5 * schedules.critical_a(law)
    # without a shift (c0 = 0) the schedule cannot slow the law down: the clean exponent
    clean = scaling.PowerLaw(beta=1.5, gamma=2.0, c0=0)
    assert schedules.exponent(clean, a) == pytest.approx(2.5)
    assert schedules.measured_exponent(clean, 0.5, a, schedules.FIT_NS[::3]) == pytest.approx(2.5, rel=0.02)
    # keeping only the p2² (floor) term would predict 2a: the fit refutes it
    fit = schedules.measured_exponent(law, 0.5, a, schedules.FIT_NS[::3])
    assert abs(fit / (2 * a) - 1) > 0.2 and abs(fit / a - 1) < 0.02
    with pytest.raises(sc.UnsupportedError):
        schedules.exponent(scaling.PowerLaw(beta=1.5, gamma=2.0, beta2=2.0), a)


# ----------------------------------------------------------------------------- Monte Carlo

def test_small_monte_carlo_matches_the_schedule_config():
    """Theory vs the exact conditional expectation given X; tolerance 3 se + 1.5 % (d = 200:
    the deterministic equivalent's O(1/d) bias is a few tenths of a per cent)."""
    c = {"phi": 0.5, "lam": 0.1, "sigma1": 0.5, "sigma2": 0.5, "atoms": ISO,
         "p2_schedule": {"kappa": 2, "a": 0.5}, "n": 400}
    th = float(sc.predict(c, dps=15)["test_error"])
    mc = sc.simulate(c, n=400, trials=30, seed=3)["conditional"]["test_error"]
    assert abs(mc["mean"] - th) <= 3 * mc["se"] + 0.015 * th
    # the same config with the share of n = 100 (p2 = 0.2) is a different answer
    wrong = float(sc.predict(dict(c, n=100), dps=15)["test_error"])
    assert abs(mc["mean"] - wrong) > 3 * mc["se"] + 0.015 * wrong


def test_paper_check_verdict_flips_without_the_cross_term():
    from paper_checks import vanishing_share
    good = vanishing_share.evaluate(fast=True)
    bad = vanishing_share.evaluate(fast=True, cross_term=False)
    assert good.verdict == "PASS" and bad.verdict == "FAIL"
    assert good.data["critical_a"] == pytest.approx(2.5) and bad.data["critical_a"] == pytest.approx(1.25)


def test_notebook_summary_numbers():
    s = schedules.notebook_summary()
    assert s["critical_a"] == pytest.approx(s["a_clean"]) and s["naive_critical_a"] == pytest.approx(s["a_clean"] / 2)
    assert s["max_relative_gap"] < 0.02
