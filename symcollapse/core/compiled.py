r"""Numeric evaluators of a :class:`~symcollapse.core.equations.System`, built once.

Every normalized trace :math:`\operatorname{tr}(f)` occurring in the residuals, in their
Jacobian (derived by SymPy, :math:`\partial_x \operatorname{tr} f = \operatorname{tr}
\partial_x f`) or in the outputs, becomes one column of a per-atom integrand vector,
lambdified with common-subexpression elimination; a trace is then the weighted sum of its
column over the atoms.  The outer residuals, Jacobian and outputs are lambdified in the
unknowns, the parameters and these trace values.

Two backends share the same symbolic objects:

* ``numpy`` (float64): vectorized over points (rows) and atoms (columns), for curves and
  warm starts;
* ``mpmath``: one atom at a time at the caller's working precision (``mp.workdps``).

:func:`compile_system` caches by system, so nothing is lambdified in a loop.
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
from dataclasses import dataclass
from fractions import Fraction

import mpmath as mp
import numpy as np
import sympy as sp

from symcollapse.core import system_cache
from symcollapse.core.codegen import content_key, lambdify
from symcollapse.core.equations import ATOM, ATOM_KEYS, Field, System, coordinate_symbols, tr

try:        # gmpy2's MPFR numbers: a faster exact backend for rational systems, optional
    import gmpy2
except ImportError:  # without it every evaluation at working precision runs in mpmath
    gmpy2 = None

#: The lambdify modules of the MPFR backend (gmpy2's correctly rounded numbers).
MPFR_MODULES = None if gmpy2 is None else [{"mpf": gmpy2.mpfr}, "mpmath"]


@dataclass(frozen=True)
class AtomArrays:
    """Atoms as arrays (float64) or lists (mpf): weights, the four atom values and, when the
    atoms carry them, the values of :class:`~symcollapse.core.equations.Field` symbols
    (``extra``: field name → column)."""

    weight: object
    s1: object
    s2: object
    theta: object
    delta: object
    extra: dict = dataclasses.field(default_factory=dict, compare=False)
    _tables: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def __len__(self):
        return len(self.weight)

    def column(self, symbol):
        """The values of an atom symbol or a field symbol over the atoms."""
        if symbol in ATOM_KEYS:
            return getattr(self, ATOM_KEYS[symbol])
        try:
            return self.extra[symbol.name]
        except KeyError:
            raise ValueError(f"the system needs the coordinate field {symbol.name}, which "
                             f"these atoms do not carry (they carry: {sorted(self.extra) or 'none'})"
                             ) from None

    def table(self, fields: tuple, reduce: bool):
        """(weights, columns) of ``fields``; with ``reduce``, atoms with equal values of
        these fields merged into one (their weights added): a trace of a function of one
        space's fields runs over that space's coordinate law only."""
        key = (fields, reduce)
        hit = self._tables.get(key)
        if hit is None:
            cols = [self.column(f) for f in fields]
            hit = (self.weight, cols) if not reduce else _merged(self.weight, cols)
            self._tables[key] = hit
        return hit


def _merged(weight, cols):
    merged: dict = {}
    for k, w in enumerate(weight):
        row = tuple(c[k] for c in cols)
        merged[row] = merged.get(row, 0) + w
    rows = list(merged)
    if isinstance(weight, np.ndarray):
        return (np.array(list(merged.values()), dtype=float),
                [np.array([r[i] for r in rows], dtype=float) for i in range(len(cols))])
    return list(merged.values()), [[r[i] for r in rows] for i in range(len(cols))]


def _extra_columns(atoms, convert) -> dict:
    """The field columns the atoms carry (an atom's ``fields``: name → value)."""
    names = [tuple(sorted(getattr(a, "fields", None) or {})) for a in atoms]
    if not names or not names[0]:
        return {}
    if any(n != names[0] for n in names):
        raise ValueError("every atom must carry the same coordinate fields")
    return {k: convert([a.fields[k] for a in atoms]) for k in names[0]}


def atoms_float(atoms) -> AtomArrays:
    cols = [np.array([float(getattr(a, k)) for a in atoms]) for k in
            ("weight", "s1", "s2", "theta", "delta")]
    return AtomArrays(*cols, extra=_extra_columns(atoms, lambda v: np.array([float(x) for x in v])))


#: (id(atoms), precision) → (atoms, AtomArrays): the same atoms object asked again (a solve
#: and its checks ask many times) is answered without hashing its exact values.
_ATOMS_BY_IDENTITY: dict = {}


def atoms_mp(atoms) -> AtomArrays:
    """Atoms at the current mpmath precision, from their exact values (converted once per
    precision: a solve evaluates its residuals many times on the same atoms; the same
    object is recognized by identity, equal atoms by value)."""
    key = (id(atoms), mp.mp.prec)
    hit = _ATOMS_BY_IDENTITY.get(key) if type(atoms) is tuple else None   # immutable only
    if hit is not None and hit[0] is atoms:
        return hit[1]
    try:
        values = tuple(atoms)
        hash(values)
    except TypeError:
        return _atoms_mp(atoms)
    out = _atoms_mp_cached(values, mp.mp.prec)
    if type(atoms) is tuple:
        if len(_ATOMS_BY_IDENTITY) > 64:
            _ATOMS_BY_IDENTITY.clear()
        _ATOMS_BY_IDENTITY[key] = (atoms, out)
    return out


def _atoms_mp(atoms) -> AtomArrays:
    return AtomArrays(*[[to_mpf(getattr(a, k)) for a in atoms] for k in
                        ("weight", "s1", "s2", "theta", "delta")],
                      extra=_extra_columns(atoms, lambda v: [to_mpf(x) for x in v]))


@functools.lru_cache(maxsize=32)
def _atoms_mp_cached(atoms: tuple, prec: int) -> AtomArrays:
    with mp.workprec(prec):
        return _atoms_mp(atoms)


def to_mpf(value):
    """An exact number (Fraction, int, SymPy Rational) at the current mpmath precision."""
    if isinstance(value, Fraction):
        return mp.mpf(value.numerator) / value.denominator
    if isinstance(value, int):
        return mp.mpf(value)
    if isinstance(value, sp.Rational):
        return mp.mpf(int(value.p)) / int(value.q)
    return mp.mpf(value)


class _Part:
    """Integrands that depend on the same coordinate symbols, lambdified in them, the
    unknowns and the parameters; ``reduce``: their traces run over the atoms merged by
    these symbols' values (a product of spaces collapses to one space's law)."""

    def __init__(self, index, integrands, fields, unknowns, params, reduce, store=None):
        self.index, self.integrands, self.fields, self.reduce = index, integrands, fields, reduce
        self.args = (*fields, *unknowns, *params)
        self.store = store

    def table(self, atoms: AtomArrays):
        return atoms.table(self.fields, self.reduce)

    @functools.cached_property
    def numpy(self):
        return lambdify(self.args, self.integrands, "numpy", self.store)

    @functools.cached_property
    def mpmath(self):
        return lambdify(self.args, self.integrands, "mpmath", self.store)

    @functools.cached_property
    def mpfr(self):
        if gmpy2 is None or not all(_rational(e) for e in self.integrands):
            return None
        return lambdify(self.args, self.integrands, MPFR_MODULES, self.store)


class _Group:
    """One set of traces with its lambdified integrands.  Without
    :class:`~symcollapse.core.equations.Field` symbols, one part in the four atom symbols
    over the atoms as given; with them, the integrands free of fields and those with
    fields are two parts, each summed over the atoms merged by the symbols it uses."""

    def __init__(self, traces, unknowns, params, store=None):
        self.traces = traces
        self.symbols = tuple(sp.Symbol(f"_T{i}") for i in range(len(traces)))
        self.integrands = [t.args[0] for t in traces]
        coords = [coordinate_symbols(e) for e in self.integrands]
        fields = sorted({f for c in coords for f in c if isinstance(f, Field)}, key=str)
        self.args = (*ATOM, *fields, *unknowns, *params)
        self.parts = []
        if not self.integrands:
            return
        if not fields:
            self.parts = [_Part(list(range(len(traces))), self.integrands, ATOM, unknowns, params, False,
                                store and f"{store}:all")]
            return
        with_fields = [any(isinstance(f, Field) for f in c) for c in coords]
        for flag in (False, True):
            index = [i for i, w in enumerate(with_fields) if w == flag]
            if index:
                used = tuple(x for x in (*ATOM, *fields) if any(x in coords[i] for i in index))
                self.parts.append(_Part(index, [self.integrands[i] for i in index], used, unknowns,
                                        params, True, store and f"{store}:{flag}"))

    @functools.cached_property
    def mpfr(self):
        """Whether every integrand is rational (then evaluated in gmpy2's MPFR numbers,
        correctly rounded at the working precision, several times faster than mpmath's)."""
        return bool(self.parts) and all(part.mpfr is not None for part in self.parts)

    def assemble(self, per_part) -> list:
        out = [None] * len(self.integrands)
        for part, vals in zip(self.parts, per_part):
            for i, v in zip(part.index, vals):
                out[i] = v
        return out


def _rational(expr) -> bool:
    """Whether ``expr`` is built from symbols and rational numbers by +, × and integer
    powers only."""
    if expr.atoms(sp.Function) or expr.has(sp.Float):
        return False
    return all(p.exp.is_Integer for p in expr.atoms(sp.Pow))


def to_mpfr(v):
    """An mpf as an MPFR number, exactly (its mantissa has at most the working precision's
    bits)."""
    sign, man, exp, _bc = v._mpf_
    if not man:
        return gmpy2.mpfr(float(v))      # 0, ±inf, nan
    r = gmpy2.mul_2exp(gmpy2.mpfr(man), exp)
    return -r if sign else r


def _exact_mpfr(value):
    """An exact number (Fraction, int) as the MPFR number nearest to it."""
    value = Fraction(value)
    return gmpy2.mpfr(gmpy2.mpq(value.numerator, value.denominator))


def from_mpfr(r):
    """An MPFR number as an mpf, exactly."""
    if not gmpy2.is_finite(r) or not r:
        return mp.mpf(float(r))
    man, exp = r.as_mantissa_exp()
    return mp.mpf((int(man), int(exp)))


_MPFR_ATOMS: dict = {}


def _atoms_mpfr(part: "_Part", atoms: "AtomArrays", prec: int) -> list:
    """A part's atom table as rows of MPFR numbers (weight, then its coordinate symbols'
    values), converted once per atoms object, part and precision."""
    key = (id(atoms), part.fields, part.reduce, prec)
    hit = _MPFR_ATOMS.get(key)
    if hit is not None and hit[0] is atoms:
        return hit[1]
    weight, cols = part.table(atoms)
    rows = [[to_mpfr(mp.mpf(v)) for v in row] for row in zip(weight, *cols)]
    if len(_MPFR_ATOMS) > 16:
        _MPFR_ATOMS.clear()
    _MPFR_ATOMS[key] = (atoms, rows)
    return rows


#: Parameters whose complement 1 − x enters the systems (p1 = 1 − p2, 1 − α).
COMPLEMENTED = ("p2", "alpha")


def complements(params) -> tuple:
    """``(symbol of 1 − x, x)`` for each complemented parameter x among ``params``."""
    return tuple((sp.Symbol(f"_one_minus_{x.name}", positive=True), x) for x in params
                 if x.name in COMPLEMENTED)


class Compiled:
    """Lambdified residuals F, Jacobian J and outputs of a system.

    A complement 1 − x of a parameter x in [0, 1] (p1 = 1 − p2, 1 − α) is an argument of
    its own, its value computed exactly from the config's rational x (:meth:`values_mp`):
    1 − α for α = 0.999… (30 nines) is then known to the working precision, not to
    30 digits fewer.  The parameter lists ``p`` that the evaluators take hold the values
    of ``params`` followed by those of the complements; a list of the parameters
    alone gets its complements in the arithmetic of its entries."""

    def __init__(self, system: System, store: str | None = None):
        self.system, self.store = system, store
        self.unknowns = tuple(system.unknowns)
        self.params = tuple(system.parameters)
        self.complements = complements(self.params)
        self.arguments = self.params + tuple(a for a, _ in self.complements)
        self.output_names = tuple(system.densities)
        # the unknowns' Jacobian of the exact residuals (no complement is an unknown)
        eqs = [self.exact(e) for e in system.equations]
        found: set = set()
        jac = self._substituted_jacobian(system)
        if jac is None:
            jac = list(jacobian(eqs, self.unknowns, traces_out=found, forward=store is not None))
        else:
            found |= nodes_shared(eqs, tr) | nodes_shared(jac, tr)
        outs = [self.exact(system.outputs[k]) for k in self.output_names]
        solve_traces = sorted(found, key=sp.default_sort_key)
        out_traces = _ordered_traces(outs)
        self.solve_group = _Group(solve_traces, self.unknowns, self.arguments, self.store_key("solve"))
        self.output_group = _Group(out_traces, self.unknowns, self.arguments, self.store_key("outputs"))
        ms = dict(zip(solve_traces, self.solve_group.symbols))
        mo = dict(zip(out_traces, self.output_group.symbols))
        self._F = [e.xreplace(ms) for e in eqs]
        self._J = [e.xreplace(ms) for e in jac]
        self._O = [o.xreplace(mo) for o in outs]
        self._outer_args_solve = (*self.unknowns, *self.arguments, *self.solve_group.symbols)
        self._outer_args_out = (*self.unknowns, *self.arguments, *self.output_group.symbols)

    def _substituted_jacobian(self, system):
        """The Jacobian of a system whose ``parent`` is ``(base, mapping)``: ``base``'s
        (:func:`base_jacobian`, kept in the system cache) with ``mapping`` substituted — the
        same matrix, since the mapping's values do not hold the unknowns.  A complement of
        ``base`` whose parameter the substitution cancelled is written 1 − x again (and
        cancels).  None when there is no parent, or the claim does not hold (other unknowns,
        equations that are not ``base``'s under the mapping, a symbol left over that the
        system does not have)."""
        if not system.parent:
            return None
        base, mapping = system.parent
        if tuple(base.unknowns) != self.unknowns or any(
                sp.sympify(v).free_symbols & set(self.unknowns) for v in mapping.values()):
            return None
        if tuple(replace_shared(base.equations, mapping)) != tuple(system.equations):
            return None
        values = {k: self.exact(v) for k, v in mapping.items()}
        values.update({a: 1 - x for a, x in complements(base.parameters)
                       if x not in mapping and x not in self.params})
        J = replace_shared(base_jacobian(base, frozenset(mapping)), values)
        J = replace_shared(J, {1 - x: a for a, x in self.complements})
        allowed = set(self.unknowns) | set(self.arguments) | set(ATOM)
        if any(not isinstance(s, Field) and s not in allowed for s in nodes_shared(J, sp.Symbol)):
            return None
        return J

    def store_key(self, name):
        """The store key of one lambdified function (None: not kept)."""
        return self.store and f"{self.store}:{name}"

    def _outer(self, modules):
        """F, J and the outputs lambdified for ``modules``."""
        return (lambdify(self._outer_args_solve, self._F, modules, self.store_key("F")),
                lambdify(self._outer_args_solve, self._J, modules, self.store_key("J")),
                lambdify(self._outer_args_out, self._O, modules, self.store_key("O")))

    def exact(self, expr):
        """``expr`` with each complement 1 − x (or x − 1 = −(1 − x)) replaced by its own
        argument."""
        if not self.complements:
            return expr
        swap = {1 - x: a for a, x in self.complements}
        swap.update({x - 1: -a for a, x in self.complements})
        return sp.sympify(expr).xreplace(swap)

    def values_mp(self, params: dict) -> list:
        """The argument list at the working precision from exact parameter values
        (``params``: symbol → Fraction), complements computed exactly."""
        return [to_mpf(params[s]) for s in self.params] + \
            [to_mpf(1 - params[x]) for _, x in self.complements]

    def _full(self, p):
        """``p`` with the complements appended when it holds the parameters only."""
        if not self.complements:
            return p
        if isinstance(p, np.ndarray):
            if p.shape[-1] == len(self.arguments):
                return p
            extra = [1 - p[..., self.params.index(x)] for _, x in self.complements]
            return np.concatenate([p, np.stack(extra, axis=-1)], axis=-1)
        if len(p) == len(self.arguments):
            return p
        p = list(p)
        return p + [1 - p[self.params.index(x)] for _, x in self.complements]

    # -- derivatives with respect to a parameter (implicit function theorem)
    @functools.lru_cache(maxsize=16)
    def tangent(self, param) -> "_Tangent":
        """Lambdified ∂F/∂p, ∂O/∂x and ∂O/∂p for a parameter p, so that
        dO/dp = ∂O/∂p − ∂O/∂x · J⁻¹ ∂F/∂p on the solution (kept in the system cache with
        the rest of a large system's evaluators)."""
        if self.store is None:
            return _Tangent(self, param)
        tangent = system_cache.cached_by_key("compiled", hashlib.sha256(
            f"{self.store}:tangent:{param}".encode()).hexdigest(), lambda: _Tangent(self, param))
        tangent.c = self
        return tangent

    # -- lambdified outer functions (lazily, per backend)
    @functools.cached_property
    def _np_outer(self):
        return self._outer("numpy")

    @functools.cached_property
    def _mp_outer(self):
        return self._outer("mpmath")

    @functools.cached_property
    def _mpfr_outer(self):
        """F, J and the outputs for MPFR numbers when they are rational in the unknowns,
        parameters and traces (None otherwise, or without gmpy2)."""
        if gmpy2 is None or not all(_rational(e) for e in self._F + self._J + self._O):
            return None
        return self._outer(MPFR_MODULES)

    def _in_mpfr(self, which: tuple, group: _Group, x, p, atoms):
        """The outer functions ``which`` (0: F, 1: J, 2: outputs) at (x, p) with ``group``'s
        traces, evaluated wholly in MPFR at the working precision (numbers converted
        exactly in and out): a list of lists of mpf, or None where the integrands or the
        outer functions are not rational."""
        outer = self._mpfr_outer
        if outer is None or (group.integrands and not group.mpfr):
            return None
        with mpfr_precision():
            args = [to_mpfr(mp.mpf(v)) for v in (*x, *self._full(p))]
            T = _sum_over_atoms(group, args, atoms) if group.integrands else []
            return [[from_mpfr(gmpy2.mpfr(v)) for v in outer[k](*args, *T)] for k in which]

    @property
    def mpfr_ready(self) -> bool:
        """Whether the residuals and Jacobian can be evaluated in MPFR numbers
        (:meth:`residual_jacobian_mpfr`): gmpy2 is there, the system is rational and its
        traces run over the atoms as given (no coordinate fields)."""
        group = self.solve_group
        return (self._mpfr_outer is not None and (not group.integrands or group.mpfr)
                and all(not part.reduce for part in group.parts))

    def mpfr_arguments(self, params: dict) -> list:
        """The argument list (parameters, then complements) as MPFR numbers correctly
        rounded from their exact values, in gmpy2's current context."""
        return [_exact_mpfr(params[s]) for s in self.params] + \
            [_exact_mpfr(1 - params[x]) for _, x in self.complements]

    def residual_jacobian_mpfr(self, x, p, atoms: AtomArrays, jacobian=True):
        """F and J (a flat row-major list; None without ``jacobian``) at MPFR numbers ``x``
        and ``p`` (the full argument list, :meth:`mpfr_arguments`), in gmpy2's context,
        which must be at mpmath's working precision (the atoms are converted at it);
        requires :attr:`mpfr_ready`."""
        F, J, _O = self._mpfr_outer
        args = [*x, *p]
        T = _sum_over_atoms(self.solve_group, args, atoms) if self.solve_group.integrands else []
        return F(*args, *T), (J(*args, *T) if jacobian else None)

    @functools.cached_property
    def _np_guess(self):
        exprs = [sp.sympify(self.system.guess.get(u, 0)) for u in self.unknowns]
        return sp.lambdify(self.params, exprs, modules="numpy")

    def guess_np(self, p):
        """The first-order guesses of :attr:`~symcollapse.core.equations.System.guess` at P parameter rows, (P, nx)."""
        P = p.shape[0]
        with np.errstate(all="ignore"):
            vals = self._np_guess(*[p[:, i] for i in range(p.shape[1])])
        return np.stack([np.broadcast_to(np.asarray(v, dtype=float), (P,)) for v in vals],
                        axis=1)

    # -- float64, vectorized: x (P, nx), p (P, np)
    def traces_np(self, group: _Group, x, p, atoms: AtomArrays):
        p = self._full(p)
        P = x.shape[0]
        if not group.parts:
            return np.zeros((P, 0))
        rest = [x[:, i, None] for i in range(x.shape[1])] + [p[:, i, None] for i in range(p.shape[1])]
        out = np.empty((P, len(group.integrands)))
        for part in group.parts:
            weight, cols = part.table(atoms)
            with np.errstate(all="ignore"):
                vals = part.numpy(*[c[None, :] for c in cols], *rest)
            shape = (P, len(weight))
            for k, v in zip(part.index, vals):
                v = np.asarray(v)
                out[:, k] = (v if v.shape == shape else np.broadcast_to(v, shape)) @ weight
        return out

    def residual_np(self, x, p, atoms):
        T = self.traces_np(self.solve_group, x, p, atoms)
        return self._eval_np(self._np_outer[0], x, p, T, len(self.unknowns))

    def residual_jacobian_np(self, x, p, atoms):
        T = self.traces_np(self.solve_group, x, p, atoms)
        F = self._eval_np(self._np_outer[0], x, p, T, len(self.unknowns))
        n = len(self.unknowns)
        J = self._eval_np(self._np_outer[1], x, p, T, n * n).reshape(x.shape[0], n, n)
        return F, J

    def outputs_np(self, x, p, atoms):
        T = self.traces_np(self.output_group, x, p, atoms)
        return self._eval_np(self._np_outer[2], x, p, T, len(self.output_names))

    def _eval_np(self, fun, x, p, T, width):
        p = self._full(p)
        args = [x[:, i] for i in range(x.shape[1])] + [p[:, i] for i in range(p.shape[1])] + \
            [T[:, i] for i in range(T.shape[1])]
        with np.errstate(all="ignore"):
            vals = fun(*args)
        P = x.shape[0]
        out = np.empty((P, width))
        for k, v in enumerate(vals):       # a constant broadcasts over the P points
            out[:, k] = v
        return out

    # -- mpmath, one point: x, p lists of mpf
    def traces_mp(self, group: _Group, x, p, atoms: AtomArrays):
        if not group.parts:
            return []
        p = self._full(p)
        if group.mpfr:
            return _traces_mpfr(group, x, p, atoms)
        per_part = []
        for part in group.parts:
            weight, cols = part.table(atoms)
            per_part.append(_weighted_sum(part.mpmath, zip(weight, *cols), [*x, *p]))
        return group.assemble(per_part)

    def residual_mp(self, x, p, atoms):
        return mp.matrix(self.residual_list(x, p, atoms))

    def residual_list(self, x, p, atoms) -> list:
        """F(x) at the working precision, as a list."""
        fast = self._in_mpfr((0,), self.solve_group, x, p, atoms)
        if fast is not None:
            return fast[0]
        p = self._full(p)
        T = self.traces_mp(self.solve_group, x, p, atoms)
        return [mp.mpf(v) for v in self._mp_outer[0](*x, *p, *T)]

    def residual_jacobian_lists(self, x, p, atoms):
        """F(x) as a list and J(x) as a list of rows, at the working precision."""
        n = len(self.unknowns)
        fast = self._in_mpfr((0, 1), self.solve_group, x, p, atoms)
        if fast is not None:
            F, flat = fast
        else:
            p = self._full(p)
            T = self.traces_mp(self.solve_group, x, p, atoms)
            F = [mp.mpf(v) for v in self._mp_outer[0](*x, *p, *T)]
            flat = [mp.mpf(v) for v in self._mp_outer[1](*x, *p, *T)]
        return F, [flat[i * n:(i + 1) * n] for i in range(n)]

    def residual_jacobian_mp(self, x, p, atoms):
        fast = self._in_mpfr((0, 1), self.solve_group, x, p, atoms)
        if fast is not None:
            F, flat = mp.matrix(fast[0]), fast[1]
        else:
            p = self._full(p)
            T = self.traces_mp(self.solve_group, x, p, atoms)
            F = mp.matrix(self._mp_outer[0](*x, *p, *T))
            flat = self._mp_outer[1](*x, *p, *T)
        n = len(self.unknowns)
        J = mp.matrix(n, n)
        for i in range(n):
            for j in range(n):
                J[i, j] = flat[i * n + j]
        return F, J

    def outputs_mp(self, x, p, atoms):
        fast = self._in_mpfr((2,), self.output_group, x, p, atoms)
        if fast is not None:
            return dict(zip(self.output_names, fast[0]))
        p = self._full(p)
        T = self.traces_mp(self.output_group, x, p, atoms)
        vals = self._mp_outer[2](*x, *p, *T)
        return dict(zip(self.output_names, [mp.mpf(v) for v in vals]))


@contextlib.contextmanager
def mpfr_precision():
    """gmpy2's context at mpmath's working precision (restored on exit)."""
    ctx = gmpy2.get_context()
    saved = ctx.precision
    ctx.precision = mp.mp.prec
    try:
        yield
    finally:
        ctx.precision = saved


def _sum_over_atoms(group: "_Group", args: list, atoms: AtomArrays) -> list:
    r""":math:`\sum_k w_k f(\text{atom}_k, \text{args})` for each part of ``group``, in MPFR
    (inside :func:`mpfr_precision`)."""
    return group.assemble([_weighted_sum(part.mpfr, _atoms_mpfr(part, atoms, mp.mp.prec), args)
                           for part in group.parts])


def _weighted_sum(f, rows, args: list) -> list:
    r""":math:`\sum_k w_k f(c_k, \text{args})` over atom rows (w, c) — c the values of the
    coordinate symbols — in whatever numbers the rows and args are (mpf or MPFR)."""
    acc = None
    for w, *coords in rows:
        vals = f(*coords, *args)
        if acc is None:
            acc = [w * v for v in vals]
        else:
            for k, v in enumerate(vals):
                acc[k] += w * v
    return acc


def _traces_mpfr(group: "_Group", x, p, atoms: AtomArrays) -> list:
    """The traces of :func:`_sum_over_atoms` as mpf (numbers converted exactly in and
    out)."""
    with mpfr_precision():
        args = [to_mpfr(mp.mpf(v)) for v in (*x, *p)]
        return [from_mpfr(gmpy2.mpfr(v)) for v in _sum_over_atoms(group, args, atoms)]


class _Tangent:
    def __init__(self, c: "Compiled", param):
        if param not in c.params:
            raise KeyError(param)
        system = c.system
        outs = [system.outputs[k] for k in c.output_names]
        big = c.store is not None
        Fp = [c.exact(e) for e in jacobian(system.equations, [param], forward=big)]
        Ox = [c.exact(e) for e in jacobian(outs, c.unknowns, forward=big)]
        Op = [c.exact(e) for e in jacobian(outs, [param], forward=big)]
        traces = _ordered_traces(Fp + Ox + Op)
        self.store = c.store_key(f"tangent:{param}")
        self.group = _Group(traces, c.unknowns, c.arguments, self.store)
        m = dict(zip(traces, self.group.symbols))
        args = (*c.unknowns, *c.arguments, *self.group.symbols)
        self.shapes = (len(Fp), len(c.output_names), len(c.unknowns))
        self._exprs = [e.xreplace(m) for e in Fp + Ox + Op]
        self._args = args
        self.c = c

    def __getstate__(self):
        """Pickled without its Compiled (re-attached by :meth:`Compiled.tangent`) and
        without lambdified functions."""
        return {k: v for k, v in self.__dict__.items() if k not in ("c", "numpy", "mpmath")}

    @functools.cached_property
    def numpy(self):
        return lambdify(self._args, self._exprs, "numpy", self.store)

    @functools.cached_property
    def mpmath(self):
        return lambdify(self._args, self._exprs, "mpmath", self.store)

    def split(self, flat):
        nF, nO, nx = self.shapes
        Fp = flat[:nF]
        Ox = flat[nF:nF + nO * nx]
        Op = flat[nF + nO * nx:]
        return Fp, Ox, Op

    def derivative_mp(self, x, p, atoms):
        """dO/dp for each output (dict name → mpf) at a solved point."""
        c = self.c
        p = c._full(p)
        T = c.traces_mp(self.group, x, p, atoms)
        Fp, Ox, Op = self.split(self.mpmath(*x, *p, *T))
        _F, J = c.residual_jacobian_mp(x, p, atoms)
        dx = -mp.lu_solve(J, mp.matrix(Fp))
        nx = self.shapes[2]
        out = {}
        for k, name in enumerate(c.output_names):
            out[name] = Op[k] + sum(Ox[k * nx + j] * dx[j] for j in range(nx))
        return out

    def derivative_np(self, x, p, atoms):
        """dO/dp, shape (P, n_outputs), at P solved points."""
        c = self.c
        T = c.traces_np(self.group, x, p, atoms)
        flat = c._eval_np(self.numpy, x, p, T, sum([self.shapes[0], self.shapes[1] * self.shapes[2],
                                                     self.shapes[1]]))
        nF, nO, nx = self.shapes
        Fp = flat[:, :nF]
        Ox = flat[:, nF:nF + nO * nx].reshape(-1, nO, nx)
        Op = flat[:, nF + nO * nx:]
        _F, J = c.residual_jacobian_np(x, p, atoms)
        dx = -np.linalg.solve(J, Fp[..., None])[..., 0]
        return Op + np.einsum("pkj,pj->pk", Ox, dx)


def jacobian(equations, unknowns, traces_out=None, forward=False) -> sp.Matrix:
    r"""The Jacobian of ``equations`` in ``unknowns`` by the chain rule through the traces:
    with the traces T_i = tr f_i made symbols, J = ∂F/∂x + (∂F/∂T)(tr ∂f_i/∂x_k), the same
    matrix as differentiating through every trace, without re-walking the large outer
    expression once per trace and unknown (each equation differentiated only in the symbols
    it holds).  ``forward``: the derivatives by :func:`gradients` (each shared
    subexpression differentiated once; for large systems).  ``traces_out``: a set that
    receives every trace of J."""
    if forward:
        traces = sorted(nodes_shared(equations, tr), key=sp.default_sort_key)
    else:
        traces = _ordered_traces(equations)
    unknowns = list(unknowns)
    if not traces and not forward:
        return sp.Matrix(list(equations)).jacobian(unknowns)
    T = sp.symbols(f"_trace0:{len(traces)}")
    outers = replace_shared(equations, dict(zip(traces, T)))
    if forward:
        inner = [[tr(g.get(x, 0)) for x in unknowns]
                 for g in gradients([t.args[0] for t in traces], unknowns)]
        d_outer = gradients(outers, [*unknowns, *T])
    else:
        inner = [[tr(sp.diff(t.args[0], x)) for x in unknowns] for t in traces]
        d_outer = [{v: o.diff(v) for v in o.free_symbols & {*unknowns, *T}} for o in outers]
    rows = []
    for g in d_outer:
        d_T = [(i, g[T[i]]) for i in range(len(T)) if T[i] in g]
        rows.append([g.get(x, sp.Integer(0)) + sp.Add(*[dt * inner[i][k] for i, dt in d_T])
                     for k, x in enumerate(unknowns)])
    if traces_out is not None:
        traces_out |= set(traces) | nodes_shared([t for row in inner for t in row], tr)
    flat = replace_shared([x for row in rows for x in row], dict(zip(T, traces)))
    return sp.Matrix(len(rows), len(unknowns), flat)


def gradients(exprs, variables) -> list:
    r"""Forward-mode symbolic differentiation: for each expression the dict
    {v: ∂e/∂v} over the ``variables`` it holds, each distinct subexpression differentiated
    once (sums and products term by term, :math:`\partial b^n = n b^{n-1}\partial b` for an
    exponent free of the variables, SymPy's own derivative for any other function).  On a
    large system's equations this is tens of times faster than ``diff`` once per variable,
    which walks shared subexpressions again for every variable and every occurrence."""
    wrt = set(variables)

    def grad(e, of):
        if e in wrt:
            return {e: sp.Integer(1)}
        if not e.args:
            return {}
        if e.is_Add:
            return _collect((v, d) for a in e.args for v, d in of(a).items())
        if e.is_Mul:
            return _collect((v, sp.Mul(*e.args[:i], *e.args[i + 1:]) * d)
                            for i, a in enumerate(e.args) for v, d in of(a).items())
        if e.is_Pow and not e.exp.free_symbols & wrt:
            b, n = e.args
            return {v: n * b ** (n - 1) * d for v, d in of(b).items()}
        return {v: e.diff(v) for v in e.free_symbols & wrt}
    return fold_shared(exprs, grad)


def _collect(pairs) -> dict:
    """{v: the sum of the d paired with v}."""
    terms: dict = {}
    for v, d in pairs:
        terms.setdefault(v, []).append(d)
    return {v: sp.Add(*ds) for v, ds in terms.items()}


@functools.lru_cache(maxsize=8)
def base_jacobian(base: System, substituted: frozenset) -> tuple:
    """The Jacobian of ``base``'s equations in its unknowns (row-major), each complement
    1 − x of a parameter x that is not ``substituted`` made its own symbol first (as
    :meth:`Compiled.exact` does).  A large system's is kept in the system cache."""
    pairs = [(a, x) for a, x in complements(base.parameters) if x not in substituted]
    eqs = [sp.sympify(e).xreplace({1 - x: a for a, x in pairs}) for e in base.equations]

    key = content_key(base)

    def build():
        return tuple(jacobian(eqs, base.unknowns, forward=key is not None))
    if key is None:
        return build()
    names = ",".join(sorted(str(x) for x in substituted))
    return system_cache.cached_by_key("jacobian", hashlib.sha256(
        f"{key}|{names}".encode()).hexdigest(), build)


def replace_shared(exprs, mapping: dict) -> list:
    """``[e.xreplace(mapping) for e in exprs]``, each distinct subexpression rebuilt once
    (SymPy's ``xreplace`` walks a subexpression again wherever it is shared, which for a
    large Jacobian is millions of visits of the same nodes)."""
    def walk(e, of):
        if e in mapping:
            return mapping[e]
        if not e.args:
            return e
        args = [of(a) for a in e.args]
        return e.func(*args) if any(a is not b for a, b in zip(args, e.args)) else e
    return fold_shared(exprs, walk)


def fold_shared(exprs, visit) -> list:
    """``visit(e, recurse)`` of each expression, where ``recurse`` is the same fold on a
    subexpression, memoized: each distinct subexpression is visited once however often it
    is shared (a DAG walk, where SymPy's tree walks repeat shared subtrees)."""
    memo: dict = {}

    def recurse(e):
        found = memo.get(e)
        if found is None:
            found = memo[e] = visit(e, recurse)
        return found
    return [recurse(sp.sympify(e)) for e in exprs]


def nodes_shared(exprs, kind) -> set:
    """Every subexpression of type ``kind`` in ``exprs`` (nested ones included), each
    distinct subexpression visited once."""
    seen, found = set(), set()
    stack = [sp.sympify(e) for e in exprs]
    while stack:
        e = stack.pop()
        if e in seen:
            continue
        seen.add(e)
        if isinstance(e, kind):
            found.add(e)
        stack.extend(e.args)
    return found


def _ordered_traces(exprs):
    found = set()
    for e in exprs:
        found |= sp.sympify(e).atoms(tr)
    return sorted(found, key=sp.default_sort_key)


@functools.lru_cache(maxsize=64)
def compile_system(system: System) -> Compiled:
    """The (cached) numeric evaluators of a system; a large system's (its Jacobian and
    lambdified code) are also kept in the system cache (:mod:`symcollapse.core.codegen`)."""
    key = content_key(system)
    if key is None:
        return Compiled(system)
    compiled = system_cache.cached_by_key("compiled", key, lambda: Compiled(system, store=key))
    compiled.system = system           # the caller's object (the stored one is equal)
    return compiled
