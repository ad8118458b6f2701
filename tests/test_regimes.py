"""Ridgeless sides, the interpolation threshold, and never a wrong finite number."""
import mpmath as mp
import pytest

import symcollapse as sc
from conftest import A3, ISO
from symcollapse.core.regimes import interpolation_side
from symcollapse.core.spec import parse


def side(**kw):
    return interpolation_side(parse(dict(ISO, **kw)))


def test_sides_of_the_isotropic_threshold():
    assert side(phi=0.5) == "under"
    assert side(phi=2) == "over"
    assert side(phi=1) == "boundary"


def test_sides_with_partial_supports():
    # half the coordinates seen only by the synthetic group, which has too few rows
    atoms = [{"weight": 0.5, "s1": 1, "s2": 1, "theta": 1, "delta": 1},
             {"weight": 0.5, "s1": 0, "s2": 1, "theta": 1, "delta": 1}]
    assert interpolation_side(parse(dict(ISO, phi=0.8, p2=0.2, atoms=atoms))) == "mixed"
    assert interpolation_side(parse(dict(ISO, phi=0.8, p2=0.5, atoms=atoms))) == "under"
    with pytest.raises(sc.UnsupportedError, match="lam > 0"):
        sc.predict(dict(ISO, phi=0.8, p2=0.2, atoms=atoms))
    # with a ridge the same config is fine
    assert sc.predict(dict(ISO, phi=0.8, p2=0.2, lam=0.01, atoms=atoms))["test_error"] > 0


def test_interpolation_threshold_diverges_with_noise_or_shift():
    with pytest.raises(sc.DivergenceError, match="interpolation threshold"):
        sc.predict(dict(ISO, phi=1))
    with pytest.raises(sc.DivergenceError):
        sc.predict(dict(ISO, phi=1, sigma1=0, sigma2=0))  # shift still present


def test_noiseless_consistent_square_system_is_exact():
    r = sc.predict(dict(ISO, phi=1, sigma1=0, sigma2=0, p2=0.3,
                        atoms=[{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 0}]))
    assert r["test_error"] == 0 and r["regime"].startswith("interpolation threshold")


def test_errors_grow_without_bound_towards_the_threshold():
    """Approaching φ = 1 from both sides the finite values blow up (no finite jump)."""
    below = [float(sc.predict(dict(ISO, phi=1 - h), dps=20)["test_error"]) for h in (1e-2, 1e-4, 1e-6)]
    above = [float(sc.predict(dict(ISO, phi=1 + h), dps=20)["test_error"]) for h in (1e-2, 1e-4, 1e-6)]
    assert below[0] < below[1] < below[2] and below[2] > 1e5
    assert above[0] < above[1] < above[2] and above[2] > 1e5


@pytest.mark.parametrize("phi", [0.7, 1.5])
def test_ridgeless_is_the_limit_of_small_ridge(phi):
    cfg = {"phi": phi, "p2": 0.3, "lam": 0, "sigma1": 0.5, "sigma2": 0.8, "atoms": A3}
    zero = sc.predict(cfg, dps=30)["test_error"]
    prev = None
    for lam in ("1e-4", "1e-8", "1e-12"):
        val = sc.predict(dict(cfg, lam=mp.mpf(lam)), dps=30)["test_error"]
        gap = abs(val - zero)
        if prev is not None:
            assert gap < prev / 100  # O(λ) convergence
        prev = gap
    assert prev < mp.mpf("1e-9")


def test_tiny_ridge_in_the_interpolating_regime_and_high_precision():
    cfg = {"phi": 2, "p2": 0.4, "lam": 1e-30, "sigma1": 0.5, "sigma2": 1, "atoms": A3}
    r = sc.predict(cfg, dps=50)
    r0 = sc.predict(dict(cfg, lam=0), dps=50)
    assert abs(r["test_error"] - r0["test_error"]) < mp.mpf("1e-25")


def test_absent_real_group():
    r = sc.predict(dict(ISO, p2=1, phi=0.5, lam=0.1), dps=30)
    assert r["zeta"] > 0 and "e1" not in r["unknowns"]


def test_coordinates_seen_by_no_present_group_still_cost_bias():
    """Only synthetic rows (p2 = 1) and half the coordinates invisible to them (s2 = 0):
    ŵ = 0 there, so each such coordinate costs θ·s1 (here 0.5·1·2 = 1) at any λ,
    ridgeless included, and nothing else: the label noise of the seen half is counted
    once (regression tests: these atoms were once dropped, then their constant
    variance density was counted again per atom)."""
    atoms = [{"weight": 0.5, "s1": 1, "s2": 1, "theta": 1, "delta": 0},
             {"weight": 0.5, "s1": 2, "s2": 0, "theta": 1, "delta": 0}]
    for phi in (0.5, 2.5):
        for lam in (mp.mpf("1e-9"), 0):
            r = sc.predict({"phi": phi, "p2": 1, "lam": lam, "sigma2": 0.7, "atoms": atoms}, dps=20)
            # the seen half is the same ridge problem on its own d/2 coordinates (φ/2, and
            # per-coordinate energy θ/2 in its own scaling); the unseen half adds exactly 1
            seen = sc.predict({"phi": phi / 2, "p2": 1, "lam": lam, "sigma2": 0.7, "atoms": [
                {"weight": 1, "s1": 1, "s2": 1, "theta": 0.5, "delta": 0}]}, dps=20)
            assert abs(r["test_error"] - (1 + seen["test_error"])) < mp.mpf("1e-15"), (phi, lam)
    mc = sc.simulate({"phi": 0.5, "p2": 1, "lam": 0.1, "atoms": atoms}, n=800, trials=10, seed=1)
    th = float(sc.predict({"phi": 0.5, "p2": 1, "lam": 0.1, "atoms": atoms}, dps=15)["test_error"])
    cond = mc["conditional"]["test_error"]
    assert abs(cond["mean"] - th) < 3 * cond["se"] + 0.01 * th


def test_the_group_factors_are_read_off_the_systems_own_scale():
    """e_j, or ε_j where the ridgeless side rescales e_j = λε_j (System.scale): the names
    that GCV's interpolating limit and the iterative map look up."""
    from symcollapse.core import equations as eq
    from symcollapse.core.regimes import group_unknowns, model_family
    plain = model_family("linear", "plain", ())
    assert group_unknowns(plain) == (("e1", False), ("e2", False))
    rescaled = model_family("linear", "plain", (), ("e",))
    assert group_unknowns(rescaled) == (("epsilon1", True), ("epsilon2", True))
    one_group = model_family("linear", "plain", ((eq.p2, 0),))
    assert group_unknowns(one_group)[0] == ("e1", False)
    assert group_unknowns(None) == ((None, False), (None, False))   # no fixed point to solve
