"""Issue 5: weighted and iterative mixing — theory against Monte Carlo, exact identities,
α*, the floor as a function of α, the iterative limit and its divergence region."""
import math
import random
import zlib
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

import symcollapse as sc
from conftest import mc_size
from symcollapse.core import equations as eq
from symcollapse.studies import mixing
from symcollapse.analysis.limits import c2 as C2, r2 as R2, s_iso, isotropic

ISO = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]
A2 = [{"weight": .5, "s1": 2, "s2": .5, "theta": 1, "delta": 2},
      {"weight": .5, "s1": .5, "s2": 1.5, "theta": .5, "delta": .5}]
A3 = [{"weight": 0.2, "s1": 4, "s2": 0.5, "theta": 2, "delta": 0},
      {"weight": 0.3, "s1": 1, "s2": 2, "theta": 1, "delta": 1},
      {"weight": 0.5, "s1": 0.2, "s2": 1, "theta": 0.5, "delta": 3}]


def W(**kw):
    cfg = {"strategy": "weighted", "sigma1": 0.5, "sigma2": 0.8}
    cfg.update(kw)
    return cfg


WEIGHTED = {
    "linear iso a=.5": W(phi=0.5, p2=0.5, lam=0.05, alpha=0.5, atoms=ISO),
    "linear A3 a=.9": W(phi=0.7, p2=0.3, lam=0.1, alpha=0.9, atoms=A3),
    "linear iso a=1": W(phi=0.8, p2=0.4, lam=0.01, alpha=1, atoms=ISO),
    "linear A2 ridgeless a=.9": W(phi=0.4, p2=0.5, lam=0, alpha=0.9, atoms=A2),
    "linear A2 interpolating a=.8": W(phi=1.6, p2=0.5, lam=0, alpha=0.8, atoms=A2),
    "rp iso a=.9": W(model="random_projection", psi=0.8, phi=0.5, p2=0.5, lam=0.05, alpha=0.9, atoms=ISO),
    "rp A2 a=.5": W(model="random_projection", psi=1.5, phi=2, p2=0.5, lam=0.05, alpha=0.5, atoms=A2),
    "rp iso a=1": W(model="random_projection", psi=2, phi=0.5, p2=0.3, lam=0.1, alpha=1, atoms=ISO),
}


def _n_for(cfg, floor=400, n_min=800):
    ratios = [cfg["phi"]] + ([cfg["psi"]] if "psi" in cfg else [])
    n = max(n_min, math.ceil(floor / min(ratios)))
    return 100 * math.ceil(n / 100)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(WEIGHTED))
def test_weighted_theory_matches_monte_carlo(name):
    """α ∈ {0.5, 0.9, 1}, both models, anisotropic and ridgeless among them; min(d, m) ≥ 400;
    3 standard errors + 1 % (exact conditional expectation given X (and S))."""
    cfg = WEIGHTED[name]
    th = sc.predict(cfg, dps=20)
    mc = sc.simulate(cfg, n=_n_for(cfg, floor=mc_size(400, 250), n_min=mc_size(800, 500)),
                     trials=14, seed=11)
    cond = mc["conditional"]
    allow = mc_size(0.01, 0.015)   # CI: min(d, m) ≥ 250, the finite-size bias ~1.6× larger
    for part in ("test_error", "bias", "variance", "zeta"):
        t = float(th[part])
        m, s = cond[part]["mean"], cond[part]["se"]
        assert abs(m - t) <= 3 * s + allow * float(th["test_error"]), (name, part, t, m, s)


@pytest.mark.parametrize("base", [
    W(phi=1.6, p2=0.5, lam=0, alpha=0.8, atoms=A2),
    W(model="random_projection", psi=2.5, phi=2, p2=0.3, lam=0, alpha=0.6, atoms=A3)])
def test_weighted_interpolator_ignores_the_weights(base):
    """Ridgeless with every row interpolated: the minimum-norm interpolator, which no
    positive weighting changes — the same value for every 0 < α < 1 (down to 1 − α = 1e-37,
    where the weighted system's own unknowns span 37 orders) and the plain mixture's; the
    Monte Carlo check of this value is in test_weighted_theory_matches_monte_carlo."""
    plain = sc.predict({k: v for k, v in base.items() if k not in ("strategy", "alpha")},
                       dps=25)
    for alpha in (Fraction(1, 10), Fraction(1, 2), 1 - Fraction(1, 10 ** 37)):
        got = sc.predict(dict(base, alpha=alpha), dps=25)
        for k in ("test_error", "bias", "variance", "zeta", "train_error"):
            assert got[k] == plain[k], (alpha, k, got[k], plain[k])
    from symcollapse.core.decomposition import derivative
    assert derivative(dict(base, alpha=Fraction(1, 3)), "alpha", dps=15)["test_error"] == 0


@pytest.mark.parametrize("base", [
    W(phi=0.7, p2=0.3, lam=0.1, alpha=0.7, atoms=A3),
    W(phi=1.6, p2=0.25, lam=0, alpha=0.75, atoms=A2),
    W(model="random_projection", psi=0.8, phi=0.5, p2=0.5, lam=0.05, alpha=0.5, atoms=A2)])
def test_weighted_at_p1_is_plain_mixing_to_30_digits(base):
    plain = {k: v for k, v in base.items() if k not in ("strategy", "alpha")}
    a, b = sc.predict(base, dps=40), sc.predict(plain, dps=40)
    for part in ("test_error", "bias", "variance", "zeta"):
        assert abs(a[part] - b[part]) < mp.mpf(10) ** -30 * (1 + abs(b[part]))


@pytest.mark.parametrize("base", [
    W(phi=0.7, p2=0.3, lam=0.1, alpha=1, atoms=A3),
    W(phi=0.4, p2=0.25, lam=0, alpha=1, atoms=A2),
    W(model="random_projection", psi=0.8, phi=0.5, p2=0.5, lam=0.05, alpha=1, atoms=A2)])
def test_weighted_at_one_is_training_on_the_real_samples_alone(base):
    a = sc.predict(base, dps=40)
    b = sc.predict(mixing.real_only(base), dps=40)
    for part in ("test_error", "bias", "variance", "zeta"):
        assert abs(a[part] - b[part]) < mp.mpf(10) ** -30 * (1 + abs(b[part]))
    assert a["zeta"] == 0


def test_optimal_alpha_rises_towards_one_as_n_grows():
    """α* at n = 10^k, k = 2..8 (d = 50, so φ = 50/n): increasing, → 1, with
    1 − α* ≈ φσ1²/(p1c²) at small φ (docs/theory/linear.md §4)."""
    rows = []
    for k in range(2, 9):
        phi = Fraction(50, 10 ** k)
        r = mixing.optimal_alpha(W(phi=phi, p2=0.2, lam=0, alpha=0.5, sigma1=0.5, sigma2=0.5,
                                   atoms=ISO), dps=20)
        rows.append((phi, r["alpha_star"], r["error"], r["plain"], r["real_only"]))
    stars = [float(r[1]) for r in rows]
    assert all(b > a for a, b in zip(stars, stars[1:])), stars
    assert stars[-1] > 1 - 1e-5
    for phi, a_star, err, plain, alone in rows:
        assert err <= plain and err <= alone
        if phi <= Fraction(1, 1000):
            first_order = 1 - float(phi) * 0.25 / 0.8
            assert abs(float(a_star) - first_order) < 5 * float(phi) ** 2 * 10 + 1e-9
    # docs/theory/linear.md §6.2: p2 = 0.2, σ = 0.5, c² = 1, ridgeless, φ = 0.4 → α* = 0.9615
    r = mixing.optimal_alpha(W(phi=0.4, p2=0.2, lam=0, alpha=0.5, sigma1=0.5, sigma2=0.5, atoms=ISO))
    assert abs(float(r["alpha_star"]) - 0.9615) < 1e-4 and abs(float(r["error"]) - 0.22173) < 1e-5


def test_no_fixed_alpha_below_one_escapes_the_floor():
    floor, ridgeless, roots = mixing.weighted_floor_isotropic()
    alpha = eq.alpha
    assert sp.simplify(ridgeless - C2 * s_iso * (1 - alpha) ** 2) == 0
    assert roots == [1]
    lam = eq.lam
    want = s_iso * ((1 - alpha) ** 2 * C2 * s_iso ** 2 + lam ** 2 * R2) / (s_iso + lam) ** 2
    assert sp.simplify(floor - want) == 0
    # any spectrum: the n → ∞ expansion equals the stated trace formula
    cfg = W(phi=0.3, p2=0.3, lam=0.1, alpha=0.8, atoms=A3)
    got = mixing.weighted_floor(cfg)["test_error"]
    want = 0
    for a in A3:
        s1, s2 = Fraction(str(a["s1"])), Fraction(str(a["s2"]))
        K0 = Fraction(4, 5) * s1 + Fraction(1, 5) * s2 + Fraction(1, 10)
        want += Fraction(str(a["weight"])) * (Fraction(1, 100) * Fraction(str(a["theta"])) * s1
                                              + Fraction(1, 25) * Fraction(str(a["delta"])) * s1 * s2 ** 2) / K0 ** 2
    with mp.workdps(40):
        assert abs(got - mp.mpf(want.numerator) / want.denominator) < mp.mpf(10) ** -25


# ----------------------------------------------------------------------------- iterative

def I(**kw):
    cfg = {"strategy": "iterative", "generations": 6}
    cfg.update(kw)
    return cfg


ITERATIVE = {
    "I1 iso": I(phi=0.5, p2=0.5, lam=0.1, sigma1=0.5, sigma2=0.5, atoms=ISO),
    "I2 A2": I(phi=0.8, p2=0.4, lam=0.05, sigma1=0.5, sigma2=1.0, atoms=A2),
    "I3 A3": I(phi=1.5, p2=0.6, lam=0.2, sigma1=0.3, sigma2=0.6, atoms=A3),
    "I4 iso ridgeless": I(phi=0.3, p2=0.5, lam=0, sigma1=0.5, sigma2=0.5, atoms=ISO),
}


#: Iterative Monte Carlo (d × d maps per generation, O(d³)): acceptance d ≥ 400 with 1 %,
#: CI d ≥ 200 with 2 % (the finite-size bias, ≤ 0.2 % at d ≥ 400, grows like 1/d).
ITER_FLOOR = mc_size(400, 200)
ITER_RELATIVE = mc_size(0.01, 0.02)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(ITERATIVE))
def test_iterative_theory_matches_monte_carlo_over_six_generations(name):
    cfg = ITERATIVE[name]
    th = sc.predict(cfg, dps=20)
    n = _n_for(cfg, floor=ITER_FLOOR, n_min=mc_size(800, 400))
    mc = sc.simulate(cfg, n=min(n, 1400), trials=16, seed=5)
    assert mc["d"] >= ITER_FLOOR
    cond = mc["conditional"]
    for t in range(6):
        ref = float(th["test_error"][t])
        for part in ("test_error", "bias", "variance", "zeta"):
            m, s = cond[part]["mean"][t], cond[part]["se"][t]
            assert abs(m - float(th[part][t])) <= 3 * s + ITER_RELATIVE * ref, (name, t, part)


@pytest.mark.parametrize("name", list(ITERATIVE))
def test_iterative_limit_is_the_recursion_iterated_200_times(name):
    cfg = dict(ITERATIVE[name], generations=200)
    r = sc.predict(cfg, dps=40)
    assert r["spectral_radius"] < 1
    with mp.workdps(45):
        assert abs(r["test_error"][-1] - r["limit"]) < mp.mpf(10) ** -30
        parts = sum(r[k][-1] for k in ("bias", "variance", "zeta"))
        assert abs(parts - r["test_error"][-1]) < mp.mpf(10) ** -35


def test_first_generation_is_plain_mixing_exactly():
    for cfg in ITERATIVE.values():
        it = sc.predict(dict(cfg, generations=1), dps=40)
        plain = {k: v for k, v in cfg.items() if k not in ("strategy", "generations")}
        pl = sc.predict(plain, dps=40)
        for part in ("test_error", "bias", "variance", "zeta"):
            assert abs(it[part][0] - pl[part]) < mp.mpf(10) ** -32 * (1 + abs(pl[part]))


def test_iterative_isotropic_closed_form():
    """The map on one symbolic atom: E_1 is the plain theorem and E(∞) equals
    docs/theory/linear.md §5's (C0 + κ)/(1 − a), at random rational points (e at its root)."""
    res = mixing.iterative_isotropic()
    e = res["unknown"]
    info = isotropic("linear", "ridge")[2]
    plain = info["rational"]["test_error"].subs(info["unknown"], e)
    rng = random.Random(zlib.crc32(b"iterative"))
    phi, p2, lam, sg1, sg2 = eq.phi, eq.p2, eq.lam, eq.sigma1, eq.sigma2
    for _ in range(5):
        pt = {phi: sp.Rational(rng.randint(1, 30), 20), p2: sp.Rational(rng.randint(1, 9), 10),
              lam: sp.Rational(rng.randint(1, 30), 20), sg1: sp.Rational(rng.randint(0, 9), 7),
              sg2: sp.Rational(rng.randint(0, 9), 5), R2: sp.Rational(rng.randint(1, 9), 4),
              C2: sp.Rational(rng.randint(1, 9), 3), s_iso: 1}
        root = info["root"].subs(pt)
        s = (1 + pt[lam] + pt[phi] + sp.sqrt((1 + pt[lam] + pt[phi]) ** 2 - 4 * pt[phi])) / 2
        sbar = (1 - pt[p2]) * pt[sg1] ** 2 + pt[p2] * pt[sg2] ** 2
        C0 = (pt[R2] * (s - 1) ** 2 + pt[phi] * sbar) / (s ** 2 - pt[phi])
        a = pt[p2] * ((pt[p2] + pt[phi]) * s - 2 * pt[p2] * pt[phi]) / (s * (s ** 2 - pt[phi]))
        kap = 2 * pt[p2] * pt[R2] * (s - 1) ** 2 * (s - pt[phi]) / (s * (s - pt[p2]) * (s ** 2 - pt[phi]))
        want = (C0 + kap) / (1 - a)
        got = res["E_inf"].subs(pt).subs(e, root)
        got_a = res["a"].subs(pt).subs(e, root)
        assert abs(sp.N(got - want, 40)) < 1e-30 and abs(sp.N(got_a - a, 40)) < 1e-30
        # one step from δ is the plain theorem (equal on the fixed point e = root)
        assert abs(sp.N((res["E_1"] - plain).subs(pt).subs(e, root), 40)) < 1e-30


@pytest.mark.parametrize("p2", [0.2, 0.5])
def test_iterative_ridgeless_divergence_region(p2):
    """Ridgeless, φ < 1: E(∞) = σ̄²φ/(p1[1 + p2 − φ(1 + 2p2)]) below φ = (1+p2)/(1+2p2), +inf above."""
    edge = (1 + p2) / (1 + 2 * p2)
    for phi in (0.1, 0.5 * edge, 0.95 * edge, 0.97, 1.05 * edge):
        if phi >= 1:
            continue
        r = sc.predict(I(phi=phi, p2=p2, lam=0, sigma1=0.5, sigma2=0.5, atoms=ISO, generations=1), dps=30)
        if phi < edge:
            want = 0.25 * phi / ((1 - p2) * (1 + p2 - phi * (1 + 2 * p2)))
            assert abs(float(r["limit"]) - want) < 1e-12 * want
        else:
            assert r["limit"] == mp.inf and r["spectral_radius"] >= 1


def test_iterative_cli_contract(tmp_path):
    import io
    import json
    from symcollapse.cli import main
    cfg = tmp_path / "it.json"
    cfg.write_text(json.dumps(dict(ITERATIVE["I1 iso"], generations=3)))
    out, err = io.StringIO(), io.StringIO()
    assert main(["predict", str(cfg), "--dps", "25"], stdout=out, stderr=err) == 0
    res = json.loads(out.getvalue())
    assert isinstance(res["test_error"], list) and len(res["test_error"]) == 3
    assert all(isinstance(v, str) for v in res["test_error"]) and float(res["limit"]) > 0
    for k in ("bias", "variance", "zeta"):
        assert len(res[k]) == 3
    cfg.write_text(json.dumps(I(phi=0.9, p2=0.2, lam=0, sigma1=0.5, sigma2=0.5, atoms=ISO, generations=2)))
    out = io.StringIO()
    assert main(["predict", str(cfg)], stdout=out, stderr=err) == 0
    assert json.loads(out.getvalue())["limit"] == "inf"
    out, err = io.StringIO(), io.StringIO()
    assert main(["simulate", str(cfg), "--n", "200", "--trials", "3"], stdout=out, stderr=err) == 0
    sim = json.loads(out.getvalue())
    assert len(sim["mean"]) == 2 and len(sim["se"]) == 2
