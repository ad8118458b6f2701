"""The paper's claims, one module each, with a verdict established by computation.

Every module defines ``CLAIM`` (the claim in words), ``METHOD`` (how it is established:
symbolic proof, high-precision numerics, Monte Carlo), ``evaluate(fast=False, **inputs)``
returning a :class:`~paper_checks.common.Outcome` (verdict, key number, the data) and
``figure(outcome, path)`` writing one PNG.  The inputs have the paper's values as defaults;
the tests pass deliberately broken ones (p2 = 0, a wrong sign in ζ, …) and watch the
verdict flip.  :func:`paper_checks.runner.run_all` runs them all (``symcollapse check``).
"""

CLAIMS = (
    "strong_collapse",
    "zeta_culprit",
    "isotropic_closed_form",
    "amplification",
    "interpolation_peak",
    "mitigation",
    "weighted_mixing",
    "iterative_mixing",
    "theory_vs_monte_carlo",
    "scaling_plateau",
    "real_data_plateau",
    "real_data_model_size",
    "vanishing_share",
    "kinds_of_synthetic_data",
    "adaptive_mixing",
    "training_gap",
    "self_consuming_loops",
    "depth",
)
