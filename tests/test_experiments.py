"""The real-data experiments (digits, offline): the measured quantities are what the
theory is fed, the Gaussian control reproduces the theory, runs are deterministic, and
the command line behaves."""
import io
import json

import numpy as np
import pytest

from symcollapse.studies import experiments as ex
from symcollapse.cli import main


def test_digits_problem_and_measured_quality():
    data = ex.digits()
    assert data["X"].shape == (1797, 61) and data["d"] == 61
    assert len(set(data["test"]) & set(data["pool"])) == 0
    assert np.allclose(np.mean(np.diag(data["Sigma"])), 1.0, atol=0.05)   # standardized pixels
    for q, n_gen in ex.GENERATORS.items():
        gen = ex.generator(n_gen)
        atoms = ex.theory_atoms(gen["W2"])
        # the atoms carry exactly the measured energies: Σ weight·delta = c², Σ weight·theta = ‖w1‖²
        assert sum(a["weight"] * a["delta"] for a in atoms) == pytest.approx(gen["c2"], rel=1e-10)
        w1 = np.mean(np.sum(data["W1"] ** 2, axis=0))
        assert sum(a["weight"] * a["theta"] for a in atoms) == pytest.approx(w1, rel=1e-10)
        assert sum(a["weight"] * a["s1"] for a in atoms) == pytest.approx(
            np.trace(data["Sigma"]) / data["d"], rel=1e-10)
    assert ex.generator(ex.GENERATORS["low"])["c2"] > 5 * ex.generator(ex.GENERATORS["high"])["c2"]


@pytest.mark.parametrize("n,p2", [(200, 0.0), (200, 0.5), (400, 0.1)])
def test_gaussian_control_matches_the_theory(n, p2):
    """On Gaussian inputs with the digits' Σ1, w1, w2 and noise the theory holds (d = 61:
    a few per cent of finite-size bias), so a real-data gap is the data's."""
    gen = ex.generator(ex.GENERATORS["low"])
    vals = [ex.gaussian_surrogate(n, p2, gen, 1e-3, s) for s in range(12)]
    mean, se = np.mean(vals), np.std(vals, ddof=1) / np.sqrt(len(vals))
    th = ex.theory(n, p2, gen, 1e-3)
    assert abs(mean - th) <= 3 * se + 0.08 * th, (mean, se, th)


def test_runs_are_deterministic():
    gen = ex.generator(ex.GENERATORS["low"])
    for learner, kw in (("linear", {}), ("random_features", {"m": 50}),
                        ("network", {"m": 20, "steps": 50})):
        a = ex.excess_test_error(learner, 60, 0.5, gen, 3, lam=1e-3, **kw)
        b = ex.excess_test_error(learner, 60, 0.5, gen, 3, lam=1e-3, **kw)
        assert a == b and np.isfinite(a)


def test_held_out_excess_is_the_quadratic_form_of_the_held_out_covariance():
    """MSE(f) − MSE(w1) on held-out labels is (ŵ − w1)ᵀΣ_test(ŵ − w1) up to a zero-mean
    cross term.  Σ_test weighs the fit's errors about twice as much as the pool's Σ1 (the
    population the theory is given): in the directions where least squares errs, fresh
    images vary more than the pool's covariance says — a finite-sample effect that is
    part of the theory–data gap on the digits."""
    data = ex.digits()
    Xte = data["X"][data["test"]]
    S_test = Xte.T @ Xte / len(Xte)
    held, quad_test, quad_pool = [], [], []
    for s in range(12):
        rng = np.random.default_rng(s)
        idx = rng.choice(data["pool"], size=300, replace=True)
        D = ex._ridge(data["X"][idx], data["Y"][idx], 1e-3) - data["W1"]
        quad_test.append(np.mean(np.einsum("io,ij,jo->o", D, S_test, D)))
        quad_pool.append(np.mean(np.einsum("io,ij,jo->o", D, data["Sigma"], D)))
        held.append(ex.excess_test_error("linear", 300, 0.0, ex.generator(40), s, lam=1e-3))
    assert np.mean(held) == pytest.approx(np.mean(quad_test), rel=0.2)
    assert 1.3 < np.mean(quad_test) / np.mean(quad_pool) < 3


def test_cli_experiment(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    bad = tmp_path / "file"
    bad.write_text("x")
    assert main(["experiment", "model-size", "--out", str(bad)], stdout=out, stderr=err) == 2
    assert err.getvalue().startswith("error: --out") and out.getvalue() == ""
    out, err = io.StringIO(), io.StringIO()
    assert main(["experiment", "nonsense"], stdout=out, stderr=err) == 2
    assert "invalid choice" in err.getvalue()
