"""Self-consuming loops of the random features model (symcollapse.core.feature_loops through
the Gaussian equivalent F = μ1XSᵀ + √κZ; symcollapse.simulation.loops.rf_loop_trial for the
actual network): generation 0 against the plain model's engine system, the refusals, and the
theory against the simulated network retrained on its own labels."""
from fractions import Fraction as F

import mpmath as mp
import pytest

import symcollapse as sc
from loop_checks import assert_loop_matches
from symcollapse.core.errors import UnsupportedError

THREE = [{"weight": F(1, 4), "s1": 3, "theta": 2}, {"weight": F(1, 2), "s1": 1, "theta": 1},
         {"weight": F(1, 4), "s1": F(1, 3), "theta": F(1, 2)}]
ISO = [{"weight": 1, "s1": 1, "theta": 1}]


def loop(strategy, design, activation, phi, psi, lam, T=3, atoms=THREE, sigma=1):
    return {"model": "random_features", "activation": activation, "strategy": strategy,
            "design": design, "phi": phi, "psi": psi, "lam": lam, "sigma1": sigma,
            "generations": T, "atoms": atoms}


@pytest.mark.parametrize("activation, phi, psi, lam, atoms", [
    ("relu", F(1, 2), F(3, 10), F(1, 10), THREE),       # tr Σ = 4/3: μ1, κ at τ² ≠ 1
    ("tanh", F(3, 2), F(2), F(1, 10), ISO),
])
def test_generation_zero_is_the_plain_model(activation, phi, psi, lam, atoms):
    """The loop's moments (feature_loops, constants μ1², κ of the activation) at generation 0
    equal the plain model, solved from the engine's system, to 30 digits, on both designs."""
    plain = sc.predict({"model": "random_features", "activation": activation, "phi": phi,
                        "psi": psi, "p2": 0, "lam": lam, "sigma1": 1,
                        "atoms": [dict(a, s2=a["s1"], delta=0) for a in atoms]}, dps=30)
    for strategy, design in (("replace", "fixed"), ("replace", "fresh"), ("accumulate", "fixed"),
                             ("accumulate", "fresh")):
        r = sc.predict(loop(strategy, design, activation, phi, psi, lam, T=1, atoms=atoms), dps=30)
        for part in ("test_error", "bias", "variance"):
            assert mp.nstr(r[part][0], 30) == mp.nstr(plain[part], 30), (strategy, design, part)


def test_the_loops_of_random_features_refuse_with_their_reasons():
    with pytest.raises(UnsupportedError, match="random features need lam > 0"):
        sc.predict(loop("replace", "fixed", "relu", F(1, 2), F(3, 10), 0))


@pytest.mark.parametrize("activation, strategy, design, phi, psi, lam, atoms", [
    ("relu", "replace", "fixed", F(1, 2), F(3, 10), F(1, 10), THREE),
    ("tanh", "replace", "fresh", F(3, 2), F(2), F(1, 10), ISO),
    ("relu", "accumulate", "fixed", F(1, 2), F(3, 2), F(1, 5), THREE),
    ("tanh", "accumulate", "fresh", F(3, 2), F(2), F(1, 5), ISO),
    ("relu", "accumulate", "fresh", F(1, 2), F(3, 10), F(1, 10), THREE),
])
def test_theory_matches_the_simulated_network_loop(activation, strategy, design, phi, psi, lam,
                                                   atoms):
    """Every part, t ≤ 3, within 3 se + 3 % at min(d, m) = 150 (the Gaussian equivalent's
    O(1/d) bias, about 1.8 % here for relu at tr Σ ≠ 1 and below 0.5 % at min(d, m) = 300;
    paper_checks/self_consuming_loops.py runs min(d, m) = 400 at 2.5 %)."""
    cfg = loop(strategy, design, activation, phi, psi, lam, atoms=atoms)
    theory = sc.predict(cfg, dps=15)
    mc = sc.simulate(cfg, n=round(150 / min(phi, psi)), trials=6, seed=3)
    assert_loop_matches(theory, mc, 3, 0.03)


def test_the_simulated_network_is_retrained_on_its_own_labels():
    """With no noise the replace loop's error still moves with t on the fixed design (the
    ridge shrinks the previous network's function each generation): the simulation must
    follow the previous network, not the true labels, and does (3 se + 3 %)."""
    cfg = loop("replace", "fixed", "tanh", F(1, 2), F(3, 2), F(1, 2), T=3, atoms=ISO, sigma=0)
    theory = sc.predict(cfg, dps=15)
    assert float(theory["test_error"][3]) > 1.2 * float(theory["test_error"][0])
    mc = sc.simulate(cfg, n=300, trials=4, seed=1)
    for t in range(4):
        a, m = float(theory["test_error"][t]), mc["mean"][t]
        assert abs(m - a) <= 3 * mc["se"][t] + 0.03 * a, (t, a, m)
