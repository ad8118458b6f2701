"""Random projections (issue 3): theory = Monte Carlo, exact reductions and limits."""
import math
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

import symcollapse as sc
from conftest import mc_size
from symcollapse.core import equations as eq
from symcollapse.analysis import modelsize
from symcollapse.core.decomposition import derivative
from symcollapse.analysis.limits import floor, projection_large_psi
from symcollapse.analysis.reductions import projection_via_linear


def iso(c2, r2=1.0):
    return [{"weight": 1, "s1": 1, "s2": 1, "theta": r2, "delta": c2}]


def A2(c2):
    return [{"weight": .5, "s1": 2, "s2": .5, "theta": 1.5, "delta": 1.6 * c2},
            {"weight": .5, "s1": .5, "s2": 1.5, "theta": .5, "delta": .4 * c2}]


def A3(c2):
    return [{"weight": .2, "s1": 4, "s2": .5, "theta": 2, "delta": 0},
            {"weight": .3, "s1": 1, "s2": 2, "theta": 1, "delta": c2 / 1.8},
            {"weight": .5, "s1": .2, "s2": 1, "theta": .5, "delta": 3 * c2 / 1.8}]


def rp(**kw):
    cfg = {"model": "random_projection", "sigma1": 0.5, "sigma2": 0.8}
    cfg.update(kw)
    return cfg


CASES = {
    "iso psi=.25 phi=2 lam=1e-2 p2=.1 c2=1": rp(psi=0.25, phi=2, lam=1e-2, p2=0.1, atoms=iso(1)),
    "iso psi=.5 phi=.5 lam=.1 p2=.5 c2=1": rp(psi=0.5, phi=0.5, lam=0.1, p2=0.5, atoms=iso(1)),
    "iso psi=.9 phi=2 lam=1e-3 p2=.1 c2=1": rp(psi=0.9, phi=2, lam=1e-3, p2=0.1, atoms=iso(1)),
    "iso psi=1.1 phi=2 lam=1e-2 p2=.5 c2=0": rp(psi=1.1, phi=2, lam=1e-2, p2=0.5, atoms=iso(0)),
    "iso psi=2 phi=.5 lam=1e-3 p2=0": rp(psi=2, phi=0.5, lam=1e-3, p2=0, atoms=iso(1)),
    "iso psi=5 phi=2 lam=.1 p2=.5 c2=1": rp(psi=5, phi=2, lam=0.1, p2=0.5, atoms=iso(1)),
    "A2 psi=.25 phi=.5 lam=.1 p2=.5 c2=1": rp(psi=0.25, phi=0.5, lam=0.1, p2=0.5, atoms=A2(1)),
    "A2 psi=.9 phi=.5 lam=1e-2 p2=.1 c2=1": rp(psi=0.9, phi=0.5, lam=1e-2, p2=0.1, atoms=A2(1)),
    "A2 psi=1.1 phi=2 lam=1e-3 p2=.5 c2=1": rp(psi=1.1, phi=2, lam=1e-3, p2=0.5, atoms=A2(1)),
    "A2 psi=2 phi=2 lam=1e-2 p2=0": rp(psi=2, phi=2, lam=1e-2, p2=0, atoms=A2(1)),
    "A3 psi=.5 phi=2 lam=1e-2 p2=.5 c2=1": rp(psi=0.5, phi=2, lam=1e-2, p2=0.5, atoms=A3(1)),
    "A3 psi=5 phi=.5 lam=1e-3 p2=.1 c2=1": rp(psi=5, phi=0.5, lam=1e-3, p2=0.1, atoms=A3(1)),
    "A3 psi=1.1 phi=.5 lam=.1 p2=.5 c2=0": rp(psi=1.1, phi=0.5, lam=0.1, p2=0.5, atoms=A3(0)),
    "A3 psi=.9 phi=2 lam=.1 p2=.1 c2=1": rp(psi=0.9, phi=2, lam=0.1, p2=0.1, atoms=A3(1)),
}


#: min(d, m) and the relative tolerance: acceptance sizes, or CI's (half the size, the
#: finite-size bias ≤ 0.5 % at n ≥ 800 doubling).
FLOOR = mc_size(400, 200)
N_MIN = mc_size(800, 400)
RELATIVE = mc_size(0.015, 0.02)


def sample_size(phi, psi, floor_=None, n_min=None):
    """Smallest n (a multiple of 100, at least n_min) with min(d, m) ≥ floor_."""
    floor_ = FLOOR if floor_ is None else floor_
    n_min = N_MIN if n_min is None else n_min
    n = max(n_min, math.ceil(floor_ / min(phi, psi)))
    return 100 * math.ceil(n / 100)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_projections_theory_matches_monte_carlo(name):
    """min(d, m) ≥ 400, tolerance 3 s.e. + 1.5 % (finite-size bias ≤ 0.5 % at n ≥ 800,
    shrinking like 1/n; CI: min(d, m) ≥ 200, 2 %); exact conditional expectation given
    (X, S), 14 draws."""
    cfg = CASES[name]
    theory = sc.predict(cfg, dps=20)
    n = sample_size(cfg["phi"], cfg["psi"])
    mc = sc.simulate(cfg, n=n, trials=14, seed=77)
    assert min(mc["d"], mc["m"]) >= FLOOR
    th = float(theory["test_error"])
    cond = mc["conditional"]
    got, se = cond["test_error"]["mean"], cond["test_error"]["se"]
    assert abs(got - th) <= 3 * se + RELATIVE * th, (name, th, got, se)
    for part in ("bias", "variance", "zeta"):
        t, m, s = float(theory[part]), cond[part]["mean"], cond[part]["se"]
        assert abs(m - t) <= 3 * s + RELATIVE * th, (name, part, t, m, s)


@pytest.mark.slow
@pytest.mark.parametrize("phi,psi", [(2, 0.5), (0.5, 2), (2, 3)])
def test_ridgeless_projections_match_monte_carlo(phi, psi):
    """One config per ridgeless regime (m < min(n, d); d < min(n, m); n < min(d, m)),
    against the minimum-norm fit."""
    cfg = rp(phi=phi, psi=psi, lam=0, p2=0.3, atoms=A2(1))
    th = float(sc.predict(cfg, dps=20)["test_error"])
    mc = sc.simulate(cfg, n=sample_size(phi, psi), trials=12, seed=5)
    cond = mc["conditional"]["test_error"]
    assert abs(cond["mean"] - th) <= 3 * cond["se"] + RELATIVE * th, (th, cond)


@pytest.mark.parametrize("cfg", [
    rp(phi=2, psi=0.5, lam=0.01, p2=0.1, atoms=iso(1)),
    rp(phi=0.5, psi=2, lam=0.1, p2=0.5, atoms=iso(1, r2=2)),
    rp(phi=2, psi=1.1, lam=0.001, p2=0.1, atoms=iso(1)),
    rp(phi=2, psi=3, lam=0, p2=0.3, atoms=iso(0.5)),
    rp(phi=2, psi=0.5, lam=0, p2=0.3, atoms=iso(1)),
    rp(phi=0.5, psi=2, lam=0, p2=0.2, atoms=iso(1)),
    rp(phi=1.5, psi=0.9, lam=0.02, p2=0.4, atoms=[{"weight": 1, "s1": 2, "s2": 2, "theta": 1, "delta": 1}]),
])
def test_isotropic_case_is_the_linear_model_in_feature_space(cfg):
    """The general (anisotropic) theorem on an isotropic config equals the exact reduction
    to the linear model with a Marchenko–Pastur spectrum, part by part, to 25 digits."""
    a = sc.predict(cfg, dps=30)
    b = projection_via_linear(cfg, dps=30)
    for k in ("test_error", "bias", "variance", "zeta"):
        assert abs(a[k] - b[k]) <= mp.mpf(10) ** -25 * (1 + abs(a[k])), (k, a[k], b[k])


def test_psi_to_infinity_is_the_linear_model_symbolically():
    limit, steps = projection_large_psi()
    assert any("L = λ0" in s.text for s in steps)


def test_psi_to_infinity_numerically_to_25_digits():
    lam0 = Fraction(1, 20)
    for phi in (Fraction(1, 2), Fraction(2)):
        base = {"phi": phi, "p2": Fraction(3, 10), "sigma1": Fraction(1, 2), "sigma2": 1,
                "atoms": A3(1)}
        lin = sc.predict(dict(base, lam=lam0), dps=40)
        psi = Fraction(10 ** 30)
        proj = sc.predict(dict(base, model="random_projection", psi=psi, lam=lam0 * psi / phi), dps=40)
        for k in ("test_error", "bias", "variance", "zeta"):
            assert abs(proj[k] - lin[k]) < mp.mpf(10) ** -25, (k, proj[k], lin[k])
    # at a fixed ridge the effective ridge λφ/ψ vanishes: the ridgeless linear model
    base = {"phi": 2, "p2": 0.3, "sigma1": 0.5, "sigma2": 1, "atoms": A3(1), "lam": 0.1}
    proj = sc.predict(dict(base, model="random_projection", psi=10 ** 14), dps=30)
    lin0 = sc.predict(dict(base, lam=0), dps=30)
    assert abs(proj["test_error"] - lin0["test_error"]) < mp.mpf("1e-10")


@pytest.mark.parametrize("cfg", [
    rp(phi=2, psi=0.7, lam=0.01, p2=0, atoms=A3(1)),
    rp(phi=2, psi=0.7, lam=0.01, p2=0.4, atoms=A3(0)),
    rp(phi=2, psi=3, lam=0, p2=0.4, atoms=A3(0)),
    rp(phi=0.5, psi=0.3, lam=0, p2=0, atoms=A3(1)),
])
def test_zeta_vanishes_exactly(cfg):
    assert sc.predict(cfg, dps=30)["zeta"] == 0


def test_dps_30_and_60_agree():
    for cfg in (rp(phi=2, psi=1.1, lam=1e-3, p2=0.5, atoms=A2(1)),
                rp(phi=0.5, psi=0.25, lam=0.1, p2=0.5, atoms=A3(1)),
                rp(phi=2, psi=3, lam=0, p2=0.3, atoms=A2(1))):
        a, b = sc.predict(cfg, dps=30), sc.predict(cfg, dps=60)
        for k in ("test_error", "bias", "variance", "zeta"):
            assert abs(a[k] - b[k]) <= mp.mpf(10) ** -28 * max(1, abs(b[k]))


@pytest.mark.parametrize("phi,psi", [(2, 0.5), (0.5, 2), (2, 3), (0.5, 0.3)])
def test_ridgeless_is_the_limit_of_small_ridge(phi, psi):
    cfg = rp(phi=phi, psi=psi, lam=0, p2=0.3, atoms=A2(1))
    zero = sc.predict(cfg, dps=30)["test_error"]
    gaps = [abs(sc.predict(dict(cfg, lam=mp.mpf(x)), dps=30)["test_error"] - zero)
            for x in ("1e-5", "1e-9")]
    assert gaps[1] < gaps[0] / 1000 and gaps[1] < mp.mpf("1e-7")


def test_invertible_projection_is_least_squares():
    cfg = rp(phi=0.5, psi=0.5, lam=0, p2=0.3, atoms=A2(1))
    lin = {k: v for k, v in cfg.items() if k not in ("model", "psi")}
    assert sc.predict(cfg)["test_error"] == sc.predict(lin)["test_error"]
    # and small ridges approach it (slowly: L ~ √λ at m = d)
    near = sc.predict(dict(cfg, lam=mp.mpf("1e-10")), dps=30)["test_error"]
    assert abs(near - sc.predict(lin)["test_error"]) < mp.mpf("1e-3")


def test_threshold_divergence_and_exact_cases():
    with pytest.raises(sc.DivergenceError, match="interpolation threshold"):
        sc.predict(rp(phi=2, psi=1, lam=0, p2=0.3, atoms=iso(1)))
    with pytest.raises(sc.DivergenceError):
        sc.predict(rp(phi=1, psi=2, lam=0, p2=0.3, atoms=iso(1)))
    clean = rp(phi=1, psi=2, lam=0, p2=0.3, sigma1=0, sigma2=0, atoms=iso(0))
    assert sc.predict(clean)["test_error"] == 0       # square X, consistent labels
    with pytest.raises(sc.DivergenceError):           # m = n < d: the unseen signal is noise
        sc.predict(rp(phi=2, psi=1, lam=0, p2=0.3, sigma1=0, sigma2=0, atoms=iso(0)))
    # at λ > 0 the threshold is finite and large
    assert sc.predict(rp(phi=2, psi=1, lam=1e-6, p2=0.3, atoms=iso(1)))["test_error"] > 100


def test_floor_of_a_finite_width_model():
    """n → ∞ at fixed m/d: the floor, checked against predict at φ = 1e-8."""
    for psi_over_phi, lam in ((0.5, 0.1), (0.5, 0), (2, 0.1), (2, 0)):
        cfg = rp(phi=1, psi=psi_over_phi, lam=lam, p2=0.3, atoms=A3(1))
        f = floor(cfg, dps=20)
        small = Fraction(1, 10 ** 8)
        near = sc.predict(dict(cfg, phi=small, psi=small * Fraction(psi_over_phi)), dps=20)
        assert abs(f["test_error"] - near["test_error"]) < mp.mpf("1e-6")
    # a narrow model's floor is above the wide model's, which is the linear model's
    narrow = floor(rp(phi=1, psi=0.5, lam=0, p2=0.3, atoms=A3(1)))["test_error"]
    wide = floor(rp(phi=1, psi=2, lam=0, p2=0.3, atoms=A3(1)))["test_error"]
    linear = floor({"phi": 1, "lam": 0, "p2": 0.3, "sigma1": .5, "sigma2": .8, "atoms": A3(1)})["test_error"]
    assert narrow > wide and abs(wide - linear) < mp.mpf("1e-20")


def test_linear_floor_matches_the_stated_limit():
    """docs/theory/linear.md §1: E → λ² tr(θΣ1K0⁻²) + a2² tr(δΣ1Σ2²K0⁻²), K0 = a1Σ1 + a2Σ2 + λ."""
    atoms = A3(1)
    lam, p2 = Fraction(1, 10), Fraction(3, 10)
    f = floor({"phi": 1, "lam": lam, "p2": p2, "atoms": atoms}, dps=30)["test_error"]
    with mp.workdps(40):
        want = 0
        for a in atoms:
            w, s1, s2, th, dl = (mp.mpf(Fraction(str(a[k])).numerator) / Fraction(str(a[k])).denominator
                                 for k in ("weight", "s1", "s2", "theta", "delta"))
            K0 = (1 - mp.mpf(3) / 10) * s1 + mp.mpf(3) / 10 * s2 + mp.mpf(1) / 10
            want += w * (mp.mpf(1) / 100 * th * s1 / K0 ** 2 + (mp.mpf(3) / 10) ** 2 * dl * s1 * s2 ** 2 / K0 ** 2)
        assert abs(f - want) < mp.mpf("1e-28")


def test_derivative_in_psi_matches_finite_differences():
    cfg = rp(phi=2, psi=0.7, lam=0.01, p2=0.3, atoms=A2(1))
    d = derivative(cfg, "psi", dps=30)
    h = mp.mpf("1e-15")
    with mp.workdps(45):
        up = sc.predict(dict(cfg, psi=mp.mpf("0.7") + h), dps=40)["test_error"]
        dn = sc.predict(dict(cfg, psi=mp.mpf("0.7") - h), dps=40)["test_error"]
        fd = (up - dn) / (2 * h)
    assert abs(d["test_error"] - fd) < mp.mpf("1e-20")


def test_model_size_story():
    """φ = 2 (low-quality data): E_test rises with ψ on (0, 1) and falls past ψ = 1; the
    extra error due to synthetic data (E(c²) − E(0)) behaves the same way (amplified
    below the threshold, mitigated beyond but not removed)."""
    base = rp(phi=2, psi=1, lam=0.01, p2=0.1, sigma1=0.5, sigma2=0.5, atoms=iso(1))
    below, above = np.linspace(0.2, 0.9, 8), np.linspace(1.2, 20, 8)
    for psis, sign in ((below, 1), (above, -1)):
        out = sc.curve(base, wrt="psi", psi=psis)
        assert np.all(sign * out["d_test_error"] > 0)
        clean = sc.curve(dict(base, atoms=iso(0)), psi=psis)["test_error"]
        extra = out["test_error"] - clean
        assert np.all(sign * np.diff(extra) > 0) and np.all(extra > 0)
    pd = modelsize.phase_diagram(dict(base, phi=0.5), np.geomspace(0.1, 0.5, 5), np.linspace(0, 8, 9))
    assert np.all(np.isfinite(pd["c2_star"]))  # a boundary exists: low quality → larger is worse
    for j, star in enumerate(pd["c2_star"]):
        col = pd["worse"][:, j]
        assert np.all(col[pd["c2"] > star + 1e-9]) and not np.any(col[pd["c2"] < star - 1e-9])


def test_interpolation_peak_moves_to_one_and_grows():
    cfg = rp(phi=2, psi=1, lam=0.01, p2=0.1, sigma1=0.5, sigma2=0.5, atoms=iso(1))
    s = modelsize.peak_scaling(cfg, [1e-2, 1e-3, 1e-4])
    gaps = [abs(1 - p) for p in s["psi_star"]]
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-3
    assert s["height"][0] < s["height"][1] < s["height"][2]
    assert 0.4 < s["kappa"] < 0.6


RP_ISO_POINTS = [  # (phi, psi, lam, s): the cubic of λ > 0 and each ridgeless regime
    (2, 0.5, 0.1, 1), (0.5, 0.9, 0.01, 1), (3, 1.5, 0.3, 2), (0.5, 4, 2, 0.5),
    (2, 0.5, 0, 1), (0.5, 2, 0, 1), (2, 3, 0, 1.5), (0.5, 0.5, 0, 1)]


@pytest.mark.parametrize("phi,psi,lam,s", RP_ISO_POINTS)
def test_projection_closed_form_equals_predict(phi, psi, lam, s):
    """sc.closed_form of isotropic random projections (physical root of the cubic for
    λ > 0; the Piecewise over the ridgeless regimes) = the numerical solve, 25 digits."""
    cfg = rp(phi=phi, psi=psi, lam=lam, p2=0.3, sigma2=0.2,
             atoms=[{"weight": 1, "s1": s, "s2": s, "theta": 1.5, "delta": 0.7}])
    num = sc.predict(cfg, dps=40)
    for part in ("test_error", "bias", "variance", "zeta"):
        expr = sc.closed_form(cfg, part)
        assert not expr.free_symbols
        with mp.workdps(45):
            got = mp.mpf(str(sp.N(expr, 45)))
            assert abs(got - num[part]) < mp.mpf(10) ** -25, (part, got, num[part])


def test_projection_closed_form_is_piecewise_over_the_ridgeless_regimes():
    phi, psi = sp.symbols("phi psi", positive=True)
    expr = sc.closed_form(rp(phi=phi, psi=psi, lam=0, p2=sp.Rational(1, 10), atoms=iso(1)))
    assert isinstance(expr, sp.Piecewise)
    assert expr.free_symbols == {phi, psi}
    conds = [c for _e, c in expr.args]
    for region in ((psi < 1) & (psi < phi), (phi < 1) & (phi < psi), (phi > 1) & (psi > 1)):
        assert any(sp.simplify(sp.Equivalent(region, c)) is sp.true for c in conds), region
    # each side is a rational function: at a rational point, the exact value of predict
    for point in ((2, 3), (3, sp.Rational(1, 2)), (sp.Rational(1, 2), 5)):
        at = expr.subs({phi: point[0], psi: point[1]})
        assert at.is_Rational
        num = sc.predict(rp(phi=point[0], psi=point[1], lam=0, p2=0.1, atoms=iso(1)),
                         dps=30)["test_error"]
        with mp.workdps(40):
            assert abs(mp.mpf(at.p) / at.q - num) < mp.mpf(10) ** -25
