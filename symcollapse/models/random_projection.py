r"""The random projections model: ridge regression on m random projections of the inputs.

Features :math:`Sx`, S ∈ R^{m×d} iid N(0, 1/d), m = ψn; :math:`\hat v` minimizes the
(weighted) ridge loss on the features and :math:`\hat w = S^\top\hat v`; test error
:math:`(\hat w - w_1)^\top\Sigma_1(\hat w - w_1)`.  Its deterministic equivalent adds the
effective ridge L of the m-dimensional problem to (e1, e2); the ridgeless limit has three
sides (m < min(n, d), d < min(n, m), n < min(d, m)).  The fit sees the signal only through
the m-dimensional projection: below full rank the rest acts as noise.
"""
from fractions import Fraction as F

from symcollapse.models.base import Model, register

_ATOMS = [{"weight": F(1, 2), "s1": 2, "s2": 1, "theta": 1, "delta": F(1, 2)},
          {"weight": F(1, 2), "s1": F(1, 2), "s2": F(3, 2), "theta": F(1, 2), "delta": 1}]

MODEL = register(Model(
    name="random_projection",
    position=1,
    example={"model": "random_projection", "psi": F(7, 10), "phi": F(1, 2), "p2": F(1, 5),
             "lam": F(1, 10), "sigma1": F(1, 2), "sigma2": F(1, 2), "atoms": _ATOMS},
    ridgeless_example={"lam": 0, "phi": 2, "psi": F(1, 2)},
    summary="ridge regression on m = psi*n random projections of the inputs",
    keys={"psi": "the model size m/n"},
    size_key="psi",
    rank_limited=True,
    limit_scalings={"lam->oo": {"L_eff": "ell"}},
    refusals={
        "floor_closed_form": "the n -> oo floor weights are derived in closed form for model "
                             '"linear" only (floor_weights solves the random projections floor)',
        "iterative": 'strategy "iterative": the recursion is derived for model "linear" only '
                     "(not for random projections)",
        "loop_fresh_replace_ridgeless": 'strategy "replace" with design "fresh" at lam = 0: the '
                                        "recursion runs where the fits interpolate; elsewhere the "
                                        "loop reduces to generation 0",
        "simulate:iterative": 'simulate: strategy "iterative" is available for model "linear" '
                              "(the loop of random projections is not simulated)",
    },
    unknowns={"R_g_m": "phi/(psi*L)", "R_g_n1": "a1*e1/(1 - p2)", "R_g_n2": "a2*e2/p2"},
    rates={"L": "b", "e1": "u1", "e2": "u2"},
    training_rates={"L": "b_2", "e1": "v1", "e2": "v2"},
    training_outputs={"shrink1": "e1**2", "shrink2": "e2**2", "gap": "(1 - p2)*e1 + p2*e2",
                      "df": "(1 - p2)*(1 - e1) + p2*(1 - e2)"},
    unique_root=True,
    cache_system=True,
    hooks={
        "regime": "symcollapse.core.regimes:projection_regime",
        "sources": "symcollapse.pencil.operator_valued:projection_sources",
        "simulate": "symcollapse.simulation.montecarlo:simulate_mixture",
        "loop_fixed": "symcollapse.core.feature_loops:fixed_design",
        "loop_fresh_replace": "symcollapse.core.feature_loops:fresh_replace",
        "loop_fresh_accumulate": "symcollapse.core.accumulate:feature_fresh_accumulate",
    },
))
