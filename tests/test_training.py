"""Training error on a mixture (docs/theory/training.md): identities, closed forms, Monte Carlo."""
import json

import mpmath as mp
import pytest

import symcollapse as sc
from symcollapse.studies import generalization as G
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


@pytest.mark.parametrize("model", ["linear", "random_projection"])
@pytest.mark.parametrize("strategy", ["plain", "weighted"])
def test_gcv_times_the_squared_gap_is_the_training_error(model, strategy):
    """GCV = E_train/(1 − df/n)² with the gap computed as p1e1 + p2e2 (the fixed point's
    identity, for every strategy): checked against 1 − df computed by subtraction."""
    cfg = _cfg(atoms=A2, phi=1.4, model=model, strategy=strategy)
    if model != "linear":
        cfg["psi"] = 0.8
    if strategy == "weighted":
        cfg["alpha"] = 0.6
    r = sc.predict(cfg, dps=40)
    with mp.workdps(60):
        assert abs(r["gcv"] * (1 - r["df"]) ** 2 / r["train_error"] - 1) < mp.mpf(10) ** -35


def test_gcv_where_df_is_one_to_65_digits():
    """1 − df/n ≈ 1.6e-65 (p1 = 1e-40, λ = 1e-26): the gap is not a difference of two
    numbers next to 1 (which gave GCV = 5.0e46 at dps 10 instead of 1.1250009e40)."""
    from fractions import Fraction as F
    cfg = {"phi": F(3, 2), "p2": 1 - F(1, 10 ** 40), "lam": F(1, 10 ** 26),
           "sigma1": F(1, 1000), "sigma2": 10 ** 7,
           "atoms": [{"weight": F(3, 4), "s1": F(1, 2), "s2": 10 ** 47, "theta": 3, "delta": 3},
                     {"weight": F(1, 4), "s1": F(1, 10 ** 41), "s2": 1, "theta": 10 ** 20,
                      "delta": 10 ** 6}]}
    low, high = sc.predict(cfg, dps=10), sc.predict(cfg, dps=40)
    assert mp.nstr(low["gcv"], 10) == mp.nstr(high["gcv"], 10)
    u = high["unknowns"]
    with mp.workdps(200):
        gap = mp.mpf(10) ** -26 * (mp.mpf(10) ** -40 * u["epsilon1"]
                                   + (1 - mp.mpf(10) ** -40) * u["epsilon2"])
        assert abs(high["gcv"] * gap ** 2 / high["train_error"] - 1) < mp.mpf(10) ** -35


def test_ridgeless_gcv_with_p1_below_the_working_precision():
    """The interpolating limit of GCV weighs the groups by p1 = 1 − p2 taken exactly
    (p2 = 1 − 1e-40: 1 − p2 in mpf was 0, GCV 2.9e7 at dps 10 instead of 2.066e37)."""
    from fractions import Fraction as F
    cfg = {"model": "random_projection", "phi": 4, "p2": 1 - F(1, 10 ** 40), "lam": 0,
           "sigma1": F(1, 2), "sigma2": F(1, 2), "psi": F(10000001, 10000000),
           "atoms": [{"weight": 1, "s1": F(1, 10 ** 39), "s2": 1, "theta": 3,
                      "delta": F(1, 2)}]}
    low, high = sc.predict(cfg, dps=10), sc.predict(cfg, dps=40)
    assert mp.nstr(low["gcv"], 10) == mp.nstr(high["gcv"], 10)
    u = high["unknowns"]
    with mp.workdps(200):
        p1, p2 = mp.mpf(10) ** -40, 1 - mp.mpf(10) ** -40
        G = [high["test_error"] + mp.mpf(1) / 4, None]
        num_real = p1 * u["epsilon1"] ** 2 * G[0]
        assert high["gcv"] > num_real / (p1 * u["epsilon1"] + p2 * u["epsilon2"]) ** 2 > 0


def test_noiseless_exact_recovery_is_reported_zero():
    """Ridgeless projections with d < min(n, m), noiseless and without synthetic rows
    recover the target exactly: every output is 0, proved against the problem's own
    scale (there is no nonzero output to measure it by), and GCV = 0/(1 − φ)² = 0."""
    from fractions import Fraction as F
    cfg = {"model": "random_projection", "phi": F(999999, 1000000), "p2": 0, "lam": 0,
           "sigma1": 0, "sigma2": 10 ** 6, "psi": F(100001, 100000),
           "atoms": [{"weight": 1, "s1": 1, "s2": F(1, 10 ** 32), "theta": 3,
                      "delta": F(1, 100)}]}
    for dps in (20, 40):
        r = sc.predict(cfg, dps=dps, certify=True)
        assert all(r[k] == 0 for k in ("test_error", "bias", "variance", "zeta",
                                       "train_error", "gcv"))
        assert mp.nstr(r["df"], dps) == "0.999999"


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


@pytest.mark.parametrize("extra", [
    {},
    {"strategy": "weighted", "alpha": 0.8},
    {"model": "random_projection", "psi": 0.7},
    {"model": "random_projection", "psi": 3, "strategy": "weighted", "alpha": 0.3},
])
def test_gap_density_is_one_minus_df_at_the_fixed_point(extra):
    """The ``gap`` density p1e1 + p2e2 stands for 1 − df/n (typed without the subtraction,
    from tr(Σ_j K⁻¹) = (1/e_j − 1)/γ_j at the fixed point): GCV = E_train/gap² must equal
    E_train/(1 − df/n)² to the working precision wherever df/n is away from 1."""
    cfg = {"phi": 0.5, "p2": 0.3, "lam": 0.1, "sigma1": 0.5, "sigma2": 0.3,
           "atoms": [{"weight": 0.5, "s1": 1, "s2": 2, "theta": 1, "delta": 1},
                     {"weight": 0.5, "s1": 3, "s2": 1, "theta": 2, "delta": 0.5}], **extra}
    r = sc.predict(cfg, dps=30)
    with mp.workdps(40):
        via_df = r["train_error"] / (1 - r["df"]) ** 2
        assert 0.05 < 1 - r["df"] < 0.95
        assert abs(r["gcv"] - via_df) <= mp.mpf(10) ** -27 * abs(via_df)
