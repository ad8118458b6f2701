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

from fractions import Fraction


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
