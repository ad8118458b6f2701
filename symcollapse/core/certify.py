r"""Certified enclosures: existence, uniqueness and proven digits by interval Newton.

The fixed point F(x) = 0 of a system (:mod:`symcollapse.core.equations`) is proved by the
Krawczyk test in ball arithmetic (python-flint's ``arb``; every operation returns a ball
that contains the exact result).  With x̃ the Newton solution, Y ≈ J(x̃)⁻¹ (any matrix)
and the box X = x̃ + [−r, r]ⁿ,

.. math::
    K(X) = \tilde x - Y F(\tilde x) + (I - Y J(X))(X - \tilde x).

If K(X) lies in the interior of X, F has exactly one zero in X and it lies in K(X)
(Krawczyk 1969; Moore 1977): the interval Jacobian J(X) is evaluated over the whole box,
the parameters and atoms are balls around their exact rational values, and the atom
traces tr f(Σ, x) = Σ_k w_k f(atom_k, x) are summed in ball arithmetic.  The error parts
(Bias, Var, ζ, E_test) are then evaluated over K(X), giving intervals that contain the
exact deterministic equivalent; the number of proven digits is ⌊−log₁₀(radius / abs(midpoint))⌋.

A failed test is reported as :class:`CertificationError` (exit status 3), never as a
number.  The SymPy expressions are printed for ``arb`` by :class:`ArbPrinter`: rational
constants become exact ball quotients, never binary floats.
"""
from __future__ import annotations

import contextlib
import decimal
import functools
import importlib
import math
from fractions import Fraction

import mpmath as mp
import sympy as sp
from sympy.printing.lambdarepr import LambdaPrinter

from symcollapse.core import equations as eq
from symcollapse.core.codegen import lambdify
from symcollapse.core.equations import PARTS
from symcollapse.core.errors import ConvergenceError, RegimeError, UnsupportedError
from symcollapse.core.precision import max_guard
from symcollapse.core.regimes import parameter_values
from symcollapse.core.solve import Factored, newton_to_tolerance


class CertificationError(RegimeError):
    """The interval Newton test did not prove a unique fixed point (exit status 3)."""


class ArbPrinter(LambdaPrinter):
    """Print SymPy expressions as python-flint ``arb`` arithmetic."""

    def _print_Rational(self, expr):
        return f"(arb({int(expr.p)})/arb({int(expr.q)}))"

    def _print_Integer(self, expr):
        return f"arb({int(expr.p)})"

    def _print_Half(self, expr):
        return "(arb(1)/arb(2))"

    def _print_Float(self, expr):
        raise TypeError("a binary float inside an expression cannot be certified")

    def _print_Pow(self, expr, rational=False):
        base, exp = expr.args
        if exp.is_Integer:
            return f"({self._print(base)})**({int(exp)})"
        if exp == sp.S.Half:
            return f"({self._print(base)}).sqrt()"
        if exp == -sp.S.Half:
            return f"(1/({self._print(base)}).sqrt())"
        raise TypeError(f"cannot certify the power {expr}")


def _namespace():
    from flint import arb
    return {"arb": arb}


def _lambdify(args, exprs, store=None):
    return lambdify(args, exprs, [_namespace()], store, printer=ArbPrinter)


class ArbSystem:
    """The lambdified ball-arithmetic evaluators of a :class:`~symcollapse.core.compiled.Compiled`."""

    def __init__(self, c):
        self.c = c
        self.n = len(c.unknowns)
        sg, og = c.solve_group, c.output_group
        self.solve_traces = _lambdify(sg.args, sg.integrands, c.store_key("solve")) if sg.integrands else None
        self.out_traces = _lambdify(og.args, og.integrands, c.store_key("outputs")) if og.integrands else None
        self.F = _lambdify(c._outer_args_solve, c._F, c.store_key("F"))
        self.J = _lambdify(c._outer_args_solve, c._J, c.store_key("J"))
        self.O = _lambdify(c._outer_args_out, c._O, c.store_key("O"))

    def _traces(self, f, x, p, atoms):
        if f is None:
            return []
        acc = None
        for w, *vals in atoms:
            t = f(*vals, *x, *p)
            if acc is None:
                acc = [w * v for v in t]
            else:
                acc = [a + w * v for a, v in zip(acc, t)]
        return acc if acc is not None else []

    def residual(self, x, p, atoms):
        return list(self.F(*x, *p, *self._traces(self.solve_traces, x, p, atoms)))

    def jacobian(self, x, p, atoms):
        flat = list(self.J(*x, *p, *self._traces(self.solve_traces, x, p, atoms)))
        n = self.n
        return [flat[i * n:(i + 1) * n] for i in range(n)]

    def outputs(self, x, p, atoms):
        vals = self.O(*x, *p, *self._traces(self.out_traces, x, p, atoms))
        return dict(zip(self.c.output_names, vals))


@functools.lru_cache(maxsize=64)
def arb_system(c) -> ArbSystem:
    return ArbSystem(c)


def to_arb(value):
    """An exact number (Fraction, int, mpf) as a ball containing it exactly; a constant
    evaluated at the working precision (an object with ``_mpf_``) is taken at it."""
    from flint import arb
    if getattr(value, "ball", None) is not None:      # a constant with its proven enclosure
        return value.ball()
    if hasattr(value, "_mpf_") and not isinstance(value, mp.mpf):
        value = mp.mpf(value)
    if isinstance(value, Fraction):
        return arb(int(value.numerator)) / arb(int(value.denominator))
    if isinstance(value, int):
        return arb(int(value))
    if isinstance(value, mp.mpf):
        if not value:
            return arb(0)
        sign, man, exp, _bc = value._mpf_
        b = arb(int(man)) * arb(2) ** int(exp)
        return -b if sign else b
    if isinstance(value, sp.Rational):
        return arb(int(value.p)) / arb(int(value.q))
    raise TypeError(f"cannot enclose {value!r}")


def arb_arguments(c, params: dict) -> list:
    """The argument list of a compiled system (its parameters, then the complements
    1 − x) as exact balls, from exact values (``params``: symbol → Fraction)."""
    return [to_arb(params[s]) for s in c.params] + \
        [to_arb(1 - params[x]) for _, x in c.complements]


def arb_atoms(atoms, fields=()) -> list:
    """Atoms as rows of exact balls: weight, s1, s2, θ, δ, then the values of the
    coordinate ``fields`` (:class:`~symcollapse.core.equations.Field`) they carry."""
    return [(to_arb(a.weight), to_arb(a.s1), to_arb(a.s2), to_arb(a.theta), to_arb(a.delta),
             *[to_arb(mp.mpf(a.fields[f.name])) for f in fields]) for a in atoms]


def _exact_fraction(b) -> Fraction:
    """The exact value of a radius-0 ball (a midpoint or a radius)."""
    man, exp = b.man_exp()
    man, exp = int(man), int(exp)
    return Fraction(man * 2 ** exp) if exp >= 0 else Fraction(man, 2 ** -exp)


def _exact_mpf(b):
    """The exact value of a radius-0 ball as an mpf (with as many bits as it needs)."""
    man, exp = b.man_exp()
    man, exp = int(man), int(exp)
    if not man:
        return mp.mpf(0)
    with mp.workprec(max(53, abs(man).bit_length() + 8)):
        return mp.ldexp(mp.mpf(man), exp)


def bounds(b):
    """Exact end points (Fractions) of a ball: mid − rad and mid + rad."""
    mid, rad = _exact_fraction(b.mid()), _exact_fraction(b.rad())
    return mid - rad, mid + rad


def _fraction_mpf(x: Fraction):
    """A dyadic Fraction as an exact mpf."""
    num, den = x.numerator, x.denominator
    k = den.bit_length() - 1
    assert den == 1 << k, "end points of balls are dyadic"
    if not num:
        return mp.mpf(0)
    with mp.workprec(max(53, abs(num).bit_length() + 8)):
        return mp.ldexp(mp.mpf(num), -k)


def mpf_fraction(x) -> Fraction:
    """An mpf as the exact Fraction it is."""
    if not x:
        return Fraction(0)
    sign, man, exp, _bc = x._mpf_
    f = Fraction(int(man) * 2 ** exp) if exp >= 0 else Fraction(int(man), 2 ** -exp)
    return -f if sign else f


def decimal_bounds(lo: Fraction, hi: Fraction, digits: int):
    """Decimal strings of ``digits`` significant digits rounded outward: the printed
    interval still contains [lo, hi]."""
    out = []
    for x, rounding in ((lo, decimal.ROUND_FLOOR), (hi, decimal.ROUND_CEILING)):
        ctx = decimal.Context(prec=max(1, digits), rounding=rounding, Emax=10 ** 6,
                              Emin=-10 ** 6)
        d = ctx.divide(decimal.Decimal(x.numerator), decimal.Decimal(x.denominator))
        out.append(format(d, "e") if d and (abs(d.adjusted()) > 20) else format(d, "f"))
    return tuple(out)


def krawczyk(sys_: ArbSystem, x_mid, p, atoms, radius):
    """The Krawczyk test on the box x̃ ± radius (radius: one per unknown, mpf).
    Returns the enclosure K(X) (list of balls) if K(X) ⊂ int X, else None."""
    from flint import arb
    n = sys_.n
    xt = [to_arb(v) for v in x_mid]
    X = [arb(to_arb(v).mid(), to_arb(r).mid()) for v, r in zip(x_mid, radius)]
    F = sys_.residual(xt, p, atoms)
    JX = sys_.jacobian(X, p, atoms)
    if not all(v.is_finite() for v in F) or not all(v.is_finite() for row in JX for v in row):
        return None
    # Y: an approximate inverse of J(x̃), as exact (radius 0) numbers
    J0 = mp.matrix([[_exact_mpf(JX[i][j].mid()) for j in range(n)] for i in range(n)])
    try:
        Yf = Factored(J0).inverse()
    except ZeroDivisionError:
        return None
    Y = [[to_arb(Yf[i, j]) for j in range(n)] for i in range(n)]
    return krawczyk_image(xt, X, F, JX, Y)


def krawczyk_image(xt, X, F, JX, Y):
    r"""The Krawczyk operator :math:`K(X) = \tilde x - YF(\tilde x) + (I - YJ(X))(X -
    \tilde x)` (balls: ``xt`` the midpoint, ``X`` the box, ``F`` = F(x̃), ``JX`` = J(X) as
    rows, ``Y`` any exact matrix, ideally near J(x̃)⁻¹).  When K(X) lies in the interior
    of X, F has exactly one zero in X, and it lies in K(X): returns K(X), else None."""
    from flint import arb
    n = len(xt)
    D = [X[j] - xt[j] for j in range(n)]
    K = []
    for i in range(n):
        yf = sum((Y[i][k] * F[k] for k in range(n)), arb(0))
        acc = xt[i] - yf
        for j in range(n):
            m = (arb(1) if i == j else arb(0)) - sum((Y[i][k] * JX[k][j] for k in range(n)),
                                                      arb(0))
            acc += m * D[j]
        K.append(acc)
    if all(X[i].contains_interior(K[i]) for i in range(n)):
        return K
    return None


def newton_correction(sys_: ArbSystem, x_mid, p, atoms):
    r""":math:`|J(\tilde x)^{-1}F(\tilde x)|` per unknown (mpf), from the residual in ball
    arithmetic."""
    n = sys_.n
    xt = [to_arb(v) for v in x_mid]
    F = sys_.residual(xt, p, atoms)
    J = sys_.jacobian(xt, p, atoms)
    Fm = mp.matrix([_exact_mpf(v.mid()) for v in F])
    Fr = mp.matrix([_exact_mpf(v.rad()) for v in F])
    Jm = mp.matrix([[_exact_mpf(J[i][j].mid()) for j in range(n)] for i in range(n)])
    try:
        Ji = Factored(Jm).inverse()
    except ZeroDivisionError:
        return [mp.mpf(0)] * n
    d = Ji * Fm
    return [abs(d[i]) + sum(abs(Ji[i, j]) * Fr[j] for j in range(n)) for i in range(n)]


def _digits(ball, dps):
    """Proven significant digits of a ball (capped at dps); exact zero gives dps."""
    mid, rad = abs(_exact_fraction(ball.mid())), _exact_fraction(ball.rad())
    if rad == 0:
        return dps
    if mid <= rad:
        return 0
    ratio = mp.mpf(rad.numerator) / rad.denominator / (mp.mpf(mid.numerator) / mid.denominator)
    return max(0, min(dps, int(math.floor(-mp.log10(ratio)))))


@contextlib.contextmanager
def ball_precision(dps: int, guard: int = 20):
    """The ball-arithmetic working precision for ``dps`` reported digits and ``guard``
    extra ones (restored after)."""
    from flint import ctx
    old = ctx.prec
    ctx.prec = int((dps + guard) * 3.33) + 32
    try:
        yield
    finally:
        ctx.prec = old


def enclose(c, x_mid, params: dict, atoms, dps: int, extra=None):
    """Prove the fixed point of compiled system ``c`` near ``x_mid`` and enclose its
    outputs.  ``params`` maps parameter symbols to exact values, ``atoms`` are
    :class:`~symcollapse.core.spec.Atom`.  ``extra(X)`` (optional) returns ball corrections
    to add to the outputs (atoms seen by no group).  Returns a dict part → ball and the
    box radius used.

    An ill-conditioned system (a tiny eigenvalue beside a large one, a point next to a
    threshold) needs more digits than ``dps`` for the test to contract: where it fails,
    the guard doubles (20, 40, … up to :func:`~symcollapse.core.precision.max_guard` digits),
    the midpoint polished by Newton to the new precision (``_polished``).  A polish
    that fails, or lands farther than 10^-dps from ``x_mid``, may be the rounding noise of
    too few digits: the next guard polishes ``x_mid`` again; only when no guard proves
    a fixed point is the certificate refused, with the last reason."""
    unproven = [v.unproven for v in params.values() if getattr(v, "unproven", None)]
    if unproven:
        raise UnsupportedError(f"certify: {unproven[0]}")
    guard = 20
    while True:
        found = None
        with mp.workdps(dps + guard):
            x, why = (x_mid, None) if guard == 20 else _polished(c, x_mid, params, atoms, dps)
            if x is not None:
                with ball_precision(dps, guard):
                    found = _enclose_at(c, x, params, atoms, dps + guard, extra)
        if found is not None:
            return found
        guard *= 2
        if guard > max_guard(dps):
            raise CertificationError(why or (
                f"certificate failed: the Krawczyk test did not prove a unique fixed point "
                f"around the solution with up to {dps + guard // 2} digits (system "
                f"{c.system.name}); the digits cannot be certified"))


def _polished(c, x_mid, params, atoms, dps):
    """``(x, None)``: ``x_mid`` refined by Newton to the working precision; or ``(None,
    reason)`` when Newton fails or moves it by more than 10^-dps relative: the certificate
    is about the given approximation, not about a solution found elsewhere.  Relative, as
    in Newton's own acceptance (:func:`~symcollapse.core.solve.newton_mp`): to itself for a
    positive unknown, to the largest unknown for the others (a rate that is 0, or tiny
    beside the rest, is known to that scale only: 4e-120 polished to -1e-108 beside 1)."""
    try:
        x = newton_to_tolerance(c, x_mid, params, atoms).x
    except ConvergenceError as exc:
        return None, f"certificate failed: the midpoint cannot be refined ({exc})"
    pos = {c.unknowns.index(u) for u in c.system.positive}
    top = max(abs(v) for v in x)
    for i, (new, old) in enumerate(zip(x, x_mid)):
        if abs(new - old) > (abs(new) if i in pos else top) * mp.mpf(10) ** (-dps):
            return None, ("certificate failed: the given solution is not an "
                          f"approximation to {dps} digits of a fixed point")
    return x, None


def _enclose_at(c, x_mid, params: dict, atoms, digits: int, extra):
    """One Krawczyk attempt at the current ball precision (``digits`` digits): boxes of
    growing radius around ``x_mid``; None when none is proved."""
    sys_ = arb_system(c)
    p = arb_arguments(c, params)
    A = arb_atoms(atoms)
    # radii per unknown: well above the Newton correction δ = J(x̃)⁻¹F(x̃) of that
    # unknown and relative to its size (unknowns may differ by many orders)
    delta = newton_correction(sys_, x_mid, p, A)
    rel = mp.mpf(10) ** (-(digits - 12))
    floor = [rel * abs(v) if v else rel for v in x_mid]
    for factor in (10, 10 ** 3, 10 ** 6, 10 ** 9):
        radius = [max(factor * d, f * factor / 10) for d, f in zip(delta, floor)]
        K = krawczyk(sys_, x_mid, p, A, radius)
        if K is not None:
            outs = sys_.outputs(K, p, A)
            if extra is not None:
                for k, v in extra(K, p).items():
                    outs[k] = outs[k] + v
            return {k: outs[k] for k in PARTS}, radius
    return None


def output_balls(c, x, params: dict, atoms, digits: int, correction=None) -> dict:
    """The outputs of compiled system ``c`` in ball arithmetic at ``digits`` digits, each
    unknown a ball around ``x`` of radius twice its last Newton ``correction``, and at
    least 10^-(digits-8) of itself (the Newton tolerance): name → (mid, rad) as mpf.
    The radius bounds the rounding of the evaluation, cancellations included, and the
    outputs' sensitivity to the unknowns' own error (see
    :func:`symcollapse.core.precision.check_balls`).  Without python-flint, in mpmath's
    interval arithmetic (``_output_intervals``)."""
    tol = mp.mpf(10) ** (-(digits - 8))
    correction = correction or [mp.mpf(0)] * len(x)
    radii = [max(tol * abs(v), 2 * d) for v, d in zip(x, correction)]
    if not has_flint():
        return _output_intervals(c, x, radii, params, atoms, digits)
    from flint import arb
    with ball_precision(digits, 0):
        sys_ = arb_system(c)
        p = arb_arguments(c, params)
        fields = [f for f in c.output_group.args[4:] if isinstance(f, eq.Field)]
        A = arb_atoms(atoms, fields)
        X = [arb(to_arb(v).mid(), to_arb(r).mid()) for v, r in zip(x, radii)]
        outs = sys_.outputs(X, p, A)
        return {k: (_exact_mpf(b.mid()), _exact_mpf(b.rad())) if b.is_finite()
                else (mp.nan, mp.inf) for k, b in outs.items()}


@functools.lru_cache(maxsize=1)
def has_flint() -> bool:
    """Whether python-flint (arb ball arithmetic) is importable."""
    try:
        importlib.import_module("flint")
    except ImportError:
        return False
    return True


#: mpmath's interval context as lambdify modules (numbers and sqrt as intervals).
_IV_MODULES = [{"mpf": mp.iv.mpf, "sqrt": mp.iv.sqrt}, "mpmath"]


def _interval_ready(exprs) -> bool:
    """Built from symbols and rationals by +, ×, integer powers and square roots only (what
    the interval evaluation encloses)."""
    return all(not e.atoms(sp.Function) and not e.has(sp.Float) and all(
        p.exp.is_Integer or abs(p.exp) == sp.S.Half for p in e.atoms(sp.Pow)) for e in exprs)


@functools.lru_cache(maxsize=64)
def _iv_outputs(c):
    og = c.output_group
    if not _interval_ready(list(og.integrands) + list(c._O)):
        raise UnsupportedError("the digit check of these outputs needs python-flint "
                               "(pip install python-flint): they hold functions that mpmath's "
                               "intervals do not enclose")
    traces = lambdify(og.args, og.integrands, _IV_MODULES, c.store_key("outputs")) if og.integrands else None
    return traces, lambdify(c._outer_args_out, c._O, _IV_MODULES, c.store_key("O"))


def _to_iv(value):
    if isinstance(value, Fraction):
        return mp.iv.mpf(int(value.numerator)) / int(value.denominator)
    if isinstance(value, sp.Rational):
        return mp.iv.mpf(int(value.p)) / int(value.q)
    return mp.iv.mpf(mp.mpf(value))


def _output_intervals(c, x, radii, params: dict, atoms, digits: int) -> dict:
    """:func:`output_balls` in mpmath's interval arithmetic at ``digits`` digits: name →
    (midpoint, radius) of each output's interval (rounded outward)."""
    traces, outer = _iv_outputs(c)
    fields = [f for f in c.output_group.args[4:] if isinstance(f, eq.Field)]
    saved, mp.iv.dps = mp.iv.dps, digits
    try:
        p = [_to_iv(params[s]) for s in c.params] + [_to_iv(1 - params[x_]) for _, x_ in c.complements]
        X = [mp.iv.mpf([v - r, v + r]) for v, r in zip(x, radii)]
        T = []
        if traces is not None:
            for a in atoms:
                vals = traces(*[_to_iv(v) for v in (a.s1, a.s2, a.theta, a.delta)],
                              *[_to_iv(a.fields[f.name]) for f in fields], *X, *p)
                w = _to_iv(a.weight)
                T = [w * v for v in vals] if not T else [t + w * v for t, v in zip(T, vals)]
        outs = outer(*X, *p, *T)
        out = {}
        for k, v in zip(c.output_names, outs):
            lo, hi = (mp.make_mpf(end) for end in mp.iv.mpf(v)._mpi_)
            out[k] = ((lo + hi) / 2, (hi - lo) / 2 * (1 + mp.mpf(2) ** (8 - mp.mp.prec))) \
                if mp.isfinite(lo) and mp.isfinite(hi) else (mp.nan, mp.inf)
        return out
    finally:
        mp.iv.dps = saved


def certified_parts(balls: dict, dps: int) -> dict:
    """part → {"lower", "upper" (exact mpf end points), "digits"}."""
    out = {}
    for k, b in balls.items():
        if not b.is_finite():
            raise CertificationError(f"certificate failed: {k} has no finite enclosure over "
                                     "the proved box")
        lo, hi = bounds(b)
        out[k] = {"lower": _fraction_mpf(lo), "upper": _fraction_mpf(hi),
                  "digits": _digits(b, dps)}
    return out


@functools.lru_cache(maxsize=256)
def _null_arb(density, args: tuple):
    return _lambdify([*eq.ATOM, *args], density)


def null_atom_extra(regime, spec):
    """Ball version of decomposition._add_null_atoms for certified outputs."""
    params = parameter_values(spec)
    unknowns = list(regime.system.unknowns)
    fs = {}
    for k in PARTS:
        dens = sp.sympify(regime.null_densities[k])
        args = sorted(dens.free_symbols - set(eq.ATOM), key=str)
        fs[k] = (args, _null_arb(dens, tuple(args)))

    def extra(K, p):
        from flint import arb
        solved = dict(zip(unknowns, K))
        out = {}
        for k, (args, f) in fs.items():
            vals = [solved[x] if x in solved else to_arb(params[x]) for x in args]
            total = arb(0)
            for a in regime.null_atoms:
                total += to_arb(a.weight) * f(to_arb(a.s1), to_arb(a.s2), to_arb(a.theta),
                                              to_arb(a.delta), *vals)
            out[k] = total
        return out
    return extra
