r"""The engine as a user's tool: derive a model's system from its expression, solve it on
a config.

A model is posed as rational expressions in Gaussian blocks (:mod:`symcollapse.pencil.expr`)
on the dimensions ``n1``, ``n2``, ``d``, ``m``, ``n`` (their ratios to n:
:data:`~symcollapse.pencil.operator_valued.DEFAULT_RATIOS`, or your own ``ratios``), with
diagonal matrices on ``d`` named after the atom fields (``Sigma1``, ``Sigma2``, ``Theta``,
``Delta``: :data:`~symcollapse.pencil.operator_valued.DEFAULT_DIAGS`), and diagonal matrices
on any other dimension named after :class:`~symcollapse.core.equations.Field` symbols
(``diags``), whose values per coordinate :func:`solve` takes as a ``law``.  :func:`derive`
returns its :class:`~symcollapse.core.equations.System` (duplicate unknowns shared by
several sources merged), :func:`solve` its outputs at a config.  The conventions of an
:class:`~symcollapse.pencil.operator_valued.Output` are in ``docs/engine.md``.

>>> import sympy as sp
>>> from symcollapse.core import equations as eq
>>> from symcollapse.pencil import Diag, Gaussian, Identity, Output, derive, inverse, solve
>>> X = Gaussian("X1", "n1", "d", covariance=Diag("Sigma1", "d"))
>>> n1 = sp.Symbol("n1", positive=True)
>>> R = inverse(X.T @ X / n1 + eq.lam * Identity("d"))           # a resolvent
>>> system = derive(R, {"trace": Output()})                       # tr R on d
>>> cfg = {"phi": 0.5, "p2": 0, "lam": 1, "atoms": [{"weight": 1, "s1": 1, "s2": 1,
...        "theta": 1, "delta": 0}]}
>>> out = solve(system, cfg, dps=20)
>>> import mpmath as mp          # Marchenko–Pastur, d/n = 1/2, λ = 1: tr R = (√17 − 3)/2
>>> with mp.workdps(30):
...     print(abs(out["outputs"]["trace"] - (mp.sqrt(17) - 3) / 2) < mp.mpf(10) ** -19)
True
"""
from __future__ import annotations

from fractions import Fraction

import mpmath as mp
import sympy as sp

from symcollapse.core.compiled import atoms_mp, compile_system
from symcollapse.core.equations import Field
from symcollapse.core.errors import ConfigError, SymcollapseError
from symcollapse.core.regimes import parameter_values
from symcollapse.core.solve import solve_point
from symcollapse.core.spec import parse, to_number
from symcollapse.core.spectra import with_fields
from symcollapse.pencil.derived import GENERIC_ATOMS, GENERIC_VALUES
from symcollapse.pencil.operator_valued import DEFAULT_DIAGS, derive_system

def derive(source, outputs=None, *, params=None, probe=None, ratios=None, diags=None,
           name="pencil", merge=True):
    r"""The System of one expression or of several (a dict ``{label: expression}``).

    ``outputs``: ``{name: Output}`` or ``{name: [Output, ...]}`` (a sum; with several
    sources each Output names its ``source``); ``params``: a substitution applied to
    everything (e.g. :func:`~symcollapse.core.equations.mixture_weights`); ``probe``: a
    scalar symbol the outputs are differentiated along at 0; ``ratios``: dimension name →
    its ratio to n; ``diags``: Diag name → atom symbol, or → a
    :class:`~symcollapse.core.equations.Field` for a Diag on another dimension (added to the
    defaults).  With several sources, unknowns
    that are the same block trace in two pencils, up to a factor (a monomial in the
    parameters), are merged and the blocks a pencil gives explicitly are eliminated
    (``merge=True``, :mod:`symcollapse.pencil.reduction`) when that is proved: candidates
    read off the fixed point solved at a generic rational point, kept only when the
    equations agree symbolically; otherwise every unknown is kept (same answer, larger
    system).
    """
    diag_symbols = {**DEFAULT_DIAGS, **(diags or {})}
    if merge and isinstance(source, dict) and len(source) > 1:
        try:
            return derive_system(source, outputs=outputs, params=params, probe=probe,
                                 ratios=ratios, diag_symbols=diag_symbols, name=name,
                                 reduce=_merge_point)
        except (SymcollapseError, ValueError):  # no generic point: keep every unknown
            pass
    return derive_system(source, outputs=outputs, params=params, probe=probe, ratios=ratios,
                         diag_symbols=diag_symbols, name=name)


def _merge_point(system):
    """The exact generic point of the reductions: distinct rationals for the free
    parameters (sorted by name) and generic atoms (:func:`_merge_atoms`)."""
    free = sorted(system.parameters, key=str)
    if len(free) > len(GENERIC_VALUES):
        raise ValueError(f"{len(free)} parameters: more than the generic point has")
    return dict(zip(free, GENERIC_VALUES)), _merge_atoms(system)


def solve(system, config, dps: int = 30, values=None, law=None) -> dict:
    r"""A System's outputs and unknowns at a config, to ``dps`` digits.

    ``config`` (docs/contract.md) gives the scalars (φ, p2, λ, σ_j, ψ, α) and the atoms;
    ``values`` maps the system's other parameters (by symbol or name) to numbers; ``law``
    gives the system's :class:`~symcollapse.core.equations.Field` values on their own
    dimension, a list of ``(weight, {field name: value})`` with weights summing to 1 (one
    class of coordinates per entry; a field constant over its dimension is one entry of
    weight 1).  Returns ``outputs`` (name → mpf), ``unknowns`` (name → mpf) and ``residual``.
    """
    if isinstance(dps, bool) or not isinstance(dps, int) or not 1 <= dps <= 10_000:
        raise ConfigError(f"dps = {dps!r} is out of range: allowed integers 1 <= dps <= 10000")
    spec = parse(config)
    c = compile_system(system)
    params = {s: v for s, v in parameter_values(spec).items() if s in c.params}
    by_name = {str(s): s for s in c.params}
    for key, v in (values or {}).items():
        sym = key if isinstance(key, sp.Symbol) else by_name.get(key)
        if sym is None or sym not in c.params:
            raise ConfigError(f"values: {key} is not a parameter of the system: allowed "
                              + ", ".join(sorted(by_name)))
        params[sym] = to_number(str(sym), v)
    missing = [str(s) for s in c.params if s not in params]
    if missing:
        raise ConfigError("values: the system's parameters " + ", ".join(missing)
                          + " are not given (not config keys: pass them in values)")
    atoms = spec.atoms if law is None else with_fields(spec.atoms, _law(law))
    with mp.workdps(dps + 15):
        sol = solve_point(c, params, atoms, dps=dps)
        outs = c.outputs_mp(sol.x, c.values_mp(params), atoms_mp(atoms))
    with mp.workdps(dps):
        return {"outputs": {k: +v for k, v in outs.items()},
                "unknowns": {str(x): +v for x, v in zip(c.unknowns, sol.x)},
                "residual": +sol.residual}


def _law(law) -> list:
    """A law of field values, checked: weights positive, summing to 1, the same fields in
    every entry."""
    rows = [(Fraction(to_number("law weight", w)), {str(k): v for k, v in values.items()})
            for w, values in law]
    if not rows or any(w <= 0 for w, _ in rows) or sum(w for w, _ in rows) != 1:
        raise ConfigError("law: weights must be positive and sum to 1")
    if any(set(v) != set(rows[0][1]) for _, v in rows):
        raise ConfigError("law: every entry must give the same fields")
    return [(w, {k: to_number(k, x) for k, x in v.items()}) for w, v in rows]


def _merge_atoms(system) -> tuple:
    """The generic atoms of the merge point, with two generic classes of coordinates for
    the system's fields (distinct rational values) when it has any."""
    fields = sorted({s.name for e in (*system.equations, *system.densities.values())
                     for s in sp.sympify(e).free_symbols if isinstance(s, Field)})
    if not fields:
        return GENERIC_ATOMS
    law = [(Fraction(1, 3), {f: Fraction(2 + i, 5 + i) for i, f in enumerate(fields)}),
           (Fraction(2, 3), {f: Fraction(7 + i, 4 + i) for i, f in enumerate(fields)})]
    return with_fields(GENERIC_ATOMS, law)
