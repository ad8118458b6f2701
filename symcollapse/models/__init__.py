"""The models of the toolkit, one declaration per file, and their registry
(:mod:`symcollapse.models.base`): ``models.get(name)``, ``models.names()``."""
# registration order is the order of the models in messages and tables
from symcollapse.models import linear  # noqa: F401  isort: skip
from symcollapse.models import random_projection  # noqa: F401  isort: skip
from symcollapse.models import random_features  # noqa: F401  isort: skip
from symcollapse.models.base import Model, get, names, register, users

__all__ = ["Model", "get", "names", "register", "users"]
