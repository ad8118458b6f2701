"""Builders of co-diagonal spectra in the atoms format (docs/setting.md).

>>> isotropic(r2=1, c2=2)
[{'weight': 1, 's1': 1, 's2': 1, 'theta': 1, 'delta': 2}]
>>> atoms = power_law(4, beta=1.0)
>>> [round(float(a["s1"]), 4) for a in atoms]
[1.92, 0.96, 0.64, 0.48]
>>> sum(a["weight"] for a in atoms)
Fraction(1, 1)
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction

import mpmath as mp
import numpy as np

from symcollapse.core.compiled import to_mpf


def isotropic(r2=1, c2=1, s=1) -> list[dict]:
    """Σ1 = Σ2 = sI, ‖w1‖² = r², Tr Δ = c²: one atom."""
    return [{"weight": 1, "s1": s, "s2": s, "theta": r2, "delta": c2}]


def _normalized(values):
    mean = sum(values) / len(values)
    return [v / mean for v in values]


def power_law(d: int, beta: float, *, beta2: float | None = None, gamma: float | None = None,
              delta_gamma: float | None = None, c2: float = 1.0, r2: float = 1.0) -> list[dict]:
    """d atoms of weight 1/d with s1_i ∝ i^(−β) (and s2_i ∝ i^(−β2), default β2 = β),
    signal energies θ_i ∝ i^(−γ) (default γ = 0: flat) and shift energies
    δ_i ∝ i^(−delta_gamma) (default flat), each normalized to mean 1 and then scaled so
    that tr Σ1 = tr Σ2 = 1, ‖w1‖² = r² and c² = Tr Δ."""
    if not isinstance(d, int) or d < 1:
        raise ValueError("d must be a positive integer")
    idx = range(1, d + 1)
    s1 = _normalized([i ** -beta for i in idx])
    s2 = _normalized([i ** -(beta if beta2 is None else beta2) for i in idx])
    th = [r2 * v for v in _normalized([i ** -(gamma or 0.0) for i in idx])]
    de = [c2 * v for v in _normalized([i ** -(delta_gamma or 0.0) for i in idx])]
    w = Fraction(1, d)
    return [{"weight": w, "s1": a, "s2": b, "theta": t, "delta": x}
            for a, b, t, x in zip(s1, s2, th, de)]


@dataclass(frozen=True)
class CoordinateAtom:
    """An atom of a product of spaces: a fraction ``weight`` of the coordinates of d with the
    values ``s1, s2, theta, delta`` (an atom of the spec) jointly with one coordinate class
    of other spaces, whose :class:`~symcollapse.core.equations.Field` symbols take the
    values ``field_values`` (pairs name → value).  The weight is the product of the two
    laws' weights, so a normalized trace over either space is a sum over these atoms."""

    weight: object
    s1: object
    s2: object
    theta: object
    delta: object
    field_values: tuple = ()

    @property
    def fields(self) -> dict:
        return dict(self.field_values)


def with_fields(atoms, law) -> tuple:
    """The product of spec ``atoms`` (on d) with a ``law`` of field values on other spaces,
    a list of ``(weight, {field name: value})`` with weights summing to 1."""
    def weight(a, w):
        if len(law) == 1:
            return a.weight
        exact = all(isinstance(x, (int, Fraction)) for x in (a.weight, w))
        return a.weight * w if exact else _Product(a.weight, w)
    return tuple(CoordinateAtom(weight(a, w), a.s1, a.s2, a.theta, a.delta, tuple(sorted(values.items())))
                 for a in atoms for w, values in law)


class _Product:
    """The product of two numbers (exact or evaluated at the working precision when read,
    like the law's weights), as mpmath reads it (``_mpf_``) or as a float."""

    __slots__ = ("a", "b")

    def __init__(self, a, b):
        self.a, self.b = a, b

    @property
    def _mpf_(self):
        return (to_mpf(self.a) * to_mpf(self.b))._mpf_

    def __float__(self):
        return float(self.a) * float(self.b)

    def __abs__(self):
        return abs(mp.mpf(self))

    def __bool__(self):
        return bool(self.a) and bool(self.b)


def normal_law(nodes: int):
    r"""The K-point Gauss–Hermite rule of the standard normal law at the working precision:
    ``[(w_k, c_k)]`` with :math:`\sum_k w_k f(c_k) = E f(c)` exactly for polynomials f of
    degree < 2K: the roots c_k of the Hermite polynomial He_K (float64 roots refined by
    Newton's method on the recurrence He_{k+1} = xHe_k − kHe_{k−1}, He_K′ = KHe_{K−1})
    and :math:`w_k \propto 1/He_{K-1}(c_k)^2`, normalized to sum 1."""
    return _normal_law(int(nodes), mp.mp.prec)


def _hermite_pair(K: int, x):
    """(He_K(x), He_{K−1}(x))."""
    prev, cur = mp.mpf(1), x
    for k in range(1, K):
        prev, cur = cur, x * cur - k * prev
    return cur, prev


@functools.lru_cache(maxsize=16)
def _normal_law(nodes: int, prec: int):
    guesses = np.polynomial.hermite_e.hermegauss(nodes)[0]
    with mp.workprec(prec + 30):
        tol = mp.mpf(2) ** (-(prec + 20))
        roots = []
        for g in guesses:
            x = mp.mpf(float(g))
            for _ in range(60):
                he, he1 = _hermite_pair(nodes, x)
                step = he / (nodes * he1)
                x -= step
                if abs(step) <= tol * (1 + abs(x)):
                    break
            roots.append(x)
        raw = [1 / _hermite_pair(nodes, x)[1] ** 2 for x in roots]
        total = mp.fsum(raw)
        return [(+(w / total), +x) for w, x in zip(raw, roots)]
