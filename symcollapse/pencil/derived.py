r"""A model's system as the pencil engine derives it from the model's declaration.

A model that declares its expressions in Gaussian blocks (its ``sources`` hook: the pencils,
the outputs Bias, Var, ζ read from them, and the probe along which the second-order
quantities are derivatives) and the names of its unknowns (``unknowns``: each unknown of
the pencils written through one of the model's own variables, e.g. the n₁-block's trace
:math:`g_{n_1} = a_1e_1/(1 - p_2)`; ``rates``: the names of their rates along the probe)
has its :class:`~symcollapse.core.equations.System` derived here, once per model:

1. each pencil's operator-valued fixed point (:func:`~symcollapse.pencil.operator_valued.operator_valued`);
2. the pencils' fixed points joined and reduced to the unknowns they really have — the
   proportional copies of one block trace merged, the blocks a pencil gives explicitly
   eliminated (:mod:`symcollapse.pencil.reduction`, each step proved symbolically);
3. the unknowns named (:func:`~symcollapse.pencil.reduction.change_variables`), then the
   second order derived along the probe;

then every mixing strategy substitutes its group weights
(:func:`~symcollapse.core.equations.mixture_weights`).  The training-error probe is derived
the same way from the model's pencils with the probe along Σ2
(:func:`training_base_system`).  The derived systems are kept on disk between sessions
(:mod:`symcollapse.core.system_cache`).  The generic point at which the
reductions are proposed is exact and fixed (:data:`GENERIC_VALUES`), so the derivation is
the same on every machine.
"""
from __future__ import annotations

import dataclasses
import functools
from fractions import Fraction

import sympy as sp

from symcollapse import models
from symcollapse.core import determinism as sym, equations as eq
from symcollapse.core.spec import Atom
from symcollapse.core.spectra import CoordinateAtom
from symcollapse.pencil.operator_valued import (DEFAULT_DIAGS, Output, derive_system, opaque_traces,
                                                training_sources)

__all__ = ["system_of", "base_system", "general_system", "training_system_of",
           "training_base_system", "probe_base_system", "probe_system_of", "PROBE_FIELD",
           "density_on_shell", "tidy", "split_traces", "GENERIC_VALUES", "GENERIC_ATOMS", "generic_point"]

#: Distinct rationals in (0, 1), given in turn to the free parameters (by name) of the point
#: where the reductions are proposed.
GENERIC_VALUES = tuple(Fraction(p, q) for p, q in ((1, 3), (2, 7), (3, 11), (5, 13), (7, 17),
                                                  (11, 19), (13, 23), (17, 29), (19, 31),
                                                  (23, 37), (29, 41), (31, 43)))
#: Two generic atoms of that point.
GENERIC_ATOMS = (Atom(Fraction(2, 5), Fraction(3, 2), Fraction(4, 5), Fraction(6, 5), Fraction(1, 3)),
                 Atom(Fraction(3, 5), Fraction(2, 3), Fraction(7, 5), Fraction(1, 2), Fraction(5, 4)))


#: The coordinate field on d along which :func:`probe_base_system` differentiates (any
#: per-coordinate diagonal B, e.g. a moment of the previous generation's error).
PROBE_FIELD = eq.PROBE
#: The values of a coordinate field at the two generic atoms.
GENERIC_FIELD_VALUES = (Fraction(5, 7), Fraction(9, 11))


def generic_point(system: eq.System):
    """The exact generic point of a system's free parameters (sorted by name) and atoms;
    atoms that carry the system's coordinate fields (:class:`~symcollapse.core.equations.Field`)
    when it has some."""
    free = sorted(system.parameters, key=str)
    if len(free) > len(GENERIC_VALUES):
        raise ValueError(f"{system.name}: {len(free)} parameters, at most "
                         f"{len(GENERIC_VALUES)} at the generic point")
    exprs = list(system.equations) + list(system.densities.values())
    fields = sorted({f for e in exprs for f in sp.sympify(e).free_symbols
                     if isinstance(f, eq.Field)}, key=str)
    atoms = GENERIC_ATOMS if not fields else tuple(
        CoordinateAtom(a.weight, a.s1, a.s2, a.theta, a.delta,
                       tuple((f.name, v * (1 + i)) for i, f in enumerate(fields)))
        for a, v in zip(GENERIC_ATOMS, GENERIC_FIELD_VALUES))
    return dict(zip(free, GENERIC_VALUES)), atoms


def _symbols() -> dict:
    """The toolkit's named symbols (parameters, unknowns, rates) by name, and the
    parameters by their config keys too (``lam`` for λ, whose symbol's name is a Python
    keyword)."""
    names = {s.name: s for s in vars(eq).values() if isinstance(s, sp.Symbol)}
    names.update({key: s for s, key in eq.PARAM_KEYS.items()})
    names.pop("lambda", None)
    return names


def _derived(model: str, posed, rates: dict, name: str, diag_symbols=None) -> eq.System:
    """``posed`` = (sources, outputs, probe) derived and reduced, its unknowns named by the
    model's ``unknowns`` and their rates by ``rates`` (names → names)."""
    declared = models.get(model)
    names = _symbols()
    change = {sp.Symbol(k): sp.sympify(v, locals=names) for k, v in declared.unknowns.items()}
    sources, outputs, probe = posed
    return derive_system(sources, outputs, probe=probe, reduce=generic_point, change=change,
                         rates={names[k]: names[v] for k, v in rates.items()}, name=name,
                         diag_symbols=diag_symbols)


@functools.lru_cache(maxsize=None)
def base_system(model: str) -> eq.System:
    """The model's derived System with symbolic group weights a_j (every strategy's
    parent)."""
    declared = models.get(model)
    system = _derived(model, declared.hook("sources")(), declared.rates, model)
    return eq.System(name=model, unknowns=system.unknowns,
                     equations=tuple(split_traces(e) for e in system.equations),
                     densities=_factored(system.densities), positive=system.positive,
                     guess=system.guess,
                     note="derived by the pencil engine from the model's expressions: "
                          + system.note, unique_root=declared.unique_root)


@functools.lru_cache(maxsize=None)
def training_base_system(model: str) -> eq.System:
    r"""The model's System extended by its training-error probe, symbolic weights.

    The probe's pencils (:func:`~symcollapse.pencil.operator_valued.training_sources`:
    the error :math:`G_2` of the fit measured by Σ2 against w2) are derived like the
    model's own, their unknowns named alike and their rates named by ``training_rates``;
    at probe 0 their first-order equations are the model's (checked symbolically), so
    only the rates and G2 are added.  The statement's own outputs (``training_outputs``,
    e.g. the shrinkage :math:`e_j^2` of each group's residuals) are expressions in the
    model's named unknowns."""
    declared = models.get(model)
    base = base_system(model)
    probed = _derived(model, training_sources(model), declared.training_rates,
                      model + "/training")
    n = len(probed.unknowns) // 2
    if tuple(probed.unknowns[:n]) != tuple(base.unknowns[:n]) or any(
            not eq.vanishes(split_traces(a) - b) for a, b in zip(probed.equations[:n], base.equations[:n])):
        raise ValueError(f"{model}: the training probe's first order is not the model's")
    densities = dict(base.densities)
    densities["g2"] = _factored(probed.densities)["g2"]
    first_order = base.equations[:len(base.unknowns) // 2]
    densities.update({k: density_on_shell(sp.sympify(v, locals=_symbols()), first_order)
                      for k, v in declared.training_outputs.items()})
    return eq.System(name=model + "/training", unknowns=base.unknowns + probed.unknowns[n:],
                     equations=base.equations + tuple(split_traces(e) for e in probed.equations[n:]),
                     densities=densities,
                     positive=base.positive,
                     guess={**base.guess, **{r: 0 for r in probed.unknowns[n:]}},
                     note=base.note + "; training error (G2 derived along Σ2)",
                     unique_root=declared.unique_root)


@functools.lru_cache(maxsize=None)
def probe_base_system(model: str) -> eq.System:
    r"""The model's resolvent differentiated along a probe B that is any per-coordinate
    diagonal (:data:`PROBE_FIELD`, a field of the atoms), symbolic group weights.

    With :math:`R(t) = (\sum_ja_j\hat\Sigma_j + \lambda + tB)^{-1}` (the model's own
    expression, its probe moved from Σ1 to B), the output ``"L"`` is the per-atom density
    of :math:`\mathcal L[B] \asymp -\partial_tR(t)|_{t=0} = RBR`, linear in B and in the
    rates u of the fixed point along B, which solve the rate equations (linear in u, with
    B inside their traces).  This is the map B ↦ 𝓛[B] that iterative mixing applies to each
    generation's moments (:mod:`symcollapse.core.iterative`)."""
    declared = models.get(model)
    sources, _outputs, probe = declared.hook("sources")(test=PROBE_FIELD.name)
    outputs = {"L": Output(scale=-1, derivative=True, source="R")}
    system = _derived(model, ({"R": sources["R"]}, outputs, probe), declared.rates,
                      model + "/probe", diag_symbols={**DEFAULT_DIAGS,
                                                      PROBE_FIELD.name: PROBE_FIELD})
    return eq.System(name=model + "/probe", unknowns=system.unknowns,
                     equations=tuple(split_traces(e) for e in system.equations),
                     densities=_factored(system.densities), positive=system.positive,
                     guess=system.guess, note="derived by the pencil engine along a probe "
                     "B: " + system.note, unique_root=declared.unique_root)


def density_on_shell(expr, first_order):
    r"""An output written in the named unknowns, as a density on the first-order solution.

    Each complement 1 − x of an unknown whose equation reads :math:`(x - 1) + \Phi = 0`
    (Φ its terms with traces, every trace's coefficient free of the coordinates) is
    replaced by Φ — for the linear model :math:`1 - e_j = \gamma_je_j
    \operatorname{tr}(\Sigma_jK^{-1})`, so that :math:`df/n = \sum_jp_j(1 - e_j)` becomes
    :math:`\varphi\operatorname{tr}(MK^{-1})`, a sum of positive terms that keeps its digits
    where df/n is tiny — and the traces left are written as one density,
    :math:`c\operatorname{tr}(f) = \operatorname{tr}(cf)`."""
    values = {}
    for f in first_order:
        opaque, back = opaque_traces(sp.sympify(f))
        traces = sorted(back, key=str)
        free = eq.cancelled(opaque.xreplace({t: 0 for t in traces}))
        for x in sp.sympify(f).free_symbols & free.free_symbols:
            if eq.vanishes(free - (x - 1)):
                phi = eq.cancelled(sp.sympify(f) - free)
                values[1 - x], values[x - 1] = phi, -phi
    out = eq.cancelled(sp.sympify(expr).xreplace(values))
    opaque, back = opaque_traces(out)
    if not back:
        return out
    terms = sp.expand(opaque)
    density = sp.Add(*[sp.diff(terms, t) * back[t].args[0] for t in back])
    if not eq.vanishes(terms - sp.Add(*[sp.diff(terms, t) * t for t in back])) or any(
            eq.depends_on_coordinates(sp.diff(terms, t)) for t in back):
        raise ValueError(f"{expr}: not a sum of traces with constant coefficients on the "
                         "first-order solution")
    return sym.factor(sp.cancel(density))


def probe_system_of(model: str, strategy: str) -> eq.System:
    """:func:`probe_base_system` with the group weights of a mixing strategy."""
    return tidy(probe_base_system(model).subs(eq.mixture_weights(strategy)))


def split_traces(expr):
    r"""Each trace of ``expr`` written as a sum of traces of simple terms: its integrand's
    numerator expanded over its factored denominator, so that :class:`~symcollapse.core.equations.tr`
    takes every factor free of the coordinates out — the rates of a second-order equation
    leave the traces (:math:`\operatorname{tr}((a_1u_1\Sigma_1^2 + \Sigma_1^2)/K^2) =
    (a_1u_1 + 1)\operatorname{tr}(\Sigma_1^2/K^2)`), and the traces left depend on the
    first-order unknowns only: fewer distinct traces, shared between the equations."""
    def split(f):
        num, den = sp.fraction(sp.cancel(f))
        den = sym.factor(den)
        return sp.Add(*[eq.tr(t / den) for t in sp.Add.make_args(sp.expand(num))])
    expr = sp.sympify(expr)
    return expr.xreplace({t: split(t.args[0]) for t in expr.atoms(eq.tr)})


def _factored(densities: dict) -> dict:
    """Each output's terms factored (a sum of parts stays a sum: its constant terms, such
    as Var, stay apart from the per-coordinate ones)."""
    return {k: sp.Add(*[sym.factor(t) for t in sp.Add.make_args(v)]) for k, v in densities.items()}


def training_system_of(model: str, strategy: str) -> eq.System:
    """:func:`training_base_system` with the group weights of a mixing strategy."""
    return tidy(training_base_system(model).subs(eq.mixture_weights(strategy)))


def general_system(model: str) -> eq.System:
    r"""The model's derived System written with the ratios :math:`\gamma_j = a_j\varphi/p_j`
    of docs/theory (the form in which the theory states it, for every strategy at once):
    :math:`p_1 = 1 - p_2 = a_1\varphi/\gamma_1` and :math:`p_2 = a_2\varphi/\gamma_2`
    substituted where each group's share appears, then cancelled."""
    system = base_system(model)
    shares = {1 - eq.p2: eq.a1 * eq.phi / eq.gamma1, eq.p2 - 1: -eq.a1 * eq.phi / eq.gamma1}

    def at(expr):
        return sp.sympify(expr).xreplace(shares).xreplace({eq.p2: eq.a2 * eq.phi / eq.gamma2})
    moved = dataclasses.replace(system, equations=tuple(at(e) for e in system.equations),
                                densities={k: at(v) for k, v in system.densities.items()},
                                guess={k: at(v) for k, v in system.guess.items()})
    return tidy(moved)


def system_of(model: str, strategy: str) -> eq.System:
    """The model's derived System with the group weights of a mixing strategy, each
    equation cancelled as a rational function of its traces (:func:`tidy`):
    :math:`(p_2 - 1)/(1 - p_2) = -1` before any point is evaluated."""
    return tidy(base_system(model).subs(eq.mixture_weights(strategy)))


def tidy(system: eq.System) -> eq.System:
    """The system with its equations and guesses cancelled (:func:`system_of`); its
    outputs are kept as derived (factored while the weights were symbols)."""
    return dataclasses.replace(
        system, equations=tuple(eq.cancelled(e) for e in system.equations),
        guess={k: sp.cancel(v) for k, v in system.guess.items()})
