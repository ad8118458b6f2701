"""Kinds of synthetic data at equal c² = Tr Δ (symcollapse.studies.kinds): exact constructors, the
derived ranking against the computed one, the closed-form floor against predict, the
takeover points, a small Monte Carlo check, and an input that flips the conclusion."""
from fractions import Fraction

import mpmath as mp
import pytest
import sympy as sp

import symcollapse as sc
from symcollapse.core import equations as eq
from symcollapse.studies import kinds as K
from symcollapse.core.errors import ConfigError
from symcollapse.analysis.limits import floor

BASE = K.BASE_CONFIG
A = K.STAIRCASE


def _c2(atoms):
    return sum(Fraction(a["weight"]) * Fraction(a["delta"]) for a in atoms)


def test_constructors_keep_c2_exact():
    odd = [{"weight": Fraction(1, 3), "s1": 3, "s2": 2, "theta": 1, "delta": 0},
           {"weight": Fraction(1, 6), "s1": Fraction(1, 7), "s2": 1, "theta": 2, "delta": 0},
           {"weight": Fraction(1, 2), "s1": 1, "s2": 1, "theta": Fraction(1, 3), "delta": 0}]
    for atoms in (A, odd):
        for c2 in (Fraction(1), Fraction(3, 7), Fraction(1, 1000)):
            for g in (K.top_shift(atoms, c2), K.tail_shift(atoms, c2), K.top_shift(atoms, c2, count=2),
                      K.even_shift(atoms, c2), K.even_shift(atoms, c2, "theta"),
                      K.combine(K.top_shift(atoms, c2), covariates="reverse"),
                      K.combine(K.even_shift(atoms, c2), sigma1=Fraction(1, 2), c2_noise=c2)):
                assert _c2(g.atoms) == c2 and g.c2 == c2, g.name
            n = K.label_noise(atoms, c2, Fraction(1, 2))
            assert _c2(n.atoms) == 0
            assert abs(n.sigma2 ** 2 - Fraction(1, 4) - c2) < Fraction(1, 10 ** 50)
            cov = K.covariate_shift(atoms, "reverse")
            assert sum(a["weight"] * a["s2"] for a in cov.atoms) == sum(Fraction(a["weight"]) * Fraction(a["s1"])
                                                                         for a in atoms)
            assert [a["s2"] for a in cov.atoms] != [Fraction(a["s1"]) for a in atoms]
    top = K.top_shift(A, 1)
    assert [a["delta"] for a in top.atoms] == [4, 0, 0, 0]
    assert [a["delta"] for a in K.tail_shift(A, 1).atoms] == [0, 0, 0, 4]
    with pytest.raises(ConfigError, match="c2"):
        K.top_shift(A, 0)
    with pytest.raises(ConfigError, match="count"):
        K.top_shift(A, 1, count=5)
    with pytest.raises(ConfigError, match="profile"):
        K.even_shift(A, 1, "tail")


def test_closed_form_derived_and_against_floor_and_predict():
    cf = K.floor_weight_closed_form()
    p2, lam, s = eq.p2, eq.lam, cf["s"]
    assert sp.simplify(cf["G"] - p2 ** 2 * eq.S1 * eq.S2 ** 2 / ((1 - p2) * eq.S1 + p2 * eq.S2 + lam) ** 2) == 0
    assert sp.simplify(cf["G_cospectral"] - p2 ** 2 * s) == 0
    assert sp.simplify(cf["s1_star"] - (p2 * eq.S2 + lam) / (1 - p2)) == 0
    # closed form vs the floor of the large-n system vs predict at tiny φ (40 digits)
    for g in K.catalogue():
        for base in (BASE, dict(BASE, lam=Fraction(1, 10))):
            cfg = g.config(base)
            fl = floor(cfg, dps=40)
            hurt = K.hurt_per_unit_c2(cfg, dps=40)
            small = sc.predict(dict(cfg, phi=Fraction(1, 10 ** 15)), dps=40)
            with mp.workdps(40):
                c2 = mp.mpf(g.c2.numerator) / g.c2.denominator
                assert abs(hurt * c2 - fl["zeta"]) < mp.mpf(10) ** -35
                assert abs(small["zeta"] - fl["zeta"]) < mp.mpf(10) ** -13
                assert abs(small["test_error"] - fl["test_error"]) < mp.mpf(10) ** -13


def test_random_projection_floor_is_linear_in_delta():
    base = dict(BASE, model="random_projection", psi=Fraction(1), lam=Fraction(1, 20))
    G = K.floor_weights(K.top_shift(A, 1).config(base), dps=30)
    assert all(a > b for a, b in zip(G, G[1:]))  # Σ2 = Σ1: the weight falls with the eigenvalue
    mix = [dict(a, delta=d) for a, d in zip(A, (Fraction(1, 3), Fraction(2), Fraction(1, 2), Fraction(7, 5)))]
    fl = floor(dict(base, atoms=mix), dps=30)["zeta"]
    with mp.workdps(30):
        lin = sum(mp.mpf((a["weight"] * a["delta"]).numerator) / (a["weight"] * a["delta"]).denominator * g
                  for a, g in zip(mix, G))
        assert abs(fl - lin) < mp.mpf(10) ** -25


def test_ranking_derived_equals_computed():
    cat = K.catalogue()
    rows = K.rank(cat, BASE)
    computed = [r["name"] for r in rows]
    # derived: shifts by the G-weighted mean (p2²·s for Σ2 = Σ1), Δ = 0 kinds last
    derived = sorted(cat, key=lambda g: -K.hurt_per_unit_c2(g.config(BASE)) * float(g.c2))
    assert [g.name for g in derived[:3]] == computed[:3]
    assert computed[0] == "top"
    p2 = Fraction(1, 5)
    per = {r["name"]: r["hurt_per_unit_c2"] for r in rows}
    assert abs(per["top"] - K.exact_mpf(p2 ** 2 * Fraction(5, 2))) < 1e-18
    assert abs(per["tail"] - K.exact_mpf(p2 ** 2 * Fraction(1, 10))) < 1e-18
    assert abs(per["even (identity)"] - K.exact_mpf(p2 ** 2)) < 1e-18  # tr Σ = 1
    assert abs(per["even (theta)"] - K.exact_mpf(p2 ** 2 * Fraction(25, 16))) < 1e-18  # tr(θΣ)/r²
    assert computed.index("top") < computed.index("even (theta)") < computed.index("even (identity)") \
        < computed.index("tail")
    # Δ = 0 kinds: floor 0 and ζ = 0 (a tie), broken by the test error at the config's n
    last = rows[-2:]
    assert {r["name"] for r in last} == {"noise", "covariate (reverse)"}
    assert all(r["floor"] == 0 and r["zeta"] == 0 for r in last)
    assert last[0]["test_error"] > last[1]["test_error"]
    # candidates as (atoms, sigma2) and as plain atoms give the same rows
    alt = K.rank([(list(cat[0].atoms), None), list(cat[1].atoms)], BASE)
    assert [r["floor"] for r in alt] == [rows[computed.index("top")]["floor"], rows[computed.index("tail")]["floor"]]


def test_broken_input_flips_the_conclusion():
    """With the synthetic covariates reversed (Σ2 excites the tail of Σ1) the top shift no
    longer hurts most: the tail shift does (G ∝ s1·s2²/(p1s1 + p2s2)²)."""
    rows = K.rank([K.combine(K.top_shift(A, 1), covariates="reverse"),
                   K.combine(K.tail_shift(A, 1), covariates="reverse")], BASE)
    assert rows[0]["name"].startswith("tail")
    assert rows[0]["floor"] > 100 * rows[1]["floor"]


def test_takeover_and_doubling_solve_their_equations():
    cat = {g.name: g for g in K.catalogue()}
    for name in ("even (identity) + noise",):
        cfg = cat[name].config(BASE)
        t = K.takeover(cfg, dps=22)
        assert t["status"] == "solved"
        r = sc.predict(dict(cfg, phi=Fraction(mp.nstr(t["phi"], 40))), dps=30)
        d = K.doubling(cfg, dps=22)
        r2 = sc.predict(dict(cfg, phi=Fraction(mp.nstr(d["phi"], 40))), dps=30)
        with mp.workdps(30):
            assert abs(r["zeta"] - r["bias"] - r["variance"]) < mp.mpf(10) ** -20 * r["zeta"]
            assert abs(r2["test_error"] - 2 * d["floor"]) < mp.mpf(10) ** -20
    # noise adds variance, so the shift takes over later (larger n)
    assert K.takeover(cat["even (identity) + noise"].config(BASE))["n_over_d"] > \
        K.takeover(cat["even (identity)"].config(BASE))["n_over_d"]
    assert K.takeover(cat["noise"].config(BASE))["status"] == "never"
    assert K.doubling(cat["covariate (reverse)"].config(BASE))["status"] == "never"
    with_n = dict(cat["tail"].config(BASE), n=1000)
    t = K.takeover(with_n)
    assert t["d"] == 500 and abs(t["n"] - 500 * t["n_over_d"]) < 1e-10


@pytest.mark.slow
def test_small_monte_carlo():
    """d = 120: 3 se + 3 % (linear) / 4 % (projections) — a finite-size allowance for d, m ~ 10²
    (the O(1/d) bias of the deterministic equivalent; the acceptance runs at d = 400 are in
    benchmarks/kinds_mc.py)."""
    cat = {g.name: g for g in K.catalogue()}
    cases = [(cat["top"].config(dict(BASE, phi=Fraction(1, 4))), 480, 0.03),
             (cat["tail + covariate (reverse)"].config(dict(BASE, phi=Fraction(1, 3))), 360, 0.03),
             (cat["even (identity)"].config(dict(BASE, model="random_projection", phi=Fraction(1, 2),
                                                 psi=Fraction(1), lam=Fraction(1, 20))), 240, 0.04)]
    for cfg, n, tol in cases:
        th = sc.predict(cfg, dps=20)
        mc = sc.simulate(cfg, n=n, trials=20, seed=3)
        for part in ("test_error", "zeta"):
            m, s = mc["conditional"][part]["mean"], mc["conditional"][part]["se"]
            assert abs(m - float(th[part])) <= 3 * s + tol * float(th[part]), (part, m, s, th[part])


def test_notebook_summary():
    out = K.notebook_summary()
    assert out["worst"] == "top"
    assert out["shift_order"] == ["top", "even (theta)", "even (identity)", "tail"]
    for k, v in out["expected"].items():
        assert abs(out["per_unit"][k] - v) < 1e-15 * v
    assert "top" in out["sentence"]


def test_power_law_hurt_increases_with_concentration():
    res = [K.power_law_hurt(2, g, Fraction(1, 5), 1, 2, dps=15) for g in (1.2, 8)]
    vals = [r["zeta_per_c2"] for r in res]
    assert vals[1] > 4 * vals[0]
    limit = float(Fraction(1, 25) + Fraction(4, 5) * Fraction(1, 5) * (2 - 1))
    assert vals[-1] < limit and abs(vals[-1] - limit) < 0.01
    assert abs(res[0]["noise_floor"] - 1.6) < 1e-10  # σ̄²(β − 1) = (4/5·1 + 1/5·4)·1


def test_paper_check_verdict_flips(tmp_path):
    from paper_checks import kinds_of_synthetic_data as P
    good = P.evaluate(fast=True)
    assert good.passed, good.details
    assert not P.evaluate(fast=True, covariates="reverse").passed   # Σ2 ≠ Σ1: the tail hurts most
    assert not P.evaluate(fast=True, p2=0).passed                   # no synthetic data: no floor at all

    def wrong_zeta(cfg, dps=30):  # a ζ that ignores where the shift sits (weights it by tr Σ)
        r = dict(sc.predict(cfg, dps=dps))
        spec = sc.parse(cfg)
        c2 = sum(a.weight * a.delta for a in spec.atoms)
        with mp.workdps(dps):
            r["zeta"] = K.exact_mpf(c2) * K.exact_mpf(spec.p2) ** 2
        return r
    assert not P.evaluate(fast=True, predict=wrong_zeta).passed
    P.figure(good, tmp_path / "kinds.png")
    assert (tmp_path / "kinds.png").stat().st_size > 1000
