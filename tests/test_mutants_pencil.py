"""The contract of the pencil engine (symcollapse.pencil.linearization) pinned down where the mutation
run found it unspecified: the printed and LaTeX layouts of a pencil, the symmetrization
of expressions no congruence pattern fits, the number backends and the random draws of
:func:`check`.  (These tests also kill the module's mutants: tests/MUTATION.md.)"""
import numpy as np
import pytest
import sympy as sp

from symcollapse.pencil.linearization import ExactBackend, FloatBackend, check, linearize, random_values
from symcollapse.pencil.expr import Diag, Gaussian, Identity, MatExpr, Zero, inverse, is_linear

lam = sp.Symbol("lambda", positive=True)
X = Gaussian("X", "n", "d")
W = Gaussian("W", "m", "d")
C = Gaussian("C", "q", "q")
E = Gaussian("E", "q", "r")
Id, Iq = Identity("d"), Identity("q")
RES2 = inverse(X.T @ X + W.T @ W + lam * Id)


def exact(P, sizes, seed=0):
    return check(P, sizes=sizes, rng=np.random.default_rng(seed), exact=True)


# ----------------------------------------------------------------------------- printing

def test_layout_and_repr():
    P = linearize(RES2)
    assert P.layout() == ("[  d] lambda*I_d  W.T   X.T \n"
                          "[  m] W           -I_m  0   \n"
                          "[  n] X           0     -I_n")
    assert repr(P) == ("Pencil(symmetric, 3 blocks ['d', 'm', 'n'], (L^-1)[0,0] = "
                       "inverse(lambda*I_d + W.T @ W + X.T @ X))\n" + P.layout())


def test_latex():
    P = linearize(RES2)
    want = (r"L = \begin{pmatrix} \lambda I_{d} & W^{T} & X^{T} \\ W & - I_{m} & 0 \\ "
            r"X & 0 & - I_{n} \end{pmatrix}, \quad \text{blocks } (d, m, n), \quad "
            r"(L^{-1})_{00} = \left(\lambda I_{d} + W^{T} W + X^{T} X\right)^{-1}")
    assert P.latex() == want
    assert P._repr_latex_() == "$" + want + "$"
    G = linearize(X @ W.T)                      # a general pencil: its row and column
    assert G.latex().endswith(r"(L^{-1})_{%d%d} = X W^{T}" % (G.row, G.col))
    assert G.row != G.col


# ----------------------------------------------------------------------------- Anderson

@pytest.mark.parametrize("make", [
    lambda: C @ C + C.T @ C.T,
    lambda: E @ E.T @ C + C.T @ E @ E.T,
    lambda: C @ C + C.T @ C.T + C + C.T + lam * Iq,          # with a linear part c
    lambda: 3 * (C @ C) + 3 * (C.T @ C.T) - 2 * C - 2 * C.T,
    lambda: inverse(Iq + C) @ Diag("D", "q") + Diag("D", "q") @ inverse(Iq + C.T),
    lambda: inverse(Iq + C @ C + C.T @ C.T),
    lambda: C @ Diag("D", "q") @ C.T + C.T @ C,
])
def test_symmetric_pencils_of_expressions_no_congruence_fits(make):
    f = make()
    assert f.T == f
    P = linearize(f)
    assert P.form == "symmetric" and P.is_symmetric and P.row == P.col and P.expr == f
    assert all(is_linear(e) for _, e in P.entries)
    for seed in (0, 1):
        assert exact(P, {"q": 3, "r": 2}, seed) == 0
    assert check(P, sizes={"q": 3, "r": 2}) < 1e-10


def test_anderson_pencil_of_a_plus_a_transpose():
    P = linearize(C + C.T)
    assert P.blocks == ("q", "q") and P.row == P.col == 0
    assert P.entry(0, 1) == Iq and P.entry(1, 0) == Iq and P.entry(0, 0) == Zero("q")
    assert P.entry(1, 1) == -C - C.T


# ----------------------------------------------------------------------------- backends

def test_float_backend_pieces():
    B = FloatBackend()
    D = B.diag([sp.Rational(1, 4), sp.Integer(4)], sp.Rational(1, 2))
    assert D.dtype == np.float64 and np.array_equal(D, np.diag([0.5, 2.0]))
    assert np.array_equal(B.diag(np.array([2, 4]), -1), np.diag([0.5, 0.25]))
    Z = B.zeros(2, 3)
    assert Z.shape == (2, 3) and not Z.any()
    assert B.maxabs(np.zeros((0, 3))) == 0.0 and B.maxabs(np.array([[1.0, -3.0]])) == 3.0
    assert B.scalar(lam / 2, {lam: 3.0, "lambda": 99}) == 1.5


def test_float_backend_draws():
    B = FloatBackend()
    rng = np.random.default_rng(5)
    M = B.random_matrix(rng, 300, 200)
    assert M.shape == (300, 200)
    assert np.std(M) == pytest.approx(1 / np.sqrt(300), rel=0.05) and abs(np.mean(M)) < 0.01
    v = B.random_positive(rng, 2000)
    assert v.shape == (2000,) and v.min() >= 0.5 and v.max() <= 2.0
    assert v.min() < 0.55 and v.max() > 1.95
    s = [B.random_scalar(rng) for _ in range(2000)]
    assert all(isinstance(t, float) for t in s)
    assert 0.5 <= min(s) < 0.55 and 1.95 < max(s) <= 2.0


def test_exact_backend_pieces():
    B = ExactBackend()
    Z = B.zeros(2, 3)
    assert (Z.nrows(), Z.ncols()) == (2, 3) and all(x == 0 for x in Z.entries())
    Z = B.zeros(3, 1)
    assert (Z.nrows(), Z.ncols()) == (3, 1)


# ----------------------------------------------------------------------------- congruences

@pytest.mark.parametrize("make", [
    lambda: E.T @ inverse(Iq + C @ C.T) @ E + E.T @ E,
    lambda: E.T @ Diag("D", "q") @ E + E.T @ inverse(Iq + C @ C.T) @ E,
    lambda: E.T @ E + E.T @ Diag("D", "q") @ E,
])
def test_congruences_with_one_outer_factor_share_its_blocks(make):
    """g M1 gᵀ + g M2 gᵀ is linearized as g (M1 + M2) gᵀ: one copy of g (E and Eᵀ once)."""
    P = linearize(make())
    assert len(P.positions["E"]) == 2
    assert exact(P, {"q": 3, "r": 2}) == 0


def test_general_pencil_refuses_a_non_square_inverse_node():
    from symcollapse.pencil.expr import Inverse
    with pytest.raises(ValueError, match="^cannot invert a non-square expression$"):
        linearize(Inverse(E))


@pytest.mark.parametrize("make", [
    lambda: inverse(Iq + C).T @ Diag("D", "q") @ inverse(Iq + C),
    lambda: inverse(Iq + C).T @ inverse(Iq + C),
    lambda: inverse(Iq + C).T @ (C + C.T) @ inverse(Iq + C),
    lambda: inverse(Iq + C @ C.T) @ Diag("D", "q") @ inverse(Iq + C @ C.T),
    lambda: inverse(Iq + C @ C).T @ Diag("D", "q") @ inverse(Iq + C @ C),
    lambda: inverse(Iq + C @ C).T @ inverse(Iq + C @ C),
])
def test_congruence_by_an_inverse(make):
    f = make()
    P = linearize(f)
    assert P.form == "symmetric" and P.is_symmetric
    for seed in (0, 1):
        assert exact(P, {"q": 3}, seed) == 0


# ----------------------------------------------------------------------------- errors

def test_error_messages_are_exact():
    B = ExactBackend()
    with pytest.raises(ValueError, match=r"^scalar sqrt\(2\)\*lambda is not rational at the "
                                         r"chosen values: sqrt\(2\)$"):
        B.scalar(sp.sqrt(2) * lam, {lam: 1})
    with pytest.raises(ValueError, match=r"^Diag power 1/2 of 2 is not rational$"):
        B.diag([4, 2], sp.Rational(1, 2))
    P = linearize(RES2)
    with pytest.raises(ValueError, match=r"^sizes has no value for dimension\(s\) m, n$"):
        check(P, sizes={"d": 2, "z": 1})
    with pytest.raises(ValueError, match=r"^form must be 'auto', 'symmetric' or 'general', "
                                         r"got 'sym'$"):
        linearize(C, form="sym")
    with pytest.raises(TypeError, match=r"^linearize needs a matrix expression, got 3$"):
        linearize(3)
    with pytest.raises(ValueError, match=r"^form='symmetric' needs a symmetric expression; "
                                         r"C \+ C @ C\.T is not$"):
        linearize(C @ C.T + C, form="symmetric")
    with pytest.raises(ValueError, match="two different Gaussian blocks are named X"):
        linearize(X + Gaussian("X", "n", "d", variance=2))


# ----------------------------------------------------------------------------- the Pencil

def test_pencil_accessors():
    P = linearize(RES2)
    assert P.size == 3 and P.blocks == ("d", "m", "n") and P.form == "symmetric"
    assert P.entry(1, 2) == Zero("m", "n") and P.entry(2, 1) == Zero("n", "m")
    assert P.entry(0, 0) == lam * Id and P.entry(1, 0) == W
    assert P.positions == {"W": ((0, 1, 1, True), (1, 0, 1, False)),
                           "X": ((0, 2, 1, True), (2, 0, 1, False))}
    assert P.deterministic == {(0, 0): lam * Id, (1, 1): -Identity("m"),
                               (2, 2): -Identity("n")}
    assert P.gaussians == {"W": W, "X": X}
    M = P.to_sympy()
    assert M.blockshape == (3, 3)
    assert M.blocks[1, 2] == Zero("m", "n").to_sympy() and M.blocks[0, 1] == W.to_sympy().T
    G = linearize(X @ W.T)
    assert G.form == "general" and not G.is_symmetric
    pos = G.positions
    assert set(pos) == {"X", "W"} and {t for *_, t in pos["W"]} == {True}
    # a mixed entry: its deterministic part only
    Q = linearize(inverse(Iq + 2 * C + C.T + lam * Iq), form="general")
    assert all(e.is_deterministic for e in Q.deterministic.values())
    assert any(not e.is_deterministic for _, e in Q.entries)


def test_pencil_matrix_and_block_of_inverse():
    P = linearize(RES2)
    sizes = {"d": 2, "m": 3, "n": 1}
    rng = np.random.default_rng(1)
    Xv, Wv = rng.standard_normal((1, 2)), rng.standard_normal((3, 2))
    values = {"X": Xv, "W": Wv, lam: 0.5}
    L = P.matrix(values, sizes, FloatBackend())
    want = np.block([[0.5 * np.eye(2), Wv.T, Xv.T], [Wv, -np.eye(3), np.zeros((3, 1))],
                     [Xv, np.zeros((1, 3)), -np.eye(1)]])
    assert np.array_equal(L, want)
    blk = P.block_of_inverse(values, sizes, FloatBackend())
    assert blk.shape == (2, 2)
    assert np.allclose(blk, np.linalg.inv(Xv.T @ Xv + Wv.T @ Wv + 0.5 * np.eye(2)))
    G = linearize(X @ W.T)
    Gb = G.block_of_inverse(values, sizes, FloatBackend())
    assert Gb.shape == (1, 3) and np.allclose(Gb, Xv @ Wv.T)
    import flint
    E_ = G.block_of_inverse({"X": flint.fmpq_mat(1, 2, [1, 2]),
                             "W": flint.fmpq_mat(3, 2, [1, 0, 0, 1, 1, 1])}, sizes,
                            ExactBackend())
    assert (E_.nrows(), E_.ncols()) == (1, 3) and list(E_.entries()) == [1, 2, 3]


def test_reduce_only_removes_blocks():
    f = inverse(X.T @ X + lam * Id) @ Diag("B", "d") @ inverse(X.T @ X + lam * Id)
    full, red = linearize(f, "general", reduce=False), linearize(f, "general")
    assert (full.size, red.size) == (8, 6)
    assert exact(full, {"n": 3, "d": 2}) == 0 and exact(red, {"n": 3, "d": 2}) == 0
    g = inverse(Iq + C) @ C
    assert (linearize(g, reduce=False).size, linearize(g).size) == (4, 3)
    assert exact(linearize(g), {"q": 3}) == 0


def test_check_defaults_and_expr_override():
    P = linearize(RES2)
    sizes = {"d": 2, "m": 3, "n": 2}
    assert check(P, sizes=sizes) < 1e-12
    other = inverse(X.T @ X + lam * Id)
    first = check(P, expr=other, sizes=sizes)           # the same draw on every run ...
    assert first == check(P, expr=other, sizes=sizes)
    assert first == check(P, expr=other, sizes=sizes, rng=np.random.default_rng(0))
    assert first != check(P, expr=other, sizes=sizes, rng=np.random.default_rng(5))
    assert check(P, expr=inverse(X.T @ X + lam * Id), sizes=sizes) > 1e-3
    assert check(P, sizes=sizes, exact=True) == 0
    assert check(P, expr=2 * RES2, sizes=sizes, exact=True) > 0


def test_random_values():
    d_ = sp.Symbol("d", positive=True)
    Sg = Gaussian("S", "m", "d", variance=1 / d_, covariance=Diag("T", "d"))
    f = lam * Sg.T @ Sg + Diag("U", "d")
    sizes = {"m": 3, "d": 4}
    v = random_values([f], sizes, np.random.default_rng(2), FloatBackend())
    assert set(v) == {"S", "T", "U", lam, d_}
    assert v[d_] == 4.0 and isinstance(v[d_], float) and isinstance(v[lam], float)
    assert 0.5 <= v[lam] <= 2.0
    assert v["T"].shape == (4,) and v["U"].shape == (4,)
    rng = np.random.default_rng(2)          # same draws: T, U, lam, then Z for S
    B = FloatBackend()
    T_, U_ = B.random_positive(rng, 4), B.random_positive(rng, 4)
    l_ = B.random_scalar(rng)
    Z = B.random_matrix(rng, 3, 4)
    assert np.array_equal(v["T"], T_) and np.array_equal(v["U"], U_) and v[lam] == l_
    assert np.allclose(v["S"], Z @ np.diag(np.sqrt(T_)))
    e = random_values([f], sizes, np.random.default_rng(2), ExactBackend())
    assert e[d_] == 4 and isinstance(e[d_], sp.Integer) and e[lam].is_Rational
    assert all(sp.sqrt(t).is_Rational for t in e["T"])
    assert (e["S"].nrows(), e["S"].ncols()) == (3, 4)


def test_exact_backend_draws_and_pieces():
    B = ExactBackend()
    rng = np.random.default_rng(4)
    M = B.random_matrix(rng, 20, 15)
    assert (M.nrows(), M.ncols()) == (20, 15)
    vals = list(M.entries())                      # p/q with -4 <= p <= 4, 1 <= q <= 4
    assert all(-4 <= x <= 4 for x in vals) and min(vals) == -4 and max(vals) == 4
    assert {x.q for x in vals} == {1, 2, 3, 4}
    pos = B.random_positive(rng, 200)
    assert all(p > 0 and sp.sqrt(p).is_Rational for p in pos)
    assert min(pos) == sp.Rational(1, 16) and max(pos) == 16
    sc = [B.random_scalar(rng) for _ in range(400)]
    assert min(sc) == sp.Rational(1, 7) and max(sc) == 7
    I2 = B.eye(2)
    assert list(I2.entries()) == [1, 0, 0, 1]
    A = B.assemble([[I2, None], [None, B.scale(B._q(sp.Rational(1, 2)), B.eye(1))]], [2, 1])
    assert list(A.entries()) == [1, 0, 0, 0, 1, 0, 0, 0, sp.Rational(1, 2)]
    S_ = B.sub(A, 1, 3, 0, 3)
    assert (S_.nrows(), S_.ncols()) == (2, 3) and list(S_.entries()) == [0, 1, 0, 0, 0,
                                                                          sp.Rational(1, 2)]
    assert B.maxabs(B.zeros(0, 0)) == 0 and B.maxabs(A) == 1
    assert B.maxabs(B.scale(B._q(-3), A)) == 3 and isinstance(B.maxabs(A), sp.Rational)
    assert B.maxabs(B.scale(B._q(sp.Rational(-2, 7)), B.eye(1))) == sp.Rational(2, 7)
    assert B.diag([sp.Rational(9, 4)], sp.Rational(-1, 2)).entries()[0] == sp.Rational(2, 3)


# ----------------------------------------------------------------------------- symmetric products

@pytest.mark.parametrize("make", [
    lambda: X.T @ Diag("A", "n") @ Diag("B", "n") @ X,          # a middle of two factors
    lambda: Diag("A", "d") @ Diag("B", "d") @ X.T @ X @ Diag("A", "d") @ Diag("B", "d"),
    lambda: X.T @ X @ Diag("A", "d") @ W.T @ W @ Diag("A", "d") @ X.T @ X,
])
def test_symmetric_products(make):
    f = make()
    assert f.T == f
    P = linearize(f)
    assert P.form == "symmetric" and P.is_symmetric
    for seed in (0, 1):
        assert exact(P, {"n": 3, "d": 2, "m": 2}, seed) == 0


class _Opaque(MatExpr):
    """A symmetric random node of a kind the pencil engine does not know."""
    __slots__ = ()
    rows = cols = "q"

    def _key(self):
        return ("Opaque",)

    @property
    def is_deterministic(self):
        return False

    @property
    def T(self):
        return self

    def _str(self):
        return "opaque"


def test_an_unknown_node_kind_cannot_be_linearized():
    for form in ("auto", "symmetric", "general"):
        with pytest.raises(TypeError, match="^cannot linearize opaque$"):
            linearize(_Opaque(), form=form)


# ----------------------------------------------------------------------------- reduction pieces

def test_det_block_inverts_a_deterministic_two_by_two_part():
    """The inverse of a deterministic principal part [[A, B], [B', D]] (diagonal entries,
    so they commute): checked against numpy at random positive diagonals."""
    from symcollapse.pencil.linearization import _det_block, _Piece
    from symcollapse.pencil.expr import evaluate
    A, B, D = Diag("A", "q"), Diag("B", "q"), Diag("D", "q")
    for entries in ({(0, 0): A, (0, 1): Iq, (1, 0): Iq, (1, 1): D},
                    {(0, 0): A, (0, 1): B, (1, 0): 2 * Iq, (1, 1): lam * D + Iq},
                    {(0, 0): A, (0, 1): B, (1, 0): B},
                    {(0, 1): Iq, (1, 0): Iq, (1, 1): D}):
        p = _Piece(["q", "q"], entries)
        inv = _det_block(p, (0, 1))
        rng = np.random.default_rng(3)
        vals = {n: rng.uniform(0.5, 2, 3) for n in "ABD"}
        vals[lam] = 0.7
        sizes = {"q": 3}
        big = lambda get: np.block([[evaluate(get(a, b), vals, sizes, FloatBackend())
                                      for b in (0, 1)] for a in (0, 1)])
        L = big(p.get)
        Linv = big(lambda a, b: inv[(a, b)])
        assert np.allclose(L @ Linv, np.eye(6), atol=1e-12)
    assert _det_block(_Piece(["q", "q"], {(0, 1): Iq, (1, 0): C}), (0, 1)) is None
    assert _det_block(_Piece(["q", "q"], {(0, 0): A, (1, 1): D}), (0,)) == {(0, 0): A ** -1}
    assert _det_block(_Piece(["q", "q"], {(1, 1): D}), (0,)) is None
    assert _det_block(_Piece(["q", "q"], {(0, 0): A}), (0, 1)) is None   # singular


def test_piece_put_adds_to_an_entry_and_checks_shapes():
    from symcollapse.pencil.linearization import _Piece
    p = _Piece(["q", "r"])
    p.put(0, 0, C)
    p.put(0, 0, C.T)
    assert p.get(0, 0) == C + C.T
    p.put(0, 0, -C - C.T)                     # an entry that cancels is removed
    assert (0, 0) not in p.entries and p.get(0, 0) == Zero("q")
    p.put(0, 1, E)
    p.put(0, 1, Zero("q", "r"))
    assert p.entries == {(0, 1): E}
    with pytest.raises(AssertionError, match=r"^entry \(1,0\) E is qxr, block is rxq$"):
        p.put(1, 0, E)


def test_reduce_eliminates_pairs_of_adjacent_blocks():
    f = C @ inverse(C.T @ C + Iq) @ C.T
    P = linearize(f)
    assert P.size == 4 and linearize(f, reduce=False).size > 4
    assert exact(P, {"q": 3}) == 0


def test_general_realization_of_a_sum_follows_its_terms_in_order():
    """A sum without a linear term is realized term by term in the sum's canonical order:
    C@C first (its block is entered at (0, 1)), then Cᵀ@C (at (0, 3)); the pencil is
    exact either way, the order is what makes it reproducible."""
    expr = C @ C + C.T @ C
    assert [str(t) for t in expr.terms] == ["C @ C", "C.T @ C"]
    P = linearize(expr, form="general")
    entries = dict(P.entries)
    assert entries[(0, 1)] == -C and entries[(0, 3)] == -C.T
    assert check(P, sizes={"q": 3}, rng=np.random.default_rng(0), exact=True) == 0


@pytest.mark.parametrize("value, at", [
    ("1/(1 - s)", {"s": 1}),                    # a pole: zoo
    ("(s - 1)/(t - 1)", {"s": 1, "t": 1}),      # 0·zoo: nan
    ("s", {"s": sp.oo}),                        # +oo
    ("s", {"s": -sp.oo}),                       # -oo
])
def test_exact_scalar_refuses_every_non_finite_value(value, at):
    """An exact scalar that is not a finite number at the chosen values (a pole, 0/0, or
    an infinite value given) is a singular draw: ZeroDivisionError, not a ValueError."""
    s, t = sp.symbols("s t")
    names = {"s": s, "t": t}
    with pytest.raises(ZeroDivisionError, match="has a pole at the chosen values"):
        ExactBackend().scalar(sp.sympify(value, locals=names),
                              {names[k]: sp.sympify(v) for k, v in at.items()})
