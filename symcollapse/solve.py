r"""Solvers for the fixed-point systems: Newton with the SymPy Jacobian.

* :func:`newton_np`: damped Newton in float64, vectorized over many points at once.
* :func:`continuation_np`: a homotopy in the ridge λ, from a large λ (where the solution
  is known to first order, :attr:`System.guess`) down to the target (λ = 0 included, for
  the ridgeless families), all points stepping together with an adaptive step.
* :func:`newton_mp`: damped Newton at the caller's mpmath precision; quadratic
  convergence turns a float64 start into any number of digits in a few steps.
* :func:`solve_point`: the high-precision solve of one point, float64 warm start then
  mpmath polishing, falling back to an mpmath continuation when float64 cannot represent
  the problem.  Its :class:`Solution` carries the certificate: the residual
  :math:`\max_i |F_i(x^\*)|` and the last Newton correction
  :math:`\|J^{-1}F\|_\infty` (an a-posteriori error estimate of the unknowns).

Errors are :class:`~symcollapse.errors.ConvergenceError` saying what did not converge
and by how much.
"""
from __future__ import annotations

from dataclasses import dataclass

import mpmath as mp
import numpy as np

from .compiled import AtomArrays, Compiled, to_mpf
from .equations import lam as LAM
from .errors import ConvergenceError


@dataclass
class Solution:
    """A solved point: ``x`` (mpf, in the order of ``compiled.unknowns``), the residual
    max-norm, the size of the last Newton correction, and the iterations used."""

    x: list
    residual: object
    step: object
    iterations: int


# ----------------------------------------------------------------------------- float64

def _positive_index(c: Compiled):
    return np.array([c.unknowns.index(x) for x in c.system.positive], dtype=int)


def newton_np(c: Compiled, x0, p, atoms: AtomArrays, *, tol=1e-12, maxiter=40):
    """Damped Newton for P points at once.  Returns ``(x, converged, residual)``.

    Steps are damped by the natural monotonicity test (Deuflhard): with the Newton
    correction Δ = J(x)⁻¹F(x), a step x − tΔ is accepted when the simplified correction
    J(x)⁻¹F(x − tΔ) is smaller than (1 − t/4)‖Δ‖ — affine invariant, so badly scaled
    equations do not stall it.  A point is done when ‖Δ‖∞ ≤ tol·(1 + ‖x‖∞), or when the
    correction stops shrinking at float64 resolution; it has converged if its correction
    is then below 1e-7·(1 + ‖x‖∞) (an mpmath polish takes it from there).
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
        for _half in range(30):
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
        done[idx] |= tiny | bad | (resolution & ((stall[idx] >= 2) | ~accepted))
    F = c.residual_np(x, p, atoms)
    residual = np.max(np.abs(F), axis=1)
    scale = 1 + np.max(np.abs(x), axis=1)
    converged = done & np.isfinite(size) & (size < 1e-7 * scale) & np.isfinite(residual)
    return x, converged, residual


def _batched_inverse(J):
    """J⁻¹ for a stack of matrices; NaN for a singular one (its point then stops)."""
    with np.errstate(all="ignore"):
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
    if not ok.all():
        return x, ok, res
    log_hi, log_lo = np.log(hi), np.log(lo)
    pos = _positive_index(c)
    # every point walks its own path τ: 0 → 1 (log λ from hi to lo) with its own step
    tau = np.zeros(P)
    dtau = np.full(P, 0.1)
    tau_prev = np.full(P, np.nan)
    x_prev = np.full_like(x, np.nan)
    failed = np.zeros(P, dtype=bool)
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
        x_try, ok_try, res_try = newton_np(c, start, p_try, atoms, tol=1e-9, maxiter=25)
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

def newton_mp(c: Compiled, x0, p, atoms: AtomArrays, *, tol, maxiter=60):
    """Damped Newton at the current mpmath precision.  Returns a :class:`Solution`.

    Damping by the natural monotonicity test (see :func:`newton_np`); a trial point's
    residual and Jacobian are evaluated together (the atom traces they share dominate the
    cost) and reused by the next iteration.  Converged at the first iterate x whose Newton
    correction ‖J(x)⁻¹F(x)‖∞ is below ``tol·(1 + ‖x‖∞)``: that x is returned with its
    residual ‖F(x)‖∞ and the correction (with quadratic convergence, an estimate of the
    remaining error of the unknowns).
    """
    x = mp.matrix([mp.mpf(v) for v in x0])
    n = len(x)
    pos = [c.unknowns.index(u) for u in c.system.positive]
    last = mp.inf
    F, J = c.residual_jacobian_mp(list(x), p, atoms)
    for it in range(1, maxiter + 1):
        step = _lu_step(J, F, it, mp.norm(F, mp.inf))
        size = mp.norm(step, mp.inf)
        if size <= tol * (1 + mp.norm(x, mp.inf)):
            if not all(x[i] > 0 for i in pos):
                raise ConvergenceError(f"Newton: converged outside the domain (> 0) of "
                                       f"{', '.join(str(u) for u in c.system.positive)}")
            return Solution(x=[x[i] for i in range(n)], residual=mp.norm(F, mp.inf), step=size,
                            iterations=it)
        t = mp.mpf(1)
        for _half in range(80):
            trial = x - t * step
            if all(trial[i] > 0 for i in pos):
                Ft, Jt = c.residual_jacobian_mp(list(trial), p, atoms)
                try:
                    simplified = mp.norm(mp.lu_solve(J, Ft), mp.inf)
                except ZeroDivisionError:
                    simplified = mp.inf
                if mp.isfinite(simplified) and simplified <= (1 - t / 4) * size:
                    break
            t /= 2
        else:
            raise ConvergenceError(
                f"Newton: no acceptable step at iteration {it} (correction {mp.nstr(size, 3)})")
        x, F, J = trial, Ft, Jt
        last = t * size
    raise ConvergenceError(
        f"Newton did not converge in {maxiter} iterations: last step {mp.nstr(last, 3)}")


def _lu_step(J, F, it, norm):
    try:
        step = mp.lu_solve(J, F)
    except ZeroDivisionError:
        raise ConvergenceError(
            f"Newton: singular Jacobian at iteration {it} (residual {mp.nstr(norm, 3)})") from None
    if not all(mp.isfinite(v) for v in step):
        raise ConvergenceError(f"Newton: non-finite step at iteration {it}")
    return step


def _float_representable(values) -> bool:
    for v in values:
        f = float(v)
        if not np.isfinite(f) or (v != 0 and (f == 0 or abs(f) < 1e-280 or abs(f) > 1e280)):
            return False
    return True


def solve_point(c: Compiled, params: dict, atoms, *, dps: int) -> Solution:
    """Solve one point to ``dps`` digits (working precision: the caller's context).

    ``params`` maps each parameter symbol of the system to an exact value (Fraction);
    ``atoms`` is a sequence of :class:`~symcollapse.spec.Atom`.
    """
    values = [params[s] for s in c.params]
    atom_vals = [getattr(a, k) for a in atoms for k in ("weight", "s1", "s2", "theta", "delta")]
    p_mp = [to_mpf(v) for v in values]
    A_mp = AtomArrays(*[[to_mpf(getattr(a, k)) for a in atoms]
                        for k in ("weight", "s1", "s2", "theta", "delta")])
    tol = mp.mpf(10) ** (-(mp.mp.dps - 8))
    x0 = None
    if _float_representable(values + atom_vals):
        from .compiled import atoms_float
        A_np = atoms_float(atoms)
        x64, ok, res = continuation_np(c, np.array([[float(v) for v in values]]), A_np)
        if ok[0]:  # mpmath's Newton polishes a float64 start quadratically
            x0 = [mp.mpf(float(v)) for v in x64[0]]
    if x0 is None:
        x0 = continuation_mp(c, p_mp, A_mp)
    return newton_mp(c, x0, p_mp, A_mp, tol=tol)


def continuation_mp(c: Compiled, p, atoms: AtomArrays):
    """The λ-continuation of :func:`continuation_np` at the current mpmath precision,
    for problems that float64 cannot represent.  Returns the unknowns at the target."""
    tol = mp.mpf(10) ** (-min(mp.mp.dps - 8, 20))
    if LAM not in c.params:
        x = [mp.mpf(c.system.guess_value(u, dict(zip(c.params, p)))) for u in c.unknowns]
        return newton_mp(c, x, p, atoms, tol=tol).x
    k = c.params.index(LAM)
    target = p[k]
    s = [abs(v) for v in list(atoms.s1) + list(atoms.s2)]
    scale = max(s) if s and max(s) > 0 else mp.mpf(1)
    hi = max(scale * 100, target)
    lo = target if target > 0 else scale * mp.mpf(10) ** (-(mp.mp.dps // 2))
    p_cur = list(p)
    p_cur[k] = hi
    x = [mp.mpf(c.system.guess_value(u, dict(zip(c.params, p_cur)))) for u in c.unknowns]
    x = newton_mp(c, x, p_cur, atoms, tol=tol).x
    log_hi, log_lo = mp.log(hi), mp.log(lo)
    tau, dtau = mp.mpf(0), mp.mpf("0.1")
    while tau < 1:
        nxt = min(mp.mpf(1), tau + dtau)
        p_cur[k] = mp.exp((1 - nxt) * log_hi + nxt * log_lo) if nxt < 1 else lo
        try:
            x = newton_mp(c, x, p_cur, atoms, tol=tol, maxiter=25).x
            tau = nxt
            dtau = min(dtau * mp.mpf("1.6"), mp.mpf("0.5"))
        except ConvergenceError:
            dtau /= 4
            if dtau < mp.mpf("1e-8"):
                raise ConvergenceError(
                    f"continuation in lam stalled at lam = {mp.nstr(p_cur[k], 5)}") from None
    if target == 0:
        p_cur[k] = mp.mpf(0)
        x = newton_mp(c, x, p_cur, atoms, tol=tol).x
    return x
