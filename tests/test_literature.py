"""Mei & Montanari's published random-features formula (arXiv:1908.05355, Definition 1 and
Theorem 1), implemented independently in symcollapse.analysis.literature, against the encoded
statement oracles.rf_statement.predict_rf on clean data (p2 = 0, Σ1 = I)."""
import importlib.util
import pathlib
from fractions import Fraction as F

import mpmath as mp
import pytest

from symcollapse.analysis import literature as lit
from symcollapse.core.errors import ConfigError
from oracles.rf_statement import predict_rf
from symcollapse.pencil.gaussian_equivalence import gaussian_equivalence

_spec = importlib.util.spec_from_file_location(
    "literature_mm", pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "literature_mm.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

DPS = 30
TOL = mp.mpf(10) ** -27          # >= 27 matching digits required


@pytest.mark.parametrize("point", bench.POINTS, ids=lambda p: "-".join(map(str, p[:4])))
def test_published_formula_equals_the_statement_on_clean_data(point):
    rel, ours, mm, m = bench.compare(point, DPS)
    assert rel["test_error"] < TOL, rel
    # Same bias/variance split: B multiplies F1² = r², V multiplies τ² = σ1².
    assert rel["bias"] < TOL and rel["variance"] < TOL, rel
    assert ours["zeta"] == 0


def test_the_grid_covers_both_sides_of_one():
    phis = {p[1] for p in bench.POINTS}
    psis = {p[2] for p in bench.POINTS}
    lams = {p[3] for p in bench.POINTS}
    assert min(phis) < 1 < max(phis) and min(psis) < 1 < max(psis)
    assert min(lams) == F(1, 1000) and max(lams) == 1
    assert {p[0] for p in bench.POINTS} == {"relu", "tanh"} and len(bench.POINTS) >= 10


def test_a_wrong_ridge_map_is_detected():
    """Without the factor N/d in their ridge (λ_MM = λ instead of λφ/ψ) the two disagree."""
    cfg = bench.config("relu", F(1, 2), F(3, 2), F(1, 10), F(13, 10), F(1, 2))
    m = lit.from_config(cfg)
    c = lit.activation_constants("relu", DPS)
    wrong = lit.mei_montanari_test_error(m["psi1"], m["psi2"], cfg["lam"], c["mu1"], c["mustar"],
                                         m["F1sq"], m["tau2"], dps=DPS)["risk"]
    right = predict_rf(cfg, dps=DPS)["test_error"]
    assert abs(wrong - right) / right > 1e-3


def test_constants_from_their_definitions_match_the_gaussian_equivalence():
    """μ1 = E[Gσ(G)] (theirs) equals E σ′(G) (the toolkit's), by Stein's lemma."""
    with mp.workdps(DPS):
        for act in ("relu", "tanh"):
            mine, ref = lit.activation_constants(act, DPS), gaussian_equivalence(act, 1)
            assert abs(mine["mu1"] - ref["mu1"]) < TOL
            assert abs(mine["mustar2"] - ref["mustar2"]) < TOL
            assert abs(mine["mu0"]) < TOL
        relu = lit.activation_constants("relu", DPS)
        assert relu["mu1"] == mp.mpf(1) / 2
        assert abs(relu["mustar2"] - (mp.mpf(1) / 4 - 1 / (2 * mp.pi))) < TOL


def test_fixed_point_is_on_the_physical_branch():
    with mp.workdps(DPS):
        psi1, psi2, lambar, zeta = mp.mpf(3), mp.mpf(2), mp.mpf("0.37"), mp.mpf("1.7")
        n1, n2 = lit.mei_montanari_nu(psi1, psi2, lambar, zeta, DPS)
        s = mp.sqrt(psi1 * psi2 * lambar)
        xi = mp.mpc(0, s)
        q = 1 - zeta ** 2 * n1 * n2
        assert abs(n1 - psi1 / (-xi - n2 - zeta ** 2 * n2 / q)) < TOL
        assert abs(n2 - psi2 / (-xi - n1 - zeta ** 2 * n1 / q)) < TOL
        assert n1.imag > 0 and n2.imag > 0
        assert abs(n1) <= psi1 / s and abs(n2) <= psi2 / s


def test_to_config_inverts_from_config():
    cfg = lit.to_config(F(3), F(2), F(1, 30), "tanh", F(13, 10), F(1, 2))
    assert (cfg["phi"], cfg["psi"], cfg["lam"]) == (F(1, 2), F(3, 2), F(1, 10))
    back = lit.from_config(cfg)
    assert (back["psi1"], back["psi2"], back["lam"], back["F1sq"], back["tau2"]) == \
        (F(3), F(2), F(1, 30), F(13, 10), F(1, 4))
    with pytest.raises(ConfigError):
        lit.from_config(dict(cfg, p2=0.1))
    with pytest.raises(ConfigError):
        lit.to_config(F(3), F(2), F(1, 30), "gelu", 1, 0)
