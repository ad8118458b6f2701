r"""Monte Carlo of the random features model (docs/setting.md) on the real/synthetic mixture.

The finite model: S ∈ R^{m×d} with iid N(0, 1/d) entries, features F = σ(XSᵀ) (σ entrywise:
``"relu"`` σ(h) = max(h, 0) − 1/√(2π), ``"tanh"`` σ(h) = tanh h), ridge
:math:`\hat v = \arg\min (1/n)\sum_i c_i(F_i v - y_i)^2 + \lambda\|v\|^2` (c_i = 1 for plain
mixing, the weights of docs/setting.md for weighted mixing), predictor f(x) = v̂ᵀσ(Sx).  Like
:mod:`symcollapse.simulation.montecarlo` this module never imports the theory.

**Exact test expectation given the trained model.**  For x ~ N(0, Σ1) the pre-activations
h = Sx are jointly Gaussian with covariance T = SΣ1Sᵀ; write τ_i = √T_ii and
ρ_ik = T_ik/(τ_iτ_k).  Then

.. math:: E_x[(f(x) - x^\top w_1)^2] = \hat v^\top C\hat v - 2\hat v^\top c + w_1^\top\Sigma_1 w_1,
          \qquad C_{ik} = E[\sigma(h_i)\sigma(h_k)],\quad
          c = E[\sigma(h)x^\top]w_1 = \operatorname{diag}(\mu_{1,i})\,S\Sigma_1w_1,

with μ_{1,i} = E σ′(h_i) (Stein's lemma: E[x σ(h_i)] = Cov(x, h_i)·E σ′(h_i)).

* relu: with the arc-cosine kernel of degree 1,
  :math:`E[\max(h_i,0)\max(h_k,0)] = \tau_i\tau_k(\sqrt{1-\rho^2} + (\pi - \arccos\rho)\rho)/(2\pi)`
  and E max(h_i, 0) = τ_i/√(2π), the centring c0 = 1/√(2π) is exact:
  :math:`C_{ik} = \tau_i\tau_k(\sqrt{1-\rho^2} + (\pi-\arccos\rho)\rho)/(2\pi)
  - c_0(\tau_i+\tau_k)/\sqrt{2\pi} + c_0^2`; μ_{1,i} = 1/2.
* tanh (any smooth σ): Mehler's formula in the normalized Hermite polynomials
  h_k = He_k/√(k!), :math:`C_{ik} = \sum_{k\ge0} a_k(\tau_i)a_k(\tau_k)\rho_{ik}^k` with
  :math:`a_k(\tau) = E[\sigma(\tau g)h_k(g)]`, g ~ N(0, 1), off the diagonal, and
  C_ii = E σ(τ_ig)² on it.  Since Σ_k a_k(τ)² = E σ(τg)² ≤ 1 for tanh, the tail beyond
  order K is at most ρ_max^{K+1} (Cauchy–Schwarz), so K is chosen to make that < 1e-17.
  The a_k, E σ², and μ_1 = E σ′(τg) are integrals against the Gaussian weight done by the
  trapezoid rule on a uniform grid (exponentially convergent for integrands analytic in
  the strip :math:`|\mathrm{Im}\,g| < \pi/(2\tau)`), with step h ≤ min(π/(24τ), 1/(2√K)) on :math:`|g| \le 2\sqrt K + 12`; the same sums on
  every other node (step 2h) must agree to 1e-13, or the computation is refused.

**Conditional expectation given X and S.**  v̂ = Ay (A the ridge map, m × n) and
y = Xw1 + Zδ + diag(σ_row)ε (Z = X on the synthetic rows, 0 on the real ones), so with
P = AX, P2 = AZ and G = diag(μ1)SΣ1, the expectation over w1, δ, ε of the test
expectation splits exactly (the cross terms have mean 0):

.. math:: \mathrm{Bias}_{X,S} = \operatorname{Tr}\Theta(P^\top CP - 2P^\top G + \Sigma_1),\quad
          \zeta_{X,S} = \operatorname{Tr}\Delta P_2^\top CP_2,\quad
          \mathrm{Var}_{X,S} = \sum_l\sigma_l^2(A^\top CA)_{ll},

with Θ = diag(θ/d), Δ = diag(δ/d).  Trial t draws from ``SeedSequence(seed,
spawn_key=(t,))``: X, w1, δ, ε, then S.
"""
from __future__ import annotations

import math

import numpy as np

from symcollapse.core.errors import ConfigError, UnsupportedError
from symcollapse.core.spec import parse
from symcollapse.simulation.design import (check_sizes, coordinates, draw_design as _draw,
                                           feature_summary, fit_map, row_weights, run_trials,
                                           sizes)

#: The relu centring constant 1/√(2π) (docs/setting.md).
RELU_SHIFT = 1.0 / math.sqrt(2.0 * math.pi)
#: Bound on the truncation error of the Mehler series (absolute, per kernel entry).
SERIES_TOL = 1e-17
#: Largest correlation the Mehler series is asked to handle (beyond it, too many terms).
MAX_CORRELATION = 0.9
#: Agreement required between the trapezoid sums at steps h and 2h.
QUADRATURE_TOL = 1e-13


def activation_function(name: str):
    """σ of docs/setting.md as a numpy function."""
    if name == "relu":
        return lambda h: np.maximum(h, 0.0) - RELU_SHIFT
    if name == "tanh":
        return np.tanh
    raise ConfigError(f"activation = {name!r} is not allowed: allowed \"relu\", \"tanh\"")


# ----------------------------------------------------------------------------- kernels

def relu_kernel(T):
    r"""C_ik = E[σ(h_i)σ(h_k)] for h ~ N(0, T), σ the centred relu (arc-cosine kernel of
    degree 1 minus the exact centring terms), and μ_{1,i} = E σ′(h_i) = 1/2."""
    tau = np.sqrt(np.diag(T))
    outer = np.outer(tau, tau)
    rho = np.clip(T / outer, -1.0, 1.0)
    np.fill_diagonal(rho, 1.0)
    arc = outer * (np.sqrt(1.0 - rho * rho) + (math.pi - np.arccos(rho)) * rho) / (2 * math.pi)
    mean = tau * RELU_SHIFT                      # E max(h_i, 0) = τ_i/√(2π)
    C = arc - RELU_SHIFT * (mean[:, None] + mean[None, :]) + RELU_SHIFT ** 2
    return C, np.full(tau.size, 0.5)


def _grid(tau_max: float, order: int):
    """Trapezoid nodes and weights h·φ(x) on |x| ≤ 2√order + 12, step
    h = min(1/16, π/(24 τ_max), 1/(2√order)) (the last resolves the oscillations of h_k,
    k ≤ order), an even number of intervals so that every other node is the grid of step 2h."""
    half = 2.0 * math.sqrt(order) + 12.0
    h = min(1.0 / 16.0, math.pi / (24.0 * max(tau_max, 1e-12)), 0.5 / math.sqrt(max(order, 1)))
    N = int(math.ceil(half / h / 2.0)) * 2
    x = np.linspace(-N * h, N * h, 2 * N + 1)
    w = h * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    return x, w


def _normalized_hermite(x, order: int):
    """h_k(x) = He_k(x)/√(k!) for k = 0..order, by the three-term recurrence
    h_{k+1} = (x h_k − √k h_{k−1})/√(k+1); shape (len(x), order + 1)."""
    H = np.empty((x.size, order + 1))
    H[:, 0] = 1.0
    if order >= 1:
        H[:, 1] = x
    for k in range(1, order):
        H[:, k + 1] = (x * H[:, k] - math.sqrt(k) * H[:, k - 1]) / math.sqrt(k + 1)
    return H


def gaussian_moments(name: str, tau, order: int):
    r"""For each τ_i: the Hermite coefficients a_k(τ_i) = E[σ(τ_ig)h_k(g)] (k ≤ order),
    E σ(τ_ig)² and μ_1 = E σ′(τ_ig), by the trapezoid rule of ``_grid`` with its
    step-2h check.  Returns ``(a, second, mu1)`` with a of shape (len(tau), order + 1)."""
    if name != "tanh":
        raise ConfigError(f"activation = {name!r}: the Hermite series is used for \"tanh\"")
    tau = np.asarray(tau, dtype=float)
    x, w = _grid(float(tau.max()), order)
    H = _normalized_hermite(x, order)
    vals = np.tanh(tau[:, None] * x[None, :])               # m × Q
    derivative = 1.0 / np.cosh(tau[:, None] * x[None, :]) ** 2
    out = []
    for weights in (w, np.where(np.arange(x.size) % 2 == 0, 2.0 * w, 0.0)):
        a = (vals * weights[None, :]) @ H
        second = (vals * vals) @ weights
        mu1 = derivative @ weights
        out.append((a, second, mu1))
    (a, second, mu1), (a2, second2, mu12) = out
    gap = max(np.max(np.abs(a - a2)), np.max(np.abs(second - second2)),
              np.max(np.abs(mu1 - mu12)))
    if not gap < QUADRATURE_TOL:
        raise ArithmeticError(f"Gaussian quadrature did not converge (steps h, 2h differ by "
                              f"{gap:.2e}, tau_max = {tau.max():.3g})")
    return a, second, mu1


def series_order(rho_max: float) -> int:
    """Smallest K with ρ_max^{K+1} ≤ SERIES_TOL (the Mehler tail bound)."""
    if rho_max <= 0:
        return 1
    if rho_max >= MAX_CORRELATION:
        raise ArithmeticError(f"pre-activation correlation {rho_max:.3f} >= {MAX_CORRELATION}: "
                              "the Mehler series would need too many terms (use a larger d)")
    return max(1, int(math.ceil(math.log(SERIES_TOL) / math.log(rho_max))) - 1)


def tanh_kernel(T):
    r"""C_ik = E[tanh(h_i)tanh(h_k)] for h ~ N(0, T) by the Mehler–Hermite series (off the
    diagonal) and E tanh(τ_ig)² (on it), and μ_{1,i} = E sech²(h_i); see the module text.
    Returns ``(C, mu1)``."""
    tau = np.sqrt(np.diag(T))
    rho = T / np.outer(tau, tau)
    np.fill_diagonal(rho, 0.0)
    rho_max = float(np.max(np.abs(rho))) if rho.size > 1 else 0.0
    K = series_order(rho_max)
    a, second, mu1 = gaussian_moments("tanh", tau, K)
    C = np.zeros_like(T)
    power = np.ones_like(T)
    for k in range(K + 1):
        if k:
            power = power * rho
        if np.any(a[:, k]):
            C += np.outer(a[:, k], a[:, k]) * power
    np.fill_diagonal(C, second)
    return C, mu1


def feature_kernel(name: str, T):
    """(C, μ1) of the activation for pre-activation covariance T (:func:`relu_kernel`,
    :func:`tanh_kernel`)."""
    if name == "relu":
        return relu_kernel(T)
    if name == "tanh":
        return tanh_kernel(T)
    raise ConfigError(f"activation = {name!r} is not allowed: allowed \"relu\", \"tanh\"")


def exact_test_error(name: str, S, s1, w1, v):
    r"""E_{x~N(0,Σ1)}[(v̂ᵀσ(Sx) − xᵀw1)²] = v̂ᵀCv̂ − 2v̂ᵀc + w1ᵀΣ1w1 (Σ1 = diag(s1))."""
    C, mu1 = feature_kernel(name, (S * s1[None, :]) @ S.T)
    c = mu1 * (S @ (s1 * w1))
    return float(v @ C @ v - 2 * v @ c + np.sum(s1 * w1 * w1))


# ----------------------------------------------------------------------------- trials

def draw_design(spec, cols, n1, n2, m, rng):
    """X (n1 real rows, then n2 synthetic), w1, δ, ε, then S (docs/setting.md's order;
    :func:`symcollapse.simulation.design.draw_design`)."""
    return _draw(cols, n1, n2, m, rng)


def fit_rf(spec, cols, X, S, n1):
    """The trained model's linear pieces given X and S: ``A`` (v̂ = A y, m × n), the
    features ``F``, the test kernel ``C``, ``G`` (c = G w1) and the per-row noise levels."""
    n = X.shape[0]
    s1 = cols["s1"]
    F = activation_function(spec.activation)(X @ S.T)
    c_rows = row_weights(spec, n1, n - n1, n)
    U, g, V = fit_map(F, c_rows, float(spec.lam))
    rc = np.sqrt(c_rows) / math.sqrt(n)
    A = (V * g[None, :]) @ (U.T * rc[None, :])
    C, mu1 = feature_kernel(spec.activation, (S * s1[None, :]) @ S.T)
    G = mu1[:, None] * (S * s1[None, :])
    sig = np.concatenate([np.full(n1, float(spec.sigma1)), np.full(n - n1, float(spec.sigma2))])
    return {"A": A, "F": F, "C": C, "G": G, "sigma": sig}


def labels(X, w1, delta, eps, sig, n1):
    """y = Xw1 + σε, plus Xδ on the synthetic rows."""
    y = X @ w1 + sig * eps
    y[n1:] += X[n1:] @ delta
    return y


def test_expectation(fit, s1, w1, v) -> float:
    """E_x[(v̂ᵀσ(Sx) − xᵀw1)²] = v̂ᵀCv̂ − 2v̂ᵀGw1 + w1ᵀΣ1w1 for the fitted pieces."""
    return float(v @ fit["C"] @ v - 2 * v @ (fit["G"] @ w1) + np.sum(s1 * w1 * w1))


def conditional_parts(fit, cols, X, n1):
    """(Bias, Var, ζ) given X and S: the exact expectation over w1, δ, ε (module text)."""
    d = X.shape[1]
    A, C, G, sig = fit["A"], fit["C"], fit["G"], fit["sigma"]
    theta, dvar = cols["theta"] / d, cols["delta"] / d
    P = A @ X
    bias = float(np.sum(theta * (np.sum(P * (C @ P), axis=0) - 2 * np.sum(P * G, axis=0)
                                 + cols["s1"])))
    zeta = 0.0
    if n1 < X.shape[0] and np.any(dvar):
        P2 = A[:, n1:] @ X[n1:]
        zeta = float(np.sum(dvar * np.sum(P2 * (C @ P2), axis=0)))
    var = float(np.sum(sig * sig * np.sum(A * (C @ A), axis=0)))
    return bias, var, zeta


def rf_trial(spec, cols, n1, n2, m, rng):
    """One draw: (sampled exact test expectation, Bias_{X,S}, Var_{X,S}, ζ_{X,S},
    E_train, E_train,real, E_train,synthetic) — see the module text."""
    X, w1, delta, eps, S = draw_design(spec, cols, n1, n2, m, rng)
    fit = fit_rf(spec, cols, X, S, n1)
    y = labels(X, w1, delta, eps, fit["sigma"], n1)
    v = fit["A"] @ y
    sampled = test_expectation(fit, cols["s1"], w1, v)
    resid2 = (fit["F"] @ v - y) ** 2
    train = (float(resid2.mean()), float(resid2[:n1].mean()) if n1 else math.nan,
             float(resid2[n1:].mean()) if n2 else math.nan)
    return (sampled,) + conditional_parts(fit, cols, X, n1) + train


def simulate_rf(config, n: int, trials: int, seed: int = 0, *, progress: bool | None = None) -> dict:
    """Monte Carlo of the random features model (plain or weighted mixing), in the shape of
    :func:`symcollapse.simulate`: ``mean``, ``se`` of the exact test expectation per draw,
    the sizes ``d``, ``n``, ``m``, ``n1``, ``n2``, ``trials``, ``seed``, ``conditional``
    (mean and se of the exact conditional expectation given X and S: ``test_error``,
    ``bias``, ``variance``, ``zeta``) and the measured ``train_error``,
    ``train_error_real``, ``train_error_synthetic`` (None for a group without rows)."""
    spec = parse(config)
    for key, value, low in (("n", n, 2), ("trials", trials, 2), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ConfigError(f"{key} = {value!r} is out of range: allowed integers {key} >= {low}")
    if spec.activation is None:
        raise ConfigError(f'model = "{spec.model}": simulate_rf needs model "random_features" '
                          "(an activation)")
    if spec.symbolic:
        raise ConfigError("simulate_rf needs numeric values, not symbols")
    if spec.strategy == "iterative":
        raise UnsupportedError('simulate_rf: strategy "iterative" is not available for model '
                               '"random_features" (available: "plain", "weighted")')
    sz = sizes(spec, int(n))
    if sz["m"] < 1:
        raise ConfigError(f"n = {n} gives m = round(psi*n) = 0: allowed n with m >= 1")
    check_sizes(spec, sz)
    cols = coordinates(spec, sz["d"])
    rows = run_trials(lambda rng: rf_trial(spec, cols, sz["n1"], sz["n2"], sz["m"], rng),
                      trials, seed, "simulate_rf", progress)
    return feature_summary(rows, {k: sz[k] for k in ("d", "n", "m", "n1", "n2")}, trials, seed)
