"""Self-consuming loops of the random projections model (symcollapse.core.loops,
symcollapse.core.feature_loops; docs/theory/loops.md): without a ridge the reductions to
generation 0 as exact identities; with a ridge on a fixed design the two-point moments
against a simulation and the plain model, the limit; the refusals with their reasons; the
theory against a Monte Carlo of the actual loop (S drawn once and kept)."""
from fractions import Fraction as F

import mpmath as mp
import pytest

import symcollapse as sc
from loop_checks import assert_loop_matches, assert_ridge_tends_to_ridgeless
from symcollapse.core import loops as L
from symcollapse.core.errors import RegimeError, UnsupportedError

THREE = [{"weight": F(1, 4), "s1": 3, "theta": 2}, {"weight": F(1, 2), "s1": 1, "theta": 1},
         {"weight": F(1, 4), "s1": F(1, 3), "theta": F(1, 2)}]
#: (φ, ψ) on the three sides of the ridgeless limit: m < min(n, d), d < min(n, m), n < min(d, m).
SIDES = [(F(1, 2), F(3, 10)), (F(3, 10), F(1, 2)), (F(3, 2), F(2))]


def loop(strategy, design, phi, psi, lam=0, sigma=F(3, 2), T=4, atoms=THREE):
    return {"model": "random_projection", "strategy": strategy, "design": design, "phi": phi,
            "psi": psi, "lam": lam, "sigma1": sigma, "generations": T, "atoms": atoms}


def plain(phi, psi, sigma=F(3, 2)):
    return sc.predict({"model": "random_projection", "phi": phi, "psi": psi, "p2": 0, "lam": 0,
                       "sigma1": sigma, "atoms": [dict(a, s2=a["s1"], delta=0) for a in THREE]},
                      dps=40)


def mpq(q):
    return mp.mpf(q.numerator) / q.denominator


@pytest.mark.parametrize("phi, psi", SIDES)
@pytest.mark.parametrize("strategy", ["replace", "accumulate"])
def test_fixed_design_is_generation_zero_plus_kappa_noises(strategy, phi, psi):
    """Fixed design, every side: E_test(t) = Bias₀ + κ_t·Var₀ with Bias₀, Var₀ the plain
    ridgeless model at p2 = 0 (30 digits), κ_t = t + 1 or Σ_{i≤t+1} 1/i²."""
    r = sc.predict(loop(strategy, "fixed", phi, psi), dps=30)
    base = plain(phi, psi)
    kappa = L.noise_factor(strategy, 4)
    with mp.workdps(30):
        for t in range(5):
            exact = base["bias"] + mpq(kappa[t]) * base["variance"]
            assert mp.nstr(r["test_error"][t], 30) == mp.nstr(exact, 30)
            assert mp.nstr(r["bias"][t], 30) == mp.nstr(base["bias"], 30)
    assert r["regime"] == f"{strategy}, fixed design"


@pytest.mark.parametrize("phi, psi", SIDES[:2])
def test_without_interpolation_the_variance_is_the_inverse_wishart_mean(phi, psi):
    """Where min(φ, ψ) = r < 1 the plain ridgeless variance is σ²r/(1 − r) exactly, for any
    spectrum (given S, the features are Gaussian of rank min(m, d) < n)."""
    r = min(phi, psi)
    with mp.workdps(40):
        assert abs(plain(phi, psi)["variance"] - mpq(F(9, 4) * r / (1 - r))) < mp.mpf(10) ** -35


@pytest.mark.parametrize("phi, psi", SIDES[:2])
def test_fresh_design_without_interpolation(phi, psi):
    """replace: the fresh design equals the fixed one (v̂_t = v̂_{t−1} + F_t⁺ε_t); accumulate:
    Bias₀ + σ²Σ_{k≤t} r/((k+1)(k+1−r)), limit Bias₀ + σ²(ψ(1) − ψ(1 − r)), below the fixed
    design from generation 1 on."""
    r = min(phi, psi)
    fresh = sc.predict(loop("replace", "fresh", phi, psi), dps=30)
    fixed = sc.predict(loop("replace", "fixed", phi, psi), dps=30)
    assert [mp.nstr(v, 30) for v in fresh["test_error"]] == \
        [mp.nstr(v, 30) for v in fixed["test_error"]]
    acc = sc.predict(loop("accumulate", "fresh", phi, psi), dps=30)
    bias0 = plain(phi, psi)["bias"]
    total = F(0)
    with mp.workdps(40):
        for t in range(5):
            total += F(9, 4) * r / ((t + 1) * (t + 1 - r))
            assert abs(acc["test_error"][t] - (bias0 + mpq(total))) < mp.mpf(10) ** -29
        limit = bias0 + mp.mpf(9) / 4 * (mp.digamma(1) - mp.digamma(1 - mpq(r)))
        assert abs(acc["limit"] / limit - 1) < mp.mpf(10) ** -28
    acc_fixed = sc.predict(loop("accumulate", "fixed", phi, psi), dps=30)
    assert all(a < b for a, b in zip(acc["test_error"][1:], acc_fixed["test_error"][1:]))


@pytest.mark.parametrize("phi, psi", [(F(3, 2), F(2)), (F(5, 2), F(3, 2))])
def test_ridgeless_fresh_replace_on_the_interpolating_side(phi, psi):
    """min(φ, ψ) > 1: the fresh replace recursion written finite as e → 0 (η = e²/D) starts at
    the plain ridgeless model (30 digits) and is the λ → 0 limit of the ridge loop (the gap
    falls like λ); at min(φ, ψ) = 1 the ridgeless error diverges."""
    cfg = loop("replace", "fresh", phi, psi, T=3)
    exact = sc.predict(cfg, dps=30)
    base = plain(phi, psi)
    for part in ("test_error", "bias", "variance"):
        assert mp.nstr(exact[part][0], 30) == mp.nstr(base[part], 30), part
    assert_ridge_tends_to_ridgeless(cfg)
    with pytest.raises(RegimeError, match="diverges|infinite"):
        sc.predict(loop("replace", "fresh", F(1), F(2)))


@pytest.mark.parametrize("phi, psi", [(F(5, 2), F(7, 2)), (F(12, 5), F(3, 2)), (F(3, 2), F(2))])
def test_ridgeless_fresh_accumulate_on_the_interpolating_side(phi, psi):
    """min(φ, ψ) > 1: the telescoped minimum-norm loop, Bias₀ + Σ_k Var(N_k)/(k + 1) with the
    plain variance at φ/(k + 1), ψ/(k + 1), is the λ → 0 limit of the nested-resolvent
    equivalent (the gap falls like λ)."""
    cfg = loop("accumulate", "fresh", phi, psi, T=3)
    exact = sc.predict(cfg, dps=20)
    assert exact["bias"] == [exact["bias"][0]] * 4
    assert_ridge_tends_to_ridgeless(cfg)


@pytest.mark.parametrize("strategy, design, phi, psi", [
    ("replace", "fixed", F(1, 2), F(3, 10)),
    ("accumulate", "fixed", F(3, 2), F(2)),
    ("replace", "fresh", F(3, 2), F(1, 2)),
    ("accumulate", "fresh", F(1, 2), F(3, 10)),
    ("accumulate", "fresh", F(3, 10), F(1, 2)),
    ("accumulate", "fresh", F(12, 5), F(3, 2)),
    ("replace", "fresh", F(5, 2), F(3, 2)),
])
def test_theory_matches_the_simulated_projections_loop(strategy, design, phi, psi):
    """Every part, generation t ≤ 3, within 3 se + 3 % at min(d, m) = 120 (the O(1/d) bias of
    the deterministic equivalents; paper_checks/self_consuming_loops.py runs
    min(d, m) ≥ 300 at 1.5 %)."""
    cfg = loop(strategy, design, phi, psi, T=3)
    theory = sc.predict(cfg, dps=15)
    n = round(120 / min(phi, psi))
    mc = sc.simulate(cfg, n=n, trials=6, seed=3)
    assert min(mc["d"], mc["m"]) == 120
    assert_loop_matches(theory, mc, 3, 0.03)


def test_the_simulated_fresh_loop_sees_a_new_design_each_generation():
    """Fresh accumulate averages new designs: its simulated variance at t = 3 is below the
    fixed design's by more than 5 se (a simulation that reused X_0 would tie)."""
    kw = dict(n=400, trials=6, seed=5)
    fresh = sc.simulate(loop("accumulate", "fresh", F(1, 2), F(3, 10), T=3), **kw)
    fixed = sc.simulate(loop("accumulate", "fixed", F(1, 2), F(3, 10), T=3), **kw)
    a, b = fresh["conditional"]["variance"], fixed["conditional"]["variance"]
    assert b["mean"][3] - a["mean"][3] > 5 * (a["se"][3] + b["se"][3])


@pytest.mark.parametrize("phi, psi", SIDES + [(F(3, 2), F(1, 2))])
def test_the_isotropic_closed_forms_are_predicts(phi, psi):
    """sc.closed_form of every ridgeless projections loop it answers (one isotropic atom) is
    an expression in t equal to predict to 28 digits for t ≤ 3; a fresh design on the
    interpolating side is refused with its condition."""
    import sympy as sp
    from symcollapse.analysis.loops import t
    iso = [{"weight": 1, "s1": 2, "theta": F(1, 2)}]
    for strategy in ("replace", "accumulate"):
        for design in ("fixed", "fresh"):
            cfg = loop(strategy, design, phi, psi, T=3, atoms=iso)
            if design == "fresh" and min(phi, psi) >= 1:
                with pytest.raises(UnsupportedError, match=r"min\(phi, psi\) < 1"):
                    sc.closed_form(cfg)
                continue
            expr = sc.closed_form(cfg)
            assert expr.free_symbols <= {t}
            r = sc.predict(cfg, dps=30)
            with mp.workdps(40):
                for g in range(4):
                    value = mp.mpf(str(sp.N(expr.subs(t, g), 45)))
                    assert abs(value - r["test_error"][g]) < mp.mpf(10) ** -28, (strategy, design, g)


# ----------------------------------------------------------------------------- with a ridge

RIDGE_SIDES = [(F(1, 2), F(3, 10), F(1, 10)), (F(3, 2), F(2), F(1, 10)), (F(3, 2), F(1, 2), F(1, 3))]


@pytest.mark.parametrize("phi, psi, lam", RIDGE_SIDES)
def test_generation_zero_of_a_ridge_loop_is_the_plain_model(phi, psi, lam):
    """The two-point moments at z1 = z2 = λ give the plain model's Bias and Var (p2 = 0), which
    is solved from another system (the engine's), to 30 digits on three sides."""
    base = sc.predict({"model": "random_projection", "phi": phi, "psi": psi, "p2": 0, "lam": lam,
                       "sigma1": F(3, 2), "atoms": [dict(a, s2=a["s1"], delta=0) for a in THREE]},
                      dps=30)
    for strategy in ("replace", "accumulate"):
        r = sc.predict(loop(strategy, "fixed", phi, psi, lam=lam, T=1), dps=30)
        for part in ("test_error", "bias", "variance"):
            assert mp.nstr(r[part][0], 30) == mp.nstr(base[part], 30), (strategy, part)


def test_the_two_point_function_against_a_simulation():
    """γ(z1, z2) = tr(ΘΣ̂SᵀR(z1)ΩR(z2)SΣ̂) and β(z) = tr(ΘΣSᵀR(z)SΣ̂) at z1 ≠ z2 (no
    loop involved) within 4 se + 1 % of their average over 6 draws at d = 400, m = 240."""
    import numpy as np
    from symcollapse.core import feature_loops as FL
    atoms = [(mp.mpf(1) / 2, mp.mpf(2), mp.mpf(1)), (mp.mpf(1) / 2, mp.mpf(1) / 2, mp.mpf(1) / 2)]
    z1, z2 = mp.mpf(1) / 10, mp.mpf(3) / 10
    with mp.workdps(30):
        st = FL.Setting(mp.mpf(1) / 2, mp.mpf(3) / 10, atoms)
        P1, P2 = (st.point(z, st.real_q(z)) for z in (z1, z2))
        psi, U0, energy = st.psi, st.U0, st.energy
        exact = FL.two_point(P1, P2, psi, U0, energy)
        assert abs(exact - FL.two_point(P2, P1, psi, U0, energy)) < mp.mpf(10) ** -25  # symmetric
        gamma, beta = float(exact), float(P1["U"])
    n, d, m = 800, 400, 240
    s = np.repeat([2.0, 0.5], d // 2)
    th = np.repeat([1.0, 0.5], d // 2)
    rng = np.random.default_rng(7)
    draws = []
    for _ in range(6):
        X = rng.standard_normal((n, d)) * np.sqrt(s)
        S = rng.standard_normal((m, d)) / np.sqrt(d)
        Sh = X.T @ X / n
        G = S @ Sh @ S.T
        R1, R2 = (np.linalg.inv(G + z * np.eye(m)) for z in (0.1, 0.3))
        L = Sh @ S.T
        draws.append((np.sum(th * np.einsum("ij,jk,ki->i", L, R1 @ ((S * s) @ S.T) @ R2, L.T)) / d,
                      np.sum(th * s * np.einsum("ij,jk,ki->i", S.T, R1, S @ Sh)) / d))
    mean, se = np.mean(draws, axis=0), np.std(draws, axis=0) / np.sqrt(len(draws))
    for theory, m_, e in zip((gamma, beta), mean, se):
        assert abs(m_ - theory) <= 4 * e + 0.01 * theory, (theory, m_, e)


def test_replace_with_a_ridge_reaches_its_limit():
    """At λ = 20 (A's eigenvalues small) generation 20 equals the stationary limit
    tr(ΘΣ) + σ²ψ/(2λ)(tr Σ − (λ/2)τ(λ/2)) to 12 digits (derivations/loops.md: 3e-21 at
    generation 30); accumulate forgets the target, its limit is tr(ΘΣ)."""
    r = sc.predict(loop("replace", "fixed", F(1, 2), F(3, 10), lam=20, T=20), dps=25)
    with mp.workdps(30):
        assert abs(r["test_error"][20] / r["limit"] - 1) < mp.mpf(10) ** -12
    acc = sc.predict(loop("accumulate", "fixed", F(1, 2), F(3, 10), lam=F(1, 10), T=2), dps=20)
    energy = sum(F(a["weight"]) * a["theta"] * a["s1"] for a in THREE)
    with mp.workdps(30):
        assert abs(acc["limit"] - mp.mpf(energy.numerator) / energy.denominator) < mp.mpf(10) ** -19


@pytest.mark.parametrize("strategy, phi, psi, lam, atoms", [
    ("replace", F(1, 2), F(3, 10), F(1, 10), THREE),
    ("accumulate", F(3, 2), F(2), F(1, 10), THREE),
    ("replace", F(3, 2), F(1, 2), F(1, 3), [{"weight": 1, "s1": 1, "theta": 1}]),
])
def test_theory_matches_the_simulated_ridge_loop(strategy, phi, psi, lam, atoms):
    """Fixed design with a ridge, every part, t ≤ 3, within 3 se + 3 % at min(d, m) = 120."""
    cfg = loop(strategy, "fixed", phi, psi, lam=lam, T=3, atoms=atoms)
    theory = sc.predict(cfg, dps=15)
    mc = sc.simulate(cfg, n=round(120 / min(phi, psi)), trials=6, seed=3)
    assert_loop_matches(theory, mc, 3, 0.03)


def test_a_very_wide_projection_is_the_linear_loop_at_a_smaller_ridge():
    """ψ → ∞: a ridge λ on v is the ridge λφ/ψ on w = Sᵀv (SᵀS ≈ (ψ/φ)I), so the loop tends to
    the linear model's loop at λφ/ψ; the relative gap at generation 2 falls like 1/ψ²."""
    gaps = []
    for psi in (200, 2000):
        wide = sc.predict(loop("replace", "fixed", F(1, 2), F(psi), lam=F(1, 10), T=2), dps=20)
        linear = {k: v for k, v in loop("replace", "fixed", F(1, 2), None, lam=F(1, 20) / psi,
                                        T=2).items() if k not in ("model", "psi")}
        gaps.append(abs(wide["test_error"][2] / sc.predict(linear, dps=20)["test_error"][2] - 1))
    assert gaps[1] < 1e-6 and gaps[1] < gaps[0] / 50, gaps


# ----------------------------------------------------------------------------- fresh, ridge

@pytest.mark.parametrize("phi, psi, lam", RIDGE_SIDES)
def test_generation_zero_of_a_fresh_ridge_loop_is_the_plain_model(phi, psi, lam):
    """The fresh replace recursion starts from V_0 (γ with B = Ω, the noise): generation 0
    equals the fixed design's, hence the plain model's, to 30 digits."""
    fresh = sc.predict(loop("replace", "fresh", phi, psi, lam=lam, T=1), dps=30)
    fixed = sc.predict(loop("replace", "fixed", phi, psi, lam=lam, T=1), dps=30)
    for part in ("test_error", "bias", "variance"):
        assert mp.nstr(fresh[part][0], 30) == mp.nstr(fixed[part][0], 30), part


def test_the_fresh_ridge_loop_reaches_its_limit():
    """At λ = 5 the recursion contracts fast: generation 40 equals the closed-form limit
    tr(ΘΣ) + (λ²c_∞ + σ²ψη)·tr_m(ω²/(e²μ(2ω + μ))) (a sketch at μ/2) to 13 digits."""
    r = sc.predict(loop("replace", "fresh", F(1, 2), F(3, 10), lam=5, T=40), dps=20)
    with mp.workdps(30):
        assert abs(r["test_error"][40] / r["limit"] - 1) < mp.mpf(10) ** -13


@pytest.mark.parametrize("phi, psi, lam, atoms", [
    (F(1, 2), F(3, 10), F(1, 10), THREE),
    (F(3, 2), F(2), F(1, 10), THREE),
    (F(3, 2), F(1, 2), F(1, 3), [{"weight": 1, "s1": 1, "theta": 1}]),
])
def test_theory_matches_the_simulated_fresh_ridge_loop(phi, psi, lam, atoms):
    """Fresh design with a ridge (new X_t, S kept), every part, t ≤ 3, within 3 se + 3 % at
    min(d, m) = 120; a fresh design collapses faster than the fixed one from generation 1."""
    cfg = loop("replace", "fresh", phi, psi, lam=lam, T=3, atoms=atoms)
    theory = sc.predict(cfg, dps=15)
    mc = sc.simulate(cfg, n=round(120 / min(phi, psi)), trials=6, seed=3)
    assert_loop_matches(theory, mc, 3, 0.03)
    fixed = sc.predict(dict(cfg, design="fixed"), dps=15)
    assert all(a > b for a, b in zip(theory["test_error"][1:], fixed["test_error"][1:]))


# ----------------------------------------------------------------------------- fresh accumulate, ridge

@pytest.mark.parametrize("phi, psi, lam", RIDGE_SIDES)
def test_generation_zero_of_a_fresh_accumulate_ridge_loop_is_the_plain_model(phi, psi, lam):
    """The nested-resolvent equivalent (core.accumulate, the sketch's spectrum) at generation
    0 equals the fixed design's, hence the plain model's, to 30 digits."""
    fresh = sc.predict(loop("accumulate", "fresh", phi, psi, lam=lam, T=1), dps=30)
    fixed = sc.predict(loop("accumulate", "fixed", phi, psi, lam=lam, T=1), dps=30)
    for part in ("test_error", "bias", "variance"):
        assert mp.nstr(fresh[part][0], 30) == mp.nstr(fixed[part][0], 30), part


def test_a_very_wide_projection_accumulates_like_the_linear_loop_at_a_smaller_ridge():
    """ψ → ∞ (ridge λ on v = ridge λφ/ψ on w = Sᵀv): the fresh accumulate loop tends to the
    linear model's at λφ/ψ at every generation; the gap falls by more than 50 from ψ = 200 to
    2000."""
    gaps = []
    for psi in (200, 2000):
        wide = sc.predict(loop("accumulate", "fresh", F(1, 2), F(psi), lam=F(1, 10), T=3), dps=20)
        linear = {k: v for k, v in loop("accumulate", "fresh", F(1, 2), None, lam=F(1, 20) / psi,
                                        T=3).items() if k not in ("model", "psi")}
        narrow = sc.predict(linear, dps=20)
        gaps.append(max(abs(a / b - 1) for a, b in zip(wide["test_error"], narrow["test_error"])))
    assert gaps[1] < 1e-6 and gaps[1] < gaps[0] / 50, gaps


@pytest.mark.parametrize("phi, psi, lam, atoms", [
    (F(1, 2), F(3, 10), F(1, 10), THREE),
    (F(3, 2), F(2), F(1, 5), [{"weight": 1, "s1": 1, "theta": 1}]),
])
def test_theory_matches_the_simulated_fresh_accumulate_ridge_loop(phi, psi, lam, atoms):
    """Fresh design, accumulate, with a ridge (new X_t, S kept), every part, t ≤ 3, within
    3 se + 3 % at min(d, m) = 120."""
    cfg = loop("accumulate", "fresh", phi, psi, lam=lam, T=3, atoms=atoms)
    theory = sc.predict(cfg, dps=15)
    mc = sc.simulate(cfg, n=round(120 / min(phi, psi)), trials=6, seed=3)
    assert_loop_matches(theory, mc, 3, 0.03)
