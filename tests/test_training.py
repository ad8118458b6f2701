"""Training error on a mixture (THEORY-training.md): identities, closed forms, Monte Carlo."""
import json

import mpmath as mp
import pytest

import symcollapse as sc
from symcollapse import generalization as G
from symcollapse.cli import main

ISO = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]
A2 = [{"weight": 0.5, "s1": 2, "s2": 1, "theta": 1, "delta": 0.5},
      {"weight": 0.5, "s1": 0.5, "s2": 1.5, "theta": 0.5, "delta": 1}]
KEYS = ("train_error", "train_error_real", "train_error_synthetic")


def _cfg(**kw):
    base = {"phi": 0.5, "p2": 0.3, "lam": 0.1, "sigma1": 0.5, "sigma2": 0.5, "atoms": ISO}
    base.update(kw)
    return base


@pytest.mark.parametrize("model", ["linear", "random_projection"])
@pytest.mark.parametrize("phi,lam", [(0.5, 0.1), (2, 0.01), (1.3, 1)])
def test_gcv_identity_clean_data_30_digits(model, phi, lam):
    cfg = _cfg(phi=phi, lam=lam, p2=0, atoms=A2)
    if model != "linear":
        cfg.update(model=model, psi=0.8)
    r = sc.predict(cfg, dps=40)
    with mp.workdps(40):
        rel = abs(r["gcv"] - (r["test_error"] + mp.mpf(1) / 4)) / r["gcv"]
    assert rel < mp.mpf(10) ** -30
    assert r["train_error_synthetic"] is None and r["train_error"] == r["train_error_real"]


def test_df_is_one_minus_mean_e_at_the_fixed_point():
    r = sc.predict(_cfg(atoms=A2, phi=1.4), dps=40)
    e1, e2 = r["unknowns"]["e1"], r["unknowns"]["e2"]
    with mp.workdps(40):
        assert abs(r["df"] - (1 - mp.mpf("0.7") * e1 - mp.mpf("0.3") * e2)) < mp.mpf(10) ** -35


def test_gcv_with_synthetic_data_estimates_the_mixture_risk_not_the_real_one():
    g = G.gcv_report(_cfg(), dps=30)
    assert abs(g["gcv"] - g["mixture_risk"]) < mp.mpf(10) ** -25   # Σ1 = Σ2: e1 = e2
    assert g["bias_of_gcv"] > mp.mpf("0.1")                          # and not the real risk
    under = G.gcv_report(_cfg(p2=0.7), dps=30)                       # p2 > s/2: under-estimate
    assert under["bias_of_gcv"] < 0
    aniso = G.gcv_report(_cfg(atoms=A2), dps=30)                     # e1 ≠ e2: the LOO form
    assert abs(aniso["gcv"] - aniso["loo_mixture"]) < mp.mpf(10) ** -25
    assert abs(aniso["gcv"] - aniso["mixture_risk"]) > mp.mpf(10) ** -3


def test_isotropic_closed_forms():
    r = sc.predict(_cfg(sigma2=0.7), dps=30)
    ridgeless = sc.predict(_cfg(lam=0, sigma2=0.7), dps=30)
    with mp.workdps(30):
        phi, p2, c2, s1, s2 = mp.mpf("0.5"), mp.mpf("0.3"), mp.mpf(1), mp.mpf("0.5"), mp.mpf("0.7")
        lam = mp.mpf("0.1")
        s = (1 + lam + phi + mp.sqrt((1 + lam + phi) ** 2 - 4 * phi)) / 2
        e = (s - phi) / s
        tol = mp.mpf(10) ** -25
        assert abs(r["train_error_real"] - e ** 2 * (r["test_error"] + s1 ** 2)) < tol
        assert abs(r["train_error_synthetic"]
                   - e ** 2 * (r["test_error"] + c2 * (1 - 2 * p2 / s) + s2 ** 2)) < tol
        sbar = (1 - p2) * s1 ** 2 + p2 * s2 ** 2
        assert abs(ridgeless["train_error"] - (1 - phi) * (sbar + (1 - p2) * p2 * c2)) < tol
    assert sc.predict(_cfg(lam=0, phi=2), dps=20)["train_error"] == 0       # interpolation


def test_ridgeless_gcv_is_the_limit_of_small_ridge():
    lim = sc.predict(_cfg(lam=0, phi=2), dps=20)["gcv"]
    near = sc.predict(_cfg(lam=1e-8, phi=2), dps=20)["gcv"]
    assert abs(lim - near) / lim < 1e-6


def test_groups_without_rows_and_regimes_without_a_fixed_point():
    only = sc.predict(_cfg(p2=1), dps=20)
    assert only["train_error_real"] is None and only["train_error"] == only["train_error_synthetic"]
    exact = sc.predict(_cfg(phi=1, lam=0, sigma1=0, sigma2=0,
                            atoms=[{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 0}]), dps=20)
    assert exact["train_error"] == 0 and exact["gcv"] is None


def _mc_ok(theory, mc, allow):
    return abs(mc["mean"] - float(theory)) <= 3 * mc["se"] + allow * abs(float(theory))


@pytest.mark.parametrize("cfg,n,allow", [
    (_cfg(sigma2=0.7), 400, 0.01),
    (_cfg(atoms=A2, phi=2, p2=0.1), 200, 0.015),
    (_cfg(strategy="weighted", alpha=0.8, phi=1.5, p2=0.5, lam=0.05), 300, 0.01),
    (_cfg(model="random_projection", psi=2, p2=0.5), 300, 0.02),
])
def test_training_errors_match_monte_carlo(cfg, n, allow):
    """Small sizes: 3 se + a finite-size allowance of 1–2 % (the acceptance table at
    min(d, m) ≥ 400 is benchmarks/training_mc.py)."""
    th = sc.predict(cfg, dps=20)
    mc = sc.simulate(cfg, n, 6, seed=3)
    for k in KEYS:
        assert _mc_ok(th[k], mc["conditional"][k], allow), k
        assert _mc_ok(th[k], mc[k], allow), k          # the sampled error: its own (larger) se
    assert _mc_ok(th["df"], mc["df"], 0.01)


def test_a_wrong_g2_fails_monte_carlo():
    """G2 without its target term (measured against w1 instead of w2) is off by ~c²:
    the Monte Carlo check catches it."""
    cfg = _cfg(sigma2=0.7)
    th = sc.predict(cfg, dps=20)
    mc = sc.simulate(cfg, 400, 6, seed=3)
    e2 = th["unknowns"]["e2"]
    wrong = e2 ** 2 * (th["test_error"] + mp.mpf("0.49"))
    assert not _mc_ok(wrong, mc["conditional"]["train_error_synthetic"], 0.01)
    assert _mc_ok(th["train_error_synthetic"], mc["conditional"]["train_error_synthetic"], 0.01)


def test_collapse_estimator_mean_and_variance_in_k():
    cfg = _cfg()
    for k in (25, 400):
        m = G.simulate_estimator(cfg, 200, k, 120, seed=5)
        t = m["theory"]
        # 3 se + 5 %: the finite-size bias of GCV − E_test, +2 % measured at n = 400, ~1/n
        assert abs(m["mean"] - float(t["zeta"])) <= 3 * m["se"] + 0.05 * float(t["zeta"])
        predicted = float(t["var_k"]) + m["v0"]
        spread = 3 * (2 / 119) ** 0.5                     # 3 sd of a variance from 120 draws
        assert abs(m["var"] / predicted - 1) < spread
    assert G.collapse_estimator(cfg, 100)["k_detect"] > 0
    with pytest.raises(sc.ConfigError):
        G.collapse_estimator(_cfg(atoms=A2), 100)           # covariate shift: not identified


def test_cli_predict_and_simulate_report_training_errors(capsys, tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(_cfg(p2=0)))
    assert main(["predict", str(path), "--dps", "20"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["train_error_synthetic"] is None and float(out["train_error"]) > 0
    assert main(["simulate", str(path), "--n", "60", "--trials", "3"]) == 0
    sim = json.loads(capsys.readouterr().out)
    assert sim["train_error_synthetic"] is None and sim["train_error"]["mean"] > 0
