r"""The linear model: ridge regression on the mixture.

:math:`\hat w = \arg\min_w \frac1n\sum_i c_i(x_i^\top w - y_i)^2 + \lambda\|w\|^2` on
n1 = p1·n real rows x ~ N(0, Σ1), y = xᵀw1 + σ1ε and n2 = p2·n synthetic rows
x ~ N(0, Σ2), y = xᵀ(w1 + δ) + σ2ε (c_i = 1, or the weights of weighted mixing); test
error :math:`(\hat w - w_1)^\top\Sigma_1(\hat w - w_1)` in the proportional limit
d = φn → ∞.  Its deterministic equivalent is the two-unknown fixed point (e1, e2) with
K = p1e1Σ1 + p2e2Σ2 + λ; the ridgeless limit has an underparametrized and an
interpolating side (:mod:`symcollapse.core.regimes`); iterative mixing is the recursion of
:mod:`symcollapse.core.iterative`.
"""
from fractions import Fraction as F

from symcollapse.models.base import Model, register

_ATOMS = [{"weight": F(1, 2), "s1": 2, "s2": 1, "theta": 1, "delta": F(1, 2)},
          {"weight": F(1, 2), "s1": F(1, 2), "s2": F(3, 2), "theta": F(1, 2), "delta": 1}]

MODEL = register(Model(
    name="linear",
    position=0,
    example={"phi": F(1, 2), "p2": F(1, 5), "lam": F(1, 10), "sigma1": F(1, 2),
             "sigma2": F(1, 2), "atoms": _ATOMS},
    ridgeless_example={"lam": 0},
    summary="ridge regression on the real + synthetic mixture",
    unknowns={"R_g_n1": "a1*e1/(1 - p2)", "R_g_n2": "a2*e2/p2"},
    rates={"e1": "u1", "e2": "u2"},
    training_rates={"e1": "v1", "e2": "v2"},
    training_outputs={"shrink1": "e1**2", "shrink2": "e2**2", "gap": "(1 - p2)*e1 + p2*e2",
                      "df": "(1 - p2)*(1 - e1) + p2*(1 - e2)"},
    unique_root=True,
    cache_system=True,
    hooks={
        "regime": "symcollapse.core.regimes:linear_regime",
        "sources": "symcollapse.pencil.operator_valued:linear_sources",
        "simulate": "symcollapse.simulation.montecarlo:simulate_mixture",
        "loop_fixed": "symcollapse.core.loops:fixed_design",
        "loop_fresh_replace": "symcollapse.core.loops:fresh_replace",
        "loop_fresh_accumulate": "symcollapse.core.accumulate:fresh_accumulate",
    },
))
