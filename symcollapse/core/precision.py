r"""Working precision: held for the duration of a call, and every reported digit confirmed.

mpmath keeps its precision in one process-wide context (``mp.dps``).  The toolkit's
numerical entry points change it only under :func:`serialized`, which takes a
process-wide re-entrant lock: calls from several threads run one after the other, each at its own
precision, and the caller's precision is restored afterwards.  (Other mpmath code that
runs in a parallel thread while a toolkit call holds the lock sees the call's precision;
run such code in another process.)

A value reported to ``dps`` significant digits is computed twice (:func:`confirmed`), at
working precisions :math:`w_1 = \mathrm{dps} + g` and :math:`w_2 = w_1 + 10`, the second
warm-started from the first.  The digits are released when the two agree to
:math:`\mathrm{dps} + 2` digits and the more precise value, moved by their difference in
either direction, still rounds to the same ``dps``-digit decimal (Ziv's test); otherwise
the guard g doubles and the computation runs again.  Each released value is the mpf
nearest to its correctly rounded ``dps``-digit decimal, so that printing it with ``dps``
digits gives that decimal.

(Where every reported number can be proved in one pass instead — a Krawczyk enclosure of
the fixed point and each number a ball whose both ends round to the same decimal —
:mod:`symcollapse.core.one_pass` answers without this confirmation, with the same digits.)

Before that, every output of a fixed point is evaluated once more in ball arithmetic, its
unknowns as balls of their Newton error bounds (:func:`check_balls`): a ball wider than
10⁻⁽ᵈᵖˢ⁺³⁾ of its value — a cancellation, or a value sensitive to an unknown known only to
a few digits — raises the precision by the digits it lacks, a cancellation that two
nearby precisions would lose alike included.  A ball that contains 0 and is narrower than
:math:`10^{-(2\,\mathrm{dps}+60)}` of the largest output proves its value 0 to that level
(e.g. a training error that vanishes where every row is fitted): it is reported as 0.
Where every output is 0 (a noiseless fit that recovers its target exactly) the level is
taken of the problem's own error scale instead (see
:func:`~symcollapse.core.decomposition.error_scale`).
"""
from __future__ import annotations

import functools
import threading

import mpmath as mp

from symcollapse.core.errors import ConvergenceError

#: Guard digits of the first working precision (w1 = dps + GUARD).
GUARD = 15
#: The second precision of a confirmation is this many digits above the first.
CONFIRM_STEP = 10

_LOCK = threading.RLock()


def serialized(fn):
    """Decorator: ``fn`` runs holding the toolkit's process-wide precision lock, and the
    caller's precision is restored when it returns (or raises)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _LOCK:
            saved = mp.mp.prec
            try:
                return fn(*args, **kwargs)
            finally:
                mp.mp.prec = saved
    return wrapper


class ShortOfDigits(ConvergenceError):
    """The working precision resolves fewer digits of a number than are to be reported
    (a cancellation, or a number sensitive to the unknowns); ``digits`` more are needed."""

    def __init__(self, message, digits):
        super().__init__(message)
        self.digits = digits


def check_balls(balls: dict, dps: int, w: int, reference=0) -> set:
    """Judge output balls (name → (mid, rad), mpf) against ``dps`` digits.

    Returns the names of the balls that prove their value 0 to the documented level: they
    contain 0 and their radius is below :math:`10^{-z}` of the largest midpoint (z =
    :func:`zero_digits`), or of ``reference`` (the problem's own scale) when every
    midpoint is 0 — such a value is reported as 0.  Raises :class:`ShortOfDigits`
    when another ball is wider than 10^-(dps+3) of its midpoint, asking for the digits that
    would narrow it enough."""
    scale = max((abs(m) for m, _ in balls.values() if mp.isfinite(m)), default=mp.mpf(0))
    if scale == 0:
        scale = mp.mpf(reference)
    zero_level = scale * mp.mpf(10) ** (-zero_digits(dps))
    zeros, need = set(), 0
    for name, (mid, rad) in balls.items():
        if not mp.isfinite(rad):
            need = max(need, w)
            continue
        if rad <= abs(mid) * mp.mpf(10) ** (-(dps + 3)):
            continue
        if abs(mid) <= rad <= zero_level:
            zeros.add(name)
            continue
        target = max(abs(mid) * mp.mpf(10) ** (-(dps + 3)), zero_level)
        if target == 0:
            need = max(need, w)
            continue
        need = max(need, int(mp.ceil(mp.log10(rad / target))) + 1)
    if need:
        raise ShortOfDigits(f"the outputs need {need} more digits than {w}", need)
    return zeros


def max_guard(dps: int) -> int:
    """The largest guard :func:`confirmed` tries: ``max(480, 4·dps)`` digits."""
    return max(480, 4 * dps)


def confirmed(evaluate, dps: int, *, what: str = "the answer", unchecked=()):
    """Run ``evaluate(warm)`` at rising working precisions until its numbers are confirmed
    to ``dps`` digits.

    ``evaluate`` is called inside ``mp.workdps(w)`` with ``warm`` (None at first, then
    what its previous call returned second) and returns ``(values, warm)``, or raises
    :class:`ShortOfDigits` (the precision then rises by the digits it asks for): ``values`` a
    dict whose mpf entries (also inside lists and dicts) are the reported numbers.
    Returns ``(values, w, warm)``: the values of the last run, every mpf rounded correctly
    to ``dps`` digits, the working precision they were confirmed at, and the last run's
    ``warm`` (its unrounded solutions, e.g. for a certificate).  Keys in
    ``unchecked`` (e.g. a residual, which is a rounding floor) are neither compared nor
    rounded.  Raises
    :class:`~symcollapse.core.errors.ConvergenceError` when no precision up to ``dps + max_guard(dps)`` agrees.
    """
    guard, warm, previous = GUARD, None, None
    while True:
        w = dps + guard
        try:
            with mp.workdps(w):
                values, warm = evaluate(warm)
        except ShortOfDigits as exc:   # a cancellation: start again, that much higher
            guard += exc.digits + CONFIRM_STEP
            previous = None
            if guard > max_guard(dps):
                raise ConvergenceError(f"{what}: the digits could not be confirmed ({exc}, "
                                       f"beyond {dps + max_guard(dps)} digits)") from None
            continue
        if previous is not None:
            checked = _without(values, unchecked)
            if _agree(_without(previous, unchecked), checked, dps):
                out = round_values(checked, dps)
                out.update({k: values[k] for k in unchecked if k in values})
                return out, w, warm
            guard = 2 * guard
        else:
            guard += CONFIRM_STEP
        if guard > max_guard(dps):
            raise ConvergenceError(
                f"{what}: the digits could not be confirmed (working precision up to "
                f"{dps + guard // 2} digits gave different values)")
        previous = values


def _without(values: dict, keys) -> dict:
    return {k: v for k, v in values.items() if k not in keys}


def _agree(a, b, dps: int) -> bool:
    """Whether ``b`` (the more precise run) confirms ``a`` to ``dps`` digits, each number
    relative to its own magnitude (0 only by 0)."""
    if isinstance(b, dict):
        return isinstance(a, dict) and a.keys() == b.keys() and all(
            _agree(a[k], b[k], dps) for k in b)
    if isinstance(b, (list, tuple)):
        return isinstance(a, (list, tuple)) and len(a) == len(b) and all(
            _agree(x, y, dps) for x, y in zip(a, b))
    if not (isinstance(a, mp.mpf) and isinstance(b, mp.mpf)):
        return type(a) is type(b) and a == b
    return _digits_agree(a, b, dps)


def _digits_agree(a, b, dps: int) -> bool:
    if mp.isinf(b) or mp.isinf(a) or mp.isnan(a) or mp.isnan(b):
        return a == b
    if b == 0 or a == 0:
        return a == b
    with mp.workdps(mp.mp.dps + 2 * dps):
        gap = abs(a - b)
        if gap > abs(b) * mp.mpf(10) ** (-(dps + 2)):
            return False
        return mp.nstr(b - gap, dps) == mp.nstr(b + gap, dps)


def zero_digits(dps: int) -> int:
    """A number proved (in ball arithmetic) to lie below :math:`10^{-z}` of the largest
    number computed beside it, z = 2·dps + 60, is reported as 0."""
    return 2 * dps + 60


def round_values(values, dps: int):
    """Every mpf in ``values`` replaced by the mpf of its ``dps``-digit decimal."""
    if isinstance(values, dict):
        return {k: round_values(v, dps) for k, v in values.items()}
    if isinstance(values, list):
        return [round_values(v, dps) for v in values]
    if isinstance(values, tuple):
        return tuple(round_values(v, dps) for v in values)
    if isinstance(values, mp.mpf):
        return rounded(values, dps)
    return values


def rounded(v, dps: int):
    """The mpf nearest to ``v`` correctly rounded to ``dps`` significant decimal digits
    (infinities and zero unchanged)."""
    if not mp.isfinite(v) or v == 0:
        return v
    text = mp.nstr(v, dps, min_fixed=1, max_fixed=0)
    with mp.workdps(dps):
        return mp.mpf(text)
