r"""The random features model's deterministic equivalent, encoded *as stated* in
docs/theory/random-features.md (plain mixing, λ > 0): the reference statement.

Nothing here is derived: the equations below are the statement typed in as an
:class:`~symcollapse.core.equations.System`, so that an automatic derivation can be compared
with it digit by digit.  It is solved by the ordinary path
(:func:`~symcollapse.core.compiled.compile_system`, :func:`~symcollapse.core.solve.solve_point`).

**Gaussian equivalence** (per group j, pre-activation variance τ_j² = tr Σ_j, g ~ N(0, 1)):
μ0_j = E σ(τ_jg), μ1_j = E σ′(τ_jg), μ*_j² = E σ(τ_jg)² − μ0_j² − τ_j²μ1_j²; relu (centred)
by SymPy's integrals in closed form, tanh by mpmath quadrature at the working precision.
Σ_j′ = μ1_j²Σ_j, κ_j = μ*_j², θ′ = θ/μ1_1², δ″ = δ/μ1_2², r = μ1_1/μ1_2, ρ = ψ/φ.

**Statement.**  Unknowns e1, e2, L (first order) and u1, u2, b (second order)::

    M = p1e1Σ1′ + p2e2Σ2′,  K = M + L
    e_j = 1 / (1 + φ tr(Σ_j′K⁻¹) + φκ_j/L)
    λφ = L(ψ − 1 + p1e1 + p2e2)
    Σ1eff = (1 + p1u1)Σ1′ + p2u2Σ2′,  ū = (1 + p1u1)κ1 + p2u2κ2,  B = Σ1eff + b
    u_j = φ e_j² [tr(Σ_j′BK⁻²) + κ_j b/L²]
    b (ρ − tr(M²K⁻²)) = L² tr(Σ1eff K⁻²) + ū
    Bias0(t) = L² tr(t Σ1eff K⁻²) + b tr(t M² K⁻²)
    ζ(t)     = p2²e2² tr(t Σ2′² B K⁻²) + p2u2 [tr(tΣ2′) − 2p2e2 tr(t Σ2′² K⁻¹)]
    X(t)     = p2e2 tr(t Σ2′ M B K⁻²) + p2u2 tr(tΣ2′)
               − p2 tr(t Σ2′ K⁻¹ [(p1e2u1 + p1e1u2 + e2)Σ1′ + 2p2e2u2 Σ2′])
    Bias = Bias0(θ′) + 2(r − 1) X(θ′) + (r − 1)² ζ(θ′);  Var = p1σ1²u1 + p2σ2²u2;  ζ_RF = ζ(δ″)
    E_test ≃ Bias + Var + ζ_RF

With κ_j = 0 and μ1_j = 1 it is the projections theorem 
(:func:`oracles.statements.projection_system`), which :func:`predict_rf` reproduces (``constants=LINEAR``).
"""
from __future__ import annotations

import functools

import mpmath as mp

from symcollapse.core import equations as eq
from symcollapse.core.compiled import atoms_mp, compile_system, to_mpf
from symcollapse.core.equations import DELTA, S1, S2, THETA, System, tr
from symcollapse.core.errors import ConfigError, ConvergenceError, UnsupportedError
from symcollapse.core.regimes import parameter_values
from symcollapse.core.solve import solve_point
from symcollapse.core.spec import parse
from symcollapse.pencil.gaussian_equivalence import group_constants, kappa1, kappa2, mu1_1, mu1_2

GUARD_DIGITS = 15
PARTS = ("test_error", "bias", "variance", "zeta")



@functools.lru_cache(maxsize=None)
def rf_statement() -> System:
    """docs/theory/random-features.md's statement (plain mixing), encoded as stated."""
    e1, e2, u1, u2, L, b = eq.e1, eq.e2, eq.u1, eq.u2, eq.L_eff, eq.b_rate
    phi, psi, p2, lam, s1, s2 = eq.phi, eq.psi, eq.p2, eq.lam, eq.sigma1, eq.sigma2
    p1 = 1 - p2
    S1p, S2p = mu1_1 ** 2 * S1, mu1_2 ** 2 * S2
    M = p1 * e1 * S1p + p2 * e2 * S2p
    K = M + L
    Seff = (1 + p1 * u1) * S1p + p2 * u2 * S2p
    ubar = (1 + p1 * u1) * kappa1 + p2 * u2 * kappa2
    B = Seff + b
    equations = (
        e1 * (1 + phi * tr(S1p / K) + phi * kappa1 / L) - 1,
        e2 * (1 + phi * tr(S2p / K) + phi * kappa2 / L) - 1,
        L * (psi - 1 + p1 * e1 + p2 * e2) - lam * phi,
        u1 - phi * e1 ** 2 * (tr(S1p * B / K ** 2) + kappa1 * b / L ** 2),
        u2 - phi * e2 ** 2 * (tr(S2p * B / K ** 2) + kappa2 * b / L ** 2),
        b * (psi / phi - tr(M ** 2 / K ** 2)) - L ** 2 * tr(Seff / K ** 2) - ubar,
    )

    def bias0(t):
        return L ** 2 * t * Seff / K ** 2 + b * t * M ** 2 / K ** 2

    def zeta(t):
        return (p2 ** 2 * e2 ** 2 * t * S2p ** 2 * B / K ** 2
                + p2 * u2 * (t * S2p - 2 * p2 * e2 * t * S2p ** 2 / K))

    def cross(t):
        return (p2 * e2 * t * S2p * M * B / K ** 2 + p2 * u2 * t * S2p
                - p2 * t * S2p / K * ((p1 * e2 * u1 + p1 * e1 * u2 + e2) * S1p
                                      + 2 * p2 * e2 * u2 * S2p))

    theta_p, delta_pp, r = THETA / mu1_1 ** 2, DELTA / mu1_2 ** 2, mu1_1 / mu1_2
    dens = {"bias": bias0(theta_p) + 2 * (r - 1) * cross(theta_p) + (r - 1) ** 2 * zeta(theta_p),
            "variance": p1 * s1 ** 2 * u1 + p2 * s2 ** 2 * u2,
            "zeta": zeta(delta_pp)}
    dens["test_error"] = dens["bias"] + dens["variance"] + dens["zeta"]
    return System(name="random_features/statement", unknowns=(e1, e2, L, u1, u2, b),
                  equations=equations, densities=dens, positive=(e1, e2, L),
                  guess={e1: 1, e2: 1, L: lam * phi / psi, u1: 0, u2: 0, b: 0},
                  note="docs/theory/random-features.md, statement encoded as stated")


# ----------------------------------------------------------------------------- predict

def predict_rf(config, dps: int = 30, constants: dict | None = None) -> dict:
    """The encoded statement solved to ``dps`` digits for a ``random_features`` config.

    ``constants`` overrides the Gaussian-equivalence constants: ``{"mu1": (μ1_1, μ1_2),
    "kappa": (κ1, κ2)}`` (e.g. :data:`~symcollapse.pencil.gaussian_equivalence.LINEAR`); by default they come from the activation.
    Returns ``test_error``, ``bias``, ``variance``, ``zeta`` (mpf), ``residual``,
    ``newton_step``, ``unknowns`` (by name), ``constants`` (per group: tau2, mu0, mu1,
    mustar2) and ``dps``.
    """
    if isinstance(dps, bool) or not isinstance(dps, int) or not 1 <= dps <= 10_000:
        raise ConfigError(f"dps = {dps!r} is out of range: allowed integers 1 <= dps <= 10000")
    spec = parse(config)
    if spec.activation is None:
        raise ConfigError(f'model = "{spec.model}": predict_rf needs model "random_features" '
                          "(an activation)")
    if spec.strategy != "plain":
        raise UnsupportedError(f'predict_rf: strategy "{spec.strategy}" is not derived for model '
                               '"random_features" (available: "plain")')
    if spec.lam <= 0:
        raise UnsupportedError("predict_rf: lam = 0 is not derived for model \"random_features\" "
                               "(allowed lam > 0)")
    system = rf_statement()
    c = compile_system(system)
    with mp.workdps(dps + GUARD_DIGITS):
        ge = group_constants(spec)
        if constants is None:
            values = {mu1_1: ge[1]["mu1"], mu1_2: ge[2]["mu1"],
                      kappa1: ge[1]["mustar2"], kappa2: ge[2]["mustar2"]}
        else:
            (m1, m2), (k1, k2) = constants["mu1"], constants["kappa"]
            values = {mu1_1: to_mpf(m1), mu1_2: to_mpf(m2), kappa1: to_mpf(k1),
                      kappa2: to_mpf(k2)}
        params = {**parameter_values(spec), **values}
        sol = solve_point(c, params, spec.atoms, dps=dps)
        p_mp = c.values_mp(params)
        outs = c.outputs_mp(sol.x, p_mp, atoms_mp(spec.atoms))
        for x, v in zip(c.unknowns, sol.x):
            if x in system.positive and v <= 0:
                raise ConvergenceError(f"unknown {x} = {mp.nstr(v, 5)} left its domain (> 0)")
        for k in PARTS:
            if not mp.isfinite(outs[k]):
                raise ConvergenceError(f"{k} evaluated to {outs[k]}")
    with mp.workdps(dps):
        out = {k: +outs[k] for k in PARTS}
        out["residual"] = +sol.residual
        out["newton_step"] = +sol.step
        out["unknowns"] = {str(x): +v for x, v in zip(c.unknowns, sol.x)}
        out["constants"] = {j: {k: (v if k == "tau2" else +v) for k, v in g.items()}
                            for j, g in ge.items()}
    out["dps"] = dps
    return out
