"""Issue 4: every limit derived (expansion systems; closed forms on the isotropic atom)
and confirmed by predict along a sequence approaching it, at the derived rate."""
import random
import zlib
from fractions import Fraction

import mpmath as mp
import pytest
import sympy as sp

import symcollapse as sc
from symcollapse.core import equations as eq
from symcollapse.analysis import limits
from symcollapse.analysis.limits import LIMITS, ISOTROPIC_LIMITS, c2 as C2, r2 as R2, rho, s_iso

A3 = [{"weight": 0.2, "s1": 4, "s2": 0.5, "theta": 2, "delta": 0},
      {"weight": 0.3, "s1": 1, "s2": 2, "theta": 1, "delta": 1},
      {"weight": 0.5, "s1": 0.2, "s2": 1, "theta": 0.5, "delta": 3}]
CONFIGS = {
    "linear ridge A3": {"phi": 0.6, "p2": 0.3, "lam": 0.05, "sigma1": 0.5, "sigma2": 0.9, "atoms": A3},
    "linear ridgeless A3 phi>1": {"phi": 1.5, "p2": 0.3, "lam": 0, "sigma1": 0.5, "sigma2": 0.9,
                                  "atoms": A3},
    "rp ridge A3 psi<1": {"model": "random_projection", "psi": 0.7, "phi": 1.5, "p2": 0.2,
                          "lam": 0.1, "sigma1": 0.5, "sigma2": 0.7, "atoms": A3},
    "rp ridgeless A3 features": {"model": "random_projection", "psi": 2.5, "phi": 0.5, "p2": 0.2,
                                 "lam": 0, "sigma1": 0.5, "sigma2": 0.7, "atoms": A3},
    "rp ridgeless A3 interpolating": {"model": "random_projection", "psi": 3, "phi": 2,
                                      "p2": 0.4, "lam": 0, "sigma1": 0.3, "sigma2": 0.7,
                                      "atoms": A3},
}
CASES = [(c, name) for c, cfg in CONFIGS.items() for name, lim in LIMITS.items()
         if cfg.get("model", "linear") in lim.models and not (name == "psi->oo" and cfg["lam"] == 0)]


@pytest.mark.parametrize("cfg_name,limit", CASES)
def test_limit_is_approached_at_the_derived_rate(cfg_name, limit):
    """|E(τ) − E0| shrinks like τ and |E(τ) − E0 − E1τ| like τ² along τ = 10^-k."""
    r = limits.confirm(limit, CONFIGS[cfg_name])
    assert r["slope"] != 0
    assert abs(r["order"] - 1) < 0.01, r["order"]
    if limit == "c2->0":  # exactly linear in Δ: nothing left over
        assert all(row["remainder"] < mp.mpf(10) ** -30 for row in r["rows"])
    else:
        assert abs(r["remainder_order"] - 2) < 0.02, r["remainder_order"]


def test_large_n_floor_is_the_stated_trace_formula():
    """docs/theory/linear.md §1: E → λ²tr(θΣ1K0⁻²) + a2²tr(δΣ1Σ2²K0⁻²), K0 = a1Σ1 + a2Σ2 + λ."""
    cfg = CONFIGS["linear ridge A3"]
    got = limits.expand("n->oo", cfg)["value"]["test_error"]
    p2, lam = Fraction(3, 10), Fraction(1, 20)
    want = Fraction(0)
    for a in A3:
        w, s1, s2, th, de = (Fraction(str(a[k])) for k in ("weight", "s1", "s2", "theta", "delta"))
        K0 = (1 - p2) * s1 + p2 * s2 + lam
        want += w * (lam ** 2 * th * s1 + p2 ** 2 * de * s1 * s2 ** 2) / K0 ** 2
    with mp.workdps(40):
        assert abs(got - mp.mpf(want.numerator) / want.denominator) < mp.mpf(10) ** -28


def test_zeta_vanishes_in_the_p2_and_delta_limits():
    for name in ("p2->0", "c2->0"):
        for cfg in CONFIGS.values():
            assert limits.expand(name, cfg)["value"]["zeta"] == 0


def test_psi_to_infinity_lands_on_the_linear_model_at_lambda0():
    cfg = CONFIGS["rp ridge A3 psi<1"]
    got = limits.expand("psi->oo", cfg, dps=30)["value"]
    lin = {k: v for k, v in cfg.items() if k not in ("model", "psi")}
    want = sc.predict(lin, dps=30)
    for part in ("test_error", "bias", "variance", "zeta"):
        assert abs(got[part] - want[part]) < mp.mpf(10) ** -25


# ----------------------------------------------------------------------------- isotropic

def _point(model, name, side, rng):
    """A random rational config inside the region of (limit, side)."""
    R = lambda a, b, q: Fraction(rng.randint(a, b), q)  # noqa: E731
    for _ in range(500):
        phi, psi = R(1, 40, 10), R(1, 40, 10)
        cfg = {"phi": phi, "p2": R(1, 9, 10), "lam": R(1, 30, 10) if side == "ridge" else 0,
               "sigma1": R(0, 9, 7), "sigma2": R(0, 9, 5),
               "atoms": [{"weight": 1, "s1": R(2, 8, 4), "s2": None, "theta": R(1, 9, 3),
                          "delta": R(1, 9, 4)}]}
        cfg["atoms"][0]["s2"] = cfg["atoms"][0]["s1"]
        if model == "random_projection":
            cfg.update(model=model, psi=psi)
        region = limits.SIDES[model][side][1]
        if name == "n->oo":
            region = limits.N_OO_REGIONS[(model, side)]
        vals = {eq.phi: phi, eq.psi: psi, rho: psi / phi}
        if region is not sp.true and not bool(region.subs({k: sp.Rational(v.numerator, v.denominator)
                                                          for k, v in vals.items()})):
            continue
        if 1 in (phi, psi) or phi == psi:
            continue
        return cfg
    raise AssertionError("no point")


ISO_CASES = [(m, n, s) for m, d in ISOTROPIC_LIMITS.items() for n, sides in d.items() for s in sides]


@pytest.mark.parametrize("model,name,side", ISO_CASES)
def test_isotropic_limit_closed_forms_equal_the_numerical_expansion(model, name, side):
    """The closed forms of each limit and its first-order term = expand() at 3 random
    rational points of the region, to 25 digits."""
    res = limits.expand_isotropic(name, model, side)
    rng = random.Random(zlib.crc32(f"{model}/{name}/{side}".encode()))
    for _ in range(3):
        cfg = _point(model, name, side, rng)
        num = limits.expand(name, cfg, dps=30)
        a = cfg["atoms"][0]
        subs = {eq.phi: cfg["phi"], eq.p2: cfg["p2"], eq.lam: cfg["lam"], eq.sigma1: cfg["sigma1"],
                eq.sigma2: cfg["sigma2"], s_iso: a["s1"], R2: a["theta"], C2: a["delta"]}
        if model == "random_projection":
            subs.update({eq.psi: cfg["psi"], rho: cfg["psi"] / cfg["phi"]})
        subs = {k: sp.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else v
                for k, v in subs.items()}
        for part in ("test_error", "bias", "variance", "zeta"):
            for which in ("value", "slope"):
                closed = sp.N(res[which][part].xreplace(subs), 40)
                with mp.workdps(40):
                    got = mp.mpf(str(sp.re(closed)))
                    assert abs(sp.im(closed)) < 1e-30
                    assert abs(got - num[which][part]) < mp.mpf(10) ** -25 * (1 + abs(got)), \
                        (cfg, part, which, got, num[which][part])


def test_isotropic_limits_agree_with_series_of_the_closed_forms():
    """Independent route: SymPy series/limits of the closed forms themselves."""
    phi, p2, lam, sig1, sig2, s = eq.phi, eq.p2, eq.lam, eq.sigma1, eq.sigma2, s_iso
    under = limits.isotropic("linear", "under")[0]["test_error"]
    ser = sp.series(under, phi, 0, 2).removeO()
    res = limits.expand_isotropic("n->oo", "linear", "under")
    assert sp.simplify(ser.coeff(phi, 0) - res["value"]["test_error"]) == 0
    assert sp.simplify(ser.coeff(phi, 1) - res["slope"]["test_error"]) == 0
    # the docs/setting.md floor p2²c² and docs/theory/linear.md's first-order term σ̄² + p1p2c² (s = 1)
    assert sp.simplify(res["value"]["test_error"].subs(s, 1) - p2 ** 2 * C2) == 0
    sbar2 = (1 - p2) * sig1 ** 2 + p2 * sig2 ** 2
    assert sp.simplify(res["slope"]["test_error"].subs(s, 1) - sbar2 - (1 - p2) * p2 * C2) == 0
    ridge = limits.isotropic("linear", "ridge")[0]["test_error"]
    t = sp.Symbol("t", positive=True)
    big = limits.expand_isotropic("lam->oo", "linear", "ridge")
    at_inf = sp.limit(ridge.subs(lam, 1 / t), t, 0)
    assert sp.simplify(at_inf - big["value"]["test_error"]) == 0
    first = sp.limit((ridge.subs(lam, 1 / t) - at_inf) / t, t, 0)
    assert sp.simplify(first - big["slope"]["test_error"]) == 0
    small = limits.expand_isotropic("p2->0", "linear", "ridge")
    dp2 = sp.diff(ridge, p2).subs(p2, 0)
    pt = {phi: sp.Rational(7, 5), lam: sp.Rational(1, 3), s: 2, R2: 1, C2: 3, sig1: sp.Rational(1, 2),
          sig2: 1}
    assert abs(sp.N((dp2 - small["slope"]["test_error"]).subs(pt), 40)) < 1e-35


CLOSED_FORM_SIDES = [("linear", "ridge"), ("linear", "under"), ("linear", "over"),
                     ("random_projection", "ridge"), ("random_projection", "sketch"),
                     ("random_projection", "features"), ("random_projection", "interpolating"),
                     ("random_projection", "invertible")]


def _closed_form_point(model, side, rng):
    R = lambda a, b, q: Fraction(rng.randint(a, b), q)  # noqa: E731
    while True:
        phi, psi = R(1, 45, 10), R(1, 45, 10)
        if side == "invertible":
            psi = phi = R(1, 9, 10)
        s = R(2, 10, 4)
        cfg = {"phi": phi, "p2": R(0, 10, 10), "lam": R(1, 40, 13) if side == "ridge" else 0,
               "sigma1": R(0, 9, 7), "sigma2": R(0, 9, 5),
               "atoms": [{"weight": 1, "s1": s, "s2": s, "theta": R(0, 9, 3), "delta": R(0, 9, 4)}]}
        if model == "random_projection":
            cfg.update(model=model, psi=psi)
        ok = {"ridge": True, "under": phi < 1, "over": phi > 1,
              "sketch": psi < 1 and psi < phi, "features": phi < 1 and phi < psi,
              "interpolating": phi > 1 and psi > 1, "invertible": True}[side]
        if ok:
            return cfg


@pytest.mark.parametrize("model,side", CLOSED_FORM_SIDES)
def test_every_closed_form_equals_predict_to_40_digits(model, side):
    """Acceptance (issue 4): sc.closed_form = sc.predict to 40 digits at 20 random rational
    points per closed form (each side of each model, all four parts)."""
    rng = random.Random(zlib.crc32(f"{model}/{side}".encode()))
    for _ in range(20):
        cfg = _closed_form_point(model, side, rng)
        num = sc.predict(cfg, dps=45)
        for part in ("test_error", "bias", "variance", "zeta"):
            value = sp.N(sc.closed_form(cfg, part), 50)
            with mp.workdps(50):
                got = mp.mpf(str(value))
                assert abs(got - num[part]) <= mp.mpf(10) ** -40 * max(1, abs(got)), (cfg, part)
