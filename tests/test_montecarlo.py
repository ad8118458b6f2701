"""The Monte Carlo referee: sizes, seeding, and independence from the theory."""
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

import symcollapse as sc
from conftest import A3, ISO, ROOT
from symcollapse.simulation.design import coordinate_counts, coordinates, fit_map, round_half_up, sizes
from symcollapse.core.spec import parse


def test_rounding_is_half_up():
    assert round_half_up(Fraction(5, 2)) == 3
    assert round_half_up(Fraction(7, 2)) == 4
    assert round_half_up(Fraction(1, 2)) == 1
    spec = parse(dict(ISO, phi=0.25, p2=0.125))
    assert sizes(spec, 20) == {"n": 20, "d": 5, "n1": 17, "n2": 3, "m": None}  # 2.5 → 3


def test_largest_remainder_counts():
    assert coordinate_counts([Fraction(1, 3)] * 3, 10) == [4, 3, 3]
    assert coordinate_counts([Fraction(1, 2), Fraction(3, 10), Fraction(1, 5)], 7) == [4, 2, 1]
    assert sum(coordinate_counts([Fraction(1, 7)] * 7, 100)) == 100


def test_same_seed_same_result_and_trials_are_independent_streams():
    cfg = {"phi": 0.5, "p2": 0.3, "lam": 0.1, "sigma1": 0.5, "sigma2": 1, "atoms": A3}
    a = sc.simulate(cfg, n=60, trials=4, seed=5)
    b = sc.simulate(cfg, n=60, trials=4, seed=5)
    assert a == b
    c = sc.simulate(cfg, n=60, trials=6, seed=5)  # first 4 trials are the same draws
    assert a["mean"] != c["mean"]
    d = sc.simulate(cfg, n=60, trials=4, seed=6)
    assert a["mean"] != d["mean"]


def test_fit_map_is_ridge_and_min_norm_least_squares():
    rng = np.random.default_rng(0)
    n, d, lam = 30, 12, 0.3
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n)
    c = np.ones(n)
    U, g, V = fit_map(X, c, lam)
    w = V @ (g * (U.T @ (y / np.sqrt(n))))
    ridge = np.linalg.solve(X.T @ X / n + lam * np.eye(d), X.T @ y / n)
    assert np.allclose(w, ridge)
    Xw = rng.standard_normal((10, 25))  # wide: min-norm interpolation
    U, g, V = fit_map(Xw, np.ones(10), 0.0)
    w = V @ (g * (U.T @ (y[:10] / np.sqrt(10))))
    assert np.allclose(w, np.linalg.pinv(Xw) @ y[:10])


def test_weighted_rows():
    """Per-row weights c reproduce the weighted objective α/n1 Σ_real + (1−α)/n2 Σ_syn."""
    rng = np.random.default_rng(1)
    n1, n2, d, lam, alpha = 20, 10, 8, 0.2, 0.8
    X = rng.standard_normal((n1 + n2, d))
    y = rng.standard_normal(n1 + n2)
    n = n1 + n2
    c = np.concatenate([np.full(n1, alpha * n / n1), np.full(n2, (1 - alpha) * n / n2)])
    U, g, V = fit_map(X, c, lam)
    w = V @ (g * (U.T @ (np.sqrt(c) * y / np.sqrt(n))))
    H = alpha * X[:n1].T @ X[:n1] / n1 + (1 - alpha) * X[n1:].T @ X[n1:] / n2 + lam * np.eye(d)
    b = alpha * X[:n1].T @ y[:n1] / n1 + (1 - alpha) * X[n1:].T @ y[n1:] / n2
    assert np.allclose(w, np.linalg.solve(H, b))


def test_conditional_terms_against_brute_force_averaging():
    """The exact conditional expectation given X equals the average over many fresh
    (w1, δ, ε) draws with X fixed (a check of the Bias/Var/ζ trace formulas)."""
    from symcollapse.simulation import montecarlo as simmod
    spec = parse({"phi": 0.5, "p2": 0.4, "lam": 0.05, "sigma1": 0.7, "sigma2": 0.3, "atoms": A3})
    cols = coordinates(spec, 20)
    n1, n2 = 24, 16
    rng = np.random.default_rng(3)
    _s, bias, var, zeta = simmod.one_trial(spec, cols, n1, n2, rng)[:4]
    # same X, many label draws
    rng = np.random.default_rng(3)
    d, n = 20, n1 + n2
    X = rng.standard_normal((n, d))
    X[:n1] *= np.sqrt(cols["s1"])
    X[n1:] *= np.sqrt(cols["s2"])
    H = X.T @ X / n + 0.05 * np.eye(d)
    errs = []
    gen = np.random.default_rng(99)
    for _ in range(40000):
        w1 = gen.standard_normal(d) * np.sqrt(cols["theta"] / d)
        dl = gen.standard_normal(d) * np.sqrt(cols["delta"] / d)
        eps = gen.standard_normal(n) * np.r_[np.full(n1, 0.7), np.full(n2, 0.3)]
        y = X @ w1 + eps
        y[n1:] += X[n1:] @ dl
        w = np.linalg.solve(H, X.T @ y / n)
        errs.append(np.sum(cols["s1"] * (w - w1) ** 2))
    errs = np.array(errs)
    assert abs(errs.mean() - (bias + var + zeta)) < 4 * errs.std() / np.sqrt(errs.size)


def test_simulate_refuses_bad_sizes():
    with pytest.raises(sc.ConfigError, match="d >= 1"):
        sc.simulate(dict(ISO, phi=0.001), n=10, trials=2)
    with pytest.raises(sc.ConfigError, match="entries"):
        sc.simulate(dict(ISO, phi=1000), n=100000, trials=2)
    with pytest.raises(sc.ConfigError, match="trials"):
        sc.simulate(ISO, n=100, trials=1)
    with pytest.raises(sc.ConfigError, match="n"):
        sc.simulate(ISO, n=True, trials=3)


def test_simulate_reads_n_trials_and_seed_from_the_config():
    """As ``symcollapse simulate`` does: arguments not given are the config's n, trials,
    seed, else 1000, 20, 0; arguments given win."""
    cfg = dict(ISO, n=40, trials=3, seed=7)
    got = sc.simulate(cfg)
    assert got == sc.simulate(ISO, n=40, trials=3, seed=7)
    assert (got["n"], got["trials"], got["seed"]) == (40, 3, 7)
    assert sc.simulate(cfg, trials=2, seed=1) == sc.simulate(ISO, 40, 2, 1)
    plain = sc.simulate(dict(ISO, phi=0.01))           # d = 10: the defaults are cheap
    assert (plain["n"], plain["trials"], plain["seed"]) == (1000, 20, 0)


def test_the_referee_does_not_import_the_theory():
    code = ("import sys, symcollapse.simulation.montecarlo as s; "
            "bad = [m for m in ('symcollapse.core.equations', 'symcollapse.core.solve', 'symcollapse.analysis.limits',"
            " 'symcollapse.core.decomposition', 'symcollapse.core.regimes', 'sympy') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                       env={"PYTHONPATH": ROOT, "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stdout + r.stderr
