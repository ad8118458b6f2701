r"""The deterministic-equivalent test error and its decomposition E_test ≃ Bias + Var + ζ.

:func:`predict` validates a config, picks the regime (:mod:`symcollapse.regimes`), solves
the fixed point to the requested precision (:mod:`symcollapse.solve`) and evaluates the
error functional of the system (:mod:`symcollapse.equations`):

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

import mpmath as mp

from . import equations as eq
from .compiled import atoms_mp, compile_system, to_mpf
from .errors import ConfigError, ConvergenceError, UnsupportedError
from .regimes import Regime, parameter_values, select
from .solve import solve_point
from .spec import parse

#: Extra digits carried through the solve beyond the ones reported.
GUARD_DIGITS = 15
PARTS = ("test_error", "bias", "variance", "zeta")


def regime_of(spec) -> Regime:
    """The regime that answers a spec."""
    if spec.strategy == "iterative":
        raise UnsupportedError('strategy "iterative" is not available in this version '
                               '(available: "plain", "weighted")')
    return select(spec)


def predict(config, dps: int = 30) -> dict:
    """Deterministic equivalent of the test error of a config, to ``dps`` digits.

    Returns a dict with ``test_error``, ``bias``, ``variance``, ``zeta`` (mpmath ``mpf``,
    rounded to ``dps`` significant digits), ``dps``, ``residual`` (the certificate:
    max-norm of the fixed-point residuals at the solution, at working precision
    ``dps + 15``), ``newton_step`` (size of one more Newton correction: an estimate of the
    error in the unknowns), ``regime`` and ``unknowns`` (the solved e_j, u_j, … by name).
    """
    if isinstance(dps, bool) or not isinstance(dps, int) or not 1 <= dps <= 10_000:
        raise ConfigError(f"dps = {dps!r} is out of range: allowed integers 1 <= dps <= 10000")
    spec = parse(config)
    if spec.strategy == "iterative":
        from .mixing import iterate
        return iterate(spec, dps=dps)
    regime = regime_of(spec)
    if regime.delegate is not None:
        out = predict(regime.delegate, dps)
        out["regime"] = regime.name
        return out
    with mp.workdps(dps + GUARD_DIGITS):
        if regime.exact_zero or not regime.atoms:
            values = {k: mp.mpf(0) for k in PARTS}
            residual, step, unknowns = mp.mpf(0), mp.mpf(0), {}
        else:
            try:
                values, residual, step, unknowns = _solve_and_evaluate(regime, spec, dps)
            except ConvergenceError as exc:
                raise ConvergenceError(f"{regime.name}: {exc}") from None
        if regime.null_atoms:
            _add_null_atoms(values, regime, spec, unknowns)
    with mp.workdps(dps):
        out = {k: +values[k] for k in PARTS}
        out["residual"] = +residual
        out["newton_step"] = +step
        out["unknowns"] = {k: +v for k, v in unknowns.items()}
    out["dps"] = dps
    out["regime"] = regime.name
    return out


def derivative(config, wrt: str, dps: int = 30) -> dict:
    """Derivatives of test_error, bias, variance and zeta with respect to a config key
    (phi, psi, p2, lam, sigma1, sigma2, alpha), at ``dps`` digits.

    By the implicit function theorem on the fixed point F(x, p) = 0: dx/dp = −J⁻¹∂F/∂p
    and dO/dp = ∂O/∂p + ∂O/∂x·dx/dp, with every partial derivative taken by SymPy.
    """
    from .spec import SCALAR_KEYS
    if wrt not in SCALAR_KEYS:
        raise ConfigError(f"wrt = {wrt!r} is not allowed: allowed " + ", ".join(SCALAR_KEYS))
    spec = parse(config)
    regime = regime_of(spec)
    if regime.delegate is not None:
        return derivative(regime.delegate, wrt, dps)
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
        p_mp = [to_mpf(params[s]) for s in c.params]
        d = c.tangent(sym).derivative_mp(sol.x, p_mp, atoms_mp(regime.atoms))
    with mp.workdps(dps):
        return {k: +d[k] for k in PARTS}


def _param_symbol(key):
    return {"phi": eq.phi, "psi": eq.psi, "p2": eq.p2, "lam": eq.lam, "sigma1": eq.sigma1,
            "sigma2": eq.sigma2, "alpha": eq.alpha}[key]


def _add_null_atoms(values, regime: Regime, spec, unknowns: dict):
    """Add the contribution of atoms that no present group sees: their per-atom limit
    densities (:func:`~symcollapse.regimes.null_atom_densities`), evaluated at the
    solved unknowns and the spec's parameters."""
    import sympy as sp
    params = parameter_values(spec)
    solved = {x: unknowns[str(x)] for x in regime.system.unknowns if str(x) in unknowns}
    for k in PARTS:
        dens = sp.sympify(regime.null_densities[k])
        args = sorted(dens.free_symbols - set(eq.ATOM), key=str)
        if any(x not in params and x not in solved for x in args):
            raise UnsupportedError(f"{regime.name}: the unseen coordinates' {k} depends on "
                                   "unknowns that this regime does not solve; use lam > 0")
        f = sp.lambdify([*eq.ATOM, *args], dens, modules="mpmath")
        vals = [solved[x] if x in solved else to_mpf(params[x]) for x in args]
        for a in regime.null_atoms:
            atom = [to_mpf(getattr(a, key)) for key in ("s1", "s2", "theta", "delta")]
            values[k] += to_mpf(a.weight) * f(*atom, *vals)


def _solve_and_evaluate(regime: Regime, spec, dps: int):
    system = regime.system
    c = compile_system(system)
    params = parameter_values(spec)
    sol = solve_point(c, params, regime.atoms, dps=dps)
    p_mp = [to_mpf(params[s]) for s in c.params]
    outs = c.outputs_mp(sol.x, p_mp, atoms_mp(regime.atoms))
    for k in PARTS:
        v = outs[k]
        if not mp.isfinite(v):
            raise ConvergenceError(f"{k} evaluated to {v} in regime {regime.name}")
    if outs["test_error"] < 0:
        tiny = mp.mpf(10) ** (-(mp.mp.dps - 5))
        if outs["test_error"] < -tiny:
            raise ConvergenceError(f"negative test error {mp.nstr(outs['test_error'], 5)} "
                                   f"in regime {regime.name}: the solve is not trustworthy")
    unknowns = {str(x): v for x, v in zip(c.unknowns, sol.x)}
    for x, v in zip(c.unknowns, sol.x):
        if x in system.positive and v <= 0:
            raise ConvergenceError(f"unknown {x} = {mp.nstr(v, 5)} left its domain (> 0)")
    return outs, sol.residual, sol.step, unknowns


def curve(config, wrt: str | None = None, **varying) -> dict:
    """The float64 path: evaluate many points at once, vectorized.

    ``varying`` maps scalar config keys (phi, p2, lam, sigma1, sigma2, alpha) to arrays of
    one common length P; every other key comes from ``config``.  Returns a dict of numpy
    arrays (length P) for ``test_error``, ``bias``, ``variance``, ``zeta``.  Points are
    grouped by regime and solved together by a λ-continuation of batched Newton steps;
    a point that float64 cannot solve is computed by :func:`predict` instead.  A point on
    the ridgeless interpolation threshold gets its one-sided limits (+inf where the error
    diverges).  With ``wrt`` (a scalar key), the derivatives ``d_test_error``, ``d_bias``,
    ``d_variance``, ``d_zeta`` with respect to it are returned too (:func:`derivative`).

    >>> import numpy as np
    >>> cfg = {"phi": 0.5, "p2": 0.1, "lam": 0, "atoms": [
    ...     {"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]}
    >>> np.round(curve(cfg, phi=[0.1, 0.5, 2.0])["zeta"], 6)  # p2² + p1p2φ/(1−φ); c²p2(φ−p2)/(φ(φ−1))
    array([0.02 , 0.1  , 0.095])
    """
    import numpy as np

    from .compiled import atoms_float
    from .errors import DivergenceError
    from .regimes import threshold_parts
    from .solve import continuation_np
    from .spec import SCALAR_KEYS, to_number

    if not varying:
        raise ConfigError("curve: give at least one varying key, e.g. phi=[...]")
    arrays = {}
    for key, values in varying.items():
        if key not in SCALAR_KEYS:
            raise ConfigError(f"curve: {key} cannot vary: allowed " + ", ".join(SCALAR_KEYS))
        arrays[key] = np.atleast_1d(np.asarray(values, dtype=object))
    lengths = {len(a) for a in arrays.values()}
    if len(lengths) != 1:
        raise ConfigError("curve: the varying arrays must have one common length")
    P = lengths.pop()
    base = parse(config)
    raw = base.to_config() if not isinstance(config, dict) else config
    scalars = {k: v for k, v in raw.items() if k != "atoms"}
    probe_atom = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]
    names = list(PARTS) + ([f"d_{k}" for k in PARTS] if wrt else [])
    out = {k: np.zeros(P) for k in names}
    groups = {}
    for i in range(P):
        point = dict(scalars)
        for key, arr in arrays.items():
            v = arr[i]
            point[key] = v.item() if hasattr(v, "item") else v
        spec = parse(dict(point, atoms=probe_atom)).replace(atoms=base.atoms)
        try:
            regime = regime_of(spec)
        except DivergenceError:
            for k, v in threshold_parts(spec).items():
                out[k][i] = v
            continue
        if regime.delegate is not None or regime.null_atoms or regime.exact_zero:
            _exact_point(out, i, spec, wrt)
            continue
        key = (regime.system, id(regime.atoms))
        groups.setdefault(key, (regime.atoms, []))[1].append((i, spec))
    for (system, _), (atoms, items) in groups.items():
        c = compile_system(system)
        p = np.array([[float(parameter_values(spec)[s]) for s in c.params] for _, spec in items])
        A = atoms_float(atoms)
        x, ok, _ = continuation_np(c, p, A)
        vals = c.outputs_np(x, p, A)
        dvals = None
        if wrt:
            sym = _param_symbol(wrt)
            dvals = c.tangent(sym).derivative_np(x, p, A) if sym in c.params else None
        for row, (i, spec) in enumerate(items):
            good = ok[row] and np.all(np.isfinite(vals[row])) and (
                not wrt or (dvals is not None and np.all(np.isfinite(dvals[row]))))
            if not good:
                _exact_point(out, i, spec, wrt)
                continue
            for col, name in enumerate(c.output_names):
                if name in PARTS:
                    out[name][i] = vals[row, col]
                    if wrt:
                        out[f"d_{name}"][i] = dvals[row, col]
    return out


def _exact_point(out, i, spec, wrt):
    exact = predict(spec, dps=17)
    for k in PARTS:
        out[k][i] = float(exact[k])
    if wrt:
        d = derivative(spec, wrt, dps=17)
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

    return {k: fmt(v, 3 if k in ("residual", "newton_step") else dps)
            for k, v in result.items()}


__all__ = ["predict", "curve", "parts_to_strings", "PARTS"]
