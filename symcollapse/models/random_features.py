r"""The random features model: ridge regression on m nonlinear random features.

Features :math:`\sigma(Sx)`, S ∈ R^{m×d} iid N(0, 1/d), m = ψn, σ = ReLU (centred:
max(h, 0) − 1/√(2π)) or tanh; :math:`\hat v` minimizes the ridge loss on the features
(λ > 0), f(x) = v̂ᵀσ(Sx); test error :math:`E_x[(f(x) - x^\top w_1)^2]` over x ~ N(0, Σ1).
The theory replaces σ(X_jSᵀ) by its Gaussian equivalent μ1_j X_jSᵀ + μ*_j Z_j with the
constants of each group (they differ when tr Σ1 ≠ tr Σ2) and is derived by the pencil engine
(:mod:`symcollapse.pencil.random_features`).
"""
from fractions import Fraction as F

from symcollapse.models.base import Model, register

_ATOMS = [{"weight": F(1, 2), "s1": 2, "s2": 1, "theta": 1, "delta": F(1, 2)},
          {"weight": F(1, 2), "s1": F(1, 2), "s2": F(3, 2), "theta": F(1, 2), "delta": 1}]

MODEL = register(Model(
    name="random_features",
    position=2,
    example={"model": "random_features", "activation": "relu", "psi": F(7, 10),
             "phi": F(1, 2), "p2": F(1, 5), "lam": F(1, 10), "sigma1": F(1, 2),
             "sigma2": F(1, 2), "atoms": _ATOMS},
    ridgeless_example={"lam": 0},
    summary="ridge regression on m = psi*n random features sigma(Sx)",
    keys={"psi": "the model size m/n", "activation": "the activation of the features"},
    choices={"activation": ("relu", "tanh")},
    size_key="psi",
    refusals={
        "floor_closed_form": "the n -> oo floor weights are derived in closed form for model "
                             '"linear" only (floor_weights solves the random features floor)',
        "ridgeless": "ridgeless: random features need lam > 0",
        "iterative": 'strategy "iterative": the recursion is derived for model "linear" only '
                     "(not for random features)",
        "simulate:iterative": 'simulate: strategy "iterative" is available for model "linear" '
                              "(the loop of random features is not simulated)",
        "training": "training error: the training-error probe is not posed for random features "
                    "(predict gives the test error and its parts)",
    },
    hooks={
        "regime": "symcollapse.pencil.random_features:regime",
        "parameters": "symcollapse.pencil.random_features:constants",
        "system": "symcollapse.pencil.random_features:system",
        "pair_sources": "symcollapse.pencil.random_features:sources",
        "simulate": "symcollapse.simulation.random_features:simulate_rf",
        "loop_constants": "symcollapse.pencil.random_features:loop_constants",
        "loop_fixed": "symcollapse.core.feature_loops:fixed_design",
        "loop_fresh_replace": "symcollapse.core.feature_loops:fresh_replace",
        "loop_fresh_accumulate": "symcollapse.core.accumulate:feature_fresh_accumulate",
        "loop_trial": "symcollapse.simulation.loops:rf_loop_trial",
    },
))
