"""The operator-valued step: Dyson equations of linear pencils, solved by the toolkit's
solver, against the hand-written systems of symcollapse.core.equations and sc.predict
(30 digits at 20 random points per model), and the isotropic quadratic."""
import functools
import random
from fractions import Fraction as F

import mpmath as mp
import pytest
import sympy as sp

from oracles import statements as st
import symcollapse as sc
from symcollapse.core import equations as eq
from symcollapse.core.compiled import atoms_mp, compile_system, to_mpf
from symcollapse.pencil.linearization import linearize
from symcollapse.pencil.expr import Diag, Gaussian, Identity, inverse
from symcollapse.pencil.operator_valued import (Output, derive_system, mixture_sources, operator_valued,
                                   time_to_system)
from symcollapse.core.regimes import parameter_values
from symcollapse.core.solve import solve_point
from symcollapse.core.spec import parse

n1, n2, d = sp.symbols("n1 n2 d", positive=True)
S1d, S2d = Diag("Sigma1", "d"), Diag("Sigma2", "d")
X1 = Gaussian("X1", "n1", "d", covariance=S1d)
X2 = Gaussian("X2", "n2", "d", covariance=S2d)
S = Gaussian("S", "m", "d", variance=1 / d)
R = inverse(X1.T @ X1 * (eq.a1 / n1) + X2.T @ X2 * (eq.a2 / n2) + eq.lam * Identity("d"))
RP = inverse((X1 @ S.T).T @ (X1 @ S.T) * (eq.a1 / n1) + (X2 @ S.T).T @ (X2 @ S.T) * (eq.a2 / n2)
             + eq.lam * Identity("m"))
TOL = mp.mpf(10) ** -29
POINTS = 20


def random_configs(model, strategy, seed, isotropic=False, points=POINTS):
    rng = random.Random(seed)

    def rf(lo, hi, den=32):
        return F(rng.randint(int(lo * den), int(hi * den)), den)

    out = []
    for _ in range(points):
        cfg = {"model": model, "strategy": strategy, "phi": rf(0.2, 3), "p2": rf(0.1, 0.9),
               "lam": rf(0.05, 2), "sigma1": rf(0.1, 1), "sigma2": rf(0.1, 1)}
        if strategy == "weighted":
            cfg["alpha"] = rf(0.1, 0.9)
        if model == "random_projection":
            cfg["psi"] = rf(0.2, 3)
        k = 1 if isotropic else rng.randint(1, 3)
        atoms = []
        for _ in range(k):
            s1 = F(1) if isotropic else rf(0.2, 3)
            s2 = F(1) if isotropic else rf(0.2, 3)
            if not isotropic and s1 == s2:
                s2 += F(1, 8)
            atoms.append({"weight": F(1, k), "s1": s1, "s2": s2, "theta": rf(0.1, 2),
                          "delta": rf(0.1, 2)})
        cfg["atoms"] = atoms
        out.append(cfg)
    return out


def solve(system, spec, dps=30):
    c = compile_system(system)
    params = parameter_values(spec)
    with mp.workdps(dps + 15):
        sol = solve_point(c, params, spec.atoms, dps=dps)
        p_mp = [to_mpf(params[s]) for s in c.params]
        outs = c.outputs_mp(sol.x, p_mp, atoms_mp(spec.atoms))
        return dict(zip(c.unknowns, sol.x)), outs


def rel(a, b):
    with mp.workdps(50):
        return abs(a - b) / max(abs(b), mp.mpf(10) ** -40)


@functools.lru_cache(maxsize=None)
def first_order_engine(model, strategy):
    src = R if model == "linear" else RP
    outputs = {"trace": Output()}
    if model == "linear":
        outputs["trace_S1"] = Output(weight=eq.S1)
    return derive_system(src, outputs, params=eq.mixture_weights(strategy))


def reference_first_order(model, strategy):
    first = st.first_order_linear if model == "linear" else st.first_order_projection
    eqs, M, K = first()
    xs = (eq.e1, eq.e2) if model == "linear" else (eq.e1, eq.e2, eq.L_eff)
    guess = {eq.e1: 1, eq.e2: 1, eq.L_eff: eq.lam * eq.phi / eq.psi}
    dens = {"trace_S1": eq.S1 / K, "trace": 1 / K}
    return eq.System("reference", xs, eqs, dens, positive=xs,
                     guess={x: guess[x] for x in xs}).subs(eq.mixture_weights(strategy))


@pytest.mark.parametrize("model, strategy", [("linear", "plain"), ("linear", "weighted"),
                                             ("random_projection", "plain"),
                                             ("random_projection", "weighted")])
def test_first_order_matches_the_hand_written_fixed_point(model, strategy):
    """e_j = p_j x_{n_j}/a_j; projections: L = φ/(ψ x_m); tr(Σ1 R), tr(R) directly."""
    engine = first_order_engine(model, strategy)
    ref = reference_first_order(model, strategy)
    names = {str(x) for x in engine.unknowns}
    assert names == ({"g_n1", "g_n2"} if model == "linear" else {"g_m", "g_n1", "g_n2"})
    worst = mp.mpf(0)
    for cfg in random_configs(model, strategy, seed=len(model) + len(strategy)):
        spec = parse(cfg)
        x, outs = solve(engine, spec)
        xr, outs_r = solve(ref, spec)
        a1v, a2v = ((1 - cfg["p2"], cfg["p2"]) if strategy == "plain"
                    else (cfg["alpha"], 1 - cfg["alpha"]))
        g = {str(k): v for k, v in x.items()}
        with mp.workdps(50):
            e1 = to_mpf(1 - cfg["p2"]) * g["g_n1"] / to_mpf(a1v)
            e2 = to_mpf(cfg["p2"]) * g["g_n2"] / to_mpf(a2v)
            worst = max(worst, rel(e1, xr[eq.e1]), rel(e2, xr[eq.e2]))
            if model == "linear":
                worst = max(worst, rel(outs["trace"], outs_r["trace"]),
                            rel(outs["trace_S1"], outs_r["trace_S1"]))
            else:
                L = to_mpf(cfg["phi"]) / (to_mpf(cfg["psi"]) * g["g_m"])
                worst = max(worst, rel(L, xr[eq.L_eff]), rel(outs["trace"], g["g_m"]))
        print(model, strategy, "worst so far", mp.nstr(worst, 3))
    assert worst < TOL, worst


@functools.lru_cache(maxsize=None)
def error_engine(model, strategy):
    src, outputs, probe = mixture_sources(model)
    return derive_system(src, outputs, params=eq.mixture_weights(strategy), probe=probe)


@pytest.mark.parametrize("model, strategy, isotropic, points", [
    ("linear", "plain", False, POINTS), ("linear", "weighted", False, POINTS),
    ("random_projection", "plain", False, POINTS), ("random_projection", "plain", True, POINTS),
    ("random_projection", "weighted", False, 5)])
def test_second_order_matches_predict(model, strategy, isotropic, points):
    engine = error_engine(model, strategy)
    worst = mp.mpf(0)
    for cfg in random_configs(model, strategy, seed=7 + isotropic, isotropic=isotropic,
                              points=points):
        _, outs = solve(engine, parse(cfg))
        ref = sc.predict(cfg, dps=30)
        for k in ("bias", "variance", "zeta", "test_error"):
            worst = max(worst, rel(outs[k], ref[k]))
    print(model, strategy, isotropic, "worst", mp.nstr(worst, 3))
    assert worst < TOL, worst


def test_isotropic_linear_system_reduces_to_the_quadratic_for_s():
    """One isotropic atom, plain mixing: e1 = e2 = e, k = λ + e (K = k), s = k + φ;
    the engine's equation, with x_{n1} = x_{n2} = e, is s² − (1+λ+φ)s + φ = 0 (×e/s)."""
    system = derive_system(R, {"trace": Output()}, params=eq.mixture_weights("plain"))
    e, s = sp.symbols("e s", positive=True)
    atom = {eq.S1: 1, eq.S2: 1, eq.THETA: 1, eq.DELTA: 1}
    residuals = []
    for res in system.equations:
        res = res.replace(eq.tr, lambda f: f.xreplace(atom)).xreplace(
            {x: e for x in system.unknowns})
        residuals.append(sp.factor(sp.together(res)))
    assert sp.simplify(residuals[0] - residuals[1]) == 0
    num = sp.numer(sp.together(residuals[0]))
    # e = k/s with k = s − φ; λ = k − e ⇒ the residual vanishes iff the quadratic holds
    k = s - eq.phi
    sub = sp.factor(num.subs(eq.lam, k - k / s).subs(e, k / s))
    quad = s ** 2 - (1 + eq.lam + eq.phi) * s + eq.phi
    assert sp.simplify(sub) == 0
    # conversely, eliminating e between the residual and e = k/s gives the quadratic
    lam_of_s = sp.solve(sp.Eq(quad, 0), eq.lam)[0]
    assert sp.simplify(lam_of_s - (k - k / s)) == 0
    # and the density tr(R) = 1/K = 1/(λ + e) = 1/k
    d0 = system.densities["trace"].xreplace(atom).xreplace({x: e for x in system.unknowns})
    assert sp.simplify(d0 - 1 / (eq.lam + e)) == 0


def test_zero_blocks_and_symmetric_pairs():
    """R Σ1 R: the copy's own blocks of L⁻¹ vanish identically and are dropped."""
    fp = operator_valued(linearize(R @ S1d @ R))
    assert fp.zero and all(a <= b for a, b in fp.unknowns)
    assert len(fp.unknowns) == len(fp.equations)


def test_bad_input():
    with pytest.raises(ValueError, match="symmetric"):
        operator_valued(linearize(R @ X1.T, form="general"))
    with pytest.raises(ValueError, match="no ratio"):
        operator_valued(R, ratios={"d": eq.phi})


def test_time_to_system_projections():
    src, outputs, probe = mixture_sources("random_projection")
    cfg = random_configs("random_projection", "plain", seed=3)[0]
    out = time_to_system(src, outputs, params=eq.mixture_weights("plain"), probe=probe,
                         spec=parse(cfg))
    assert out["residual"] < mp.mpf(10) ** -30 and out["total"] > 0
