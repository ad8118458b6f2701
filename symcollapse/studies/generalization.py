r"""Training error, the generalization gap, and what a practitioner can tell from them.

The deterministic equivalents (docs/theory/training.md; :func:`symcollapse.predict` returns
``train_error``, ``train_error_real``, ``train_error_synthetic``, ``df`` = df/n and
``gcv``):

.. math::
    E_{\rm train,j} \simeq e_j^2(G_j + \sigma_j^2),\qquad G_1 = E_{\rm test},\
    G_2 = \|\hat w - w_2\|^2_{\Sigma_2},\qquad
    1 - df/n \simeq p_1e_1 + p_2e_2.

**GCV.**  With clean data (p2 = 0) :math:`E_{\rm train}/(1-df/n)^2 = E_{\rm test} +
\sigma_1^2` identically.  On a mixture the same ratio is

.. math:: \mathrm{GCV} \simeq \frac{\sum_j p_je_j^2(G_j+\sigma_j^2)}{(\sum_j p_je_j)^2},

the mixture's own leave-one-out risk (for Σ1 = Σ2, where e1 = e2, exactly the risk
:math:`p_1(G_1+\sigma_1^2) + p_2(G_2+\sigma_2^2)` on a fresh row of the *mixture*), not the
real test risk :math:`E_{\rm test}+\sigma_1^2` (:func:`gcv_report`).

**Detecting collapse and estimating ζ** (:func:`collapse_estimator`).  A practitioner has
the mixed training set and k held-out real rows.  The held-out mean squared error
:math:`\hat R_k` is unbiased for :math:`E_{\rm test}+\sigma_1^2` given the model, with
variance :math:`2(E_{\rm test}+\sigma_1^2)^2/k` (its residuals are Gaussian).  The
statistic :math:`D = \mathrm{GCV} - \hat R_k` has mean
:math:`\bar D = \mathrm{GCV} - E_{\rm test} - \sigma_1^2`, which is 0 when the synthetic
rows are distributed like the real ones.  When they differ only by the label shift
(Σ2 = Σ1, σ2 = σ1), e1 = e2 = e and

.. math:: \bar D = p_2(G_2 - G_1) = p_2[\operatorname{tr}(\Delta\Sigma_2)
          - 2p_2e_2\operatorname{tr}(\Delta\Sigma_2^2K^{-1})],

linear in Δ like ζ.  For a known shape of Δ (its scale c² unknown) the ratio
:math:`\kappa = \zeta/\bar D` is computable, and :math:`\hat\zeta = \kappa D` estimates ζ
with bias 0 in the proportional limit (an O(1/n) finite-size bias, measured by
:func:`simulate_estimator`) and variance :math:`\kappa^2[v_0 + 2(E_{\rm test}+\sigma_1^2)^2/k]`,
v0 = O(1/n) the design-to-design spread of GCV − E_test.  Collapse is detected (a
two-standard-deviation test) once :math:`k \gtrsim 8(E_{\rm test}+\sigma_1^2)^2/\bar D^2`.
"""
from __future__ import annotations

import math

import mpmath as mp
import numpy as np

from symcollapse.core.compiled import to_mpf
from symcollapse.core.decomposition import predict
from symcollapse.core.errors import ConfigError
from symcollapse.core.spec import parse
from symcollapse.simulation.design import coordinates, sizes
from symcollapse.simulation.montecarlo import draw_fit

TRAIN_KEYS = ("train_error", "train_error_real", "train_error_synthetic")


def gap(config, dps: int = 30) -> dict:
    r"""The generalization gap :math:`E_{\rm test} - E_{\rm train}` and the per-group
    training errors (mpf; a group without rows gives None)."""
    r = predict(config, dps=dps)
    out = {k: r[k] for k in ("test_error", "zeta", "df", "gcv") + TRAIN_KEYS}
    out["gap"] = r["test_error"] - r["train_error"]
    return out


def gcv_report(config, dps: int = 30) -> dict:
    r"""What GCV on the mixed training set estimates.

    Returns ``gcv``, the real test risk ``real_risk`` = E_test + σ1², the mixture risk
    ``mixture_risk`` = :math:`p_1(G_1+\sigma_1^2) + p_2(G_2+\sigma_2^2)` with
    :math:`G_2 = E_{\rm train,2}/e_2^2 - \sigma_2^2`, and ``loo_mixture`` =
    :math:`\sum_jp_je_j^2(G_j+\sigma_j^2)/(\sum_jp_je_j)^2` (GCV's deterministic
    equivalent written with the e_j; equal to ``gcv`` at the fixed point).
    """
    spec = parse(config)
    r = predict(config, dps=dps)
    with mp.workdps(dps + 5):
        out = _gcv_parts(spec, r)
    return out


def _gcv_parts(spec, r) -> dict:
    p2 = to_mpf(spec.p2)
    p1 = 1 - p2
    s1 = to_mpf(spec.sigma1) ** 2
    real = r["test_error"] + s1
    u = r["unknowns"]
    e = [u.get("e1"), u.get("e2")]
    risks = [real, None]
    if r["train_error_synthetic"] is not None and e[1] is not None:
        risks[1] = r["train_error_synthetic"] / e[1] ** 2
    out = {"gcv": r["gcv"], "real_risk": real, "test_error": r["test_error"]}
    if risks[1] is not None:
        out["mixture_risk"] = p1 * risks[0] + p2 * risks[1]
        if e[0] is not None:
            num = p1 * e[0] ** 2 * risks[0] + p2 * e[1] ** 2 * risks[1]
            out["loo_mixture"] = num / (p1 * e[0] + p2 * e[1]) ** 2
    else:
        out["mixture_risk"] = real
    out["bias_of_gcv"] = r["gcv"] - real
    return out


def _label_shift_only(spec) -> bool:
    return spec.sigma1 == spec.sigma2 and all(a.s1 == a.s2 for a in spec.atoms)


def collapse_estimator(config, k: int, dps: int = 30) -> dict:
    r"""The held-out estimator of ζ and the collapse test for k held-out real rows.

    Needs a label-shift-only generator (Σ2 = Σ1 atom by atom, σ2 = σ1, 0 < p2 < 1,
    plain mixing; otherwise :class:`~symcollapse.core.errors.ConfigError`).  Returns ``D_mean`` (:math:`\bar D`),
    ``kappa`` (ζ/D̄; independent of the scale c² of Δ), ``zeta``, the variance of
    :math:`\hat\zeta` due to the held-out sample ``var_k`` =
    :math:`2\kappa^2(E_{\rm test}+\sigma_1^2)^2/k`, and ``k_detect`` =
    :math:`8(E_{\rm test}+\sigma_1^2)^2/\bar D^2` (the k at which D̄ is two standard
    deviations of the held-out noise).
    """
    spec = parse(config)
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ConfigError(f"k = {k!r} is out of range: allowed integers k >= 1")
    if spec.strategy != "plain" or not 0 < spec.p2 < 1:
        raise ConfigError("collapse_estimator: needs strategy \"plain\" and 0 < p2 < 1 "
                          f"(got {spec.strategy}, p2 = {spec.p2})")
    if not _label_shift_only(spec):
        raise ConfigError("collapse_estimator: needs a label-shift-only generator (s2 = s1 in "
                          "every atom and sigma2 = sigma1)")
    r = predict(config, dps=dps)
    with mp.workdps(dps + 5):
        g = _gcv_parts(spec, r)
    D = g["gcv"] - g["real_risk"]
    if D == 0:
        raise ConfigError("collapse_estimator: D = 0 (no label shift: every delta is 0), "
                          "zeta = 0 and kappa is undefined")
    with mp.workdps(dps + 5):
        kappa = r["zeta"] / D
        risk = g["real_risk"]
        return {"D_mean": D, "kappa": kappa, "zeta": r["zeta"], "real_risk": risk,
                "var_k": 2 * kappa ** 2 * risk ** 2 / k, "k_detect": 8 * risk ** 2 / D ** 2,
                "k": k}


def estimator_trial(spec, cols, sz, k: int, rng) -> tuple:
    """One draw of the practitioner's data: a training set (fit, GCV on the mixed rows)
    and k fresh real rows.  Returns (GCV, held-out MSE, E_test of the fitted model)."""
    f = draw_fit(spec, cols, sz["n1"], sz["n2"], rng, sz["m"])
    n = sz["n"]
    resid2 = (f["X"] @ f["w_hat"] - f["y"]) ** 2
    df = float(np.sum(f["g"] * f["sv"])) / n
    gcv = float(resid2.mean()) / (1 - df) ** 2
    diff = f["w_hat"] - f["w1"]
    test = float(np.sum(cols["s1"] * diff * diff))
    x = rng.standard_normal((k, diff.size)) * np.sqrt(cols["s1"])
    y_res = x @ diff - float(spec.sigma1) * rng.standard_normal(k)
    return gcv, float(np.mean(y_res ** 2)), test


def simulate_estimator(config, n: int, k: int, trials: int, seed: int = 0) -> dict:
    r"""Monte Carlo of :math:`\hat\zeta = \kappa(\mathrm{GCV} - \hat R_k)` with κ from the
    theory: its mean and variance over independent training sets and held-out samples,
    beside the theory (``zeta``, ``var_k``), and the spread v0 of GCV − E_test.

    Returns ``mean``, ``se``, ``var`` of ζ̂, ``D`` (mean, se), ``v0`` (κ² Var(GCV −
    E_test), the part of the variance that k does not reduce) and the theory dict.
    """
    spec = parse(config)
    theory = collapse_estimator(config, k, dps=20)
    kappa = float(theory["kappa"])
    sz = sizes(spec, int(n))
    cols = coordinates(spec, sz["d"])
    rows = []
    for t in range(int(trials)):
        rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(t, k)))
        rows.append(estimator_trial(spec, cols, sz, k, rng))
    rows = np.array(rows)
    D = rows[:, 0] - rows[:, 1]
    z = kappa * D
    v0 = kappa ** 2 * float(np.var(rows[:, 0] - rows[:, 2] - float(spec.sigma1) ** 2, ddof=1))
    return {"mean": float(z.mean()), "se": float(z.std(ddof=1) / math.sqrt(trials)),
            "var": float(z.var(ddof=1)), "D": {"mean": float(D.mean()),
                                                "se": float(D.std(ddof=1) / math.sqrt(trials))},
            "v0": v0, "theory": theory, "d": sz["d"], "n": sz["n"], "trials": int(trials)}
