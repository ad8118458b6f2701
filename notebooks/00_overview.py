# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Strong model collapse, in one notebook
#
# *Strong Model Collapse* (Dohmatob, Feng, Subramonian, Kempe, ICLR 2025) asks what happens to a
# model's test error on real data when a fraction $p_2$ of its training data is synthetic, produced
# by a labeler $w_2 = w_1 + \delta$ of quality $c^2 = \mathbb E\|\delta\|^2$.  Its answer, which
# `symcollapse` derives, evaluates to any precision and checks against simulation:
#
# 1. **Strong collapse** (linear model, [01_linear_model](01_linear_model.ipynb)).  The test error
#    splits as $E_{\rm test} \simeq \mathrm{Bias} + \mathrm{Var} + \zeta$; the classical terms vanish
#    as $n \to \infty$, the extra term $\zeta$ does not: the error stops at a floor
#    ($p_2^2c^2$ for isotropic ridgeless data), for any $p_2 > 0$ however small.
# 2. **Model size** (random projections, [02_random_projections](02_random_projections.ipynb)).
#    Below the interpolation threshold $\psi = m/n = 1$ a larger model amplifies the collapse when the
#    synthetic data are poor; the error peaks at $\psi = 1$; beyond it larger models mitigate the
#    collapse without removing it, and $\psi \to \infty$ is the linear model.
# 3. **Limits and scaling laws** ([03_limits_and_scaling](03_limits_and_scaling.ipynb)).  Every
#    limit the claims rest on, with its first-order term; on power-law spectra the error falls like
#    $n^{-a}$ and any synthetic share bends the law into a plateau.
# 4. **Mixing strategies** ([04_mixing_strategies](04_mixing_strategies.ipynb)).  No fixed weight
#    $\alpha < 1$ on the real data escapes the floor; the best weight tends to 1.  Iterative mixing
#    with fresh real data forgets the synthetic labeler, but diverges near the threshold.
# 5. **Real data** ([05_real_data](05_real_data.ipynb)).  On scikit-learn's digits with
#    generator-relabelled images the learning curve flattens onto the theory's floor and random
#    features show the amplification/mitigation story; the level of the classical part is where
#    Gaussian theory and real images part ways.
# 6. **Beyond the paper** ([06_open_questions](06_open_questions.ipynb)).  Its open questions,
#    answered by computation: a synthetic share $p_2 = \kappa n^{-a}$ keeps the clean law iff $a$ is
#    at least the clean exponent; at equal $c^2$ a shift on the top eigendirections hurts most; a
#    weight $\alpha_n = 1-\kappa n^{-b}$ recovers the clean rate iff $b > 1/2$ but gains only a bounded
#    number of real samples; and GCV on the mixed training set estimates the mixture's risk, not
#    the real one (training error from the same fixed point).
#
# Every claim is checked by `symcollapse check` (a verdict, a number and a figure each); the
# derivations are in `derivations/` (`symcollapse derive NAME`).

# %%
import sys, pathlib
sys.path.insert(0, str(pathlib.Path.cwd().parent))  # run from a plain checkout too
# %matplotlib inline
import numpy as np, mpmath as mp, sympy as sp
import matplotlib.pyplot as plt
from IPython.display import Math, display
import symcollapse as sc
from symcollapse.core import equations as eq
import importlib
from paper_checks import CLAIMS

# %% [markdown]
# ## The story in three pictures

# %%
iso = lambda c2: [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": c2}]
d = 100
ns = np.geomspace(2 * d, 1e8 * d, 120)
lin = {q: sc.curve({"phi": 0.5, "p2": q, "lam": 0, "sigma1": 0.5, "sigma2": 0.5, "atoms": iso(1)},
                   phi=list(d / ns))["test_error"] for q in (0, 0.01, 0.1)}
psis = np.geomspace(0.1, 20, 200)
rp = {c: sc.curve({"model": "random_projection", "phi": 2, "psi": 1, "p2": 0.1, "lam": 1e-2,
                   "sigma1": 0.5, "sigma2": 0.5, "atoms": iso(c)}, psi=list(psis))["test_error"]
      for c in (0, 2)}
alphas = np.linspace(0, 1, 101)
wfloor = sc.curve({"strategy": "weighted", "alpha": 0.5, "phi": 1e-7, "p2": 0.2, "lam": 0,
                   "sigma1": 0.5, "sigma2": 0.5, "atoms": iso(1)}, alpha=list(alphas[1:-1]))["test_error"]

# %%
fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
for q, E in lin.items():
    axes[0].loglog(ns, E, label=f"$p_2$ = {q}")
axes[0].set_title("1. the error stops at the floor $p_2^2c^2$")
axes[0].set_xlabel("n (d = 100)"); axes[0].legend(fontsize=8)
for c, E in rp.items():
    axes[1].loglog(psis, E, label=f"$c^2$ = {c}")
axes[1].axvline(1, color="k", ls=":", lw=1)
axes[1].set_title("2. model size: the peak at ψ = 1 (φ = 2)")
axes[1].set_xlabel("ψ = m/n"); axes[1].legend(fontsize=8)
axes[2].plot(alphas[1:-1], wfloor, label="n → ∞ (φ = 1e-7)")
axes[2].plot(alphas, (1 - alphas) ** 2, "k:", label="$(1-\\alpha)^2c^2$")
axes[2].set_title("3. weighted mixing: a floor for every α < 1")
axes[2].set_xlabel("α (weight of the real data)"); axes[2].legend(fontsize=8)
for ax in axes:
    ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The claims and how each is established
#
# `symcollapse check` runs all of them (`--fast` in under a minute) and writes a report with one
# figure per claim.  Here, the list, and three of them run live:

# %%
for name in CLAIMS:
    mod = importlib.import_module(f"paper_checks.{name}")
    print(f"{name:24s} [{mod.KIND}]  {mod.CLAIM[:110]}")

# %%
results = {}
for name in ("strong_collapse", "zeta_culprit", "isotropic_closed_form"):
    out = importlib.import_module(f"paper_checks.{name}").evaluate(fast=True)
    results[name] = out
    print(f"{name:24s} {out.verdict}   {out.key}")

# %% [markdown]
# ## Checks

# %%
assert all(out.passed for out in results.values())
assert abs(lin[0.1][-1] / 0.01 - 1) < 0.01 and abs(lin[0.01][-1] / 1e-4 - 1) < 0.02
assert rp[2][np.argmin(abs(psis - 1))] > rp[2][0] and np.all(rp[2] > rp[0])
assert np.max(np.abs(wfloor - (1 - alphas[1:-1]) ** 2)) < 1e-5
print("all checks passed")
