"""Random features posed through the pencil engine (symcollapse.pencil.random_features):
the probed pencil's blocks, and the engine's System against the encoded statement of
docs/theory/random-features.md (oracles.rf_statement.predict_rf) and, with μ1 = 1, κ = 0, against the
random projections model (sc.predict), to 30 digits (12 random points per activation here;
benchmarks/rf_engine_vs_reference.py runs 20 + 20)."""
import importlib.util
import pathlib

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

import symcollapse as sc
from symcollapse.core.decomposition import derivative
from symcollapse.core.errors import ConfigError, UnsupportedError
from symcollapse.pencil import random_features as rfm
from symcollapse.pencil.linearization import FloatBackend, random_values
from symcollapse.pencil.expr import Diag, Gaussian, Identity, evaluate, inverse
from symcollapse.pencil.operator_valued import d_dim, n1_dim, n2_dim, t_probe
from symcollapse.pencil.gaussian_equivalence import kappa1, kappa2, mu1_1, mu1_2
from symcollapse.core import equations as eq

_path = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "rf_engine_vs_reference.py"
_spec = importlib.util.spec_from_file_location("rf_engine_vs_reference", _path)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)
TOL = mp.mpf(10) ** -30


def test_probed_pencil_blocks_are_the_second_order_matrices():
    """(L⁻¹) blocks of the probed pencil at random values: the identities of the module text."""
    P, outputs = rfm.sources()
    Sig = (Diag("Sigma1", "d"), Diag("Sigma2", "d"))
    X = [Gaussian(f"X{j}", f"n{j}", "d", covariance=Sig[j - 1]) for j in (1, 2)]
    S = Gaussian("S", "m", "d", variance=1 / d_dim)
    F = [(mu1_1, mu1_2)[j] * X[j] @ S.T + sp.sqrt((kappa1, kappa2)[j])
         * Gaussian(f"Z{j + 1}", f"n{j + 1}", "m") for j in (0, 1)]
    c = (eq.a1 / n1_dim, eq.a2 / n2_dim)
    t = t_probe
    Rt = inverse(F[0].T @ F[0] * c[0] + F[1].T @ F[1] * c[1] + eq.lam * Identity("m")
                 + t * (mu1_1 ** 2 * S @ Sig[0] @ S.T + kappa1 * Identity("m")))
    A = F[0].T @ X[0] * c[0] + t * mu1_1 * S @ Sig[0] + F[1].T @ X[1] * c[1]
    E_t = A.T @ Rt @ A - X[0].T @ X[0] * c[0] - X[1].T @ X[1] * c[1] - t * Sig[0]
    A2 = F[1].T @ X[1] * c[1]
    sizes = {"n1": 5, "n2": 6, "d": 7, "m": 8}
    be = FloatBackend()
    vals = random_values([Rt, E_t] + [e for _, e in P.entries], sizes, np.random.default_rng(3), be)
    vals.update({n1_dim: 5, n2_dim: 6, d_dim: 7})
    Li = np.linalg.inv(P.matrix(vals, sizes, be))
    off = np.cumsum([0] + [sizes[b] for b in P.blocks])

    def block(a, b):
        return Li[off[a]:off[a + 1], off[b]:off[b + 1]]

    def value(expr):
        return evaluate(expr, vals, sizes, be)

    def num(x):
        return float(sp.sympify(x).xreplace({k: v for k, v in vals.items()
                                            if isinstance(k, sp.Symbol)}))

    bias = sum(num(-o.scale) * block(*o.blocks) for o in outputs["bias"])   # ∂_t of −this
    assert np.abs(bias - value(E_t)).max() < 1e-9
    zeta = outputs["zeta"]
    assert np.abs(num(-zeta.scale) * block(*zeta.blocks)
                  - value(A2.T @ Rt @ A2 - X[1].T @ X[1] * c[1])).max() < 1e-9
    for o, Fj, cj in zip(outputs["variance"], F, c):
        expected = value(Fj @ Rt @ Fj.T - Identity(Fj.rows) / cj)
        assert np.abs(block(*o.blocks) - expected).max() < 1e-9
    assert np.abs(block(P.row, P.row) - value(Rt)).max() < 1e-12


@pytest.mark.parametrize("activation, seed", [("relu", 1), ("tanh", 2)])
def test_engine_matches_the_statement_to_30_digits(activation, seed):
    worst = bench.worst_against_reference(bench.random_configs(activation, seed, 12), dps=30)
    print(activation, {k: mp.nstr(v, 3) for k, v in worst.items()})
    assert all(v < TOL for v in worst.values()), worst


def test_linear_activation_is_the_projections_model():
    worst = bench.worst_against_projections(bench.random_configs("relu", 3, 6), dps=40)
    assert all(v < TOL for v in worst.values()), worst


def test_the_comparison_can_fail():
    """Without μ* (κ = 0) the engine's E_test is not the statement's."""
    assert bench.worst_without_mu_star(bench.random_configs("tanh", 2, 3), dps=20) > 1e-3


def test_system_shape_and_finite_at_p2_zero():
    s = rfm.system()
    assert [str(x) for x in s.unknowns] == ["g_m", "g_n1", "g_n2", "g_m_dot", "g_n1_dot",
                                           "g_n2_dot"]
    cfg = dict(bench.random_configs("relu", 5, 1)[0], p2=0)
    out = rfm.predict(cfg)
    assert out["zeta"] == 0 and out["residual"] < TOL and out["regime"]


def test_bad_input():
    cfg = bench.random_configs("relu", 6, 1)[0]
    with pytest.raises(ConfigError, match="random_features"):
        rfm.predict({k: v for k, v in cfg.items() if k not in ("activation", "psi")}
                    | {"model": "linear"})
    with pytest.raises(UnsupportedError, match="plain"):
        rfm.predict(dict(cfg, lam=0))
    with pytest.raises(ConfigError, match="dps"):
        rfm.predict(cfg, dps=0)


def test_predict_is_the_engine_solve_through_the_common_door():
    """sc.predict answers random features through the regime path (confirmed digits); it
    equals the engine's own solve and the encoded statement to 30 digits (each is rounded
    to 30 digits: two roundings apart by up to 1e-29 relative)."""
    import symcollapse as sc
    from oracles import rf_statement as rf_reference
    for cfg in bench.random_configs("tanh", 11, 2) + bench.random_configs("relu", 12, 2):
        a, b, c = sc.predict(cfg, dps=30), rfm.predict(cfg, dps=30), rf_reference.predict_rf(cfg, dps=30)
        assert a["regime"] == "random_features/ridge"
        with mp.workdps(40):
            for k in ("test_error", "bias", "variance", "zeta"):
                assert abs(a[k] - b[k]) <= 10 * TOL * abs(b["test_error"]), k
                assert abs(a[k] - c[k]) <= 10 * TOL * abs(b["test_error"]), k


def test_curve_and_derivative_of_random_features():
    """The float64 curve agrees with predict (1e-11), and the implicit-function derivative
    with a central difference of 30-digit predictions (step 1e-10: truncation and rounding
    ~1e-20; 1e-17 catches Gaussian-equivalence constants frozen at 15 digits)."""
    from fractions import Fraction
    import symcollapse as sc
    from symcollapse.core.decomposition import derivative
    cfg = dict(bench.random_configs("relu", 13, 1)[0])
    lams = [float(cfg["lam"]) * f for f in (0.5, 1, 3)]
    cv = sc.curve(cfg, lam=lams)
    for i, lam in enumerate(lams):
        exact = float(sc.predict(dict(cfg, lam=lam), dps=20)["test_error"])
        assert cv["status"][i] == "ok" and abs(cv["test_error"][i] - exact) <= 1e-11 * exact
    h = Fraction(1, 10 ** 10)
    for wrt in ("lam", "psi", "phi", "p2"):
        d = derivative(cfg, wrt, dps=25)["test_error"]
        v = Fraction(cfg[wrt])
        up = sc.predict(dict(cfg, **{wrt: v + h}), dps=30)["test_error"]
        dn = sc.predict(dict(cfg, **{wrt: v - h}), dps=30)["test_error"]
        with mp.workdps(40):
            fd = (up - dn) / (2 * mp.mpf(h.numerator) / h.denominator)
            assert abs(d - fd) <= mp.mpf(10) ** -17 * (1 + abs(fd)), (wrt, d, fd)


@pytest.mark.slow
@pytest.mark.parametrize("activation, alpha, psi", [("relu", 0.8, 1.4), ("tanh", 0.3, 0.7)])
def test_weighted_random_features_against_monte_carlo(activation, alpha, psi):
    """Weighted mixing of random features (the engine's system with a1 = α, a2 = 1 − α)
    against the exact conditional expectation of the nonlinear model at n = 600 (d = 300,
    m = 420 or 840), every part within 3 se + 1 % (finite-size allowance at d = 300; measured
    gaps at this seed: at most 0.80 % with se 0.15 %, the relu variance)."""
    import symcollapse as sc
    cfg = {"model": "random_features", "activation": activation, "psi": psi, "phi": 0.5,
           "p2": 0.4, "lam": 0.05, "sigma1": 0.5, "sigma2": 0.3, "strategy": "weighted",
           "alpha": alpha,
           "atoms": [{"weight": 0.5, "s1": 2, "s2": 1, "theta": 1, "delta": 0.5},
                     {"weight": 0.5, "s1": 0.5, "s2": 1.5, "theta": 0.5, "delta": 1}]}
    th = sc.predict(cfg, dps=20)
    assert th["regime"] == "random_features/ridge/weighted"
    mc = sc.simulate(cfg, n=600, trials=6, seed=11)["conditional"]
    for k in ("test_error", "bias", "variance", "zeta"):
        t, m = float(th[k]), mc[k]
        assert abs(m["mean"] - t) <= 3 * m["se"] + 0.01 * t, (k, t, m)
    plain = sc.predict({k: v for k, v in cfg.items() if k not in ("strategy", "alpha")}, dps=20)
    assert abs(th["test_error"] - plain["test_error"]) > 1e-3     # alpha != p1: the weight matters


@pytest.mark.slow
def test_limits_of_random_features():
    """p2 → 0 and n → ∞ (ψ = ρφ) of random features through the same expansion systems as
    every model: the value at τ = 0 is predict's at the limit point (ζ = 0 without
    synthetic data), and predict along τ = 10^-k approaches value + slope·τ at orders 1, 2."""
    import symcollapse as sc
    from symcollapse.analysis import limits
    cfg = {"model": "random_features", "activation": "relu", "psi": 0.7, "phi": 0.5, "p2": 0.3,
           "lam": 0.1, "sigma1": 0.5, "sigma2": 0.2,
           "atoms": [{"weight": 0.5, "s1": 2, "s2": 1, "theta": 1, "delta": 0.5},
                     {"weight": 0.5, "s1": 0.5, "s2": 1.5, "theta": 0.5, "delta": 1}]}
    e = limits.expand("p2->0", cfg, dps=25)
    at0 = sc.predict(dict(cfg, p2=0), dps=25)
    with mp.workdps(30):
        assert abs(e["value"]["zeta"]) < mp.mpf(10) ** -24
        assert abs(e["value"]["test_error"] - at0["test_error"]) < mp.mpf(10) ** -22
    for name in ("p2->0", "n->oo"):
        r = limits.confirm(name, cfg, exponents=(4, 5, 6), dps=25)
        assert abs(r["order"] - 1) < 1e-3 and abs(r["remainder_order"] - 2) < 2e-2, (name, r)


def test_certify_random_features_with_relu_and_refuse_tanh():
    """ReLU's Gaussian-equivalence constants are closed forms (μ1 = 1/2, μ*² = τ²(π − 2)/(4π))
    enclosed in proven balls, so the Krawczyk test certifies random features; the enclosure
    contains a 60-digit solve.  tanh's come from quadrature: refused with the reason."""
    import symcollapse as sc
    cfg = dict(bench.random_configs("relu", 14, 1)[0])
    r = sc.predict(cfg, dps=30, certify=True)
    hi = sc.predict(cfg, dps=60)
    for k in ("test_error", "bias", "variance", "zeta"):
        iv = r["certified"][k]
        assert iv["digits"] >= 28
        with mp.workdps(70):
            assert iv["lower"] <= hi[k] <= iv["upper"], k
    with pytest.raises(UnsupportedError, match="tanh are computed by quadrature"):
        sc.predict(dict(bench.random_configs("tanh", 14, 1)[0]), dps=20, certify=True)


def test_relu_balls_come_from_the_derived_closed_forms():
    """The proven balls of ReLU's constants are SymPy's closed forms (_relu_constants)
    evaluated in ball arithmetic when used: at 300 bits, for tr Σ = 1/3 (not a binary
    number), they contain the 80-digit values with radius below 1e-85."""
    from fractions import Fraction
    from flint import ctx
    from symcollapse.pencil import gaussian_equivalence as G
    old, ctx.prec = ctx.prec, 300
    try:
        mu1, mustar2 = (f() for f in G._relu_balls(Fraction(1, 3)))
        with mp.workdps(90):
            ge = G.gaussian_equivalence("relu", Fraction(1, 3))
            for ball, v in ((mu1, ge["mu1"]), (mustar2, ge["mustar2"])):
                mid = mp.mpf(ball.mid().str(90, radius=False, more=True))
                assert float(ball.rad()) < 1e-85 and abs(mid - v) < mp.mpf(10) ** -80
    finally:
        ctx.prec = old
    with pytest.raises(TypeError, match="cannot enclose"):
        G.arb_value(sp.exp(sp.Symbol("x")), {})


@pytest.mark.parametrize("alpha,near", [(1, 1 - 1e-12), (0, 1e-12)])
def test_weighted_ends_are_one_group_alone_with_chained_derivatives(alpha, near):
    """α ∈ {0, 1}: one group's rows alone (the plain mixture with φ, ψ divided by p_j); the
    weighted system at α 1e-12 inside agrees, and so do the derivatives in φ, ψ, p2, λ that
    the ends take by the chain rule through φ/p_j, ψ/p_j (with p2 = 1 − α fixed there);
    d/dα at an end is refused with its reason."""
    cfg = dict(bench.random_configs("relu", 7, 1)[0], strategy="weighted", alpha=alpha, p2=0.3)
    end, inside = sc.predict(cfg), sc.predict(dict(cfg, alpha=near))
    assert end["regime"].endswith(f"alpha={alpha}")
    for k in ("test_error", "bias", "variance", "zeta"):
        assert abs(end[k] - inside[k]) <= 1e-9 * end["test_error"], k
    for key in ("phi", "psi", "p2", "lam"):
        d_end, d_in = derivative(cfg, key), derivative(dict(cfg, alpha=near), key)
        assert abs(d_end["test_error"] - d_in["test_error"]) <= 1e-8 * (1 + abs(d_in["test_error"])), key
    with pytest.raises(UnsupportedError, match="taken at 0 < alpha < 1"):
        derivative(cfg, "alpha")


def test_all_real_or_all_synthetic_plain_mixtures():
    """p2 ∈ {0, 1} with plain mixing: the absent group's unknowns drop out; the values are the
    limits from inside."""
    cfg = bench.random_configs("tanh", 8, 1)[0]
    for p2, near in ((0, 1e-12), (1, 1 - 1e-12)):
        at, inside = sc.predict(dict(cfg, p2=p2)), sc.predict(dict(cfg, p2=near))
        assert abs(at["test_error"] - inside["test_error"]) <= 1e-9 * at["test_error"], p2
