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
        step = _batched_solve(J, F)
        bad = ~np.all(np.isfinite(step), axis=1)
        step[bad] = 0.0
        scale = 1 + np.max(np.abs(x[idx]), axis=1)
        norm = np.max(np.abs(step), axis=1)
        tiny = norm <= tol * scale
        stall[idx] = np.where(norm < 0.5 * size[idx], 0, stall[idx] + 1)
        size[idx] = np.where(bad, np.inf, norm)
        t = np.ones(len(idx))
        accepted = tiny.copy()
        x_new = np.where(tiny[:, None], x[idx] - step, x[idx])
        for _half in range(30):
            if accepted.all():
                break
            trial = x[idx] - t[:, None] * step
            ok_pos = np.all(trial[:, pos] > 0, axis=1) if len(pos) else np.ones(len(idx), bool)
            Ft = c.residual_np(trial, p[idx], atoms)
            simplified = np.max(np.abs(_batched_solve(J, Ft)), axis=1)
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


def _batched_solve(J, F):
    try:
        return np.linalg.solve(J, F[..., None])[..., 0]
    except np.linalg.LinAlgError:
        out = np.full_like(F, np.nan)
        for i in range(J.shape[0]):
            try:
                out[i] = np.linalg.solve(J[i], F[i])
            except np.linalg.LinAlgError:
                pass
        return out


def initial_guess(c: Compiled, p_row: dict):
    """The system's first-order guess at a large ridge, as floats."""
    return np.array([float(c.system.guess_value(x, p_row)) for x in c.unknowns])


def continuation_np(c: Compiled, p, atoms: AtomArrays, *, lam_start=None, tol=1e-12,
                    max_steps=400):
    """Solve P points by continuation in λ from a large ridge to each point's own λ.

    ``p`` is (P, n_params) with the target values.  Returns ``(x, converged, residual)``.
    Systems without λ (none of ours) are solved by plain Newton from the guess.
    """
    p = np.array(p, dtype=float)
    P = p.shape[0]
    if LAM not in c.params:
        x0 = np.stack([initial_guess(c, dict(zip(c.params, row))) for row in p])
        return newton_np(c, x0, p, atoms, tol=tol)
    k = c.params.index(LAM)
    target = p[:, k].copy()
    scale = _spectral_scale(atoms)
    hi = np.full(P, scale * 1e2 if lam_start is None else lam_start)
    hi = np.maximum(hi, target)
    lo = np.where(target > 0, target, scale * 1e-12)
    # start: Newton at λ = hi from the first-order guess
    p_cur = p.copy()
    p_cur[:, k] = hi
    x0 = np.stack([initial_guess(c, dict(zip(c.params, row))) for row in p_cur])
    x, ok, res = newton_np(c, x0, p_cur, atoms, tol=tol)
    tries = 0
    while not ok.all() and tries < 4:  # raise the starting ridge further
        tries += 1
        hi = np.where(ok, hi, hi * 1e3)
        p_cur[:, k] = hi
        x0 = np.stack([initial_guess(c, dict(zip(c.params, row))) for row in p_cur])
        x2, ok2, res2 = newton_np(c, x0, p_cur, atoms, tol=tol)
        x, ok, res = np.where(ok[:, None], x, x2), ok | ok2, np.where(ok, res, res2)
    if not ok.all():
        return x, ok, res
    log_hi, log_lo = np.log(hi), np.log(lo)
    tau, dtau = 0.0, 0.1
    steps = 0
    while tau < 1.0 and steps < max_steps:
        steps += 1
        nxt = min(1.0, tau + dtau)
        p_try = p.copy()
        p_try[:, k] = np.exp((1 - nxt) * log_hi + nxt * log_lo)
        if nxt == 1.0:
            p_try[:, k] = lo
        x_try, ok_try, res_try = newton_np(c, x, p_try, atoms, tol=tol, maxiter=25)
        if ok_try.all():
            x, res, tau = x_try, res_try, nxt
            dtau = min(dtau * 1.6, 0.5)
        else:
            dtau /= 4
            if dtau < 1e-6:
                return x_try, ok_try, res_try
    if tau < 1.0:
        return x, np.zeros(P, bool), res
    # final step to exactly λ = 0 where asked
    if np.any(target == 0):
        x_final, ok_final, res_final = newton_np(c, x, p, atoms, tol=tol)
        return x_final, ok_final, res_final
    return x, np.ones(P, bool), res


def _spectral_scale(atoms: AtomArrays) -> float:
    s = np.concatenate([np.asarray(atoms.s1, float), np.asarray(atoms.s2, float)])
    m = float(np.max(s)) if s.size else 1.0
    return m if m > 0 else 1.0


# ----------------------------------------------------------------------------- mpmath

def newton_mp(c: Compiled, x0, p, atoms: AtomArrays, *, tol, maxiter=60):
    """Damped Newton at the current mpmath precision.  Returns a :class:`Solution`.

    Damping by the natural monotonicity test (see :func:`newton_np`).  Converged when a
    full Newton correction is below ``tol·(1 + ‖x‖∞)``: the step is taken and one more
    correction ‖J⁻¹F‖∞ is measured (with quadratic convergence it bounds the remaining
    error of the unknowns).
    """
    x = mp.matrix([mp.mpf(v) for v in x0])
    n = len(x)
    pos = [c.unknowns.index(u) for u in c.system.positive]
    last = mp.inf
    for it in range(1, maxiter + 1):
        F, J = c.residual_jacobian_mp(list(x), p, atoms)
        step = _lu_step(J, F, it, mp.norm(F, mp.inf))
        size = mp.norm(step, mp.inf)
        if size <= tol * (1 + mp.norm(x, mp.inf)):
            x = x - step
            if not all(x[i] > 0 for i in pos):
                raise ConvergenceError(f"Newton: converged outside the domain (> 0) of "
                                       f"{', '.join(str(u) for u in c.system.positive)}")
            F, J = c.residual_jacobian_mp(list(x), p, atoms)
            try:
                corr = mp.norm(mp.lu_solve(J, F), mp.inf)
            except ZeroDivisionError:
                corr = mp.inf
            return Solution(x=[x[i] for i in range(n)], residual=mp.norm(F, mp.inf), step=corr,
                            iterations=it)
        t = mp.mpf(1)
        for _half in range(80):
            trial = x - t * step
            if all(trial[i] > 0 for i in pos):
                Ft = c.residual_mp(list(trial), p, atoms)
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
        x = trial
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
