"""``symcollapse.closed_form``: one SymPy expression for a config wherever one is derived.

A plain mixture (linear or projections model, one isotropic atom) gets the closed form of
:func:`symcollapse.analysis.limits.closed_form`; a self-consuming loop (``replace``,
``accumulate``; ridgeless, one isotropic atom) gets E_test(t) as an expression in the
generation t (:func:`symcollapse.analysis.loops.loop_closed_form`).
"""
from __future__ import annotations

from symcollapse.analysis import limits, loops
from symcollapse.core.errors import UnsupportedError
from symcollapse.core.spec import LOOPS


def closed_form(config, part: str = "test_error"):
    """A closed form of ``part`` for a config (see the module docstring); the other
    configs are refused with the reason."""
    if isinstance(config, dict) and config.get("strategy") in LOOPS:
        if part not in ("test_error", "bias", "variance"):
            raise UnsupportedError(f"closed_form: a self-consuming loop has no {part} "
                                   "(its parts are test_error, bias and variance)")
        return loops.loop_closed_form(config, part)
    return limits.closed_form(config, part)
