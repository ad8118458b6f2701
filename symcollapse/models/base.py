r"""The Model interface and the registry of models.

A model is one declaration (:class:`Model`) in one file of this package (every module of
:mod:`symcollapse.models` but this one is imported and registers its model): its name, the config keys it adds to the
mixture's (with their meaning and allowed values), the strategies it answers and, for
those it does not, the one-line mathematical reason, whether the ridgeless limit λ → 0⁺ is
derived, and its *hooks* — the functions that carry its theory and its simulation, named
``"module:function"`` and imported on first use.  Declarations import nothing heavy, so
the config's validation (:func:`symcollapse.core.spec.parse`) and the Monte Carlo referee
(:mod:`symcollapse.simulation`) read them without loading SymPy or the theory.

Hooks (each optional; a capability without its hook is refused with the model's reason):

* ``system(strategy)`` — the model's fixed-point :class:`~symcollapse.core.equations.System`
  (unknowns, residuals, Bias/Var/ζ outputs) for λ > 0, with the strategy's group weights,
  when it is not the one the engine derives from ``sources`` and ``unknowns``;
* ``training_system()`` — that system extended by the training-error probe;
* ``regime(spec)`` — the :class:`~symcollapse.core.regimes.Regime` answering a spec (λ > 0
  or a side of the ridgeless limit);
* ``parameters(spec)`` — the model's own constants as parameter values (symbol → value at
  the working precision where they are used), beside the config's scalars;
* ``sources()`` — the expressions in Gaussian blocks posed to the pencil engine, with the
  outputs Bias, Var, ζ (``pair_sources()``: a probed pencil with pair outputs);
* ``simulate(spec, n, trials, seed, progress=...)`` — Monte Carlo of the finite model;
* ``loop_fixed(spec, dps)``, ``loop_fresh_replace(spec, dps)`` — a self-consuming loop with a
  ridge on a fixed design, and replace on a fresh design: the lists over generations of
  E_test, Bias, Var and the limit (without a ridge the loops reduce to generation 0,
  :mod:`symcollapse.core.loops`); ``loop_trial(spec, cols, n, m, rng)`` — one simulated
  loop of a model whose fit is not a linear map into R^d (default: the linear and
  projections trial of :mod:`symcollapse.simulation.loops`).

>>> from symcollapse import models
>>> models.get("random_projection").size_key
'psi'
>>> models.get("random_features").reason("ridgeless")
'ridgeless: random features need lam > 0'
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from symcollapse.core.errors import ConfigError, UnsupportedError


@dataclass(frozen=True)
class Model:
    """A model of the toolkit (see the module docstring).

    ``keys``: the config keys the model adds (required), each with what it is (used in
    messages); ``choices``: the allowed values of a key that is a choice; ``size_key``: the key of the model size m/n (a second dimension m), if any;
    ``rank_limited``: the fitted map sees the inputs only through an m-dimensional
    projection (signal outside it acts as noise); ``refusals``: capability or strategy →
    the one-line reason it is not available; ``hooks``: capability → ``"module:function"``;
    ``limit_scalings``: limit → {unknown: new symbol} for unknowns that vanish along the
    limit's path (written new/τ, e.g. ``{"lam->oo": {"L_eff": "ell"}}``); ``position``: the
    model's place in messages and tables; ``example``: a small config of the model (the
    capability matrix runs every capability on it), ``ridgeless_example``: the changes that
    make it ridgeless (λ = 0 on a derived side of the limit); ``cache_system``: its derived
    systems are kept on disk between sessions (:mod:`symcollapse.core.system_cache`), for a
    system that takes long to derive; ``unknowns``: the unknowns of the pencils of its
    ``sources`` written through the model's own named unknowns (strings, e.g.
    ``{"R_g_n1": "a1*e1/(1 - p2)"}``), ``rates``: the names of their rates along the probe
    (``{"e1": "u1"}``) — with these and no ``system`` hook, its system is the one the
    pencil engine derives (:mod:`symcollapse.pencil.derived`); ``training_rates`` and
    ``training_outputs``: likewise for its training-error probe (the rates along Σ2, and
    the statement's outputs written in the named unknowns, each taken on the first-order
    solution, :func:`~symcollapse.pencil.derived.density_on_shell`); ``unique_root``: at λ > 0
    its equations have one positive root (a solve may start anywhere in that domain).
    """

    name: str
    summary: str
    keys: dict = field(default_factory=dict)
    choices: dict = field(default_factory=dict)
    size_key: str | None = None
    rank_limited: bool = False
    refusals: dict = field(default_factory=dict)
    hooks: dict = field(default_factory=dict)
    limit_scalings: dict = field(default_factory=dict)
    position: int = 100
    example: dict = field(default_factory=dict)
    ridgeless_example: dict = field(default_factory=dict)
    cache_system: bool = False
    unknowns: dict = field(default_factory=dict)
    rates: dict = field(default_factory=dict)
    training_rates: dict = field(default_factory=dict)
    training_outputs: dict = field(default_factory=dict)
    unique_root: bool = False

    @property
    def scalar_keys(self) -> tuple:
        """The model's own number keys (its sizes, e.g. ``psi``): every key that is not a
        choice; each is a number > 0 and the parameter ``Symbol(key, positive=True)``."""
        return tuple(k for k in self.keys if k not in self.choices)

    @property
    def refused(self) -> dict:
        """The declared ``refusals``, and the training error of a model that poses no
        training-error probe (neither a ``training_system`` hook nor ``training_outputs``)."""
        if "training_system" in self.hooks or self.training_outputs or "training" in self.refusals:
            return self.refusals
        return {**self.refusals, "training": f'training error: model "{self.name}" poses no '
                                             "training-error probe (training_outputs)"}

    def answers(self, capability: str) -> bool:
        """Whether the model answers a capability or strategy (it is not refused)."""
        return capability not in self.refused

    def reason(self, capability: str) -> str | None:
        """The one-line reason a capability or strategy is refused, or None."""
        return self.refused.get(capability)

    def require(self, capability: str, error=UnsupportedError):
        """Raise ``error`` with the model's reason when a capability is refused."""
        if capability in self.refused:
            raise error(self.refused[capability])

    def system(self, strategy: str):
        """The model's System for a mixing strategy: its ``system`` hook, or the system the
        pencil engine derives from its ``sources`` (its unknowns named by ``unknowns`` when
        the model declares them; :func:`symcollapse.pencil.derived.system_of`)."""
        if "system" in self.hooks or "sources" not in self.hooks:
            return self.hook("system")(strategy)
        return importlib.import_module("symcollapse.pencil.derived").system_of(self.name, strategy)

    def training_system(self, strategy: str):
        """The model's System extended by the training-error probe, for a mixing strategy:
        its ``training_system`` hook (weights substituted), or the engine's derivation
        (:func:`symcollapse.pencil.derived.training_system_of`)."""
        if "training_system" in self.hooks or not self.training_outputs:
            return self.hook("training_system")().subs(_weights(strategy))
        return importlib.import_module("symcollapse.pencil.derived").training_system_of(
            self.name, strategy)

    def probe_system(self, strategy: str):
        """The model's resolvent differentiated along any per-coordinate diagonal B, for a
        mixing strategy (:func:`symcollapse.pencil.derived.probe_system_of`): the map
        B ↦ 𝓛[B] of iterative mixing."""
        return importlib.import_module("symcollapse.pencil.derived").probe_system_of(
            self.name, strategy)

    def hook(self, name: str):
        """The function of a hook, imported on first use (:class:`~symcollapse.core.errors.UnsupportedError` with
        the model's reason when the model has none)."""
        if name not in self.hooks:
            raise UnsupportedError(self.refusals.get(
                name, f'model "{self.name}": {name} is not available'))
        module, _, attr = self.hooks[name].partition(":")
        return getattr(importlib.import_module(module), attr)


def _weights(strategy: str) -> dict:
    return importlib.import_module("symcollapse.core.equations").mixture_weights(strategy)


REGISTRY: dict = {}


def register(model: Model) -> Model:
    """Add a model to the registry (a name is registered once)."""
    if model.name in REGISTRY:
        raise ValueError(f"model {model.name!r} is already registered")
    REGISTRY[model.name] = model
    return model


def names() -> tuple:
    """The registered model names, in the order of their ``position``."""
    return tuple(sorted(REGISTRY, key=lambda m: REGISTRY[m].position))


def get(name) -> Model:
    """The model of a name (:class:`~symcollapse.core.errors.ConfigError` naming the allowed ones otherwise)."""
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise ConfigError(f"model = {name!r} is not a model: allowed "
                          + ", ".join(f'"{m}"' for m in REGISTRY)) from None


def users(key: str) -> tuple:
    """The models that take a config key."""
    return tuple(m for m in names() if key in REGISTRY[m].keys)


def config_keys() -> tuple:
    """Every model's own config keys (choices and numbers), each once."""
    return tuple(dict.fromkeys(k for m in names() for k in REGISTRY[m].keys))


def scalar_keys() -> tuple:
    """Every model's own number keys (sizes such as ``psi``), each once."""
    return tuple(dict.fromkeys(k for m in names() for k in REGISTRY[m].scalar_keys))
