"""Which system answers a config (``symcollapse.core.regimes``), stated exactly (found by
mutation testing).

Each side of the ridgeless limit is probed on both sides of and exactly on its
thresholds (exact rational weights, so ties are exact); every refusal is compared in full,
since it is what the command line prints.
"""
from fractions import Fraction as F

import mpmath as mp
import numpy as np
import pytest

from symcollapse.core import equations as eq
from symcollapse.core import regimes as rg
from symcollapse.core.errors import DivergenceError, UnsupportedError
from symcollapse.core.spec import parse

ONE = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]
#: half the coordinates seen by both groups, half by the synthetic group only
PART = [{"weight": "1/2", "s1": 1, "s2": 1, "theta": 1, "delta": 0},
        {"weight": "1/2", "s1": 0, "s2": 1, "theta": 1, "delta": 0}]
#: half seen by both, half by the real group only
PART1 = [{"weight": "1/2", "s1": 1, "s2": 1, "theta": 1, "delta": 0},
         {"weight": "1/2", "s1": 1, "s2": 0, "theta": 1, "delta": 0}]


def exact(v):
    """Fractions for "a/b" strings, inside atom lists too."""
    if isinstance(v, str) and "/" in v:
        return F(v)
    if isinstance(v, list):
        return [{k: exact(x) for k, x in a.items()} for a in v]
    return v


def spec(**kw):
    cfg = {"phi": "1/2", "p2": "1/4", "lam": 0, "atoms": ONE}
    cfg.update(kw)
    return parse({k: exact(v) for k, v in cfg.items()})


def rp(**kw):
    kw.setdefault("model", "random_projection")
    kw.setdefault("psi", "1/2")
    return spec(**kw)


# ----------------------------------------------------------------------------- parameters

def test_fixed_parameters_and_weights():
    assert rg.fixed_parameters(spec(p2=0)) == ((eq.p2, 0),)
    assert rg.fixed_parameters(spec(p2=1)) == ((eq.p2, 1),)
    assert rg.fixed_parameters(spec(p2=0, strategy="iterative", generations=2)) == ((eq.p2, 0),)
    assert rg.fixed_parameters(spec(p2="1/2")) == ()
    w = dict(strategy="weighted", p2="1/2")
    assert rg.fixed_parameters(spec(alpha=0, **w)) == ((eq.alpha, 0),)
    assert rg.fixed_parameters(spec(alpha=1, **w)) == ((eq.alpha, 1),)
    assert rg.fixed_parameters(spec(alpha="1/3", **w)) == ()
    assert rg.group_weights(spec(alpha="1/3", **w)) == (F(1, 3), F(2, 3))
    assert rg.group_weights(spec(p2="1/3")) == (F(2, 3), F(1, 3))
    assert rg.parameter_values(spec(p2="1/3", lam="1/5", sigma1="1/7", sigma2=2)) == {
        eq.phi: F(1, 2), eq.p2: F(1, 3), eq.lam: F(1, 5), eq.sigma1: F(1, 7), eq.sigma2: 2}
    assert rg.parameter_values(rp(alpha="1/3", **w)) == {
        eq.phi: F(1, 2), eq.p2: F(1, 2), eq.lam: 0, eq.sigma1: 0, eq.sigma2: 0,
        eq.alpha: F(1, 3), eq.psi: F(1, 2)}


def test_present_groups():
    assert rg.present_groups(spec(p2="1/3")) == (0, 1)
    assert rg.present_groups(spec(p2=0)) == (0,)
    assert rg.present_groups(spec(p2=1)) == (1,)
    w = dict(strategy="weighted", p2="1/2")
    assert rg.present_groups(spec(alpha=0, **w)) == (1,)
    assert rg.present_groups(spec(alpha=1, **w)) == (0,)
    assert rg.present_groups(spec(alpha="1/2", **w)) == (0, 1)


def test_atom_weights_by_support_and_scale():
    s = spec(atoms=[{"weight": "1/8", "s1": 4, "s2": 0, "theta": 1, "delta": 0},
                    {"weight": "2/8", "s1": 0, "s2": 3, "theta": 1, "delta": 0},
                    {"weight": "3/8", "s1": 1, "s2": 2, "theta": 1, "delta": 0},
                    {"weight": "2/8", "s1": 0, "s2": 0, "theta": 1, "delta": 0}])
    assert rg._w(s, lambda a: a.s1 > 0) == F(1, 2)
    assert rg._w(s, lambda a: a.s2 > 0) == F(5, 8)
    assert rg._w(s, lambda a: a.s1 > 0 and not a.s2 > 0) == F(1, 8)
    assert rg._w(s, lambda a: not a.s1 > 0 and not a.s2 > 0) == F(1, 4)
    assert rg._w(s, lambda a: a.s1 > 1) == 0
    assert rg._spectral_scale(s) == 4
    assert rg._spectral_scale(spec(atoms=[{"weight": 1, "s1": 0, "s2": 3, "theta": 1,
                                           "delta": 0}])) == 3
    assert rg._spectral_scale(spec(p2=1, atoms=[{"weight": 1, "s1": 2, "s2": 0, "theta": 1,
                                                 "delta": 0}])) == 2
    assert rg._spectral_scale(spec(atoms=[{"weight": 1, "s1": "1/2", "s2": "1/4", "theta": 1,
                                           "delta": 0}])) == F(1, 2)
    # no eigenvalue at all: the scale is 1 (λ is compared with 1/1000)
    dark = spec(atoms=[{"weight": 1, "s1": 0, "s2": 0, "theta": 1, "delta": 1}])
    assert rg._spectral_scale(dark) == 1
    codes, _ = rg.signatures(dark, {"lam": np.array([0.0005, 0.002])})
    assert codes[0] != codes[1]


def test_atom_stats_survive_many_spectra():
    specs = [spec(atoms=[{"weight": 1, "s1": k, "s2": 1, "theta": 1, "delta": 0}])
             for k in range(1, 80)]
    for k, s in enumerate(specs, 1):
        assert rg._spectral_scale(s) == k
    for k, s in enumerate(specs, 1):
        assert rg._spectral_scale(s) == k
        assert rg._w(s, lambda a: a.s2 > 0) == 1


def test_atom_stats_of_short_lived_spectra():
    """Each spectrum gets its own statistics, also when a new atoms tuple reuses the
    memory (the id) of one that was freed."""
    for k in range(1, 40):
        s = spec(atoms=[{"weight": 1, "s1": k, "s2": 1, "theta": 1, "delta": 0}])
        assert rg._spectral_scale(s) == k
        del s
    for k in range(1, 40):
        assert rg._spectral_scale(spec(atoms=[{"weight": 1, "s1": 1, "s2": k + 1, "theta": 1,
                                               "delta": 0}])) == k + 1


def test_exact_and_float_comparisons():
    assert rg._common(F(1, 3), 2) == (F(1, 3), 2)
    x, y = rg._common(F(1, 3), mp.mpf(2))
    assert isinstance(x, mp.mpf) and x == mp.mpf(1) / 3 and y == 2
    x, y = rg._common(0.5, F(1, 4))
    assert x == mp.mpf("0.5") and y == mp.mpf("0.25")
    assert rg._lt(F(1, 3), F(1, 2)) and not rg._lt(F(1, 2), F(1, 2))
    assert not rg._lt(F(1, 2), F(1, 3))
    assert rg._eq(F(1, 2), mp.mpf("0.5")) and not rg._eq(F(1, 3), mp.mpf("0.3333"))
    assert rg._lt(F(1, 3), mp.mpf("0.34"))
    # at the current precision: 1/3 as mpf is not the Fraction's float
    assert rg._lt(F(1, 3), 1 / 3) is (mp.mpf(1) / 3 < mp.mpf(1 / 3))


def test_show():
    assert rg._show(F(2)) == "2"
    assert rg._show(F(1, 3)) == "0.3333333333"
    assert rg._show(F(5, 4)) == "1.25"
    assert rg._show(mp.mpf("0.5")) == "0.5"
    assert rg._show(F(12345678901)) == "12345678901"
    third = mp.mpf(1) / 3
    assert rg._show(third) == str(third)


# ----------------------------------------------------------------------------- linear sides

@pytest.mark.parametrize("phi,p2,want", [
    ("4/5", "1/2", "under"), ("4/5", "1/5", "mixed"), ("4/5", "2/5", "boundary"),
    (3, "1/2", "over"), (1, "1/2", "boundary"), ("6/5", "2/5", "boundary"),
    ("3/2", "1/5", "mixed"), ("9/10", "3/5", "under"), ("5/2", "3/5", "over"),
])
def test_interpolation_side_two_groups(phi, p2, want):
    # w(S1 ∪ S2) = 1, w(S1∖S2) = 0, w(S2∖S1) = 1/2, w(S1) = 1/2, w(S2) = 1
    assert rg.interpolation_side(spec(phi=phi, p2=p2, atoms=PART)) == want


@pytest.mark.parametrize("phi,p2,want", [
    ("4/5", "1/2", "under"), ("4/5", "4/5", "mixed"), ("4/5", "3/5", "boundary"),
    (3, "1/2", "over"), ("6/5", "2/5", "over"), ("6/5", "4/5", "mixed"),
])
def test_interpolation_side_two_groups_real_only_half(phi, p2, want):
    # w(S1∖S2) = 1/2 (p1 side), w(S2) = 1/2
    assert rg.interpolation_side(spec(phi=phi, p2=p2, atoms=PART1)) == want


@pytest.mark.parametrize("p2,phi,want", [
    (0, 1, "under"), (0, 2, "boundary"), (0, 3, "over"),
    (1, "1/2", "under"), (1, 1, "boundary"), (1, 2, "over"),
])
def test_interpolation_side_one_group(p2, phi, want):
    # group 1 (real) sees half the coordinates (PART), group 2 all of them
    assert rg.interpolation_side(spec(phi=phi, p2=p2, atoms=PART)) == want


def test_under_closure():
    assert rg._under_closure(spec(phi=1, p2="1/2", atoms=PART))
    assert not rg._under_closure(spec(phi="6/5", p2="2/5", atoms=PART))
    assert rg._under_closure(spec(phi="4/5", p2="2/5", atoms=PART))
    assert not rg._under_closure(spec(phi="4/5", p2="3/10", atoms=PART))
    assert rg._under_closure(spec(phi="4/5", p2="1/5", atoms=PART1))
    assert not rg._under_closure(spec(phi="4/5", p2="7/10", atoms=PART1))
    assert rg._under_closure(spec(phi=2, p2=0, atoms=PART))
    assert not rg._under_closure(spec(phi="5/2", p2=0, atoms=PART))
    assert rg._under_closure(spec(phi=2, p2=1, atoms=PART1))
    assert not rg._under_closure(spec(phi=3, p2=1, atoms=PART1))
    assert rg._under_closure(spec(phi=1, p2=1, atoms=PART))


#: both groups see half the coordinates, the synthetic group alone a quarter, nobody a quarter
Q = [{"weight": "1/2", "s1": 1, "s2": 1, "theta": 1, "delta": 0},
     {"weight": "1/4", "s1": 0, "s2": 1, "theta": 1, "delta": 0},
     {"weight": "1/4", "s1": 0, "s2": 0, "theta": 1, "delta": 0}]
#: the same with the real group alone on the quarter
Q1 = [{"weight": "1/2", "s1": 1, "s2": 1, "theta": 1, "delta": 0},
      {"weight": "1/4", "s1": 1, "s2": 0, "theta": 1, "delta": 0},
      {"weight": "1/4", "s1": 0, "s2": 0, "theta": 1, "delta": 0}]


@pytest.mark.parametrize("atoms,phi,p2,want", [
    # φ·w(S1 ∪ S2) ≤ 1, φ·w(S1∖S2) ≤ p1, φ·w(S2∖S1) ≤ p2 (w(S1 ∪ S2) = 3/4 here)
    (Q, "4/3", "1/2", True), (Q, "3/2", "1/2", False), (Q1, "3/2", "1/2", False),
    (Q, "4/3", "9/10", True), (Q1, "4/3", "1/10", True), (Q, "4/3", "1/4", False),
    (Q1, "4/3", "3/4", False),
])
def test_under_closure_of_each_support_set(atoms, phi, p2, want):
    assert rg._under_closure(spec(phi=phi, p2=p2, atoms=atoms)) is want


def test_consistent_noiseless():
    clean = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 0}]
    assert rg._consistent_noiseless(spec(atoms=clean))
    assert not rg._consistent_noiseless(spec(atoms=clean, sigma1="1/10"))
    assert not rg._consistent_noiseless(spec(atoms=clean, sigma2="1/10"))
    assert rg._consistent_noiseless(spec(atoms=clean, p2=0, sigma2="1/10"))
    assert rg._consistent_noiseless(spec(atoms=clean, p2=1, sigma1="1/10"))
    assert not rg._consistent_noiseless(spec(atoms=ONE))
    assert rg._consistent_noiseless(spec(atoms=ONE, p2=0))
    shift_off = [{"weight": "1/2", "s1": 1, "s2": 0, "theta": 1, "delta": 3},
                 {"weight": "1/2", "s1": 1, "s2": 1, "theta": 1, "delta": 0}]
    assert rg._consistent_noiseless(spec(atoms=shift_off))


def test_threshold_parts():
    inf = float("inf")
    clean = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 0}]
    assert rg.threshold_parts(spec(atoms=clean)) == {"bias": 0.0, "variance": 0.0, "zeta": 0.0,
                                                     "test_error": 0.0}
    assert rg.threshold_parts(spec(atoms=ONE, sigma1=1)) == {
        "bias": 0.0, "variance": inf, "zeta": inf, "test_error": inf}
    assert rg.threshold_parts(spec(atoms=clean, sigma2=1)) == {
        "bias": 0.0, "variance": inf, "zeta": 0.0, "test_error": inf}
    assert rg.threshold_parts(spec(atoms=ONE, p2=0, sigma2=1)) == {
        "bias": 0.0, "variance": 0.0, "zeta": 0.0, "test_error": 0.0}
    assert rg.threshold_parts(spec(atoms=ONE)) == {
        "bias": 0.0, "variance": 0.0, "zeta": inf, "test_error": inf}
    shift_off = [{"weight": 1, "s1": 1, "s2": 0, "theta": 1, "delta": 3}]
    assert rg.threshold_parts(spec(atoms=shift_off))["zeta"] == 0.0
    # projections below full rank: the unexplained signal acts as noise
    assert rg.threshold_parts(rp(phi=2, psi=1, atoms=clean))["variance"] == inf
    assert rg.threshold_parts(rp(phi=1, psi=1, atoms=clean))["variance"] == 0.0
    assert rg.threshold_parts(rp(phi=1, psi=2, atoms=clean))["variance"] == 0.0
    no_signal = [{"weight": 1, "s1": 1, "s2": 1, "theta": 0, "delta": 0}]
    assert rg.threshold_parts(rp(phi=2, psi=1, atoms=no_signal))["variance"] == 0.0
    unseen = [{"weight": "1/2", "s1": 0, "s2": 0, "theta": 1, "delta": 0},
              {"weight": "1/2", "s1": 1, "s2": 1, "theta": 0, "delta": 0}]
    assert rg.threshold_parts(rp(phi=2, psi=1, atoms=unseen))["variance"] == 0.0
    only2 = [{"weight": 1, "s1": 0, "s2": 1, "theta": 1, "delta": 0}]
    assert rg.threshold_parts(rp(phi=2, psi=1, atoms=only2))["variance"] == inf


# ----------------------------------------------------------------------------- linear regimes

def test_linear_ridge_switches_to_rescaled_variables_below_a_thousandth_of_the_scale():
    r = rg.select(spec(phi=3, lam="1/2000"))
    assert r.name == "ridge" and r.system.name == "linear/plain/scaled:e"
    assert r.description == "ridge λ > 0 (solved in the rescaled variables e_j = λ ε_j)"
    assert r.atoms == spec().atoms and not r.exact_zero and r.null_atoms == ()
    assert r.delegate is None
    r = rg.select(spec(phi=3, lam="1/1000"))
    assert r.system.name == "linear/plain" and r.description == "ridge λ > 0"
    assert rg.select(spec(phi=3, lam="2/2001")).system.name == "linear/plain/scaled:e"
    big = [{"weight": 1, "s1": 4, "s2": 1, "theta": 1, "delta": 1}]
    assert rg.select(spec(phi=3, lam="1/1000", atoms=big)).system.name == "linear/plain/scaled:e"
    assert rg.select(spec(phi=3, lam="1/250", atoms=big)).system.name == "linear/plain"
    big2 = [{"weight": 1, "s1": 1, "s2": 4, "theta": 1, "delta": 1}]
    assert rg.select(spec(phi=3, lam="1/1000", atoms=big2)).system.name == "linear/plain/scaled:e"
    # underparametrized or mixed: never rescaled
    assert rg.select(spec(phi="1/2", lam="1/10000")).system.name == "linear/plain"
    assert rg.select(spec(phi="4/5", p2="1/5", lam="1/10000", atoms=PART)).system.name == \
        "linear/plain"
    assert rg.linear_regime(spec(phi=3, lam="1/2000")).system.name == "linear/plain/scaled:e"


def test_linear_ridge_with_absent_group_and_no_visible_data():
    r = rg.select(spec(p2=0, lam="1/10"))
    assert r.system.name == "linear/plain/p2=0" and r.system.unknowns == (eq.e1, eq.u1)
    unseen = [{"weight": 1, "s1": 1, "s2": 0, "theta": 1, "delta": 0}]
    r = rg.select(spec(p2=1, lam="1/10000", atoms=unseen))
    assert r.system.name == "linear/plain/p2=1" and r.description == "ridge λ > 0"
    assert r.atoms == spec(atoms=unseen).atoms


def test_ridgeless_linear_sides():
    s = spec(phi="1/2")
    r = rg.select(s)
    assert r.name == "ridgeless, underparametrized" and r.system.name == "linear/plain"
    assert r.atoms == s.atoms and r.null_atoms == () and r.null_densities == {}
    assert r.description == ("λ → 0⁺ with fewer coordinates than rows: the direct system at "
                             "λ = 0")
    r = rg.select(spec(phi=2))
    assert r.name == "ridgeless, interpolating" and r.system.name == "linear/plain/scaled:e"
    assert r.atoms == spec().atoms
    assert r.description == ("λ → 0⁺ with every row interpolated: the system rescaled by "
                             "e_j = λ ε_j, at λ = 0")
    # interpolating with both groups weighted: the plain mixture's minimum-norm interpolator
    w = rg.select(spec(phi=2, strategy="weighted", alpha="1/3", p2="1/2"))
    assert w.system is None and w.delegate == spec(phi=2, p2="1/2")
    assert w.name == "ridgeless, interpolating" and w.atoms == spec().atoms
    assert w.description == ("λ → 0⁺ with every row interpolated: the minimum-norm "
                             "interpolator, which no positive weighting of the rows changes "
                             "(the plain mixture's value)")
    w = rg.select(rp(phi=4, psi=8, strategy="weighted", alpha="1/3", p2="1/2"))
    assert w.system is None and w.delegate == rp(phi=4, psi=8, p2="1/2")
    assert w.name == "ridgeless, interpolating (n < min(d, m))" and w.atoms == spec().atoms
    assert w.description == ("λ → 0⁺ with every row interpolated: the minimum-norm "
                             "interpolator in the features, which no positive weighting of "
                             "the rows changes (the plain mixture's value)")
    w = rg.select(spec(phi=2, strategy="weighted", alpha=1, p2="1/2"))
    assert w.system.name == "linear/weighted/alpha=1/scaled:e" and w.delegate is None


def test_ridgeless_with_coordinates_no_present_group_sees():
    s = spec(phi="1/2", p2=1, atoms=PART1)
    r = rg.select(s)
    assert r.name == "ridgeless, underparametrized"
    assert r.atoms == (s.atoms[0],) and r.null_atoms == (s.atoms[1],)
    # ŵ = 0 there: each such coordinate costs θ·s1, and nothing else
    dens = r.null_densities
    assert dens["bias"] == eq.THETA * eq.S1 and dens["zeta"] == 0 and dens["variance"] == 0
    r = rg.select(spec(phi="1/2", p2=0, atoms=PART))
    assert r.null_atoms == (spec(atoms=PART).atoms[1],) and r.null_densities["bias"] == 0
    # interpolating: every atom stays in the rescaled system
    s = spec(phi=3, p2=1, atoms=PART1)
    r = rg.select(s)
    assert r.name == "ridgeless, interpolating" and r.atoms == s.atoms and r.null_atoms == ()
    # nothing seen at all
    unseen = [{"weight": 1, "s1": 2, "s2": 0, "theta": 3, "delta": 0}]
    s = spec(p2=1, atoms=unseen)
    r = rg.select(s)
    assert r.name == "ridgeless, no visible data" and r.atoms == () and r.null_atoms == s.atoms
    assert r.system.name == "linear/plain/p2=1"
    assert r.null_densities["bias"] == eq.THETA * eq.S1
    assert r.description == "no present group sees any coordinate: ŵ = 0"


def test_noiseless_threshold_is_exactly_zero():
    clean = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 0}]
    r = rg.select(spec(phi=1, atoms=clean))
    assert r.name == "interpolation threshold, noiseless" and r.exact_zero
    assert r.atoms == () and r.system.name == "linear/plain" and r.null_atoms == ()
    assert r.null_densities == {}
    assert r.description == ("square noiseless consistent system: w1 is recovered exactly on "
                             "the seen coordinates")
    # with coordinates the only group does not see (group 2 sees half, φ·1/2 = 1)
    s = spec(phi=2, p2=1, atoms=PART1)
    r = rg.select(s)
    assert r.exact_zero and r.null_atoms == (s.atoms[1],)
    assert r.null_densities["bias"] == eq.THETA * eq.S1
    assert r.system.name == "linear/plain/p2=1"


def test_threshold_divergence_and_unsupported_ridgeless_sides():
    with pytest.raises(DivergenceError) as info:
        rg.select(spec(phi=1, sigma1=1))
    assert str(info.value) == (
        "interpolation threshold: lam = 0 with phi = 1 puts as many rows as coordinates, and "
        "the noise or label shift makes the ridgeless test error diverge (+inf); use lam > 0 "
        "or move phi off the threshold")
    assert info.value.parts == rg.threshold_parts(spec(phi=1, sigma1=1))
    assert info.value.parts["variance"] == float("inf")
    with pytest.raises(DivergenceError, match=r"with phi = 1\.5 puts"):
        rg.select(spec(phi="3/2", p2=0, atoms=[{"weight": "2/3", "s1": 1, "s2": 0, "theta": 1,
                                                 "delta": 0},
                                                {"weight": "1/3", "s1": 0, "s2": 1, "theta": 1,
                                                 "delta": 0}], sigma1=1))
    with pytest.raises(UnsupportedError) as info:
        rg.select(spec(phi="6/5", p2="2/5", atoms=PART))
    assert str(info.value) == (
        "ridgeless limit on the boundary where one group's rows are exactly as many as its own "
        "coordinates: not derived; use lam > 0")
    with pytest.raises(UnsupportedError) as info:
        rg.select(spec(phi="4/5", p2="1/5", atoms=PART))
    assert str(info.value) == (
        "ridgeless limit (lam = 0) where one group's rows are interpolated and the other's are "
        "not (supports of s1 and s2 differ): not derived; use lam > 0")


def test_select_asks_the_model_for_its_regime(monkeypatch):
    """Random features answer with the system the pencil engine derives (λ > 0); a model
    without a regime hook is refused with its own reason."""
    from symcollapse import models
    from symcollapse.pencil import random_features as rf
    s = parse({"model": "random_features", "activation": "relu", "phi": 0.5, "psi": 2,
               "p2": 0.1, "lam": 0.1, "atoms": ONE})
    r = rg.select(s)
    assert r.name == "random_features/ridge" and r.atoms == s.atoms
    assert r.system.unknowns == rf.system("plain").unknowns and r.system.name == "random_features/plain"
    bare = models.base.Model(name="random_features", summary="",
                             refusals={"regime": "regime: none for this model"})
    monkeypatch.setitem(models.base.REGISTRY, "random_features", bare)
    with pytest.raises(UnsupportedError) as info:
        rg.select(s)
    assert str(info.value) == "regime: none for this model"


def test_training_family_of_a_selected_system():
    fam = rg.linear_family("plain", ((eq.p2, 0),), True)
    assert fam.name == "linear/plain/p2=0/scaled:e"
    t = rg.training_family(fam)
    assert t.name == "linear/plain/p2=0/scaled:e/training"
    assert "g2" in t.densities and "df" in t.densities


# ----------------------------------------------------------------------------- projections

@pytest.mark.parametrize("phi,psi,want", [
    (2, "1/2", "sketch"), ("1/2", 2, "features"), (2, 3, "interpolating"),
    ("1/2", "1/2", "invertible"), (1, 2, "threshold"), (2, 1, "threshold"), (1, 1, "threshold"),
    ("1/2", 1, "features"), (1, "1/2", "sketch"), ("3/4", "1/2", "sketch"),
    ("1/2", "3/4", "features"), (3, 2, "interpolating"), ("3/2", "3/2", "interpolating"),
])
def test_projection_side(phi, psi, want):
    assert rg.projection_side(rp(phi=phi, psi=psi)) == want


def test_projection_side_counts_only_visible_coordinates():
    # the only group (synthetic) sees half the coordinates: φ_eff = φ/2
    assert rg.projection_side(rp(phi=3, psi="5/4", p2=1, atoms=PART1)) == "interpolating"
    assert rg.projection_side(rp(phi="3/2", psi="5/4", p2=1, atoms=PART1)) == "features"
    assert rg.projection_side(rp(phi=1, psi="1/2", p2=1, atoms=PART1)) == "invertible"


def test_projection_ridge_rescalings():
    r = rg.select(rp(phi="1/2", psi=2, lam="1/2000"))
    assert r.name == "ridge" and r.system.name == "random_projection/plain/scaled:L"
    assert r.description == "ridge λ > 0 (solved in the rescaled variables L)"
    assert r.atoms == rp().atoms
    r = rg.select(rp(phi=2, psi=3, lam="1/2000"))
    assert r.system.name == "random_projection/plain/scaled:e,L"
    assert r.description == "ridge λ > 0 (solved in the rescaled variables e, L)"
    r = rg.select(rp(phi=2, psi="1/2", lam="1/2000"))
    assert r.system.name == "random_projection/plain" and r.description == "ridge λ > 0"
    r = rg.select(rp(phi=2, psi=3, lam="1/1000"))
    assert r.system.name == "random_projection/plain"
    r = rg.select(rp(phi=2, psi=3, lam="2/2001"))
    assert r.system.name == "random_projection/plain/scaled:e,L"
    big = [{"weight": 1, "s1": 1, "s2": 4, "theta": 1, "delta": 1}]
    r = rg.select(rp(phi=2, psi=3, lam="1/1000", atoms=big))
    assert r.system.name == "random_projection/plain/scaled:e,L"
    r = rg.select(rp(phi="1/2", psi=2, lam="1/10", p2=0))
    assert r.system.name == "random_projection/plain/p2=0"
    unseen = [{"weight": 1, "s1": 1, "s2": 0, "theta": 1, "delta": 0}]
    r = rg.select(rp(phi="1/2", psi=2, lam="1/10000", p2=1, atoms=unseen))
    assert r.system.name == "random_projection/plain/p2=1"


def test_ridgeless_projection_sides():
    r = rg.select(rp(phi=2, psi="1/2"))
    assert r.name == "ridgeless, projection-limited (m < min(n, d))"
    assert r.system.name == "random_projection/plain" and r.atoms == rp().atoms
    assert r.description == ("λ → 0⁺ with fewer features than samples and dimensions: L stays "
                             "positive; the direct system at λ = 0")
    r = rg.select(rp(phi="1/2", psi=2))
    assert r.name == "ridgeless, feature-rich (d < min(n, m))"
    assert r.system.name == "random_projection/plain/scaled:L"
    assert r.description == "λ → 0⁺ with L = λℓ, at λ = 0" and r.atoms == rp().atoms
    r = rg.select(rp(phi=2, psi=3))
    assert r.name == "ridgeless, interpolating (n < min(d, m))"
    assert r.system.name == "random_projection/plain/scaled:e,L" and r.atoms == rp().atoms
    assert r.description == "λ → 0⁺ with L = λℓ and e_j = λε_j, at λ = 0"
    s = rp(phi="1/2", psi="1/2", sigma1="1/3")
    r = rg.select(s)
    assert r.name == "ridgeless, invertible projection (m = d < n)" and r.system is None
    assert r.delegate == s.replace(model="linear", psi=None) and r.atoms == s.atoms
    assert r.description == ("S is square and invertible: least squares in x, the linear "
                             "model's ridgeless value")


def test_ridgeless_projection_needs_full_supports():
    with pytest.raises(UnsupportedError) as info:
        rg.select(rp(phi=2, psi="1/2", atoms=PART))
    assert str(info.value) == (
        "ridgeless random projections (lam = 0) are derived for full supports (every atom "
        "with s1 > 0 and s2 > 0 for the groups present); use lam > 0")
    # only the present group's support matters
    r = rg.select(rp(phi=2, psi="1/2", p2=1, atoms=PART))
    assert r.name == "ridgeless, projection-limited (m < min(n, d))"
    with pytest.raises(UnsupportedError, match="full supports"):
        rg.select(rp(phi=2, psi="1/2", p2=0, atoms=PART))


def test_projection_threshold():
    clean = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 0}]
    r = rg.select(rp(phi=1, psi=2, atoms=clean))
    assert r.name == "interpolation threshold, noiseless" and r.exact_zero
    assert r.system is None and r.atoms == ()
    assert r.description == ("noiseless consistent labels at the threshold with m ≥ d (or "
                             "w1 = 0 on the seen coordinates): w1 is recovered exactly")
    assert rg.select(rp(phi=1, psi=1, atoms=clean)).exact_zero
    no_signal = [{"weight": 1, "s1": 1, "s2": 1, "theta": 0, "delta": 0}]
    assert rg.select(rp(phi=2, psi=1, atoms=no_signal)).exact_zero
    with pytest.raises(DivergenceError) as info:
        rg.select(rp(phi=2, psi=1, atoms=clean))
    assert str(info.value) == (
        "interpolation threshold: lam = 0 with phi = 2 and psi = 1 (min(phi, psi) = 1): the "
        "ridgeless test error diverges (+inf); use lam > 0 or move off the threshold")
    assert info.value.parts == rg.threshold_parts(rp(phi=2, psi=1, atoms=clean))
    with pytest.raises(DivergenceError, match=r"phi = 1 and psi = 2 \(") as info:
        rg.select(rp(phi=1, psi=2, atoms=clean, sigma2="1/2"))
    assert info.value.parts["variance"] == float("inf")
    with pytest.raises(DivergenceError, match=r"phi = 1 and psi = 1\.333333333 \("):
        rg.select(rp(phi=1, psi="4/3", atoms=ONE))


# ----------------------------------------------------------------------------- signatures

def test_signatures_separate_sides_and_flag_exact_thresholds():
    base = spec(atoms=PART, p2="1/2")
    phis = np.array([0.6, 0.7, 1.0, 3.0, 4.0, 0.99999999999999, 1.3])
    codes, tie = rg.signatures(base, {"phi": phis})
    assert codes.dtype == np.int64 and tie.dtype == bool and codes.shape == (7,)
    assert codes[0] == codes[1] and codes[3] == codes[4]
    assert len({codes[0], codes[2], codes[3], codes[6]}) == 4
    assert tie.tolist() == [False, False, True, False, False, True, False]
    # keys that do not vary make no comparison of their own
    same, _ = rg.signatures(base, {"sigma1": np.array([0.0, 0.0])})
    assert same[0] == same[1]
    diff, tie = rg.signatures(base, {"sigma1": np.array([0.0, 0.5, 1.0])})
    assert diff[0] != diff[1] and diff[1] == diff[2] and not tie.any()


def test_signatures_flags():
    base = spec(atoms=PART, p2="1/2", lam="1/10")
    for key, vals in [("p2", [0.0, 0.01, 0.02]), ("lam", [0.0, 0.5, 0.6]),
                      ("sigma2", [0.0, 0.5, 0.6])]:
        codes, tie = rg.signatures(base, {key: np.array(vals)})
        assert codes[0] != codes[1] and codes[1] == codes[2], key
    codes, _ = rg.signatures(base, {"p2": np.array([0.98, 0.99, 1.0])})
    assert codes[0] == codes[1] != codes[2]
    w = spec(atoms=PART, p2="1/2", strategy="weighted", alpha="1/2")
    codes, _ = rg.signatures(w, {"alpha": np.array([0.0, 0.5, 0.6, 1.0])})
    assert codes[0] != codes[1] and codes[1] == codes[2] and codes[3] != codes[2]
    assert codes[3] != codes[0]
    # λ against a thousandth of the spectral scale
    codes, tie = rg.signatures(base, {"lam": np.array([0.0005, 0.0009, 0.0011, 0.002])})
    assert codes[0] == codes[1] and codes[2] == codes[3] and codes[1] != codes[2]
    big = spec(atoms=[{"weight": 1, "s1": 4, "s2": 1, "theta": 1, "delta": 0}])
    codes, tie = rg.signatures(big, {"lam": np.array([0.001, 0.0039, 0.0041])})
    assert codes[0] == codes[1] != codes[2]
    codes, tie = rg.signatures(big, {"lam": np.array([0.004, 0.003])})
    assert tie.tolist() == [True, False]


def test_signatures_of_projections():
    base = rp(phi=2, psi="1/2", lam="1/10")
    codes, tie = rg.signatures(base, {"psi": np.array([0.4, 0.5, 1.0, 1.5, 1.9, 2.0, 3.0])})
    assert codes[0] == codes[1] and codes[3] == codes[4]
    assert len({codes[1], codes[2], codes[3], codes[5], codes[6]}) == 5
    assert tie.tolist() == [False, False, True, False, False, True, False]
    # ψ against φ·w for a partial support: ψ = 1.5 = φ·w(S1∪S2)·... here φ = 2, w(S1) = 1/2
    part = rp(phi=2, psi="1/2", lam="1/10", atoms=PART)
    codes, tie = rg.signatures(part, {"psi": np.array([0.9, 0.95, 1.0, 1.05])})
    assert codes[0] == codes[1] and codes[1] != codes[3] and tie.tolist()[2]
    # a linear base has no ψ: the ψ comparisons are unknown (nan), never ties
    lin = spec(atoms=PART, p2="1/2")
    codes, tie = rg.signatures(lin, {"phi": np.array([0.6, 0.7])})
    assert not tie.any() and codes[0] == codes[1]


def test_signatures_zero_against_zero_is_no_tie():
    base = spec(atoms=[{"weight": 1, "s1": 1, "s2": 0, "theta": 1, "delta": 0}], p2="1/2")
    # φ·w(S2) = 0 against p2 = 0: equal, but both exactly 0 (not a float tie)
    codes, tie = rg.signatures(base, {"p2": np.array([0.0, 0.5]), "phi": np.array([0.5, 0.5])})
    assert not tie[0]


def regime_key(s):
    try:
        r = rg.select(s)
    except (DivergenceError, UnsupportedError) as exc:
        return (type(exc).__name__,)
    return (r.name, r.system.name if r.system else None, tuple(r.atoms), r.exact_zero,
            tuple(r.null_atoms), r.delegate is not None)


GRID = {
    "phi": [0.3, 0.45, 0.55, 0.7, 0.9, 1.1, 1.3, 1.7, 2.2, 3.1],
    "p2": [0.0, 0.1, 0.3, 0.45, 0.55, 0.7, 0.9, 1.0],
    "psi": [0.4, 0.5, 0.8, 0.95, 1.2, 1.9, 2.9],
    "lam": [0.0, 0.0004, 0.002, 0.1],
}
BASES = [
    ("linear", PART, ("phi", "p2")), ("linear", PART1, ("phi", "p2")),
    ("linear", PART1, ("phi", "lam")), ("random_projection", ONE, ("phi", "psi")),
    ("random_projection", ONE, ("psi", "lam")), ("random_projection", PART, ("psi", "p2")),
]


@pytest.mark.parametrize("model,atoms,keys", BASES)
def test_equal_signatures_mean_equal_regimes(model, atoms, keys):
    """The contract of :func:`signatures`: points with equal codes (and no tie) have the
    same regime; on this grid every regime boundary is crossed."""
    base_cfg = {"model": model, "phi": 0.7, "p2": 0.3, "lam": 0, "sigma1": 0.5,
                "atoms": exact(atoms)}
    if model == "random_projection":
        base_cfg["psi"] = 0.9
    k1, k2 = keys
    pts = [(x, y) for x in GRID[k1] for y in GRID[k2]]
    cols = {k1: np.array([x for x, _ in pts]), k2: np.array([y for _, y in pts])}
    codes, tie = rg.signatures(parse(base_cfg), cols)
    assert tie.sum() < len(pts) / 3
    seen = {}
    for (x, y), code, t in zip(pts, codes, tie):
        if t:  # on a threshold (e.g. φ·w = p2): classified exactly, point by point
            continue
        key = regime_key(parse(dict(base_cfg, **{k1: x, k2: y})))
        assert seen.setdefault(code, key) == key, (k1, x, k2, y)
    assert len(set(seen.values())) >= 3


def test_signatures_read_columns_of_any_real_numbers_as_floats():
    base = spec(atoms=PART, p2="1/2")
    exact_cols = {"phi": [F(3, 5), F(7, 10), F(1), F(3)], "sigma1": [0, 0, F(1, 2), 1]}
    float_cols = {"phi": np.array([0.6, 0.7, 1.0, 3.0]), "sigma1": np.array([0.0, 0, 0.5, 1])}
    a, tie_a = rg.signatures(base, exact_cols)
    b, tie_b = rg.signatures(base, float_cols)
    assert a.tolist() == b.tolist() and tie_a.tolist() == tie_b.tolist() == [False, False, True,
                                                                               False]


#: every support set has its own weight: w(S1 ∪ S2) = 1, w(S1∖S2) = 1/3, w(S2∖S1) = 1/6,
#: w(S1) = 5/6, w(S2) = 2/3
R3 = [{"weight": "1/2", "s1": 1, "s2": 1, "theta": 1, "delta": 0},
      {"weight": "1/3", "s1": 1, "s2": 0, "theta": 1, "delta": 0},
      {"weight": "1/6", "s1": 0, "s2": 1, "theta": 1, "delta": 0}]
FINE = [round(x, 6) for x in np.linspace(0.0, 1.0, 81)]


@pytest.mark.parametrize("cfg,key,grid", [
    # φ = 0.9: under for p2 in (0.15, 0.7) (φ·w(S2∖S1) = p2, φ·w(S1∖S2) = p1), else mixed;
    # p2 = 0 and p2 = 1 leave one group, underparametrized
    ({"phi": 0.9}, "p2", FINE),
    # φ = 1.05: interpolating for p2 in (0.125, 0.7) (φ·w(S1) = p1, φ·w(S2) = p2)
    ({"phi": 1.05}, "p2", FINE),
    # p2 = 1/2: under below φ = 1, interpolating above (φ·w(S1 ∪ S2) = 1)
    ({"p2": 0.5}, "phi", [0.9, 0.95, 0.99, 1.01, 1.05, 1.1]),
    # a tiny ridge: rescaled only when interpolating
    ({"phi": 1.05, "lam": 1e-4}, "p2", FINE),
    # projections seeing half the coordinates (p2 = 0): φ_eff = 0.6 against ψ
    ({"model": "random_projection", "phi": 1.2, "p2": 0, "lam": 1e-4, "atoms": PART},
     "psi", [0.5, 0.55, 0.58, 0.62, 0.65, 0.8, 0.9, 1.1, 1.3]),
])
def test_regimes_change_only_where_codes_change(cfg, key, grid):
    base_cfg = {"phi": 0.9, "p2": 0.5, "lam": 0, "sigma1": 0.5, "atoms": exact(R3)}
    base_cfg.update({k: exact(v) for k, v in cfg.items()})
    if base_cfg.get("model") == "random_projection":
        base_cfg.setdefault("psi", 0.9)
    codes, tie = rg.signatures(parse(base_cfg), {key: np.array(grid, dtype=float)})
    seen = {}
    for x, code, t in zip(grid, codes, tie):
        if t:
            continue
        k = regime_key(parse(dict(base_cfg, **{key: x})))
        assert seen.setdefault(code, k) == k, (key, x)
    assert len(set(seen.values())) >= 2


def test_tie_band_is_relative_to_the_size_of_the_values():
    base = rp(phi=300, psi=300, lam="1/10")
    codes, tie = rg.signatures(base, {"psi": np.array([300 + 1e-10, 300 + 1e-6, 299.0])})
    assert tie.tolist() == [True, False, False]


def test_signatures_of_non_finite_values_are_unknown_and_silent():
    import warnings
    base = rp(phi=2, psi=3, lam="1/10", atoms=R3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        codes, tie = rg.signatures(base, {"phi": np.array([np.inf, 2.0]),
                                          "psi": np.array([np.inf, 3.0])})
    assert not tie.any() and codes[0] != codes[1]


@pytest.mark.parametrize("phi,p2,want", [
    ("9/10", "1/2", "under"), ("21/20", "1/2", "over"), ("9/10", "4/5", "mixed"),
    ("6/5", "9/10", "mixed"), (1, "1/2", "boundary"), ("9/10", "7/10", "boundary"),
])
def test_interpolation_side_with_every_support_set_distinct(phi, p2, want):
    # w(S1 ∪ S2) = 1, w(S1∖S2) = 1/3, w(S2∖S1) = 1/6, w(S1) = 5/6, w(S2) = 2/3
    assert rg.interpolation_side(spec(phi=phi, p2=p2, atoms=R3)) == want


@pytest.mark.parametrize("phi,psi,want", [
    (2, "1/2", "random_projection/plain/p2=0"),
    ("1/2", 2, "random_projection/plain/p2=0/scaled:L"),
    (2, 3, "random_projection/plain/p2=0/scaled:e,L"),
])
def test_ridgeless_projection_without_synthetic_rows_drops_group_2(phi, psi, want):
    r = rg.select(rp(phi=phi, psi=psi, p2=0))
    assert r.system.name == want
    assert eq.e2 not in r.system.unknowns and "epsilon2" not in map(str, r.system.unknowns)


def test_tie_band_for_small_and_zero_values():
    # λ against a thousandth of a tiny spectral scale: relative, not absolute, closeness
    tiny = spec(atoms=[{"weight": 1, "s1": F(1, 10 ** 6), "s2": F(1, 10 ** 6), "theta": 1,
                        "delta": 0}], lam=F(1, 10))
    codes, tie = rg.signatures(tiny, {"lam": np.array([1e-9 * (1 + 1e-5), 1e-9 * (1 + 1e-14)])})
    assert tie.tolist() == [False, True]
    # φ·w(S1∖S2) = 0 against p2 = 1e-320: within the band of its floor (1e-300)
    codes, tie = rg.signatures(spec(atoms=PART), {"p2": np.array([1e-320, 0.0, 0.4])})
    assert tie.tolist() == [True, False, False]


# every class of atoms, with distinct weights: w(S1 ∪ S2) = 0.65, w(S1∖S2) = 0.3,
# w(S2∖S1) = 0.1, w(S1) = 0.55, w(S2) = 0.35
CLASSES = [{"weight": "1/4", "s1": 1, "s2": 2, "theta": 1, "delta": 0},
           {"weight": "3/10", "s1": 1, "s2": 0, "theta": 1, "delta": 0},
           {"weight": "1/10", "s1": 0, "s2": 1, "theta": 1, "delta": 0},
           {"weight": "7/20", "s1": 0, "s2": 0, "theta": 1, "delta": 0}]
SET_WEIGHTS = (0.65, 0.3, 0.1, 0.55, 0.35)


def _separates(base, key, below, above):
    codes, tie = rg.signatures(base, {key: np.array([below, above])})
    return codes[0] != codes[1] and not tie.any()


def test_signatures_separate_every_threshold_of_phi():
    """φ·w(A) against 1, p1, p2 and ψ for every support set A, and ψ against φ: points on
    the two sides of any one threshold (1e-3 apart, no other threshold between) differ."""
    base = rp(atoms=CLASSES, p2="1/5", psi="17/10", phi="1/2")
    refs = (1.0, 0.8, 0.2, 1.7)
    thresholds = sorted({r / w for w in SET_WEIGHTS for r in refs} | {1.7})
    gaps = np.diff(np.log(thresholds))
    assert gaps.min() > 3e-3                           # distinct thresholds
    for t in thresholds:
        assert _separates(base, "phi", t * (1 - 1e-3), t * (1 + 1e-3)), t
    # and between two neighbouring thresholds nothing changes
    for lo, hi in zip(thresholds, thresholds[1:]):
        codes, _ = rg.signatures(base, {"phi": np.array([lo * 1.001, hi * 0.999])})
        assert codes[0] == codes[1]


def test_signatures_separate_thresholds_of_p2_and_psi_at_fixed_phi():
    """With φ fixed, the comparisons φ·w(A) against p1 = 1 − p2, p2 and ψ are made by
    varying p2 or ψ alone; ψ = 1 and ψ = φ as well."""
    phi = 0.5
    base = rp(atoms=CLASSES, p2="1/5", psi="17/10", phi="1/2")
    for w in SET_WEIGHTS:
        t = phi * w
        assert _separates(base, "p2", t * (1 - 1e-3), t * (1 + 1e-3)), ("p2", t)
        assert _separates(base, "p2", 1 - t * (1 + 1e-3), 1 - t * (1 - 1e-3)), ("p1", t)
        assert _separates(base, "psi", t * (1 - 1e-3), t * (1 + 1e-3)), ("psi", t)
    assert _separates(base, "psi", 0.999, 1.001) and _separates(base, "psi", 0.4995, 0.5005)


def test_signatures_flag_p2_at_zero_and_one():
    """p2 = 0 (no synthetic data) and p2 = 1 are their own cases, apart from p2 near them
    on the same side of every comparison."""
    base = spec(atoms=CLASSES, phi=4)
    assert _separates(base, "p2", 0.0, 1e-9) and _separates(base, "p2", 1 - 1e-9, 1.0)


def test_signatures_tie_band_is_relative():
    """A point within 1e-12 (relative) of a threshold is a tie, one 5e-12 off is not, at
    scales 1e-12 and 1e3 (λ against the spectral scale / 1000)."""
    for s in ("1000000", "1/1000000000"):
        atoms = [{"weight": 1, "s1": F(s), "s2": F(s), "theta": 1, "delta": 0}]
        base = spec(atoms=atoms, lam="1/10")
        t = float(F(s)) / 1000
        _, tie = rg.signatures(base, {"lam": np.array([t * (1 + 5e-13), t * (1 + 5e-12),
                                                       t * (1 - 5e-12)])})
        assert tie.tolist() == [True, False, False], s


def test_signatures_of_an_infinite_phi_warn_nothing():
    """φ = ∞ (refused later, with its key) times a weight 0 is NaN: no warning, and the
    comparisons it makes are marked unknown (a code of their own)."""
    import warnings
    base = spec(atoms=PART, p2="1/2")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        codes, tie = rg.signatures(base, {"phi": np.array([np.inf, 0.7])})
    assert codes[0] != codes[1] and not tie.any()


def test_atom_stats_are_computed_once_per_spectrum_and_at_most_65_kept():
    """The support classes of one atoms tuple are computed once (the same dict comes
    back); the cache keeps at most 65 spectra and then starts afresh."""
    rg._STATS.clear()
    atoms = spec().atoms
    assert rg._atom_stats(atoms) is rg._atom_stats(atoms)
    rg._STATS.clear()
    many = [spec(atoms=[{"weight": 1, "s1": k + 1, "s2": 1, "theta": 1, "delta": 0}]).atoms
            for k in range(66)]
    for a in many[:65]:
        rg._atom_stats(a)
    assert len(rg._STATS) == 65
    rg._atom_stats(many[65])
    assert len(rg._STATS) == 1
    rg._STATS.clear()


def test_signatures_tie_band_is_inclusive():
    """λ exactly 1e-12·λ above the threshold scale/1000 (values chosen so that every
    operation is exact: scale = 8796874999991203/2^43) is a tie: within the band, ≤."""
    scale = F(8796874999991203, 8796093022208)
    atoms = [{"weight": 1, "s1": scale, "s2": scale, "theta": 1, "delta": 0}]
    lam = 1.000088900582341
    assert lam - float(scale) / 1000 == 1e-12 * lam
    _, tie = rg.signatures(spec(atoms=atoms, lam="1/10"), {"lam": np.array([lam, 1.5])})
    assert tie.tolist() == [True, False]
