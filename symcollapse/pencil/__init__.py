"""The linear-pencil engine: pose a model as rational expressions in Gaussian blocks, derive
its fixed-point system, solve it on a config (docs/engine.md).

The user's vocabulary: :class:`~symcollapse.pencil.expr.Gaussian`, :class:`~symcollapse.pencil.expr.Diag`, :class:`~symcollapse.pencil.expr.Identity`, :func:`~symcollapse.pencil.expr.inverse`
(expressions, :mod:`symcollapse.pencil.expr`), :func:`~symcollapse.pencil.linearization.linearize` (the pencil),
:class:`~symcollapse.pencil.operator_valued.Output` (what to read from it), :func:`~symcollapse.pencil.api.derive` and :func:`~symcollapse.pencil.api.solve`
(:mod:`symcollapse.pencil.api`).
"""
from symcollapse.pencil.api import derive, solve
from symcollapse.pencil.expr import Diag, Gaussian, Identity, inverse
from symcollapse.pencil.linearization import linearize
from symcollapse.pencil.operator_valued import DEFAULT_DIAGS, DEFAULT_RATIOS, Output, t_probe

__all__ = ["Gaussian", "Diag", "Identity", "inverse", "linearize", "Output", "derive", "solve",
           "DEFAULT_RATIOS", "DEFAULT_DIAGS", "t_probe"]
