"""Issue 4, item 3: scaling laws on power-law spectra (series, d ≫ n) and the plateau."""
import math
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

import symcollapse as sc
from symcollapse.analysis import scaling as S

NS = [10 ** k for k in range(3, 9)]


@pytest.mark.parametrize("beta,gamma", [(2, 2), (1.5, 1.8), (1.5, 3.5), (3, 2.5)])
def test_clean_exponent_matches_a_fit_over_1e3_to_1e8(beta, gamma):
    law = S.PowerLaw(beta=beta, gamma=gamma)
    out = S.learning_curve(law, NS)
    fit = S.fitted_exponent(NS, out["test_error"])
    subs = {S.beta_s: sp.nsimplify(beta), S.gamma_s: sp.nsimplify(gamma)}
    a = float(S.clean_rate()["exponent"].subs(subs))
    C = float(S.clean_rate()["constant"].subs(subs))
    assert abs(fit - a) / a < 0.02, (fit, a)
    assert abs(C * NS[-1] ** -a / out["test_error"][-1] - 1) < 0.01


def test_learning_curve_equals_high_precision_predict():
    law = S.PowerLaw(beta=1.5, gamma=1.8, c0=0.5)
    out = S.learning_curve(law, [100, 10 ** 5], p2=0.1, lam=1e-3, sigma1=0.5, sigma2=0.5)
    for i, n in enumerate((100, 10 ** 5)):
        r = S.predict_n(law, n, p2=Fraction(1, 10), lam=Fraction(1, 1000), sigma1=Fraction(1, 2),
                        sigma2=Fraction(1, 2), dps=25)
        assert abs(out["test_error"][i] / float(r["test_error"]) - 1) < 1e-10
        assert r["residual"] < 1e-30


def test_series_sum_converges_in_the_head_size():
    law = S.PowerLaw(beta=1.5, gamma=1.8, c0=0.5)
    a, b = S.power_law_atoms(law, head=200), S.power_law_atoms(law, head=1600)
    for n in (50, 10 ** 6):
        x = sc.predict(S.spec(law, n, p2=Fraction(1, 5), atoms=a), dps=25)["test_error"]
        y = sc.predict(S.spec(law, n, p2=Fraction(1, 5), atoms=b), dps=25)["test_error"]
        assert abs(x - y) / y < 1e-10


@pytest.mark.parametrize("beta, gamma", [(2, 2), (1.2, 3)])
def test_wide_tail_panels_equal_one_panel_per_e_fold(beta, gamma, monkeypatch):
    """The tail's panels widen beyond UNIT_PANELS e-folds; the sums equal those of one
    panel per e-fold all the way (a slowly decaying law included: its far tail reaches
    below float64's range, 10^-570, which the solver's scale measure must handle)."""
    law = S.PowerLaw(beta=beta, gamma=gamma, c0=Fraction(1, 2))
    ns = [10, 10 ** 4, 10 ** 8, 10 ** 14]
    kw = {"p2": Fraction(1, 10), "lam": Fraction(1, 1000), "sigma1": Fraction(1, 2),
          "sigma2": Fraction(1, 2)}
    wide = S.learning_curve(law, ns, **kw)["test_error"]
    n_wide = len(S.power_law_atoms(law))
    monkeypatch.setattr(S, "UNIT_PANELS", 10 ** 6)
    S._panels.cache_clear()
    try:
        fine = S.learning_curve(law, ns, **kw)["test_error"]
        assert len(S.power_law_atoms(law)) > 2 * n_wide
    finally:
        monkeypatch.undo()
        S._panels.cache_clear()
    assert np.allclose(wide, fine, rtol=1e-13, atol=0)
    r = S.predict_n(law, 10 ** 6, dps=20, **kw)     # mpmath end to end with the wide rule
    assert abs(float(r["test_error"]) / S.learning_curve(law, [10 ** 6], **kw)["test_error"][0]
               - 1) < 1e-12


def test_tuned_ridge_exponent():
    law = S.PowerLaw(beta=2, gamma=2)
    out = S.tuned_curve(law, NS, 0.5)
    fit = S.fitted_exponent(NS, out["test_error"])
    want = float(S.tuned_rate()["exponent"].subs({S.beta_s: 2, S.gamma_s: 2}))
    assert abs(fit - want) / want < 0.02


def test_ridgeless_noise_floor_is_sigma2_beta_minus_1():
    for beta in (1.5, 2.5):
        law = S.PowerLaw(beta=beta, gamma=2)
        v = S.learning_curve(law, [10 ** 12], sigma1=0.5, sigma2=0.5)["variance"][0]
        assert abs(v - 0.25 * (beta - 1)) < 1e-3 * 0.25 * (beta - 1)


@pytest.mark.parametrize("p2", [0.001, 0.01, 0.5])
def test_any_synthetic_share_turns_the_law_into_a_plateau(p2):
    """E_mix(n) → floor = (p2² + p1p2(β − 1))Σδ_i s_i > 0, reached at the crossover n*."""
    law = S.PowerLaw(beta=1.5, gamma=2.2, c0=1e-5)
    fl = float(S.floor(law, p2)["test_error"])
    want = (p2 ** 2 + (1 - p2) * p2 * 0.5) * 1e-5 * float(mp.zeta(2.2 + 1.5))
    assert abs(fl - want) / want < 1e-12
    ns = [10 ** k for k in range(2, 16, 2)]
    mix = S.learning_curve(law, ns, p2=p2)["test_error"]
    clean = S.learning_curve(law, ns)["test_error"]
    assert np.all(mix >= clean)
    assert abs(mix[-1] / fl - 1) < 1e-4          # the plateau
    assert clean[-1] < 1e-6 * fl                  # the clean law went on falling
    cr = S.crossover(law, p2)
    assert abs(cr["constant"] * cr["n_star"] ** -cr["exponent"] - fl) < 1e-9 * fl


def test_worth_saturates_at_the_crossover():
    law = S.PowerLaw(beta=2, gamma=2, c0=1e-6)
    cr = S.crossover(law, 0.1)
    w = [S.worth(law, n, 0.1) for n in (10, 100, 10 ** 4, 10 ** 6)]
    assert w[0] < w[1] < w[2]
    assert abs(w[3] / w[2] - 1) < 1e-4           # saturated: more data buy nothing
    assert w[-1] < 1.05 * cr["n_star"] and w[-1] > 0.9 * cr["n_star"]
    assert abs(w[0] / 10 - 1) < 0.1


def test_power_law_refuses_bad_exponents():
    with pytest.raises(sc.ConfigError, match="beta"):
        S.PowerLaw(beta=1, gamma=2)
    with pytest.raises(sc.ConfigError, match="gamma"):
        S.PowerLaw(beta=2, gamma=0.5)
    with pytest.raises(sc.ConfigError, match="p2"):
        S.spec(S.PowerLaw(beta=2, gamma=2), 100, p2=2)


@pytest.mark.slow
def test_finite_d_power_law_theory_matches_monte_carlo_when_d_exceeds_n():
    """The d ≫ n regime is the proportional theory with many atoms: Monte Carlo at d = 1200,
    n = 300 (φ = 4), p2 = 0.1, small ridge, power-law spectrum; and the finite-d theory
    approaches the series (d = ∞) one as d grows."""
    law = S.PowerLaw(beta=1.5, gamma=2.0, c0=0.02)
    cfg = S.finite_config(law, d=1200, n=300, p2=Fraction(1, 10), lam=Fraction(1, 10 ** 4),
                          sigma1=Fraction(1, 10), sigma2=Fraction(1, 10))
    th = float(sc.predict(cfg, dps=15)["test_error"])
    mc = sc.simulate(cfg, n=300, trials=40, seed=3)
    cond = mc["conditional"]["test_error"]
    assert mc["d"] == 1200
    assert abs(cond["mean"] - th) <= 3 * cond["se"] + 0.01 * th, (th, cond)
    series = float(S.predict_n(law, 300, p2=Fraction(1, 10), lam=Fraction(1, 10 ** 4),
                               sigma1=Fraction(1, 10), sigma2=Fraction(1, 10), dps=15)["test_error"])
    wider = S.finite_config(law, d=4800, n=300, p2=Fraction(1, 10), lam=Fraction(1, 10 ** 4),
                            sigma1=Fraction(1, 10), sigma2=Fraction(1, 10))
    th4 = float(sc.predict(wider, dps=15)["test_error"])
    assert abs(th4 - series) < 0.5 * abs(th - series)   # d → ∞ approaches the series law
