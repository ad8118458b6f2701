r"""The finite problem of a config, shared by every Monte Carlo of :mod:`symcollapse.simulation`.

Sizes d = round(φn), n2 = round(p2·n), m = round(ψn) (rounding half up), the atoms'
largest-remainder shares of the d coordinates, the per-row weights of the loss, one draw of
the design in the documented order, the fitted linear map by one thin SVD, the limits on
the size of a run, and the mean ± standard error of a sample.  Nothing here imports the
theory.
"""
from __future__ import annotations

import math
import sys
from fractions import Fraction

import numpy as np

from symcollapse.core.errors import ConfigError

#: Largest design accepted (entries of X); beyond it the request is refused, not slow.
MAX_ENTRIES = 60_000_000

#: Trials allowed in one run, and the work allowed in one run, in floating-point
#: operations (about an hour on one core): trials × (n·k² + k³ + 10⁶), k = max(d, m), the
#: 10⁶ standing for a trial's fixed cost (drawing, bookkeeping).
MAX_TRIALS = 1_000_000
MAX_WORK = 3.6e13


def round_half_up(x: Fraction) -> int:
    """docs/setting.md's rounding: half up, not to even."""
    return math.floor(Fraction(x) + Fraction(1, 2))


def coordinate_counts(weights, d: int) -> list[int]:
    """Largest-remainder split of d coordinates by the atom weights (exact)."""
    shares = [Fraction(w) * d for w in weights]
    base = [math.floor(s) for s in shares]
    left = d - sum(base)
    order = sorted(range(len(shares)), key=lambda k: (-(shares[k] - base[k]), k))
    for k in order[:left]:
        base[k] += 1
    return base


def sizes(spec, n: int) -> dict:
    """The finite sizes of docs/setting.md for a spec and n."""
    d = round_half_up(spec.phi * n)
    n2 = round_half_up(spec.p2 * n)
    m = round_half_up(spec.psi * n) if spec.psi is not None else None
    return {"n": n, "d": d, "n1": n - n2, "n2": n2, "m": m}


def coordinates(spec, d: int):
    counts = coordinate_counts([a.weight for a in spec.atoms], d)
    cols = {k: np.repeat([float(getattr(a, k)) for a in spec.atoms], counts)
            for k in ("s1", "s2", "theta", "delta")}
    return cols


def row_weights(spec, n1: int, n2: int, n: int):
    """Per-row weights c of the loss (1/n)Σ c_i (x_iᵀw − y_i)²."""
    if spec.strategy == "weighted":
        a = float(spec.alpha)
        c1 = a * n / n1 if n1 else 0.0
        c2 = (1 - a) * n / n2 if n2 else 0.0
    else:
        c1 = c2 = 1.0
    return np.concatenate([np.full(n1, c1), np.full(n2, c2)])


def fit_map(X, c, lam: float, S=None, *, singular_values=False):
    r"""The fitted linear map ŵ = M y as its SVD factors.

    With :math:`\tilde F = C^{1/2}F/\sqrt n = U\,\mathrm{diag}(s)V^\top` (F = X, or XSᵀ for
    random projections) and :math:`g = s/(s^2+\lambda)` (λ = 0: 1/s on the numerical range),
    :math:`M = S^\top V\mathrm{diag}(g)U^\top C^{1/2}/\sqrt n`.  Returns ``(U, g, V)``.
    """
    n = X.shape[0]
    F = X if S is None else X @ S.T
    Ft = F * np.sqrt(c)[:, None] / math.sqrt(n)
    U, s, Vt = np.linalg.svd(Ft, full_matrices=False)
    if lam > 0:
        g = s / (s * s + lam)
    else:
        cutoff = (s[0] if s.size else 0.0) * max(Ft.shape) * np.finfo(float).eps
        g = np.where(s > cutoff, 1.0 / np.where(s > cutoff, s, 1.0), 0.0)
    if singular_values:
        return U, g, Vt.T, s
    return U, g, Vt.T


def draw_design(cols, n1, n2, m, rng):
    """One draw in docs/setting.md's order: X (n1 real rows from N(0, Σ1), then n2 synthetic from
    N(0, Σ2)), w1, δ, the standard noise ε, then S (m × d, iid N(0, 1/d); None without m)."""
    d = cols["s1"].size
    n = n1 + n2
    X = rng.standard_normal((n, d))
    X[:n1] *= np.sqrt(cols["s1"])
    X[n1:] *= np.sqrt(cols["s2"])
    w1 = rng.standard_normal(d) * np.sqrt(cols["theta"] / d)
    delta = rng.standard_normal(d) * np.sqrt(cols["delta"] / d)
    eps = rng.standard_normal(n)
    S = rng.standard_normal((m, d)) / math.sqrt(d) if m is not None else None
    return X, w1, delta, eps, S


def check_sizes(spec, sz):
    if sz["d"] < 1:
        raise ConfigError(f"n = {sz['n']} gives d = round(phi*n) = 0: allowed n with d >= 1")
    if spec.strategy == "weighted" and (sz["n1"] < 1 or sz["n2"] < 1):
        raise ConfigError(f"n = {sz['n']} gives n1 = {sz['n1']}, n2 = {sz['n2']}: weighted "
                          "mixing needs both groups (choose a larger n)")
    entries = sz["n"] * max(sz["d"], sz["m"] or 0)
    if entries > MAX_ENTRIES:
        raise ConfigError(f"n = {sz['n']} gives a {sz['n']} x {max(sz['d'], sz['m'] or 0)} design "
                          f"({entries:.3g} entries): allowed at most {MAX_ENTRIES:.3g}")


def check_work(spec, sz, trials: int):
    """Refuse a run beyond ``MAX_WORK`` (trials × the cost of one trial, × the
    generations of an iterated procedure) before it starts."""
    k = max(sz["d"], sz["m"] or 0)
    per_trial = sz["n"] * k * k + k ** 3 + 1e6
    rounds = spec.generations or 1
    work = float(trials) * per_trial * rounds
    if work > MAX_WORK:
        raise ConfigError(f"n = {sz['n']}, trials = {trials}" +
                          (f", generations = {rounds}" if rounds > 1 else "") +
                          f" is too large a run ({work:.2g} operations, about "
                          f"{work / 1e10 / 60:.0f} min): allowed at most {MAX_WORK:.2g}; "
                          "reduce trials or n")


def sz_m_invalid(spec, n) -> bool:
    return spec.psi is not None and round_half_up(spec.psi * n) < 1


def stats(values):
    a = np.asarray(values, dtype=float)
    return float(a.mean()), float(a.std(ddof=1) / math.sqrt(a.size))


def run_trials(trial, trials: int, seed: int, desc: str, progress=None) -> np.ndarray:
    """The rows ``trial(rng)`` of ``trials`` independent draws, draw t from
    ``default_rng(SeedSequence(seed, spawn_key=(t,)))``; a progress bar on stderr when it is
    a terminal (``progress``: force it on or off)."""
    iterator = range(int(trials))
    if sys.stderr.isatty() if progress is None else progress:
        from tqdm import tqdm
        iterator = tqdm(iterator, desc=desc, unit="trial", file=sys.stderr, leave=False)
    rows = [trial(np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(t,))))
            for t in iterator]
    return np.array(rows, dtype=float)


def feature_summary(rows, sizes: dict, trials: int, seed: int) -> dict:
    """A feature model's simulation in the shape of :func:`symcollapse.simulate` from rows
    (sampled test expectation, Bias, Var, ζ given the draw, then the training errors
    overall, real, synthetic — nan for a group without rows): ``mean``, ``se``, the
    ``sizes``, ``trials``, ``seed``, ``conditional`` and the training errors."""
    mean, se = stats(rows[:, 0])
    parts = {"test_error": rows[:, 1] + rows[:, 2] + rows[:, 3], "bias": rows[:, 1],
             "variance": rows[:, 2], "zeta": rows[:, 3]}
    out = {"mean": mean, "se": se, **sizes, "trials": int(trials), "seed": int(seed),
           "conditional": {k: dict(zip(("mean", "se"), stats(v))) for k, v in parts.items()}}
    for k, name in enumerate(("train_error", "train_error_real", "train_error_synthetic"), 4):
        col = rows[:, k]
        out[name] = None if np.isnan(col).any() else dict(zip(("mean", "se"), stats(col)))
    return out
