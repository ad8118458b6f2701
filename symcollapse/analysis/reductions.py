r"""Exact reductions between models, used as independent checks of the general theory.

**Isotropic random projections = the linear model in feature space**
(docs/theory/projections.md).  With Σ1 = Σ2 = sI and ρ = m/d, condition on S: z = Sx has
covariance sSSᵀ for both groups, and each label splits into a part linear in z plus an
independent residual.  So the projections model is the linear model in dimension m with

* ratio φ' = ψ, the same ridge λ and mixture;
* spectrum s·μ with μ ~ Marchenko–Pastur(ρ): density √((b−μ)(μ−a))/(2πρμ) on
  [(1−√ρ)², (1+√ρ)²], plus an atom of mass 1 − 1/ρ at 0 when ρ > 1;
* energies θ' = ρ r²/μ and δ' = ρ c²/μ on μ > 0;
* noise σ1'² = σ1² + s r²(1−ρ)₊, σ2'² = σ2² + s(r² + c²)(1−ρ)₊,

and E_test = E_linear + s r²(1−ρ)₊ (the part of w1 outside the row space of S).

The Marchenko–Pastur traces are integrals; with μ = 1 + ρ + 2√ρ cos ϑ the density becomes
the smooth periodic weight :math:`2\rho\sin^2\vartheta/(\pi\rho\mu)` on [0, π], so the
midpoint rule converges exponentially: :func:`marchenko_pastur_atoms` gives N nodes as
atoms, and :func:`projection_via_linear` doubles N until two successive answers agree to
the requested precision.
"""
from __future__ import annotations

import mpmath as mp

from symcollapse import models
from symcollapse.core.decomposition import predict
from symcollapse.core.errors import ConvergenceError, UnsupportedError
from symcollapse.core.spec import Atom, parse


def marchenko_pastur_atoms(rho, N: int, *, s=1, r2=0, c2=0):
    """N midpoint-rule atoms of the continuous Marchenko–Pastur(ρ) law (eigenvalues
    scaled by s, energies ρr²/μ and ρc²/μ), plus the atom at 0 when ρ > 1; weights
    as mpf at the current precision."""
    rho = mp.mpf(rho)
    h = 2 * mp.sqrt(rho)
    atoms = []
    for k in range(N):
        th = mp.pi * (k + mp.mpf(1) / 2) / N
        mu = 1 + rho + h * mp.cos(th)
        w = h ** 2 * mp.sin(th) ** 2 / (2 * rho * mu * N)
        atoms.append(Atom(w, s * mu, s * mu, rho * r2 / mu, rho * c2 / mu))
    if rho > 1:
        atoms.append(Atom(1 - 1 / rho, mp.mpf(0), mp.mpf(0), mp.mpf(0), mp.mpf(0)))
    return atoms


def projection_via_linear(config, dps: int = 30, *, max_nodes: int = 8192) -> dict:
    """The isotropic random-projections deterministic equivalent computed as the linear
    model in feature space (module docstring), to ``dps`` digits.  Returns test_error,
    bias, variance, zeta (mpf) and ``nodes`` (the quadrature size used).

    The feature-space problem books the residual signal as label noise; its shares are
    moved back (the r² parts to Bias, the c² part to ζ) so that Bias, Var and ζ are
    comparable with :func:`~symcollapse.predict` part by part.
    """
    spec = parse(config)
    if not models.get(spec.model).rank_limited or len(spec.atoms) != 1 \
            or spec.atoms[0].s1 != spec.atoms[0].s2:
        raise UnsupportedError("projection_via_linear: isotropic random projections only "
                               "(one atom with s1 = s2)")
    a = spec.atoms[0]
    prev = None
    with mp.workdps(dps + 10):
        s, r2, c2 = (mp.mpf(x.numerator) / x.denominator for x in (a.s1, a.theta, a.delta))
        rho = mp.mpf(spec.psi.numerator) / spec.psi.denominator / (
            mp.mpf(spec.phi.numerator) / spec.phi.denominator)
        short = max(mp.mpf(0), 1 - rho)
        sig1 = mp.sqrt(_mpf(spec.sigma1) ** 2 + s * r2 * short)
        sig2 = mp.sqrt(_mpf(spec.sigma2) ** 2 + s * (r2 + c2) * short)
        N = 32
        while N <= max_nodes:
            atoms = marchenko_pastur_atoms(rho, N, s=s, r2=r2, c2=c2)
            lin = spec.replace(model="linear", psi=None, phi=spec.psi, sigma1=sig1, sigma2=sig2,
                               atoms=tuple(atoms))
            r = predict(lin, dps=dps + 5)
            out = {k: r[k] for k in ("test_error", "bias", "variance", "zeta")}
            # the residual signal outside the row space of S: s r²(1−ρ)₊ at test time,
            # and label noise in training (booked by the z-space model as variance)
            u = {k: r["unknowns"].get(k, mp.mpf(0)) for k in ("u1", "u2")}
            a1, a2 = _mpf(spec.p1), _mpf(spec.p2)
            extra_r = s * r2 * short * (a1 * u["u1"] + a2 * u["u2"])
            extra_c = s * c2 * short * a2 * u["u2"]
            out["variance"] -= extra_r + extra_c
            out["bias"] += s * r2 * short + extra_r
            out["zeta"] += extra_c
            out["test_error"] += s * r2 * short
            if prev is not None and all(
                    abs(out[k] - prev[k]) <= mp.mpf(10) ** (-dps - 2) * (1 + abs(out[k])) for k in out):
                with mp.workdps(dps):
                    res = {k: +v for k, v in out.items()}
                res["nodes"] = N
                return res
            prev = out
            N *= 2
    raise ConvergenceError(f"Marchenko–Pastur quadrature did not reach {dps} digits with "
                           f"{max_nodes} nodes")


def _mpf(x):
    return mp.mpf(x.numerator) / x.denominator
