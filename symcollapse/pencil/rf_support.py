r"""Two small additions to the pencil engine (:mod:`symcollapse.pencil.operator_valued`) used by models
posed in :mod:`symcollapse.models`.

**A deterministic probe added to a pencil** (:func:`with_probe`).  For a symmetric pencil
L of R = (L⁻¹)_rr, adding deterministic diagonal entries :math:`tD_k` at blocks (k, k) is
again a symmetric linear pencil; its (r, r) block of the inverse is the expression the
caller states (``expr``), and :func:`~symcollapse.pencil.linearization.check` verifies it (float64,
random values, error < 1e-9) before the pencil is used.  It places a probe where the
linearizer cannot see it (inside one group's congruence), so that blocks of L⁻¹ next to
the probe carry the second-order quantities.

**Scalars out of the traces** (:func:`pull_scalars_out_of_traces`): tr(c·f) = c·tr(f) for
a factor c free of the atom symbols, then the outer rational expression is cancelled, so
that a group fraction such as p2 that the block scalings put inside a trace and outside it
cancels symbolically (the system is then finite at p2 = 0).

**Outputs on a pair of blocks** (:class:`PairOutput`):
:math:`c\,\operatorname{tr}_d(W (L^{-1})_{ab})` for two blocks a, b of the space d (the
d-blocks :math:`G'_{ab}` of the fixed point are already per-atom expressions;
:math:`(L^{-1})_{ab} = s_as_bG'_{ab}`), and :func:`derive_pair_system`, which is
:func:`~symcollapse.pencil.operator_valued.derive_system` for one pencil with such outputs (a
diagonal output is the pair (b, b)).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import sympy as sp

from symcollapse.core import equations as eq
from symcollapse.core.equations import System, tr
from symcollapse.pencil.expr import add
from symcollapse.pencil.linearization import Pencil, check
from symcollapse.pencil.operator_valued import (DEFAULT_DIAGS, canonical_traces, differentiate_probe,
                                                map_traces, opaque_traces, operator_valued,
                                                proportional_limit)

__all__ = ["PairOutput", "with_probe", "derive_pair_system", "pair_system", "with_parameters",
           "derivative_terms",
           "pull_scalars_out_of_traces"]


@dataclass(frozen=True)
class PairOutput:
    r""":math:`\mathrm{scale}\cdot\operatorname{tr}(\mathrm{weight}\,(L^{-1})_{ab})`,
    ``blocks = (a, b)``; ``derivative``: its derivative along the probe at 0."""

    blocks: tuple
    weight: object = 1
    scale: object = 1
    derivative: bool = False


def with_probe(pencil: Pencil, extra: dict, expr, sizes=None, seed=0) -> Pencil:
    """``pencil`` with the deterministic entries ``extra`` ({k: MatExpr on block k}) added
    to its diagonal blocks; ``expr`` is the new (L⁻¹)_rr, checked in float64 at random
    values (ValueError when the entries differ by 1e-9 or more)."""
    entries = dict(pencil.entries)
    for k, E in extra.items():
        if not E.is_deterministic or E.shape != (pencil.blocks[k], pencil.blocks[k]):
            raise ValueError(f"probe entry at block {k} must be deterministic and square")
        entries[(k, k)] = add(entries[(k, k)], E) if (k, k) in entries else E
    out = Pencil(pencil.blocks, tuple(sorted(entries.items())), pencil.row, pencil.col, expr,
                 pencil.form)
    sizes = sizes or {dim: 3 + i for i, dim in enumerate(sorted(set(pencil.blocks)))}
    err = check(out, sizes=sizes, rng=np.random.default_rng(seed))
    if not err < 1e-9:
        raise ValueError(f"the probed pencil does not represent {expr!r} (error {err})")
    return out


def derive_pair_system(pencil: Pencil, outputs: dict, params=None, probe=None,
                       name="pencil", ratios=None, diag_symbols=None) -> System:
    r"""The fixed point of ``pencil`` (:func:`~symcollapse.pencil.operator_valued.operator_valued`)
    as a System with densities ``{name: PairOutput or [PairOutput, ...]}`` (a sum),
    differentiated along ``probe`` at 0 (:func:`~symcollapse.pencil.operator_valued.differentiate_probe`)
    and with ``params`` substituted (``ratios``: dimension name → its ratio to n, default
    :data:`~symcollapse.pencil.operator_valued.DEFAULT_RATIOS`; ``diag_symbols``: Diag name →
    its per-atom symbol, added to :data:`~symcollapse.pencil.operator_valued.DEFAULT_DIAGS`,
    a :class:`~symcollapse.core.equations.Field` for a Diag on a space other than d).
    A large system is faster through :func:`pair_system` and :func:`with_parameters`."""
    system = pair_system(pencil, outputs, name=name, ratios=ratios, diag_symbols=diag_symbols)
    if probe is not None:
        system = differentiate_probe(system, probe, derivative_terms(outputs))
    params = params or {}       # symbols → expressions (xreplace; the traces are cancelled below)
    eqs = tuple(sp.sympify(e).xreplace(params) for e in system.equations)
    dens = {}
    for k, o in outputs.items():
        n_terms = len(o) if isinstance(o, (list, tuple)) else 1
        dens[k] = sp.cancel(sp.Add(*[sp.sympify(system.densities[f"{k}#{i}"]).xreplace(params)
                                     for i in range(n_terms)]))
    return pull_scalars_out_of_traces(System(
        name=name, unknowns=system.unknowns, equations=eqs, densities=dens,
        positive=system.positive,
        guess={k: sp.sympify(v).xreplace(params) for k, v in system.guess.items()},
        note="operator-valued Dyson equation of a linear pencil, pair outputs"))


def pair_system(pencil: Pencil, outputs: dict, name="pencil", ratios=None,
                diag_symbols=None) -> System:
    """The fixed point of :func:`derive_pair_system` before any parameter is substituted
    and before the probe derivative: each output's terms are the densities ``"name#i"``
    (what a model derives once for all its mixing strategies, which differ only in the
    parameters substituted; :func:`with_parameters` finishes it)."""
    fp = operator_valued(pencil, ratios=ratios, diag_symbols={**DEFAULT_DIAGS, **(diag_symbols or {})})
    parts = {}
    for k, o in outputs.items():
        for n_, part in enumerate(o if isinstance(o, (list, tuple)) else [o]):
            a, b = part.blocks
            if fp.pencil.blocks[a] not in fp.atom_dims and a != b:
                raise ValueError(f"pair output {part.blocks}: off-diagonal pairs live on a "
                                 f"space with atoms ({', '.join(sorted(fp.atom_dims))})")
            factor = proportional_limit(sp.sympify(part.scale) * fp.scale[a] * fp.scale[b], fp.ratios)
            parts[f"{k}#{n_}"] = sp.cancel(factor * sp.sympify(part.weight)
                                           * fp.block_value(a, b))
    xs = tuple(fp.unknowns.values())
    positive = tuple(x for x in xs if fp.guess.get(x, 0) != 0
                     and sp.sympify(fp.guess[x]).is_positive is not False)
    return System(name=name, unknowns=xs, equations=fp.equations, densities=parts,
                  positive=positive, guess=dict(fp.guess),
                  note=f"operator-valued fixed point of a {pencil.size}-block pencil")


def derivative_terms(outputs: dict) -> tuple:
    """The density names ``"name#i"`` of the :class:`PairOutput` terms taken along the probe."""
    return tuple(f"{k}#{i}" for k, o in outputs.items()
                 for i, part in enumerate(o if isinstance(o, (list, tuple)) else [o]) if part.derivative)


def with_parameters(system: System, params=None, probe=None, derivative=(), name=None) -> System:
    r"""A :func:`pair_system` with ``params`` substituted (symbols → expressions, e.g. a
    strategy's :func:`~symcollapse.core.equations.mixture_weights`) and its scalars pulled
    out of the traces (:func:`pull_scalars_out_of_traces`), then differentiated along
    ``probe`` at 0 (the terms named in ``derivative``), the terms ``"k#i"`` of each output
    summed into ``k``.  An equation F = N/D = 0 (cancelled) gives its rates by
    :math:`\partial_t N = 0` (the same linear equations for ẋ where D ≠ 0, without the
    quotient rule: the rate equations of a large system stay small)."""
    params = params or {}
    base = pull_scalars_out_of_traces(System(
        name=name or system.name, unknowns=system.unknowns,
        equations=tuple(sp.sympify(e).xreplace(params) for e in system.equations),
        densities={k: sp.sympify(v).xreplace(params) for k, v in system.densities.items()},
        positive=system.positive, guess={k: sp.sympify(v).xreplace(params) for k, v in system.guess.items()},
        note=system.note))
    n = len(system.equations)
    if probe is not None:
        numerators = dataclasses.replace(base, equations=tuple(sp.fraction(e)[0] for e in base.equations))
        base = differentiate_probe(numerators, probe, derivative, at_zero=(
            canonical_traces(sp.sympify(e).subs(probe, 0)) for e in base.equations))
    terms: dict = {}
    for key, v in base.densities.items():
        terms.setdefault(key.rsplit("#", 1)[0], []).append(v)
    return System(name=base.name, unknowns=base.unknowns,
                  equations=tuple(_pull(e) for e in base.equations[:n])
                  + tuple(_pull(e, outer=False) for e in base.equations[n:]),
                  densities={k: _pull(sp.Add(*v)) for k, v in terms.items()},
                  positive=base.positive, guess=base.guess,
                  note="operator-valued Dyson equation of a linear pencil, pair outputs; "
                       "scalars pulled out of the traces")


#: The per-sample weights c_j = a_j/p_j of the two groups (a_j: the group weights of
#: :func:`~symcollapse.core.equations.mixture_weights`, p_1 = 1 − p_2).
SAMPLE_WEIGHTS = sp.symbols("c_w1 c_w2", nonnegative=True)

#: The group weights written by the per-sample weights: a_1 = c_1(1 − p_2), a_2 = c_2p_2.
GROUP_WEIGHTS_BY_SAMPLE = {eq.a1: SAMPLE_WEIGHTS[0] * (1 - eq.p2), eq.a2: SAMPLE_WEIGHTS[1] * eq.p2}


def sample_weights(strategy: str) -> dict:
    r"""{c_j: a_j/p_j} of a mixing strategy: c_1 = c_2 = 1 (plain); c_1 = α/(1 − p_2),
    c_2 = (1 − α)/p_2 (weighted, 0 < p_2 < 1)."""
    w = eq.mixture_weights(strategy)
    return {SAMPLE_WEIGHTS[0]: w[eq.a1] / (1 - eq.p2), SAMPLE_WEIGHTS[1]: w[eq.a2] / eq.p2}


def at_sample_weights(system: System, strategy: str, name=None) -> System:
    r"""A System posed with the per-sample weights c_j (:data:`GROUP_WEIGHTS_BY_SAMPLE`)
    at a strategy's values (:func:`sample_weights`), substituted without cancelling: one
    derivation serves every strategy, and α/(1 − p_2) stays one subexpression instead of
    being cancelled into the rational functions (which multiplies their size).  The
    result names ``system`` as its parent: its Jacobian is ``system``'s, substituted."""
    w = sample_weights(strategy)

    def at(e):
        return sp.sympify(e).xreplace(w)
    return System(name=name or system.name, unknowns=system.unknowns,
                  equations=tuple(at(e) for e in system.equations),
                  densities={k: at(v) for k, v in system.densities.items()},
                  positive=system.positive, guess={k: at(v) for k, v in system.guess.items()},
                  note=system.note + "; per-sample weights of strategy " + strategy,
                  parent=(system, w))


def _atom_free_content(poly_expr):
    """(c, q) with poly_expr = c·q, c the content of the polynomial in the atom symbols (the
    gcd of its coefficients, free of the atoms) and q its primitive part."""
    atoms = list(eq.coordinate_symbols(poly_expr))
    if not atoms:
        return poly_expr, sp.Integer(1)
    content, primitive = sp.Poly(poly_expr, *atoms).primitive()
    return content, primitive.as_expr()


def _pull(expr, outer=True):
    def split(f):
        num, den = sp.fraction(sp.cancel(f))
        (cn, qn), (cd, qd) = _atom_free_content(num), _atom_free_content(den)
        return cn / cd * tr(qn / qd)
    e = map_traces(expr, split)
    if not outer:
        return e
    e, back = opaque_traces(e)
    return sp.cancel(e).xreplace(back)


def pull_scalars_out_of_traces(system: System) -> System:
    """The same System with every tr(c·f) written c·tr(f) (c free of the atom symbols) and
    its equations and densities cancelled as rational functions of the traces."""
    return System(name=system.name, unknowns=system.unknowns,
                  equations=tuple(_pull(e) for e in system.equations),
                  densities={k: _pull(v) for k, v in system.densities.items()},
                  positive=system.positive, guess=system.guess,
                  note=system.note + "; scalars pulled out of the traces")
