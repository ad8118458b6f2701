"""The config of a problem (docs/setting.md, docs/contract.md "Contract: config"), validated.

A config is a JSON object (or a Python ``dict``) with docs/setting.md's keys.  :func:`parse`
turns it into a frozen :class:`Spec` in which every number is an exact
``fractions.Fraction`` read from its decimal text (``0.1`` means 1/10), or, for
:func:`symcollapse.closed_form` only, a SymPy expression.  Every bad value is refused
with a :class:`~symcollapse.core.errors.ConfigError` whose one-line message names the key and
the allowed range.

>>> s = parse({"phi": 0.5, "p2": 0.1, "lam": 0, "atoms": [
...     {"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 2}]})
>>> s.phi, s.p2, s.model, s.strategy
(Fraction(1, 2), Fraction(1, 10), 'linear', 'plain')
>>> parse({"phi": 0.5, "p2": 1.5, "lam": 0, "atoms": s.atoms_as_dicts()})
Traceback (most recent call last):
    ...
symcollapse.core.errors.ConfigError: p2 = 1.5 is out of range: allowed 0 <= p2 <= 1
"""
from __future__ import annotations

import dataclasses
import decimal
import json
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath as mp
import numpy as np

from symcollapse import models
from symcollapse.core.errors import ConfigError

STRATEGIES = ("plain", "weighted", "iterative", "replace", "accumulate")
#: The self-consuming loops (docs/setting.md): one distribution, each generation labelled by
#: the previous model; ``design`` says whether a generation's inputs are a fresh draw.
LOOPS = ("replace", "accumulate")
DESIGNS = ("fresh", "fixed")
#: Config keys that only some models take (:class:`~symcollapse.models.base.Model`): choices
#: (read before phi) and numbers (the models' sizes, read after it; ``psi`` is kept in
#: :attr:`Spec.psi`, the others in :attr:`Spec.sizes`).
CHOICE_KEYS = ("activation",)
MODEL_SCALAR_KEYS = models.scalar_keys()
ATOM_KEYS = ("weight", "s1", "s2", "theta", "delta")
#: The atom keys of a self-consuming loop (one distribution: Σ = diag(s1), w* of energy θ).
LOOP_ATOM_KEYS = ("weight", "s1", "theta")
#: Scalar number keys (the ones a curve or sweep may vary).
SCALAR_KEYS = ("phi",) + MODEL_SCALAR_KEYS + ("p2", "lam", "sigma1", "sigma2", "alpha")
KEYS = (("model", "activation", "strategy", "design", "phi") + MODEL_SCALAR_KEYS
        + ("p2", "p2_schedule", "lam", "sigma1", "sigma2", "alpha", "generations", "atoms", "n",
           "trials", "seed"))
#: The keys of ``p2_schedule`` (p2 = kappa·n^(−a), :func:`resolve_p2_schedule`).
SCHEDULE_KEYS = ("kappa", "a")
#: Significant digits of p2 = kappa·n^(−a) when it is irrational (it is exact when rational
#: with a terminating decimal expansion within these digits, or when a is an integer).
SCHEDULE_DIGITS = 200
#: Samples and independent draws of a simulation whose config and call give none.
DEFAULT_N, DEFAULT_TRIALS = 1000, 20

#: Largest accepted number of atoms (10,000 is a routine size; more is refused, not slow).
MAX_ATOMS = 200_000
#: Largest accepted number of generations of iterative mixing.
MAX_GENERATIONS = 10_000
#: Decimal exponents beyond this are refused (a hostile 1e-999999999 would need a
#: billion-digit denominator).
MAX_EXPONENT = 300

Number = Any  # Fraction, or a SymPy expression in symbolic mode


def scalar_bounds(key: str, strategy: str = "plain") -> dict:
    """The allowed range of a scalar key (docs/contract.md's config table): keyword arguments
    ``low``, ``high``, ``low_open``, ``high_open`` (and ``explain`` where the range text
    is more than the bounds).  :func:`parse` checks them one value at a time;
    :func:`screen` checks whole float arrays at once."""
    if key == "phi" or key in models.scalar_keys():
        return dict(low=0, low_open=True)
    if key == "p2":
        if strategy == "weighted":
            return dict(low=0, high=1, low_open=True, high_open=True,
                        explain='0 < p2 < 1 for strategy "weighted" (both groups present)')
        return dict(low=0, high=1)
    if key in ("lam", "sigma1", "sigma2"):
        return dict(low=0)
    if key == "alpha":
        return dict(low=0, high=1, explain='0 <= alpha <= 1, required for strategy "weighted"')
    raise KeyError(key)


def screen(key: str, values, strategy: str = "plain"):
    """Mask of the entries of a float array that :func:`parse` might refuse for ``key``
    (non-finite, out of :func:`scalar_bounds`, or a magnitude near or beyond
    1e±MAX_EXPONENT).  Unmasked entries are certainly accepted; masked ones must be read
    by :func:`parse` itself."""
    v = np.asarray(values, dtype=float)
    b = scalar_bounds(key, strategy)
    bad = ~np.isfinite(v)
    with np.errstate(all="ignore"):
        a = np.abs(v)
        bad |= (a != 0) & ((a > 0.99 * 10.0 ** MAX_EXPONENT) | (a < 1.01 * 10.0 ** -MAX_EXPONENT))
        if b.get("low") is not None:
            bad |= (v <= b["low"]) if b.get("low_open") else (v < b["low"])
        if b.get("high") is not None:
            bad |= (v >= b["high"]) if b.get("high_open") else (v > b["high"])
    return bad


@dataclass(frozen=True)
class Atom:
    """One atom of a co-diagonal spectrum (docs/setting.md): a fraction ``weight`` of the d
    coordinates with eigenvalues ``s1`` of Σ1, ``s2`` of Σ2 and per-coordinate energies
    ``theta`` of w1 and ``delta`` of δ (scaled by d)."""

    weight: Number
    s1: Number
    s2: Number
    theta: Number
    delta: Number


@dataclass(frozen=True)
class Spec:
    """A validated problem.  Numbers are exact ``Fraction`` (or SymPy expressions when
    parsed with ``symbolic=True``); ``atoms`` are renormalized to weights summing to 1."""

    phi: Number
    p2: Number
    lam: Number
    atoms: tuple[Atom, ...]
    model: str = "linear"
    strategy: str = "plain"
    activation: str | None = None
    psi: Number | None = None
    sigma1: Number = Fraction(0)
    sigma2: Number = Fraction(0)
    alpha: Number | None = None
    generations: int | None = None
    n: int | None = None
    trials: int | None = None
    seed: int | None = None
    design: str | None = None
    #: the model's sizes other than ``psi``, as ``(key, value)`` pairs (e.g. ``psi1``, ``psi2``)
    sizes: tuple = ()

    @property
    def p1(self):
        """The real fraction p1 = 1 − p2."""
        return 1 - self.p2

    @property
    def symbolic(self) -> bool:
        """True when some value is a SymPy expression rather than a number."""
        return any(not isinstance(v, (Fraction, int, str, type(None)))
                   for v in self._all_values())

    def _all_values(self):
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name == "atoms":
                for a in v:
                    yield from dataclasses.astuple(a)
            elif f.name == "sizes":
                yield from (value for _, value in v)
            else:
                yield v

    def size(self, key: str):
        """The value of a model size (``psi`` or one of :attr:`sizes`), None if absent."""
        return self.psi if key == "psi" else dict(self.sizes).get(key)

    def replace(self, **changes) -> "Spec":
        """A copy with some fields changed (no re-validation); a model size of
        :attr:`sizes` is changed by its key (``replace(psi1=...)``)."""
        sizes = dict(self.sizes)
        for key in [k for k in changes if k in sizes]:
            sizes[key] = changes.pop(key)
        if sizes != dict(self.sizes):
            changes["sizes"] = tuple(sizes.items())
        return dataclasses.replace(self, **changes)

    def atoms_as_dicts(self) -> list[dict]:
        """The atoms as config dicts (a loop's with its three keys only)."""
        keys = LOOP_ATOM_KEYS if self.strategy in LOOPS else ATOM_KEYS
        return [{k: getattr(a, k) for k in keys} for a in self.atoms]

    def to_config(self) -> dict:
        """The config dict of this spec (numbers as Fractions)."""
        out = {}
        loop = self.strategy in LOOPS
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if loop and f.name in ("p2", "sigma2"):
                continue                    # a loop's one distribution (docs/setting.md)
            if f.name == "atoms":
                out["atoms"] = self.atoms_as_dicts()
            elif f.name == "sizes":
                out.update(v)
            elif v is not None:
                out[f.name] = v
        return out


# ----------------------------------------------------------------------------- numbers

def _show(value) -> str:
    """How a bad value is echoed in a message (short, one line)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (decimal.Decimal, Fraction)):
        return str(value)
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return json.dumps(text)
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "an object"
    if value is None:
        return "null"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_sympy(value) -> bool:
    return type(value).__module__.startswith("sympy")


def _fraction_from_decimal(key: str, value: decimal.Decimal) -> Fraction:
    if not value.is_finite():
        raise ConfigError(f"{key} = {_show(value)} is not a finite number")
    if value and abs(value.adjusted()) > MAX_EXPONENT:
        raise ConfigError(f"{key} = {_show(value)} is out of range: allowed magnitudes are "
                          f"0 or between 1e-{MAX_EXPONENT} and 1e{MAX_EXPONENT}")
    return Fraction(value)


def to_number(key: str, value, *, symbolic: bool = False) -> Number:
    """Read one config number exactly.

    JSON integers and floats (floats by their decimal text), ``int``, ``float``,
    ``Fraction``, SymPy ``Rational`` and mpmath ``mpf`` are numbers; booleans, strings,
    NaN and ±inf are not.  With ``symbolic=True`` a SymPy expression is kept as given.
    """
    if type(value).__module__ == "numpy" and getattr(value, "shape", None) == ():
        value = value.item()  # a numpy scalar: its Python value (bool stays refused below)
    if isinstance(value, bool) or value is None or isinstance(value, (str, list, dict, tuple)):
        raise ConfigError(f"{key} must be a number, got {_show(value)}")
    if isinstance(value, int):
        if value and abs(value) > 10 ** MAX_EXPONENT:
            raise ConfigError(f"{key} is out of range: allowed magnitudes up to 1e{MAX_EXPONENT}")
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigError(f"{key} = {_show(value)} is not a finite number")
        return _fraction_from_decimal(key, decimal.Decimal(float.__repr__(value)))
    if isinstance(value, decimal.Decimal):
        return _fraction_from_decimal(key, value)
    if isinstance(value, Fraction):
        return _check_fraction(key, value)
    if type(value).__module__.startswith("mpmath"):
        if not isinstance(value, mp.mpf):
            raise ConfigError(f"{key} must be a real number, got {_show(value)}")
        if not mp.isfinite(value):
            raise ConfigError(f"{key} = {_show(value)} is not a finite number")
        sign, man, exp, _bits = value._mpf_       # man_exp would drop the sign
        frac = (-1) ** sign * Fraction(int(man)) * (Fraction(2) ** exp)
        return _check_fraction(key, frac)
    if _is_sympy(value):
        if getattr(value, "is_Rational", False):
            return _check_fraction(key, Fraction(int(value.p), int(value.q)))
        if getattr(value, "is_Float", False):
            return to_number(key, decimal.Decimal(str(value)), symbolic=symbolic)
        import sympy
        if symbolic and isinstance(value, sympy.Expr):
            if value.free_symbols:
                return value
            if value.is_real is False or value.is_finite is False:
                raise ConfigError(f"{key} = {_show(value)} is not a finite real number")
            return value
        raise ConfigError(f"{key} must be a number, got the SymPy object {_show(value)}"
                          + ("" if symbolic else " (symbols are accepted by closed_form only)"))
    raise ConfigError(f"{key} must be a number, got {type(value).__name__} {_show(value)}")


def _check_fraction(key, frac: Fraction) -> Fraction:
    if frac and (abs(frac) > 10 ** MAX_EXPONENT or abs(frac) < Fraction(1, 10 ** MAX_EXPONENT)):
        raise ConfigError(f"{key} is out of range: allowed magnitudes are 0 or between "
                          f"1e-{MAX_EXPONENT} and 1e{MAX_EXPONENT}")
    return frac


def _compare(value, low, high, low_open, high_open):
    """True/False when decidable; None for a symbol whose sign is unknown."""
    if isinstance(value, Fraction):
        ok_low = low is None or (value > low if low_open else value >= low)
        ok_high = high is None or (value < high if high_open else value <= high)
        return ok_low and ok_high
    import sympy as sp  # symbolic values only
    checks = []
    if low is not None:
        rel = sp.StrictGreaterThan if low_open else sp.GreaterThan
        checks.append(rel(value, sp.Rational(low)))
    if high is not None:
        rel = sp.StrictLessThan if high_open else sp.LessThan
        checks.append(rel(value, sp.Rational(high)))
    for c in checks:
        if c is sp.false:
            return False
    return True


def _ranged(cfg, key, *, low=None, high=None, low_open=False, high_open=False,
            symbolic=False, required=True, default=None, explain=None, label=None):
    label = label or key
    allowed = explain or _range_text(label, low, high, low_open, high_open)
    if key not in cfg:
        if required:
            raise ConfigError(f"{label} is missing: it is required ({allowed})")
        return default
    v = to_number(label, cfg[key], symbolic=symbolic)
    if not _compare(v, low, high, low_open, high_open):
        raise ConfigError(f"{label} = {_show(cfg[key])} is out of range: allowed {allowed}")
    return v


def _range_text(key, low, high, low_open, high_open):
    lo = "" if low is None else f"{low} {'<' if low_open else '<='} "
    hi = "" if high is None else f" {'<' if high_open else '<='} {high}"
    return f"{lo}{key}{hi}"


def _integer(cfg, key, *, low, high=None, required=False):
    if key not in cfg:
        if required:
            raise ConfigError(f"{key} is missing: it is required (an integer >= {low})")
        return None
    v = cfg[key]
    if isinstance(v, bool) or not isinstance(v, int):
        if _is_sympy(v) and getattr(v, "is_Integer", False):
            v = int(v)
        else:
            raise ConfigError(f"{key} must be an integer >= {low}, got {_show(v)}")
    if v < low or (high is not None and v > high):
        rng = f"{low} <= {key}" + (f" <= {high}" if high is not None else "")
        raise ConfigError(f"{key} = {v} is out of range: allowed integers {rng}")
    return v


def _choice(cfg, key, options, default):
    if key not in cfg:
        return default
    v = cfg[key]
    if not isinstance(v, str) or v not in options:
        allowed = ", ".join(f'"{o}"' for o in options)
        raise ConfigError(f"{key} = {_show(v)} is not allowed: allowed values are {allowed}")
    return v


# ----------------------------------------------------------------------------- atoms

def _atoms(cfg, symbolic, keys=ATOM_KEYS) -> tuple[Atom, ...]:
    """The atoms of a config, each with exactly ``keys``; a loop's (:data:`LOOP_ATOM_KEYS`)
    become atoms of one distribution: s2 = s1 and δ = 0."""
    shape = "{" + ", ".join(keys) + "}"
    if "atoms" not in cfg:
        raise ConfigError(f"atoms is missing: it is required (a non-empty list of {shape})")
    raw = cfg["atoms"]
    if not isinstance(raw, (list, tuple)):
        raise ConfigError(f"atoms must be a non-empty list of {shape}, got {_show(raw)}")
    if not raw:
        raise ConfigError(f"atoms is empty: allowed a non-empty list of {shape}")
    if len(raw) > MAX_ATOMS:
        raise ConfigError(f"atoms has {len(raw)} entries: allowed at most {MAX_ATOMS}")
    atoms = []
    for i, a in enumerate(raw):
        where = f"atoms[{i}]"
        if not isinstance(a, dict):
            raise ConfigError(f"{where} must be an object with keys {', '.join(keys)}, "
                              f"got {_show(a)}")
        unknown = [k for k in a if k not in keys]
        if unknown:
            loop = " (a self-consuming loop has one distribution)" if keys != ATOM_KEYS else ""
            raise ConfigError(f"{where}.{unknown[0]} is not a known key: allowed keys are "
                              + ", ".join(keys) + loop)
        missing = [k for k in keys if k not in a]
        if missing:
            raise ConfigError(f"{where}.{missing[0]} is missing: each atom needs "
                              + ", ".join(keys))
        w = _ranged(a, "weight", low=0, low_open=True, symbolic=symbolic,
                    explain=f"{where}.weight > 0", label=f"{where}.weight")
        vals = {k: _ranged(a, k, low=0, symbolic=symbolic, explain=f"{where}.{k} >= 0 and finite",
                           label=f"{where}.{k}")
                for k in keys[1:]}
        if keys == LOOP_ATOM_KEYS:
            vals.update(s2=vals["s1"], delta=Fraction(0))
        atoms.append(Atom(w, *(vals[k] for k in ATOM_KEYS[1:])))
    weights = [a.weight for a in atoms]
    if all(isinstance(w, Fraction) for w in weights):
        total = sum(weights)
        if abs(total - 1) > Fraction(1, 10 ** 9):
            raise ConfigError(f"atoms weights sum to {float(total):.12g}: allowed a sum of 1 "
                              "within 1e-9")
        if total != 1:
            atoms = [dataclasses.replace(a, weight=a.weight / total) for a in atoms]
    return tuple(atoms)


# ----------------------------------------------------------------------------- parse

def _foreign_key(key, model) -> ConfigError:
    """The refusal of a key that ``model`` does not take (another model's key)."""
    users = " and ".join(f'"{m}"' for m in models.users(key))
    what = next(models.get(m).keys[key] for m in models.users(key))
    return ConfigError(f'{key} is not allowed for model "{model.name}": it is {what} of {users}')


def parse(config, *, symbolic: bool = False) -> Spec:
    """Validate a config (a ``dict`` with docs/contract.md's keys) into a :class:`~symcollapse.core.spec.Spec`.

    ``symbolic=True`` (used by :func:`symcollapse.closed_form`) lets numeric values be
    SymPy expressions; their ranges are checked where SymPy can decide them.
    """
    if isinstance(config, Spec):
        return config
    if not isinstance(config, dict):
        raise ConfigError(f"the config must be a JSON object, got {_show(config)}")
    for k in config:
        if k not in KEYS and k not in models.config_keys():
            raise ConfigError(f"{_show(k) if not isinstance(k, str) else k} is not a known key: "
                              "allowed keys are " + ", ".join(
                                  dict.fromkeys(KEYS + models.config_keys())))
    model = models.get(_choice(config, "model", models.names(), "linear"))
    strategy = _choice(config, "strategy", STRATEGIES, "plain")
    sym = symbolic
    loop = strategy in LOOPS
    design = None
    if loop:
        if "design" not in config:
            raise ConfigError(f'design is missing: it is required for strategy "{strategy}" '
                              '(allowed "fresh", "fixed")')
        design = _choice(config, "design", DESIGNS, None)
        for key in ("p2", "p2_schedule", "sigma2"):
            if key in config:
                raise ConfigError(f'{key} is not allowed for strategy "{strategy}": a '
                                  "self-consuming loop has one distribution (generation t is "
                                  "labelled by model t-1; sigma1 is its noise)")
    elif "design" in config:
        raise ConfigError(f'design is not allowed for strategy "{strategy}": it is the design '
                          'of the self-consuming loops "replace" and "accumulate"')

    def scalar(key, **kw):
        return _ranged(config, key, symbolic=sym, **scalar_bounds(key, strategy), **kw)

    extra = {}
    for key in CHOICE_KEYS:                 # the model's choices (activation), before phi
        if key in model.choices:
            if key not in config:
                allowed = ", ".join(f'"{o}"' for o in model.choices[key])
                raise ConfigError(f'{key} is missing: it is required for model "{model.name}" '
                                  f"(allowed {allowed})")
            extra[key] = _choice(config, key, model.choices[key], None)
        elif key in config:
            raise _foreign_key(key, model)
    phi = scalar("phi")
    for key in models.scalar_keys():        # the models' own sizes (psi; psi1, psi2)
        if key in model.keys:
            extra[key] = scalar(key)
        elif key in config:
            raise _foreign_key(key, model)
    sizes = tuple((k, extra[k]) for k in model.scalar_keys if k != "psi")
    model, activation, psi = model.name, extra.get("activation"), extra.get("psi")
    if "p2_schedule" in config:
        if "p2" in config:
            raise ConfigError("p2 and p2_schedule are both given: allowed one of them "
                              "(p2_schedule sets p2 = kappa*n^(-a) at the config's n)")
        p2 = None  # resolved at n, below
    elif loop:
        p2 = Fraction(0)
    else:
        p2 = scalar("p2")
    lam = scalar("lam")
    sigma1 = scalar("sigma1", required=False, default=Fraction(0))
    sigma2 = scalar("sigma2", required=False, default=Fraction(0))

    alpha = None
    if strategy == "weighted":
        alpha = scalar("alpha")
    elif "alpha" in config:
        raise ConfigError(f'alpha is not allowed for strategy "{strategy}": it is the weight of '
                          'the real data of strategy "weighted"')
    generations = None
    if strategy == "iterative" or loop:
        generations = _integer(config, "generations", low=1, high=MAX_GENERATIONS, required=True)
    elif "generations" in config:
        raise ConfigError(f'generations is not allowed for strategy "{strategy}": it is the '
                          'number of generations of strategies "iterative", "replace" and '
                          '"accumulate"')

    atoms = _atoms(config, sym, LOOP_ATOM_KEYS if loop else ATOM_KEYS)
    n = _integer(config, "n", low=2)
    trials = _integer(config, "trials", low=2)
    seed = _integer(config, "seed", low=0)
    if p2 is None:
        if n is None:
            raise ConfigError("n is missing: it is required with p2_schedule (the sample size "
                              "at which p2 = kappa*n^(-a) is evaluated; an integer >= 2)")
        p2 = resolve_p2_schedule(config["p2_schedule"], n, strategy, symbolic=sym)
    return Spec(phi=phi, p2=p2, lam=lam, atoms=atoms, model=model, strategy=strategy,
                activation=activation, psi=psi, sigma1=sigma1, sigma2=sigma2, alpha=alpha,
                generations=generations, n=n, trials=trials, seed=seed, design=design,
                sizes=sizes)


# ----------------------------------------------------------------------------- schedule

def resolve_p2_schedule(schedule, n, strategy: str = "plain", *, symbolic: bool = False) -> Number:
    r"""The synthetic share of a vanishing schedule at sample size n:
    :math:`p_2 = \kappa\,n^{-a}` (config key ``p2_schedule: {"kappa": kappa, "a": a}``).

    kappa > 0 and a >= 0 are read exactly (as every config number); the value must lie in
    0 <= p2 <= 1 (0 < p2 < 1 for strategy "weighted") and not below 1e-300.  It is an exact
    ``Fraction`` when a is an integer or when the value is a decimal of at most
    ``SCHEDULE_DIGITS`` significant digits, else rounded to ``SCHEDULE_DIGITS`` digits;
    with ``symbolic=True`` an irrational value stays an exact SymPy expression.  ``n`` is
    an integer (a config's n) or, for series spectra, any number >= 1.

    >>> resolve_p2_schedule({"kappa": 0.5, "a": 0.5}, 100)
    Fraction(1, 20)
    """
    if not isinstance(schedule, dict):
        raise ConfigError('p2_schedule must be an object {"kappa": kappa > 0, "a": a >= 0}, '
                          f"got {_show(schedule)}")
    for k in schedule:
        if k not in SCHEDULE_KEYS:
            raise ConfigError(f"p2_schedule.{_show(k) if not isinstance(k, str) else k} is not a "
                              "known key: allowed keys are kappa, a (p2 = kappa*n^(-a))")
    kappa = _ranged(schedule, "kappa", low=0, low_open=True, symbolic=symbolic,
                    label="p2_schedule.kappa", explain="p2_schedule.kappa > 0")
    a = _ranged(schedule, "a", low=0, symbolic=symbolic, label="p2_schedule.a",
                explain="p2_schedule.a >= 0")
    n_ = to_number("n", n)
    if not n_ >= 1:
        raise ConfigError(f"n = {_show(n)} is out of range: allowed n >= 1 (p2_schedule)")
    weighted = strategy == "weighted"
    allowed = ("0 < kappa*n^(-a) < 1 for strategy \"weighted\"" if weighted
               else "0 <= kappa*n^(-a) <= 1")
    if symbolic:
        import sympy as sp
        value = sp.sympify(kappa) * sp.Rational(n_.numerator, n_.denominator) ** (-sp.sympify(a))
        if value.is_Rational:
            value = Fraction(int(value.p), int(value.q))
        if not _compare(value, 0, 1, weighted, weighted):
            raise ConfigError(f"p2_schedule gives p2 = kappa*n^(-a) = {_show(value)} at n = "
                              f"{_show(n)}: allowed {allowed}")
        return value
    with mp.workdps(30):
        log10 = (mp.log10(mp.mpf(kappa.numerator) / kappa.denominator)
                 - mp.mpf(a.numerator) / a.denominator * mp.log10(mp.mpf(n_.numerator) / n_.denominator))
    shown = f"{mp.nstr(mp.power(10, log10), 6)}" if abs(log10) < 1e6 else f"1e{int(log10)}"
    if log10 < -MAX_EXPONENT:
        raise ConfigError(f"p2_schedule gives p2 = kappa*n^(-a) = {shown} at n = {_show(n)}: "
                          f"allowed {allowed}, and not below 1e-{MAX_EXPONENT}")
    if a.denominator == 1:
        value = kappa / n_ ** a.numerator
    else:
        with mp.workdps(SCHEDULE_DIGITS + 20):
            v = (mp.mpf(kappa.numerator) / kappa.denominator
                 * mp.power(mp.mpf(n_.numerator) / n_.denominator, -mp.mpf(a.numerator) / a.denominator))
            value = Fraction(decimal.Decimal(mp.nstr(v, SCHEDULE_DIGITS, min_fixed=-mp.inf,
                                                     max_fixed=mp.inf)))
    if not _compare(value, 0, 1, weighted, weighted):
        raise ConfigError(f"p2_schedule gives p2 = kappa*n^(-a) = {shown} at n = {_show(n)}: "
                          f"allowed {allowed}")
    return value


# ----------------------------------------------------------------------------- JSON

def _reject_constant(name):
    raise ConfigError(f"{name} is not a number here: allowed finite numbers only")


def _no_duplicates(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise ConfigError(f"{k} appears twice in the config: each key once")
        out[k] = v
    return out


def loads(text: str) -> dict:
    """Parse JSON text into a config dict, keeping floats as their exact decimal text."""
    try:
        return json.loads(text, parse_float=decimal.Decimal, parse_constant=_reject_constant,
                          object_pairs_hook=_no_duplicates)
    except ConfigError:
        raise
    except RecursionError:
        raise ConfigError("the config is nested too deeply to be a config") from None
    except (ValueError, TypeError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"the config is not valid JSON: {msg}") from None


def load(path) -> dict:
    """Read a JSON config file (errors are ``ConfigError`` naming the file)."""
    try:
        with open(path, "rb") as f:
            raw = f.read(50_000_001)
    except FileNotFoundError:
        raise ConfigError(f"cannot read config {path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"cannot read config {path}: it is a directory") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from None
    if len(raw) > 50_000_000:
        raise ConfigError(f"config {path} is larger than 50 MB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"config {path} is not UTF-8 text") from None
    return loads(text)
