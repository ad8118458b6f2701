r"""Solvers for the fixed-point systems: Newton with the SymPy Jacobian.

* :func:`newton_np`: damped Newton in float64, vectorized over many points at once.
* :func:`continuation_np`: a homotopy in the ridge λ, from a large λ (where the solution
  is known to first order, :attr:`~symcollapse.core.equations.System.guess`) down to the target (λ = 0 included, for
  the ridgeless families), all points stepping together with an adaptive step.
* :func:`newton_mp`: damped Newton at the caller's mpmath precision; quadratic
  convergence turns a float64 start into any number of digits in a few steps.
* :func:`solve_point`: the high-precision solve of one point, float64 warm start then
  mpmath polishing, falling back to an mpmath continuation when float64 cannot represent
  the problem.  Its :class:`Solution` carries the certificate: the residual
  :math:`\max_i |F_i(x^\*)|` and the last Newton correction
  :math:`\|J^{-1}F\|_\infty` (an a-posteriori error estimate of the unknowns).

Errors are :class:`~symcollapse.core.errors.ConvergenceError` saying what did not converge
and by how much.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import mpmath as mp
import numpy as np

from symcollapse.core.compiled import AtomArrays, Compiled, atoms_float, atoms_mp, to_mpf
from symcollapse.core.equations import lam as LAM
from symcollapse.core.errors import ConvergenceError
from symcollapse.core.precision import max_guard


@dataclass
class Solution:
    """A solved point: ``x`` (mpf, in the order of ``compiled.unknowns``), the residual
    max-norm, the size of the last Newton correction (and ``correction``, its entries'
    magnitudes: a bound on the error of each unknown), the iterations used, and ``extra``:
    the digits beyond the working precision that :func:`newton_to_tolerance` needed (a
    start for a related solve at the same point)."""

    x: list
    residual: object
    step: object
    iterations: int
    correction: list | None = None
    extra: int = 0


# ----------------------------------------------------------------------------- float64

def _positive_index(c: Compiled):
    return np.array([c.unknowns.index(x) for x in c.system.positive], dtype=int)


def newton_np(c: Compiled, x0, p, atoms: AtomArrays, *, tol=1e-12, maxiter=40, halvings=30):
    """Damped Newton for P points at once.  Returns ``(x, converged, residual)``.

    Steps are damped by the natural monotonicity test (Deuflhard): with the Newton
    correction Δ = J(x)⁻¹F(x), a step x − tΔ is accepted when the simplified correction
    J(x)⁻¹F(x − tΔ) is smaller than (1 − t/4)‖Δ‖ — affine invariant, so badly scaled
    equations do not stall it.  A point is done when ‖Δ‖∞ ≤ tol·(1 + ‖x‖∞), or when the
    correction stops shrinking at float64 resolution, or when no damped step passes the
    test (it would repeat the same iteration); it has converged if its correction is then
    below 1e-7·(1 + ‖x‖∞) (an mpmath polish takes it from there).
    """
    x = np.array(x0, dtype=float, copy=True)
    P, n = x.shape
    pos = _positive_index(c)
    done = np.zeros(P, dtype=bool)
    stall = np.zeros(P, dtype=int)
    size = np.full(P, np.inf)
    for _ in range(maxiter):
        active = ~done
        if not active.any():
            break
        idx = np.nonzero(active)[0]
        F, J = c.residual_jacobian_np(x[idx], p[idx], atoms)
        Jinv = _batched_inverse(J)
        step = np.einsum("pij,pj->pi", Jinv, F)
        bad = ~np.all(np.isfinite(step), axis=1)
        step[bad] = 0.0
        scale = 1 + np.max(np.abs(x[idx]), axis=1)
        norm = np.max(np.abs(step), axis=1)
        tiny = norm <= tol * scale
        stall[idx] = np.where(norm < 0.5 * size[idx], 0, stall[idx] + 1)
        size[idx] = np.where(bad, np.inf, norm)
        t = np.ones(len(idx))
        # in the quadratic zone (a correction below 1e-6 of the scale) the full step is
        # taken without the monotonicity test
        accepted = tiny | (norm <= 1e-6 * scale)
        x_new = np.where(accepted[:, None], x[idx] - step, x[idx])
        if len(pos):
            inside = np.all(x_new[:, pos] > 0, axis=1)
            accepted &= inside
            x_new = np.where(accepted[:, None], x_new, x[idx])
        for _half in range(halvings):
            if accepted.all():
                break
            trial = x[idx] - t[:, None] * step
            ok_pos = np.all(trial[:, pos] > 0, axis=1) if len(pos) else np.ones(len(idx), bool)
            Ft = c.residual_np(trial, p[idx], atoms)
            simplified = np.max(np.abs(np.einsum("pij,pj->pi", Jinv, Ft)), axis=1)
            good = ok_pos & np.isfinite(simplified) & (simplified <= (1 - t / 4) * norm)
            take = good & ~accepted
            x_new[take] = trial[take]
            accepted |= good
            t = np.where(accepted, t, t / 2)
        x[idx] = np.where(accepted[:, None], x_new, x[idx])
        resolution = norm < 1e-7 * scale
        # a point that took no step would repeat this iteration exactly: it stops here
        done[idx] |= tiny | bad | ~accepted | (resolution & (stall[idx] >= 2))
    F = c.residual_np(x, p, atoms)
    residual = np.max(np.abs(F), axis=1)
    scale = 1 + np.max(np.abs(x), axis=1)
    converged = done & np.isfinite(size) & (size < 1e-7 * scale) & np.isfinite(residual)
    return x, converged, residual


def _batched_inverse(J):
    """J⁻¹ for a stack of matrices; NaN for a singular one (its point then stops).
    (``numpy.linalg.inv`` sets its own floating-point error state.)"""
    try:
        return np.linalg.inv(J)
    except np.linalg.LinAlgError:
        out = np.full_like(J, np.nan)
        for i in range(J.shape[0]):
            try:
                out[i] = np.linalg.inv(J[i])
            except np.linalg.LinAlgError:
                pass
        return out


def continuation_np(c: Compiled, p, atoms: AtomArrays, *, lam_start=None, tol=1e-12,
                    max_steps=400):
    """Solve P points by continuation in λ from a large ridge to each point's own λ.

    ``p`` is (P, n_params) with the target values.  Returns ``(x, converged, residual)``.
    Systems without λ (none of ours) are solved by plain Newton from the guess.
    """
    p = np.array(p, dtype=float)
    P = p.shape[0]
    if LAM not in c.params:
        return newton_np(c, c.guess_np(p), p, atoms, tol=tol)
    k = c.params.index(LAM)
    target = p[:, k].copy()
    scale = _spectral_scale(atoms)
    hi = np.full(P, scale * 1e2 if lam_start is None else lam_start)
    hi = np.maximum(hi, target)
    lo = np.where(target > 0, target, scale * 1e-12)
    # start: Newton at λ = hi from the first-order guess
    p_cur = p.copy()
    p_cur[:, k] = hi
    x, ok, res = newton_np(c, c.guess_np(p_cur), p_cur, atoms, tol=tol)
    tries = 0
    while not ok.all() and tries < 4:  # raise the starting ridge further
        tries += 1
        hi = np.where(ok, hi, hi * 1e3)
        p_cur[:, k] = hi
        x2, ok2, res2 = newton_np(c, c.guess_np(p_cur), p_cur, atoms, tol=tol)
        x, ok, res = np.where(ok[:, None], x, x2), ok | ok2, np.where(ok, res, res2)
    log_hi, log_lo = np.log(hi), np.log(lo)
    pos = _positive_index(c)
    # every point walks its own path τ: 0 → 1 (log λ from hi to lo) with its own step
    tau = np.zeros(P)
    dtau = np.full(P, 0.1)
    tau_prev = np.full(P, np.nan)
    x_prev = np.full_like(x, np.nan)
    failed = ~ok            # a point without a start stays unsolved; the others walk on
    for _ in range(max_steps):
        walk = np.flatnonzero((tau < 1.0) & ~failed)
        if walk.size == 0:
            break
        nxt = np.minimum(1.0, tau[walk] + dtau[walk])
        p_try = p[walk].copy()
        p_try[:, k] = np.where(nxt < 1.0, np.exp((1 - nxt) * log_hi[walk] + nxt * log_lo[walk]),
                               lo[walk])
        start = x[walk]
        has_prev = np.isfinite(tau_prev[walk])
        if has_prev.any():  # secant predictor along the path in τ
            with np.errstate(all="ignore"):
                ratio = (nxt - tau[walk]) / (tau[walk] - tau_prev[walk])
                pred = x[walk] + ratio[:, None] * (x[walk] - x_prev[walk])
            keep = has_prev & np.all(np.isfinite(pred), axis=1)
            if len(pos):
                keep &= np.all(pred[:, pos] > 0, axis=1)
            start = np.where(keep[:, None], pred, start)
        # intermediate ridges only guide the path: a looser tolerance there
        x_try, ok_try, res_try = newton_np(c, start, p_try, atoms, tol=1e-9, maxiter=12,
                                           halvings=6)
        good, bad = walk[ok_try], walk[~ok_try]
        x_prev[good], tau_prev[good] = x[good], tau[good]
        x[good], res[good], tau[good] = x_try[ok_try], res_try[ok_try], nxt[ok_try]
        dtau[good] = np.minimum(dtau[good] * 1.6, 0.5)
        dtau[bad] /= 4
        failed |= dtau < 1e-6
    arrived = tau >= 1.0
    # polish at the target to the full tolerance (λ = 0 exactly where asked)
    ok = np.zeros(P, dtype=bool)
    if arrived.any():
        idx = np.flatnonzero(arrived)
        x[idx], ok[idx], res[idx] = newton_np(c, x[idx], p[idx], atoms, tol=tol)
    return x, ok, res


def solve_along(c: Compiled, p, atoms: AtomArrays, *, stride=32, tol=1e-12):
    """Solve P points given in curve order (neighbours close in parameter space).

    Every ``stride``-th point (and the last) is solved by the λ-continuation of
    :func:`continuation_np`; the points between two of them start Newton at the target
    from the linear interpolation of their solutions (a warm start along the curve, a few
    iterations each).  A point whose warm-started Newton does not converge, or that
    leaves the domain of the positive unknowns, is solved by the continuation itself.
    Returns ``(x, converged, residual)``.
    """
    p = np.array(p, dtype=float)
    P = p.shape[0]
    if P <= 2 * stride:
        return continuation_np(c, p, atoms, tol=tol)
    anchors = np.unique(np.r_[np.arange(0, P, stride), P - 1])
    xa, oka, resa = continuation_np(c, p[anchors], atoms, tol=tol)
    x = np.empty((P, xa.shape[1]))
    ok = np.zeros(P, dtype=bool)
    res = np.full(P, np.inf)
    x[anchors], ok[anchors], res[anchors] = xa, oka, resa
    rest = np.setdiff1d(np.arange(P), anchors)
    right = np.searchsorted(anchors, rest)
    i0, i1 = anchors[right - 1], anchors[right]
    w = ((rest - i0) / (i1 - i0))[:, None]
    both = oka[right - 1] & oka[right]
    start = np.where(both[:, None], (1 - w) * x[i0] + w * x[i1], x[i0])
    xr, okr, resr = newton_np(c, start, p[rest], atoms, tol=tol, maxiter=10)
    pos = _positive_index(c)
    if len(pos):
        okr &= np.all(xr[:, pos] > 0, axis=1)
    x[rest], ok[rest], res[rest] = xr, okr, resr
    redo = rest[~okr]
    if redo.size:
        x[redo], ok[redo], res[redo] = continuation_np(c, p[redo], atoms, tol=tol)
    return x, ok, res


def _spectral_scale(atoms: AtomArrays) -> float:
    s = np.concatenate([np.asarray(atoms.s1, float), np.asarray(atoms.s2, float)])
    m = float(np.max(s)) if s.size else 1.0
    return m if m > 0 else 1.0


# ----------------------------------------------------------------------------- mpmath

#: Newton's quadratic zone: a correction below this fraction of each unknown is taken
#: whole (no damping test), and from there on every correction must shrink.
QUADRATIC_ZONE = mp.mpf("1e-6")
#: Iterations the corrections may sit below the tolerance in the scaled measure before the
#: point is accepted without every unknown meeting the relative test.
ZERO_PATIENCE = 3


def _floor_zone():
    """Corrections below 10^-(w/2) that stop shrinking are the rounding floor of the
    working precision w (a condition number ≥ 10^(w/2)); above it a slower, linear
    convergence (a nearly singular root) is left to run."""
    return mp.mpf(10) ** (-(mp.mp.dps // 2))


class PrecisionLimited(ConvergenceError):
    """Newton reached the rounding floor of the working precision before its tolerance:
    the corrections stopped shrinking in the quadratic zone.  ``x`` is the last iterate
    (a start for the same Newton at a higher precision), ``relative`` its correction."""

    def __init__(self, message, x, relative):
        super().__init__(message)
        self.x = x
        self.relative = relative


def _corrections(step, x, pos):
    r"""Sizes of a Newton correction Δ at x (``pos``: indices of the positive unknowns):

    * ``strict``: :math:`\max_i |\Delta_i|/|x_i|` (inf where x_i = 0 and Δ_i ≠ 0),
      relative to each unknown's own magnitude — the stopping rule;
    * ``scaled``: |Δ_i|/|x_i| for a positive unknown (the Newton step in log x_i, see
      ``_advance``), |Δ_i|/‖x‖∞ for the others — the damping test and the quadratic
      zone.
    """
    top = max((abs(v) for v in x), default=mp.mpf(0))
    strict = scaled = mp.mpf(0)
    for i, (d, v) in enumerate(zip(step, x)):
        d, v = abs(d), abs(v)
        if d == 0:
            continue
        strict = max(strict, d / v if v else mp.inf)
        ref = v if i in pos and v else top
        scaled = max(scaled, d / ref if ref else mp.inf)
    return strict, scaled


#: The largest move of a positive unknown in one step, in log x (a factor e^-50).
LOG_STEP = 50


def _advance(x, step, t, pos):
    r"""x − tΔ, except that a positive unknown this would take to 0 or below moves in
    log x_i instead, :math:`x_i e^{-t\Delta_i/x_i}` (it stays positive however far it must
    shrink — e.g. e_j ∝ λ along a continuation to λ = 0)."""
    out = x - t * step
    for i in pos:
        if out[i] <= 0 < x[i]:
            out[i] = x[i] * mp.exp(-min(t * step[i] / x[i], LOG_STEP))
    return out


def newton_mp(c: Compiled, x0, p, atoms: AtomArrays, *, tol, maxiter=60):
    r"""Damped Newton at the current mpmath precision.  Returns a :class:`Solution`.

    Damping by the natural monotonicity test (see :func:`newton_np`) outside the quadratic
    zone, with the positive unknowns stepped in log x_i (``_advance``) and measured
    relative to themselves (``_corrections``); a trial point's residual and Jacobian
    are evaluated together (the atom traces they share dominate the cost) and reused by
    the next iteration.  The stopping rule is
    relative to each unknown's own magnitude: converged when every correction satisfies
    :math:`|\Delta_i| \le \mathrm{tol}\,|x_i|`, or when the corrections stay below tol in
    the scaled measure for :data:`ZERO_PATIENCE` iterations more (an unknown that is 0 up
    to rounding, or tiny beside the largest: its correction is returned as its error
    bound); the corrected iterate x − Δ is returned with the residual
    ‖F(x)‖∞ and the correction (with quadratic convergence, a bound on the error of x).
    Raises :class:`PrecisionLimited` when the corrections, above tol in the quadratic zone,
    grow again, or stop halving below ``_floor_zone`` (the working precision is too
    low for this conditioning: rounding noise), or when ``maxiter`` damped steps did not
    converge (directions that may be rounding noise), and
    :class:`~symcollapse.core.errors.ConvergenceError` for any other failure.
    """
    x = mp.matrix([mp.mpf(v) for v in x0])
    n = len(x)
    pos = [c.unknowns.index(u) for u in c.system.positive]
    last, previous, stall = mp.inf, mp.inf, 0  # stall: iterations below tol (scaled)
    F, J = c.residual_jacobian_mp(list(x), p, atoms)
    for it in range(1, maxiter + 1):
        try:
            LU = _factor(J, it, mp.norm(F, mp.inf))
        except PrecisionLimited as exc:
            raise PrecisionLimited(str(exc), [x[i] for i in range(n)], exc.relative) from None
        step = _step(LU, F, it)
        strict, scaled = _corrections(step, x, pos)
        # below tol in the scaled measure for a few iterations: every unknown that is not
        # 0 or tiny beside the largest has met the relative test; the others are given
        # ZERO_PATIENCE iterations to, and are then accepted (the caller's ball check of
        # the outputs judges what that leaves of its digits, the corrections as radii)
        stall = stall + 1 if scaled <= tol else 0
        if strict <= tol or stall > ZERO_PATIENCE:
            done = x - step
            if all(done[i] > 0 for i in pos):
                return Solution(x=[done[i] for i in range(n)], residual=mp.norm(F, mp.inf),
                                step=mp.norm(step, mp.inf), iterations=it,
                                correction=[abs(step[i]) for i in range(n)])
            stall = 0          # a positive unknown would leave its domain: a damped step
        if scaled <= QUADRATIC_ZONE:
            stalled = scaled >= previous or (scaled > previous / 2 and scaled < _floor_zone())
            if it > 1 and scaled > tol and stalled:
                raise PrecisionLimited(
                    f"Newton: the corrections stopped shrinking at {mp.nstr(scaled, 3)} "
                    f"(relative) at {mp.mp.dps} digits", [x[i] for i in range(n)], scaled)
            trial = _advance(x, step, 1, pos)
            previous = scaled
            F, J = c.residual_jacobian_mp(list(trial), p, atoms)
            x, last = trial, scaled
            continue
        t = mp.mpf(1)
        for _half in range(80):
            trial = _advance(x, step, t, pos)
            Ft, Jt = c.residual_jacobian_mp(list(trial), p, atoms)
            simplified = _corrections(LU.solve(Ft), x, pos)[1]
            if mp.isfinite(simplified) and simplified <= (1 - t / 4) * scaled:
                break
            t /= 2
        else:   # no step reduces the correction: the direction itself is rounding noise
            raise PrecisionLimited(
                f"Newton: no acceptable step at iteration {it} at {mp.mp.dps} digits "
                f"(relative correction {mp.nstr(scaled, 3)})", [x[i] for i in range(n)], scaled)
        previous = scaled
        x, F, J = trial, Ft, Jt
        last = t * scaled
    # the damped steps wandered: directions that are rounding noise (a Jacobian too
    # ill-conditioned for these digits, whose pivots pass) or a start too far; the caller
    # raises the precision, and gives up at its largest guard
    raise PrecisionLimited(
        f"Newton did not converge in {maxiter} iterations: last relative step "
        f"{mp.nstr(last, 3)}", [x[i] for i in range(n)], mp.inf)


#: The contraction per step that :func:`frozen_newton` must show to be trusted.
FROZEN_CONTRACTION = 1e-6


def frozen_newton(c: Compiled, x0, p, atoms: AtomArrays, *, tol, maxiter=8):
    r"""Newton's polish of a start near the solution, with the Jacobian frozen and inverted
    in float64: :math:`x \leftarrow x - \tilde J^{-1}F(x)`, residuals at the working
    precision.

    With :math:`\tilde J^{-1} = J^{-1}(I + E)`, :math:`\|E\| \approx
    \kappa(J)\,\varepsilon_{64}`, the error contracts by about :math:`\|E\|` per step (e.g.
    10⁻¹⁴: a float64 start reaches 45 digits in three residuals), much cheaper than
    :func:`newton_mp`'s factorization of the Jacobian at the working precision each step.
    A first step larger than :data:`QUADRATIC_ZONE` (scaled, ``_corrections``; e.g. rates
    started at 0, which enter linearly) is taken and the Jacobian evaluated again where it
    lands (a later one means the start was not near the solution); below it every step must
    shrink the correction by :data:`FROZEN_CONTRACTION` at least.  The stopping rule and the returned :class:`Solution` (its last correction as
    the unknowns' error bound) are :func:`newton_mp`'s.  Returns None, and the caller runs
    :func:`newton_mp`, where that contraction is not seen (a start too far, a Jacobian that
    float64 does not resolve), a positive unknown would leave its domain, or an unknown
    ends tiny beside the largest (``_tiny_beside_the_largest``)."""
    x = [mp.mpf(v) for v in x0]
    pos = [c.unknowns.index(u) for u in c.system.positive]
    K, previous, F = None, None, None
    for it in range(1, maxiter + 1):
        if K is None:
            F, J = c.residual_jacobian_lists(x, p, atoms)
            K = _float_inverse(J)
            if K is None:
                return None
        elif F is None:
            F = c.residual_list(x, p, atoms)
        step = _apply(K, F)
        if step is None:
            return None
        strict, scaled = _corrections(step, x, pos)
        if previous is not None and scaled > previous * FROZEN_CONTRACTION:
            return None
        done = [xi - si for xi, si in zip(x, step)]
        if any(done[i] <= 0 for i in pos):
            return None
        if strict <= tol:
            if _tiny_beside_the_largest(done):
                return None
            return Solution(x=done, residual=max(abs(v) for v in F),
                            step=max(abs(v) for v in step), iterations=it,
                            correction=[abs(v) for v in step])
        x, F = done, None
        if scaled > QUADRATIC_ZONE:
            if it > 1:          # not near the solution after all: the damped Newton's job
                return None
            K, previous = None, None
        else:
            previous = scaled
    return None


def _tiny_beside_the_largest(x) -> bool:
    """Whether a nonzero unknown lies below 10^-(w/2) of the largest (w the working
    precision): it may be 0 up to rounding, which :func:`newton_mp` judges (its
    corrections as the error bounds of such unknowns)."""
    top = max(abs(v) for v in x)
    return any(v and abs(v) < top * _floor_zone() for v in x)


def _float_inverse(J):
    """J⁻¹ (J a list of rows of mpf) in float64, after scaling J's columns to a largest
    entry of 1 (unknowns of very different sizes); returns ``(inverse, column scales)``, or
    None where float64 does not represent J or it is singular there."""
    n = len(J)
    col = [max(abs(J[i][j]) for i in range(n)) for j in range(n)]
    if any(not c or not mp.isfinite(c) for c in col):
        return None
    with np.errstate(all="ignore"):
        J64 = np.array([[float(J[i][j] / col[j]) for j in range(n)] for i in range(n)])
        if not np.all(np.isfinite(J64)):
            return None
        try:
            K64 = np.linalg.inv(J64)
        except np.linalg.LinAlgError:
            return None
    if not np.all(np.isfinite(K64)):
        return None
    return K64, col


def _apply(K, F):
    r"""The step :math:`\tilde J^{-1}F` in float64 — relative accuracy 10⁻¹⁶, as good as
    the inverse itself — with F scaled by its largest entry first (residuals of 10⁻⁸⁰⁰ at a
    thousand digits are beyond float64's range, not its resolution); as mpf, or None."""
    K64, col = K
    top = max(abs(v) for v in F)
    if not top:
        return [mp.mpf(0)] * len(F)
    if not mp.isfinite(top):
        return None
    with np.errstate(all="ignore"):
        s = K64 @ np.array([float(v / top) for v in F])
    if not np.all(np.isfinite(s)):
        return None
    return [mp.mpf(float(v)) * top / c for v, c in zip(s, col)]


class Factored:
    r"""An LU factorization, with partial pivoting, of a square mpmath matrix J after
    equilibration (columns, then rows, scaled to a largest entry of 1): the unknowns of
    our systems range over many orders of magnitude (10⁻⁵⁰ beside 1), and an unscaled
    pivot test would call such a Jacobian singular.  :meth:`solve` gives J⁻¹F.

    Raises :class:`NearlySingular` (a ``ZeroDivisionError``) when a pivot of the
    equilibrated matrix is below n·ε of the working precision (0 included), or when a row
    or a column is 0: a condition beyond what this precision resolves (entries that
    cancelled, e.g. a complement 1 − α of an α next to 1 expanded away); a matrix that is
    singular at every precision meets the largest guard of the caller's escalation."""

    def __init__(self, J):
        n = J.rows if hasattr(J, "rows") else len(J)
        A = [[mp.mpf(J[i, j]) if hasattr(J, "rows") else mp.mpf(J[i][j]) for j in range(n)]
             for i in range(n)]
        col = [max(abs(A[i][j]) for i in range(n)) for j in range(n)]
        if any(c == 0 for c in col):
            raise NearlySingular("a column of the Jacobian is 0")
        A = [[A[i][j] / col[j] for j in range(n)] for i in range(n)]
        row = [max(abs(v) for v in A[i]) for i in range(n)]
        if any(r == 0 for r in row):
            raise NearlySingular("a row of the Jacobian is 0")
        A = [[v / row[i] for v in A[i]] for i in range(n)]
        perm = list(range(n))
        small = n * mp.eps
        for k in range(n):
            piv = max(range(k, n), key=lambda i: abs(A[i][k]))
            if abs(A[piv][k]) <= small:
                raise NearlySingular(f"a pivot of the equilibrated Jacobian is "
                                     f"{mp.nstr(abs(A[piv][k]), 3)}")
            A[k], A[piv] = A[piv], A[k]
            perm[k], perm[piv] = perm[piv], perm[k]
            inv = 1 / A[k][k]
            for i in range(k + 1, n):
                f = A[i][k] * inv
                A[i][k] = f
                if f:
                    Ai, Ak = A[i], A[k]
                    for j in range(k + 1, n):
                        Ai[j] -= f * Ak[j]
        self.n, self.A, self.perm, self.row, self.col = n, A, perm, row, col

    def inverse(self):
        """J⁻¹ as an mpmath matrix."""
        cols = [self.solve([1 if i == j else 0 for i in range(self.n)]) for j in range(self.n)]
        return mp.matrix([[cols[j][i] for j in range(self.n)] for i in range(self.n)])

    def solve(self, F):
        """J⁻¹F as an mpmath column matrix."""
        n, A = self.n, self.A
        b = [F[self.perm[i]] / self.row[self.perm[i]] for i in range(n)]
        for i in range(n):                      # L (unit diagonal)
            b[i] -= mp.fsum(A[i][j] * b[j] for j in range(i))
        for i in reversed(range(n)):            # U
            b[i] = (b[i] - mp.fsum(A[i][j] * b[j] for j in range(i + 1, n))) / A[i][i]
        return mp.matrix([b[j] / self.col[j] for j in range(n)])


class NearlySingular(ZeroDivisionError):
    """A pivot below the working precision's resolution (see :class:`Factored`)."""


def _factor(J, it, norm):
    try:
        return Factored(J)
    except NearlySingular as exc:
        raise PrecisionLimited(f"Newton: singular Jacobian at iteration {it} at "
                               f"{mp.mp.dps} digits ({exc}; residual {mp.nstr(norm, 3)})",
                               None, mp.inf) from None


def _step(LU, F, it):
    step = LU.solve(F)
    if not all(mp.isfinite(v) for v in step):
        raise ConvergenceError(f"Newton: non-finite step at iteration {it}")
    return step


def _float_representable(values) -> bool:
    for v in values:
        f = float(v)
        if not np.isfinite(f) or (v != 0 and (f == 0 or abs(f) < 1e-280 or abs(f) > 1e280)):
            return False
    return True


#: Decimal orders of magnitude spanned by a config's numbers beyond which the float64 start
#: is skipped (its rounding would dominate the smallest scales).
FLOAT_SPREAD = 12


def spread_digits(values) -> int:
    r"""The decimal orders of magnitude spanned by the nonzero numbers in ``values`` (exact
    rationals): :math:`\lceil\log_{10}(\max|v|/\min|v|)\rceil`, a first measure of the
    digits a solve loses to the conditioning."""
    logs = []
    for v in values:
        if v:
            v = abs(v)
            if not hasattr(v, "denominator"):  # an mpf (any exponent)
                logs.append(float(mp.log10(v)))
                continue
            num, den = v.numerator, v.denominator
            logs.append(math.log10(num) - math.log10(den) if num < 10 ** 300 and den < 10 ** 300
                        else (len(str(num)) - len(str(den))))
    return int(math.ceil(max(logs) - min(logs))) if logs else 0


def newton_to_tolerance(c: Compiled, x0, params: dict, atoms, *, tol=None, extra=0):
    """Newton from ``x0`` to ``tol`` (default :math:`10^{-(w-8)}` at the working precision
    w), raising the precision by as many digits as the conditioning costs when it meets
    the rounding floor (:class:`PrecisionLimited`): the guard doubles, up to
    :func:`~symcollapse.core.precision.max_guard` digits.  Each higher precision starts again
    from ``x0``: the lower precision's last iterate may be its rounding noise (an unknown
    far off, that its scaled corrections hide beside a larger one).  ``extra`` is a first
    guard (e.g. the :attr:`Solution.extra` of a related solve at the same point).  ``params`` maps
    parameter symbols to exact values, ``atoms`` are :class:`~symcollapse.core.spec.Atom`; the
    returned unknowns are mpf at the precision that reached ``tol``."""
    w = mp.mp.dps
    if tol is None:
        tol = mp.mpf(10) ** (-(w - 8))
    with mp.workdps(w + extra):
        sol = frozen_newton(c, x0, c.values_mp(params), atoms_mp(atoms), tol=tol)
    if sol is not None:
        return dataclasses.replace(sol, extra=extra)
    limit = None
    while True:
        with mp.workdps(w + extra):
            p_mp = c.values_mp(params)
            try:
                return dataclasses.replace(newton_mp(c, x0, p_mp, atoms_mp(atoms), tol=tol),
                                           extra=extra)
            except PrecisionLimited as exc:
                limit = str(exc)
        extra = max(2 * extra, 15)
        if extra > max_guard(w):
            raise ConvergenceError(f"{limit} (and up to {w + extra // 2} digits)") from None


def start_value(c: Compiled, unknown, params: dict):
    """A start for an unknown that a related solve does not have (e.g. a rate of the
    training probe, beside the test error's solution): its guess, 1 for a positive unknown
    whose guess is not defined here (a ridgeless point), else 0."""
    try:
        value = to_mpf(c.system.guess_value(unknown, params))
    except (ZeroDivisionError, TypeError, ValueError):
        value = mp.mpf(0)
    if unknown in c.system.positive and not value > 0:
        return mp.mpf(1)
    return value


def solve_point(c: Compiled, params: dict, atoms, *, dps: int, warm=None) -> Solution:
    """Solve one point to the working precision w (the caller's context): every unknown
    to about w − 8 digits, relative to its own magnitude.

    ``params`` maps each parameter symbol of the system to an exact value (Fraction);
    ``atoms`` is a sequence of :class:`~symcollapse.core.spec.Atom`; ``warm`` a start already
    close to the solution (e.g. the same point solved at a lower precision).  Without it,
    a float64 λ-continuation gives the start, or an mpmath one where float64 cannot
    represent the problem.  ``dps`` is the number of digits the caller will report.
    """
    if warm is not None:
        return newton_to_tolerance(c, warm, params, atoms)
    values = [params[s] for s in c.params]
    atom_vals = [getattr(a, k) for a in atoms for k in ("weight", "s1", "s2", "theta", "delta")]
    spread = spread_digits(values + [1 - params[x] for _, x in c.complements] + atom_vals)
    if spread > FLOAT_SPREAD:  # float64 cannot resolve the start: mpmath from the outset
        with mp.workdps(mp.mp.dps + spread):
            x0 = _continued(c, params, atoms)
        return newton_to_tolerance(c, x0, params, atoms)
    if _float_representable(values + atom_vals):
        A_np = atoms_float(atoms)
        x64, ok, res = _float_start(c, np.array([[float(v) for v in values]]), A_np)
        if ok[0]:  # mpmath's Newton polishes a float64 start quadratically
            try:
                return newton_to_tolerance(c, [mp.mpf(float(v)) for v in x64[0]], params,
                                           atoms)
            except ConvergenceError:
                pass  # float64 rounding misled the start: the mpmath continuation below
    return newton_to_tolerance(c, _continued(c, params, atoms), params, atoms)


def _float_start(c: Compiled, p, atoms: AtomArrays):
    """The float64 start of one point: damped Newton from the guess at the target where
    the system has one root in the domain of its positive unknowns
    (:attr:`~symcollapse.core.equations.System.unique_root`, λ > 0), else (or where that
    Newton fails) the λ-continuation of :func:`continuation_np`."""
    if c.system.unique_root and LAM in c.params and p[0, c.params.index(LAM)] > 0:
        x, ok, res = newton_np(c, c.guess_np(p), p, atoms)
        if ok.all():
            return x, ok, res
    return continuation_np(c, p, atoms)


def _continued(c: Compiled, params: dict, atoms):
    """:func:`continuation_mp` at the working precision, or, where it stalls (a path too
    ill-conditioned for these digits), at a higher one: the guard doubles up to
    :func:`~symcollapse.core.precision.max_guard`."""
    w, extra = mp.mp.dps, 0
    while True:
        with mp.workdps(w + extra):
            try:
                return continuation_mp(c, c.values_mp(params), atoms_mp(atoms))
            except ConvergenceError as exc:
                extra = max(2 * extra, 15)
                if extra > max_guard(w):
                    raise ConvergenceError(f"{exc} (up to {w + extra // 2} digits)") from None


def continuation_mp(c: Compiled, p, atoms: AtomArrays):
    r"""The λ-continuation of :func:`continuation_np` at the current mpmath precision,
    for problems that float64 cannot represent.  Returns the unknowns at the target.

    For the ridgeless target λ = 0 the path ends at a small ridge below every scale of
    the spectrum (:math:`10^{-w/2}\min_k s_k`, w the working precision) and Newton takes
    the last step to λ = 0; where that step fails (a scale set by the parameters, e.g.
    :math:`(1-\psi)^2` near a threshold, lies lower still) the path goes on down by
    another :math:`10^{-w/2}`, up to eight times."""
    tol = mp.mpf(10) ** (-min(mp.mp.dps - 8, 20))
    if LAM not in c.params:
        x = [mp.mpf(c.system.guess_value(u, dict(zip(c.params, p)))) for u in c.unknowns]
        return _guide(c, x, p, atoms, tol)
    k = c.params.index(LAM)
    target = p[k]
    s = [abs(v) for v in list(atoms.s1) + list(atoms.s2) if v != 0]
    scale = max(s) if s else mp.mpf(1)
    tiny = min(s) if s else mp.mpf(1)
    hi = max(scale * 100, target)
    drop = mp.mpf(10) ** (-(mp.mp.dps // 2))
    lo = target if target > 0 else tiny * drop
    p_cur = list(p)
    p_cur[k] = hi
    x = [mp.mpf(c.system.guess_value(u, dict(zip(c.params, p_cur)))) for u in c.unknowns]
    x = _guide(c, x, p_cur, atoms, tol)
    for _extension in range(8):
        x = _walk(c, x, p_cur, k, hi, lo, atoms, tol)
        if target > 0:
            return x
        p_cur[k] = mp.mpf(0)
        try:
            return _guide(c, x, p_cur, atoms, tol)
        except ConvergenceError:     # walk on down (_walk sets p_cur[k] along its path)
            hi, lo = lo, lo * drop
    raise ConvergenceError(f"continuation in lam to 0 failed below lam = {mp.nstr(hi, 3)}")


def _walk(c: Compiled, x, p_cur, k, hi, lo, atoms, tol):
    """Newton along log λ from ``hi`` to ``lo`` with an adaptive step (``p_cur[k]`` is
    left at ``lo``)."""
    log_hi, log_lo = mp.log(hi), mp.log(lo)
    tau, dtau = mp.mpf(0), mp.mpf("0.1")
    while tau < 1:
        nxt = min(mp.mpf(1), tau + dtau)
        p_cur[k] = mp.exp((1 - nxt) * log_hi + nxt * log_lo) if nxt < 1 else lo
        try:
            x = _guide(c, x, p_cur, atoms, tol, maxiter=25)
            tau = nxt
            dtau = min(dtau * mp.mpf("1.6"), mp.mpf("0.5"))
        except ConvergenceError:
            dtau /= 4
            if dtau < mp.mpf("1e-8"):
                raise ConvergenceError(
                    f"continuation in lam stalled at lam = {mp.nstr(p_cur[k], 5)}") from None
    return x


def _guide(c: Compiled, x, p, atoms: AtomArrays, tol, maxiter=60):
    """Newton for a point that only guides a path: its rounding floor is good enough
    (once in the quadratic zone)."""
    try:
        return newton_mp(c, x, p, atoms, tol=tol, maxiter=maxiter).x
    except PrecisionLimited as exc:
        if exc.relative <= QUADRATIC_ZONE:
            return exc.x
        raise ConvergenceError(str(exc)) from None
