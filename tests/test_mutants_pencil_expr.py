"""The contract of the expression language (symcollapse.pencil.expr) pinned down where the
mutation run found it unspecified: printing and LaTeX, structural equality and the
canonical form, the operators, the validation messages, the queries and evaluation."""
import re

import numpy as np
import pytest
import sympy as sp

from symcollapse.pencil.linearization import FloatBackend
from symcollapse.pencil.expr import (Add, Diag, Gaussian, Identity, Inverse, MatExpr, MatMul,
                                     Scaled, Transpose, Zero, add, content, diags, dim_symbol,
                                     evaluate, gaussians, inverse, is_linear, matmul, scale,
                                     scalar_symbols, transpose)

lam, a, d = sp.symbols("lambda a d", positive=True)
S1 = Diag("Sigma1", "d")
X1 = Gaussian("X1", "n1", "d", covariance=S1)
X2 = Gaussian("X2", "n1", "d")
S = Gaussian("S", "m", "d", variance=1 / d)
C = Gaussian("C", "q", "q")
A_, B_ = Diag("A", "q"), Diag("B", "q")
Id, Iq = Identity("d"), Identity("q")


def tex(e):
    return sp.latex(e)


class Alien(MatExpr):
    """A random matrix expression of a kind the language does not know."""
    __slots__ = ()
    rows = cols = "q"

    def _key(self):
        return ("Alien",)

    @property
    def is_deterministic(self):
        return False

    def _str(self):
        return "alien"


# ----------------------------------------------------------------------------- dimensions

def test_dim_symbol_is_a_positive_integer_symbol():
    s = dim_symbol("n1")
    assert s == sp.Symbol("n1", positive=True, integer=True)
    assert s.name == "n1" and s.is_positive is True and s.is_integer is True


def test_dimensions_are_names():
    G = Gaussian("G", sp.Symbol("n"), sp.Symbol("d"))
    assert G.shape == ("n", "d") and Identity(sp.Symbol("k")).dim == "k"
    for bad in ("", 3, None):
        with pytest.raises(ValueError, match=re.escape(
                f"a dimension is a non-empty name (str or SymPy Symbol), got {bad!r}")):
            Identity(bad)


# ----------------------------------------------------------------------------- identity

def test_equality_is_structural_and_only_between_expressions():
    assert X1 == Gaussian("X1", "n1", "d", covariance=Diag("Sigma1", "d"))
    assert (X1 == "X1") is False and (X1 != "X1") is True
    assert X1 != X2 and X1 != Gaussian("X1", "n1", "d")            # covariance counts
    assert Gaussian("G", "n", "d") != Gaussian("G", "n", "d", variance=2)
    assert Gaussian("G", "n", "d") != Gaussian("G", "m", "d")
    assert Gaussian("G", "n", "d") != Gaussian("G", "n", "e")
    assert Gaussian("G", "n", "d") != Gaussian("H", "n", "d")
    assert Zero("n", "d") != Zero("d", "n") and Zero("n", "d") != Zero("n", "e")
    assert Diag("A", "q") != Diag("A", "q", 2) and Diag("A", "q") != Diag("A", "r")


def test_hash_is_the_hash_of_the_structural_key():
    for e in (X1, X1.T, S1, Id, Zero("n", "d"), 2 * X1, X1 + X2, X1.T @ X1, inverse(C)):
        assert hash(e) == hash(e._key())
    assert len({X1, X2, X1.T, 2 * X1, X1 + X2}) == 5


def test_expressions_are_immutable():
    with pytest.raises(AttributeError, match="^Gaussian is immutable$"):
        X1.name = "Y"
    with pytest.raises(AttributeError, match="^Add is immutable$"):
        (X1 + X2).terms = ()


def test_gaussian_key_appears_in_the_name_clash_message():
    with pytest.raises(ValueError) as err:
        gaussians(X1, Gaussian("X1", "n1", "d"))
    assert str(err.value) == (
        "two different Gaussian blocks are named X1: ('Gaussian', 'X1', 'n1', 'd', "
        "('Diag', 'Sigma1', 'd', 1), 1) and ('Gaussian', 'X1', 'n1', 'd', None, 1)")


# ----------------------------------------------------------------------------- leaves

def test_gaussian_validation_messages():
    for bad in ("", 3):
        with pytest.raises(ValueError, match=re.escape(
                f"a Gaussian block needs a non-empty name, got {bad!r}")):
            Gaussian(bad, "n", "d")
    with pytest.raises(ValueError, match=re.escape("covariance of G must be a Diag, got I_d")):
        Gaussian("G", "n", "d", covariance=Id)
    with pytest.raises(ValueError) as err:
        Gaussian("G", "n", "d", covariance=Diag("C", "n"))
    assert str(err.value) == "covariance of G has dimension n, the block has d columns"


def test_gaussian_attributes():
    G = Gaussian("G", "n", "d")
    assert G.variance == 1 and isinstance(G.variance, sp.Expr) and G.covariance is None
    assert isinstance(Gaussian("G", "n", "d", variance=0.5).variance, sp.Float)
    assert S.variance == 1 / d and X1.covariance == S1
    assert G.is_deterministic is False and (2 * G).is_deterministic is False
    assert (S1 @ X1.T).is_deterministic is False


def test_gaussian_printing_and_sympy():
    assert repr(X1) == "X1" and tex(X1) == "X_{1}" and X1.latex() == "X_{1}"
    assert repr(X1.T) == "X1.T" and tex(X1.T) == "X_{1}^{T}"
    n1, dd = dim_symbol("n1"), dim_symbol("d")
    assert X1.to_sympy() == sp.MatrixSymbol("X1", n1, dd)
    assert X1.T.to_sympy() == sp.MatrixSymbol("X1", n1, dd).T


def test_diag_validation_and_power():
    for bad in ("", 3):
        with pytest.raises(ValueError, match=re.escape(f"a Diag needs a non-empty name, got {bad!r}")):
            Diag(bad, "d")
    with pytest.raises(ValueError, match=re.escape("Diag power 0 is the identity; use Identity(dim)")):
        Diag("S", "d", 0)
    assert S1.power == 1 and isinstance(S1.power, sp.Rational) and S1.dim == "d"
    assert Diag("S", "d", 0.5).power == sp.Rational(1, 2)
    assert Diag("S", "d", "3/2").power == sp.Rational(3, 2)
    assert S1.is_deterministic is True and S1.shape == ("d", "d")


def test_diag_sqrt_and_powers():
    assert S1.sqrt() == Diag("Sigma1", "d", sp.Rational(1, 2))
    assert S1 ** 0 == Id                                   # Diag('S', 'd')**0 is the identity
    assert S1 ** 2 == Diag("Sigma1", "d", 2)
    assert S1 ** -1 == Diag("Sigma1", "d", -1)
    assert S1.sqrt() ** 3 == Diag("Sigma1", "d", sp.Rational(3, 2))
    assert (S1 ** 2) ** sp.Rational(1, 2) == S1
    assert Diag("Sigma1", "d", 3) ** "1/3" == S1


def test_diag_printing_and_sympy():
    assert repr(S1) == "Sigma1" and repr(S1 ** 2) == "Sigma1**(2)"
    assert repr(S1.sqrt()) == "Sigma1**(1/2)" and repr(S1 ** -1) == "Sigma1**(-1)"
    assert tex(S1) == r"\Sigma_{1}" and tex(S1 ** 2) == r"\Sigma_{1}^{2}"
    assert tex(S1.sqrt()) == r"\Sigma_{1}^{\frac{1}{2}}"
    dd = dim_symbol("d")
    base = sp.MatrixSymbol("Sigma1", dd, dd)
    assert S1.to_sympy() == base
    assert (S1 ** 2).to_sympy() == sp.MatPow(base, 2)
    assert S1.sqrt().to_sympy() == sp.MatPow(base, sp.Rational(1, 2))


def test_identity_and_zero():
    assert repr(Identity("n1")) == "I_n1" and tex(Identity("n1")) == "I_{n_{1}}"
    assert tex(Id) == "I_{d}" and Id.shape == ("d", "d") and Id.is_deterministic
    assert Id.to_sympy() == sp.Identity(dim_symbol("d"))
    Z = Zero("n", "d")
    assert Z.shape == ("n", "d") and Zero("d").shape == ("d", "d")
    assert repr(Z) == "0_nxd" and tex(Z) == "0" and Z.is_deterministic
    assert Z.to_sympy() == sp.ZeroMatrix(dim_symbol("n"), dim_symbol("d"))


# ----------------------------------------------------------------------------- composites

def test_transpose_node():
    T = X1.T
    assert isinstance(T, Transpose) and T.shape == ("d", "n1") and T.children() == (X1,)
    assert tex(Gaussian("Xa", "n", "d").T) == "Xa^{T}"


def test_add_node_printing():
    e = X1 + X2
    assert isinstance(e, Add) and e.shape == ("n1", "d")
    assert repr(e) == "X1 + X2" and tex(e) == "X_{1} + X_{2}"
    assert e.to_sympy() == sp.MatAdd(X1.to_sympy(), X2.to_sympy())
    assert repr((X1 + X2) @ S.T) == "(X1 + X2) @ S.T"


def test_matmul_node_printing():
    e = X1.T @ X1 @ S.T
    assert isinstance(e, MatMul) and e.shape == ("d", "m")
    assert repr(e) == "X1.T @ X1 @ S.T" and tex(e) == "X_{1}^{T} X_{1} S^{T}"
    assert e.to_sympy() == sp.MatMul(X1.to_sympy().T, X1.to_sympy(), S.to_sympy().T)
    assert tex((C + C.T) @ C) == r"\left(C + C^{T}\right) C"
    assert tex(C @ (C + C.T)) == r"C \left(C + C^{T}\right)"
    # a scaled factor (possible in a MatMul built directly) is put in parentheses too
    M = MatMul([scale(2, C), C + C.T, C])
    assert tex(M) == r"\left(2 C\right) \left(C + C^{T}\right) C"
    assert repr(M) == "(2*C) @ (C + C.T) @ C"


def test_scaled_node_printing():
    assert repr(2 * X1) == "2*X1" and tex(2 * X1) == "2 X_{1}"
    assert repr(-X1) == "-X1" and tex(-X1) == "- X_{1}"
    assert repr(-lam * X1) == "-lambda*X1" and tex(-lam * X1) == r"- \lambda X_{1}"
    assert repr((lam + 1) * X1) == "(lambda + 1)*X1"
    assert tex((lam + 1) * X1) == r"\left(\lambda + 1\right) X_{1}"
    assert repr(-(lam + 1) * X1) == "(-lambda - 1)*X1"
    assert tex(-(lam + 1) * X1) == r"\left(- \lambda - 1\right) X_{1}"
    assert repr(-(X1.T @ X1)) == "-X1.T @ X1" and tex(-(X1.T @ X1)) == "- X_{1}^{T} X_{1}"
    assert repr(lam * (C @ (C + C.T))) == "lambda*C @ (C + C.T)"
    assert repr((2 * X1) @ S.T + X2 @ S.T) == "2*X1 @ S.T + X2 @ S.T"
    e = Scaled(2, X1)
    assert e.coeff == 2 and isinstance(e.coeff, sp.Integer) and e.shape == ("n1", "d")
    assert (2 * X1).to_sympy() == 2 * X1.to_sympy()


def test_inverse_node_printing():
    R = inverse(X1.T @ X1 + lam * Id)
    assert isinstance(R, Inverse) and R.shape == ("d", "d")
    assert repr(R) == "inverse(lambda*I_d + X1.T @ X1)"
    assert tex(R) == r"\left(\lambda I_{d} + X_{1}^{T} X_{1}\right)^{-1}"
    assert R.to_sympy() == sp.Inverse(R.arg.to_sympy())


# ----------------------------------------------------------------------------- operators

def test_sum_of_a_list_and_reflected_addition():
    assert sum([X1]) == X1 and 0 + X1 == X1
    assert sum([X1, X2, X1]) == 2 * X1 + X2
    assert X1.__radd__(X2) == X1 + X2
    for other in (1, 2.5, "X"):
        with pytest.raises(TypeError, match="expected a matrix expression"):
            other + X1


def test_subtraction_and_negation():
    assert X1 - 2 * X1 == -X1 and X1 - X2 == add(X1, scale(-1, X2))
    assert -X1 == scale(-1, X1) and -(-X1) == X1 and -X1 != X1
    assert X1.__rsub__(X2) == X2 - X1 and X1.__rsub__(2 * X1) == X1
    with pytest.raises(TypeError, match="expected a matrix expression, got 0"):
        0 - X1


def test_products_and_reflected_products():
    assert X1.T.__rmatmul__(X1) == X1 @ X1.T
    assert S.T.__rmatmul__(X1) == X1 @ S.T


def test_scalar_multiplication_and_division():
    assert 2 * X1 == X1 * 2 == Scaled(2, X1)
    assert lam * X1 == X1 * lam == Scaled(lam, X1)
    assert X1 * 1 == X1 and X1 * 0 == Zero("n1", "d")
    with pytest.raises(TypeError, match=re.escape(
            "use @ for the product of two matrices; * is for scalars")):
        X1 * X2
    assert X1 / 2 == Scaled(sp.Rational(1, 2), X1)
    assert X1 / lam == Scaled(1 / lam, X1) and X1 / "3" == Scaled(sp.Rational(1, 3), X1)
    with pytest.raises(TypeError, match=re.escape("a matrix divides nothing; use inverse(A)")):
        X1 / X2


def test_T_and_I_properties():
    assert X1.T == Transpose(X1) and X1.T.T == X1
    assert C.I == inverse(C) and C.I.I == C


# ----------------------------------------------------------------------------- canonical constructors

def test_non_expressions_are_refused():
    with pytest.raises(TypeError, match="^expected a matrix expression, got 3$"):
        add(X1, 3)
    with pytest.raises(TypeError, match="^expected a matrix expression, got 3$"):
        matmul(3, X1)
    with pytest.raises(TypeError, match="^expected a matrix expression, got 'x'$"):
        transpose("x")
    with pytest.raises(TypeError, match=re.escape(
            "a scalar coefficient must be a SymPy expression, got [1]")):
        scale([1], X1)


def test_shape_errors_name_both_shapes():
    with pytest.raises(ValueError) as err:
        X1 + S
    assert str(err.value) == "cannot add X1 (n1 x d) and S (m x d): shapes differ"
    with pytest.raises(ValueError) as err:
        X1 @ S
    assert str(err.value) == ("cannot multiply X1 (n1 x d) by S (m x d): inner dimensions "
                              "d and m differ")
    with pytest.raises(ValueError) as err:
        inverse(X1)
    assert str(err.value) == "cannot invert X1 (n1 x d): not square"
    with pytest.raises(ValueError) as err:
        inverse(Zero("d"))
    assert str(err.value) == "cannot invert the zero matrix 0_dxd"


def test_scale():
    assert scale(0, X1) == Zero("n1", "d") and scale(2, Zero("n", "d")) == Zero("n", "d")
    assert scale(1, X1) is X1 and scale(sp.Integer(1), C + C.T) == C + C.T
    e = scale(2, scale(3, X1))
    assert isinstance(e, Scaled) and e.coeff == 6 and e.arg == X1
    e = scale(2, X1 + X2)
    assert isinstance(e, Add) and e.terms == (Scaled(2, X1), Scaled(2, X2))
    e = scale(lam, X1)
    assert isinstance(e, Scaled) and e.coeff == lam and e.arg is X1
    assert scale(-1, scale(-1, X1)) == X1


def test_add_canonical_form():
    assert add(Zero("n1", "d"), X1) == X1 and add(X1, Zero("n1", "d")) == X1
    assert add(X1) == X1
    e = add(X2, X1)
    assert isinstance(e, Add) and e.terms == (X1, X2) and repr(e) == "X1 + X2"
    e = add(X2, Zero("n1", "d"), X1)
    assert e.terms == (X1, X2)
    assert add(X1, X1) == Scaled(2, X1)
    assert add(X1, -X1) == Zero("n1", "d") and add(X1, -X1).shape == ("n1", "d")
    assert add(X1, X2, -X1) == X2
    assert add(2 * X1, 3 * X1, X2).terms == (Scaled(5, X1), X2)
    assert add(lam * X1, lam * X1) == Scaled(2 * lam, X1)
    assert add(X1 + X2, X1) == 2 * X1 + X2                          # sums are flattened
    assert add((lam + 1) * X1, -lam * X1) == X1                     # coefficients expanded


def test_content():
    assert content(X1) == (1, X1) and content(2 * X1) == (1, 2 * X1)
    assert content(4 * X1 + 6 * X2) == (4, X1 + sp.Rational(3, 2) * X2)
    assert content(-2 * X1 + 4 * X2) == (-2, X1 - 2 * X2)
    assert content(lam * X1 + 2 * lam * X2) == (lam, X1 + 2 * X2)
    assert content(-lam * X1 + lam * X2) == (-lam, X1 - X2)
    # the sign of a symbolic leading coefficient goes into g
    assert content(-lam * X1 + X2) == (-1, lam * X1 - X2)
    assert content(-(lam + 1) * X1 + X2) == (-1, (lam + 1) * X1 - X2)
    g, P = content(sp.Rational(2, 3) * X1 + sp.Rational(4, 9) * X2)
    assert (g, P) == (sp.Rational(2, 3), X1 + sp.Rational(2, 3) * X2)
    assert content((lam + 1) * X1 + X2) == (1, (lam + 1) * X1 + X2)


def test_deterministic_runs_are_sorted_and_merged():
    assert A_ @ A_ == A_ ** 2 and (A_ @ A_).power == 2
    assert A_ @ A_ ** -1 == Iq
    e = B_ @ A_
    assert isinstance(e, MatMul) and e.factors == (A_, B_) and repr(e) == "A @ B"
    assert B_ @ A_ @ B_ == A_ @ B_ ** 2
    Rq = inverse(A_ + Iq)
    e = Rq @ A_
    assert e == A_ @ Rq and repr(e) == "A @ inverse(A + I_q)"
    # a Gaussian factor breaks the run: both sides merged separately
    e = B_ @ A_ @ C @ A_ @ A_
    assert e.factors == (A_, B_, C, A_ ** 2)
    e = A_ @ C @ A_ ** -1
    assert e.factors == (A_, C, A_ ** -1)
    assert A_.sqrt() @ C @ A_.sqrt() @ A_.sqrt() == A_.sqrt() @ C @ A_


def test_matmul_canonical_form():
    assert Identity("n1") @ X1 == X1 and X1 @ Id == X1 and Id @ Id == Id
    assert X1 @ Zero("d", "m") == Zero("n1", "m")
    assert Zero("q", "n1") @ X1 == Zero("q", "d")
    e = (lam * X1) @ (2 * S.T)
    assert isinstance(e, Scaled) and e.coeff == 2 * lam and e.arg == X1 @ S.T
    e = (X1 @ S.T) @ (S @ X1.T)
    assert isinstance(e, MatMul) and e.factors == (X1, S.T, S, X1.T)
    assert e.shape == ("n1", "n1")
    e = (4 * C + 4 * C.T) @ C
    assert isinstance(e, Scaled) and e.coeff == 4 and e.arg.factors == (C + C.T, C)


def test_transpose_canonical_form():
    assert transpose(Zero("n", "d")) == Zero("d", "n")
    assert transpose(S1) is S1 and transpose(inverse(A_ + Iq)) == inverse(A_ + Iq)
    assert (2 * X1).T == Scaled(2, X1.T)
    assert (X1 + X2).T == X1.T + X2.T
    assert (X1 @ S.T).T == S @ X1.T
    assert inverse(C + Iq).T == inverse(C.T + Iq)
    assert inverse(C + Iq).T != inverse(C + Iq)
    with pytest.raises(TypeError, match="^cannot transpose alien$"):
        transpose(Alien())


def test_inverse_canonical_form():
    assert inverse(Id) == Id
    assert inverse(S1) == S1 ** -1 and isinstance(inverse(S1), Diag)
    assert inverse(S1.sqrt()) == Diag("Sigma1", "d", sp.Rational(-1, 2))
    e = inverse(2 * (C @ C))
    assert isinstance(e, Scaled) and e.coeff == sp.Rational(1, 2)
    assert e.arg == Inverse(C @ C)
    assert inverse(Inverse(C)) == C
    assert inverse(A_ @ B_ ** 2) == A_ ** -1 @ B_ ** -2
    assert isinstance(inverse(A_ @ inverse(B_ + Iq)), MatMul)
    assert inverse(A_ @ inverse(B_ + Iq)) == A_ ** -1 @ (B_ + Iq)
    e = inverse(4 * C + 4 * C.T)
    assert isinstance(e, Scaled) and e.coeff == sp.Rational(1, 4)
    assert e.arg == Inverse(C + C.T)
    e = inverse(C + C.T)
    assert isinstance(e, Inverse) and e.arg == C + C.T


# ----------------------------------------------------------------------------- queries

def test_is_linear():
    assert is_linear(Iq) and is_linear(C) and is_linear(C.T) and is_linear(2 * C.T)
    assert is_linear(lam * Iq + 2 * C + C.T) and is_linear(A_ @ inverse(B_ + Iq) + C)
    assert not is_linear(C @ C) and not is_linear(2 * (C @ C)) and not is_linear(inverse(C))
    assert not is_linear(A_ @ C)
    assert not is_linear(A_ + C @ C)               # the deterministic term comes first
    assert not is_linear(C + C @ C)


def test_gaussians_diags_and_scalars():
    e = X1 @ S.T @ S @ X2.T * lam
    assert gaussians(e) == {"X1": X1, "S": S, "X2": X2}
    assert gaussians(X1.T, X1) == {"X1": X1}
    assert diags(e) == {"Sigma1": "d"}
    assert diags(A_ @ C @ B_ ** 2, A_.sqrt()) == {"A": "q", "B": "q"}
    with pytest.raises(ValueError) as err:
        diags(Diag("S", "d"), Diag("S", "n"))
    assert str(err.value) == "Diag S has dimensions d and n"
    assert scalar_symbols(e) == {lam, d}
    assert scalar_symbols(lam * X1 + a * X2, S) == {lam, a, d}
    assert scalar_symbols(X1) == set()


# ----------------------------------------------------------------------------- evaluation

def test_evaluate_matches_numpy():
    rng = np.random.default_rng(3)
    n1_, d_ = 3, 4
    Xv, X2v, sig = rng.standard_normal((n1_, d_)), rng.standard_normal((n1_, d_)), \
        rng.uniform(0.5, 2, d_)
    values = {"X1": Xv, "X2": X2v, "Sigma1": sig, lam: 0.7, a: 1.3}
    sizes = {"n1": n1_, "d": d_}
    Sig = np.diag(sig)
    expr = inverse(X1.T @ X1 * a + lam * Id + X2.T @ X2) @ S1.sqrt() + S1 ** -1
    want = np.linalg.inv(a_val(values) * Xv.T @ Xv + 0.7 * np.eye(d_) + X2v.T @ X2v) \
        @ np.sqrt(Sig) + np.diag(1 / sig)
    got = evaluate(expr, values, sizes, FloatBackend())
    assert np.allclose(got, want, rtol=1e-12, atol=1e-12)
    Z = evaluate(Zero("n1", "d"), values, sizes, FloatBackend())
    assert Z.shape == (n1_, d_) and not Z.any()
    assert np.array_equal(evaluate(Id, values, sizes, FloatBackend()), np.eye(d_))
    assert np.allclose(evaluate(X1 @ X2.T + X2 @ X1.T - 2 * X1 @ X1.T, values, sizes,
                                FloatBackend()),
                       Xv @ X2v.T + X2v @ Xv.T - 2 * Xv @ Xv.T)
    with pytest.raises(TypeError, match="^cannot evaluate alien$"):
        evaluate(Alien() @ C, {"C": np.eye(2)}, {"q": 2}, FloatBackend())


def a_val(values):
    return values[a]


# ----------------------------------------------------------------------------- second pass

def test_operator_type_error_messages_are_exact():
    with pytest.raises(TypeError, match=r"^use @ for the product of two matrices; \* is for "
                                        r"scalars$"):
        X1 * X2
    with pytest.raises(TypeError, match=r"^a matrix divides nothing; use inverse\(A\)$"):
        X1 / X2
    with pytest.raises(ValueError, match=r"^Diag power 0 is the identity; use Identity\(dim\)$"):
        Diag("S", "d", 0)


def test_inverse_of_a_sum_with_content_two():
    e = inverse(2 * C + 2 * C.T)
    assert isinstance(e, Scaled) and e.coeff == sp.Rational(1, 2)
    assert e.arg == Inverse(C + C.T)
    assert e == inverse(C + C.T) / 2


def test_scaled_latex_prints_its_argument_with_the_printer():
    assert tex(2 * S1 ** 2) == r"2 \Sigma_{1}^{2}"
    assert tex(lam * S1.sqrt()) == r"\lambda \Sigma_{1}^{\frac{1}{2}}"
