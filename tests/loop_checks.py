"""The comparisons the loop tests make: the theory of a self-consuming loop against the
simulated loop, part by part and generation by generation; a ridgeless loop against the
ridge loop as λ → 0."""
from fractions import Fraction

import symcollapse as sc

PARTS = ("test_error", "bias", "variance")


def assert_loop_matches(theory, mc, generations: int, allowance: float):
    """Each of E_test, Bias, Var at t = 0..generations within 3 se + ``allowance`` (relative:
    the deterministic equivalent's stated finite-size bias) of the simulation's mean."""
    for part in PARTS:
        for t in range(generations + 1):
            a = float(theory[part][t])
            m, se = mc["conditional"][part]["mean"][t], mc["conditional"][part]["se"][t]
            assert abs(m - a) <= 3 * se + allowance * abs(a) + 1e-12, (part, t, a, m, se)


def assert_ridge_tends_to_ridgeless(cfg):
    """The ridge loop at λ = 10⁻⁴ and 10⁻⁶ against the ridgeless ``cfg`` (λ = 0), the largest
    relative gap of E_test over the generations: below 5e-4 at 10⁻⁶, and falling like λ
    (a ratio between 50 and 200 for a factor 100 in λ).  The two are separate derivations."""
    exact = sc.predict(cfg, dps=20)["test_error"]
    gaps = [max(abs(a / b - 1) for a, b in zip(sc.predict(dict(cfg, lam=lam), dps=15)["test_error"], exact))
            for lam in (Fraction(1, 10 ** 4), Fraction(1, 10 ** 6))]
    assert gaps[1] < 5e-4 and 50 < gaps[0] / gaps[1] < 200, gaps
