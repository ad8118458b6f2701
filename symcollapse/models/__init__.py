"""The models of the toolkit, one declaration per file, and their registry
(:mod:`symcollapse.models.base`): ``models.get(name)``, ``models.names()``.

Every module of this package (but ``base``) is a model file: it is imported here and
registers its :class:`~symcollapse.models.base.Model`, so adding a model is adding a file."""
import importlib
import pkgutil

from symcollapse.models.base import Model, config_keys, get, names, register, scalar_keys, users

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name != "base":
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["Model", "config_keys", "get", "names", "register", "scalar_keys", "users"]
