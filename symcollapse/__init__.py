"""symcollapse: derive, evaluate and verify the theory of strong model collapse.

The test error of ridge-type models trained on a mixture of real and synthetic data
(docs/setting.md), as deterministic equivalents E_test ≃ Bias + Var + ζ built with SymPy,
solved to any precision with mpmath, and checked against Monte Carlo of the finite model.

>>> import symcollapse as sc
>>> cfg = {"phi": 0.5, "p2": 0.2, "lam": 0.1, "sigma1": 0.5, "sigma2": 0.5,
...        "atoms": [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]}
>>> float(sc.predict(cfg, dps=20)["test_error"])  # doctest: +ELLIPSIS
0.297345301725...

Entry points (docs/contract.md, "Contract: Python"): :func:`~symcollapse.predict`, :func:`~symcollapse.simulate`,
:func:`~symcollapse.closed_form`.  Heavy modules (SymPy) load on first use, so ``import symcollapse``
and the command line start fast.
"""
from symcollapse.core.errors import (ConfigError, ConvergenceError, DivergenceError,
                                     RegimeError, SymcollapseError, UnsupportedError)

import importlib

__version__ = "0.1.0"

_LAZY = {
    "predict": ("core.decomposition", "predict"),
    "curve": ("core.decomposition", "curve"),
    "sweep": ("core.sweeps", "sweep"),
    "simulate": ("simulation.montecarlo", "simulate"),
    "closed_form": ("analysis.closed_forms", "closed_form"),
    "parse": ("core.spec", "parse"),
    "spectra": ("core.spectra", None),
}


def __getattr__(name):
    if name in _LAZY:
        module, attr = _LAZY[name]
        mod = importlib.import_module(f".{module}", __name__)
        value = mod if attr is None else getattr(mod, attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'symcollapse' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))


__all__ = ["predict", "curve", "sweep", "simulate", "closed_form", "parse", "ConfigError", "RegimeError",
           "DivergenceError", "ConvergenceError", "UnsupportedError", "SymcollapseError"]
