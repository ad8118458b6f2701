"""The systems the toolkit solves are derived by the pencil engine from each model's
expressions; here they are checked against the theory's statements typed by hand
(tests/oracles/statements.py) to 30 digits, and the engine's reduction steps are checked to
refuse what they cannot prove."""
import random
from fractions import Fraction as F

import mpmath as mp
import pytest
import sympy as sp

from oracles import statements as st
from symcollapse.core import equations as eq
from symcollapse.core.regimes import model_family
from symcollapse.pencil import api, derived, reduction
from symcollapse.pencil.expr import Diag, Gaussian, Identity, inverse
from symcollapse.pencil.operator_valued import Output, derive_system, mixture_sources

PARTS = ("test_error", "bias", "variance", "zeta")
TRAINING = ("g2", "shrink1", "shrink2", "gap", "df")


def _oracle(model, strategy, training=False):
    if training:
        base = st.linear_training_system() if model == "linear" else st.projection_training_system()
        return base.subs(eq.mixture_weights(strategy))
    return (st.linear_system_of if model == "linear" else st.projection_system_of)(strategy)


def _configs(model, count, seed):
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        atoms = [{"weight": F(1, 3), "s1": F(rng.randint(1, 40), 10), "s2": F(rng.randint(1, 40), 10),
                  "theta": F(rng.randint(0, 20), 10), "delta": F(rng.randint(0, 20), 10)}
                 for _ in range(3)]
        cfg = {"model": model, "phi": F(rng.randint(1, 40), 10), "p2": F(rng.randint(1, 9), 10),
               "lam": F(rng.randint(1, 100), 100), "sigma1": F(rng.randint(0, 10), 10),
               "sigma2": F(rng.randint(0, 10), 10), "atoms": atoms}
        if model == "random_projection":
            cfg["psi"] = F(rng.randint(1, 40), 10)
        if rng.random() < 0.5:
            cfg.update(strategy="weighted", alpha=F(rng.randint(1, 9), 10))
        out.append(cfg)
    return out


@pytest.mark.parametrize("model", ["linear", "random_projection"])
def test_the_derived_systems_are_the_stated_ones_to_30_digits(model):
    """Six random configs per model (plain and weighted, three atoms, λ > 0): every output of
    the derived system, training outputs included, equals the hand-typed statement's to 30
    significant digits."""
    for cfg in _configs(model, 6, seed=19 if model == "linear" else 23):
        strategy = cfg.get("strategy", "plain")
        ours = api.solve(derived.training_system_of(model, strategy), cfg, dps=30)["outputs"]
        theirs = api.solve(_oracle(model, strategy, training=True), cfg, dps=30)["outputs"]
        for k in PARTS + TRAINING:
            assert mp.nstr(ours[k], 30) == mp.nstr(theirs[k], 30), (cfg, k)


def test_the_derived_systems_have_the_stated_size_and_names():
    for model, names in (("linear", "e1 e2 u1 u2"), ("random_projection", "L e1 e2 b u1 u2")):
        system = model_family(model, "plain", ())
        assert sorted(map(str, system.unknowns)) == sorted(names.split())
        assert system.unique_root
    training = model_family("random_projection", "weighted", (), training=True)
    assert {"v1", "v2", "b_2"} <= set(map(str, training.unknowns)) and len(training.unknowns) == 9


def test_the_general_form_is_the_statement_symbolically():
    """With γ_j = a_jφ/p_j the derived first-order equations are e_j(1 + γ_j tr(Σ_jK⁻¹)) − 1
    exactly (the statement of docs/theory/linear.md §1)."""
    system = derived.general_system("linear")
    oracle = st.linear_system()
    for ours, theirs in zip(system.equations[:2], oracle.equations[:2]):
        assert sp.expand(ours - theirs) == 0


def _two_pencils():
    S1 = Diag("Sigma1", "d")
    X = Gaussian("X1", "n1", "d", covariance=S1)
    n1 = sp.Symbol("n1", positive=True)
    R = inverse(X.T @ X / n1 + eq.lam * Identity("d"))
    return {"R": R, "Z": X.T @ X @ R @ X.T @ X / n1 ** 2}


def test_the_reduction_merges_a_copy_and_eliminates_the_explicit_blocks():
    src = _two_pencils()
    outputs = {"trace": Output(weight=eq.S1, source="R"), "shift": Output(weight=eq.DELTA, source="Z")}
    full = derive_system(src, outputs, params={eq.p2: 0})
    reduced = derive_system(src, outputs, params={eq.p2: 0}, reduce=derived.generic_point)
    assert len(reduced.unknowns) == 1 < len(full.unknowns)
    cfg = {"phi": F(3, 5), "p2": 0, "lam": F(1, 7),
           "atoms": [{"weight": F(1, 2), "s1": 2, "s2": 1, "theta": 1, "delta": F(1, 3)},
                     {"weight": F(1, 2), "s1": F(1, 2), "s2": 1, "theta": 1, "delta": 2}]}
    a, b = api.solve(full, cfg, dps=30)["outputs"], api.solve(reduced, cfg, dps=30)["outputs"]
    assert all(mp.nstr(a[k], 30) == mp.nstr(b[k], 30) for k in outputs)


def test_a_ratio_that_is_not_a_proven_proportion_is_not_merged():
    """Two unknowns whose ratio is a monomial at the generic point but whose equations are
    not proportional (here: the second pencil's λ doubled) stay two unknowns."""
    S1 = Diag("Sigma1", "d")
    X = Gaussian("X1", "n1", "d", covariance=S1)
    n1 = sp.Symbol("n1", positive=True)
    src = {"R": inverse(X.T @ X / n1 + eq.lam * Identity("d")),
           "Q": inverse(X.T @ X / n1 + 2 * eq.lam * Identity("d"))}
    outputs = {"r": Output(weight=eq.S1, source="R"), "q": Output(weight=eq.S1, source="Q")}
    reduced = derive_system(src, outputs, params={eq.p2: 0}, reduce=derived.generic_point)
    assert len(reduced.unknowns) == 2


def test_proportionality_is_decided_on_the_equations():
    x, y, k = sp.symbols("x y k", positive=True)
    T = eq.tr(eq.S1 / (x * eq.S1 + eq.lam))
    assert reduction._proportional(2 * (x * T - 1), x * T - 1, (x,))
    assert not reduction._proportional(x * T - 2, x * T - 1, (x,))
    assert not reduction._proportional(x * (x * T - 1), x * T - 1, (x,))


def test_a_change_of_variables_must_name_one_new_unknown():
    system = model_family("linear", "plain", ())
    e1, e2 = eq.e1, eq.e2
    w = sp.Symbol("w", positive=True)
    with pytest.raises(ValueError, match="one new unknown"):
        reduction.change_variables(system, {e1: w * sp.Symbol("z", positive=True)})
    with pytest.raises(ValueError, match="not an unknown"):
        reduction.change_variables(system, {w: e2})
    moved = reduction.change_variables(system, {e1: 2 * w})
    assert w in moved.unknowns and moved.guess[w] == sp.Rational(1, 2)


def test_the_projections_sources_pose_the_stated_model():
    src, outputs, probe = mixture_sources("random_projection")
    assert set(src) == {"R", "Z"} and probe == sp.Symbol("t_probe")


def test_the_traces_hold_only_first_order_unknowns():
    """After :func:`~symcollapse.pencil.derived.split_traces` the rates stand outside the
    traces, as in the statement: each trace depends on the first-order unknowns only."""
    for model, rates in (("linear", {eq.u1, eq.u2, eq.v1, eq.v2}),
                         ("random_projection", {eq.u1, eq.u2, eq.b_rate, eq.v1, eq.v2, eq.b2_rate})):
        system = model_family(model, "weighted", (), training=True)
        traces = set().union(*(sp.sympify(e).atoms(eq.tr) for e in system.equations))
        assert traces and not any(t.free_symbols & rates for t in traces)


def test_a_monomial_ratio_is_merged_only_with_proportional_equations():
    """y = 2x at every point, but y's equation y² = 4φ² is not a multiple of x's x = φ
    (their quotient 4(x + φ) holds x): the proposal is refused and both stay unknowns;
    with y's equation 2y = 4φ it is accepted."""
    x, y = sp.symbols("x y", positive=True)
    point, atoms = {eq.phi: F(1, 3)}, derived.GENERIC_ATOMS

    def system(second):
        return eq.System(name="toy", unknowns=(x, y), equations=(x - eq.phi, second),
                         densities={"o": x + y}, positive=(x, y), guess={x: 1, y: 1})
    kept = reduction.merge_proportional(system(y ** 2 - 4 * eq.phi ** 2), [(x,), (y,)], point, atoms)
    assert kept.unknowns == (x, y)
    merged = reduction.merge_proportional(system(2 * y - 4 * eq.phi), [(x,), (y,)], point, atoms)
    assert merged.unknowns == (x,) and merged.densities["o"] == 3 * x


@pytest.mark.parametrize("strategy", ["plain", "weighted"])
def test_the_iterative_map_is_the_engines_probe_along_any_diagonal(strategy):
    """𝓛[B] of iterative mixing, derived by the engine along a per-coordinate probe B
    (Model.probe_system), equals the statement's map to 30 digits for random B, three
    atoms, plain and weighted generations."""
    import numpy as np

    from symcollapse.core import iterative
    rng = random.Random(7 if strategy == "plain" else 8)
    for cfg in _configs("linear", 3, 11 if strategy == "plain" else 12):
        cfg = {k: v for k, v in cfg.items() if k != "alpha"} | {"strategy": strategy}
        if strategy == "weighted":
            cfg["alpha"] = F(rng.randint(1, 9), 10)
        with mp.workdps(45):
            from symcollapse.core.spec import parse
            c, _regime, _sol = iterative.context(parse(cfg), 30)
            B = np.array([mp.mpf(rng.randint(1, 50)) / 7 for _ in c.w], dtype=object)
            ours, theirs = c.L(B), st.iterative_map(c, B)
            assert all(abs(x - y) <= abs(y) * mp.mpf(10) ** -30 for x, y in zip(ours, theirs))


@pytest.mark.parametrize("model", ["linear", "random_projection"])
def test_df_is_derived_on_the_first_order_solution(model):
    """The model declares df/n = Σ_j p_j(1 − e_j) (docs/theory/training.md); each 1 − e_j is
    replaced by the trace terms of e_j's own derived equation, which gives the statement's
    φ tr(MK⁻¹), M = a₁e₁Σ₁ + a₂e₂Σ₂ (K = M + λ, or M + L for projections); a declared output
    that is not a sum of traces on the first-order solution is refused."""
    base = derived.training_base_system(model)
    first = base.equations[:len(base.unknowns) // 2]
    M = eq.a1 * eq.e1 * eq.S1 + eq.a2 * eq.e2 * eq.S2
    shift = eq.lam if model == "linear" else next(x for x in base.unknowns if str(x) == "L")
    assert sp.cancel(base.densities["df"] - eq.phi * M / (M + shift)) == 0
    with pytest.raises(ValueError, match="not a sum of traces"):
        derived.density_on_shell(sp.sympify("(1 - e1)**2", locals={"e1": eq.e1}), first)
