r"""Rational expressions in random Gaussian blocks: the input language of the pencil engine.

A model of docs/setting.md is written as a rational expression in

- Gaussian blocks :class:`Gaussian` — a data block :math:`X_j \in \mathbb R^{n_j\times d}`
  whose rows are iid :math:`N(0, \Sigma_j)` (i.e. :math:`X_j = Z\Sigma_j^{1/2}`, Z iid
  N(0, 1)), a projection :math:`S \in \mathbb R^{m\times d}` with iid N(0, 1/d) entries,
  a noise block :math:`Z_j \in \mathbb R^{n_j\times m}`;
- deterministic diagonal matrices :class:`Diag` (:math:`\Sigma_j`, its powers such as
  :math:`\Sigma_j^{1/2}`, a test covariance B), :class:`Identity`, :class:`Zero`, all
  diagonal in one common basis (docs/setting.md, "atoms"), hence commuting;
- SymPy scalars (λ, 1/n, a_j, …) as coefficients,

combined by ``+``, ``-``, ``@`` (product), scalar ``*``, ``.T`` and :func:`inverse`.
Sizes are dimension *names* (``"n1"``, ``"d"``, ``"m"``); a product or a sum of blocks
whose names do not match raises ``ValueError`` naming both shapes.

Expressions are immutable and hashable, and built in a canonical form: transposes sit
on the Gaussian leaves, products are flat with their scalars pulled in front (a sum standing as a factor of a
product, or under an inverse, gives up its common scalar factor, :func:`content`) and their
runs of (commuting) deterministic factors sorted and merged (:math:`\Sigma^{1/2}\Sigma^{1/2}
= \Sigma`), sums are flat with like terms collected.  So a symmetric expression is
recognised structurally: ``A.T == A``.

>>> import sympy as sp
>>> lam, a1, n1 = sp.symbols("lambda a1 n1", positive=True)
>>> X1 = Gaussian("X1", "n1", "d", covariance=Diag("Sigma1", "d"))
>>> R = inverse(X1.T @ X1 * (a1 / n1) + lam * Identity("d"))
>>> R
inverse(lambda*I_d + a1/n1*X1.T @ X1)
>>> R.T == R, R.shape
(True, ('d', 'd'))
>>> X1 @ X1
Traceback (most recent call last):
...
ValueError: cannot multiply X1 (n1 x d) by X1 (n1 x d): inner dimensions d and n1 differ
"""
from __future__ import annotations

import sympy as sp

__all__ = ["MatExpr", "Gaussian", "Diag", "Identity", "Zero", "Transpose", "Add", "MatMul",
           "Scaled", "Inverse", "inverse", "add", "matmul", "scale", "transpose", "content",
           "is_linear", "gaussians", "diags", "scalar_symbols", "dim_symbol", "evaluate"]


def dim_symbol(name: str) -> sp.Symbol:
    """The SymPy symbol of a dimension name (positive integer)."""
    return sp.Symbol(str(name), positive=True, integer=True)


def _dim(name) -> str:
    if isinstance(name, sp.Symbol):
        return name.name
    if isinstance(name, str) and name:
        return name
    raise ValueError(f"a dimension is a non-empty name (str or SymPy Symbol), got {name!r}")


class MatExpr:
    """Base of all matrix expressions (immutable, hashable, compared structurally)."""

    __slots__ = ()
    rows: str
    cols: str

    # -- identity
    def _key(self):
        raise NotImplementedError

    def __eq__(self, other):
        return isinstance(other, MatExpr) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _set(self, **kw):
        for k, v in kw.items():
            object.__setattr__(self, k, v)

    # -- shape and kind
    @property
    def shape(self):
        return (self.rows, self.cols)

    @property
    def is_deterministic(self) -> bool:
        return all(c.is_deterministic for c in self.children())

    def children(self):
        return ()

    # -- operators
    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):
        if isinstance(other, int) and other == 0:  # sum([...])
            return self
        return add(other, self)

    def __sub__(self, other):
        return add(self, scale(-1, other))

    def __rsub__(self, other):
        return add(other, scale(-1, self))

    def __neg__(self):
        return scale(-1, self)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)

    def __mul__(self, c):
        if isinstance(c, MatExpr):
            raise TypeError("use @ for the product of two matrices; * is for scalars")
        return scale(c, self)

    __rmul__ = __mul__

    def __truediv__(self, c):
        if isinstance(c, MatExpr):
            raise TypeError("a matrix divides nothing; use inverse(A)")
        return scale(1 / sp.sympify(c), self)

    @property
    def T(self):
        return transpose(self)

    @property
    def I(self):  # noqa: E743 - the usual name
        return inverse(self)

    # -- printing
    def __repr__(self):
        return self._str()

    def _str(self) -> str:
        raise NotImplementedError

    def _str_factor(self) -> str:
        return self._str()

    def _latex(self, printer) -> str:
        raise NotImplementedError

    def latex(self) -> str:
        """LaTeX of the expression (``sympy.latex(expr)`` gives the same)."""
        return sp.latex(self)

    def to_sympy(self):
        """The same expression with SymPy matrix expressions (MatrixSymbol per block)."""
        raise NotImplementedError


def _latex_name(name: str) -> str:
    return sp.latex(sp.Symbol(name))


# ----------------------------------------------------------------------------- leaves

class Gaussian(MatExpr):
    r"""A Gaussian block with iid rows :math:`N(0, \mathrm{variance}\cdot\Sigma)`:
    :math:`X = \sqrt{\mathrm{variance}}\; Z\,\Sigma^{1/2}`, Z iid N(0, 1), of shape
    rows × cols.  ``covariance`` is a :class:`Diag` of dimension ``cols`` (None: the
    identity); ``variance`` a SymPy scalar (``1/d`` for a projection S).  Two blocks
    with the same name are the same random matrix.
    """

    __slots__ = ("name", "rows", "cols", "covariance", "variance")

    def __init__(self, name: str, rows, cols, covariance=None, variance=1):
        if not isinstance(name, str) or not name:
            raise ValueError(f"a Gaussian block needs a non-empty name, got {name!r}")
        rows, cols = _dim(rows), _dim(cols)
        if covariance is not None:
            if not isinstance(covariance, Diag):
                raise ValueError(f"covariance of {name} must be a Diag, got {covariance!r}")
            if covariance.dim != cols:
                raise ValueError(f"covariance of {name} has dimension {covariance.dim}, "
                                 f"the block has {cols} columns")
        self._set(name=name, rows=rows, cols=cols, covariance=covariance,
                  variance=sp.sympify(variance))

    def _key(self):
        cov = None if self.covariance is None else self.covariance._key()
        return ("Gaussian", self.name, self.rows, self.cols, cov, self.variance)

    @property
    def is_deterministic(self):
        return False

    def _str(self):
        return self.name

    def _latex(self, printer):
        return _latex_name(self.name)

    def to_sympy(self):
        return sp.MatrixSymbol(self.name, dim_symbol(self.rows), dim_symbol(self.cols))


class Diag(MatExpr):
    r"""A deterministic diagonal matrix ``name`` of dimension ``dim`` raised to ``power``
    (a rational; ``Diag("Sigma1", "d").sqrt()`` is :math:`\Sigma_1^{1/2}`).  All Diags
    are diagonal in one basis and commute."""

    __slots__ = ("name", "dim", "power")

    def __init__(self, name: str, dim, power=1):
        if not isinstance(name, str) or not name:
            raise ValueError(f"a Diag needs a non-empty name, got {name!r}")
        power = sp.Rational(power)
        if power == 0:
            raise ValueError("Diag power 0 is the identity; use Identity(dim)")
        self._set(name=name, dim=_dim(dim), power=power)

    rows = property(lambda self: self.dim)
    cols = property(lambda self: self.dim)

    def _key(self):
        return ("Diag", self.name, self.dim, self.power)

    @property
    def is_deterministic(self):
        return True

    def sqrt(self) -> "Diag":
        return Diag(self.name, self.dim, self.power / 2)

    def __pow__(self, p):
        p = sp.Rational(p)
        return Identity(self.dim) if p == 0 else Diag(self.name, self.dim, self.power * p)

    def _str(self):
        return self.name if self.power == 1 else f"{self.name}**({self.power})"

    def _latex(self, printer):
        base = _latex_name(self.name)
        return base if self.power == 1 else "%s^{%s}" % (base, printer._print(self.power))

    def to_sympy(self):
        base = sp.MatrixSymbol(self.name, dim_symbol(self.dim), dim_symbol(self.dim))
        return base if self.power == 1 else sp.MatPow(base, self.power)


class Identity(MatExpr):
    """The identity of dimension ``dim``."""

    __slots__ = ("dim",)

    def __init__(self, dim):
        self._set(dim=_dim(dim))

    rows = property(lambda self: self.dim)
    cols = property(lambda self: self.dim)

    def _key(self):
        return ("Identity", self.dim)

    @property
    def is_deterministic(self):
        return True

    def _str(self):
        return f"I_{self.dim}"

    def _latex(self, printer):
        return "I_{%s}" % _latex_name(self.dim)

    def to_sympy(self):
        return sp.Identity(dim_symbol(self.dim))


class Zero(MatExpr):
    """The zero matrix rows × cols."""

    __slots__ = ("rows", "cols")

    def __init__(self, rows, cols=None):
        self._set(rows=_dim(rows), cols=_dim(rows if cols is None else cols))

    def _key(self):
        return ("Zero", self.rows, self.cols)

    @property
    def is_deterministic(self):
        return True

    def _str(self):
        return f"0_{self.rows}x{self.cols}"

    def _latex(self, printer):
        return "0"

    def to_sympy(self):
        return sp.ZeroMatrix(dim_symbol(self.rows), dim_symbol(self.cols))


# ----------------------------------------------------------------------------- composites

class Transpose(MatExpr):
    """Transpose of a Gaussian block (canonical forms keep transposes on the leaves)."""

    __slots__ = ("arg",)

    def __init__(self, arg: Gaussian):
        self._set(arg=arg)

    rows = property(lambda self: self.arg.cols)
    cols = property(lambda self: self.arg.rows)

    def children(self):
        return (self.arg,)

    def _key(self):
        return ("T", self.arg._key())

    def _str(self):
        return f"{self.arg._str()}.T"

    def _latex(self, printer):
        return "%s^{T}" % self.arg._latex(printer)

    def to_sympy(self):
        return self.arg.to_sympy().T


class Add(MatExpr):
    """A sum of at least two terms of one shape (built by :func:`add`)."""

    __slots__ = ("terms",)

    def __init__(self, terms):
        self._set(terms=tuple(terms))

    rows = property(lambda self: self.terms[0].rows)
    cols = property(lambda self: self.terms[0].cols)

    def children(self):
        return self.terms

    def _key(self):
        return ("Add",) + tuple(t._key() for t in self.terms)

    def _str(self):
        return " + ".join(t._str() for t in self.terms)

    def _str_factor(self):
        return f"({self._str()})"

    def _latex(self, printer):
        return " + ".join(t._latex(printer) for t in self.terms)

    def to_sympy(self):
        return sp.MatAdd(*[t.to_sympy() for t in self.terms])


class MatMul(MatExpr):
    """A product of at least two factors, without scalars (built by :func:`matmul`)."""

    __slots__ = ("factors",)

    def __init__(self, factors):
        self._set(factors=tuple(factors))

    rows = property(lambda self: self.factors[0].rows)
    cols = property(lambda self: self.factors[-1].cols)

    def children(self):
        return self.factors

    def _key(self):
        return ("MatMul",) + tuple(f._key() for f in self.factors)

    def _str(self):
        return " @ ".join(f._str_factor() for f in self.factors)

    def _latex(self, printer):
        out = []
        for f in self.factors:
            s = f._latex(printer)
            out.append(r"\left(%s\right)" % s if isinstance(f, (Add, Scaled)) else s)
        return " ".join(out)

    def to_sympy(self):
        return sp.MatMul(*[f.to_sympy() for f in self.factors])


class Scaled(MatExpr):
    """A scalar (SymPy expression, not 0 or 1) times a non-sum (built by :func:`scale`)."""

    __slots__ = ("coeff", "arg")

    def __init__(self, coeff, arg):
        self._set(coeff=sp.sympify(coeff), arg=arg)

    rows = property(lambda self: self.arg.rows)
    cols = property(lambda self: self.arg.cols)

    def children(self):
        return (self.arg,)

    def _key(self):
        return ("Scaled", self.coeff, self.arg._key())

    def _str(self):
        c = str(self.coeff)
        if self.coeff == -1:
            return f"-{self.arg._str_factor()}"
        if self.coeff.is_Add:
            c = f"({c})"
        return f"{c}*{self.arg._str_factor()}"

    def _str_factor(self):
        return f"({self._str()})"

    def _latex(self, printer):
        c = printer._print(self.coeff)
        if self.coeff.is_Add:
            c = r"\left(%s\right)" % c
        if self.coeff == -1:
            c = "-"
        return "%s %s" % (c, self.arg._latex(printer))

    def to_sympy(self):
        return self.coeff * self.arg.to_sympy()


class Inverse(MatExpr):
    """The inverse of a square expression (built by :func:`inverse`)."""

    __slots__ = ("arg",)

    def __init__(self, arg):
        self._set(arg=arg)

    rows = property(lambda self: self.arg.rows)
    cols = property(lambda self: self.arg.cols)

    def children(self):
        return (self.arg,)

    def _key(self):
        return ("Inverse", self.arg._key())

    def _str(self):
        return f"inverse({self.arg._str()})"

    def _latex(self, printer):
        return r"\left(%s\right)^{-1}" % self.arg._latex(printer)

    def to_sympy(self):
        return sp.Inverse(self.arg.to_sympy())


# ----------------------------------------------------------------------------- canonical constructors

def _expr(x) -> MatExpr:
    if not isinstance(x, MatExpr):
        raise TypeError(f"expected a matrix expression, got {x!r}")
    return x


def _shape_str(a: MatExpr) -> str:
    return f"{a!r} ({a.rows} x {a.cols})"


def scale(c, A: MatExpr) -> MatExpr:
    """The scalar ``c`` (SymPy-convertible) times ``A``; distributes over sums."""
    c = sp.sympify(c)
    A = _expr(A)
    if isinstance(c, MatExpr) or not isinstance(c, sp.Expr):
        raise TypeError(f"a scalar coefficient must be a SymPy expression, got {c!r}")
    if c == 0 or isinstance(A, Zero):
        return Zero(A.rows, A.cols)
    if c == 1:
        return A
    if isinstance(A, Scaled):
        return scale(c * A.coeff, A.arg)
    if isinstance(A, Add):
        return add(*[scale(c, t) for t in A.terms])
    return Scaled(c, A)


def _split(t: MatExpr):
    return (t.coeff, t.arg) if isinstance(t, Scaled) else (sp.Integer(1), t)


def add(*terms) -> MatExpr:
    """The sum of ``terms`` (one shape): flattened, zeros dropped, like terms collected,
    terms in a canonical order."""
    flat = []
    for t in terms:
        t = _expr(t)
        flat.extend(t.terms if isinstance(t, Add) else [t])
    first = flat[0]
    for t in flat[1:]:
        if t.shape != first.shape:
            raise ValueError(f"cannot add {_shape_str(first)} and {_shape_str(t)}: "
                             f"shapes differ")
    coeffs: dict = {}
    for t in flat:
        if isinstance(t, Zero):
            continue
        c, core = _split(t)
        coeffs[core] = coeffs.get(core, 0) + c
    items = [(core, sp.expand(c)) for core, c in coeffs.items()]
    items = [(core, c) for core, c in items if c != 0]
    if not items:
        return Zero(first.rows, first.cols)
    items.sort(key=lambda it: repr(it[0]))
    out = [scale(c, core) for core, c in items]
    return out[0] if len(out) == 1 else Add(out)


def _numeric_part(c) -> sp.Expr:
    """The numeric factor of a scalar: itself when it is a number, else its rational
    content with the sign it carries (``-2*lam`` -> -2, ``lam + 1`` -> 1)."""
    if c.is_number:
        return c
    content, rest = c.as_content_primitive()
    return -content if rest.could_extract_minus_sign() else content


def content(A: MatExpr):
    r"""``(g, P)`` with ``A = g·P``: for a sum, g is the greatest common divisor of its
    coefficients times the numeric factor of the first remaining one, so that P does not
    depend on a scalar multiple of A (``content(k·A)[1] == content(A)[1]`` for every
    scalar k ≠ 0); for any other expression, ``(1, A)``.  Products and inverses keep
    their sum factors in this primitive form, which is what lets scalars commute out of
    them: :math:`(4C + 4C^T)(C + C^T) = 4\,(C + C^T)(C + C^T)`."""
    if not isinstance(A, Add):
        return sp.Integer(1), A
    parts = [_split(t) for t in A.terms]
    g = sp.gcd_list([sp.together(c) for c, _ in parts])
    coeffs = [sp.cancel(c / g) for c, _ in parts]
    lead = _numeric_part(sp.expand(coeffs[0]))
    g = g * lead
    if g == 1:
        return g, A
    return g, add(*[scale(sp.expand(sp.cancel(c / lead)), core)
                    for c, (_, core) in zip(coeffs, parts)])


def _merge_deterministic(run):
    """Sort a run of (commuting, diagonal) deterministic factors; merge powers of a Diag."""
    powers: dict = {}
    others = []
    for f in run:
        if isinstance(f, Diag):
            powers[(f.name, f.dim)] = powers.get((f.name, f.dim), 0) + f.power
        else:
            others.append(f)
    out = [Diag(n, d, p) for (n, d), p in powers.items() if p != 0] + others
    return sorted(out, key=repr)


def matmul(*factors) -> MatExpr:
    """The product of ``factors`` (inner dimensions must match): flattened, scalars
    pulled in front, identities dropped, deterministic runs sorted and merged."""
    factors = [_expr(f) for f in factors]
    for a, b in zip(factors, factors[1:]):
        if a.cols != b.rows:
            raise ValueError(f"cannot multiply {_shape_str(a)} by {_shape_str(b)}: inner "
                             f"dimensions {a.cols} and {b.rows} differ")
    rows, cols = factors[0].rows, factors[-1].cols
    coeff = sp.Integer(1)
    flat = []
    for f in factors:
        if isinstance(f, Scaled):
            coeff *= f.coeff
            f = f.arg
        g, f = content(f)
        coeff *= g
        flat.extend(f.factors if isinstance(f, MatMul) else [f])
    if any(isinstance(f, Zero) for f in flat):
        return Zero(rows, cols)
    out, run = [], []
    for f in flat:
        if isinstance(f, Identity):
            continue
        if f.is_deterministic:
            run.append(f)
        else:
            out.extend(_merge_deterministic(run))
            run = []
            out.append(f)
    out.extend(_merge_deterministic(run))
    if not out:
        core = Identity(rows)
    elif len(out) == 1:
        core = out[0]
    else:
        core = MatMul(out)
    return scale(coeff, core)


def transpose(A: MatExpr) -> MatExpr:
    """:math:`A^T`, pushed down to the Gaussian leaves (deterministic blocks are
    diagonal, hence symmetric)."""
    A = _expr(A)
    if isinstance(A, Gaussian):
        return Transpose(A)
    if isinstance(A, Transpose):
        return A.arg
    if isinstance(A, Zero):
        return Zero(A.cols, A.rows)
    if A.is_deterministic:
        return A
    if isinstance(A, Scaled):
        return scale(A.coeff, transpose(A.arg))
    if isinstance(A, Add):
        return add(*[transpose(t) for t in A.terms])
    if isinstance(A, MatMul):
        return matmul(*[transpose(f) for f in reversed(A.factors)])
    if isinstance(A, Inverse):
        return inverse(transpose(A.arg))
    raise TypeError(f"cannot transpose {A!r}")


def inverse(A: MatExpr) -> MatExpr:
    """:math:`A^{-1}` of a square expression (ValueError for a non-square or zero one)."""
    A = _expr(A)
    if A.rows != A.cols:
        raise ValueError(f"cannot invert {_shape_str(A)}: not square")
    if isinstance(A, Zero):
        raise ValueError(f"cannot invert the zero matrix {A!r}")
    if isinstance(A, Identity):
        return A
    if isinstance(A, Diag):
        return Diag(A.name, A.dim, -A.power)
    if isinstance(A, Scaled):
        return scale(1 / A.coeff, inverse(A.arg))
    if isinstance(A, Inverse):
        return A.arg
    if isinstance(A, MatMul) and A.is_deterministic:
        return matmul(*[inverse(f) for f in reversed(A.factors)])
    g, A = content(A)
    return Inverse(A) if g == 1 else scale(1 / g, Inverse(A))


# ----------------------------------------------------------------------------- queries

def is_linear(A: MatExpr) -> bool:
    """True when A is affine in the Gaussian blocks with *scalar* coefficients:
    a deterministic matrix plus scalar multiples of Gaussian blocks or their transposes
    (what may stand in one block of a linear pencil)."""
    terms = A.terms if isinstance(A, Add) else (A,)
    for t in terms:
        if t.is_deterministic:
            continue
        core = t.arg if isinstance(t, Scaled) else t
        if not isinstance(core, (Gaussian, Transpose)):
            return False
    return True


def _walk(A: MatExpr):
    yield A
    for c in A.children():
        yield from _walk(c)
    if isinstance(A, Gaussian) and A.covariance is not None:
        yield A.covariance


def gaussians(*exprs) -> dict:
    """``{name: Gaussian}`` of the Gaussian blocks in ``exprs`` (ValueError when one name
    stands for two different blocks)."""
    out: dict = {}
    for e in exprs:
        for node in _walk(e):
            if isinstance(node, Gaussian):
                if node.name in out and out[node.name] != node:
                    raise ValueError(f"two different Gaussian blocks are named {node.name}: "
                                     f"{out[node.name]._key()} and {node._key()}")
                out[node.name] = node
    return out


def diags(*exprs) -> dict:
    """``{name: dim}`` of the Diag matrices in ``exprs`` (covariances included)."""
    out: dict = {}
    for e in exprs:
        for node in _walk(e):
            if isinstance(node, Diag):
                if out.get(node.name, node.dim) != node.dim:
                    raise ValueError(f"Diag {node.name} has dimensions {out[node.name]} and "
                                     f"{node.dim}")
                out[node.name] = node.dim
    return out


def scalar_symbols(*exprs) -> set:
    """Free SymPy symbols of the coefficients (and variances) in ``exprs``."""
    out = set()
    for e in exprs:
        for node in _walk(e):
            if isinstance(node, Scaled):
                out |= node.coeff.free_symbols
            elif isinstance(node, Gaussian):
                out |= node.variance.free_symbols
    return out


# ----------------------------------------------------------------------------- evaluation

def evaluate(A: MatExpr, values: dict, sizes: dict, backend):
    """The value of ``A`` with ``values`` (Gaussian name → matrix, Diag name → diagonal
    of the base matrix, SymPy symbol → scalar) in ``backend`` (numpy float64 or exact
    rationals, see :mod:`symcollapse.pencil.linearization`)."""
    memo: dict = {}

    def ev(E):
        if E in memo:
            return memo[E]
        if isinstance(E, Gaussian):
            v = values[E.name]
        elif isinstance(E, Transpose):
            v = backend.transpose(ev(E.arg))
        elif isinstance(E, Diag):
            v = backend.diag(values[E.name], E.power)
        elif isinstance(E, Identity):
            v = backend.eye(sizes[E.dim])
        elif isinstance(E, Zero):
            v = backend.zeros(sizes[E.rows], sizes[E.cols])
        elif isinstance(E, Scaled):
            v = backend.scale(backend.scalar(E.coeff, values), ev(E.arg))
        elif isinstance(E, Add):
            v = ev(E.terms[0])
            for t in E.terms[1:]:
                v = backend.add(v, ev(t))
        elif isinstance(E, MatMul):
            v = ev(E.factors[0])
            for f in E.factors[1:]:
                v = backend.matmul(v, ev(f))
        elif isinstance(E, Inverse):
            v = backend.inv(ev(E.arg))
        else:
            raise TypeError(f"cannot evaluate {E!r}")
        memo[E] = v
        return v

    return ev(A)
