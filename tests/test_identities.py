"""Exact identities of the theory (acceptance: issue 2)."""
from fractions import Fraction

import mpmath as mp
import pytest
import sympy as sp

import symcollapse as sc
from conftest import A3, ISO


def mpf_close(a, b, digits):
    return abs(a - b) <= mp.mpf(10) ** (-digits) * max(1, abs(b))


@pytest.mark.parametrize("cfg", [
    dict(ISO, p2=0, lam=0.1),
    dict(ISO, p2=0, phi=3, lam=0),
    {"phi": 0.7, "p2": 0, "lam": 0.01, "sigma1": 0.5, "sigma2": 2, "atoms": A3},
    {"phi": 0.7, "p2": 0.5, "lam": 0.01, "sigma1": 0.5, "sigma2": 2,
     "atoms": [dict(a, delta=0) for a in A3]},
    {"phi": 1.5, "p2": 0.3, "lam": 0, "sigma1": 0.5, "sigma2": 2,
     "atoms": [dict(a, delta=0) for a in A3]},
])
def test_zeta_vanishes_without_synthetic_data_or_shift(cfg):
    r = sc.predict(cfg, dps=30)
    assert r["zeta"] == 0
    assert r["test_error"] > 0


def test_zeta_vanishes_when_shift_is_off_the_support_of_sigma2():
    atoms = [{"weight": 0.5, "s1": 1, "s2": 0, "theta": 1, "delta": 3},
             {"weight": 0.5, "s1": 2, "s2": 1, "theta": 1, "delta": 0}]
    r = sc.predict({"phi": 0.5, "p2": 0.4, "lam": 0.1, "atoms": atoms}, dps=30)
    assert r["zeta"] == 0


@pytest.mark.parametrize("phi,p2,sigma,c2", [(0.25, 0.125, 0.5, 2), ("1/3", "1/7", 1, 1),
                                             (0.9, 0.5, 0.1, 0.5), (0.05, 0.01, 0, 2)])
def test_isotropic_ridgeless_value_to_30_digits(phi, p2, sigma, c2):
    phi, p2, sigma, c2 = (Fraction(x) if isinstance(x, str) else x for x in (phi, p2, sigma, c2))
    cfg = dict(ISO, phi=phi, p2=p2, sigma1=sigma, sigma2=sigma,
               atoms=[{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": c2}])
    r = sc.predict(cfg, dps=40)
    with mp.workdps(50):
        f = lambda x: mp.mpf(Fraction(str(x)).numerator) / Fraction(str(x)).denominator  # noqa: E731
        ph, q, s, c = f(phi), f(p2), f(sigma), f(c2)
        want = s ** 2 * ph / (1 - ph) + c * (q ** 2 + (1 - q) * q * ph / (1 - ph))
        assert mpf_close(r["test_error"], want, 30)


def test_closed_form_simplifies_to_model_md_formula():
    phi, p2, sigma, c2 = sp.symbols("phi p2 sigma c2", positive=True)
    cfg = dict(ISO, phi=phi, p2=p2, sigma1=sigma, sigma2=sigma,
               atoms=[{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": c2}])
    expr = sc.closed_form(cfg)
    assert isinstance(expr, sp.Piecewise)
    under = expr.args[0]
    assert under.cond == (phi < 1)
    want = sigma ** 2 * phi / (1 - phi) + c2 * (p2 ** 2 + (1 - p2) * p2 * phi / (1 - phi))
    assert sp.simplify(under.expr - want) == 0
    assert expr.free_symbols == {phi, p2, sigma, c2}


def test_closed_form_keeps_the_callers_symbols_and_p1_as_one_minus_p2():
    phi = sp.Symbol("phi", positive=True)
    p2 = sp.Symbol("p2")  # no assumptions: must come back unchanged
    expr = sc.closed_form(dict(ISO, phi=phi, p2=p2, lam=sp.Rational(1, 10)))
    assert expr.free_symbols == {phi, p2}
    assert not any(s.name == "p1" for s in expr.free_symbols)


@pytest.mark.parametrize("lam", ["0.1", "2", "1/1000"])
@pytest.mark.parametrize("phi", ["0.3", "1.5"])
def test_closed_form_with_ridge_equals_predict(lam, phi):
    vals = dict(phi=Fraction(phi), lam=Fraction(lam), p2=Fraction(3, 10), sigma1=Fraction(1, 2),
                sigma2=Fraction(1), atoms=[{"weight": 1, "s1": 2, "s2": 2, "theta": 1.5,
                                            "delta": 0.7}])
    cfg = dict(ISO, **vals)
    for part in ("test_error", "bias", "variance", "zeta"):
        expr = sc.closed_form(cfg, part)
        assert not expr.free_symbols
        num = sc.predict(cfg, dps=40)[part]
        assert abs(sp.N(expr, 45) - sp.Float(mp.nstr(num, 40), 45)) < 1e-35


def test_closed_form_refuses_what_it_cannot_do():
    with pytest.raises(sc.UnsupportedError):
        sc.closed_form({"phi": 0.5, "p2": 0.1, "lam": 0.1, "atoms": A3})
    with pytest.raises(sc.ConfigError, match="part"):
        sc.closed_form(ISO, "everything")


def test_dps_30_and_60_agree_to_28_digits():
    cases = [ISO, dict(ISO, lam=0.01, phi=2.5),
             {"phi": 0.7, "p2": 0.5, "lam": 0.001, "sigma1": 0.3, "sigma2": 0.9, "atoms": A3},
             {"phi": 1.5, "p2": 0.01, "lam": 0, "sigma1": 0.5, "sigma2": 0.2, "atoms": A3}]
    for cfg in cases:
        a, b = sc.predict(cfg, dps=30), sc.predict(cfg, dps=60)
        for part in ("test_error", "bias", "variance", "zeta"):
            assert mpf_close(a[part], b[part], 28), (cfg, part, a[part], b[part])


def test_theory_tables_of_the_derivation_notes():
    """docs/theory/linear.md §6.1's theory column (rounded to 5 digits)."""
    A2 = [{"weight": .5, "s1": 2, "s2": .5, "theta": 1, "delta": 2},
          {"weight": .5, "s1": .5, "s2": 1.5, "theta": .5, "delta": .5}]
    iso = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]
    rows = [(iso, .5, .2, .1, .5, .5, 0.29735), (iso, .5, .3, 0, .5, .5, 0.55000),
            (A2, .5, .3, .05, .5, 1, 0.48078), (A2, 2, .5, .1, .3, .8, 1.04690),
            (A3, .25, .1, .01, 1, .3, 0.31881), (iso, 2, .4, 0, .5, 1, 1.37000),
            (A3, .8, .7, .2, 1, .2, 0.88698), (A3, 1, .5, .02, .5, .5, 1.31324),
            (A2, .6, .4, 0, .7, .3, 0.92105)]
    for atoms, phi, p2, lam, s1, s2, want in rows:
        r = sc.predict({"phi": phi, "p2": p2, "lam": lam, "sigma1": s1, "sigma2": s2,
                        "atoms": atoms}, dps=20)
        assert abs(float(r["test_error"]) - want) < 6e-6, (phi, p2, lam, r["test_error"])


def test_residual_certificate_is_tiny():
    r = sc.predict({"phi": 0.7, "p2": 0.5, "lam": 0.001, "atoms": A3}, dps=50)
    assert r["residual"] < mp.mpf(10) ** -55
    assert r["newton_step"] < mp.mpf(10) ** -55
