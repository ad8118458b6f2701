r"""Derived systems kept on disk between sessions.

Deriving a model's :class:`~symcollapse.core.equations.System` through the pencil engine
can take minutes (the deep random features pencil: 11 blocks, 26 unknowns).  A model that
declares ``cache_system=True`` has its system stored once per strategy in a cache
directory and read back in later sessions; a large system's compiled evaluators (its
Jacobian, the generated code of its lambdified functions: :mod:`symcollapse.core.codegen`)
are kept beside, under a digest of the system's content (sub-folder ``compiled``; the
Jacobian of a system that others are derived from by substitution, ``jacobian``).  The
file name carries a digest of every source file of the package and of the SymPy and Python
versions, so a change to the toolkit or to SymPy derives afresh (old files are left in
place, never deleted or overwritten by another digest's).

The directory is ``$SYMCOLLAPSE_CACHE`` when set (``off`` disables the cache), else
``$XDG_CACHE_HOME/symcollapse`` or ``~/.cache/symcollapse``.  Files are written whole (a
temporary file renamed into place); a file that cannot be read is derived again, and a
directory that cannot be written leaves the cache off for that call.  While a file is
derived, other processes asking for it wait for it (a lock file under ``locks``).  The
files are Python pickles: like any cache of this kind, trust the directory you point it
to.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path

import sympy as sp

try:
    import fcntl
except ImportError:  # Windows: no advisory locks
    fcntl = None

ENV = "SYMCOLLAPSE_CACHE"
PACKAGE = Path(__file__).resolve().parent.parent


def directory() -> Path | None:
    """The cache directory, or None when the cache is off."""
    env = os.environ.get(ENV)
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "none") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "symcollapse"


@functools.lru_cache(maxsize=1)
def source_digest() -> str:
    """SHA-256 of the package's sources (every ``.py`` file, by relative path), SymPy's
    version and Python's: a system derived by other code is never read back."""
    h = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        h.update(str(path.relative_to(PACKAGE)).encode())
        h.update(path.read_bytes())
    h.update(f"sympy {sp.__version__} python {sys.version_info[:3]}".encode())
    return h.hexdigest()


def path_of(model: str, strategy: str) -> Path | None:
    """Where the system of ``model`` under ``strategy`` is kept (None: cache off)."""
    root = directory()
    if root is None:
        return None
    return root / "systems" / f"{model}-{strategy}-{source_digest()[:20]}.pickle"


def cached(model: str, strategy: str, derive):
    """``derive()`` read from the cache when present, else derived and stored."""
    return _cached_at(path_of(model, strategy), derive)


def cached_by_key(folder: str, key: str, build):
    """``build()`` kept under a content key (a digest the caller computed from everything
    the result depends on) in a sub-folder of the cache, with this source digest."""
    root = directory()
    path = None if root is None else root / folder / f"{key[:40]}-{source_digest()[:20]}.pickle"
    return _cached_at(path, build)


_MISSING = object()


def _read(path):
    if path is not None and path.is_file():
        try:
            with path.open("rb") as f:
                return pickle.load(f)
        except Exception:  # an unreadable file (a partial copy, another pickle format)
            pass
    return _MISSING


def _cached_at(path, derive):
    found = _read(path)
    if found is not _MISSING:
        return found
    with _exclusive(path):  # another process deriving the same file: wait, then read it
        found = _read(path)
        if found is not _MISSING:
            return found
        system = derive()
        if path is not None:
            _store(path, system)
    return system


@contextlib.contextmanager
def _exclusive(path):
    """An advisory lock (``fcntl.flock``) on ``locks/<file name>`` beside the cache's
    sub-folders while ``path`` is derived, so that two processes (test workers, a sweep's
    workers) derive it once.  Released by the system if the process dies.  Without
    ``fcntl`` (Windows) or a writable directory, no lock: each derives on its own."""
    handle = None
    if path is not None and fcntl is not None:
        try:
            folder = path.parent.parent / "locks"
            folder.mkdir(parents=True, exist_ok=True)
            handle = open(folder / f"{path.parent.name}-{path.stem}.lock", "a")
            fcntl.flock(handle, fcntl.LOCK_EX)
        except OSError:
            if handle is not None:
                handle.close()
            handle = None
    try:
        yield
    finally:
        if handle is not None:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()


def _store(path: Path, system) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".pickle", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(system, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:  # a read-only or full disk: no cache this time
        pass
