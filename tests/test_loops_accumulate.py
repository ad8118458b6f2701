"""Accumulate on a fresh design with a ridge (symcollapse.core.accumulate): generation 0 is
the plain model, the first-order equivalent agrees with free subordination and with an
independent eigen-decomposition, the φ → 0 limit is the deterministic recursion, the
sketch's spectrum has the right derivatives; the loop against its simulation is in
tests/test_loops*.py and paper_checks/self_consuming_loops.py."""
from fractions import Fraction as F

import mpmath as mp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from properties import examples
import symcollapse as sc
from symcollapse.core import accumulate as acc, feature_loops as FL
from symcollapse.core.errors import UnsupportedError

ISO = [{"weight": 1, "s1": 1, "theta": 1}]
THREE = [{"weight": F(1, 4), "s1": 3, "theta": 2}, {"weight": F(1, 2), "s1": 1, "theta": 1},
         {"weight": F(1, 4), "s1": F(1, 3), "theta": F(1, 2)}]


def loop(phi, lam, atoms=THREE, T=3, sigma=1):
    return {"strategy": "accumulate", "design": "fresh", "phi": phi, "lam": lam,
            "sigma1": sigma, "generations": T, "atoms": atoms}


def plain(phi, lam, atoms, sigma=1):
    return {"phi": phi, "lam": lam, "sigma1": sigma, "sigma2": sigma, "p2": 0,
            "atoms": [dict(a, s2=a["s1"], delta=0) for a in atoms]}


def mpf_atoms(atoms):
    return [tuple(mp.mpf(F(a[k]).numerator) / F(a[k]).denominator for k in ("weight", "s1", "theta"))
            for a in atoms]


@pytest.mark.parametrize("phi, lam, atoms", [(F(1, 2), F(1, 10), ISO), (F(3, 2), F(1, 5), THREE),
                                             (F(5, 2), F(1, 50), THREE)])
def test_generation_zero_is_the_plain_model_to_30_digits(phi, lam, atoms):
    r = sc.predict(loop(phi, lam, atoms), dps=30)
    p = sc.predict(plain(phi, lam, atoms), dps=30)
    with mp.workdps(40):
        for part in ("bias", "variance", "test_error"):
            assert mp.nstr(r[part][0], 30) == mp.nstr(p[part], 30), part
    assert r["residual"] < mp.mpf(10) ** -30


def _mp_stieltjes(phi, z):
    """g(z) = τ((Ŝ + z)⁻¹) of a white sample covariance with ratio φ: g(1 + z(1 + φg)) = 1 + φg."""
    return mp.findroot(lambda g: g * (1 + z * (1 + phi * g)) - (1 + phi * g), 1 / (1 + z))


@pytest.mark.parametrize("phi, lam", [(F(1, 2), F(1, 10)), (F(3, 2), F(1, 3))])
def test_the_first_subdiagonal_is_free_subordination(phi, lam):
    r"""Σ = I: [H⁻¹]_{10} = R_0 − λR_1R_0, and given Ŝ_0 the batch Ĝ_1 shifts the resolvent
    of Ŝ_1 = Ŝ_0 + Ĝ_1 at 2λ to one of Ŝ_0 at ω = 2λ + 1/(1 + φτ(R_1)) (Silverstein's
    equivalent with Ŝ_0 deterministic), so Δ_10 = φ[g(λ) − λ(g(λ) − g(ω))/(ω − λ)]: a
    derivation that does not use the pencil's patterns."""
    with mp.workdps(40):
        phi_m, lam_m = mp.mpf(phi.numerator) / phi.denominator, mp.mpf(lam.numerator) / lam.denominator
        fp = acc.fixed_point(acc.AtomSpectrum(phi_m, mpf_atoms(ISO)), lam_m, 2)
        # Ŝ_1/2 is white with ratio φ/2: τ((Ŝ_1 + 2λ)⁻¹) = g_{φ/2}(λ)/2
        tau_R1 = _mp_stieltjes(phi_m / 2, lam_m) / 2
        omega = 2 * lam_m + 1 / (1 + phi_m * tau_R1)
        g_lam, g_omega = _mp_stieltjes(phi_m, lam_m), _mp_stieltjes(phi_m, omega)
        expected = phi_m * (g_lam - lam_m * (g_lam - g_omega) / (omega - lam_m))
        assert abs(fp["Delta"][1][0] - expected) < mp.mpf(10) ** -35
        assert abs(fp["Delta"][1][1] - phi_m * tau_R1) < mp.mpf(10) ** -35


def test_without_data_noise_the_phi_to_zero_limit_is_the_deterministic_recursion():
    r"""φ → 0: Ŝ_k → (k + 1)Σ, so u_t = −(I − Π_{k≤t}(I − λ/(k+1)(Σ + λ)⁻¹))w* and
    Bias_t = tr(ΘΣ(1 − Π_k(1 − λ/((k+1)(Σ+λ))))²); the theory at φ = 10⁻²⁵ agrees to 20 digits."""
    phi, lam, T = F(1, 10 ** 25), F(3, 10), 6
    r = sc.predict(loop(phi, lam, THREE, T=T, sigma=0), dps=25)
    with mp.workdps(40):
        for t in range(T + 1):
            total = mp.mpf(0)
            for w, s, th in mpf_atoms(THREE):
                prod = mp.fprod(1 - lam_frac(lam) / ((k + 1) * (s + lam_frac(lam))) for k in range(t + 1))
                total += w * th * s * (1 - prod) ** 2
            assert abs(r["bias"][t] / total - 1) < mp.mpf(10) ** -20
            assert r["variance"][t] == 0


def lam_frac(lam):
    return mp.mpf(lam.numerator) / lam.denominator


def feature_spectrum(phi, psi, atoms, activation=None):
    cfg = {"model": "random_projection", "strategy": "accumulate", "design": "fresh", "phi": phi,
           "psi": psi, "lam": F(1, 10), "sigma1": 1, "generations": 1, "atoms": atoms}
    if activation:
        cfg.update(model="random_features", activation=activation)
    spec = sc.parse(cfg)
    return acc.FeatureSpectrum(FL.setting(spec, FL.feature_constants(spec)))


@pytest.mark.parametrize("which", ["atoms", "projections", "relu"])
def test_the_subdiagonal_solve_is_the_eigen_decomposition_fixed_point(which):
    """The entry-by-entry solve of Δ satisfies Δ = r∫ωQ̄dν with K by LU and the partial
    fractions from mpmath's eigen-decomposition (``independent_residual``), at L = 6, φ > 1;
    a perturbed entry is seen; the reported ``consistency`` is at the rounding floor."""
    with mp.workdps(40):
        spec_ = {"atoms": lambda: acc.AtomSpectrum(mp.mpf(3) / 2, mpf_atoms(THREE)),
                 "projections": lambda: feature_spectrum(F(3, 2), F(2), THREE),
                 "relu": lambda: feature_spectrum(F(3, 2), F(1, 2), THREE, "relu")}[which]()
        lam = mp.mpf(1) / 7
        fp = acc.fixed_point(spec_, lam, 6)
        assert acc.independent_residual(spec_, lam, fp) < mp.mpf(10) ** -30
        assert acc.consistency(fp, spec_.ratio, lam) < mp.mpf(10) ** -30
        wrong = [row[:] for row in fp["Delta"]]
        wrong[4][1] *= 1 + mp.mpf(10) ** -6
        assert acc.independent_residual(spec_, lam, dict(fp, Delta=wrong)) > mp.mpf(10) ** -12


@pytest.mark.parametrize("activation", [None, "tanh"])
def test_the_sketch_spectrum_has_the_derivatives_it_reports(activation):
    """(ρ', U') of FeatureSpectrum.at (the sketch's implicit derivative) equal mpmath's
    numerical derivatives of ρ and U, and ρ(μ) = tr_m((Ω + μ)⁻¹) decreases from above."""
    with mp.workdps(40):
        sp_ = feature_spectrum(F(1, 2), F(3, 10), THREE, activation)
        for mu in (mp.mpf(1) / 10, mp.mpf(3)):
            rho, drho, U, dU = sp_.at(mu)
            assert abs(drho - mp.diff(lambda x: sp_.at(x)[0], mu)) < mp.mpf(10) ** -25
            assert abs(dU - mp.diff(lambda x: sp_.at(x)[2], mu)) < mp.mpf(10) ** -25
            assert drho < 0 < rho and dU < 0 < U


def test_the_loop_tends_to_the_energy_and_accumulating_beats_replacing():
    """With a ridge, ŵ_t forgets w* slowly (E → tr(ΘΣ) = 1 from below at λ = 4); fresh
    accumulate stays below fresh replace from generation 1 on, at these settings."""
    cfg = loop(F(1, 2), 4, ISO, T=12)
    r = sc.predict(cfg, dps=20)
    assert r["limit"] == 1
    gaps = [1 - e for e in r["test_error"]]
    assert all(a > b > 0 for a, b in zip(gaps[1:], gaps[2:]))
    rep = sc.predict(dict(loop(F(1, 2), F(1, 10), THREE, T=6), strategy="replace"), dps=15)
    acc_ = sc.predict(loop(F(1, 2), F(1, 10), THREE, T=6), dps=15)
    assert all(a < b for a, b in zip(acc_["test_error"][1:], rep["test_error"][1:]))


def test_digits_are_confirmed_across_precisions_and_large_T_is_refused():
    lo, hi = sc.predict(loop(F(3, 2), F(1, 7), THREE, T=5), dps=20), sc.predict(
        loop(F(3, 2), F(1, 7), THREE, T=5), dps=40)
    with mp.workdps(50):
        for a, b in zip(lo["test_error"], hi["test_error"]):
            assert mp.nstr(a, 20) == mp.nstr(b, 20)
    with pytest.raises(UnsupportedError, match=f"up to {acc.MAX_GENERATIONS} generations"):
        sc.predict(loop(F(1, 2), F(1, 10), ISO, T=acc.MAX_GENERATIONS + 1))


# ----------------------------------------------------------------------------- properties

def _spectra():
    atom = st.fixed_dictionaries({"weight": st.integers(1, 4), "s1": st.fractions(F(1, 5), 4),
                                  "theta": st.fractions(F(0), 3)})
    return st.lists(atom, min_size=1, max_size=3).map(
        lambda atoms: [dict(a, weight=F(a["weight"], sum(b["weight"] for b in atoms))) for a in atoms])


@settings(max_examples=examples(25, 2), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(phi=st.fractions(F(1, 10), 4), lam=st.fractions(F(1, 100), 3), atoms=_spectra(),
       model=st.sampled_from(["linear", "random_projection"]), psi=st.fractions(F(1, 10), 4))
def test_every_fresh_accumulate_loop_starts_at_the_plain_model(phi, lam, atoms, model, psi):
    """Random φ, ψ, λ, spectra: generation 0 equals the plain model to 20 digits, every part
    is ≥ 0, and the residual is at the rounding floor."""
    extra = {"model": model, "psi": psi} if model != "linear" else {}
    cfg = dict(loop(phi, lam, atoms, T=2), **extra)
    r = sc.predict(cfg, dps=20)
    p = sc.predict(dict(plain(phi, lam, atoms), **extra), dps=20)
    with mp.workdps(30):
        for part in ("bias", "variance", "test_error"):
            assert mp.nstr(r[part][0], 20) == mp.nstr(p[part], 20), part
            assert all(v >= 0 for v in r[part])
    assert r["residual"] < mp.mpf(10) ** -20


@settings(max_examples=examples(25, 2), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(phi=st.fractions(F(1, 10), 6).filter(lambda x: x.denominator != 1), atoms=_spectra(),
       sigma=st.fractions(F(1, 2), 2))
def test_every_ridgeless_fresh_accumulate_loop_adds_only_noise(phi, atoms, sigma):
    """λ = 0, any non-integer φ: the bias stays Bias₀ and the error grows at every generation
    (each noise term Var(N_k)/(k + 1) > 0), below its limit."""
    r = sc.predict(loop(phi, 0, atoms, T=3, sigma=sigma), dps=20)
    assert r["bias"] == [r["bias"][0]] * 4
    assert all(a < b for a, b in zip(r["test_error"], r["test_error"][1:]))
    assert r["test_error"][-1] < r["limit"]
