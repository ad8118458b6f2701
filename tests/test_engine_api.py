"""The engine as a user's tool (symcollapse.pencil.derive / solve, docs/engine.md)."""
from fractions import Fraction

import mpmath as mp
import pytest
import sympy as sp

import symcollapse as sc
from symcollapse.core import equations as eq
from symcollapse.core.errors import ConfigError
from symcollapse.pencil import Diag, Gaussian, Identity, Output, derive, inverse, solve
from symcollapse.pencil.operator_valued import derive_system, linear_sources

ISO = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 0}]
A2 = [{"weight": Fraction(1, 2), "s1": 2, "s2": 1, "theta": 1, "delta": Fraction(1, 2)},
      {"weight": Fraction(1, 2), "s1": Fraction(1, 2), "s2": Fraction(3, 2), "theta": Fraction(1, 2),
       "delta": 1}]


def _resolvent():
    X = Gaussian("X1", "n1", "d", covariance=Diag("Sigma1", "d"))
    n1 = sp.Symbol("n1", positive=True)
    return inverse(X.T @ X / n1 + eq.lam * Identity("d"))


@pytest.mark.parametrize("phi, lam", [(Fraction(1, 2), Fraction(1)), (Fraction(2), Fraction(1, 3))])
def test_solve_gives_the_marchenko_pastur_resolvent(phi, lam):
    """tr R at d/n = γ, ridge λ: m = [−(1 − γ + λ) + √((1 − γ + λ)² + 4γλ)]/(2γλ), 30 digits."""
    system = derive(_resolvent(), {"trace": Output()})
    out = solve(system, {"phi": phi, "p2": 0, "lam": lam, "atoms": ISO}, dps=30)
    with mp.workdps(50):
        g, l = mp.mpf(phi.numerator) / phi.denominator, mp.mpf(lam.numerator) / lam.denominator
        m = (-(1 - g + l) + mp.sqrt((1 - g + l) ** 2 + 4 * g * l)) / (2 * g * l)
        assert abs(out["outputs"]["trace"] - m) < mp.mpf(10) ** -29
    assert out["residual"] < mp.mpf(10) ** -30 and set(out["unknowns"]) == {str(x) for x in system.unknowns}


def test_two_sources_share_their_fixed_point():
    """Two sources holding the same resolvent: derive merges the second copy of the fixed
    point (its equations coincide after renaming), the unmerged system has twice the
    unknowns, and both give the same outputs."""
    R = _resolvent()
    outputs = {"a": Output(source="A"), "b": Output(weight=eq.S1, source="B")}
    full = derive_system({"A": R, "B": R}, outputs=outputs)
    merged = derive({"A": R, "B": R}, outputs)
    assert len(full.unknowns) == 2 * len(merged.unknowns)
    cfg = {"phi": Fraction(3, 5), "p2": 0, "lam": Fraction(1, 10), "atoms": A2}
    a, b = solve(merged, cfg)["outputs"], solve(full, cfg)["outputs"]
    with mp.workdps(40):
        assert all(abs(a[k] - b[k]) < mp.mpf(10) ** -30 for k in ("a", "b"))


def test_a_proportional_copy_is_merged_and_explicit_blocks_eliminated():
    """The linear model as two pencils (R and the ζ source Z): Z's copy of the fixed point
    is R's up to the factor p2²/a2² (merged once proved) and Z's other blocks are given
    explicitly by it (eliminated): 4 unknowns instead of 14, and the outputs are predict's
    to 30 digits."""
    src, outputs, probe = linear_sources()
    params = eq.mixture_weights("plain")
    full = derive_system(src, outputs=outputs, params=params, probe=probe)
    kept = derive(src, outputs, params=params, probe=probe)
    assert len(full.unknowns) == 14 and len(kept.unknowns) == 4
    assert "p2**2/a2**2" in kept.note and "eliminated" in kept.note
    cfg = {"phi": Fraction(3, 5), "p2": Fraction(1, 5), "lam": Fraction(1, 10),
           "sigma1": Fraction(1, 2), "sigma2": Fraction(1, 2), "atoms": A2}
    a, ref = solve(kept, cfg)["outputs"], sc.predict(cfg, dps=30)
    with mp.workdps(40):
        for k in ("test_error", "bias", "variance", "zeta"):
            assert abs(a[k] - ref[k]) < 10 * mp.mpf(10) ** -30 * abs(ref["test_error"])


def test_parameters_beyond_the_config_go_in_values():
    kappa = sp.Symbol("kappa", positive=True)
    X = Gaussian("X1", "n1", "d", covariance=Diag("Sigma1", "d"))
    n1 = sp.Symbol("n1", positive=True)
    system = derive(inverse(X.T @ X / n1 + kappa * Identity("d")), {"trace": Output()})
    cfg = {"phi": Fraction(1, 2), "p2": 0, "lam": 1, "atoms": ISO}
    with pytest.raises(ConfigError, match="kappa"):
        solve(system, cfg)
    with pytest.raises(ConfigError, match="not a parameter of the system: allowed kappa"):
        solve(system, cfg, values={"rho": 1})
    a = solve(system, cfg, values={"kappa": 1}, dps=25)["outputs"]["trace"]
    b = solve(derive(_resolvent(), {"trace": Output()}), cfg, dps=25)["outputs"]["trace"]
    assert abs(a - b) < mp.mpf(10) ** -24
    with pytest.raises(ConfigError, match="dps"):
        solve(system, cfg, dps=0)


def test_a_spectrum_on_another_dimension_is_a_law_of_field_values():
    """A Diag on m named after a Field is a spectrum on m: the resolvent of WᵀW/n1 + λ with
    W's covariance Γ on m, Γ's law given to solve, equals the same resolvent posed on d
    with Σ1 of the same law (ratio ψ = φ) to 30 digits; posed together (two sources), the
    atoms are the product of d's atoms and m's law and each trace runs over its own space."""
    gamma = eq.Field("Gamma", positive=True)
    W = Gaussian("W", "n1", "m", covariance=Diag("Gamma", "m"))
    n1 = sp.Symbol("n1", positive=True)
    R_m = inverse(W.T @ W / n1 + eq.lam * Identity("m"))
    law = [(a["weight"], {"Gamma": a["s1"]}) for a in A2]
    cfg = {"phi": Fraction(1, 2), "p2": 0, "lam": Fraction(1, 3), "atoms": A2}
    on_d = solve(derive(_resolvent(), {"trace": Output()}), cfg, dps=30)["outputs"]["trace"]
    on_m = solve(derive(R_m, {"trace": Output()}, diags={"Gamma": gamma}), cfg, dps=30,
                 values={"psi": Fraction(1, 2)}, law=law)
    with mp.workdps(40):
        assert abs(on_m["outputs"]["trace"] - on_d) < mp.mpf(10) ** -29
    both = derive({"d": _resolvent(), "m": R_m},
                  {"on_d": Output(source="d"), "on_m": Output(source="m")}, diags={"Gamma": gamma})
    iso_law = [(Fraction(1, 4), {"Gamma": Fraction(1, 2)}), (Fraction(3, 4), {"Gamma": Fraction(7, 6)})]
    wide = {"psi": Fraction(3, 2)}
    out = solve(both, cfg, dps=30, values=wide, law=iso_law)["outputs"]
    alone = solve(derive(R_m, {"trace": Output()}, diags={"Gamma": gamma}), cfg, dps=30, values=wide,
                  law=iso_law)["outputs"]["trace"]
    with mp.workdps(40):
        assert abs(out["on_d"] - on_d) < mp.mpf(10) ** -29
        assert abs(out["on_m"] - alone) < mp.mpf(10) ** -29
    with pytest.raises(ConfigError, match="law: weights must be positive and sum to 1"):
        solve(both, cfg, values=wide, law=[(Fraction(1, 2), {"Gamma": 1})])


@pytest.fixture
def registered():
    """Register models for one test and remove them afterwards (the registry is global)."""
    from symcollapse.models import base as models
    added = []

    def add(model):
        added.append(models.register(model).name)
        return model
    yield add
    for name in added:
        del models.REGISTRY[name]


def test_a_model_registered_from_its_expressions_goes_through_the_door(registered):
    """A model declared by its expressions alone (a ``sources`` hook, no theory typed): the
    engine derives its system, ``sc.predict`` solves it at λ > 0 and refuses λ = 0 with a
    reason.  Posed with the linear model's expressions it is the linear model, to 30 digits."""
    from symcollapse.models import Model
    registered(Model(name="linear_posed", summary="the linear model's expressions, registered",
                     hooks={"sources": "symcollapse.pencil.operator_valued:linear_sources"}))
    cfg = {"phi": Fraction(1, 2), "p2": Fraction(1, 5), "lam": Fraction(1, 10), "sigma1": Fraction(1, 2),
           "sigma2": Fraction(1, 3), "atoms": A2}
    ours = sc.predict(dict(cfg, model="linear_posed"), dps=30)
    ref = sc.predict(cfg, dps=30)
    for k in ("test_error", "bias", "variance", "zeta"):
        assert mp.nstr(ours[k], 30) == mp.nstr(ref[k], 30)
    assert set(ours["unknowns"]) == {"R_g_n1", "R_g_n2", "R_g_n1_dot", "R_g_n2_dot"}
    with pytest.raises(sc.UnsupportedError, match="ridgeless limit"):
        sc.predict(dict(cfg, model="linear_posed", lam=0), dps=20)
    import numpy as np
    lams = np.array([0.05, 0.1, 0.5])
    ours, ref = (sc.curve(dict(cfg, model=m), wrt="lam", lam=lams) for m in ("linear_posed", "linear"))
    assert np.allclose(ours["test_error"], ref["test_error"], rtol=1e-12, atol=0)
    assert np.allclose(ours["d_test_error"], ref["d_test_error"], rtol=1e-8, atol=0)
