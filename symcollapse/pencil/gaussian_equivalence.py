r"""Gaussian equivalence of a random-features layer: the constants of an activation.

For a pre-activation h ~ N(0, τ²) (τ² = tr Σ_j for group j's inputs through S with iid
N(0, 1/d) rows), the activation σ is replaced in the theory by its Gaussian equivalent
μ0 + μ1 h + μ* z with an independent standard z (docs/theory/random-features.md,
"Gaussian equivalence"):

    μ0 = E σ(h),   μ1 = E σ′(h) = E[hσ(h)]/τ²,   μ*² = E σ(h)² − μ0² − τ²μ1².

ReLU is centred (σ(h) = max(h, 0) − 1/√(2π)); its constants are SymPy integrals, evaluated
at the working precision; tanh's come from mpmath quadrature (checked to the working
precision).  The constants of each group are the parameters μ1_j, κ_j = μ*_j² of the
random-features system (:mod:`symcollapse.pencil.random_features`).
"""
from __future__ import annotations

import functools
from fractions import Fraction

import mpmath as mp
import sympy as sp

from symcollapse.core import determinism as sym
from symcollapse.core.compiled import to_mpf
from symcollapse.core.errors import ConfigError, ConvergenceError

#: Gaussian-equivalence constants of each group, as parameters of the system.
mu1_1, mu1_2 = sp.symbols("mu1_1 mu1_2", positive=True)
kappa1, kappa2 = sp.symbols("kappa1 kappa2", nonnegative=True)
#: The linear activation σ(h) = h: μ1 = 1, μ* = 0 in both groups (the projections model).
LINEAR = {"mu1": (1, 1), "kappa": (0, 0)}


@functools.lru_cache(maxsize=None)
def _relu_constants():
    r"""(μ0, μ1, μ*²) of the centred relu as SymPy expressions in τ > 0: the integrals
    over g > 0 (where σ(τg) = τg − c0) and g < 0 (σ = −c0, σ′ = 0) against φ(g)."""
    g, tau = sp.symbols("g tau", positive=True)
    c0 = 1 / sp.sqrt(2 * sp.pi)
    phi = sp.exp(-g ** 2 / 2) / sp.sqrt(2 * sp.pi)
    half = sp.Rational(1, 2)                                  # P(g > 0) = P(g < 0)
    mu0 = sp.integrate((tau * g - c0) * phi, (g, 0, sp.oo)) - c0 * half
    mu1 = sp.integrate(phi, (g, 0, sp.oo))
    second = sp.integrate((tau * g - c0) ** 2 * phi, (g, 0, sp.oo)) + c0 ** 2 * half
    mustar2 = sym.simplify(second - mu0 ** 2 - tau ** 2 * mu1 ** 2)
    return tau, sym.simplify(mu0), sym.simplify(mu1), mustar2


def _gauss(f):
    """E f(g), g ~ N(0, 1), by mpmath quadrature at the working precision (checked)."""
    value, err = mp.quad(lambda x: f(x) * mp.exp(-x * x / 2), [-mp.inf, 0, mp.inf], error=True)
    if err > mp.mpf(10) ** (-(mp.mp.dps - 5)):
        raise ConvergenceError(f"Gaussian quadrature error {mp.nstr(err, 3)} too large")
    return value / mp.sqrt(2 * mp.pi)


def gaussian_equivalence(activation: str, tau2) -> dict:
    r"""μ0, μ1, μ*² of ``activation`` for pre-activation variance τ² = ``tau2`` at the
    working mpmath precision (docs/theory/random-features.md, "Gaussian equivalence")."""
    tau = mp.sqrt(to_mpf(tau2))
    if activation == "relu":
        t, mu0, mu1, mustar2 = _relu_constants()
        ev = [sp.lambdify(t, e, modules="mpmath") for e in (mu0, mu1, mustar2)]
        return {"mu0": mp.mpf(ev[0](tau)), "mu1": mp.mpf(ev[1](tau)),
                "mustar2": mp.mpf(ev[2](tau))}
    if activation == "tanh":
        mu1 = _gauss(lambda x: mp.sech(tau * x) ** 2)
        second = _gauss(lambda x: mp.tanh(tau * x) ** 2)
        return {"mu0": mp.mpf(0),                            # tanh is odd
                "mu1": mu1, "mustar2": second - tau * tau * mu1 * mu1}
    raise ConfigError(f"activation = {activation!r} is not allowed: allowed \"relu\", \"tanh\"")


def group_constants(spec) -> dict:
    """Per group j: τ_j² = tr Σ_j (exact) and the Gaussian-equivalence constants."""
    out = {}
    for j, key in ((1, "s1"), (2, "s2")):
        tau2 = sum(Fraction(a.weight) * Fraction(getattr(a, key)) for a in spec.atoms)
        out[j] = dict(gaussian_equivalence(spec.activation, tau2), tau2=tau2)
    return out


@functools.lru_cache(maxsize=256)
def _constants_at(activation: str, tau2: Fraction, prec: int) -> dict:
    with mp.workprec(prec):
        return gaussian_equivalence(activation, tau2)


class AtWorkingPrecision:
    """A real constant evaluated at the precision where it is used: mpmath reads its
    ``_mpf_`` at the current working precision (so a constant handed over before a caller
    raises the precision is not frozen at the lower one), ``float()`` gives the double.

    >>> c = AtWorkingPrecision(lambda: mp.pi)
    >>> with mp.workdps(40):
    ...     print(mp.nstr(mp.mpf(c) - mp.pi, 3))
    0.0
    >>> float(c)
    3.141592653589793
    """

    __slots__ = ("_value", "ball", "unproven")

    def __init__(self, value, ball=None, unproven=None):
        self._value = value            # a function of no argument, at the current precision
        #: a function giving a proven enclosure (a python-flint ``arb`` at flint's current
        #: precision), or None with ``unproven`` saying why there is none
        self.ball = ball
        self.unproven = unproven

    @property
    def _mpf_(self):
        return mp.mpf(self._value())._mpf_

    def __float__(self):
        with mp.workprec(64):
            return float(mp.mpf(self))

    def __bool__(self):
        return bool(mp.mpf(self))

    def __abs__(self):
        return abs(mp.mpf(self))

    def __eq__(self, other):
        return mp.mpf(self) == other

    def __ne__(self, other):
        return mp.mpf(self) != other

    __hash__ = None

    def __repr__(self):
        return f"AtWorkingPrecision({mp.nstr(mp.mpf(self), 15)})"


def arb_value(expr, values: dict):
    """A SymPy expression built from rationals, π, symbols, sums, products and powers
    (integer or half-integer exponents) evaluated in flint's ball arithmetic at flint's
    current precision: a proven enclosure (``values``: symbol → arb)."""
    from flint import arb
    if expr in values:
        return values[expr]
    if expr.is_Rational:
        return arb(int(expr.p)) / arb(int(expr.q))
    if expr is sp.pi:
        return arb.pi()
    if expr.is_Add or expr.is_Mul:
        parts = [arb_value(a, values) for a in expr.args]
        out = parts[0]
        for x in parts[1:]:
            out = out + x if expr.is_Add else out * x
        return out
    if expr.is_Pow and expr.exp.is_Rational and expr.exp.q in (1, 2):
        base = arb_value(expr.base, values)
        if expr.exp.q == 2:
            base = base.sqrt()
        k = int(expr.exp.p)
        return base ** k if k >= 0 else 1 / base ** (-k)
    raise TypeError(f"arb_value: cannot enclose {expr}")


def _relu_balls(tau2: Fraction):
    """Proven enclosures of the centred ReLU's μ1 and μ*², evaluated in ball arithmetic
    from the closed forms SymPy derives (:func:`_relu_constants`), at flint's precision
    when called."""
    tau, _mu0, mu1, mustar2 = _relu_constants()

    def ball(expr):
        def enclosure():
            from flint import arb
            t2 = arb(tau2.numerator) / arb(tau2.denominator)
            return arb_value(sp.expand(expr), {tau: t2.sqrt()})
        return enclosure
    return ball(mu1), ball(mustar2)


def group_parameters(spec) -> dict:
    """The symbols μ1_j, κ_j = μ*_j² of both groups → their values at the working precision
    where they are used (:class:`AtWorkingPrecision`; τ_j² = tr Σ_j exact), with proven
    balls for ReLU (closed forms); tanh's come from quadrature and have none."""
    out = {}
    for j, key, mu, kappa in ((1, "s1", mu1_1, kappa1), (2, "s2", mu1_2, kappa2)):
        tau2 = sum(Fraction(a.weight) * Fraction(getattr(a, key)) for a in spec.atoms)
        get = functools.partial(_constants_at, spec.activation, tau2)
        if spec.activation == "relu":
            balls, why = _relu_balls(tau2), None
        else:
            balls, why = (None, None), (f"the Gaussian-equivalence constants of {spec.activation} "
                                        "are computed by quadrature, not enclosed in proven balls")
        out[mu] = AtWorkingPrecision(lambda get=get: get(mp.mp.prec)["mu1"], balls[0], why)
        out[kappa] = AtWorkingPrecision(lambda get=get: get(mp.mp.prec)["mustar2"], balls[1], why)
    return out
