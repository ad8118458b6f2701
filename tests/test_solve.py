"""Newton in float64 (vectorized) and mpmath; the curve path agrees with predict."""
import mpmath as mp
import numpy as np
import pytest

from oracles import statements as st
import symcollapse as sc
from conftest import A3, ISO


def test_curve_matches_predict_to_float_precision():
    cfg = {"phi": 0.5, "p2": 0.3, "lam": 0.01, "sigma1": 0.5, "sigma2": 1, "atoms": A3}
    phis = np.array([0.05, 0.3, 0.9, 1.1, 2.5, 8.0])
    out = sc.curve(cfg, phi=phis)
    for i, phi in enumerate(phis):
        r = sc.predict(dict(cfg, phi=float(phi)), dps=25)
        for part in ("test_error", "bias", "variance", "zeta"):
            assert out[part][i] == pytest.approx(float(r[part]), rel=1e-10, abs=1e-14)


def test_curve_over_several_keys_and_ridgeless_sides():
    cfg = dict(ISO, lam=0)
    out = sc.curve(cfg, phi=[0.5, 1.0, 2.0], p2=[0.1, 0.1, 0.2])
    assert np.isinf(out["test_error"][1]) and out["bias"][1] == 0
    assert out["test_error"][0] == pytest.approx(0.25 * 1 + 2 * (0.01 + 0.9 * 0.1 * 1))
    assert np.all(np.isfinite(out["test_error"][[0, 2]]))


def test_curve_refuses_bad_input():
    with pytest.raises(sc.ConfigError):
        sc.curve(ISO)
    with pytest.raises(sc.ConfigError, match="common length"):
        sc.curve(ISO, phi=[0.1, 0.2], p2=[0.1])
    with pytest.raises(sc.ConfigError, match="p2"):
        sc.curve(ISO, p2=[0.1, 1.5])
    with pytest.raises(sc.ConfigError, match="cannot vary"):
        sc.curve(ISO, atoms=[1])


def test_u_is_the_derivative_of_e_along_the_probe():
    """The derived second order: u_j = de_j/dt for K → K + tΣ1, by finite differences of
    the first-order solution (an independent check of the differentiation)."""
    from fractions import Fraction

    from symcollapse.core import equations as eq
    from symcollapse.core.compiled import atoms_mp, compile_system
    from symcollapse.core.regimes import linear_family
    from symcollapse.core.solve import newton_mp
    from symcollapse.core.spec import parse
    spec = parse({"phi": 0.7, "p2": 0.4, "lam": 0.05, "atoms": A3})
    fam = linear_family("plain", (), False)
    c = compile_system(fam)
    mp.mp.dps = 40
    sol = sc.predict(spec, dps=35)["unknowns"]
    # the first order with K + tΣ1 is the first order with λ → λ and an extra Σ1-atom term:
    # solve it directly as a 2-unknown system with an extra parameter t
    import sympy as sp
    t = sp.Symbol("t")
    eqs, _M, K = st.first_order_linear(extra=t * eq.S1)
    first = eq.System("probe", (eq.e1, eq.e2), eqs, {"e1": eq.e1, "e2": eq.e2},
                      positive=(eq.e1, eq.e2),
                      guess={eq.e1: 1, eq.e2: 1}).subs(eq.mixture_weights("plain"))
    cf = compile_system(first)
    A = atoms_mp(spec.atoms)

    def e_at(h):
        vals = {eq.phi: spec.phi, eq.p2: spec.p2, eq.lam: spec.lam, t: Fraction(0)}
        p = [mp.mpf(vals[s].numerator) / vals[s].denominator if s != t else mp.mpf(h)
             for s in cf.params]
        x0 = [sol["e1"], sol["e2"]]
        return newton_mp(cf, x0, p, A, tol=mp.mpf(10) ** -35).x

    h = mp.mpf("1e-12")
    plus, minus = e_at(h), e_at(-h)
    for k, name in enumerate(("u1", "u2")):
        fd = (plus[k] - minus[k]) / (2 * h)
        assert abs(fd - sol[name]) < mp.mpf("1e-18")
    mp.mp.dps = 15


def test_curve_points_answered_exactly_match_predict():
    """Points that the float64 batch does not solve (an invertible projection, unseen
    coordinates at λ = 0) go through predict, each at its own index."""
    rp = {"model": "random_projection", "phi": 0.5, "psi": 0.5, "p2": 0.1, "lam": 0,
          "sigma1": 0.5, "atoms": [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]}
    psis = [0.25, 0.5, 2.0]
    out = sc.curve(rp, psi=psis)
    for i, psi in enumerate(psis):
        want = sc.predict(dict(rp, psi=psi), dps=20)
        for part in ("test_error", "bias", "variance", "zeta"):
            assert abs(out[part][i] - float(want[part])) < 1e-12, (psi, part)
    half_unseen = dict(ISO, atoms=[{"weight": 0.5, "s1": 1, "s2": 1, "theta": 1, "delta": 1},
                                   {"weight": 0.5, "s1": 0, "s2": 0, "theta": 1, "delta": 1}])
    phis = [0.25, 0.5, 0.75]
    out = sc.curve(half_unseen, phi=phis)
    for i, phi in enumerate(phis):
        want = float(sc.predict(dict(half_unseen, phi=phi), dps=20)["test_error"])
        assert abs(out["test_error"][i] - want) < 1e-12


def test_atoms_at_a_precision_are_recognized_by_identity_and_by_value():
    """The same atoms tuple is answered from the identity cache; an equal tuple gives the same
    values; a list (mutable) is converted afresh, so a change to it is seen."""
    from fractions import Fraction as Fr
    from symcollapse.core.compiled import atoms_mp
    from symcollapse.core.spec import Atom
    atoms = (Atom(Fr(1, 2), Fr(2), Fr(1), Fr(1), Fr(0)), Atom(Fr(1, 2), Fr(1, 3), Fr(1), Fr(1), Fr(1)))
    with mp.workdps(30):
        first = atoms_mp(atoms)
        assert atoms_mp(atoms) is first
        assert atoms_mp(tuple(list(atoms))).s1 == first.s1
        as_list = list(atoms)
        before = atoms_mp(as_list).s1
        as_list[0] = Atom(Fr(1, 2), Fr(5), Fr(1), Fr(1), Fr(0))
        assert atoms_mp(as_list).s1 != before
