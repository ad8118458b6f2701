"""The comparison every loop test makes: the theory of a self-consuming loop against the
simulated loop, part by part and generation by generation."""

PARTS = ("test_error", "bias", "variance")


def assert_loop_matches(theory, mc, generations: int, allowance: float):
    """Each of E_test, Bias, Var at t = 0..generations within 3 se + ``allowance`` (relative:
    the deterministic equivalent's stated finite-size bias) of the simulation's mean."""
    for part in PARTS:
        for t in range(generations + 1):
            a = float(theory[part][t])
            m, se = mc["conditional"][part]["mean"][t], mc["conditional"][part]["se"][t]
            assert abs(m - a) <= 3 * se + allowance * abs(a) + 1e-12, (part, t, a, m, se)
