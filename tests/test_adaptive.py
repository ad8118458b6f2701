"""Adaptive mixing: α(n) schedules of weighted mixing and per-generation schedules of
iterative mixing — derived results, exact identities, and theory against Monte Carlo at
small sizes (the acceptance sizes are in benchmarks/adaptive_mc.py)."""
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

import symcollapse as sc
from symcollapse.studies import adaptive as A
from symcollapse.core import equations as eq
from symcollapse.studies import mixing
from symcollapse.core.errors import ConfigError

ISO = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]
A2 = [{"weight": .5, "s1": 2, "s2": .5, "theta": 1, "delta": 2},
      {"weight": .5, "s1": .5, "s2": 1.5, "theta": .5, "delta": .5}]
IT = dict(phi=0.8, p2=0.4, lam=0.05, sigma1=0.5, sigma2=1.0, atoms=A2)


def test_weighted_series_and_the_condition_on_b():
    r = A.weighted_series()
    eps, phi, p2, s1 = A.eps_s, eq.phi, eq.p2, eq.sigma1
    c2 = next(x for x in r["series"].free_symbols if str(x) == "c2")
    p1 = 1 - p2
    # the leading terms: c²ε² (the floor) and σ1²φ/p1 (the clean error of the n1 real rows)
    assert sp.simplify(r["series"].coeff(eps, 2) - c2) == 0
    assert sp.simplify(r["series"].subs(eps, 0).coeff(phi, 1) - s1 ** 2 / p1) == 0
    assert sp.simplify(r["series"].coeff(eps, 1).coeff(phi, 1) + 2 * s1 ** 2 / p1) == 0
    assert r["condition"] == (sp.Rational(1, 2) < A.b_s)
    assert r["ratio"][sp.Integer(1)] == 1 - p2 and r["ratio"][sp.Rational(1, 4)] == 0
    assert sp.simplify(r["gain_star"] - A.d_s * s1 ** 2 / c2) == 0
    assert sp.simplify(r["kappa_star"] - A.d_s * s1 ** 2 / (p1 * c2)) == 0
    # α* to first order is the κ* schedule: 1 − α* = φσ1²/(p1c²) (docs/theory/linear.md §4)
    assert sp.simplify(r["alpha_star"] - phi * s1 ** 2 / (p1 * c2)) == 0


def test_series_against_the_solver():
    """E(α, φ) of the solver vs the derived second-order series: the gap is O(3)."""
    r = A.weighted_series()
    syms = {str(x): x for x in r["series"].free_symbols}
    gaps = []
    for scale in (1, 0.5, 0.25):
        phi, e = Fraction(1, 50) * Fraction(scale), Fraction(1, 40) * Fraction(scale)
        cfg = dict(strategy="weighted", alpha=1 - e, phi=phi, p2=0.2, lam=0, sigma1=0.5,
                   sigma2=0.5, atoms=ISO)
        th = sc.predict(cfg, dps=30)["test_error"]
        ser = r["series"].subs({syms["epsilon"]: e, syms["phi"]: phi, syms["p2"]: Fraction(1, 5),
                                syms["sigma1"]: Fraction(1, 2), syms["c2"]: 1})
        gaps.append(abs(th - mp.mpf(sp.Rational(ser).p) / sp.Rational(ser).q))
    # third order: halving both small parameters divides the gap by ≈ 8
    assert 6 < gaps[0] / gaps[1] < 10 and 6 < gaps[1] / gaps[2] < 10


def test_alpha_n_paths_exponents_and_effective_samples():
    cfg = dict(strategy="weighted", alpha=0.5, phi=0.1, p2=0.2, lam=0, sigma1=0.5, sigma2=0.5, atoms=ISO)
    ns = [10 ** 4, 10 ** 5, 10 ** 6, 10 ** 7]
    out = {}
    for name, sch in (("plain", "plain"), ("b4", A.power_schedule(1, 0.25)),
                      ("b1", A.power_schedule(12.5 / 0.8, 1)), ("real", "real_only")):
        r = A.weighted_path(cfg, 50, ns, sch)
        E = r["test_error"]
        out[name] = (float(-np.log(E[-1] / E[-2]) / np.log(10)), r)
    assert out["plain"][0] < 0.01          # fixed α: the floor
    assert abs(out["b4"][0] - 0.5) < 0.02  # b < 1/2: exponent 2b
    assert abs(out["b1"][0] - 1) < 1e-3 and abs(out["real"][0] - 1) < 1e-3
    # n_eff: real only is worth n1 exactly; κ*/n adds dσ1²/c² = 12.5 (derived), fixed α saturates
    r = out["real"][1]
    assert np.allclose(r["n_eff"], 0.8 * np.asarray(ns), rtol=1e-8)
    gain = out["b1"][1]["n_eff"] - 0.8 * np.asarray(ns)
    assert abs(gain[-1] - 12.5) < 0.05
    assert out["plain"][1]["n_eff"][-1] < 1e-3 * ns[-1]


def test_weights_drop_out_when_every_fit_interpolates():
    assert A.interpolating_weights_drop_out()["free"]
    from symcollapse.analysis import scaling
    s = scaling.spec(scaling.PowerLaw(beta=2, gamma=2), 300, p2=Fraction(1, 5), sigma1=Fraction(1, 10),
                     sigma2=Fraction(1, 10), atoms=scaling.power_law_atoms(scaling.PowerLaw(2, 2), head=30, dps=20))
    a = sc.predict(s.replace(strategy="weighted", alpha=Fraction(3, 10)), dps=20)["test_error"]
    b = sc.predict(s.replace(strategy="weighted", alpha=Fraction(9, 10)), dps=20)["test_error"]
    c = sc.predict(s.replace(p2=Fraction(0), phi=s.phi / Fraction(4, 5)), dps=20)["test_error"]
    assert abs(a - b) < mp.mpf(10) ** -15 * a
    assert abs(c - a) > 1e-3 * a  # dropping the rows (α = 1: n1 real rows alone) does change it


def test_constant_schedule_is_the_unscheduled_recursion_to_30_digits():
    cfg = dict(IT, strategy="iterative", generations=5)
    a = mixing.iterate(cfg, dps=30)
    for sch in ({"p2": [0.4] * 5}, {"alpha": [0.6] * 5}, {"p2": [0.4] * 5, "alpha": [0.6] * 5}):
        b = mixing.iterate(cfg, dps=30, schedule=sch)
        for k in ("test_error", "bias", "variance", "zeta"):
            assert all(abs(x - y) < mp.mpf(10) ** -30 * (1 + abs(x)) for x, y in zip(a[k], b[k]))
        assert abs(a["limit"] - b["limit"]) < mp.mpf(10) ** -30


def test_schedule_identities():
    # α(T) = 1: the last generation is training on the n1 real rows alone
    r = mixing.iterate(IT, dps=25, schedule={"alpha": [0.5, 0.8, 1]})
    alone = sc.predict(mixing.real_only(dict(IT)), dps=25)["test_error"]
    assert abs(r["test_error"][-1] - alone) < mp.mpf(10) ** -20
    # p2(t) = 0: generation t forgets the past; the next generation restarts from it
    r = mixing.iterate(IT, dps=25, schedule={"p2": [0.4, 0, 0.4]})
    clean = sc.predict(dict(IT, p2=0), dps=25)["test_error"]
    assert abs(r["test_error"][1] - clean) < mp.mpf(10) ** -20
    # a weighted generation at t = 1 is the weighted theorem
    r = mixing.iterate(IT, dps=25, schedule={"alpha": [0.8]})
    w = sc.predict(dict(IT, strategy="weighted", alpha=0.8), dps=25)
    for k in ("test_error", "bias", "variance", "zeta"):
        assert abs(r[k][0] - w[k]) < mp.mpf(10) ** -20 * (1 + abs(w[k]))


def test_schedule_refuses_bad_input():
    for sch, key in (({"p2": [0.4, 1.2]}, "p2"), ({"beta": [0.1]}, "schedule"), ({"alpha": []}, "alpha"),
                     ({"p2": [0.4], "alpha": [0.5, 0.5]}, "length"), ({"alpha": ["x"]}, "alpha")):
        with pytest.raises(ConfigError, match=key):
            mixing.iterate(IT, dps=15, schedule=sch)
    with pytest.raises(ConfigError, match="p2"):
        mixing.iterate(IT, dps=15, schedule={"p2": [0, 0.5], "alpha": [0.5, 0.5]})
    with pytest.raises(ConfigError, match="b"):
        A.power_schedule(1, 0)


def test_optimal_schedule_beats_the_best_constant():
    cfg = dict(phi=0.5, p2=0.5, lam=0.1, sigma1=0.5, sigma2=0.5, atoms=ISO)
    rec = A.Recursion(cfg)
    r = A.optimal_schedule(cfg, 3, "alpha", "sum", sweeps=2, tol=1e-4, rec=rec)
    assert r["value"] < r["constant"]["value"] and r["gain"] > 0.01
    # the optimum is stationary in every interior coordinate (central differences)
    g = A.stationarity(cfg, r["schedule"], "alpha", "sum", rec=rec)
    assert max(abs(x) for x in g) < 1e-3
    # a broken input changes the answer: with δ = 0 the synthetic labeler is perfect and the
    # best schedule weights the real data less than with δ > 0 in the first generation
    broken = dict(cfg, atoms=[dict(ISO[0], delta=0)])
    rb = A.optimal_schedule(broken, 3, "alpha", "sum", sweeps=2, tol=1e-4)
    assert float(rb["schedule"][0]) < float(r["schedule"][0]) - 0.05


@pytest.mark.slow
def test_schedules_theory_matches_monte_carlo():
    """Small sizes (d = 160): 3 se + 1 % + a 1 % finite-size allowance (O(1/d) ≈ 0.6 %)."""
    cases = [(dict(phi=0.5, p2=0.5, lam=0.1, sigma1=0.5, sigma2=0.5, atoms=ISO), {"alpha": [0.6, 0.9, 1.0]}),
             (IT, {"p2": [0.0, 1.0, 0.2]}),
             (IT, {"alpha": [0.3, 0.8, 0.5], "p2": [0.2, 0.5, 0.8]})]
    for cfg, sch in cases:
        th = mixing.iterate(cfg, dps=15, schedule=sch)["test_error"]
        mc = A.simulate_schedule(cfg, n=int(160 / cfg["phi"]), trials=6, seed=4, schedule=sch)
        cond = mc["conditional"]["test_error"]
        for t, ref in enumerate(th):
            ref = float(ref)
            assert abs(cond["mean"][t] - ref) <= 3 * cond["se"][t] + 0.02 * ref, (sch, t)
    # weighted α(n): the α* of n = 800 at d = 160 (linear) against the finite model
    cfg = A.proportional_config(dict(strategy="weighted", alpha=0.5, p2=0.2, lam=0, sigma1=0.5,
                                     sigma2=0.5, atoms=A2, phi=0.1), 160, 800)
    cfg["alpha"] = float(mixing.optimal_alpha(cfg, dps=15)["alpha_star"])
    th = float(sc.predict(cfg, dps=15)["test_error"])
    mc = sc.simulate(cfg, n=800, trials=8, seed=2)["conditional"]["test_error"]
    assert abs(mc["mean"] - th) <= 3 * mc["se"] + 0.02 * th


def test_simulate_schedule_constant_equals_simulate():
    cfg = dict(phi=0.5, p2=0.5, lam=0.1, sigma1=0.5, sigma2=0.5, atoms=ISO)
    a = sc.simulate(dict(cfg, strategy="iterative", generations=2), n=80, trials=2, seed=1)
    b = A.simulate_schedule(cfg, n=80, trials=2, seed=1, schedule={"p2": [0.5, 0.5]})
    assert a["mean"] == b["mean"] and a["conditional"] == b["conditional"]


def test_paper_check_passes_and_flips(tmp_path):
    from paper_checks import adaptive_mixing as chk
    out = chk.evaluate(fast=True)
    assert out.passed, out.details
    assert not chk.evaluate(fast=True, c2=0.0).passed
    chk.figure(out, tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 1000
