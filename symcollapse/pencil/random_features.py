r"""The random features model on a real/synthetic mixture (docs/setting.md; plain mixing, λ > 0),
posed through the pencil engine.

Gaussian equivalence (docs/theory/random-features.md): σ(X_jSᵀ) ≈ F_j = μ1_j X_jSᵀ + μ*_j Z_j,
Z_j an n_j × m iid N(0, 1) block, κ_j = μ*_j² (μ0 dropped: O(1/n)).  Ridge:
v̂ = R Σ_j c_jF_jᵀy_j, R = (Σ_j c_jF_jᵀF_j + λ)⁻¹, c_j = a_j/n_j.  Test error
‖μ1_1Sᵀv̂ − w1‖²_{Σ1} + κ1‖v̂‖²: with Q = μ1_1²SΣ1Sᵀ + κ1 and the probe
R_t = (Σ_j c_jF_jᵀF_j + λ + tQ)⁻¹ placed in the pencil of R at the (m, m) block (tκ1) and at
group 1's d-block u_1 (tμ1_1²Σ1), the pencil's group blocks s_j (d, next to S) and r_j (n_j)
satisfy (checked by :func:`~symcollapse.pencil.linearization.check`)

    (L⁻¹)_{s_js_k} = μ1_jμ1_k/(c_jc_k) A_jᵀR_tA_k − δ_jk(μ1_j²X_jᵀX_j/c_j + α_j/c_j²),
    A_1 = c_1F_1ᵀX_1 + tμ1_1SΣ1, A_2 = c_2F_2ᵀX_2, α_1 = tμ1_1²Σ1, α_2 = 0,
    (L⁻¹)_{r_jr_j} = −1/c_j + F_jR_tF_jᵀ,

so that with the w1-, noise- and δ-parts of v̂:

    Bias = −∂_t Σ_jk c_jc_k/(μ1_jμ1_k) tr(Θ (L⁻¹)_{s_js_k}),
    Var  = −Σ_j σ_j² c_j² n_j ∂_t tr_{n_j}(L⁻¹)_{r_jr_j},
    ζ    = −c_2²/μ1_2² ∂_t tr(Δ (L⁻¹)_{s_2s_2}).
"""
from __future__ import annotations

import functools
import time
from fractions import Fraction

import mpmath as mp
import sympy as sp

from symcollapse.core import equations as eq
from symcollapse.core.compiled import atoms_mp, compile_system, to_mpf
from symcollapse.core.equations import PARTS
from symcollapse.core.errors import ConfigError, ConvergenceError, UnsupportedError
from symcollapse.core.regimes import (Regime, fixed_parameters, model_family, parameter_values,
                                      weight_zero_regime)
from symcollapse.core.solve import solve_point
from symcollapse.core.spec import parse
from symcollapse.pencil.expr import Diag, Gaussian, Identity, inverse
from symcollapse.pencil.gaussian_equivalence import (gaussian_equivalence, group_parameters, kappa1,
                                                     kappa2, mu1_1, mu1_2)
from symcollapse.pencil.linearization import linearize
from symcollapse.pencil.operator_valued import d_dim, n1_dim, n2_dim, t_probe as t
from symcollapse.pencil.rf_support import PairOutput, derive_pair_system, with_probe

__all__ = ["CONFIG_KEYS", "sources", "system", "parameters", "predict", "time_to_system"]
#: Config keys the model reads (docs/setting.md).
CONFIG_KEYS = ("model", "activation", "strategy", "phi", "psi", "p2", "lam", "sigma1", "sigma2",
               "atoms")
MU, KAPPA = (mu1_1, mu1_2), (kappa1, kappa2)


def sources():
    """The probed pencil of R_t and the outputs ``{part: [PairOutput, ...]}``."""
    n, d = (n1_dim, n2_dim), d_dim
    Sig = (Diag("Sigma1", "d"), Diag("Sigma2", "d"))
    X = [Gaussian(f"X{j}", f"n{j}", "d", covariance=Sig[j - 1]) for j in (1, 2)]
    S = Gaussian("S", "m", "d", variance=1 / d)
    F = [MU[j] * X[j] @ S.T + sp.sqrt(KAPPA[j]) * Gaussian(f"Z{j + 1}", f"n{j + 1}", "m")
         for j in (0, 1)]
    c = (eq.a1 / n[0], eq.a2 / n[1])
    gram = F[0].T @ F[0] * c[0] + F[1].T @ F[1] * c[1] + eq.lam * Identity("m")
    Q = mu1_1 ** 2 * S @ Sig[0] @ S.T + kappa1 * Identity("m")
    P0 = linearize(inverse(gram))
    pos = P0.positions
    u = [next(i for i, _, _, tp in pos[f"X{j}"] if tp) for j in (1, 2)]      # X_jᵀ in row u_j
    linked = dict(P0.entries)
    s = [next(i for i, k, _, tp in pos["S"] if tp and k == P0.row and (u[j], i) in linked)
         for j in (0, 1)]                                   # Sᵀ in row s_j, s_j linked to u_j
    r = [P0.blocks.index(f"n{j}") for j in (1, 2)]
    P = with_probe(P0, {P0.row: t * kappa1 * Identity("m"), u[0]: t * mu1_1 ** 2 * Sig[0]},
                   expr=inverse(gram + t * Q))
    bias = [PairOutput((s[j], s[k]), eq.THETA, -c[j] * c[k] / (MU[j] * MU[k]), True)
            for j in (0, 1) for k in (0, 1)]
    var = [PairOutput((r[j], r[j]), 1, -sig ** 2 * c[j] ** 2 * n[j], True)
           for j, sig in ((0, eq.sigma1), (1, eq.sigma2))]
    zeta = PairOutput((s[1], s[1]), eq.DELTA, -c[1] ** 2 / mu1_2 ** 2, True)
    return P, {"bias": bias, "variance": var, "zeta": zeta, "test_error": bias + var + [zeta]}


def system(strategy: str = "plain"):
    """The engine-derived System of a mixing strategy (``"plain"``: a_j = p_j;
    ``"weighted"``: a1 = α, a2 = 1 − α, :func:`~symcollapse.core.equations.mixture_weights`,
    substituted before the traces are simplified): first-order unknowns and their rates,
    derived once per strategy (the model's ``system`` hook)."""
    return _derived(strategy)


@functools.lru_cache(maxsize=None)
def _derived(strategy: str):
    P, outputs = sources()
    return derive_pair_system(P, outputs, params=eq.mixture_weights(strategy), probe=t,
                              name="random_features/engine" + ("" if strategy == "plain" else f"/{strategy}"))


def regime(spec) -> Regime:
    """The regime of a random-features spec: the engine's system at λ > 0 (the ridgeless
    limit is refused by the model; α ∈ {0, 1}: :func:`~symcollapse.core.regimes.weight_zero_regime`)."""
    alone = weight_zero_regime(spec, "random_features")
    if alone is not None:
        return alone
    weighted = spec.strategy == "weighted"
    return Regime(name="random_features/ridge" + ("/weighted" if weighted else ""), atoms=spec.atoms,
                  system=model_family("random_features", spec.strategy, fixed_parameters(spec)),
                  description="ridge lam > 0: the system the pencil engine derives")


def constants(spec) -> dict:
    """The Gaussian-equivalence constants μ1_j, κ_j = μ*_j² of each group as parameters,
    evaluated at the working precision where they are used
    (:func:`~symcollapse.pencil.gaussian_equivalence.group_parameters`)."""
    return group_parameters(spec)


def loop_constants(spec):
    """(μ1², κ) of the self-consuming loops' one distribution (τ² = tr Σ), at the working
    precision: the features are μ1XSᵀ + √κZ (:mod:`symcollapse.core.feature_loops`)."""
    tau2 = sum(Fraction(a.weight) * Fraction(a.s1) for a in spec.atoms)
    c = gaussian_equivalence(spec.activation, tau2)
    return c["mu1"] ** 2, c["mustar2"]


def parameters(spec, constants=None) -> dict:
    """Parameter symbol → value: the spec's scalars and the Gaussian-equivalence constants
    of each group (:func:`~symcollapse.pencil.gaussian_equivalence.group_constants`, working precision),
    or ``constants = {"mu1": (μ1_1, μ1_2), "kappa": (κ1, κ2)}`` (e.g. ``gaussian_equivalence.LINEAR``)."""
    vals = parameter_values(spec)           # with the activation's constants
    if constants is not None:
        vals.update(zip(MU + KAPPA, constants["mu1"] + constants["kappa"]))
    return {k: to_mpf(v) if k in MU + KAPPA else v for k, v in vals.items()}


def predict(config, dps: int = 30, constants=None) -> dict:
    """E_test, Bias, Var, ζ of a ``random_features`` config from the engine's System
    (``constants``: see :func:`parameters`)."""
    if isinstance(dps, bool) or not isinstance(dps, int) or not 1 <= dps <= 10_000:
        raise ConfigError(f"dps = {dps!r} is out of range: allowed integers 1 <= dps <= 10000")
    spec = parse(config)
    if spec.activation is None:
        raise ConfigError(f'model = "{spec.model}": this model needs model "random_features" '
                          "(an activation)")
    if spec.strategy not in ("plain", "weighted") or spec.lam <= 0:
        raise UnsupportedError('random_features (engine): strategies "plain" and "weighted" '
                               "with lam > 0 are derived")
    c = compile_system(system(spec.strategy))
    with mp.workdps(dps + 15):
        params = parameters(spec, constants)
        sol = solve_point(c, params, spec.atoms, dps=dps)
        outs = c.outputs_mp(sol.x, c.values_mp(params), atoms_mp(spec.atoms))
        if not all(mp.isfinite(outs[k]) for k in PARTS):
            raise ConvergenceError(f"non-finite outputs {outs}")
    with mp.workdps(dps):
        out = {k: +outs[k] for k in PARTS}
        out.update(residual=+sol.residual, newton_step=+sol.step,
                   unknowns={str(x): +v for x, v in zip(c.unknowns, sol.x)})
    out.update(dps=dps, regime="random_features/engine")
    return out


def time_to_system(config, dps: int = 30) -> dict:
    """Seconds from expression to pencil, to System, to a solved point."""
    t0 = time.perf_counter()
    P, outputs = sources()
    t1 = time.perf_counter()
    s = derive_pair_system(P, outputs, params=eq.mixture_weights("plain"), probe=t)
    t2 = time.perf_counter()
    spec = parse(config)
    with mp.workdps(dps + 15):
        c = compile_system(s)
        t3 = time.perf_counter()
        sol = solve_point(c, parameters(spec), spec.atoms, dps=dps)
    t4 = time.perf_counter()
    return {"pencil": t1 - t0, "system": t2 - t1, "compile": t3 - t2, "solve": t4 - t3,
            "total": t4 - t0, "unknowns": len(s.unknowns), "residual": sol.residual}
