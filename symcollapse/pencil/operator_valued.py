r"""Operator-valued free probability on a linear pencil: the fixed-point equations as a System.

Given a symmetric linear pencil :math:`L = L_0 + W` (:mod:`symcollapse.pencil.linearization`) of an
expression f, with :math:`f = (L^{-1})_{rr}`, the deterministic equivalent of
:math:`L^{-1}` in the proportional limit solves the Dyson (Schwinger) equation of an
operator-valued semicircular element,

.. math::  G = \bigl(L_0 - \eta(G)\bigr)^{-1},\qquad \eta(B) = \mathbb E[\,W B W\,],

over the algebra of block matrices whose (a, b) block vanishes unless blocks a and b have
the same dimension, is diagonal in the atoms' common basis on the input space d (a
function of the atom symbols :data:`~symcollapse.core.equations.S1`, ``S2``, ``THETA``,
``DELTA``) and a scalar multiple of the identity on every other space (samples n_j,
features m): rows of a data block are exchangeable, and S is rotation invariant.

**Normalizations.**  Dimensions are proportional to n: :math:`n_j = p_jn`, d = φn,
m = ψn (``ratios``; ``n1 → 1 − p2``, ``n2 → p2``, ``d → φ``, ``m → ψ``, ``n → 1``).
Each block k is rescaled by :math:`s_k = n^{\tau_k}` (:math:`L' = DLD`,
:math:`D = \mathrm{diag}(s_k)`), with :math:`\tau_r = 0` on the target block and the
exponents chosen so that every Gaussian block enters as :math:`\kappa\tilde X`,
:math:`\tilde X = X/\sqrt{vn}` with entries of variance 1/n (v: the block's variance;
rows :math:`N(0, \Sigma/n)`) and κ free of n, and every deterministic entry is O(1).
For a block :math:`\tilde X` (r × s, covariance Σ on its s columns),

.. math::  \mathbb E[\tilde X A\tilde X^T] = \rho_s\operatorname{tr}_s(\Sigma A)\, I_r,\qquad
           \mathbb E[\tilde X^T C\tilde X] = \rho_r\operatorname{tr}_r(C)\,\Sigma,

with :math:`\rho_s = \dim s/n` (φ, p_j or ψ) and :math:`\operatorname{tr}_s` the
normalized trace on s: over d it is the atoms' :class:`~symcollapse.core.equations.tr`, on an
isotropic space it is the scalar itself.  So η(G)_{ab} is the sum, over pairs of positions
(a, j), (i', b) of one Gaussian block with opposite orientation, of
:math:`\kappa_p\kappa_q\rho\,\operatorname{tr}(\Sigma G_{ji'})` (output I) or
:math:`\kappa_p\kappa_q\rho\,\operatorname{tr}(G_{ji'})\,\Sigma`; pairs with the same
orientation contribute O(1/n) and are dropped.

**Unknowns.**  The scalar blocks :math:`G'_{ab} = \sigma_{ab}\,x_{ab}` (a ≤ b, one
isotropic dimension; the symmetric pair is one unknown) with an orientation sign
:math:`\sigma_{ab}` making the large-ridge value :math:`(L_0'^{-1})_{ab}` positive.  The
d-blocks are eliminated: :math:`G'_d = \Omega_d^{-1}` per atom, a rational function of
the atom symbols and the scalar unknowns; their traces enter the scalar equations as
``tr`` of cancelled per-atom fractions, exactly like the hand-written systems of
:mod:`symcollapse.core.equations`.  Unknowns that vanish identically (an invariant zero
pattern, checked symbolically) are dropped.  The residuals are
:math:`\sigma x\,\Omega - 1` for a single scalar block and
:math:`\det(\Omega)\,g_{ab} - \operatorname{adj}(\Omega)_{ab}` for several.

**Outputs.**  :class:`Output` (block b, per-atom weight W, scale c) is
:math:`c\,\operatorname{tr}_b(W (L^{-1})_{bb}) = c\,s_b^2\operatorname{tr}_b(W G'_{bb})`.
With a ``probe`` symbol t in the expression (e.g. λI + tΣ1), outputs marked
``derivative=True`` are :math:`\partial_t` at t = 0: the fixed point is differentiated
(:func:`differentiate_probe`), rates ``<x>_dot`` (or the model's names) solve the linear
equations :math:`J\dot x + \partial_tF = 0`.

For the linear model's resolvent (blocks d, n1, n2) the unknowns are
:math:`x_{n_j} = (a_j/p_j)\,e_j` (``e_j = p_j x/a_j``; the block scale is
:math:`s_{n_j}^2 = (p_j/a_j)^2 n`); for the projections model's
resolvent (blocks m, d, d, n1, n2), also :math:`x_m = \operatorname{tr}_m R_P =
\varphi/(\psi L)`.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import mpmath as mp
import sympy as sp

from symcollapse import models
from symcollapse.core import determinism as sym, equations as eq
from symcollapse.core.compiled import compile_system
from symcollapse.core.equations import System, tr
from symcollapse.core.regimes import parameter_values
from symcollapse.core.solve import solve_point
from symcollapse.pencil.expr import Add, Diag, Gaussian, Identity, MatExpr, MatMul, Scaled, Transpose, inverse
from symcollapse.pencil.linearization import Pencil, check, linearize
from symcollapse.pencil.reduction import change_variables, reduce_system

__all__ = ["Output", "OVFixedPoint", "operator_valued", "derive_system", "differentiate_probe",
           "mixture_sources", "t_probe",
           "map_traces", "time_to_system", "DEFAULT_RATIOS", "DEFAULT_DIAGS"]

#: Dimension name → its ratio to n (docs/setting.md: n_j = p_j n, d = φn, m = ψn).
DEFAULT_RATIOS = {"n1": 1 - eq.p2, "n2": eq.p2, "d": eq.phi, "m": eq.psi, "n": sp.Integer(1)}
#: Diag name → atom symbol (all diagonal in the atoms' basis on the space d).
DEFAULT_DIAGS = {"Sigma1": eq.S1, "Sigma2": eq.S2, "Theta": eq.THETA, "Delta": eq.DELTA}
#: The space whose coordinates the atoms always describe; a pencil's other spaces carry
#: atoms when a Diag or a covariance lives on them (their values: Field symbols).
ATOM_DIM = "d"
_N = sp.Symbol("n_limit", positive=True)


@dataclass(frozen=True)
class Output:
    r"""An output :math:`\mathrm{scale}\cdot\operatorname{tr}_b(\mathrm{weight}\,
    (L^{-1})_{bc})` (b = ``block``, default the target block; c = ``col``, default b: an
    off-diagonal pair of two blocks on the space with atoms; ``weight`` a per-atom
    expression in the atom symbols on d, a scalar elsewhere); ``derivative``: its
    derivative along the probe at probe = 0; ``source``: which pencil (several sources)."""

    block: int | None = None
    weight: object = 1
    scale: object = 1
    derivative: bool = False
    source: object = None
    col: int | None = None


# ----------------------------------------------------------------------------- helpers

def _subs_dims(expr, ratios):
    expr = sp.sympify(expr)
    rep = {s: ratios[s.name] * _N for s in expr.free_symbols if s.name in ratios}
    return expr.xreplace(rep)


def _degree(expr, ratios):
    """Exponent of n in ``expr`` as n → ∞ (dimensions replaced by ratio·n)."""
    e = sp.together(_subs_dims(expr, ratios))
    num, den = sp.fraction(e)
    return sp.Integer(sp.Poly(num, _N).degree() - sp.Poly(den, _N).degree())


#: Parameters a scale constant K_k may contain (never λ: K must stay finite as λ → 0).
_SCALE_PARAMS = {eq.a1, eq.a2, eq.p2, eq.alpha, eq.phi, eq.psi}


def _leading(expr, ratios):
    """The constant C of ``expr`` ≈ C n^deg (1 when C involves other symbols)."""
    e = sp.cancel(_subs_dims(expr, ratios) / _N ** _degree(expr, ratios))
    C = sp.limit(e, _N, sp.oo) if _N in e.free_symbols else e
    if C == 0 or not C.free_symbols <= _SCALE_PARAMS or C.has(sp.oo, sp.zoo, sp.nan):
        return sp.Integer(1)
    return C


def proportional_limit(expr, ratios):
    """The n → ∞ limit of an expression in the dimensions, each n_k = (ratio_k)·n."""
    e = sp.cancel(_subs_dims(expr, ratios))
    if _N not in e.free_symbols:
        return e
    return sp.limit(e, _N, sp.oo)


def _terms(E: MatExpr):
    return E.terms if isinstance(E, Add) else (E,)


def _split(t):
    return (t.coeff, t.arg) if isinstance(t, Scaled) else (sp.Integer(1), t)


def atom_dims(P: Pencil) -> frozenset:
    """The spaces of a pencil whose blocks are per-atom expressions: d, and every space
    on which a Diag or a Gaussian's covariance lives."""
    dims = {ATOM_DIM}
    for _, E in P.entries:
        for t in _terms(E):
            _c, core = _split(t)
            if t.is_deterministic:
                factors = core.factors if isinstance(core, MatMul) else (core,)
                dims |= {f.dim for f in factors if isinstance(f, Diag)}
    dims |= {G.cols for G in P.gaussians.values() if G.covariance is not None}
    return frozenset(dims)


def _det_value(core, diag_symbols, dim):
    """Per-atom value of a deterministic (diagonal) factor."""
    if isinstance(core, Identity):
        return sp.Integer(1)
    if isinstance(core, Diag):
        if core.name not in diag_symbols:
            raise ValueError(f"Diag {core.name} has no atom symbol: allowed "
                             + ", ".join(diag_symbols))
        return diag_symbols[core.name] ** core.power
    if isinstance(core, MatMul):
        return sp.Mul(*[_det_value(f, diag_symbols, dim) for f in core.factors])
    raise ValueError(f"deterministic entry {core!r} is not diagonal")


def _factored_det(Om: sp.Matrix):
    """det Ω of the d-blocks as a product over Ω's connected components (a block-diagonal Ω
    block by block): a component of one or two blocks factored by SymPy, a larger one put
    over one denominator (factoring its numerator can take minutes for a few terms)."""
    n = Om.shape[0]
    comp, seen = [], set()
    for start in range(n):
        if start in seen:
            continue
        stack, part = [start], []
        seen.add(start)
        while stack:
            u = stack.pop()
            part.append(u)
            for v in range(n):
                if v not in seen and (Om[u, v] != 0 or Om[v, u] != 0):
                    seen.add(v)
                    stack.append(v)
        comp.append(sorted(part))
    return sp.Mul(*[(sym.factor if len(c) <= 2 else sp.cancel)(
        Om.extract(c, c).det(method="berkowitz")) for c in comp])


def canonical_traces(expr):
    """``expr`` with each trace's integrand cancelled (one map over its distinct traces)."""
    return map_traces(expr, lambda f: tr(sp.cancel(f)))


def map_traces(expr, fn):
    """``expr`` with every trace tr(f) replaced by fn(f), each distinct trace once
    (``xreplace``: no pattern search through the outer expression)."""
    expr = sp.sympify(expr)
    return expr.xreplace({t: fn(t.args[0]) for t in expr.atoms(tr)})


def opaque_traces(expr):
    """Replace traces by dummies (for rational simplification of the outer expression)."""
    traces = sorted(sp.sympify(expr).atoms(tr), key=sp.default_sort_key)
    dummies = [sp.Dummy(f"T{i}") for i in range(len(traces))]
    return sp.sympify(expr).xreplace(dict(zip(traces, dummies))), dict(zip(dummies, traces))


def _is_zero(expr):
    return eq.vanishes(canonical_traces(expr))


# ----------------------------------------------------------------------------- the fixed point

@dataclass
class OVFixedPoint:
    r"""The operator-valued fixed point of one pencil.

    ``tau[k]``: scaling exponent of block k, ``scale[k]`` its scale
    :math:`s_k = K_kn^{\tau_k}` (n = the symbol ``n_limit``); ``unknowns``: ``{(a, b): symbol}`` for the
    scalar blocks kept (a ≤ b), ``sign``: their orientation σ (:math:`G'_{ab} = \sigma
    x_{ab}`), ``zero``: the scalar blocks that vanish identically; ``G_d``: the per-atom
    d-blocks ``{(a, b): expression}``; ``equations`` (one per unknown, same order) and
    ``guess`` (large ridge).
    """

    pencil: Pencil
    tau: dict
    scale: dict
    unknowns: dict
    sign: dict
    zero: tuple
    G_d: dict
    equations: tuple
    guess: dict
    ratios: dict
    diag_symbols: dict
    atom_dims: frozenset = frozenset({ATOM_DIM})

    def block_value(self, a, b):
        """:math:`G'_{ab}` (per-atom expression on d and the spaces with atoms, scalar
        elsewhere)."""
        a, b = min(a, b), max(a, b)
        if self.pencil.blocks[a] in self.atom_dims:
            return self.G_d[(a, b)]
        if (a, b) in self.unknowns:
            return self.sign[(a, b)] * self.unknowns[(a, b)]
        return sp.Integer(0)

    def density(self, out: Output):
        """Per-atom density of an :class:`Output` (before any probe derivative)."""
        b = self.pencil.row if out.block is None else out.block
        c = b if out.col is None else out.col
        if c != b and self.pencil.blocks[b] not in self.atom_dims:
            raise ValueError(f"output on blocks ({b}, {c}): off-diagonal pairs live on a "
                             f"space with atoms ({', '.join(sorted(self.atom_dims))})")
        factor = proportional_limit(sp.sympify(out.scale) * self.scale[b] * self.scale[c],
                                    self.ratios)
        w = sp.sympify(out.weight)
        if self.pencil.blocks[b] not in self.atom_dims and eq.depends_on_coordinates(w):
            raise ValueError(f"output on block {b} ({self.pencil.blocks[b]}): the weight "
                             f"{w} must not depend on the atoms")
        return sp.cancel(factor * w * self.block_value(b, c))


def operator_valued(source, ratios=None, diag_symbols=None, prefix="") -> OVFixedPoint:
    """The fixed point of a symmetric pencil (or of the pencil of a symmetric expression)."""
    P = source if isinstance(source, Pencil) else linearize(source)
    if P.form != "symmetric" or P.row != P.col:
        raise ValueError("the operator-valued step needs a symmetric pencil with row == col")
    ratios = dict(DEFAULT_RATIOS if ratios is None else ratios)
    diag_symbols = dict(DEFAULT_DIAGS if diag_symbols is None else diag_symbols)
    for dim in set(P.blocks):
        if dim not in ratios:
            raise ValueError(f"dimension {dim} has no ratio to n: give ratios[{dim!r}]")
    gauss = P.gaussians
    spaces = atom_dims(P)
    for G in gauss.values():
        if G.rows in spaces and G.cols in spaces:
            raise ValueError(f"Gaussian {G.name} is {G.rows} x {G.cols}, two spaces with atoms: "
                             "not supported (one of them must be isotropic)")

    # -- entries: deterministic terms and Gaussian positions
    det_terms, gpos = {}, []
    for (i, j), E in P.entries:
        for t in _terms(E):
            c, core = _split(t)
            if t.is_deterministic:
                det_terms.setdefault((i, j), []).append((c, core))
            else:
                name = core.arg.name if isinstance(core, Transpose) else core.name
                gpos.append((i, j, c, name, isinstance(core, Transpose)))

    # -- scaling exponents τ (τ_row = 0): Gaussian edges τi+τj = -1/2 - deg c - deg(v)/2
    edges = []
    for i, j, c, name, _ in gpos:
        target = sp.Rational(-1, 2) - _degree(c, ratios) - sp.Rational(
            _degree(gauss[name].variance, ratios), 2)
        edges.append((i, j, target, "gaussian", _leading(c, ratios)))
    for (i, j), terms in det_terms.items():
        deg = max(_degree(c, ratios) for c, _ in terms)
        lead = _leading(terms[0][0], ratios) if len(terms) == 1 else sp.Integer(1)
        edges.append((i, j, sp.Integer(-deg), "deterministic", lead))
    # s_k = K_k n^τ_k: τ from the exponents, K from the constants (Gaussian coefficients
    # and single deterministic links become ±n^(...)), K = 1 where only a diagonal decides
    tau, K = {P.row: sp.Integer(0)}, {P.row: sp.Integer(1)}
    changed = True
    while changed:
        changed = False
        for kind in ("gaussian", "deterministic", "diagonal"):
            for i, j, target, k, lead in edges:
                if k != kind and not (kind == "diagonal" and i == j):
                    continue
                if kind == "diagonal":
                    if i not in tau:
                        tau[i], K[i] = target / 2, sp.Integer(1)
                        changed = True
                elif i in tau and j not in tau:
                    tau[j], K[j] = target - tau[i], sp.cancel(1 / (lead * K[i]))
                    changed = True
                elif j in tau and i not in tau:
                    tau[i], K[i] = target - tau[j], sp.cancel(1 / (lead * K[j]))
                    changed = True
            if changed:
                break
    for k in range(P.size):
        if k not in tau:
            raise ValueError(f"block {k} of the pencil is not connected to the target block")
    for i, j, target, kind, _ in edges:
        s = tau[i] + tau[j]
        if kind == "gaussian" and s != target:
            raise ValueError(f"pencil entry ({i},{j}): its Gaussian block cannot be "
                             f"normalized consistently (exponents {s} and {target})")
        if kind == "deterministic" and s > target:
            raise ValueError(f"pencil entry ({i},{j}) diverges in the limit")
    scale = {k: K[k] * _N ** tau[k] for k in tau}

    def scaled(c, i, j):
        return c * scale[i] * scale[j]

    # -- L0' per block (per atom on d), and κ_p κ_q products of the Gaussian positions
    L0 = {}
    for (i, j), terms in det_terms.items():
        L0[(i, j)] = sp.Add(*[proportional_limit(scaled(c, i, j), ratios)
                              * _det_value(core, diag_symbols, P.blocks[i])
                              for c, core in terms])

    by_dim = {}
    for k, dim in enumerate(P.blocks):
        by_dim.setdefault(dim, []).append(k)

    # scalar unknowns (symmetric pairs on each isotropic dimension)
    raw = {}
    for dim, idx in by_dim.items():
        if dim in spaces:
            continue
        for x in idx:
            for y in idx:
                if x <= y:
                    label = dim if len(idx) == 1 else f"{dim}_{x}_{y}"
                    raw[(x, y)] = sp.Symbol(f"{prefix}g_{label}")

    # guess and orientation: (L0'^{-1}) on each isotropic dimension
    guess_g, sign = {}, {}
    sample = {s: sp.Rational(1, 3) for s in (eq.p2, eq.alpha)}
    for dim, idx in by_dim.items():
        if dim in spaces:
            continue
        M0 = sp.Matrix(len(idx), len(idx), lambda u, v: L0.get((idx[u], idx[v]), 0))
        try:
            inv0 = M0.inv() if M0.det() != 0 else sp.zeros(len(idx))
        except (ValueError, ZeroDivisionError):
            inv0 = sp.zeros(len(idx))
        for u, x in enumerate(idx):
            for v, y in enumerate(idx):
                if x <= y:
                    gval = sp.cancel(inv0[u, v])
                    guess_g[(x, y)] = gval
                    val = gval.subs(sample)
                    val = val.subs({s: 7 for s in val.free_symbols})
                    sign[(x, y)] = -1 if val.is_negative else 1

    def build(zero):
        """Ω per dimension and G_d, with the scalar blocks in ``zero`` set to 0."""
        def G(a, b):
            a, b = min(a, b), max(a, b)
            if P.blocks[a] in spaces:
                return Gd[(a, b)]
            if (a, b) in zero:
                return sp.Integer(0)
            return sign[(a, b)] * raw[(a, b)]

        def eta(a, b, contracted_trace):
            total = sp.Integer(0)
            for (i, j, c, name, tp) in gpos:
                if i != a:
                    continue
                Gs = gauss[name]
                for (i2, j2, c2, name2, tp2) in gpos:
                    if name2 != name or tp2 == tp or j2 != b:
                        continue
                    kk = proportional_limit(scaled(c, i, j) * scaled(c2, i2, j2) * Gs.variance * _N,
                                ratios)
                    cov = (_det_value(Gs.covariance, diag_symbols, Gs.cols)
                           if Gs.covariance is not None else sp.Integer(1))
                    if not tp:   # X at (a, j), X^T at (i2, b): contract over columns
                        total += kk * ratios[Gs.cols] * contracted_trace(cov, j, i2, Gs.cols)
                    else:        # X^T at (a, j), X at (i2, b): contract over rows, times Σ
                        total += kk * ratios[Gs.rows] * contracted_trace(1, j, i2, Gs.rows) * cov
            return total

        def ctrace(weight, j, i2, dim):
            val = G(j, i2)
            if dim in spaces:
                return tr(sp.cancel(weight * val))
            return weight * val

        Gd = {}
        for dim in sorted(spaces & set(by_dim)):
            idx = by_dim[dim]
            Om = sp.Matrix(len(idx), len(idx),
                           lambda u, v: L0.get((idx[u], idx[v]), 0)
                           - eta(idx[u], idx[v], ctrace))
            if Om.has(tr):
                raise ValueError(f"the {dim}-blocks depend on traces over a space with atoms: "
                                 "not supported")
            det = _factored_det(Om)
            adj = Om.adjugate(method="berkowitz")
            for u, x in enumerate(idx):
                for v, y in enumerate(idx):
                    if x <= y:
                        Gd[(x, y)] = sp.cancel(adj[u, v] / det)
        Omega = {}
        for dim, idx in by_dim.items():
            if dim in spaces:
                continue
            Omega[dim] = sp.Matrix(len(idx), len(idx),
                                   lambda u, v: L0.get((idx[u], idx[v]), 0)
                                   - eta(idx[u], idx[v], ctrace))
        return Gd, Omega, G

    # -- the zero pattern: start from the zeros of L0'^{-1}, keep what stays zero
    zero = {k for k, g in guess_g.items() if g == 0}
    while True:
        Gd, Omega, G = build(zero)
        keep = set()
        for dim, idx in by_dim.items():
            if dim in spaces:
                continue
            Om = Omega[dim]
            det = Om.det(method="berkowitz")
            adj = Om.adjugate(method="berkowitz") if len(idx) > 1 else sp.Matrix([[1]])
            for u, x in enumerate(idx):
                for v, y in enumerate(idx):
                    if x <= y and (x, y) in zero and _is_zero(adj[u, v]):
                        keep.add((x, y))
        if keep == zero:
            break
        zero = keep

    # -- residuals
    unknowns, eqs, guess = {}, [], {}
    for dim, idx in by_dim.items():
        if dim in spaces:
            continue
        Om = Omega[dim]
        if len(idx) == 1:
            k = (idx[0], idx[0])
            if k in zero:
                continue
            unknowns[k] = raw[k]
            eqs.append(canonical_traces(sign[k] * raw[k] * Om[0, 0] - 1))
            guess[raw[k]] = sign[k] * guess_g[k]
            continue
        det = canonical_traces(Om.det(method="berkowitz"))
        adj = Om.adjugate(method="berkowitz")
        for u, x in enumerate(idx):
            for v, y in enumerate(idx):
                if x <= y and (x, y) not in zero:
                    unknowns[(x, y)] = raw[(x, y)]
                    eqs.append(canonical_traces(det * sign[(x, y)] * raw[(x, y)] - adj[u, v]))
                    guess[raw[(x, y)]] = sign[(x, y)] * guess_g[(x, y)]
    return OVFixedPoint(P, tau, scale, unknowns, sign, tuple(sorted(zero)), Gd, tuple(eqs), guess,
                        ratios, diag_symbols, spaces)


# ----------------------------------------------------------------------------- systems

def differentiate_probe(system: System, probe, derivative_outputs=(), suffix="_dot",
                        at_zero=None, rates=None) -> System:
    r"""Differentiate a fixed point along a probe parameter t at t = 0.

    Unknowns x(t) = x + tẋ: the equations F(x, 0) = 0 and :math:`\partial_t F(x + t\dot x,
    t)|_{t=0} = J\dot x + \partial_tF = 0` (linear in the rates ẋ).  Outputs named in
    ``derivative_outputs`` become :math:`\partial_t` of their density (through x(t) and
    t), the others their value at t = 0.  ``at_zero``: the equations F(x, 0) = 0 when the
    caller poses them in another (equivalent) form; ``rates``: {unknown: its rate's symbol}
    (default: the unknown's name with ``suffix``)."""
    rates = tuple((rates or {}).get(x, sp.Symbol(f"{x.name}{suffix}")) for x in system.unknowns)
    moved = {x: x + probe * r for x, r in zip(system.unknowns, rates)}

    def d_at_zero(expr):
        expr = sp.sympify(expr).xreplace(moved)
        out = sp.diff(expr, probe).subs(probe, 0)
        return canonical_traces(out)

    eqs0 = tuple(canonical_traces(sp.sympify(e).subs(probe, 0)) for e in system.equations) \
        if at_zero is None else tuple(at_zero)
    eqs1 = tuple(d_at_zero(e) for e in system.equations)
    dens = {}
    for k, v in system.densities.items():
        dens[k] = sp.cancel(d_at_zero(v)) if k in derivative_outputs else sp.cancel(
            sp.sympify(v).subs(probe, 0))
    guess = {x: sp.sympify(g).subs(probe, 0) for x, g in system.guess.items()}
    guess.update({r: 0 for r in rates})
    return System(name=system.name, unknowns=tuple(system.unknowns) + rates,
                  equations=eqs0 + eqs1, densities=dens, positive=system.positive,
                  guess=guess, note=system.note + f"; differentiated along {probe} at 0")


def _single_system(fp: OVFixedPoint, outputs: dict, name: str) -> System:
    dens = {k: fp.density(o) for k, o in outputs.items()}
    xs = tuple(fp.unknowns.values())
    positive = tuple(x for x in xs if fp.guess.get(x, 0) != 0 and (
        sp.sympify(fp.guess[x]).is_positive is not False))
    return System(name=name, unknowns=xs, equations=fp.equations, densities=dens,
                  positive=positive, guess=dict(fp.guess),
                  note=f"operator-valued fixed point of a {fp.pencil.size}-block pencil")


def derive_system(source, outputs=None, params=None, probe=None, ratios=None,
                  diag_symbols=None, name="pencil", reduce=None, change=None,
                  rates=None) -> System:
    r"""The deterministic equivalent of one or several symmetric expressions (or pencils)
    as a :class:`~symcollapse.core.equations.System`.

    ``source``: a symmetric :class:`~symcollapse.pencil.expr.MatExpr`, a symmetric
    :class:`~symcollapse.pencil.linearization.Pencil`, or a dict ``{label: expr_or_pencil}``.
    ``outputs``: ``{name: Output}`` or ``{name: [Output, ...]}`` (a sum); default
    ``{"trace": Output()}`` (tr of the target block).  With several sources each Output
    names its ``source``.  ``params``: a substitution applied to everything (e.g.
    :func:`~symcollapse.core.equations.mixture_weights`).  ``probe``: a scalar symbol in the
    expressions; the system is differentiated along it at 0 (:func:`differentiate_probe`).
    ``reduce``: a function of the pencils' joint first-order system (before the probe
    derivative and ``params``) returning an exact generic point and atoms at which
    :func:`~symcollapse.pencil.reduction.reduce_system` proposes its reductions (then
    proved symbolically): the unknowns of later pencils proportional to earlier ones are
    merged and the explicit ones eliminated; then ``change`` ({unknown: expression in a
    named unknown}, :func:`~symcollapse.pencil.reduction.change_variables`) names the
    unknowns, and ``rates`` ({named unknown: symbol}) names their rates along the probe.
    """
    if reduce is not None:
        return _derive_reduced(source, outputs, params, probe, ratios, diag_symbols, name,
                               reduce, change or {}, rates or {})
    sources = source if isinstance(source, dict) else {None: source}
    outputs = {"trace": Output()} if outputs is None else outputs
    params = {} if params is None else params
    systems = []
    for label, src in sources.items():
        prefix = "" if label is None else f"{label}_"
        fp = operator_valued(src, ratios=ratios, diag_symbols=diag_symbols, prefix=prefix)
        outs = {}
        for k, o in outputs.items():
            for n_, part in enumerate(o if isinstance(o, (list, tuple)) else [o]):
                if part.source == label or (len(sources) == 1):
                    outs[(k, n_)] = part
        sysl = _single_system(fp, {f"{k}#{n_}": o for (k, n_), o in outs.items()},
                              name=f"{name}/{label}")
        if probe is not None:
            deriv = [f"{k}#{n_}" for (k, n_), o in outs.items() if o.derivative]
            sysl = differentiate_probe(sysl, probe, deriv)
        systems.append(sysl)
    unknowns, eqs, positive, guess, parts = (), (), (), {}, {}
    for s in systems:
        unknowns += s.unknowns
        eqs += s.equations
        positive += s.positive
        guess.update(s.guess)
        parts.update(s.densities)
    if params:
        eqs = tuple(canonical_traces(sp.sympify(e).subs(params)) for e in eqs)
        parts = {k: sp.cancel(sp.sympify(v).subs(params)) for k, v in parts.items()}
        guess = {k: sp.sympify(v).subs(params) for k, v in guess.items()}
    dens = {}
    for k, o in outputs.items():
        n_terms = len(o) if isinstance(o, (list, tuple)) else 1
        dens[k] = sp.Add(*[parts[f"{k}#{n_}"] for n_ in range(n_terms)])
    return System(name=name, unknowns=unknowns, equations=eqs, densities=dens,
                  positive=positive, guess=guess,
                  note="operator-valued Dyson equation of linear pencils")


def _derive_reduced(source, outputs, params, probe, ratios, diag_symbols, name, reduce,
                    change, rates):
    """:func:`derive_system` with ``reduce``: the pencils' first-order systems joined and
    reduced, then differentiated along the probe, then ``params`` substituted."""
    sources = source if isinstance(source, dict) else {None: source}
    outputs = {"trace": Output()} if outputs is None else outputs
    singles, deriv = [], []
    for label, src in sources.items():
        fp = operator_valued(src, ratios=ratios, diag_symbols=diag_symbols,
                             prefix="" if label is None else f"{label}_")
        outs = {}
        for k, o in outputs.items():
            for n_, part in enumerate(o if isinstance(o, (list, tuple)) else [o]):
                if part.source == label or len(sources) == 1:
                    outs[f"{k}#{n_}"] = part
                    if part.derivative:
                        deriv.append(f"{k}#{n_}")
        singles.append(_single_system(fp, outs, name=f"{name}/{label}"))
    joined = System(name=name, unknowns=sum((s.unknowns for s in singles), ()),
                    equations=sum((s.equations for s in singles), ()),
                    densities={k: v for s in singles for k, v in s.densities.items()},
                    positive=sum((s.positive for s in singles), ()),
                    guess={k: v for s in singles for k, v in s.guess.items()},
                    note="operator-valued Dyson equation of linear pencils")
    point, atoms = reduce(joined)
    system = reduce_system(joined, [s.unknowns for s in singles], point, atoms)
    if change:
        by_name = {str(x): x for x in system.unknowns}
        system = change_variables(system, {by_name.get(str(x), x): f for x, f in change.items()})
    if probe is not None:
        system = differentiate_probe(system, probe, deriv, rates=rates)
    params = params or {}
    dens = {}
    for k, o in outputs.items():
        n_terms = len(o) if isinstance(o, (list, tuple)) else 1
        dens[k] = sp.Add(*[sp.cancel(sp.sympify(system.densities[f"{k}#{n_}"]).xreplace(params))
                           for n_ in range(n_terms)])
    return dataclasses.replace(
        system, densities=dens,
        equations=tuple(canonical_traces(sp.sympify(e).xreplace(params)) for e in system.equations),
        guess={k: sp.sympify(v).xreplace(params) for k, v in system.guess.items()})


# ----------------------------------------------------------------------------- the mixture models

#: Dimension symbols of the mixture expressions (matched to ``ratios`` by name).
n1_dim, n2_dim, d_dim = sp.symbols("n1 n2 d", positive=True)
#: The probe of the second-order quantities.
t_probe = sp.Symbol("t_probe")


def _block_of(P: Pencil, dim: str) -> int:
    found = [k for k, b in enumerate(P.blocks) if b == dim]
    if len(found) != 1:
        raise ValueError(f"the pencil has {len(found)} blocks of dimension {dim}")
    return found[0]


def mixture_sources(model: str = "linear"):
    r"""The expressions and outputs of E_test = Bias + Var + ζ (docs/theory/linear.md §0) for the
    linear model (``"linear"``) or the random projections model (``"random_projection"``),
    as derivatives along the probe t at 0, with group weights a1, a2
    (:func:`~symcollapse.core.equations.mixture_weights` gives them per strategy).

    Linear: :math:`R(t) = (a_1\hat\Sigma_1 + a_2\hat\Sigma_2 + \lambda + t\Sigma_1)^{-1}`;
    :math:`\mathrm{Bias} = -\lambda^2\partial_t\operatorname{tr}(\Theta R)`,
    :math:`\mathrm{Var} = -\sum_j\sigma_j^2(a_j/n_j)^2\,\partial_t\operatorname{Tr}
    (L^{-1})_{n_jn_j}` (that block is :math:`-n_j/a_j + X_jRX_j^T`),
    :math:`\zeta = -\partial_t\operatorname{tr}(\Delta\,a_2^2\hat\Sigma_2R\hat\Sigma_2)`.

    Projections: :math:`R_P(t) = (S(\hat M + t\Sigma_1)S^T + \lambda)^{-1}`,
    :math:`P = S^TR_PS`; the pencil's d-block next to m is
    :math:`-(\hat M_t - \hat M_tP\hat M_t)`, whose t-derivative is minus the bias matrix
    :math:`(I - \hat MP)\Sigma_1(I - P\hat M)`; Var as above with
    :math:`(L^{-1})_{n_jn_j} = -n_j/a_j + X_jPX_j^T`;
    :math:`\zeta = -\partial_t\operatorname{tr}(\Delta\,a_2^2\hat\Sigma_2P\hat\Sigma_2)`.

    Returns ``(sources, outputs, probe)`` for :func:`derive_system`: the model's
    ``sources`` hook (:func:`linear_sources`, :func:`projection_sources`).
    """
    return models.get(model).hook("sources")()


def _groups():
    """The two groups' design blocks X_j ~ N(0, Σ_j) and their loss weights c_j = a_j/n_j."""
    S1d, S2d = Diag("Sigma1", "d"), Diag("Sigma2", "d")
    X1 = Gaussian("X1", "n1", "d", covariance=S1d)
    X2 = Gaussian("X2", "n2", "d", covariance=S2d)
    return S1d, X1, X2, eq.a1 / n1_dim, eq.a2 / n2_dim


def _noise_and_shift(PR):
    """Var (the n_j-blocks of the pencil of R) and ζ (the source Z) of a mixture model."""
    var = [Output(block=_block_of(PR, f"n{j}"), scale=-s ** 2 * (a / n) ** 2 * n,
                  derivative=True, source="R")
           for j, s, a, n in ((1, eq.sigma1, eq.a1, n1_dim), (2, eq.sigma2, eq.a2, n2_dim))]
    zeta = Output(weight=eq.DELTA, scale=-1, derivative=True, source="Z")
    return var, zeta


def linear_sources(test="Sigma1", with_shift=False):
    r"""The linear model's expressions in Gaussian blocks (:func:`mixture_sources`);
    ``test``: the probe's covariance (``"Sigma2"``: the training-error probe,
    :func:`training_sources`); ``with_shift``: also return the label shift's smoother
    :math:`a_2\hat\Sigma_2R` (the left factor of the ζ expression)."""
    S1d, X1, X2, c1, c2 = _groups()
    t = t_probe
    R = inverse(X1.T @ X1 * c1 + X2.T @ X2 * c2 + eq.lam * Identity("d") + t * Diag(test, "d"))
    shift = X2.T @ X2 @ R * c2
    Z = shift @ X2.T @ X2 * c2
    PR = linearize(R)
    bias = Output(weight=eq.THETA, scale=-eq.lam ** 2, derivative=True, source="R")
    var, zeta = _noise_and_shift(PR)
    outputs = {"bias": bias, "variance": var, "zeta": zeta, "test_error": [bias, *var, zeta]}
    found = {"R": PR, "Z": linearize(Z)}, outputs, t
    return (*found, shift) if with_shift else found


def projection_sources(test="Sigma1", with_shift=False):
    r"""The random projections model's expressions in Gaussian blocks (:func:`mixture_sources`);
    ``test`` as in :func:`linear_sources`."""
    S1d, X1, X2, c1, c2 = _groups()
    t = t_probe
    S = Gaussian("S", "m", "d", variance=1 / d_dim)
    F1, F2 = X1 @ S.T, X2 @ S.T
    R = inverse(F1.T @ F1 * c1 + F2.T @ F2 * c2 + eq.lam * Identity("m")
                + t * S @ Diag(test, "d") @ S.T)
    shift = X2.T @ X2 @ S.T @ R @ S * c2
    Z = shift @ X2.T @ X2 * c2
    PR = linearize(R)
    nxt = [j for i, j, c, tp in PR.positions["S"] if i == PR.row]
    bias = Output(block=nxt[0], weight=eq.THETA, scale=-1, derivative=True, source="R")
    var, zeta = _noise_and_shift(PR)
    outputs = {"bias": bias, "variance": var, "zeta": zeta, "test_error": [bias, *var, zeta]}
    found = {"R": PR, "Z": linearize(Z)}, outputs, t
    return (*found, shift) if with_shift else found


def training_sources(model: str):
    r"""The expressions of a mixture model's training-error probe (docs/theory/training.md):
    the synthetic group's own error :math:`G_2 = \|\hat w - w_2\|^2_{\Sigma_2}`, w2 = w1 + δ.

    The model's pencils with the probe along Σ2 give Bias, Var and ζ measured by Σ2; the
    target moved by δ adds :math:`\operatorname{tr}(\Delta\Sigma_2) - 2\operatorname{tr}
    (\Delta\Sigma_2\,a_2\hat\Sigma_2P)` (P the fit's smoother, R for the linear model), a
    first-order pair of blocks of the label-shift pencil: its row block with the identity
    block next to it, and with the d-block where :math:`(L^{-1})_{0b} = \kappa\,a_2\hat
    \Sigma_2P`, κ = ±n2/a2 (found and verified on random matrices,
    :func:`~symcollapse.pencil.linearization.check`).  Returns ``(sources, {"g2": [...]},
    probe)``."""
    sources, outputs, t, shift = models.get(model).hook("sources")(test="Sigma2",
                                                                          with_shift=True)
    PZ = sources["Z"]
    ident = next(j for (i, j), E in PZ.entries if i == PZ.row and j != i
                 and isinstance(E, Identity))
    block, kappa = _pair_block(PZ, shift)
    delta_sigma2 = eq.DELTA * eq.S2
    target = [Output(block=PZ.row, col=ident, weight=delta_sigma2, source="Z"),
              Output(block=PZ.row, col=block, weight=delta_sigma2, scale=-2 / kappa, source="Z")]
    return sources, {"g2": list(outputs["test_error"]) + target}, t


def _pair_block(P: Pencil, expr):
    r"""(b, κ): the block b on d with :math:`(L^{-1})_{\mathrm{row},b} = \kappa\cdot`
    ``expr``, κ = ±n2/a2, checked on random matrices (error < 1e-9)."""
    sizes = {dim: 3 + i for i, dim in enumerate(sorted(set(P.blocks)))}
    for b, dim in enumerate(P.blocks):
        if dim != ATOM_DIM or b == P.row:
            continue
        for kappa in (n2_dim / eq.a2, -n2_dim / eq.a2):
            pair = Pencil(P.blocks, P.entries, P.row, b, expr * kappa, "general")
            if check(pair, sizes=sizes) < 1e-9:
                return b, kappa
    raise ValueError(f"no block of the pencil holds {expr!r} next to its row")


def time_to_system(source, outputs=None, params=None, probe=None, spec=None, dps=30,
                   **kw) -> dict:
    """Seconds from expression to pencil, to System, to a solved point (``spec``: a
    :class:`~symcollapse.core.spec.Spec` whose parameters and atoms are used)."""
    t0 = time.perf_counter()
    if isinstance(source, dict):
        pencils = {k: v if isinstance(v, Pencil) else linearize(v) for k, v in source.items()}
    else:
        pencils = source if isinstance(source, Pencil) else linearize(source)
    t1 = time.perf_counter()
    system = derive_system(pencils, outputs=outputs, params=params, probe=probe, **kw)
    t2 = time.perf_counter()
    out = {"pencil": t1 - t0, "system": t2 - t1, "unknowns": len(system.unknowns)}
    if spec is not None:
        with mp.workdps(dps + 15):
            c = compile_system(system)
            t3 = time.perf_counter()
            sol = solve_point(c, parameter_values(spec), spec.atoms, dps=dps)
            t4 = time.perf_counter()
        out.update(compile=t3 - t2, solve=t4 - t3, residual=sol.residual)
    out["total"] = sum(v for k, v in out.items() if k in ("pencil", "system", "compile", "solve"))
    return out
