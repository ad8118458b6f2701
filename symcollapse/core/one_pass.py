r"""Answers proved in one pass: the fast route of :func:`~symcollapse.core.decomposition.predict`.

:func:`~symcollapse.core.precision.confirmed` computes every reported number twice, at two
working precisions, and releases the digits on which the two agree.  Where the numbers can
be *proved* instead, one pass is enough.  At the working precision w = dps + 15:

1. **Newton in MPFR numbers** (gmpy2, lists of numbers, no matrices): damped from the
   system's large-ridge guess at float64's 53 bits — for a system with one root in the
   domain of its positive unknowns at λ > 0
   (:attr:`~symcollapse.core.equations.System.unique_root`) — then undamped to w digits
   (quadratic convergence: two or three steps).
2. **The Krawczyk test** in ball arithmetic (python-flint's arb) on the box
   :math:`X = \tilde x \pm r` around the Newton solution :math:`\tilde x`, r a thousand
   times its last correction:

   .. math:: K(X) = \tilde x - YF(\tilde x) + (I - YJ(X))(X - \tilde x),
             \qquad Y \approx J(\tilde x)^{-1} \text{ (float64)}.

   :math:`K(X) \subset \operatorname{int} X` proves that the fixed point has exactly one
   solution in X, and that it lies in K(X)
   (:func:`~symcollapse.core.certify.krawczyk_image`).
3. **Every reported number as a ball**: the four parts and the unknowns from that
   enclosure; the training errors (docs/theory/training.md) from the training system's
   fixed point, proved the same way, with df/n and GCV = E_train/(1 − df/n)².
4. **Released when proved**: a number is reported when both ends of its ball round to the
   same ``dps``-digit decimal.  It then *is* that decimal, correctly rounded — the same
   digits that the two-precision confirmation releases, with a proof instead of an
   agreement.

Anything else returns None, and the caller confirms at two precisions: no gmpy2 or
python-flint; a system that is not rational, has no unique root or sits at λ = 0, or a
parameter that is not an exact rational; numbers
spread over more orders of magnitude than float64 starts from; a start that does not
converge; a box that does not contract; a ball that holds 0 (a value that may be 0, which
the precision module's zero rules judge), or that straddles a rounding boundary (a
cancellation, or the rare number within its ball's width of a tie).
"""
from __future__ import annotations

import math
from fractions import Fraction

import mpmath as mp
import numpy as np

from symcollapse import models
from symcollapse.core import certify as cert, equations as eq
from symcollapse.core.compiled import (Compiled, atoms_mp, compile_system, from_mpfr,
                                       mpfr_precision, to_mpfr)
from symcollapse.core.equations import PARTS
from symcollapse.core.precision import GUARD
from symcollapse.core.regimes import Regime, parameter_values, training_family
from symcollapse.core.solve import FLOAT_SPREAD, spread_digits, start_value

try:        # both optional: without them every answer is confirmed at two precisions
    import gmpy2
    from flint import arb
except ImportError:
    gmpy2 = arb = None

#: Damped Newton steps of the start at 53 bits, at most.
START_STEPS = 40
#: The start is accepted when its scaled correction (see :func:`newton_mpfr`) is below this.
START_TOL = 1e-12
#: Undamped Newton steps from the start to the working precision, at most.
POLISH_STEPS = 6
#: The least contraction per step of Newton with a frozen Jacobian (:func:`newton_mpfr`).
CONTRACTION = 1e-6
#: The Krawczyk box: this many times the last Newton correction (or the rounding floor).
BOX = 1000



class Unproved(Exception):
    """A number whose digits one pass does not prove (the caller confirms instead)."""


def answer(regime: Regime, spec, dps: int) -> dict | None:
    """The values of :func:`~symcollapse.core.decomposition.predict` (the four parts,
    ``residual``, ``newton_step``, ``unknowns`` and, for models with a training probe, the
    training errors, ``df`` and ``gcv``), every reported number proved to its ``dps``
    digits in one pass; None where the pass proves nothing (see the module's text)."""
    system = regime.system
    if (gmpy2 is None or arb is None or system is None or regime.exact_zero
            or not regime.atoms or regime.null_atoms or not system.unique_root
            or not spec.lam > 0):
        return None
    c = compile_system(system)
    trains = models.get(spec.model).answers("training")
    tc = compile_system(training_family(system)) if trains else None
    if not c.mpfr_ready or (tc is not None and not tc.mpfr_ready):
        return None
    params = parameter_values(spec)
    if not all(isinstance(v, (int, Fraction)) for v in params.values()):
        return None                     # e.g. a constant known to its working precision only
    values = list(params.values()) + [1 - params[x] for _, x in c.complements] + [
        getattr(a, k) for a in regime.atoms for k in ("weight", "s1", "s2", "theta", "delta")]
    if spread_digits(values) > FLOAT_SPREAD:
        return None
    try:
        with mp.workdps(dps + GUARD), cert.ball_precision(dps, GUARD):
            return _answer(c, tc, params, regime.atoms, spec, dps)
    except Unproved:
        return None


def _answer(c: Compiled, tc, params: dict, atoms, spec, dps: int) -> dict:
    A = cert.arb_atoms(atoms)
    with mpfr_precision():
        start, lu = _start(c, params, atoms)
        x, correction, residual, _factors = newton_mpfr(
            c, start, params, atoms, tol=_tolerance(), steps=POLISH_STEPS, frozen=True, lu=lu)
    p = cert.arb_arguments(c, params)
    K = enclosure(c, x, correction, p, A)
    parts = cert.arb_system(c).outputs(K, p, A)
    out = {k: release(parts[k], dps) for k in PARTS}
    if not parts["test_error"] > 0:
        raise Unproved("the test error is not proved positive")
    out["residual"] = from_mpfr(residual)
    out["newton_step"] = from_mpfr(max(correction))
    out["unknowns"] = {str(u): release(k, dps) for u, k in zip(c.unknowns, K)}
    if tc is not None:
        out.update(_training(tc, dict(zip(c.unknowns, x)), parts["test_error"], params,
                             atoms, A, spec, dps))
    return out


def _training(tc: Compiled, solved: dict, test_error, params: dict, atoms, A, spec,
              dps: int) -> dict:
    r"""The training errors :math:`E_{\rm train,j} \simeq e_j^2(G_j + \sigma_j^2)`, df/n
    and GCV as proved numbers, the training system solved from the test error's solution
    (its rates along Σ₂ started at their guesses: they enter linearly)."""
    with mpfr_precision():
        x0 = [solved[u] if u in solved else to_mpfr(start_value(tc, u, params))
              for u in tc.unknowns]
        x, correction, _res, _factors = newton_mpfr(
            tc, x0, params, atoms, tol=_tolerance(), steps=POLISH_STEPS, frozen=True)
    p = cert.arb_arguments(tc, params)
    K = enclosure(tc, x, correction, p, A)
    outs = cert.arb_system(tc).outputs(K, p, A)
    ball = cert.to_arb
    train = eq.training_errors(test_error, outs, ball(spec.p2), ball(spec.sigma1),
                               ball(spec.sigma2), p1_value=ball(spec.p1),
                               groups=(spec.p2 != 1, spec.p2 != 0))
    if not outs["gap"] > 0:
        raise Unproved("1 - df/n is not proved positive")
    train["df"] = outs["df"]
    train["gcv"] = train["train_error"] / outs["gap"] ** 2
    return {k: None if v is None else release(v, dps) for k, v in train.items()}


def _tolerance():
    """The polish's tolerance: 10^-(w-8) at the working precision w (Newton's own)."""
    return gmpy2.mpfr(10) ** (-(mp.mp.dps - 8))


def _start(c: Compiled, params: dict, atoms):
    """Damped Newton at 53 bits from the large-ridge guess: ``(x, lu)``, the solution as
    MPFR numbers and the factored Jacobian of its last step (a polish at the working
    precision keeps it: :func:`newton_mpfr` with ``frozen``)."""
    guess = [to_mpfr(start_value(c, u, params)) for u in c.unknowns]
    with mp.workprec(53), mpfr_precision():
        x, _corr, _res, lu = newton_mpfr(c, guess, params, atoms, tol=gmpy2.mpfr(START_TOL),
                                         steps=START_STEPS, damped=True)
    return x, lu


def newton_mpfr(c: Compiled, x, params: dict, atoms, *, tol, steps: int, damped=False,
                frozen=False, lu=None):
    r"""Newton on lists of MPFR numbers at mpmath's working precision (inside
    :func:`~symcollapse.core.compiled.mpfr_precision`).  Returns ``(x − Δ, the sizes of
    Δ's entries, the largest residual of F(x), lu)`` at the first correction
    Δ = J⁻¹F(x) whose scaled size is at most ``tol`` — :math:`|\Delta_i|/|x_i|` for a
    positive unknown, :math:`|\Delta_i|/\max_k|x_k|` for the others; ``lu`` is the last
    factorization of J used.

    ``frozen``: J is factored once, at the start (or ``lu`` is given: e.g. a lower
    precision's), and every step must shrink the correction by :data:`CONTRACTION` at
    least — with J known to float64's accuracy that is 10⁻¹⁴ or so per step, and only
    the residuals are evaluated.  ``damped``: outside the quadratic zone (a scaled
    correction above 10⁻⁶) a step x − tΔ is taken when the simplified correction
    J(x)⁻¹F(x − tΔ), scaled, is below (1 − t/4) times that of Δ (Deuflhard's natural
    monotonicity test), t halved until it is.  Every step keeps the positive unknowns
    positive.  Raises :class:`Unproved` where it does not converge in ``steps`` steps, or
    J is singular."""
    p = c.mpfr_arguments(params)
    A = atoms_mp(atoms)
    pos = {c.unknowns.index(u) for u in c.system.positive}
    F, J = c.residual_jacobian_mpfr(x, p, A, jacobian=lu is None)
    lu = lu or _lu(J, len(x))
    previous = None
    for _ in range(steps):
        step = _lu_solve(lu, F)
        size = _scaled(step, x, pos)
        if size <= tol:
            done = [a - d for a, d in zip(x, step)]
            if any(not done[i] > 0 for i in pos):
                break
            return done, [abs(d) for d in step], max(abs(v) for v in F), lu
        if frozen and previous is not None and not size <= previous * CONTRACTION:
            break
        t = gmpy2.mpfr(1)
        for _half in range(40):
            trial = [a - t * d for a, d in zip(x, step)]
            if all(trial[i] > 0 for i in pos):
                Ft, Jt = c.residual_jacobian_mpfr(trial, p, A, jacobian=not frozen)
                if not damped or size <= 1e-6 or \
                        _scaled(_lu_solve(lu, Ft), x, pos) <= (1 - t / 4) * size:
                    break
            t /= 2
        else:
            break
        x, F, previous = trial, Ft, size
        if not frozen:
            lu = _lu(Jt, len(x))
    raise Unproved("Newton in MPFR numbers did not converge")


def _scaled(step, x, pos) -> float:
    top = max(abs(v) for v in x)
    size = gmpy2.mpfr(0)
    for i, (d, v) in enumerate(zip(step, x)):
        ref = abs(v) if i in pos and v else top
        if not gmpy2.is_finite(d) or not ref:
            return gmpy2.inf()
        size = max(size, abs(d) / ref)
    return size


def _lu(J, n: int):
    """J (flat, row-major) factored with partial pivoting: ``(rows, perm)``; raises
    :class:`Unproved` for a pivot at the rounding level of J's largest entry (the
    pass then leaves the point to the two-precision route, which equilibrates)."""
    A = [list(J[i * n:(i + 1) * n]) for i in range(n)]
    if not all(gmpy2.is_finite(v) for row in A for v in row):
        raise Unproved("a Jacobian entry is not finite")
    perm = list(range(n))
    floor = gmpy2.mpfr(2) ** (-(mp.mp.prec - 8)) * max(abs(v) for row in A for v in row)
    for k in range(n):
        piv = max(range(k, n), key=lambda i: abs(A[i][k]))
        if not abs(A[piv][k]) > floor:
            raise Unproved("the Jacobian is singular at this precision")
        A[k], A[piv] = A[piv], A[k]
        perm[k], perm[piv] = perm[piv], perm[k]
        for i in range(k + 1, n):
            f = A[i][k] / A[k][k]
            A[i][k] = f
            for j in range(k + 1, n):
                A[i][j] -= f * A[k][j]
    return A, perm


def _lu_solve(lu, F) -> list:
    A, perm = lu
    n = len(A)
    b = [F[perm[i]] for i in range(n)]
    for i in range(n):
        for j in range(i):
            b[i] -= A[i][j] * b[j]
    for i in reversed(range(n)):
        for j in range(i + 1, n):
            b[i] -= A[i][j] * b[j]
        b[i] /= A[i][i]
    return b


def enclosure(c: Compiled, x, correction, p, A) -> list:
    """The Krawczyk enclosure (balls) of the fixed point of ``c`` near the MPFR solution
    ``x`` (``p``, ``A``: the arguments and atoms as exact balls), in a box of radius :data:`BOX` times the last correction (at least
    :data:`BOX` times the working precision's rounding of each unknown); raises
    :class:`Unproved` when the box does not contract."""
    sys_ = cert.arb_system(c)
    xt = [_ball(v) for v in x]
    top = max(abs(v) for v in x)
    floor = gmpy2.mpfr(2) ** (-(mp.mp.prec - 8))
    radius = [BOX * max(d, floor * (abs(v) or top)) for v, d in zip(x, correction)]
    X = [arb(b, _ball(r)) for b, r in zip(xt, radius)]
    F = sys_.residual(xt, p, A)
    JX = sys_.jacobian(X, p, A)
    if not all(v.is_finite() for v in F) or not all(v.is_finite() for row in JX for v in row):
        raise Unproved("the residuals are not finite on the box")
    n = len(x)
    with np.errstate(all="ignore"):
        J0 = np.array([[float(JX[i][j].mid()) for j in range(n)] for i in range(n)])
        try:
            Y = np.linalg.inv(J0)
        except np.linalg.LinAlgError:
            raise Unproved("J(x) is singular in float64") from None
    if not np.all(np.isfinite(Y)):
        raise Unproved("J(x) is singular in float64")
    K = cert.krawczyk_image(xt, X, F, JX, [[arb(float(v)) for v in row] for row in Y])
    if K is None:
        raise Unproved("the Krawczyk box does not contract")
    return K


def release(b, dps: int):
    """The ball ``b`` as its ``dps``-digit decimal (the mpf nearest to it, as
    :func:`~symcollapse.core.precision.rounded` gives), when both ends of the ball round
    to it; 0 for the exact ball 0.  Raises :class:`Unproved` otherwise."""
    if b.is_zero():
        return mp.mpf(0)
    if not b.is_finite() or b.contains(0):
        raise Unproved("a ball holds 0")
    man, exp = b.mid().man_exp()
    e = math.floor((int(exp) + int(man).bit_length() - 1) * math.log10(2))
    for _try in range(3):
        n = (b * arb(10) ** (dps - 1 - e) + arb(1) / 2).floor().unique_fmpz()
        if n is None:
            raise Unproved("a ball straddles a rounding boundary")
        n = int(n)
        if abs(n) < 10 ** (dps - 1):
            e -= 1
        elif abs(n) > 10 ** dps:
            e += 1
        else:
            with mp.workdps(dps):
                return mp.mpf(f"{n}e{e - dps + 1}")
    raise Unproved("no decimal exponent found")


def _ball(v):
    """An MPFR number as an exact ball."""
    if not v:
        return arb(0)
    man, exp = v.as_mantissa_exp()
    return arb((int(man), int(exp)))
