r"""Linear pencils of rational expressions in Gaussian blocks.

A *linear pencil* of a rational expression f (in the language of
:mod:`symcollapse.pencil.expr`) is a square block matrix

.. math::  L = L_0 + \sum_k \gamma_k\, E_{i_k j_k} \otimes G_k^{(T)},

linear in the Gaussian blocks :math:`G_k` (each entry of L is a deterministic diagonal
matrix plus *scalar* multiples of Gaussian blocks or their transposes), with one block
of its inverse equal to f:

.. math::  f = (L^{-1})_{\mathrm{row},\,\mathrm{col}}.

Blocks are square: block row and block column k have the same dimension name
``blocks[k]``.  The operator-valued Cauchy transform of such an L (the next layer)
needs, per Gaussian block, the pencil positions it occupies: :attr:`Pencil.positions`.

Two constructions (:func:`linearize`):

**Symmetric** (``form="symmetric"``, the default for a symmetric f, i.e. ``f.T == f``):
L is symmetric (self-adjoint) and ``row == col``.  It rests on one identity, the Schur
complement of a symmetric block matrix,

.. math::  \begin{pmatrix} c & w \\ w^T & H\end{pmatrix}^{-1}_{00} = (c - w H^{-1} w^T)^{-1},

and carries f as a *symmetric Schur form* :math:`f = c - w H^{-1} w^T` (c a symmetric
linear entry, w a block row of linear entries, H a symmetric pencil).  Forms add (c's
add, w's and H's stack), scale (c, w, H all by s), and invert
(:math:`f^{-1}` is the (0,0) block of the bordered matrix above, so
:math:`f^{-1} = 0 - E_0 (-L)^{-1} E_0^T`).  A congruence :math:`G^T D G` (how
:math:`X^TX`, :math:`S X^T X S^T`, :math:`R\Sigma R` arise) is built inside out:

- G linear, D an invertible deterministic matrix: :math:`G^TDG = -G^T(-D^{-1})^{-1}G`,
  one block (the Gram/resolvent case: ``inverse(X.T@X*s + lam*I)`` gets the pencil
  :math:`\begin{pmatrix}\lambda & sX^T\\ sX & -sI\end{pmatrix}`, the form of
  :math:`X^TX` scaled by s);
- G linear, D any form: D is the (0,0) block of :math:`L_D^{-1}` with
  :math:`L_D = \begin{pmatrix}0&I&0\\ I&-c_D&w_D\\ 0&w_D^T&-H_D\end{pmatrix}` (Schur
  complement of the lower 2×2 part), so :math:`G^TDG = -G^T (-L_D)^{-1}_{00} G`;
- G rational with a (general) pencil :math:`G = (Q^{-1})_{ij}`:
  :math:`\begin{pmatrix} X & Q^T\\ Q & 0\end{pmatrix}^{-1} = \begin{pmatrix}0 & Q^{-1}\\
  Q^{-T} & -Q^{-T}XQ^{-1}\end{pmatrix}` with :math:`X = E_i D E_i^T`, so
  :math:`G^TDG = -(\cdot)^{-1}_{(2,j),(2,j)}` (D's own Schur form bordered in).

Terms :math:`g M_k g^T` of a sum with a common linear outer factor g are collected into
:math:`g(\sum_k M_k)g^T` first (one copy of g's blocks).  A symmetric f that fits none of
these patterns (say :math:`A + A^T`) gets Anderson's symmetrization of a general pencil,
:math:`f = -\tfrac12(c + c^T) + \tfrac12 u H_0^{-1} u^T`, :math:`H_0 =
\begin{pmatrix}0&P^T\\P&0\end{pmatrix}`, :math:`u = (a, b^T)`, which doubles the size.
The final pencil is :math:`-H` with its (k,k) block when :math:`f = -E_k H^{-1}E_k^T`,
and the bordered :math:`\begin{pmatrix}0&I&0\\I&-c&w\\0&w^T&-H\end{pmatrix}` otherwise.

**General** (``form="general"``, and for a non-symmetric f): a *normal form*
:math:`Q = \begin{pmatrix} I & a & c\\ 0 & P & b\\ 0 & 0 & I\end{pmatrix}` (block column i
and block row j trivial) has :math:`(Q^{-1})_{ij} = a P^{-1} b - c`.  A linear A is
:math:`\begin{pmatrix} I & -A\\ 0 & I\end{pmatrix}`; sums glue the two i blocks and the
two j blocks; products glue :math:`j_f` with :math:`i_g` (the upper-bidiagonal trick:
a product of k linear factors has k + 1 blocks); scaling multiplies row i; and the
inverse is the Schur complement
:math:`\begin{pmatrix} -c & a\\ -b & P\end{pmatrix}^{-1}_{00} = (aP^{-1}b - c)^{-1}`.

Both end with a reduction: a block whose diagonal entry (or a pair of blocks whose 2×2
principal part) is deterministic and invertible is eliminated by a Schur complement
when every updated entry stays linear (this keeps a symmetric pencil symmetric).

>>> import sympy as sp
>>> lam, a1, n1 = sp.symbols("lambda a1 n1", positive=True)
>>> X1 = Gaussian("X1", "n1", "d")
>>> P = linearize(inverse(X1.T @ X1 * (a1 / n1) + lam * Identity("d")))
>>> P.blocks, P.row, P.col, P.is_symmetric
(('d', 'n1'), 0, 0, True)
>>> P.entry(0, 0), P.entry(0, 1), P.entry(1, 1)
(lambda*I_d, a1/n1*X1.T, -a1/n1*I_n1)
>>> import numpy as np
>>> check(P, sizes={"n1": 3, "d": 5}, rng=np.random.default_rng(0)) < 1e-12
True
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from symcollapse.pencil.expr import (Add, Diag, Gaussian, Identity, Inverse, MatExpr, MatMul, Scaled,
                                     Transpose, Zero, add, diags, evaluate, gaussians, inverse, is_linear,
                                     matmul, scalar_symbols, scale, transpose)

__all__ = ["Pencil", "linearize", "check", "FloatBackend", "ExactBackend",
           "Gaussian", "Diag", "Identity", "Zero", "inverse"]


# ----------------------------------------------------------------------------- pieces

class _Piece:
    """A square block matrix under construction: block dimensions and nonzero entries."""

    def __init__(self, blocks=(), entries=None):
        self.blocks = list(blocks)
        self.entries = dict(entries or {})

    def copy(self):
        return _Piece(self.blocks, self.entries)

    def new_block(self, dim) -> int:
        self.blocks.append(dim)
        return len(self.blocks) - 1

    def get(self, i, j) -> MatExpr:
        return self.entries.get((i, j), Zero(self.blocks[i], self.blocks[j]))

    def put(self, i, j, E: MatExpr):
        """Add E to entry (i, j)."""
        if (E.rows, E.cols) != (self.blocks[i], self.blocks[j]):
            raise AssertionError(f"entry ({i},{j}) {E!r} is {E.rows}x{E.cols}, block is "
                                 f"{self.blocks[i]}x{self.blocks[j]}")
        if (i, j) in self.entries:
            E = add(self.entries[(i, j)], E)
        if isinstance(E, Zero):
            self.entries.pop((i, j), None)
        else:
            self.entries[(i, j)] = E

    def embed(self, other: "_Piece", sign=1) -> int:
        """Append ``sign * other`` block-diagonally; returns the offset."""
        off = len(self.blocks)
        self.blocks.extend(other.blocks)
        for (x, y), E in other.entries.items():
            self.put(off + x, off + y, scale(sign, E))
        return off

    def scaled(self, s) -> "_Piece":
        return _Piece(self.blocks, {k: scale(s, E) for k, E in self.entries.items()})

    def trivial_col(self, i) -> bool:
        return (self.entries.get((i, i)) == Identity(self.blocks[i])
                and not any(y == i and x != i for (x, y) in self.entries))

    def trivial_row(self, j) -> bool:
        return (self.entries.get((j, j)) == Identity(self.blocks[j])
                and not any(x == j and y != j for (x, y) in self.entries))


# ----------------------------------------------------------------------------- general pencils

def _leaf(A: MatExpr):
    """:math:`\\begin{pmatrix} I & -A\\\\ 0 & I\\end{pmatrix}^{-1}_{01} = A`."""
    p = _Piece()
    i, j = p.new_block(A.rows), p.new_block(A.cols)
    p.put(i, i, Identity(A.rows))
    p.put(j, j, Identity(A.cols))
    p.put(i, j, scale(-1, A))
    return p, i, j


def _normal(R):
    """The same f with block column i and block row j trivial (adds ≤ 2 blocks):
    :math:`[[I, -E_i],[0, Q]]^{-1}` has :math:`(Q^{-1})_{ij}` at (new, j), and
    :math:`[[Q, -E_j],[0, I]]^{-1}` has it at (i, new)."""
    p, i, j = R
    if p.trivial_col(i) and p.trivial_row(j) and i != j:
        return R
    p = p.copy()
    if not p.trivial_col(i) or i == j:
        n0 = p.new_block(p.blocks[i])
        p.put(n0, n0, Identity(p.blocks[i]))
        p.put(n0, i, scale(-1, Identity(p.blocks[i])))
        i = n0
    if not p.trivial_row(j):
        n1 = p.new_block(p.blocks[j])
        p.put(n1, n1, Identity(p.blocks[j]))
        p.put(j, n1, scale(-1, Identity(p.blocks[j])))
        j = n1
    return p, i, j


def _g_scale(c, R):
    """c·f: in normal form, row i's off-diagonal entries (a and c of a P⁻¹b − c) times c."""
    p, i, j = _normal(R)
    q = p.copy()
    for (x, y), E in p.entries.items():
        if x == i and y != i:
            q.entries[(x, y)] = scale(c, E)
    return q, i, j


def _g_add(R1, R2):
    """f + g: glue :math:`i_f, i_g` (trivial columns) and :math:`j_f, j_g` (trivial rows);
    then :math:`(a_f, a_g)\\,(P_f\\oplus P_g)^{-1}(b_f; b_g) - c_f - c_g`."""
    (p, i1, j1), (q, i2, j2) = _normal(R1), _normal(R2)
    p = p.copy()
    m = {i2: i1, j2: j1}
    for k, dim in enumerate(q.blocks):
        if k not in m:
            m[k] = p.new_block(dim)
    for (x, y), E in q.entries.items():
        if (x, y) in ((i2, i2), (j2, j2)):
            continue
        p.put(m[x], m[y], E)
    return p, i1, j1


def _g_mul(R1, R2):
    """f·g: glue :math:`j_f` (trivial row) with :math:`i_g` (trivial column):
    :math:`\\begin{pmatrix}P&a&0\\\\0&I&b\\\\0&0&R\\end{pmatrix}^{-1}_{13} = P^{-1}a\\,bR^{-1}`."""
    (p, i1, j1), (q, i2, j2) = _normal(R1), _normal(R2)
    p = p.copy()
    m = {i2: j1}
    for k, dim in enumerate(q.blocks):
        if k not in m:
            m[k] = p.new_block(dim)
    for (x, y), E in q.entries.items():
        if (x, y) == (i2, i2):
            continue
        p.put(m[x], m[y], E)
    return p, i1, m[j2]


def _g_inv(R):
    """:math:`f^{-1}` for :math:`f = aP^{-1}b - c`: merge blocks i and j into one block k,
    :math:`M = \\begin{pmatrix}-c & a\\\\ -b & P\\end{pmatrix}`, :math:`(M^{-1})_{kk} =
    (-c + aP^{-1}b)^{-1}` (Schur complement of P)."""
    p, i, j = _normal(R)
    if p.blocks[i] != p.blocks[j]:
        raise ValueError("cannot invert a non-square expression")
    old = [k for k in range(len(p.blocks)) if k != j]
    new = {k: n for n, k in enumerate(old)}
    new[j] = new[i]
    q = _Piece([p.blocks[k] for k in old])
    for (x, y), E in p.entries.items():
        if (x, y) in ((i, i), (j, j)):
            continue
        if (x, y) == (i, j):
            q.put(new[i], new[i], scale(-1, E))
        elif y == j:
            q.put(new[x], new[i], scale(-1, E))
        else:
            q.put(new[x], new[y], E)
    return q, new[i], new[i]


def _general(f: MatExpr, memo: dict):
    """A general realization (piece, i, j) with :math:`f = (Q^{-1})_{ij}`."""
    if f in memo:
        return memo[f]
    if is_linear(f):
        R = _leaf(f)
    elif isinstance(f, Scaled):
        R = _g_scale(f.coeff, _general(f.arg, memo))
    elif isinstance(f, Add):
        lin = [t for t in f.terms if is_linear(t)]
        rest = [t for t in f.terms if not is_linear(t)]
        R = _leaf(add(*lin)) if lin else _general(rest.pop(0), memo)
        for t in rest:
            R = _g_add(R, _general(t, memo))
    elif isinstance(f, MatMul):
        groups, run = [], []
        for g in f.factors:              # a run of deterministic factors is one entry
            if g.is_deterministic:
                run.append(g)
                continue
            if run:
                groups.append(matmul(*run))
                run = []
            groups.append(g)
        if run:
            groups.append(matmul(*run))
        R = _general(groups[0], memo)
        for g in groups[1:]:
            R = _g_mul(R, _general(g, memo))
    elif isinstance(f, Inverse):
        R = _g_inv(_general(f.arg, memo))
    else:
        raise TypeError(f"cannot linearize {f!r}")
    memo[f] = R
    return R


# ----------------------------------------------------------------------------- symmetric pencils

@dataclass
class _SymForm:
    """:math:`f = c - w H^{-1} w^T` with H a symmetric piece, w = {block of H: entry}."""
    c: MatExpr
    w: dict
    H: _Piece

    def scaled(self, s):
        return _SymForm(scale(s, self.c), {h: scale(s, e) for h, e in self.w.items()},
                        self.H.scaled(s))


def _sym_add(forms, dim):
    c = add(*[F.c for F in forms])
    w, H = {}, _Piece()
    for F in forms:
        off = H.embed(F.H)
        w.update({off + h: e for h, e in F.w.items()})
    return _SymForm(c, w, H)


def _bordered(F: _SymForm) -> _Piece:
    """:math:`\\begin{pmatrix} c & w\\\\ w^T & H\\end{pmatrix}`, whose (0,0) inverse block
    is :math:`(c - wH^{-1}w^T)^{-1} = f^{-1}`."""
    L = _Piece([F.c.rows])
    L.put(0, 0, F.c)
    off = L.embed(F.H)
    for h, e in F.w.items():
        L.put(0, off + h, e)
        L.put(off + h, 0, transpose(e))
    return L


def _as_block(F: _SymForm) -> _Piece:
    """:math:`L_D = \\begin{pmatrix}0&I&0\\\\I&-c&w\\\\0&w^T&-H\\end{pmatrix}` with
    :math:`(L_D^{-1})_{00} = c - wH^{-1}w^T` (Schur complement of the lower 2×2 part)."""
    d = F.c.rows
    L = _Piece([d, d])
    L.put(0, 1, Identity(d))
    L.put(1, 0, Identity(d))
    L.put(1, 1, scale(-1, F.c))
    off = L.embed(F.H, sign=-1)
    for h, e in F.w.items():
        L.put(1, off + h, e)
        L.put(off + h, 1, transpose(e))
    return L


def _inverse_piece(A: MatExpr, memo):
    """A symmetric piece L with :math:`(L^{-1})_{00} = A^{-1}` (A symmetric)."""
    return _bordered(_sym(A, memo))


def _congruence(D: _SymForm, G: MatExpr, memo) -> _SymForm:
    """The form of :math:`G^T D G` (D of dimension G.rows)."""
    out_dim = G.cols
    if is_linear(G) and not D.w and D.c.is_deterministic:
        H = _Piece([G.rows])
        H.put(0, 0, scale(-1, inverse(D.c)))
        return _SymForm(Zero(out_dim), {0: transpose(G)}, H)
    if is_linear(G):
        return _SymForm(Zero(out_dim), {0: transpose(G)}, _as_block(D).scaled(-1))
    if isinstance(G, Inverse) and G.arg.T == G.arg:
        Q, i, j = _inverse_piece(G.arg, memo), 0, 0
    else:
        Q, i, j = _general(G, memo.setdefault("general", {}))
    n = len(Q.blocks)
    H = _Piece(Q.blocks + Q.blocks)
    for (x, y), E in Q.entries.items():
        H.put(n + x, y, E)
        H.put(y, n + x, transpose(E))
    H.put(i, i, D.c)
    off = H.embed(D.H)
    for h, e in D.w.items():
        H.put(i, off + h, e)
        H.put(off + h, i, transpose(e))
    return _SymForm(Zero(out_dim), {n + j: Identity(out_dim)}, H)


def _collect_congruences(terms):
    """Group terms :math:`s\\, g M g^T` with one linear outer factor g into
    :math:`g(\\sum s M)g^T`."""
    groups, order, out = {}, [], []
    for t in terms:
        c, core = (t.coeff, t.arg) if isinstance(t, Scaled) else (1, t)
        if (isinstance(core, MatMul) and is_linear(core.factors[0])
                and not core.factors[0].is_deterministic
                and transpose(core.factors[0]) == core.factors[-1]):
            G = core.factors[-1]
            inner = (matmul(*core.factors[1:-1]) if len(core.factors) > 2
                     else Identity(G.rows))
            if G not in groups:
                groups[G] = []
                order.append(G)
            groups[G].append(scale(c, inner))
        else:
            out.append(t)
    for G in order:
        if len(groups[G]) == 1:
            out.append(matmul(transpose(G), groups[G][0], G))
        else:
            out.append(matmul(transpose(G), add(*groups[G]), G))
    return out


def _anderson(f: MatExpr, memo) -> _SymForm:
    """Symmetrization of a general normal form :math:`f = aP^{-1}b - c` (f symmetric):
    :math:`f = -\\tfrac12(c+c^T) - u\\,(-2H_0)^{-1}u^T`, :math:`H_0 = [[0, P^T],[P, 0]]`,
    :math:`u = (a, b^T)`."""
    Q, i, j = _normal(_general(f, memo.setdefault("general", {})))
    inner = [k for k in range(len(Q.blocks)) if k not in (i, j)]
    pos = {k: t for t, k in enumerate(inner)}
    m = len(inner)
    dims = [Q.blocks[k] for k in inner]
    H = _Piece(dims + dims)
    w = {}
    for (x, y), E in Q.entries.items():
        if x in pos and y in pos:
            H.put(m + pos[x], pos[y], scale(-2, E))
            H.put(pos[y], m + pos[x], scale(-2, transpose(E)))
        elif x == i and y in pos:
            w[pos[y]] = E
        elif y == j and x in pos:
            w[m + pos[x]] = transpose(E)
    c = Q.get(i, j)
    return _SymForm(scale(sp.Rational(-1, 2), add(c, transpose(c))), w, H)


def _sym(f: MatExpr, memo) -> _SymForm:
    """The symmetric Schur form of a symmetric expression."""
    if f in memo:
        return memo[f]
    if is_linear(f):
        F = _SymForm(f, {}, _Piece())
    elif isinstance(f, Scaled):
        F = _sym(f.arg, memo).scaled(f.coeff)
    elif isinstance(f, Add):
        terms = _collect_congruences(f.terms)
        if all(t.T == t for t in terms):
            F = _sym_add([_sym(t, memo) for t in terms], f.rows)
        else:
            F = _anderson(f, memo)
    elif isinstance(f, MatMul):
        fs = f.factors
        k, p = len(fs), 0
        while p < k - 1 - p and transpose(fs[p]) == fs[k - 1 - p]:
            p += 1
        middle = fs[p:k - p]
        mid = (Identity(fs[p].rows) if not middle else
               middle[0] if len(middle) == 1 else matmul(*middle))
        if p == 0 or mid.T != mid:
            F = _anderson(f, memo)
        else:
            F = _sym(mid, memo)
            for t in range(p - 1, -1, -1):
                F = _congruence(F, fs[k - 1 - t], memo)
    elif isinstance(f, Inverse):
        L = _inverse_piece(f.arg, memo)
        F = _SymForm(Zero(f.rows), {0: Identity(f.rows)}, L.scaled(-1))
    else:
        F = _anderson(f, memo)
    memo[f] = F
    return F


# ----------------------------------------------------------------------------- reduction

def _det_block(p: _Piece, ks):
    """Inverse of the principal part on blocks ``ks`` (1 or 2 blocks of one dimension)
    when it is deterministic and not structurally singular, else None."""
    E = {(a, b): p.get(a, b) for a in ks for b in ks}
    if not all(e.is_deterministic for e in E.values()):
        return None
    if len(ks) == 1:
        e = E[(ks[0], ks[0])]
        return None if isinstance(e, Zero) else {(ks[0], ks[0]): inverse(e)}
    k, l = ks
    det = add(matmul(E[(k, k)], E[(l, l)]), scale(-1, matmul(E[(k, l)], E[(l, k)])))
    if isinstance(det, Zero):
        return None
    r = inverse(det)
    return {(k, k): matmul(r, E[(l, l)]), (l, l): matmul(r, E[(k, k)]),
            (k, l): scale(-1, matmul(r, E[(k, l)])), (l, k): scale(-1, matmul(r, E[(l, k)]))}


def _eliminate(p: _Piece, ks, keep):
    """Schur complement eliminating blocks ``ks``, or None if an entry would stop being
    linear."""
    inv = _det_block(p, ks)
    if inv is None:
        return None
    rows = sorted({x for (x, y) in p.entries if y in ks and x not in ks})
    cols = sorted({y for (x, y) in p.entries if x in ks and y not in ks})
    upd = {}
    for x in rows:
        for y in cols:
            terms = [matmul(p.get(x, a), inv[(a, b)], p.get(b, y))
                     for a in ks for b in ks
                     if (x, a) in p.entries and (b, y) in p.entries and (a, b) in inv]
            new = add(p.get(x, y), scale(-1, add(*terms)))
            if not is_linear(new):
                return None
            upd[(x, y)] = new
    remaining = [k for k in range(len(p.blocks)) if k not in ks]
    idx = {k: n for n, k in enumerate(remaining)}
    q = _Piece([p.blocks[k] for k in remaining])
    for (x, y), E in p.entries.items():
        if x in idx and y in idx and (x, y) not in upd:
            q.put(idx[x], idx[y], E)
    for (x, y), E in upd.items():
        q.put(idx[x], idx[y], E)
    return q, {k: idx[k] for k in keep}


def _reduce(p: _Piece, row, col):
    """Eliminate eliminable blocks (single, then pairs) until none is left."""
    keep = {row, col}
    changed = True
    while changed:
        changed = False
        n = len(p.blocks)
        cands = [(k,) for k in range(n) if k not in keep]
        cands += [(k, l) for k in range(n) for l in range(k + 1, n)
                  if k not in keep and l not in keep and p.blocks[k] == p.blocks[l]]
        for ks in cands:
            res = _eliminate(p, ks, keep)
            if res is not None:
                p, m = res
                row, col = m[row], m[col]
                keep = {row, col}
                changed = True
                break
    return p, row, col


# ----------------------------------------------------------------------------- the pencil

@dataclass(frozen=True)
class Pencil:
    r"""A linear pencil L (square blocks) with :math:`(L^{-1})_{\mathrm{row},\mathrm{col}}
    = ` ``expr``.

    ``blocks[k]`` is the dimension name of block row and column k; ``entries`` the
    nonzero entries ``((i, j), entry)``, each a deterministic diagonal matrix plus
    scalar multiples of Gaussian blocks (or transposes); ``form`` is ``"symmetric"``
    (L = Lᵀ, row = col) or ``"general"``.
    """

    blocks: tuple
    entries: tuple
    row: int
    col: int
    expr: MatExpr
    form: str

    @property
    def size(self) -> int:
        """Number of block rows (= block columns)."""
        return len(self.blocks)

    def entry(self, i, j) -> MatExpr:
        return dict(self.entries).get((i, j), Zero(self.blocks[i], self.blocks[j]))

    @property
    def is_symmetric(self) -> bool:
        E = dict(self.entries)
        return all(transpose(e) == E.get((j, i)) for (i, j), e in E.items())

    @property
    def gaussians(self) -> dict:
        """``{name: Gaussian}`` of the blocks in the pencil (with covariance, variance)."""
        return gaussians(*[e for _, e in self.entries])

    @property
    def positions(self) -> dict:
        r"""``{name: ((i, j, coeff, transposed), ...)}``: Gaussian block ``name`` enters
        L as ``coeff * G`` (``coeff * G.T`` when ``transposed``) in entry (i, j)."""
        out: dict = {}
        for (i, j), e in self.entries:
            for t in (e.terms if isinstance(e, Add) else (e,)):
                if t.is_deterministic:
                    continue
                c, core = (t.coeff, t.arg) if isinstance(t, Scaled) else (sp.Integer(1), t)
                tr = isinstance(core, Transpose)
                name = core.arg.name if tr else core.name
                out.setdefault(name, []).append((i, j, c, tr))
        return {k: tuple(v) for k, v in sorted(out.items())}

    @property
    def deterministic(self) -> dict:
        """``{(i, j): entry}`` of :math:`L_0`, the deterministic part of L."""
        out = {}
        for (i, j), e in self.entries:
            det = [t for t in (e.terms if isinstance(e, Add) else (e,)) if t.is_deterministic]
            if det:
                out[(i, j)] = add(*det)
        return out

    def to_sympy(self) -> sp.BlockMatrix:
        """L as a SymPy ``BlockMatrix`` of MatrixSymbols (Gaussians, Diags), identities
        and zeros; dimensions are :func:`~symcollapse.pencil.expr.dim_symbol` symbols."""
        return sp.BlockMatrix([[self.entry(i, j).to_sympy() for j in range(self.size)]
                               for i in range(self.size)])

    def latex(self) -> str:
        r"""LaTeX of L with its block dimensions, and of the block that holds ``expr``."""
        rows = [" & ".join(sp.latex(self.entry(i, j)) for j in range(self.size))
                for i in range(self.size)]
        body = r" \\ ".join(rows)
        dims = ", ".join(sp.latex(sp.Symbol(b)) for b in self.blocks)
        return (r"L = \begin{pmatrix} %s \end{pmatrix}, \quad \text{blocks } (%s), \quad"
                r" (L^{-1})_{%d%d} = %s" % (body, dims, self.row, self.col,
                                            sp.latex(self.expr)))

    def _repr_latex_(self):
        return "$%s$" % self.latex()

    def layout(self) -> str:
        """A printable block layout (one line per block row)."""
        cells = [[repr(self.entry(i, j)) if (i, j) in dict(self.entries) else "0"
                  for j in range(self.size)] for i in range(self.size)]
        width = [max(len(cells[i][j]) for i in range(self.size)) for j in range(self.size)]
        lines = []
        for i in range(self.size):
            row = "  ".join(cells[i][j].ljust(width[j]) for j in range(self.size))
            lines.append(f"[{self.blocks[i]:>3}] {row}")
        return "\n".join(lines)

    def __repr__(self):
        return (f"Pencil({self.form}, {self.size} blocks {list(self.blocks)}, "
                f"(L^-1)[{self.row},{self.col}] = {self.expr!r})\n{self.layout()}")

    def matrix(self, values: dict, sizes: dict, backend):
        """L assembled with ``values`` (see :func:`check`) in ``backend``."""
        E = dict(self.entries)
        grid = [[evaluate(E[(i, j)], values, sizes, backend) if (i, j) in E else None
                 for j in range(self.size)] for i in range(self.size)]
        return backend.assemble(grid, [sizes[b] for b in self.blocks])

    def block_of_inverse(self, values: dict, sizes: dict, backend):
        """:math:`(L^{-1})_{\\mathrm{row},\\mathrm{col}}` at ``values``."""
        Linv = backend.inv(self.matrix(values, sizes, backend))
        off = np.cumsum([0] + [sizes[b] for b in self.blocks])
        return backend.sub(Linv, off[self.row], off[self.row + 1],
                           off[self.col], off[self.col + 1])


def linearize(expr: MatExpr, form: str = "auto", reduce: bool = True) -> Pencil:
    """A linear pencil L with :math:`(L^{-1})_{\\mathrm{row},\\mathrm{col}} = ` ``expr``.

    ``form``: ``"symmetric"`` (requires ``expr.T == expr``; L symmetric, row = col),
    ``"general"``, or ``"auto"`` (symmetric when expr is).  ``reduce`` eliminates the
    blocks that a Schur complement can remove while keeping L linear.
    """
    if not isinstance(expr, MatExpr):
        raise TypeError(f"linearize needs a matrix expression, got {expr!r}")
    gaussians(expr)  # one name, one block
    symmetric = expr.rows == expr.cols and expr.T == expr
    if form == "auto":
        form = "symmetric" if symmetric else "general"
    if form == "symmetric":
        if not symmetric:
            raise ValueError(f"form='symmetric' needs a symmetric expression; {expr!r} is not")
        F = _sym(expr, {})
        if isinstance(F.c, Zero) and len(F.w) == 1:
            (k, e), = F.w.items()
            single = e == Identity(expr.rows)
        else:
            single = False
        if single:
            p, row, col = F.H.scaled(-1), k, k
        else:
            p, row, col = _as_block(F), 0, 0
    elif form == "general":
        p, row, col = _general(expr, {})
    else:
        raise ValueError(f"form must be 'auto', 'symmetric' or 'general', got {form!r}")
    if reduce:
        p, row, col = _reduce(p, row, col)
    entries = tuple(sorted(p.entries.items()))
    return Pencil(tuple(p.blocks), entries, row, col, expr, form)


# ----------------------------------------------------------------------------- numbers

class FloatBackend:
    """numpy float64 matrices."""

    exact = False

    def scalar(self, c, values):
        return float(sp.sympify(c).xreplace(
            {k: v for k, v in values.items() if isinstance(k, sp.Symbol)}))

    def diag(self, v, p):
        return np.diag(np.asarray(v, dtype=float) ** float(p))

    def eye(self, n):
        return np.eye(n)

    def zeros(self, r, c):
        return np.zeros((r, c))

    def matmul(self, a, b):
        return a @ b

    def add(self, a, b):
        return a + b

    def scale(self, s, a):
        return s * a

    def transpose(self, a):
        return a.T

    def inv(self, a):
        return np.linalg.inv(a)

    def assemble(self, grid, dims):
        return np.block([[g if g is not None else np.zeros((dims[i], dims[j]))
                          for j, g in enumerate(row)] for i, row in enumerate(grid)])

    def sub(self, a, r0, r1, c0, c1):
        return a[r0:r1, c0:c1]

    def maxabs(self, a):
        return float(np.max(np.abs(a))) if a.size else 0.0

    def random_matrix(self, rng, r, c):
        return rng.standard_normal((r, c)) / np.sqrt(max(r, c))

    def random_positive(self, rng, n):
        return rng.uniform(0.5, 2.0, size=n)

    def random_scalar(self, rng):
        return float(rng.uniform(0.5, 2.0))


class ExactBackend:
    """Exact rationals (python-flint ``fmpq_mat``): the pencil identity holds with no
    rounding at all.  Diag values are squares of rationals, so powers p with 2p an
    integer stay rational."""

    exact = True

    def __init__(self):
        import flint
        self.flint = flint

    def _q(self, r):
        r = sp.Rational(r)
        return self.flint.fmpq(int(r.p), int(r.q))

    def scalar(self, c, values):
        """``c`` at the chosen values, an exact rational; a pole there (1/(1 − s) at
        s = 1) is a singular draw, like a singular matrix: ZeroDivisionError."""
        v = sp.sympify(c).xreplace({k: x for k, x in values.items() if isinstance(k, sp.Symbol)})
        if v.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
            raise ZeroDivisionError(f"scalar {c} has a pole at the chosen values")
        if not v.is_Rational:
            raise ValueError(f"scalar {c} is not rational at the chosen values: {v}")
        return self._q(v)

    def diag(self, v, p):
        n = len(v)
        M = self.flint.fmpq_mat(n, n)
        for k, x in enumerate(v):
            y = sp.Rational(x) ** sp.Rational(p)
            if not y.is_Rational:
                raise ValueError(f"Diag power {p} of {x} is not rational")
            M[k, k] = self._q(y)
        return M

    def eye(self, n):
        M = self.flint.fmpq_mat(n, n)
        for k in range(n):
            M[k, k] = 1
        return M

    def zeros(self, r, c):
        return self.flint.fmpq_mat(r, c)

    def matmul(self, a, b):
        return a * b

    def add(self, a, b):
        return a + b

    def scale(self, s, a):
        return s * a

    def transpose(self, a):
        return a.transpose()

    def inv(self, a):
        return a.inv()

    def assemble(self, grid, dims):
        N = sum(dims)
        M = self.flint.fmpq_mat(N, N)
        off = np.cumsum([0] + list(dims))
        for i, row in enumerate(grid):
            for j, g in enumerate(row):
                if g is None:
                    continue
                for r in range(dims[i]):
                    for c in range(dims[j]):
                        M[off[i] + r, off[j] + c] = g[r, c]
        return M

    def sub(self, a, r0, r1, c0, c1):
        M = self.flint.fmpq_mat(int(r1 - r0), int(c1 - c0))
        for r in range(int(r0), int(r1)):
            for c in range(int(c0), int(c1)):
                M[r - r0, c - c0] = a[r, c]
        return M

    def maxabs(self, a):
        vals = [abs(x) for x in a.entries()]
        m = max(vals) if vals else 0
        return sp.Rational(int(m.p), int(m.q)) if vals else sp.Integer(0)

    def random_matrix(self, rng, r, c):
        M = self.flint.fmpq_mat(r, c)
        for i in range(r):
            for j in range(c):
                M[i, j] = self.flint.fmpq(int(rng.integers(-4, 5)), int(rng.integers(1, 5)))
        return M

    def random_positive(self, rng, n):
        return [sp.Rational(int(rng.integers(1, 5)), int(rng.integers(1, 5))) ** 2
                for _ in range(n)]

    def random_scalar(self, rng):
        return sp.Rational(int(rng.integers(1, 8)), int(rng.integers(1, 8)))


def random_values(exprs, sizes: dict, rng, backend) -> dict:
    """Random values for every block of ``exprs``: a matrix Z per Gaussian (the block is
    :math:`Z\\Sigma^{1/2}` when it has a covariance Σ), a positive diagonal per Diag, a
    positive number per scalar symbol (a symbol named like a dimension takes its size)."""
    missing = sorted({d for e in exprs for d in _dims(e)} - set(sizes))
    if missing:
        raise ValueError(f"sizes has no value for dimension(s) {', '.join(missing)}")
    values: dict = {}
    for name, dim in sorted(diags(*exprs).items()):
        values[name] = backend.random_positive(rng, sizes[dim])
    for s in sorted(scalar_symbols(*exprs), key=str):
        values[s] = (sp.Integer(sizes[s.name]) if s.name in sizes else backend.random_scalar(rng))
        if not backend.exact:
            values[s] = float(values[s])
    for name, G in sorted(gaussians(*exprs).items()):
        Z = backend.random_matrix(rng, sizes[G.rows], sizes[G.cols])
        if G.covariance is not None:
            cov = G.covariance
            Z = backend.matmul(Z, backend.diag(values[cov.name], cov.power / 2))
        values[name] = Z
    return values


def _dims(e: MatExpr):
    yield e.rows
    yield e.cols
    for c in e.children():
        yield from _dims(c)


def check(pencil: Pencil, expr: MatExpr | None = None, sizes: dict | None = None,
          rng=None, exact: bool = False):
    r"""Substitute random matrices for every block (``sizes``: dimension name → int) and
    return :math:`\max |f - (L^{-1})_{\mathrm{row},\mathrm{col}}|` over the entries.

    ``expr`` defaults to ``pencil.expr``; ``rng`` to ``numpy.random.default_rng(0)`` (the
    same draw on every run).  Float64 (numpy) by default; ``exact=True`` uses exact
    rationals and returns a SymPy Rational (0 when the pencil is right).
    """
    expr = pencil.expr if expr is None else expr
    sizes = dict(sizes or {})
    rng = np.random.default_rng(0) if rng is None else rng
    backend = ExactBackend() if exact else FloatBackend()
    exprs = [expr] + [e for _, e in pencil.entries]
    values = random_values(exprs, sizes, rng, backend)
    direct = evaluate(expr, values, sizes, backend)
    block = pencil.block_of_inverse(values, sizes, backend)
    return backend.maxabs(backend.add(direct, backend.scale(-1, block)))
