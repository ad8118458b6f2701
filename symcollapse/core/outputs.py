"""Writing files the user owns: checked before any work, replaced whole or not at all.

* :func:`check_file` and :func:`check_directory` validate an output path *before* a
  computation starts (a missing or read-only folder, a directory where a file is asked
  for, … are bad input: :class:`~symcollapse.core.errors.ConfigError`, exit status 2).
* :func:`replace_file` writes a file beside its target and renames it over the target
  once complete: an interrupted or failed write leaves the old file as it was.  The
  replaced file keeps its permission bits (a new one gets the usual ``0o666 & ~umask``),
  and a symbolic link keeps pointing where it pointed: the file it resolves to is the
  one replaced.
* Nothing else in a target folder is touched: no folder is removed or renamed, and the
  only names created are the targets and, while a write is under way, one hidden
  temporary file per target.
"""
from __future__ import annotations

import os
import stat
import tempfile

from symcollapse.core.errors import ConfigError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _writable(folder: str) -> bool:
    """Whether a file can be created in ``folder``: tried with a hidden temporary file,
    removed at once (permission bits do not tell for root, nor on /proc)."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".symcollapse-probe-", dir=folder)
    except OSError:
        return False
    os.close(fd)
    os.unlink(probe)
    return True


def check_directory(path, key: str = "--out", *, create: bool = True) -> str:
    """Validate an output folder (created later if missing and ``create``): it must be a
    writable folder, or be creatable in an existing writable parent.  Returns its absolute
    path."""
    path = os.path.abspath(os.fspath(path))
    if os.path.exists(path):
        if not os.path.isdir(path):
            raise ConfigError(f"{key} = {path!r} exists and is not a folder: allowed a folder")
        if not _writable(path):
            raise ConfigError(f"{key} = {path!r} is not writable: allowed a writable folder")
        return path
    parent = os.path.dirname(path)
    if not create or not os.path.isdir(parent):
        raise ConfigError(f"{key} = {path!r}: the folder {parent} does not exist")
    if not _writable(parent):
        raise ConfigError(f"{key} = {path!r}: the folder {parent} is not writable")
    return path


def check_file(path, key: str = "--out", *, suffixes=None) -> str:
    """Validate an output file: an allowed suffix, an existing writable folder, and, if it
    exists, a writable regular file (through a symbolic link too).  Returns the path that
    will be replaced (symbolic links resolved)."""
    text = os.fspath(path)
    if suffixes is not None and os.path.splitext(text)[1].lower() not in suffixes:
        raise ConfigError(f"{key} = {text!r}: allowed a " + " or ".join(suffixes) + " file")
    real = os.path.realpath(text)
    if os.path.isdir(real):
        raise ConfigError(f"{key} = {text!r} is a folder: allowed a file")
    folder = os.path.dirname(real)
    if not os.path.isdir(folder):
        raise ConfigError(f"{key} = {text!r}: the folder {folder} does not exist")
    if not _writable(folder):
        raise ConfigError(f"{key} = {text!r}: the folder {folder} is not writable")
    if os.path.exists(real):
        if not stat.S_ISREG(os.stat(real).st_mode):
            raise ConfigError(f"{key} = {text!r} is not a regular file: allowed a file")
        if not os.access(real, os.W_OK):
            raise ConfigError(f"{key} = {text!r} is not writable")
    return real


def replace_file(path, write, *, key: str = "--out") -> str:
    """Write ``path`` through ``write(temporary_path)``: the temporary file sits beside the
    target (symbolic links resolved; its name ends in the target's suffix, for writers that
    read the format from it) and is renamed over it when ``write`` returns; on any
    failure it is removed and the target is untouched.  Returns the path written."""
    real = check_file(path, key)
    folder, name = os.path.split(real)
    mode = (stat.S_IMODE(os.stat(real).st_mode) if os.path.exists(real)
            else 0o666 & ~_umask())
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp" + os.path.splitext(name)[1],
                               dir=folder)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, mode)
        os.replace(tmp, real)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return real


def replace_text(path, text: str, *, key: str = "--out") -> str:
    """:func:`replace_file` with a UTF-8 text."""
    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
    return replace_file(path, write, key=key)


def make_directory(path, key: str = "--out") -> str:
    """Create an output folder validated by :func:`check_directory` (no-op if it exists);
    its mode is the usual ``0o777 & ~umask``."""
    path = check_directory(path, key)
    os.makedirs(path, exist_ok=True)
    return path


__all__ = ["check_directory", "check_file", "replace_file", "replace_text", "make_directory"]
