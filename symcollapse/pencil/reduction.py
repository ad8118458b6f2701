r"""Reduce a fixed point derived from several pencils to the unknowns it really has.

When a model's outputs need several expressions (the test error's resolvent R and the
label-shift term :math:`\hat\Sigma_2R\hat\Sigma_2`, say), each expression is linearized
and its own operator-valued fixed point derived.  The pencils share the same Gaussian
blocks, so a scalar block of one pencil is often the same block trace as in another,
up to the pencils' own scalings of that block (a factor such as :math:`p_2^2/a_2^2`), and
the blocks a larger pencil adds around the shared ones are given explicitly by them.
Two proven reductions bring the derived system down to its essential unknowns:

* **proportional merge** (:func:`merge_proportional`): an unknown y of a later pencil is
  replaced by k·x, x an unknown of an earlier one and k a monomial in the parameters and
  the complements 1 − x of those in [0, 1] (its integer exponents read off the solved
  fixed point at a generic point and at points with one parameter moved), when after every such replacement the
  equation of y is c·(equation of x) with c free of the unknowns — then the x-equations
  alone fix the y's (the merged fixed point is the same point, not a guess);
* **explicit elimination** (:func:`eliminate_explicit`): an unknown that no other
  equation contains and whose own equation is affine in it (outside every trace) is that
  equation's solution, substituted into the outputs.

Both are symbolic identities checked on the equations (the generic point only proposes
candidates); a candidate that fails the check is kept as an unknown, which changes the
system's size, never its value.
"""
from __future__ import annotations

import dataclasses
from fractions import Fraction

import mpmath as mp
import sympy as sp

from symcollapse.core.compiled import COMPLEMENTED, compile_system
from symcollapse.core.equations import System, coordinate_symbols, tr
from symcollapse.core.solve import solve_point

__all__ = ["merge_proportional", "eliminate_explicit", "reduce_system", "canonical"]

#: The factor by which one parameter at a time is moved to read the exponents of a ratio.
_STEP = Fraction(8, 7)


def _canonical_trace(f):
    r"""tr(f) written c·tr(q): c the atom-free content of f's numerator over its
    denominator's, q = (primitive numerator)/(primitive denominator), each with a leading
    coefficient that carries no minus sign."""
    num, den = sp.fraction(sp.cancel(f))
    atoms = sorted(coordinate_symbols(f), key=str)
    if not atoms:
        return f
    (cn, qn), (cd, qd) = (_primitive(p, atoms) for p in (num, den))
    return cn / cd * tr(qn / qd)


def _primitive(p, atoms):
    poly = sp.Poly(p, *atoms)
    content, prim = poly.primitive()
    if prim.LC().could_extract_minus_sign():
        content, prim = -content, -prim
    return content, prim.as_expr()


def canonical(expr):
    """``expr`` with every trace written c·tr(q) (``_canonical_trace``), each distinct
    trace once."""
    expr = sp.sympify(expr)
    return expr.xreplace({t: _canonical_trace(t.args[0]) for t in expr.atoms(tr)})


def _proportional(e_y, e_x, unknowns) -> bool:
    """Whether e_y = c·e_x with c ≠ 0 free of the unknowns and of the traces (each trace
    an opaque symbol after :func:`canonical`)."""
    pair = [canonical(e) for e in (e_y, e_x)]
    traces = sorted(set().union(*(e.atoms(tr) for e in pair)), key=sp.default_sort_key)
    opaque = {t: sp.Dummy(f"T{i}") for i, t in enumerate(traces)}
    y, x = (sp.sympify(e).xreplace(opaque) for e in pair)
    if x == 0:
        return False
    q = sp.cancel(y / x)
    blocked = set(unknowns) | set(opaque.values())
    return q != 0 and not (q.free_symbols & blocked)


#: A second move (by 6/7) of a parameter in [0, 1] whose complement 1 − x may also be a
#: factor of a ratio (p1 = 1 − p2 scales group 1's blocks).
_STEP2 = Fraction(6, 7)


def _complemented(symbol) -> bool:
    return symbol.name in COMPLEMENTED


def _moves(params):
    """(symbol, factor) moves: each parameter by :data:`_STEP`, and a complemented one by
    :data:`_STEP2` as well."""
    return [(s, _STEP) for s in params] + [(s, _STEP2) for s in params if _complemented(s)]


def _solutions(system: System, point: dict, atoms, digits: int) -> list:
    """The unknowns' values at ``point`` and at ``point`` moved by each of ``_moves``:
    ``[(None, values), ((symbol, factor), values), ...]``."""
    c = compile_system(system)
    out = []
    for move in (None, *_moves(c.params)):
        params = dict(point) if move is None else {**point, move[0]: point[move[0]] * move[1]}
        sol = solve_point(c, params, atoms, dps=digits)
        out.append((move, dict(zip(c.unknowns, sol.x))))
    return out


def _mpf(q: Fraction):
    return mp.mpf(q.numerator) / q.denominator


def _exponents(logs: dict, point: dict, tol):
    """{symbol: (a, b)}: the integer exponents of x^a (1 − x)^b from the log-ratios of the
    moves (``logs``: (symbol, factor) → log of the ratio's change), or None."""
    out = {}
    for s in {m[0] for m in logs}:
        x = _mpf(point[s])
        if (s, _STEP2) not in logs:
            a = logs[(s, _STEP)] / mp.log(_mpf(_STEP))
            out[s] = (a, mp.mpf(0))
            continue
        rows = [[mp.log(_mpf(f)), mp.log((1 - x * _mpf(f)) / (1 - x))] for f in (_STEP, _STEP2)]
        a, b = mp.lu_solve(mp.matrix(rows), mp.matrix([logs[(s, _STEP)], logs[(s, _STEP2)]]))
        out[s] = (a, b)
    rounded = {}
    for s, (a, b) in out.items():
        na, nb = int(mp.nint(a)), int(mp.nint(b))
        if abs(a - na) > tol or abs(b - nb) > tol:
            return None
        rounded[s] = (na, nb)
    return rounded


def _monomial(x, y, solutions, point, digits):
    """The monomial k = C·Π p^a (1 − p)^b (C rational, integer exponents; b = 0 but for a
    parameter in [0, 1]) with y = k·x at every solved point, or None."""
    base = solutions[0][1]
    if base[x] == 0 or base[y] == 0:
        return None
    r0 = base[y] / base[x]
    tol = mp.mpf(10) ** (-(digits // 2))
    logs = {}
    for move, vals in solutions[1:]:
        if vals[x] == 0 or (vals[y] / vals[x]) / r0 <= 0:
            return None
        logs[move] = mp.log((vals[y] / vals[x]) / r0)
    exps = _exponents(logs, point, tol)
    if exps is None:
        return None
    k, scale = sp.Integer(1), mp.mpf(1)
    for s, (a, b) in exps.items():
        k *= s ** a * (1 - s) ** b
        scale *= _mpf(point[s]) ** a * (1 - _mpf(point[s])) ** b
    constant = Fraction(str(mp.nstr(r0 / scale, digits // 2))).limit_denominator(10 ** 6)
    if abs(r0 / scale - _mpf(constant)) > tol * abs(r0 / scale):
        return None
    return sp.Rational(constant.numerator, constant.denominator) * k


def merge_proportional(system: System, groups, point: dict, atoms, digits: int = 30) -> System:
    r"""Merge the unknowns of later pencils into proportional unknowns of earlier ones.

    ``groups``: the unknowns of each pencil, in order; ``point``: a generic exact point
    (parameter symbol → Fraction) with ``atoms`` where the fixed point is solved, also with
    each parameter moved in turn, to propose y = k·x (k a monomial, ``_monomial``).
    The proposals are accepted together only if every merged y's equation is then
    proportional to its x's (``_proportional``); the failing ones are dropped one at a
    time until the rest pass (each y keeps its own equation otherwise)."""
    earlier: list = []
    proposal = {}
    with mp.workdps(digits + 20):
        solutions = _solutions(system, point, atoms, digits + 10)
        for group in groups:
            for y in group:
                for x in earlier:
                    k = _monomial(x, y, solutions, point, digits)
                    if k is not None:
                        proposal[y] = (x, k)
                        break
            earlier += [y for y in group if y not in proposal]
    eq_of = dict(zip(system.unknowns, system.equations))
    while proposal:
        rename = {y: k * x for y, (x, k) in proposal.items()}
        failed = [y for y, (x, _) in proposal.items()
                  if not _proportional(sp.sympify(eq_of[y]).xreplace(rename),
                                       sp.sympify(eq_of[x]).xreplace(rename), system.unknowns)]
        if not failed:
            break
        del proposal[failed[-1]]
    if not proposal:
        return system
    rename = {y: k * x for y, (x, k) in proposal.items()}
    keep = [x for x in system.unknowns if x not in rename]
    return dataclasses.replace(
        system, unknowns=tuple(keep),
        equations=tuple(canonical(sp.sympify(eq_of[x]).xreplace(rename)) for x in keep),
        densities={k: sp.sympify(v).xreplace(rename) for k, v in system.densities.items()},
        positive=tuple(x for x in system.positive if x in keep),
        guess={x: g for x, g in system.guess.items() if x in keep},
        note=system.note + "; " + ", ".join(f"{y} = {r}" for y, r in rename.items())
        + " merged (proportional unknowns of the pencils)")


def _explicit_solution(x, equation):
    """x from an equation affine in x with x outside every trace, or None."""
    e = sp.sympify(equation)
    if any(x in t.free_symbols for t in e.atoms(tr)):
        return None
    num = sp.fraction(sp.together(e))[0]
    poly = sp.Poly(sp.expand(num), x) if num.has(x) else None
    if poly is None or poly.degree() != 1:
        return None
    a, b = poly.all_coeffs()
    return -b / a


def _trace_values(equations) -> dict:
    r"""{trace: its value} for each trace that an equation with no other trace gives
    explicitly (affine in it): e.g. :math:`x(\varphi\operatorname{tr}f + c) = 1` gives
    :math:`\operatorname{tr}f = (1/x - c)/\varphi`."""
    out = {}
    for e in equations:
        e = sp.sympify(e)
        traces = e.atoms(tr)
        if len(traces) != 1:
            continue
        (T,) = traces
        u = sp.Dummy("T")
        num = sp.fraction(sp.together(e.xreplace({T: u})))[0]
        poly = sp.Poly(sp.expand(num), u)
        if poly.degree() == 1:
            a, b = poly.all_coeffs()
            out.setdefault(T, -b / a)
    return out


def eliminate_explicit(system: System) -> System:
    """Remove the unknowns that no other equation contains and that their own equation
    gives explicitly (affine in them, outside the traces), when their value can be written
    without traces (each trace in it given by one of the other equations,
    ``_trace_values``): the values are substituted into the outputs, which stay
    per-coordinate densities.  Repeated until none is left."""
    while True:
        for i, (x, e) in enumerate(zip(system.unknowns, system.equations)):
            others = [f for j, f in enumerate(system.equations) if j != i]
            if any(x in sp.sympify(f).free_symbols for f in others):
                continue
            value = _explicit_solution(x, e)
            if value is None:
                continue
            value = sp.cancel(canonical(value).xreplace(
                {canonical(T): v for T, v in _trace_values(map(canonical, others)).items()}))
            if value.atoms(tr):
                continue
            system = dataclasses.replace(
                system, unknowns=system.unknowns[:i] + system.unknowns[i + 1:],
                equations=system.equations[:i] + system.equations[i + 1:],
                densities={k: sp.sympify(v).xreplace({x: value})
                           for k, v in system.densities.items()},
                positive=tuple(u for u in system.positive if u != x),
                guess={u: g for u, g in system.guess.items() if u != x},
                note=system.note + f"; {x} eliminated (explicit)")
            break
        else:
            return system


def reduce_system(system: System, groups, point: dict, atoms, digits: int = 30) -> System:
    """:func:`merge_proportional` then :func:`eliminate_explicit`, then the unknowns no
    output needs dropped (:meth:`~symcollapse.core.equations.System.prune`)."""
    merged = merge_proportional(system, groups, point, atoms, digits)
    return eliminate_explicit(merged).prune()


def change_variables(system: System, change: dict) -> System:
    r"""The system in named unknowns: ``change`` maps each unknown x of ``system`` to an
    expression f(y) in exactly one new unknown y (e.g. a block's trace written through the
    model's own variable, :math:`g_{n_1} = a_1e_1/p_1`); x = f(y) is substituted
    everywhere, y takes x's place, positivity and the large-ridge guess (f(y₀) = x₀,
    solved for y₀).  Unknowns not in ``change`` are kept."""
    new_of = {}
    for x, f in change.items():
        if x not in system.unknowns:
            raise ValueError(f"{x} is not an unknown of {system.name}")
        fresh = [s for s in sp.sympify(f).free_symbols
                 if s not in system.parameters and s not in system.unknowns]
        if len(fresh) != 1:
            raise ValueError(f"{x} = {f}: one new unknown expected, found {fresh}")
        new_of[x] = fresh[0]
    unknowns = tuple(new_of.get(x, x) for x in system.unknowns)
    guess = {}
    for x, g in system.guess.items():
        if x not in new_of:
            guess[x] = g
            continue
        y = new_of[x]
        roots = sp.solve(sp.Eq(change[x], g), y)
        if len(roots) != 1:
            raise ValueError(f"{x} = {change[x]}: the guess {g} gives {len(roots)} values of {y}")
        guess[y] = sp.cancel(roots[0])
    return dataclasses.replace(
        system, unknowns=unknowns,
        equations=tuple(canonical(sp.sympify(e).xreplace(change)) for e in system.equations),
        densities={k: sp.cancel(sp.sympify(v).xreplace(change)) for k, v in system.densities.items()},
        positive=tuple(new_of.get(x, x) for x in system.positive), guess=guess,
        note=system.note + "; unknowns named " + ", ".join(f"{x} = {f}" for x, f in change.items()))
