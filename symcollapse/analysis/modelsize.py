r"""The model-size story of random projections, as computations.

* :func:`phase_diagram` — where a larger model is worse, ∂E_test/∂ψ > 0, over (ψ, c²).
  The fixed point does not involve Δ and every density is affine in Δ, so
  :math:`E_{\rm test}(c^2) = E_0 + c^2\zeta_1` with E0 the error of clean synthetic
  labels and ζ1 the ζ of unit quality.  Hence ∂E/∂ψ = ∂E0/∂ψ + c²∂ζ1/∂ψ is affine in c²
  and the boundary is the curve :math:`c^2_\star(\psi) = -\partial_\psi E_0 /
  \partial_\psi\zeta_1` (where positive).  Both derivatives come from the implicit
  function theorem on the SymPy system (:func:`~symcollapse.core.decomposition.curve` with
  ``wrt="psi"``).  :func:`phase_diagram_p2` does the same over (ψ, p2) on a grid.
* :func:`interpolation_peak` — for φ > 1 the ridgeless error diverges at ψ = 1; at a
  small ridge it has a finite peak: its location ψ*(λ) (root of ∂E/∂ψ, refined at high
  precision) and height E*(λ).  :func:`peak_scaling` tabulates them as λ → 0 and fits
  the exponent of E* ∝ λ^(−κ).
"""
from __future__ import annotations

import mpmath as mp
import numpy as np
import sympy as sp

from symcollapse import models
from symcollapse.core import equations as eq
from symcollapse.core.decomposition import curve, derivative, predict
from symcollapse.core.errors import ConfigError
from symcollapse.core.regimes import model_family
from symcollapse.core.spec import parse


def _check_affine_in_delta():
    for system in (model_family(m, s, ()) for m in ("linear", "random_projection")
                   for s in ("plain", "weighted")):
        for f in system.equations:
            if f.has(eq.DELTA):
                raise AssertionError("the fixed point involves Δ")
        for k, d in system.densities.items():
            if sp.diff(d, eq.DELTA, 2) != 0:
                raise AssertionError(f"{k} is not affine in Δ")


def _unit_quality(config):
    spec = parse(config)
    c2 = sum(a.weight * a.delta for a in spec.atoms)
    if c2 == 0:
        raise ConfigError("phase_diagram: the config's delta is 0 everywhere; give the "
                          "shape of the shift (any c² > 0), it is rescaled")
    unit = [dict(a, delta=float(a["delta"] / c2)) for a in _atoms(config)]
    zero = [dict(a, delta=0) for a in _atoms(config)]
    return dict(config, atoms=unit), dict(config, atoms=zero), c2


def _atoms(config):
    return [dict(a) for a in config["atoms"]]


def phase_diagram(config, psis, c2s) -> dict:
    """Sign of ∂E_test/∂ψ over a (ψ, c²) grid and the boundary curve c²*(ψ).

    ``config`` fixes everything else (its atoms give the shape of the shift; c² rescales
    it).  Returns ``psi``, ``c2``, ``dE_dpsi`` (array len(c2s) × len(psis)), ``worse``
    (boolean: a larger model is worse), ``c2_star`` (per ψ; NaN where no c² ≥ 0 changes
    the sign), and ``dE0``, ``dzeta1``.
    """
    _check_affine_in_delta()
    psis = np.asarray(psis, dtype=float)
    c2s = np.asarray(c2s, dtype=float)
    unit, zero, _ = _unit_quality(config)
    clean = curve(zero, wrt="psi", psi=psis)
    one = curve(unit, wrt="psi", psi=psis)
    dE0 = clean["d_test_error"]
    dzeta1 = one["d_test_error"] - dE0
    dE = dE0[None, :] + c2s[:, None] * dzeta1[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        star = -dE0 / dzeta1
    star = np.where((star >= 0) & np.isfinite(star), star, np.nan)
    return {"psi": psis, "c2": c2s, "dE_dpsi": dE, "worse": dE > 0, "c2_star": star,
            "dE0": dE0, "dzeta1": dzeta1}


def phase_diagram_p2(config, psis, p2s) -> dict:
    """Sign of ∂E_test/∂ψ over a (ψ, p2) grid (p2 enters the fixed point, so each grid
    point is solved; vectorized).  Returns ``psi``, ``p2``, ``dE_dpsi``, ``worse``."""
    psis = np.asarray(psis, dtype=float)
    p2s = np.asarray(p2s, dtype=float)
    P, Q = np.meshgrid(psis, p2s)
    out = curve(config, wrt="psi", psi=P.ravel(), p2=Q.ravel())
    dE = out["d_test_error"].reshape(P.shape)
    return {"psi": psis, "p2": p2s, "dE_dpsi": dE, "worse": dE > 0}


def interpolation_peak(config, *, dps: int = 20, psi_range=(0.5, 2.0), grid: int = 400) -> dict:
    """Location ψ* and height E* of the test-error peak in ψ (φ > 1, λ > 0).

    Bracket the sign change of ∂E/∂ψ from + to − on a log grid (float64 path), then
    refine ψ* by bisection-Illinois on the high-precision derivative.
    """
    spec = parse(config)
    model = models.get(spec.model)
    if model.size_key != "psi" or "regime" not in model.hooks:
        able = [m for m in models.names() if models.get(m).size_key == "psi"
                and "regime" in models.get(m).hooks]
        raise ConfigError("interpolation_peak: needs a model size psi and the float64 curve "
                          "path: allowed model " + ", ".join(f'"{m}"' for m in able))
    if spec.lam <= 0:
        raise ConfigError("interpolation_peak: lam must be > 0 (at lam = 0 the peak is "
                          "infinite at psi = 1 when phi > 1)")
    psis = np.geomspace(psi_range[0], psi_range[1], grid)
    d = curve(config, wrt="psi", psi=psis)["d_test_error"]
    idx = np.nonzero((d[:-1] > 0) & (d[1:] <= 0))[0]
    if idx.size == 0:
        raise ConfigError("interpolation_peak: no peak of E_test in psi within "
                          f"{psi_range} (is phi > 1?)")
    k = idx[0]
    lo, hi = mp.mpf(float(psis[k])), mp.mpf(float(psis[k + 1]))
    with mp.workdps(dps + 10):
        f = lambda x: derivative(dict(config, psi=x), "psi", dps=dps + 5)["test_error"]  # noqa: E731
        star = mp.findroot(f, (lo, hi), solver="illinois", tol=mp.mpf(10) ** (-dps))
        height = predict(dict(config, psi=star), dps=dps)["test_error"]
    with mp.workdps(dps):
        return {"psi_star": +star, "height": +height}


def peak_scaling(config, lams, *, dps: int = 20) -> dict:
    """ψ*(λ) and E*(λ) over ridges λ, and the fitted exponent κ of E* ∝ λ^(−κ) (least
    squares on log E* against log λ over the given λ)."""
    rows = [interpolation_peak(dict(config, lam=lam), dps=dps) for lam in lams]
    x = np.log(np.asarray(lams, dtype=float))
    y = np.log([float(r["height"]) for r in rows])
    slope = np.polyfit(x, y, 1)[0]
    return {"lam": list(lams), "psi_star": [r["psi_star"] for r in rows],
            "height": [r["height"] for r in rows], "kappa": float(-slope)}
