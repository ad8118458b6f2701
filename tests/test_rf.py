"""Random features: exact test kernels, the encoded statement, and theory = Monte Carlo."""
import math

import mpmath as mp
import numpy as np
import pytest

import symcollapse as sc
from symcollapse.simulation import random_features as mrf
from oracles.rf_statement import predict_rf
from symcollapse.pencil.gaussian_equivalence import LINEAR, gaussian_equivalence, group_constants
from symcollapse.core.spec import parse

A2 = [{"weight": 0.5, "s1": 2, "s2": 1, "theta": 1, "delta": 0.5},
      {"weight": 0.5, "s1": 0.5, "s2": 1.5, "theta": 0.5, "delta": 1}]
HOT = [{"weight": 1, "s1": 1, "s2": 3, "theta": 1, "delta": 0.5}]


def rf(activation, **kw):
    return dict({"model": "random_features", "activation": activation, "sigma1": 0.5,
                 "sigma2": 0.7}, **kw)


def _phi(x):
    return mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)


def relu_pair_reference(t1, t2, r):
    """E[σ(h1)σ(h2)], σ the centred relu, by a 1-D mpmath integral: the inner expectation
    over h2 given h1 in closed form, E[max(μ + sZ, 0)] = μΦ(μ/s) + sφ(μ/s)."""
    c0 = 1 / mp.sqrt(2 * mp.pi)
    s = t2 * mp.sqrt(1 - mp.mpf(r) ** 2)

    def inner(a):
        mu = t2 * r * a
        return mu * mp.ncdf(mu / s) + s * _phi(mu / s) - c0
    return mp.quad(lambda a: ((t1 * a if a > 0 else 0) - c0) * inner(a) * _phi(a),
                   [-mp.inf, 0, mp.inf])


def test_relu_kernel_is_the_centred_arc_cosine_closed_form():
    with mp.workdps(25):
        for t1, t2, r in [(1.0, 1.3, 0.3), (0.7, 2.0, -0.6), (1.5, 1.5, 0.85)]:
            T = np.array([[t1 * t1, r * t1 * t2], [r * t1 * t2, t2 * t2]])
            C, mu1 = mrf.relu_kernel(T)
            assert abs(C[0, 1] - float(relu_pair_reference(t1, t2, r))) < 1e-14
            second = float((t1 ** 2 / 2 - 2 * t1 / (2 * mp.pi) + 1 / (2 * mp.pi)))
            assert abs(C[0, 0] - second) < 1e-14       # E σ(h)² = τ²/2 − 2τc0/√(2π) + c0²
            assert np.all(mu1 == 0.5)


def gauss_hermite_2d(f1, f2, r, Q):
    """E[f1(a) f2(ra + √(1−r²)b)], a, b iid N(0, 1), by a Q×Q tensor Gauss–Hermite rule:
    a direct integration of the joint law, independent of the Mehler series."""
    x, w = np.polynomial.hermite_e.hermegauss(Q)
    w = w / math.sqrt(2 * math.pi)
    vals = f1(x)[:, None] * f2(r * x[:, None] + math.sqrt(1 - r * r) * x[None, :])
    return float(w @ vals @ w)


def test_tanh_kernel_mehler_series_to_machine_precision():
    t1, t2, r = 0.7, 2.0, -0.6
    refs = [gauss_hermite_2d(lambda a: np.tanh(t1 * a), lambda h: np.tanh(t2 * h), r, Q)
            for Q in (200, 300)]
    assert abs(refs[0] - refs[1]) < 1e-15
    ref = refs[1]
    with mp.workdps(20):
        diag = mp.quad(lambda a: mp.tanh(t1 * a) ** 2 * _phi(a), [-mp.inf, 0, mp.inf])
        sech = mp.quad(lambda a: mp.sech(t2 * a) ** 2 * _phi(a), [-mp.inf, 0, mp.inf])
    T = np.array([[t1 * t1, r * t1 * t2], [r * t1 * t2, t2 * t2]])
    C, mu1 = mrf.tanh_kernel(T)
    assert abs(C[0, 1] - float(ref)) < 1e-14
    assert abs(C[0, 0] - float(diag)) < 1e-15
    assert abs(mu1[1] - float(sech)) < 1e-15
    # Parseval: Σ_k a_k(τ)² = E tanh(τg)² (the coefficients decay like exp(−c√k), slower
    # for larger τ: the partial sums stay below it); odd coefficients only
    a, second, _ = mrf.gaussian_moments("tanh", np.array([t1, t2]), 300)
    partial = np.sum(a * a, axis=1)
    assert abs(partial[0] - second[0]) < 1e-14 and 0 < second[1] - partial[1] < 1e-9
    assert np.max(np.abs(a[:, ::2])) < 1e-14


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_exact_test_expectation_against_sampling_x(activation):
    rng = np.random.default_rng(3)
    d, m, N = 12, 5, 400_000
    s1 = rng.uniform(0.3, 2.5, d)
    S = rng.standard_normal((m, d)) / math.sqrt(d)
    w1 = rng.standard_normal(d) / math.sqrt(d)
    v = rng.standard_normal(m)
    x = rng.standard_normal((N, d)) * np.sqrt(s1)
    feats = mrf.activation_function(activation)(x @ S.T)
    C, mu1 = mrf.feature_kernel(activation, (S * s1) @ S.T)
    prods = feats[:, :, None] * feats[:, None, :]
    se = prods.std(axis=0) / math.sqrt(N)
    assert np.all(np.abs(prods.mean(axis=0) - C) < 5 * se)
    cross = feats * (x @ w1)[:, None]                  # E σ(h_i) xᵀw1 = μ1_i s_iᵀΣ1w1 (Stein)
    se_c = cross.std(axis=0) / math.sqrt(N)
    assert np.all(np.abs(cross.mean(axis=0) - mu1 * (S @ (s1 * w1))) < 5 * se_c)
    err = (feats @ v - x @ w1) ** 2
    exact = mrf.exact_test_error(activation, S, s1, w1, v)
    assert abs(err.mean() - exact) < 4 * err.std() / math.sqrt(N)


def test_conditional_parts_are_the_average_over_labels():
    """Given X and S, Bias + Var + ζ is the mean over (w1, δ, ε) of the test expectation."""
    cfg = rf("tanh", psi=1.2, phi=0.6, p2=0.4, lam=0.05, atoms=A2)
    spec = parse(cfg)
    n, d, m = 50, 30, 60
    cols = mrf.coordinates(spec, d)
    rng = np.random.default_rng(7)
    X, _, _, _, S = mrf.draw_design(spec, cols, 30, 20, m, rng)
    fit = mrf.fit_rf(spec, cols, X, S, 30)
    bias, var, zeta = mrf.conditional_parts(fit, cols, X, 30)
    draws = []
    for _ in range(6000):
        w1 = rng.standard_normal(d) * np.sqrt(cols["theta"] / d)
        delta = rng.standard_normal(d) * np.sqrt(cols["delta"] / d)
        eps = rng.standard_normal(n)
        v = fit["A"] @ mrf.labels(X, w1, delta, eps, fit["sigma"], 30)
        draws.append(mrf.test_expectation(fit, cols["s1"], w1, v))
    draws = np.array(draws)
    assert abs(draws.mean() - (bias + var + zeta)) < 4 * draws.std() / math.sqrt(draws.size)
    assert min(bias, var, zeta) > 0


def test_gaussian_equivalence_constants():
    with mp.workdps(30):
        t = gaussian_equivalence("tanh", 1)
        assert mp.nstr(t["mu1"], 4) == "0.6057" and mp.nstr(t["mustar2"], 4) == "0.02742"
        for tau2 in (mp.mpf(1), mp.mpf("2.5")):
            tau = mp.sqrt(tau2)
            r = gaussian_equivalence("relu", tau2)
            c0 = 1 / mp.sqrt(2 * mp.pi)
            f = lambda x: (tau * x if x > 0 else 0) - c0   # noqa: E731
            mu0 = mp.quad(lambda x: f(x) * _phi(x), [-mp.inf, 0, mp.inf])
            second = mp.quad(lambda x: f(x) ** 2 * _phi(x), [-mp.inf, 0, mp.inf])
            assert abs(r["mu0"] - mu0) < mp.mpf(10) ** -25
            assert r["mu1"] == mp.mpf(1) / 2
            assert abs(r["mustar2"] - (second - mu0 ** 2 - tau2 / 4)) < mp.mpf(10) ** -25
    spec = parse(rf("tanh", psi=2, phi=0.5, p2=0.5, lam=0.1, atoms=HOT))
    with mp.workdps(20):
        g = group_constants(spec)
    assert g[1]["tau2"] == 1 and g[2]["tau2"] == 3 and g[2]["mu1"] < g[1]["mu1"]


@pytest.mark.parametrize("cfg", [
    rf("tanh", psi=2, phi=0.5, p2=0.3, lam=0.1, atoms=A2),
    rf("relu", psi=0.5, phi=1.5, p2=0.1, lam=0.01, atoms=HOT),
])
def test_linear_activation_is_the_projections_theorem_to_30_digits(cfg):
    ours = predict_rf(cfg, dps=30, constants=LINEAR)
    proj = dict(cfg, model="random_projection")
    proj.pop("activation")
    ref = sc.predict(proj, dps=30)
    with mp.workdps(30):
        for k in ("test_error", "bias", "variance", "zeta"):
            assert abs(ours[k] - ref[k]) <= mp.mpf(10) ** -29 * abs(ref[k]), k
        assert ours["residual"] < mp.mpf(10) ** -30


#: Small Monte Carlo: d, m between 120 and 300 (n = 200); the deterministic equivalent's
#: finite-size bias is O(1/d): 3 % is allowed on top of 3 se.
SMALL_ALLOWANCE = 0.03
SMALL = [
    ("tanh", rf("tanh", psi=1.5, phi=0.6, p2=0.3, lam=0.1, atoms=A2)),
    ("relu", rf("relu", psi=0.6, phi=0.75, p2=0.5, lam=0.1, atoms=HOT)),
]


@pytest.fixture(scope="module")
def small_runs():
    return [(cfg, mrf.simulate_rf(cfg, 200, 12, seed=1, progress=False)) for _, cfg in SMALL]


def test_small_monte_carlo_matches_the_statement(small_runs):
    for cfg, mc in small_runs:
        assert min(mc["d"], mc["m"]) >= 120
        th = predict_rf(cfg, dps=15)
        for k in ("test_error", "bias", "variance", "zeta"):
            r = mc["conditional"][k]
            assert abs(r["mean"] - float(th[k])) <= 3 * r["se"] + SMALL_ALLOWANCE * float(th[k]), k
        assert abs(mc["mean"] - float(th["test_error"])) <= 3 * mc["se"] + SMALL_ALLOWANCE * float(
            th["test_error"])


def test_dropping_mu_star_is_caught(small_runs):
    for cfg, mc in small_runs:
        with mp.workdps(30):
            g = group_constants(parse(cfg))
        broken = {"mu1": (g[1]["mu1"], g[2]["mu1"]), "kappa": (0, 0)}
        th = float(predict_rf(cfg, dps=15, constants=broken)["test_error"])
        r = mc["conditional"]["test_error"]
        assert abs(r["mean"] - th) > 3 * r["se"] + SMALL_ALLOWANCE * th


def test_bad_input():
    cfg = rf("relu", psi=1, phi=0.5, p2=0.2, lam=0.1, atoms=A2)
    with pytest.raises(sc.ConfigError):
        mrf.simulate_rf({k: v for k, v in cfg.items() if k != "activation"}
                        | {"model": "random_projection"}, 100, 3)
    with pytest.raises(sc.ConfigError):
        mrf.simulate_rf(cfg, 100, 1)
    with pytest.raises(sc.UnsupportedError):
        predict_rf(dict(cfg, strategy="weighted", alpha=0.5))
    with pytest.raises(sc.UnsupportedError):
        predict_rf(dict(cfg, lam=0))
    with pytest.raises(sc.ConfigError):
        predict_rf(dict(cfg, model="random_projection", activation="relu"))
    with pytest.raises(ArithmeticError):
        mrf.series_order(0.95)


def test_weighted_at_alpha_p1_is_plain_and_output_shape():
    cfg = rf("relu", psi=1.5, phi=0.5, p2=0.25, lam=0.1, atoms=A2)
    plain = mrf.simulate_rf(cfg, 80, 3, seed=2, progress=False)
    weighted = mrf.simulate_rf(dict(cfg, strategy="weighted", alpha=0.75), 80, 3, seed=2,
                               progress=False)
    assert np.isclose(plain["mean"], weighted["mean"], rtol=1e-10)
    assert np.isclose(plain["conditional"]["zeta"]["mean"],
                      weighted["conditional"]["zeta"]["mean"], rtol=1e-10)
    shifted = mrf.simulate_rf(dict(cfg, strategy="weighted", alpha=0.9), 80, 3, seed=2,
                              progress=False)
    assert shifted["conditional"]["zeta"]["mean"] < plain["conditional"]["zeta"]["mean"]
    assert {k: plain[k] for k in ("d", "n", "m", "n1", "n2")} == {"d": 40, "n": 80, "m": 120,
                                                                  "n1": 60, "n2": 20}
    assert set(plain["conditional"]) == {"test_error", "bias", "variance", "zeta"}
