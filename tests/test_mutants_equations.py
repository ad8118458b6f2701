"""The symbolic systems of ``symcollapse.core.equations``, checked exactly (found by mutation testing).

Every derived system is compared with the equations written out by hand from the
theory (docs/theory/linear.md §1, docs/theory/projections.md, docs/theory/training.md): both sides are
evaluated in exact rational arithmetic on a two-atom spectrum at generic rational values
of every parameter and unknown, the traces being summed independently of the module
(:func:`value`).  SymPy caches function evaluations, so each test starts from an empty
cache and computes its traces afresh.
"""
from fractions import Fraction as F

import pytest
import sympy as sp

from oracles import statements as st
from symcollapse.core import equations as eq
from symcollapse.core.spec import Atom

R = sp.Rational
ATOMS = (Atom(F(1, 4), 2, 1, 3, 5), Atom(F(3, 4), F(1, 2), 3, 2, 7))

#: generic exact values of every parameter and unknown
VALS = {eq.phi: R(3, 7), eq.psi: R(5, 11), eq.p2: R(2, 9), eq.lam: R(1, 5),
        eq.sigma1: R(2, 3), eq.sigma2: R(3, 4), eq.alpha: R(3, 10),
        eq.a1: R(2, 5), eq.a2: R(5, 7), eq.gamma1: R(4, 3), eq.gamma2: R(6, 5),
        eq.e1: R(3, 8), eq.e2: R(5, 13), eq.u1: R(7, 3), eq.u2: R(-2, 7),
        eq.L_eff: R(3, 17), eq.b_rate: R(5, 19), eq.v1: R(-4, 9), eq.v2: R(9, 11),
        eq.b2_rate: R(-3, 23)}
V = {str(k): v for k, v in VALS.items()}
V["L"] = VALS[eq.L_eff]
V["b"] = VALS[eq.b_rate]
V["b_2"] = VALS[eq.b2_rate]
EPS1, EPS2 = sp.Symbol("epsilon1", positive=True), sp.Symbol("epsilon2", positive=True)
V["epsilon1"], V["epsilon2"] = R(11, 6), R(7, 10)


@pytest.fixture(autouse=True)
def fresh_sympy_cache():
    sp.core.cache.clear_cache()
    yield


def atom_subs(a):
    return {eq.S1: sp.sympify(a.s1), eq.S2: sp.sympify(a.s2), eq.THETA: sp.sympify(a.theta),
            eq.DELTA: sp.sympify(a.delta)}


def value(expr, extra=None):
    """Exact value of an expression with traces: each trace summed over ATOMS, every
    symbol by its name in V (``extra`` overrides)."""
    vals = dict(V, **(extra or {}))

    def total(f):
        return sp.Add(*[R(a.weight) * f.xreplace(atom_subs(a)) for a in ATOMS])

    out = sp.sympify(expr).replace(eq.tr, total)
    out = out.xreplace({s: vals[s.name] for s in out.free_symbols})
    assert not out.free_symbols
    return sp.simplify(out)


def density_values(expr, extra=None):
    """Per-atom exact values of a density."""
    vals = dict(V, **(extra or {}))
    out = []
    for a in ATOMS:
        d = sp.sympify(expr).xreplace(atom_subs(a))
        d = d.xreplace({s: vals[s.name] for s in d.free_symbols})
        assert not d.free_symbols
        out.append(sp.simplify(d))
    return out


def T(f):
    """tr f for f a Python function of an atom (exact, independent of the module)."""
    return sum((R(a.weight) * f(a) for a in ATOMS), R(0))


def at(name):
    return V[name]


def linear_system_fresh():
    return st.mixture_system("linear", st.first_order_linear, (eq.e1, eq.e2), (eq.u1, eq.u2),
                             guess={eq.e1: 1, eq.e2: 1, eq.u1: 0, eq.u2: 0}, note="lin")


def projection_system_fresh():
    return st.mixture_system("random_projection", st.first_order_projection,
                             (eq.e1, eq.e2, eq.L_eff), (eq.u1, eq.u2, eq.b_rate),
                             guess={eq.e1: 1, eq.e2: 1, eq.L_eff: eq.lam * eq.phi / eq.psi,
                                    eq.u1: 0, eq.u2: 0, eq.b_rate: 0}, note="rp")


# ----------------------------------------------------------------------------- closed forms

def linear_expected(rates=("u1", "u2"), probe="s1"):
    a1, a2, g1, g2, e1, e2, lam = (at(k) for k in ("a1", "a2", "gamma1", "gamma2", "e1", "e2",
                                                    "lambda"))
    r1, r2 = at(rates[0]), at(rates[1])

    def K(a):
        return a1 * e1 * a.s1 + a2 * e2 * a.s2 + lam

    def dM(a):
        return a1 * r1 * a.s1 + a2 * r2 * a.s2 + getattr(a, probe)

    eqs = [e1 * (1 + g1 * T(lambda a: a.s1 / K(a))) - 1,
           e2 * (1 + g2 * T(lambda a: a.s2 / K(a))) - 1,
           r1 * (1 + g1 * T(lambda a: a.s1 / K(a))) - e1 * g1 * T(lambda a: a.s1 * dM(a) / K(a) ** 2),
           r2 * (1 + g2 * T(lambda a: a.s2 / K(a))) - e2 * g2 * T(lambda a: a.s2 * dM(a) / K(a) ** 2)]
    return eqs, K, dM


def test_linear_system_equations_are_the_theorem_and_its_derivative():
    system = linear_system_fresh()
    assert system.unknowns == (eq.e1, eq.e2, eq.u1, eq.u2)
    assert system.positive == (eq.e1, eq.e2)
    assert system.name == "linear" and system.note == "lin"
    assert system.guess == {eq.e1: 1, eq.e2: 1, eq.u1: 0, eq.u2: 0}
    want, _, _ = linear_expected()
    assert [value(e) for e in system.equations] == want


def test_linear_system_error_functional_per_atom():
    system = linear_system_fresh()
    a1, a2, e1, e2, lam, u1, u2, s1, s2 = (at(k) for k in ("a1", "a2", "e1", "e2", "lambda",
                                                          "u1", "u2", "sigma1", "sigma2"))
    _, K, dM = linear_expected()
    bias = [lam ** 2 * R(a.theta) * dM(a) / K(a) ** 2 for a in ATOMS]
    var = a1 * s1 ** 2 * u1 + a2 * s2 ** 2 * u2
    zeta = [a2 ** 2 * e2 ** 2 * R(a.delta) * R(a.s2) ** 2 * (1 + a1 * u1) * a.s1 / K(a) ** 2
            + a2 * u2 * R(a.delta) * a.s2 * (a1 * e1 * a.s1 + lam) ** 2 / K(a) ** 2 for a in ATOMS]
    assert set(system.densities) == {"bias", "variance", "zeta", "test_error"}
    assert density_values(system.densities["bias"]) == bias
    assert density_values(system.densities["variance"]) == [var, var]
    assert density_values(system.densities["zeta"]) == zeta
    assert density_values(system.densities["test_error"]) == [b + var + z for b, z in zip(bias, zeta)]


def projection_expected(rates=("u1", "u2", "b"), probe="s1"):
    a1, a2, g1, g2, e1, e2, L, lam, phi, psi = (
        at(k) for k in ("a1", "a2", "gamma1", "gamma2", "e1", "e2", "L", "lambda", "phi", "psi"))
    r1, r2, rb = (at(k) for k in rates)

    def M(a):
        return a1 * e1 * a.s1 + a2 * e2 * a.s2

    def K(a):
        return M(a) + L

    def dM(a):
        return a1 * r1 * a.s1 + a2 * r2 * a.s2 + getattr(a, probe)

    def dK(a):
        return dM(a) + rb

    eqs = [e1 * (1 + g1 * T(lambda a: a.s1 / K(a))) - 1,
           e2 * (1 + g2 * T(lambda a: a.s2 / K(a))) - 1,
           L * (psi / phi - T(lambda a: M(a) / K(a))) - lam,
           r1 * (1 + g1 * T(lambda a: a.s1 / K(a))) - e1 * g1 * T(lambda a: a.s1 * dK(a) / K(a) ** 2),
           r2 * (1 + g2 * T(lambda a: a.s2 / K(a))) - e2 * g2 * T(lambda a: a.s2 * dK(a) / K(a) ** 2),
           rb * (psi / phi - T(lambda a: M(a) / K(a)))
           - L * T(lambda a: (dM(a) * K(a) - M(a) * dK(a)) / K(a) ** 2)]
    return eqs, M, K, dM, dK


def test_projection_system_equations_and_error_functional():
    system = projection_system_fresh()
    assert system.unknowns == (eq.e1, eq.e2, eq.L_eff, eq.u1, eq.u2, eq.b_rate)
    assert system.positive == (eq.e1, eq.e2, eq.L_eff)
    want, M, K, dM, dK = projection_expected()
    assert [value(e) for e in system.equations] == want
    a2, e2, u2, L, b = (at(k) for k in ("a2", "e2", "u2", "L", "b"))
    # docs/theory/projections.md: Bias = L² tr(Θ Σ1eff K⁻²) + b tr(Θ M² K⁻²)
    bias = [R(a.theta) * (L ** 2 * dM(a) + b * M(a) ** 2) / K(a) ** 2 for a in ATOMS]
    zeta = [a2 ** 2 * e2 ** 2 * R(a.delta) * R(a.s2) ** 2 * dK(a) / K(a) ** 2
            + a2 * u2 * (R(a.delta) * a.s2 - 2 * a2 * e2 * R(a.delta) * R(a.s2) ** 2 / K(a))
            for a in ATOMS]
    assert density_values(system.densities["bias"]) == bias
    assert density_values(system.densities["zeta"]) == zeta


@pytest.mark.parametrize("model", ["linear", "random_projection"])
def test_training_system_adds_g2_shrinks_and_df(model):
    if model == "linear":
        base = linear_system_fresh()
        system = st.training_system_of(base, st.first_order_linear, (eq.e1, eq.e2),
                                       (eq.v1, eq.v2))
        rates = (eq.v1, eq.v2)
        eqs, K, dM2 = linear_expected(("v1", "v2"), "s2")
        want_b = eqs[2:]
        dK2 = dM2

        def M(a):
            return K(a) - at("lambda")
    else:
        base = projection_system_fresh()
        system = st.training_system_of(base, st.first_order_projection,
                                       (eq.e1, eq.e2, eq.L_eff), (eq.v1, eq.v2, eq.b2_rate))
        rates = (eq.v1, eq.v2, eq.b2_rate)
        eqs, M, K, dM2, dK2 = projection_expected(("v1", "v2", "b_2"), "s2")
        want_b = eqs[3:]
    assert system.name == base.name + "/training"
    assert system.unknowns == base.unknowns + rates
    assert system.equations[:len(base.equations)] == base.equations
    assert [value(e) for e in system.equations[len(base.equations):]] == want_b
    assert system.guess == {**base.guess, **{r: 0 for r in rates}}
    assert system.note == base.note + "; training error of docs/theory/training.md (G2 derived along Σ2)"
    assert system.positive == base.positive
    for k in base.densities:
        assert system.densities[k] == base.densities[k]
    # 1 − df/n, computed without the subtraction: Σ_j (a_j φ/γ_j) e_j (= p1 e1 + p2 e2)
    assert value(system.densities["gap"]) == (
        at("a1") * at("phi") / at("gamma1") * at("e1")
        + at("a2") * at("phi") / at("gamma2") * at("e2"))
    a1, a2, e1, e2, v1, v2, s1, s2, phi = (at(k) for k in ("a1", "a2", "e1", "e2", "v1", "v2",
                                                         "sigma1", "sigma2", "phi"))
    g2 = [R(a.theta) * (dM2(a) - 2 * M(a) * dM2(a) / K(a) + M(a) ** 2 * dK2(a) / K(a) ** 2)
          + a1 * s1 ** 2 * v1 + a2 * s2 ** 2 * v2
          + a2 ** 2 * e2 ** 2 * R(a.delta) * R(a.s2) ** 2 * dK2(a) / K(a) ** 2
          + a2 * v2 * (R(a.delta) * a.s2 - 2 * a2 * e2 * R(a.delta) * R(a.s2) ** 2 / K(a))
          + R(a.delta) * a.s2 - 2 * a2 * e2 * R(a.delta) * R(a.s2) ** 2 / K(a) for a in ATOMS]
    assert density_values(system.densities["g2"]) == g2
    assert density_values(system.densities["shrink1"]) == [e1 ** 2] * 2
    assert density_values(system.densities["shrink2"]) == [e2 ** 2] * 2
    assert density_values(system.densities["df"]) == [phi * M(a) / K(a) for a in ATOMS]


def test_differentiate_along_returns_the_resolvent_derivative_and_effective_probe():
    out, L_A, dM = st.differentiate_along(st.first_order_linear, (eq.e1, eq.e2),
                                          (eq.u1, eq.u2), eq.S2)
    eqs, K, dMf = linear_expected(probe="s2")
    assert [value(e) for e in out] == eqs[2:]
    assert density_values(dM) == [dMf(a) for a in ATOMS]
    assert density_values(L_A) == [dMf(a) / K(a) ** 2 for a in ATOMS]


# ----------------------------------------------------------------------------- compact ζ

def test_compact_zeta_density_is_equal_and_refuses_a_non_affine_density():
    x, r = sp.symbols("x r", positive=True)
    dens = x ** 2 - 2 * x + 1 + r * (x ** 2 + 2 * x + 1)
    out = st.compact_zeta_density(dens, r)
    assert sp.expand(out - dens) == 0
    # both parts come back factored: every term a product of non-negative factors
    assert out == (x - 1) ** 2 + r * (x + 1) ** 2
    with pytest.raises(AssertionError, match="^the ζ density is not affine in the rate$"):
        st.compact_zeta_density(r ** 2 * x, r)


def test_compact_zeta_of_the_linear_model_has_non_negative_terms():
    system = linear_system_fresh()
    zeta = system.densities["zeta"]
    a1, a2, e1, e2, lam, u1, u2 = (eq.a1, eq.a2, eq.e1, eq.e2, eq.lam, eq.u1, eq.u2)
    K = a1 * e1 * eq.S1 + a2 * e2 * eq.S2 + lam
    # the u2 term is a2 u2 Δ Σ2 (a1 e1 Σ1 + λ)² / K², no minus sign anywhere
    slope = sp.diff(zeta, u2)
    assert sp.simplify(slope - a2 * eq.DELTA * eq.S2 * (a1 * e1 * eq.S1 + lam) ** 2 / K ** 2) == 0
    assert all(not t.could_extract_minus_sign() for t in sp.Add.make_args(sp.expand_mul(zeta)))


# ----------------------------------------------------------------------------- traces

def test_trace_evaluation_rules():
    x = sp.Symbol("x")
    prod = eq.tr(eq.S1 * eq.S2)
    assert isinstance(prod, eq.tr) and prod.args == (eq.S1 * eq.S2,)
    two = eq.tr(2 * x * eq.S1)
    assert two == 2 * x * eq.tr(eq.S1) and two.args == (2 * x, eq.tr(eq.S1)) or \
        set(two.args) == {2, x, eq.tr(eq.S1)}
    s = eq.tr(eq.S1 + eq.S2 + x)
    assert s == eq.tr(eq.S1) + eq.tr(eq.S2) + x
    assert eq.tr(eq.S1 / (x * eq.S1 + 1)).args == (eq.S1 / (x * eq.S1 + 1),)
    assert eq.tr(3) == 3 and eq.tr(x ** 2) == x ** 2
    assert sp.diff(eq.tr(eq.S1 * x ** 2 + eq.S2 * x), x) == 2 * x * eq.tr(eq.S1) + eq.tr(eq.S2)
    assert sp.latex(eq.tr(eq.S1 ** 2)) == r"\operatorname{tr}\left(\Sigma_{1}^{2}\right)"


def test_traces_in():
    x = sp.Symbol("x")
    e = x * eq.tr(eq.S1 * eq.S2) + eq.tr(eq.S2 ** 2) + 1
    assert eq.traces_in(e) == {eq.tr(eq.S1 * eq.S2), eq.tr(eq.S2 ** 2)}
    assert eq.traces_in(3) == set()


def test_atom_values_are_exact_sympy_numbers():
    vals = eq.atom_values(Atom(F(1, 3), F(2, 3), 4, F(5, 7), 0))
    assert vals == {eq.S1: R(2, 3), eq.S2: 4, eq.THETA: R(5, 7), eq.DELTA: 0}
    assert all(isinstance(v, sp.Basic) for v in vals.values())
    assert vals[eq.S1] is not None and vals[eq.S1].is_Rational


# ----------------------------------------------------------------------------- System

def small_system():
    x = sp.Symbol("x")
    return eq.System("s", (eq.e1, eq.e2, eq.u1),
                     (eq.e1 * eq.tr(eq.S1) - eq.phi, eq.e2 - eq.e1 * eq.lam, eq.u1 - x),
                     {"out": eq.THETA * eq.e2 * eq.phi, "c": eq.sigma1},
                     positive=(eq.e1, eq.e2, eq.u1),
                     guess={eq.e1: eq.lam * eq.phi / eq.psi, eq.e2: 2})


def test_system_parameters_outputs_and_hash():
    s = small_system()
    assert [str(p) for p in s.parameters] == ["lambda", "phi", "sigma1", "x"]
    assert s.outputs == {"out": eq.phi * eq.e2 * eq.tr(eq.THETA), "c": eq.sigma1}
    assert s.residual_expressions() == s.equations
    twin = eq.System(s.name, s.unknowns, s.equations, dict(s.densities), s.positive,
                     dict(s.scale), dict(s.guess))
    assert twin == s and hash(twin) == hash(s)
    assert {s: 1}[twin] == 1
    other = s.replace_name("t")
    assert other.name == "t" and other.equations == s.equations and other != s


def test_guess_value():
    s = small_system()
    vals = {eq.lam: R(1, 5), eq.phi: R(3, 7), eq.psi: R(5, 11)}
    assert s.guess_value(eq.e2, vals) == 2
    assert s.guess_value(eq.u1, vals) == 0
    got = s.guess_value(eq.e1, vals)
    assert abs(got - R(1, 5) * R(3, 7) / R(5, 11)) < 1e-14


def test_subs_substitutes_everywhere_and_prunes():
    s = small_system()
    out = s.subs({eq.lam: 0, eq.phi: 3})
    assert out.name == "s"
    # e2 = e1·λ = 0 no longer needs e1? It still does (the equation keeps e1 with λ=0 gone):
    assert out.unknowns == (eq.e2,)
    assert out.equations == (eq.e2,)
    assert out.positive == (eq.e2,)
    assert out.guess[eq.e1] == 0 and out.guess[eq.e2] == 2
    assert out.densities == {"out": 3 * eq.THETA * eq.e2, "c": eq.sigma1}
    kept = s.subs({eq.phi: 3}, name="named")
    assert kept.name == "named"
    assert kept.unknowns == (eq.e1, eq.e2)
    assert kept.equations == (eq.e1 * eq.tr(eq.S1) - 3, eq.e2 - eq.e1 * eq.lam)
    assert kept.positive == (eq.e1, eq.e2)
    assert kept.densities == {"out": 3 * eq.THETA * eq.e2, "c": eq.sigma1}


def test_prune_follows_dependencies_and_keeps_everything_without_outputs():
    a, b, c, d = sp.symbols("a b c d")
    s = eq.System("p", (a, b, c, d), (a - b, b - c * c, c - 1, d - a), {"o": eq.S1 * a},
                  positive=(d, c, a))
    p = s.prune()
    assert p.unknowns == (a, b, c) and p.equations == (a - b, b - c * c, c - 1)
    assert p.positive == (c, a)
    none = eq.System("n", (a, b), (a, b - 1), {})
    assert none.prune() is none
    full = eq.System("f", (a, b), (a - b, b - 1), {"o": a})
    assert full.prune() is full


def test_expand_traces_weights_each_atom():
    s = eq.System("t", (eq.e1,), (eq.e1 * eq.tr(eq.S1 * eq.THETA) + eq.tr(eq.DELTA / eq.S2) - 1,),
                  {"x": eq.S2 * eq.DELTA, "k": eq.sigma2})
    ex = s.expand_traces(ATOMS)
    assert sp.expand(ex.equations[0] - (eq.e1 * R(6 + 3, 4) + R(5 + 7, 4) - 1)) == 0
    assert ex.densities == {"x": R(5, 4) + R(63, 4), "k": eq.sigma2}
    assert ex.name == "t" and ex.unknowns == (eq.e1,)


# ----------------------------------------------------------------------------- rescaling

def test_low_degree():
    x = sp.Symbol("x")
    assert eq._low_degree(eq.lam ** 3 * x + eq.lam ** 2 * (x + 1), eq.lam) == 2
    assert eq._low_degree(eq.lam * (eq.lam + x) + x, eq.lam) == 0
    assert eq._low_degree(eq.lam ** 4, eq.lam) == 4
    assert eq._low_degree(eq.lam - eq.lam, eq.lam) == 0


def rescaled_linear():
    base = linear_system_fresh()
    sub = {eq.e1: eq.lam * EPS1, eq.e2: eq.lam * EPS2}
    return base, eq.rescale(base, sub, eq.lam, "scaled")


def test_rescale_divides_each_equation_by_its_leading_power():
    base, over = rescaled_linear()
    assert over.name == "scaled" and over.note == base.note
    assert over.unknowns == (EPS1, EPS2, eq.u1, eq.u2)
    assert over.positive == (EPS1, EPS2)
    assert over.scale == {eq.e1: eq.lam * EPS1, eq.e2: eq.lam * EPS2}
    assert over.guess == {EPS1: 1 / eq.lam, EPS2: 1 / eq.lam, eq.u1: 0, eq.u2: 0}
    lam = V["lambda"]
    moved = {"e1": lam * V["epsilon1"], "e2": lam * V["epsilon2"]}
    # first order: λ⁰; second order: multiplied by λ (it vanishes like 1/λ)
    for f_over, f_base, power in zip(over.equations, base.equations, (0, 0, 1, 1)):
        assert value(f_over) == lam ** power * value(f_base, moved)
    # finite at λ = 0: the ridgeless member
    for f in over.equations:
        v = value(f, {"lambda": 0})
        assert v.is_finite
    for k in base.densities:
        assert density_values(over.densities[k]) == density_values(base.densities[k], moved)
    # the rescaled traces have λ factored out: the member at λ = 0 is its plain limit
    zero = eq.limit_at_zero(over, eq.lam, "zero")
    eps1, eps2, g1 = V["epsilon1"], V["epsilon2"], V["gamma1"]

    def K0(a):
        return V["a1"] * eps1 * a.s1 + V["a2"] * eps2 * a.s2 + 1
    assert value(zero.equations[0]) == eps1 * g1 * T(lambda a: a.s1 / K0(a)) - 1


def test_rescale_without_substitution_keeps_the_system():
    x = sp.Symbol("x", positive=True)
    s = eq.System("q", (x,), (x * eq.tr(eq.lam * eq.S1 + eq.lam ** 2 * eq.S2) - eq.lam,),
                  {"o": x * eq.S1}, positive=(x,), guess={x: 3}, note="n")
    out = eq.rescale(s, {}, eq.lam, "r")
    assert out.unknowns == (x,) and out.positive == (x,) and out.guess == {x: 3}
    assert out.name == "r" and out.note == "n" and out.scale == {}
    assert sp.expand(out.equations[0] - (x * eq.tr(eq.S1) + eq.lam * x * eq.tr(eq.S2) - 1)) == 0
    assert out.densities == {"o": x * eq.S1}


def test_rescale_of_one_unknown_keeps_the_others():
    x, y, z = sp.symbols("x y z", positive=True)
    s = eq.System("q", (x, y), (x * y - eq.lam ** 2, y - 2), {"o": x * eq.S1 + y},
                  positive=(x,), guess={x: eq.lam, y: 2})
    out = eq.rescale(s, {x: eq.lam ** 2 * z}, eq.lam, "r")
    assert out.unknowns == (z, y) and out.positive == (z,)
    assert out.guess == {z: 1 / eq.lam, y: 2}
    assert sp.expand(out.equations[0] - (z * y - 1)) == 0
    assert out.equations[1] == y - 2


def test_limit_at_zero_keeps_guesses_that_blow_up():
    base, over = rescaled_linear()
    zero = eq.limit_at_zero(over, eq.lam, "ridgeless")
    assert zero.name == "ridgeless"
    assert zero.guess == {EPS1: 1 / eq.lam, EPS2: 1 / eq.lam, eq.u1: 0, eq.u2: 0}
    assert all(not f.has(eq.lam) for f in zero.equations)
    assert all(not sp.sympify(d).has(eq.lam) for d in zero.densities.values())
    for f_zero, f_over in zip(zero.equations, over.equations):
        assert value(f_zero) == value(f_over, {"lambda": 0})
    for k in over.densities:
        assert density_values(zero.densities[k]) == density_values(over.densities[k],
                                                                   {"lambda": 0})
    x = sp.Symbol("x", positive=True)
    y = sp.Symbol("y")
    s = eq.System("g", (x,), (x - eq.lam - 1,), {"o": x + eq.lam * eq.S1},
                  guess={x: 2 + eq.lam, eq.e1: eq.lam / eq.lam ** 2, eq.e2: y / eq.lam,
                         eq.u1: sp.sin(eq.lam) / eq.lam})
    z = eq.limit_at_zero(s, eq.lam, "z")
    # a guess without a finite value at 0 (∞, ∞·y, 0/0) is kept as it was
    assert z.guess == {x: 2, eq.e1: 1 / eq.lam, eq.e2: y / eq.lam, eq.u1: sp.sin(eq.lam) / eq.lam}
    assert z.equations == (x - 1,)
    assert z.densities == {"o": x}


# ----------------------------------------------------------------------------- mixtures

def test_training_errors_assembles_each_group():
    outs = {"g2": R(3), "shrink1": R(1, 4), "shrink2": R(1, 9), "df": R(1, 2)}
    r = eq.training_errors(R(2), outs, R(1, 3), R(1, 2), R(3))
    real, synth = R(1, 4) * (2 + R(1, 4)), R(1, 9) * (3 + 9)
    assert r == {"train_error": R(2, 3) * real + R(1, 3) * synth, "train_error_real": real,
                 "train_error_synthetic": synth}
    r = eq.training_errors(R(2), outs, R(1, 3), R(1, 2), R(3), p1_value=R(1, 2))
    assert r["train_error"] == R(1, 2) * real + R(1, 3) * synth
    assert eq.training_errors(R(2), outs, 1, R(1, 2), R(3)) == {
        "train_error": synth, "train_error_real": None, "train_error_synthetic": synth}
    assert eq.training_errors(R(2), outs, 0, R(1, 2), R(3)) == {
        "train_error": real, "train_error_real": real, "train_error_synthetic": None}
    # groups given explicitly override p2
    assert eq.training_errors(R(2), outs, 0, R(1, 2), R(3), groups=(False, True)) == {
        "train_error": synth, "train_error_real": None, "train_error_synthetic": synth}
    assert eq.training_errors(R(2), outs, R(1, 3), R(1, 2), R(3), groups=(True, False)) == {
        "train_error": real, "train_error_real": real, "train_error_synthetic": None}


def test_mixture_weights():
    plain = {eq.a1: 1 - eq.p2, eq.a2: eq.p2, eq.gamma1: eq.phi, eq.gamma2: eq.phi}
    assert eq.mixture_weights("plain") == plain
    assert eq.mixture_weights("iterative") == plain
    assert eq.mixture_weights("weighted") == {
        eq.a1: eq.alpha, eq.a2: 1 - eq.alpha, eq.gamma1: eq.alpha * eq.phi / (1 - eq.p2),
        eq.gamma2: (1 - eq.alpha) * eq.phi / eq.p2}
    with pytest.raises(ValueError, match="^other$"):
        eq.mixture_weights("other")


def test_mixture_system_default_note_is_empty():
    system = st.mixture_system("m", st.first_order_linear, (eq.e1, eq.e2), (eq.u1, eq.u2),
                               guess={})
    assert system.note == "" and system.guess == {}


def test_differentiate_along_a_nonlinear_data_term():
    """∂_t at t = 0 of M(t) = (e1 + t u1)² Σ1 + t A: 2 e1 u1 Σ1 + A."""
    def build(extra):
        M = eq.e1 ** 2 * eq.S1 + extra
        K = M + eq.lam
        return (eq.e1 * eq.tr(eq.S1 / K) - 1,), M, K

    out, L_A, dM = st.differentiate_along(build, (eq.e1,), (eq.u1,), eq.S2)
    want = 2 * eq.e1 * eq.u1 * eq.S1 + eq.S2
    K = eq.e1 ** 2 * eq.S1 + eq.lam
    assert sp.expand(dM - want) == 0
    assert sp.simplify(L_A - want / K ** 2) == 0
    assert sp.simplify(out[0] - (eq.u1 * eq.tr(eq.S1 / K)
                                 - eq.e1 * eq.tr(eq.S1 * want / K ** 2))) == 0


def test_rescale_factors_the_small_parameter_out_of_every_trace():
    """Inside a trace λ comes out only once the integrand is over a common denominator."""
    x = sp.Symbol("x", positive=True)
    z = sp.Symbol("z")
    s = eq.System("q", (x,), (x * eq.tr((eq.S1 / x + eq.S2) ** 2) - 1,), {"o": x * eq.S1})
    out = eq.rescale(s, {x: eq.lam * z}, eq.lam, "r")
    assert out.guess == {z: 0}
    want = eq.tr((eq.S1 + eq.lam * z * eq.S2) ** 2) / z - eq.lam
    assert sp.simplify(out.equations[0] - want) == 0
    # without substitution: a power of a sum is factored too
    s = eq.System("p", (x,), (x * eq.tr((eq.lam * eq.S1 + eq.lam * eq.S2) ** 2) - eq.lam ** 2,),
                  {"o": x * eq.S1})
    out = eq.rescale(s, {}, eq.lam, "r")
    assert sp.simplify(out.equations[0] - (x * eq.tr((eq.S1 + eq.S2) ** 2) - 1)) == 0
    # a denominator free of λ stays a denominator
    s = eq.System("d", (x,), ((x - eq.lam) / (eq.phi + x),), {"o": x * eq.S1})
    out = eq.rescale(s, {}, eq.lam, "r")
    assert sp.simplify(out.equations[0] - (x - eq.lam) / (eq.phi + x)) == 0
    assert out.guess == {x: 0}  # no guess given: 0
