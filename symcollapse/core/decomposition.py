r"""The deterministic-equivalent test error and its decomposition E_test ≃ Bias + Var + ζ.

:func:`predict` validates a config, picks the regime (:mod:`symcollapse.core.regimes`), solves
the fixed point to the requested precision (:mod:`symcollapse.core.solve`) and evaluates the
error functional of the system (:mod:`symcollapse.core.equations`):

.. math::
    \mathrm{Bias} = \lambda^2\operatorname{tr}(\Theta\,\Sigma_1^{\rm eff}K^{-2}),\quad
    \mathrm{Var} = a_1\sigma_1^2u_1 + a_2\sigma_2^2u_2,\quad
    \zeta = a_2^2e_2^2(1+a_1u_1)\operatorname{tr}(\Delta\Sigma_1\Sigma_2^2K^{-2})
          + a_2u_2\operatorname{tr}(\Delta\Sigma_2(a_1e_1\Sigma_1+\lambda)^2K^{-2}).

>>> r = predict({"phi": 0.25, "p2": 0.125, "lam": 0, "sigma1": 0.5, "sigma2": 0.5,
...              "atoms": [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 2}]}, dps=20)
>>> mp.nstr(r["test_error"], 20), mp.nstr(r["zeta"], 20)
('0.1875', '0.10416666666666666667')
"""
from __future__ import annotations

import functools

import mpmath as mp
import numpy as np
import sympy as sp

from symcollapse import models
from symcollapse.core import certify as cert, equations as eq, loops, one_pass
from symcollapse.core.certify import certified_parts, decimal_bounds, mpf_fraction, output_balls
from symcollapse.core.compiled import atoms_float, atoms_mp, compile_system, to_mpf
from symcollapse.core.equations import PARTS
from symcollapse.core.errors import (ConfigError, ConvergenceError, DivergenceError, RegimeError,
                                     UnsupportedError)
from symcollapse.core.iterative import iterate
from symcollapse.core.precision import (GUARD, ShortOfDigits, check_balls, confirmed, serialized,
                                        zero_digits)
from symcollapse.core.regimes import (Regime, group_unknowns, parameter_values, select, signatures,
                                      threshold_parts, training_family)
from symcollapse.core.solve import newton_to_tolerance, solve_along, solve_point, start_value
from symcollapse.core.spec import LOOPS, MODEL_SCALAR_KEYS, SCALAR_KEYS, parse, screen

#: Extra digits carried through the solve beyond the ones reported.
GUARD_DIGITS = GUARD


def regime_of(spec) -> Regime:
    """The regime that answers a spec."""
    if spec.strategy == "iterative":
        raise UnsupportedError('strategy "iterative" is not available in this version '
                               '(available: "plain", "weighted")')
    return select(spec)


@serialized
def predict(config, dps: int = 30, certify: bool = False) -> dict:
    """Deterministic equivalent of the test error of a config, to ``dps`` digits.

    The model (:func:`~symcollapse.models.base.get`) answers the config through its regime: a
    strategy, the ridgeless limit or certification that it does not have is refused with
    its one-line reason.

    Returns a dict with ``test_error``, ``bias``, ``variance``, ``zeta`` (mpmath ``mpf``,
    rounded to ``dps`` significant digits), ``dps``, ``residual`` (the certificate:
    max-norm of the fixed-point residuals at the solution, at working precision
    ``dps + 15``), ``newton_step`` (size of one more Newton correction: an estimate of the
    error in the unknowns), ``regime`` and ``unknowns`` (the solved e_j, u_j, … by name).
    Linear and projections models, plain and weighted mixing, also return the training
    errors of docs/theory/training.md (:func:`~symcollapse.core.decomposition.training`): ``train_error``, ``train_error_real``,
    ``train_error_synthetic`` (None for a group without rows), ``df`` (= df/n) and ``gcv``.

    ``certify=True`` adds ``certified``: for each part an interval ``lower``, ``upper``
    (mpf) proved to contain the exact value and the number of proven ``digits``, plus the
    ``proof`` used (:mod:`symcollapse.core.certify`: a Krawczyk test in ball arithmetic); a
    failed proof raises :class:`~symcollapse.core.certify.CertificationError`.
    """
    if isinstance(dps, bool) or not isinstance(dps, int) or not 1 <= dps <= 10_000:
        raise ConfigError(f"dps = {dps!r} is out of range: allowed integers 1 <= dps <= 10000")
    spec = parse(config)
    if spec.strategy in LOOPS:
        model = models.get(spec.model)
        model.require(spec.strategy)
        if certify:
            raise UnsupportedError(f'certify: not available for strategy "{spec.strategy}" '
                                   '(available: "plain", "weighted")')
        bases = [predict(s, dps + 10) for s in loops.plain_specs(spec, model)]
        return loops.predict_loop(spec, dps, bases, model)
    if certify and spec.strategy == "iterative":
        raise UnsupportedError('certify: not available for strategy "iterative" '
                               '(available: "plain", "weighted")')
    model = models.get(spec.model)
    model.require(spec.strategy)
    if spec.lam == 0:
        model.require("ridgeless")
    if certify:
        model.require("certify")
    if spec.strategy == "iterative":
        return iterate(spec, dps=dps)
    regime = regime_of(spec)
    if regime.delegate is not None:
        out = predict(regime.delegate, dps, certify=certify)
        out["regime"] = regime.name
        return out
    out = None if certify else one_pass.answer(regime, spec, dps)
    if out is None:
        out, w, solved = confirmed(lambda warm: _answer(regime, spec, dps, warm), dps,
                                   what=regime.name, unchecked=("residual", "newton_step"))
    if certify:
        with mp.workdps(w):
            balls, proof = _certify(regime, spec, dps, solved["x"])
        out["certified"] = dict(certified_parts(balls, dps), proof=proof)
    with mp.workdps(dps):
        out["residual"], out["newton_step"] = +out["residual"], +out["newton_step"]
    out["dps"] = dps
    out["regime"] = regime.name
    return out


def _answer(regime: Regime, spec, dps: int, warm):
    """Every reported number of :func:`predict` at the working precision (the caller's
    context), the solves warm-started from ``warm`` (a previous, lower-precision answer's
    solutions).  Returns ``(values, warm)``."""
    warm = warm or {}
    if regime.exact_zero or not regime.atoms:
        values = {k: mp.mpf(0) for k in PARTS}
        residual, step, unknowns, extra = mp.mpf(0), mp.mpf(0), {}, 0
    else:
        try:
            values, residual, step, unknowns, extra = _solve_and_evaluate(
                regime, spec, dps, warm.get("x"))
        except ShortOfDigits:
            raise
        except ConvergenceError as exc:
            raise ConvergenceError(f"{regime.name}: {exc}") from None
    if regime.null_atoms:
        _add_null_atoms(values, regime, spec, unknowns)
    train, train_x = {}, None
    if models.get(spec.model).answers("training"):
        train, train_x = training(regime, spec, dps, unknowns, values["test_error"],
                                  warm=warm.get("train_x"), extra=extra)
    out = {k: values[k] for k in PARTS}
    out["residual"], out["newton_step"] = residual, step
    out["unknowns"] = dict(unknowns)
    out.update(train)
    return out, {"x": list(unknowns.values()) or None, "train_x": train_x}


def training(regime: Regime, spec, dps: int, unknowns: dict, test_error, warm=None,
             extra=0):
    r"""The training errors of docs/theory/training.md at the solved point, and df/n.

    :math:`E_{\rm train,j} \simeq e_j^2(G_j + \sigma_j^2)` with G1 = E_test and G2 the
    error against w2 with test covariance Σ2 (:func:`~symcollapse.pencil.derived.training_system_of`),
    solved from the test-error solution (the rates along Σ2 enter linearly: one Newton step
    and a polish), or from ``warm``, at the guard digits ``extra`` that the test-error solve
    needed (the same conditioning).  Also ``df`` (df/n) and ``gcv`` =
    :math:`E_{\rm train}/(1-df/n)^2`.  Returns ``(values, solution)``.
    Regimes without a fixed point: the noiseless threshold fits every row (all 0); without
    visible data the fit is 0 and each residual is the noise (E_train,j = σ_j², df = 0).
    """
    p2v = to_mpf(spec.p2)
    s1v, s2v = to_mpf(spec.sigma1), to_mpf(spec.sigma2)
    zeros = set()           # reported numbers proved 0 by their balls
    if regime.exact_zero:
        outs = {"g2": mp.mpf(0), "shrink1": mp.mpf(0), "shrink2": mp.mpf(0), "df": mp.mpf(1),
                "gap": mp.mpf(0)}
    elif not regime.atoms:
        outs = {"g2": mp.mpf(0), "shrink1": mp.mpf(1), "shrink2": mp.mpf(1), "df": mp.mpf(0),
                "gap": mp.mpf(1)}
    else:
        c = compile_system(training_family(regime.system))
        params = parameter_values(spec)
        p_mp = c.values_mp(params)
        A_mp = atoms_mp(regime.atoms)
        x0 = warm or [unknowns[str(x)] if str(x) in unknowns else start_value(c, x, params)
                      for x in c.unknowns]
        try:
            sol = newton_to_tolerance(c, x0, params, regime.atoms, extra=extra)
        except ConvergenceError as exc:
            raise ConvergenceError(f"{regime.name}: training error: {exc}") from None
        outs = c.outputs_mp(sol.x, p_mp, A_mp)
        solved = sol.x
        for k in ("g2", "shrink1", "shrink2", "df", "gap"):
            if not mp.isfinite(outs[k]):
                raise ConvergenceError(f"training error: {k} evaluated to {outs[k]} in regime "
                                       f"{regime.name}")
        zeros = _training_zeros(c, sol, params, regime.atoms, test_error, spec, dps)
    out = eq.training_errors(test_error, outs, p2v, s1v, s2v, p1_value=to_mpf(spec.p1),
                             groups=(spec.p2 != 1, spec.p2 != 0))
    out["df"] = outs["df"]
    for name in zeros:
        if name == "gap":
            outs["gap"] = mp.mpf(0)
        elif out.get(name) is not None:
            out[name] = mp.mpf(0)
    out["gcv"] = _gcv(out["train_error"], outs["gap"], unknowns, test_error, outs, spec,
                      regime.system)
    return out, (solved if regime.atoms and not regime.exact_zero else None)


def _training_zeros(c, sol, params, atoms, test_error, spec, dps) -> set:
    r"""The reported training numbers judged in ball arithmetic
    (:func:`~symcollapse.core.precision.check_balls`, the test error setting the scale): the
    training system's outputs as balls (:func:`~symcollapse.core.certify.output_balls`), each
    with its digits (G2 = 3e-18 left of a 66-digit cancellation beside s2 = 1e48 enters
    the interpolating GCV), then
    :math:`E_{\rm train,1} = e_1^2(E_{\rm test}+\sigma_1^2)`, :math:`E_{\rm train,2} =
    e_2^2(G_2+\sigma_2^2)`, their mixture, df/n and 1 − df/n by interval rules.  A
    number is judged by its own ball, not by its parts': G2 = 4e-100 is 0 beside
    E_test = 2.5e21, yet it makes E_train = 1e-100 beside E_train,1 = 4e-184, and the
    sum is judged as a whole (0 beside E_test).  Returns the names proved 0;
    raises :class:`~symcollapse.core.precision.ShortOfDigits` when one lacks digits."""
    b = output_balls(c, list(sol.x), params, atoms, mp.mp.dps, sol.correction)
    # the parts themselves must have their digits (G2 also enters the interpolating GCV),
    # but one that is 0 at the documented level is not set to 0: the sums judge that
    check_balls(b, dps, mp.mp.dps, reference=error_scale(spec, atoms))

    def mul(x, y):
        return x[0] * y[0], abs(x[0]) * y[1] + abs(y[0]) * x[1] + x[1] * y[1]

    def exact(v):
        return v, mp.mpf(0)

    s1, s2 = to_mpf(spec.sigma1) ** 2, to_mpf(spec.sigma2) ** 2
    real = mul(b["shrink1"], exact(test_error + s1))
    synthetic = mul(b["shrink2"], (b["g2"][0] + s2, b["g2"][1]))
    balls = {"test_error": exact(test_error), "df": b["df"], "gap": b["gap"]}
    if spec.p2 != 1:
        balls["train_error_real"] = real
    if spec.p2 != 0:
        balls["train_error_synthetic"] = synthetic
    if spec.p2 in (0, 1):
        balls["train_error"] = real if spec.p2 == 0 else synthetic
    else:
        x, y = mul(exact(to_mpf(spec.p1)), real), mul(exact(to_mpf(spec.p2)), synthetic)
        balls["train_error"] = (x[0] + y[0], x[1] + y[1])
    return check_balls(balls, dps, mp.mp.dps, reference=error_scale(spec, atoms))


def _gcv(train_error, gap, unknowns: dict, test_error, outs: dict, spec, system):
    r"""GCV = E_train/(1 − df/n)², ``gap`` = 1 − df/n (computed as p₁e₁ + p₂e₂).
    Where every row is interpolated (e_j = λε_j → 0, so that E_train and
    1 − df/n = p₁e₁ + p₂e₂ both vanish) its limit λ → 0⁺ is
    :math:`\sum_jp_j\varepsilon_j^2(G_j+\sigma_j^2)/(\sum_jp_j\varepsilon_j)^2`;
    at the noiseless threshold (everything 0) it is not defined here (None)."""
    if gap > 0:
        return train_error / gap ** 2
    eps = [unknowns.get(name) if rescaled and name else None
           for name, rescaled in group_unknowns(system)]
    if all(x is None for x in eps):
        return None
    p = [to_mpf(spec.p1), to_mpf(spec.p2)]   # p1 = 1 − p2 exact (p2 may be 1 − 1e-40)
    G = [test_error + to_mpf(spec.sigma1) ** 2, outs["g2"] + to_mpf(spec.sigma2) ** 2]
    num = sum(p[j] * eps[j] ** 2 * G[j] for j in range(2) if eps[j] is not None and p[j] > 0)
    den = sum(p[j] * eps[j] for j in range(2) if eps[j] is not None and p[j] > 0) ** 2
    return num / den


def _certify(regime, spec, dps, x_mid):
    """Balls for the four parts (see :mod:`symcollapse.core.certify`) and the proof's name;
    ``x_mid`` is the solution at the working precision (not rounded to ``dps``)."""
    if not cert.has_flint():
        raise UnsupportedError("certify: the proof runs in ball arithmetic, which needs "
                               "python-flint (pip install python-flint)")
    from flint import arb

    extra = cert.null_atom_extra(regime, spec) if regime.null_atoms else None
    if regime.exact_zero or not regime.atoms:
        balls = {k: arb(0) for k in PARTS}
        if extra is not None:
            with cert.ball_precision(dps):
                for k, v in extra([], None).items():
                    balls[k] = balls[k] + v
        return balls, "exact: no fixed point to solve in this regime"
    c = compile_system(regime.system)
    balls, radius = cert.enclose(c, list(x_mid), parameter_values(spec), regime.atoms, dps,
                                 extra=extra)
    return balls, (f"Krawczyk test in ball arithmetic (python-flint arb): unique fixed point "
                   f"within ±{mp.nstr(max(radius), 2)} of the Newton solution")


@serialized
def derivative(config, wrt: str, dps: int = 30) -> dict:
    """Derivatives of test_error, bias, variance and zeta with respect to a config key
    (phi, psi, p2, lam, sigma1, sigma2, alpha), at ``dps`` digits.

    By the implicit function theorem on the fixed point F(x, p) = 0: dx/dp = −J⁻¹∂F/∂p
    and dO/dp = ∂O/∂p + ∂O/∂x·dx/dp, with every partial derivative taken by SymPy.
    """
    if wrt not in SCALAR_KEYS:
        raise ConfigError(f"wrt = {wrt!r} is not allowed: allowed " + ", ".join(SCALAR_KEYS))
    spec = parse(config)
    regime = regime_of(spec)
    if regime.delegate is not None:
        return _delegated_derivative(spec, regime.delegate, wrt, dps)
    sym = _param_symbol(wrt)
    if regime.system is None or regime.null_atoms or regime.exact_zero:
        raise UnsupportedError(f"derivative: not available in regime {regime.name!r}")
    c = compile_system(regime.system)
    if sym not in c.params:
        raise UnsupportedError(f"derivative with respect to {wrt}: {wrt} is fixed in regime "
                               f"{regime.name!r} (a group absent or a side of a threshold)")
    params = parameter_values(spec)
    with mp.workdps(dps + GUARD_DIGITS):
        sol = solve_point(c, params, regime.atoms, dps=dps)
        p_mp = c.values_mp(params)
        d = c.tangent(sym).derivative_mp(sol.x, p_mp, atoms_mp(regime.atoms))
    with mp.workdps(dps):
        return {k: +d[k] for k in PARTS}


def _delegated_derivative(spec, delegate, wrt: str, dps: int) -> dict:
    """The derivative of a delegated answer.  Same sizes (a weighting that does not change
    the answer): the delegate's.  One group alone (α ∈ {0, 1}, sizes s' = s/p_j of
    :func:`~symcollapse.core.regimes.weight_zero_regime`): d/ds = (1/p_j) d/ds' for φ and
    the model sizes; d/dp_2 = Σ_s (∂E/∂s')(−s'/p_j)(dp_j/dp_2), p_2' = 1 − α being fixed."""
    if delegate.phi == spec.phi:
        if wrt == "alpha" and delegate.strategy != "weighted":
            return {k: mp.mpf(0) for k in PARTS}   # the delegated value ignores the weights
        return derivative(delegate, wrt, dps)
    if wrt == "alpha":
        raise UnsupportedError(f"derivative with respect to alpha: at alpha = {spec.alpha} one group has "
                               "weight 0 (an end of 0 <= alpha <= 1); taken at 0 < alpha < 1")
    sizes = ["phi"] + [k for k in SCALAR_KEYS if k in MODEL_SCALAR_KEYS and spec.size(k) is not None]
    p = spec.phi / delegate.phi
    with mp.workdps(dps + GUARD):
        if wrt in sizes:
            d = derivative(delegate, wrt, dps + GUARD)
            out = {k: d[k] / to_mpf(p) for k in PARTS}
        elif wrt == "p2":
            dp = -1 if spec.alpha == 1 else 1
            terms = [(derivative(delegate, k, dps + GUARD), getattr(delegate, k) if k == "phi"
                      else delegate.size(k)) for k in sizes]
            out = {k: mp.fsum(d[k] * to_mpf(-s * dp / p) for d, s in terms) for k in PARTS}
        else:
            out = derivative(delegate, wrt, dps + GUARD)
    with mp.workdps(dps):
        return {k: +out[k] for k in PARTS}


SCALAR_KEYS_ORDER = SCALAR_KEYS


def _param_symbol(key):
    """The parameter symbol of a scalar config key (a model's size: ``Symbol(key)``)."""
    known = {"phi": eq.phi, "psi": eq.psi, "p2": eq.p2, "lam": eq.lam, "sigma1": eq.sigma1,
             "sigma2": eq.sigma2, "alpha": eq.alpha}
    return known.get(key) or sp.Symbol(key, positive=True)


def _add_null_atoms(values, regime: Regime, spec, unknowns: dict):
    """Add the contribution of atoms that no present group sees: their per-atom limit
    densities (:func:`~symcollapse.core.regimes.null_atom_densities`), evaluated at the
    solved unknowns and the spec's parameters."""
    params = parameter_values(spec)
    solved = {x: unknowns[str(x)] for x in regime.system.unknowns if str(x) in unknowns}
    for k in PARTS:
        dens = sp.sympify(regime.null_densities[k])
        args = sorted(dens.free_symbols - set(eq.ATOM), key=str)
        if any(x not in params and x not in solved for x in args):
            raise UnsupportedError(f"{regime.name}: the unseen coordinates' {k} depends on "
                                   "unknowns that this regime does not solve; use lam > 0")
        f = _null_density_function(dens, tuple(args))
        vals = [solved[x] if x in solved else to_mpf(params[x]) for x in args]
        for a in regime.null_atoms:
            atom = [to_mpf(getattr(a, key)) for key in ("s1", "s2", "theta", "delta")]
            values[k] += to_mpf(a.weight) * f(*atom, *vals)


@functools.lru_cache(maxsize=256)
def _null_density_function(density, args: tuple):
    """The lambdified (mpmath) density of an unseen atom, built once per density."""
    return sp.lambdify([*eq.ATOM, *args], density, modules="mpmath")


def _check_outputs(c, sol, params, atoms, dps, spec) -> set:
    """The outputs at the solution ``sol`` evaluated in ball arithmetic at the working
    precision, its unknowns as balls of their error bounds
    (:func:`~symcollapse.core.certify.output_balls`), judged by
    :func:`~symcollapse.core.precision.check_balls` (with :func:`error_scale` as the reference
    of outputs that are all 0): returns the outputs proved 0, raises
    :class:`~symcollapse.core.precision.ShortOfDigits` when one lacks digits."""
    return check_balls(output_balls(c, list(sol.x), params, atoms, mp.mp.dps,
                                    sol.correction), dps, mp.mp.dps,
                       reference=error_scale(spec, atoms))


def error_scale(spec, atoms):
    r"""The problem's own scale of a squared error: the noise levels and the sizes of the
    targets and of the shift in their covariances,
    :math:`\sigma_1^2 + \sigma_2^2 + \sum_k w_k(\theta_k + \delta_k)(s_{1,k} + s_{2,k})`
    (docs/setting.md's atoms: weight, eigenvalues s1, s2, target energy θ, shift δ) — the
    reference against which outputs that are all 0 are proved 0."""
    A = atoms_mp(atoms)
    return to_mpf(spec.sigma1) ** 2 + to_mpf(spec.sigma2) ** 2 + mp.fsum(
        w * (th + de) * (s1 + s2) for w, s1, s2, th, de in zip(A.weight, A.s1, A.s2, A.theta,
                                                                A.delta))


def _zeroed(sol, dps: int, positive=frozenset()) -> list:
    """The solved unknowns as reported: an unknown whose error ball contains 0 and lies below
    the zero level (10^-z of the largest unknown, z = :func:`~symcollapse.core.precision.zero_digits`)
    is 0 — its computed value is rounding noise that changes with the working precision.
    The ball's radius is twice the unknown's last Newton correction; for an unknown that is
    not positive (``positive``: the indices of those that are) it is at least the Newton
    tolerance 10^-(w-8) of the largest unknown, the scale to which Newton resolves it
    (:func:`~symcollapse.core.solve.newton_mp`): a rate of 9e-650 beside e = 1 is 0 at
    117 digits, not a number that each precision draws anew."""
    if not sol.correction:
        return list(sol.x)
    scale = max((abs(v) for v in sol.x), default=mp.mpf(0))
    level = scale * mp.mpf(10) ** (-zero_digits(dps))
    floor = scale * mp.mpf(10) ** (-(mp.mp.dps - 8))
    out = []
    for i, (v, d) in enumerate(zip(sol.x, sol.correction)):
        radius = 2 * d if i in positive else max(2 * d, floor)
        out.append(mp.mpf(0) if abs(v) <= radius <= level else v)
    return out


def _solve_and_evaluate(regime: Regime, spec, dps: int, warm=None):
    system = regime.system
    c = compile_system(system)
    params = parameter_values(spec)
    sol = solve_point(c, params, regime.atoms, dps=dps, warm=warm)
    p_mp = c.values_mp(params)
    outs = c.outputs_mp(sol.x, p_mp, atoms_mp(regime.atoms))
    for name in _check_outputs(c, sol, params, regime.atoms, dps, spec):
        outs[name] = mp.mpf(0)
    for k in PARTS:
        v = outs[k]
        if not mp.isfinite(v):
            raise ConvergenceError(f"{k} evaluated to {v} in regime {regime.name}")
    if outs["test_error"] < 0:
        tiny = mp.mpf(10) ** (-(mp.mp.dps - 5))
        if outs["test_error"] < -tiny:    # rounding noise of too few digits led the solve
            raise ShortOfDigits(f"negative test error {mp.nstr(outs['test_error'], 5)} in "
                                f"regime {regime.name}: the solve is not trustworthy",
                                max(15, mp.mp.dps - dps))
    positive = frozenset(c.unknowns.index(u) for u in system.positive)
    unknowns = {str(x): v for x, v in zip(c.unknowns, _zeroed(sol, dps, positive))}
    for x, v in zip(c.unknowns, sol.x):
        if x in system.positive and v <= 0:
            raise ConvergenceError(f"unknown {x} = {mp.nstr(v, 5)} left its domain (> 0)")
    return outs, sol.residual, sol.step, unknowns, sol.extra


@serialized
def curve(config, wrt: str | None = None, **varying) -> dict:
    """The float64 path: evaluate many points at once, vectorized.

    ``varying`` maps scalar config keys (phi, p2, lam, sigma1, sigma2, alpha) to arrays of
    one common length P; every other key comes from ``config``.  Returns a dict of numpy
    arrays (length P) for ``test_error``, ``bias``, ``variance``, ``zeta`` and ``status``
    (``"ok"``, ``"diverges"``, or ``"error: …"`` for a point that no precision could
    solve: its values are NaN and the other points are unaffected).  Points are
    grouped by regime and solved together by a λ-continuation of batched Newton steps;
    a point that float64 cannot solve is computed by :func:`~symcollapse.core.decomposition.predict` instead.  A point on
    the ridgeless interpolation threshold gets its one-sided limits (+inf where the error
    diverges).  Bad input (a value out of its range) still raises :class:`~symcollapse.core.errors.ConfigError`.  With ``wrt`` (a scalar key), the derivatives ``d_test_error``, ``d_bias``,
    ``d_variance``, ``d_zeta`` with respect to it are returned too (:func:`~symcollapse.core.decomposition.derivative`).

    >>> import numpy as np
    >>> cfg = {"phi": 0.5, "p2": 0.1, "lam": 0, "atoms": [
    ...     {"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]}
    >>> np.round(curve(cfg, phi=[0.1, 0.5, 2.0])["zeta"], 6)  # p2² + p1p2φ/(1−φ); c²p2(φ−p2)/(φ(φ−1))
    array([0.02 , 0.1  , 0.095])
    """


    if not varying:
        raise ConfigError("curve: give at least one varying key, e.g. phi=[...]")
    arrays = {}
    for key, values in varying.items():
        if key not in SCALAR_KEYS:
            raise ConfigError(f"curve: {key} cannot vary: allowed " + ", ".join(SCALAR_KEYS))
        arrays[key] = np.atleast_1d(np.asarray(values, dtype=object))
        if arrays[key].ndim != 1:
            raise ConfigError(f"curve: {key} must be a one-dimensional array of numbers")
    lengths = {len(a) for a in arrays.values()}
    if len(lengths) != 1:
        raise ConfigError("curve: the varying arrays must have one common length")
    P = lengths.pop()
    base = parse(config)
    raw = base.to_config() if not isinstance(config, dict) else config
    scalars = {k: v for k, v in raw.items() if k != "atoms"}
    names = list(PARTS) + ([f"d_{k}" for k in PARTS] if wrt else [])
    out = {k: np.zeros(P) for k in names}
    out["status"] = np.full(P, "ok", dtype=object)
    if P == 0:
        return out
    probe_atom = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]

    def point_spec(i):
        point = dict(scalars)
        for key, arr in arrays.items():
            v = arr[i]
            point[key] = v.item() if hasattr(v, "item") else v
        return parse(dict(point, atoms=probe_atom)).replace(atoms=base.atoms)

    groups = {}   # (system, atoms id) -> (atoms, [(i, float parameter row or spec)])

    def classify(i, spec, regime=None):
        """File point i (its exact spec) under its regime, or evaluate it on the spot."""
        if regime is None:
            try:
                regime = regime_of(spec)
            except DivergenceError:
                for k, v in threshold_parts(spec).items():
                    out[k][i] = v
                out["status"][i] = "diverges"
                return
        if regime.delegate is not None or regime.null_atoms or regime.exact_zero:
            _exact_point(out, i, spec, wrt)
            return
        key = (regime.system, id(regime.atoms))
        groups.setdefault(key, (regime.atoms, []))[1].append((i, spec))

    cols = _float_columns(arrays)
    spec0 = point_spec(0)  # every key-level rule (e.g. alpha only for "weighted")
    if cols is None:  # exact numbers (Fractions, mpf, ...): one spec per point
        for i in range(P):
            classify(i, spec0 if i == 0 else point_spec(i))
    else:
        exact = np.zeros(P, dtype=bool)
        for key, v in cols.items():
            exact |= screen(key, v, base.strategy)
        codes, tie = signatures(base, cols)
        exact |= tie
        for i in np.flatnonzero(exact):  # raises the one-line error for a refused value
            classify(int(i), point_spec(int(i)))
        fast = ~exact
        for code in np.unique(codes[fast]):
            members = np.flatnonzero(fast & (codes == code))
            try:
                regime = regime_of(point_spec(int(members[0])))
            except DivergenceError:
                regime = None
            if regime is None or regime.delegate is not None or regime.null_atoms \
                    or regime.exact_zero:
                for i in members:
                    classify(int(i), point_spec(int(i)))
                continue
            key = (regime.system, id(regime.atoms))
            groups.setdefault(key, (regime.atoms, []))[1].extend((int(i), None) for i in members)

    for (system, _), (atoms, items) in groups.items():
        c = compile_system(system)
        items.sort(key=lambda item: item[0])  # curve order: neighbours warm-start Newton
        p = _parameter_rows(c, items, cols, base)
        A = atoms_float(atoms)
        x, ok, _ = solve_along(c, p, A)
        vals = c.outputs_np(x, p, A)
        dvals = None
        if wrt:
            sym = _param_symbol(wrt)
            dvals = c.tangent(sym).derivative_np(x, p, A) if sym in c.params else None
        good = ok & np.all(np.isfinite(vals), axis=1)
        if wrt:
            good &= np.all(np.isfinite(dvals), axis=1) if dvals is not None else False
        index = np.array([i for i, _ in items], dtype=int)
        for col, name in enumerate(c.output_names):
            if name in PARTS:
                out[name][index[good]] = vals[good, col]
                if wrt:
                    out[f"d_{name}"][index[good]] = dvals[good, col]
        for row in np.flatnonzero(~good):
            i, spec = items[row]
            _exact_point(out, i, spec if spec is not None else point_spec(i), wrt)
    return out


def _float_columns(arrays):
    """The varying arrays as float64 columns, when every entry is a plain real number
    (int, float or a numpy number; not bool); else None (exact numbers keep the exact
    path)."""

    cols = {}
    for key, arr in arrays.items():
        for v in arr:
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer,
                                                                     np.floating)):
                return None
        cols[key] = arr.astype(float)
    return cols


def _parameter_rows(c, items, cols, base):
    """The (P, n_params) float parameter matrix of a group: a point's own spec where it
    was read exactly, else its float columns, with ``base`` for the keys that do not
    vary."""

    key_of = {_param_symbol(k): k for k in SCALAR_KEYS_ORDER}
    base_vals = {s: float(v) for s, v in parameter_values(base).items()}
    p = np.empty((len(items), len(c.params)))
    index = np.array([i for i, _ in items], dtype=int)
    for k, sym in enumerate(c.params):
        key = key_of.get(sym)
        if cols is not None and key in cols:
            p[:, k] = cols[key][index]
        else:
            p[:, k] = base_vals[sym]
    for row, (i, spec) in enumerate(items):
        if spec is not None:
            vals = parameter_values(spec)
            p[row] = [float(vals[sym]) for sym in c.params]
    return p


def _exact_point(out, i, spec, wrt):
    """Point i by :func:`predict` (and :func:`derivative`); a point no precision solves is
    recorded in ``out["status"]`` with NaN values instead of failing the whole curve."""
    try:
        exact = predict(spec, dps=17)
        d = derivative(spec, wrt, dps=17) if wrt else None
    except ConfigError:
        raise
    except RegimeError as exc:
        for k in out:
            if k != "status":
                out[k][i] = float("nan")
        out["status"][i] = "error: " + " ".join(str(exc).split())
        return
    for k in PARTS:
        out[k][i] = float(exact[k])
    if wrt:
        for k in PARTS:
            out[f"d_{k}"][i] = float(d[k])


def parts_to_strings(result: dict) -> dict:
    """The CLI form: every mpf as a decimal string with ``dps`` significant digits."""
    dps = result["dps"]

    def fmt(v, digits=dps):
        if isinstance(v, mp.mpf):
            if mp.isinf(v):
                return "inf" if v > 0 else "-inf"
            if v == 0:
                return "0.0"
            return mp.nstr(v, digits, strip_zeros=False, min_fixed=-6, max_fixed=digits + 1)
        if isinstance(v, dict):
            return {k: fmt(x) for k, x in v.items()}
        if isinstance(v, list):
            return [fmt(x) for x in v]
        return v

    out = {k: fmt(v, 3 if k in ("residual", "newton_step") else dps)
           for k, v in result.items() if k != "certified"}
    if "certified" in result:
        cert = {}
        for k, v in result["certified"].items():
            if isinstance(v, dict):
                lo, hi = decimal_bounds(mpf_fraction(v["lower"]), mpf_fraction(v["upper"]), dps)
                cert[k] = {"lower": lo, "upper": hi, "digits": v["digits"]}
            else:
                cert[k] = v
        out["certified"] = cert
    return out


__all__ = ["predict", "curve", "parts_to_strings", "PARTS"]
