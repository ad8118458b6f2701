r"""SymPy's randomized algorithms, made reproducible.

Wang's multivariate factorization (behind ``factor``, ``solve``, ``simplify``) and the
Cantor–Zassenhaus step of univariate factoring draw evaluation points from one
process-wide random generator of SymPy's, seeded afresh in every process.  The answers do
not depend on the draws, but the work does, enormously: the determinant of the random
features pencil factors in about 10 s with most draws and in more than 20 minutes with
some.  Every such call of the toolkit goes through this module, which runs it with that
generator seeded to a fixed value and restores the caller's state afterwards — the same
work on every run, whatever ran before in the process, and no effect on the user's own
SymPy.
"""
from __future__ import annotations

import contextlib
import functools

import sympy as sp
from sympy.core import random as _sympy_random

#: The seed of SymPy's generator for the toolkit's symbolic work.
SEED = 0


@contextlib.contextmanager
def seeded_sympy(seed: int = SEED):
    """Run the block with SymPy's random generators seeded to ``seed``; restore them."""
    generators = [_sympy_random.rng, _sympy_random._assumptions_rng]
    saved = [g.getstate() for g in generators]
    for g in generators:
        g.seed(seed)
    try:
        yield
    finally:
        for g, state in zip(generators, saved):
            g.setstate(state)


def reproducible(fn):
    """Decorator: ``fn`` runs under :func:`seeded_sympy`."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with seeded_sympy():
            return fn(*args, **kwargs)
    return wrapper


factor = reproducible(sp.factor)
factor_list = reproducible(sp.factor_list)
simplify = reproducible(sp.simplify)
solve = reproducible(sp.solve)
