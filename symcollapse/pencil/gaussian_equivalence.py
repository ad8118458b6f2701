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
from symcollapse.core.spectra import normal_law

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


@functools.lru_cache(maxsize=None)
def _relu_shifted_constants():
    r"""(E σ(h), E σ′(h), Var σ(h) − s²(E σ′(h))²) of the centred relu for h = m + s g
    (mean m, standard deviation s > 0), as SymPy expressions in (m, s): the integrals over
    g > −m/s, where σ(h) = h − c0, and below it, where σ = −c0."""
    g, m = sp.symbols("g m", real=True)
    s = sp.Symbol("s", positive=True)
    c0 = 1 / sp.sqrt(2 * sp.pi)
    phi = sp.exp(-g ** 2 / 2) / sp.sqrt(2 * sp.pi)
    cut = -m / s
    above = sp.integrate(phi, (g, cut, sp.oo))
    mean = sp.integrate((m + s * g) * phi, (g, cut, sp.oo)) - c0
    second = sp.integrate((m + s * g) ** 2 * phi, (g, cut, sp.oo))
    variance = (second - (mean + c0) ** 2) - s ** 2 * above ** 2
    return m, s, sym.simplify(mean), sym.simplify(above), sym.simplify(variance)


@functools.lru_cache(maxsize=None)
def _relu_shifted_functions():
    ms, ss, *exprs = _relu_shifted_constants()
    return tuple(sp.lambdify((ms, ss), e, modules="mpmath") for e in exprs)


def shifted_constants(activation: str, mean, variance) -> dict:
    r"""μ0 = E σ(h), μ1 = E σ′(h) and μ*² = Var σ(h) − s²μ1² for a pre-activation
    h = m + s g with a mean m (``mean``) and s² = ``variance``, at the working precision:
    the constants of a neuron whose input carries a constant offset m (relu: SymPy
    integrals; tanh: quadrature).  ``mean = 0`` gives :func:`gaussian_equivalence`."""
    m, var = mp.mpf(mean), mp.mpf(variance)
    sd = mp.sqrt(var)
    if activation == "relu":
        mu0, mu1, mustar2 = (mp.mpf(f(m, sd)) for f in _relu_shifted_functions())
        return {"mu0": mu0, "mu1": mu1, "mustar2": mustar2}
    if activation == "tanh":
        mu0 = _gauss(lambda x: mp.tanh(m + sd * x))
        mu1 = _gauss(lambda x: mp.sech(m + sd * x) ** 2)
        second = _gauss(lambda x: mp.tanh(m + sd * x) ** 2)
        return {"mu0": mu0, "mu1": mu1, "mustar2": second - mu0 * mu0 - var * mu1 * mu1}
    raise ConfigError(f"activation = {activation!r} is not allowed: allowed \"relu\", \"tanh\"")


def layer_constants(activation: str, r1):
    """((μ0, μ1, μ*²), v) of a random layer whose pre-activation is N(0, r1), and the variance
    v = μ1²r1 + μ*² of the next layer's pre-activation around its offset μ0(S1)_i (S iid
    N(0, 1/width)), at the working precision."""
    return _layer_constants(activation, Fraction(r1), mp.mp.prec)


@functools.lru_cache(maxsize=256)
def _layer_constants(activation: str, r1: Fraction, prec: int):
    with mp.workprec(prec):
        one = gaussian_equivalence(activation, r1)
        v = one["mu1"] ** 2 * to_mpf(r1) + one["mustar2"]
        return (one["mu0"], one["mu1"], one["mustar2"]), v


def neuron_constants(activation: str, r1, c) -> dict:
    """The constants μ0, μ1, μ*² (:func:`shifted_constants`) of a neuron of the next layer with
    c = (S1)_i ~ N(0, 1): its pre-activation is μ0c + N(0, v) (:func:`layer_constants`)."""
    (mu0, _mu1, _k), v = layer_constants(activation, r1)
    return shifted_constants(activation, mu0 * c, v)


def neuron_law(activation: str, variances, nodes: int, unproven=None) -> list:
    """The next layer's neurons over the K-point Gauss–Hermite law of c (K = ``nodes``; one
    node at c = 0 when K = 1): ``[(weight, [(μ1, μ*²) for each group's r1 in variances])]``,
    each number an :class:`AtWorkingPrecision` (``unproven``: why it has no ball)."""
    law = []
    for k in range(nodes):
        per_group = [tuple(AtWorkingPrecision(functools.partial(_node_value, activation, Fraction(r1), nodes,
                                                                k, which), None, unproven)
                           for which in ("mu1", "mustar2")) for r1 in variances]
        law.append((AtWorkingPrecision(functools.partial(_node_weight, nodes, k)), per_group))
    return law


def _node_weight(nodes: int, k: int):
    return normal_law(nodes)[k][0] if nodes > 1 else mp.mpf(1)


def _node_value(activation, r1, nodes, k, which):
    return _node_constants(activation, r1, nodes, k, mp.mp.prec)[which]


@functools.lru_cache(maxsize=4096)
def _node_constants(activation, r1, nodes, k, prec):
    with mp.workprec(prec):
        c = normal_law(nodes)[k][1] if nodes > 1 else mp.mpf(0)
        return neuron_constants(activation, r1, c)


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
