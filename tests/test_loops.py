"""Self-consuming loops (symcollapse.core.loops, symcollapse.simulation.loops): the config
contract, the OLS anchors exactly, generation 0 as the plain model, exact identities of the
fixed-design moments, and the theory against a Monte Carlo of the actual loop."""
from fractions import Fraction as F

import mpmath as mp
import pytest

import symcollapse as sc
from loop_checks import assert_loop_matches, assert_ridge_tends_to_ridgeless
from symcollapse.core import loops as L
from symcollapse.core.errors import ConfigError, UnsupportedError

ISO = [{"weight": 1, "s1": 1, "theta": 1}]
THREE = [{"weight": F(1, 4), "s1": 3, "theta": 2}, {"weight": F(1, 2), "s1": 1, "theta": 1},
         {"weight": F(1, 4), "s1": F(1, 3), "theta": F(1, 2)}]


def loop(strategy, design, lam, phi=F(1, 2), sigma=1, T=4, atoms=ISO):
    return {"strategy": strategy, "design": design, "phi": phi, "lam": lam, "sigma1": sigma,
            "generations": T, "atoms": atoms}


# ----------------------------------------------------------------------------- contract

@pytest.mark.parametrize("cfg, message", [
    (dict(loop("replace", "fixed", 0), design=None), "design"),
    (dict(loop("replace", "fixed", 0), p2=0), "p2 is not allowed"),
    (dict(loop("replace", "fixed", 0), sigma2=1), "sigma2 is not allowed"),
    (dict(loop("accumulate", "both", 0)), 'design = "both"'),
    (dict(loop("replace", "fixed", 0), atoms=[{"weight": 1, "s1": 1, "s2": 1, "theta": 1}]),
     "atoms[0].s2 is not a known key"),
    ({k: v for k, v in loop("replace", "fresh", 0).items() if k != "generations"},
     "generations is missing"),
    ({"design": "fresh", "phi": 1, "p2": 0, "lam": 1,
      "atoms": [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 0}]},
     'design is not allowed for strategy "plain"'),
])
def test_bad_loop_configs_are_refused_naming_the_key(cfg, message):
    cfg = {k: v for k, v in cfg.items() if v is not None}
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        sc.predict(cfg)


def test_the_loop_spec_round_trips_through_its_config():
    spec = sc.parse(loop("accumulate", "fixed", F(1, 10), atoms=THREE))
    assert sc.parse(spec.to_config()) == spec
    assert all(a.s2 == a.s1 and a.delta == 0 for a in spec.atoms)


def test_an_integer_rank_ratio_is_refused_with_its_reason():
    """Fresh accumulate without a ridge at φ = 3: generation 2's 3n rows equal the rank, its
    minimum-norm variance is infinite; with T < 2 the listed generations are finite and the
    limit is ∞."""
    with pytest.raises(UnsupportedError, match=r"generation 2: its 3n stacked rows equal the rank"):
        sc.predict(loop("accumulate", "fresh", 0, phi=3))
    r = sc.predict(loop("accumulate", "fresh", 0, phi=3, T=1), dps=15)
    assert r["limit"] == mp.inf and all(mp.isfinite(v) for v in r["test_error"])


@pytest.mark.parametrize("phi, atoms", [(F(5, 2), THREE), (F(12, 5), ISO), (F(9, 2), THREE)])
def test_ridgeless_fresh_accumulate_is_the_ridge_loop_as_lam_goes_to_zero(phi, atoms):
    """φ > 2 (the first stacked fits interpolate): the telescoped minimum-norm loop
    (Bias₀ + Σ_k Var(N_k)/(k + 1)) is the λ → 0 limit of the nested-resolvent equivalent
    (core.accumulate), an independent derivation: the gap at every generation falls like λ."""
    assert_ridge_tends_to_ridgeless(loop("accumulate", "fresh", 0, phi=phi, T=4, atoms=atoms))


def test_the_ridgeless_fresh_accumulate_limit_is_its_digamma_tail():
    """φ = 5/2: the limit minus E(40) is the tail σ²(ψ(42) − ψ(42 − φ)) of the fits that no
    longer interpolate (the bookkeeping of the interpolating ones, k = 0, 1)."""
    r = sc.predict(loop("accumulate", "fresh", 0, phi=F(5, 2), sigma=F(3, 2), T=40), dps=30)
    with mp.workdps(40):
        tail = mp.mpf(9) / 4 * (mp.digamma(42) - mp.digamma(42 - mp.mpf(5) / 2))
        assert abs(r["limit"] - r["test_error"][40] - tail) < mp.mpf(10) ** -27
        assert r["bias"][40] == r["bias"][0]


@pytest.mark.parametrize("atoms", [ISO, THREE])
def test_fresh_accumulate_without_ridge_to_30_digits(atoms):
    """σ²Σ_{k≤t} φ/((k+1)(k+1−φ)) exactly, any spectrum; the limit σ²(ψ(1) − ψ(1−φ))."""
    phi, sigma = F(3, 10), F(3, 2)
    r = sc.predict(loop("accumulate", "fresh", 0, phi=phi, sigma=sigma, atoms=atoms), dps=30)
    total = F(0)
    with mp.workdps(40):
        for t in range(5):
            total += sigma ** 2 * phi / ((t + 1) * (t + 1 - phi))
            assert mp.nstr(r["test_error"][t], 30) == mp.nstr(
                mp.mpf(total.numerator) / total.denominator, 30)
        assert r["bias"] == [0] * 5
        limit = mp.mpf(9) / 4 * (mp.digamma(1) - mp.digamma(mp.mpf(7) / 10))
        assert abs(r["limit"] / limit - 1) < mp.mpf(10) ** -28
    fixed = sc.predict(loop("accumulate", "fixed", 0, phi=phi, sigma=sigma, atoms=atoms), dps=30)
    assert all(a < b for a, b in zip(r["test_error"][1:], fixed["test_error"][1:]))


def test_fresh_accumulate_closed_form_in_digamma():
    import sympy as sp
    from symcollapse.analysis import loops as AL
    expr, limit = AL.fresh_accumulate_ols()
    assert limit == -sp.polygamma(0, 1 - sp.Symbol("phi", positive=True)) - sp.EulerGamma
    cfg = loop("accumulate", "fresh", 0, phi=F(1, 2), sigma=1, T=3, atoms=THREE)
    r = sc.predict(cfg, dps=25)
    closed = sc.closed_form(cfg)
    for t in range(4):
        value = sp.N(closed.subs(AL.t, t), 30)
        with mp.workdps(30):
            assert abs(mp.mpf(str(value)) - r["test_error"][t]) < mp.mpf(10) ** -22


def test_deep_random_features_refuse_the_loops():
    extra = {"model": "deep_random_features", "psi1": F(7, 10), "psi2": F(1, 2),
             "activation": "relu"}
    with pytest.raises(UnsupportedError, match="derived for the one-layer models"):
        sc.predict(dict(loop("replace", "fixed", F(1, 10)), **extra))


# ----------------------------------------------------------------------------- exact anchors

@pytest.mark.parametrize("atoms", [ISO, THREE])
@pytest.mark.parametrize("phi", [F(1, 2), F(3, 10)])
def test_ols_anchors_to_30_digits(atoms, phi):
    """OLS (λ = 0, φ < 1): replace E(t) = (t+1)σ²φ/(1−φ), fixed or fresh design, and
    accumulate (fixed) σ²φ/(1−φ)·Σ_{i≤t+1} 1/i², for any spectrum; the limits ∞ and
    (π²/6)σ²φ/(1−φ)."""
    sigma = F(3, 2)
    unit = sigma ** 2 * phi / (1 - phi)
    for strategy, design in (("replace", "fixed"), ("replace", "fresh"), ("accumulate", "fixed")):
        r = sc.predict(loop(strategy, design, 0, phi=phi, sigma=sigma, atoms=atoms), dps=30)
        for t, value in enumerate(r["test_error"]):
            exact = unit * (t + 1 if strategy == "replace" else
                            sum(F(1, i * i) for i in range(1, t + 2)))
            with mp.workdps(30):
                assert mp.nstr(value, 30) == mp.nstr(mp.mpf(exact.numerator) / exact.denominator, 30)
        if strategy == "replace":
            assert r["limit"] == mp.inf
        else:
            with mp.workdps(30):
                assert abs(r["limit"] / (mp.pi ** 2 / 6 * unit.numerator / unit.denominator) - 1) \
                    < mp.mpf(10) ** -28


def test_the_noise_factors_are_the_anchors_series():
    assert L.noise_factor("replace", 5) == [1, 2, 3, 4, 5, 6]
    assert L.noise_factor("accumulate", 3) == [1, F(5, 4), F(49, 36), F(205, 144)]


@pytest.mark.parametrize("strategy, design", [("replace", "fixed"), ("replace", "fresh"),
                                              ("accumulate", "fixed")])
@pytest.mark.parametrize("phi, lam", [(F(1, 2), F(1, 10)), (F(3, 2), F(1, 5)), (F(3, 2), 0)])
def test_generation_zero_is_the_plain_model(strategy, design, phi, lam):
    cfg = loop(strategy, design, lam, phi=phi, atoms=THREE, T=1)
    r = sc.predict(cfg, dps=30)
    plain = sc.predict({"phi": phi, "p2": 0, "lam": lam, "sigma1": 1,
                        "atoms": [dict(a, s2=a["s1"], delta=0) for a in THREE]}, dps=30)
    for part in ("test_error", "bias", "variance"):
        assert mp.nstr(r[part][0], 30) == mp.nstr(plain[part], 30), part


def test_fixed_replace_reaches_its_closed_form_limit():
    """E_∞ = tr(ΘΣ) + σ²φ/(2λ)·(tr Σ − (λ/2)tr(Σ R(λ/2))) — a resolvent at λ/2 — is the
    end of the moment series at λ: at T = 30 it is a_max^{2T} ≈ 1e-24 from it (A's largest
    eigenvalue a_max ≈ 0.4 here)."""
    r = sc.predict(loop("replace", "fixed", 20, atoms=THREE, T=30), dps=25)
    with mp.workdps(40):
        assert abs(r["test_error"][30] / r["limit"] - 1) < mp.mpf(10) ** -18
        assert abs(r["test_error"][10] / r["limit"] - 1) > mp.mpf(10) ** -12   # still moving


def test_fresh_replace_converges_to_its_affine_limit():
    r = sc.predict(loop("replace", "fresh", 1, atoms=THREE, T=200), dps=25)
    with mp.workdps(40):
        assert abs(r["test_error"][-1] / r["limit"] - 1) < mp.mpf(10) ** -18


def test_accumulating_with_ridge_forgets_the_target_slowly():
    """Fixed design, λ > 0: the mean of ŵ_t shrinks like t^(a−1) for each eigenvalue a of A
    and the noise averages away, so E_test → tr(ΘΣ) = ‖w*‖²_Σ, from below here."""
    r = sc.predict(loop("accumulate", "fixed", F(1, 10), sigma=F(1, 10), T=40), dps=20)
    assert r["limit"] == 1
    errors = r["test_error"]
    assert errors[5] < errors[20] < errors[40] < r["limit"]


def test_the_loops_digits_are_confirmed_across_precisions():
    cfg = loop("accumulate", "fixed", F(1, 7), phi=F(3, 2), atoms=THREE, T=8)
    lo, hi = sc.predict(cfg, dps=20), sc.predict(cfg, dps=40)
    with mp.workdps(50):
        for a, b in zip(lo["test_error"] + lo["bias"], hi["test_error"] + hi["bias"]):
            assert mp.nstr(a, 20) == mp.nstr(b, 20)


# ----------------------------------------------------------------------------- Monte Carlo

CASES = [
    ("accumulate", "fresh", 0, F(1, 2), THREE),
    ("replace", "fixed", F(1, 10), F(1, 2), THREE),
    ("replace", "fresh", F(1, 10), F(3, 2), ISO),
    ("accumulate", "fixed", F(1, 5), F(3, 2), THREE),
    ("accumulate", "fixed", 0, F(1, 2), ISO),
    ("accumulate", "fresh", F(1, 10), F(3, 2), THREE),
    ("accumulate", "fresh", F(1, 20), F(1, 2), ISO),
    ("accumulate", "fresh", 0, F(12, 5), THREE),
]


@pytest.mark.parametrize("strategy, design, lam, phi, atoms", CASES)
def test_theory_matches_the_simulated_loop(strategy, design, lam, phi, atoms):
    """Every generation t ≤ 3 within 3 se + 3 % (d = 120: the deterministic equivalents'
    O(1/d) bias; paper_checks/self_consuming_loops.py runs d ≥ 400 at 1.5 %)."""
    cfg = loop(strategy, design, lam, phi=phi, atoms=atoms, T=3)
    theory = sc.predict(cfg, dps=15)
    n = round(120 / phi)
    mc = sc.simulate(cfg, n=n, trials=6, seed=3)
    assert_loop_matches(theory, mc, 3, 0.03)


def test_the_simulated_ols_loop_grows_linearly():
    """A Monte Carlo that ignored the previous model's labels (or reused its noise) would
    not grow by σ²φ/(1−φ) per generation."""
    mc = sc.simulate(loop("replace", "fixed", 0, T=3), n=200, trials=4, seed=1)
    steps = [b - a for a, b in zip(mc["mean"], mc["mean"][1:])]
    assert all(abs(s - 1) < 0.1 for s in steps), steps


# ----------------------------------------------------------------------------- closed forms

def test_kappa_closed_forms_and_limits():
    import sympy as sp

    from symcollapse.analysis import loops as AL
    assert AL.kappa("replace") == (AL.t + 1, sp.oo)
    total, limit = AL.kappa("accumulate")
    assert limit == sp.pi ** 2 / 6
    assert [total.subs(AL.t, n).doit() for n in range(6)] == L.noise_factor("accumulate", 5)


def test_the_ridgeless_closed_form_is_predict():
    import sympy as sp

    from symcollapse.analysis import loops as AL
    for strategy in ("replace", "accumulate"):
        for phi in (F(3, 10), F(5, 2)):
            cfg = loop(strategy, "fixed", 0, phi=phi, sigma=F(1, 2), T=3,
                       atoms=[{"weight": 1, "s1": 2, "theta": F(3, 4)}])
            expr = AL.loop_closed_form(cfg)
            r = sc.predict(cfg, dps=25)
            for t in range(4):
                value = sp.N(expr.subs(AL.t, t).doit(), 30)
                with mp.workdps(30):
                    assert abs(mp.mpf(str(value)) - r["test_error"][t]) < mp.mpf(10) ** -22


def test_the_isotropic_replace_limit_is_predicts():
    import sympy as sp

    from symcollapse.analysis import loops as AL
    from symcollapse.analysis.limits import r2, s_iso
    from symcollapse.core import equations as eq
    compact, root = AL.replace_limit_isotropic()
    for phi, lam, s, th in ((F(1, 2), F(1, 10), 1, 1), (F(5, 2), F(3, 2), F(1, 3), 2)):
        point = {eq.phi: sp.Rational(phi), eq.lam: sp.Rational(lam), s_iso: sp.Rational(s),
                 r2: sp.Rational(th), eq.sigma1: sp.Rational(3, 2)}
        value = sp.N(compact.subs(AL.e_half, root).subs(point), 30)
        r = sc.predict(loop("replace", "fixed", lam, phi=phi, sigma=F(3, 2), T=1,
                            atoms=[{"weight": 1, "s1": s, "theta": th}]), dps=25)
        with mp.workdps(30):
            assert abs(mp.mpf(str(value)) - r["limit"]) < mp.mpf(10) ** -22


def test_doubling_generations():
    """OLS replace doubles at t = 1 (bias 0), accumulate never; ridge replace doubles later
    and a strongly regularized accumulate never."""
    from symcollapse.analysis import loops as AL
    assert AL.doubling_generation(loop("replace", "fixed", 0), 6)[0] == 1
    assert AL.doubling_generation(loop("accumulate", "fixed", 0), 6)[0] is None
    g, errors = AL.doubling_generation(loop("replace", "fixed", F(1, 2), sigma=F(1, 2)), 20)
    assert g is not None and g > 1 and errors[g] >= 2 * errors[0] > errors[g - 1]


# ----------------------------------------------------------------------------- sweeps

def test_a_sweep_over_generations_reads_each_loop_at_its_last_generation():
    cfg = loop("accumulate", "fixed", F(1, 10), T=2, atoms=THREE)
    table = sc.sweep(cfg, {"generations": [1, 3], "phi": [0.5, 1.5]}, dps=20, progress=False)
    assert list(table.columns[-2:]) == ["limit", "status"]
    for _i, row in table.iterrows():
        r = sc.predict(dict(cfg, generations=int(row["generations"]), phi=row["phi"]), dps=20)
        assert row["test_error"] == mp.nstr(r["test_error"][-1], 20, strip_zeros=False)
        assert row["variance"] == mp.nstr(r["variance"][-1], 20, strip_zeros=False)
        assert row["limit"] == mp.nstr(r["limit"], 20, strip_zeros=False)
    floats = sc.sweep(cfg, {"generations": [1, 3], "phi": [0.5, 1.5]}, progress=False)
    assert all(abs(float(a) - b) < 1e-12 * abs(b) for a, b in zip(table["test_error"],
                                                                 floats["test_error"]))
    ols = sc.sweep(loop("replace", "fixed", 0), {"generations": [2]}, progress=False)
    assert ols["test_error"][0] == 3 and ols["limit"][0] == float("inf")


def test_a_simulated_sweep_over_generations():
    cfg = loop("replace", "fixed", 0, T=1)
    table = sc.sweep(dict(cfg, n=100), {"generations": [1, 3]}, method="simulate", trials=3,
                     progress=False)
    assert table["mean"][1] > 1.5 * table["mean"][0]          # 4 units against 2


def test_closed_form_answers_a_ridgeless_loop_in_the_generation():
    import sympy as sp
    from symcollapse.analysis import loops as AL
    phi, sigma = sp.symbols("phi sigma", positive=True)
    cfg = loop("accumulate", "fixed", 0, phi=phi, sigma=sigma, T=1)
    expr = sc.closed_form(cfg)
    assert expr.has(AL.t) and expr == AL.loop_closed_form(cfg)
    half = expr.subs({phi: sp.Rational(1, 2), sigma: 1, AL.t: 1}).doit()
    assert sp.simplify(half - sp.Rational(5, 4)) == 0
    with pytest.raises(UnsupportedError, match="no zeta"):
        sc.closed_form(cfg, "zeta")
    with pytest.raises(UnsupportedError, match="at lam = 0"):
        sc.closed_form(dict(cfg, lam=F(1, 10)))
