r"""Lambdified functions of large systems, built once per machine.

:func:`lambdify` is SymPy's ``lambdify`` with common-subexpression elimination, where

* the CSE of an expression list is computed once and shared by every backend (numpy,
  mpmath, MPFR) that lambdifies the same list;
* with a ``store`` key (a digest of the expressions' system and of the function's role),
  the generated source is kept in the system cache (:mod:`symcollapse.core.system_cache`)
  and executed again in later processes, in the namespace SymPy builds for the same
  modules: a system whose Jacobian and CSE take minutes is compiled once per machine and
  toolkit version.

:func:`content_key` gives the key of a System: a digest of its pickled content (systems of
any size can be keyed; callers key only the large ones, where the saving is worth a file).
"""
from __future__ import annotations

import functools
import hashlib
import inspect
import pickle

import sympy as sp

from symcollapse.core import system_cache

#: Systems whose pickle is smaller than this are compiled afresh (a fraction of a second).
LARGE_SYSTEM_BYTES = 20_000


class _Digest:
    """A file-like sink that hashes what is written to it."""

    def __init__(self):
        self.sha = hashlib.sha256()

    def write(self, data):
        self.sha.update(data)


def content_key(system) -> str | None:
    """A digest of a system's content when it is large (None otherwise or when unpicklable).

    The digest is of the pickle without its memo (``Pickler.fast``): a function of the
    expression trees alone, not of which subexpressions happen to be shared objects (which
    depends on SymPy's cache, so a system derived afresh and the same system read back
    would otherwise pickle differently)."""
    try:
        size = len(pickle.dumps(system, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # a system holding objects that do not pickle: compiled afresh
        return None
    if size < LARGE_SYSTEM_BYTES:
        return None
    sink = _Digest()
    pickler = pickle.Pickler(sink, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(system)
    return sink.sha.hexdigest()


@functools.lru_cache(maxsize=32)
def _shared_cse(exprs: tuple):
    replacements, reduced = sp.cse(list(exprs))
    return replacements, reduced


def _cse(exprs):
    if isinstance(exprs, sp.Basic):                 # one expression, not a list
        replacements, reduced = _shared_cse((exprs,))
        return list(replacements), reduced[0]
    replacements, reduced = _shared_cse(tuple(exprs))
    return list(replacements), list(reduced)


def _module_name(modules) -> str:
    if isinstance(modules, str):
        return modules
    return "+".join(m if isinstance(m, str) else ",".join(sorted(m)) for m in modules)


def lambdify(args, exprs, modules, store: str | None = None, printer=None):
    """``sympy.lambdify(args, exprs, modules, printer=printer, cse=...)`` with the CSE shared
    across backends; ``store``: the key under which the generated source is kept in the
    system cache."""
    args = list(args)
    exprs = exprs if isinstance(exprs, sp.Basic) else list(exprs)

    def build():
        return sp.lambdify(args, exprs, modules=modules, printer=printer, cse=_cse)
    if store is None:
        return build()
    printer_name = "" if printer is None else printer.__name__
    key = hashlib.sha256(f"{store}|{_module_name(modules)}|{printer_name}".encode()).hexdigest()
    source = system_cache.cached_by_key("compiled", key, lambda: inspect.getsource(build()))
    namespace = dict(sp.lambdify([], 0, modules=modules).__globals__)
    exec(compile(source, f"<symcollapse compiled {key[:12]}>", "exec"), namespace)
    return namespace["_lambdifygenerated"]
