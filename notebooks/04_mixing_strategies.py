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
# # 4. Can a smarter mix prevent collapse? Weighted and iterative mixing
#
# **Weighted mixing** puts a weight $\alpha$ on the real data and $1-\alpha$ on the synthetic
# data; the deterministic equivalent is the same fixed point with group weights $a_1 = \alpha$,
# $a_2 = 1-\alpha$ (both models).  **Iterative mixing** retrains each generation on fresh real
# data plus fresh inputs labeled by the previous model; its deterministic equivalent is an affine
# recursion over generations for the per-coordinate moments of $\hat w_t - w_1$, which has to
# track the correlation of the shift with $w_1$ (`symcollapse.studies.mixing`; the derivation is
# `symcollapse derive mixing`).

# %%
import sys, pathlib
sys.path.insert(0, str(pathlib.Path.cwd().parent))  # run from a plain checkout too
# %matplotlib inline
import numpy as np, mpmath as mp, sympy as sp
import matplotlib.pyplot as plt
from IPython.display import Math, display
import symcollapse as sc
from symcollapse.core import equations as eq
from fractions import Fraction
from symcollapse.studies import mixing

# %% [markdown]
# ## The floor as a function of $\alpha$, derived
#
# The $n \to \infty$ expansion system of the weighted family on the isotropic atom gives the floor
# below: for $c^2 > 0$ it vanishes only at $\alpha = 1$ — no fixed $\alpha < 1$ escapes strong
# collapse.

# %%
floor, ridgeless, roots = mixing.weighted_floor_isotropic()
display(Math(r"E_\infty(\alpha) = " + sp.latex(floor) + r",\qquad \lambda \to 0:\ " + sp.latex(ridgeless)))
print("alpha with a zero ridgeless floor (c2 > 0):", roots)

# %% [markdown]
# ## The best weight $\alpha^\star$ tends to 1
#
# Isotropic, ridgeless, $p_2 = 0.2$, $\sigma = 0.5$, $c^2 = r^2 = 1$, $d = 50$ ($\varphi = 50/n$);
# $\alpha^\star$ minimizes the derived error (root of $\partial E/\partial\alpha$ at 20 digits).

# %%
iso = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]
base = {"strategy": "weighted", "alpha": 0.5, "p2": 0.2, "lam": 0, "sigma1": 0.5, "sigma2": 0.5, "atoms": iso}
table = []
for k in range(2, 9):
    r = mixing.optimal_alpha(dict(base, phi=Fraction(50, 10 ** k)), dps=20)
    table.append((10 ** k, r))
    print(f"n = 1e{k}:  alpha* = {mp.nstr(r['alpha_star'], 8):12s} E(alpha*) = {mp.nstr(r['error'], 6):11s} "
          f"plain = {mp.nstr(r['plain'], 6):9s} real only = {mp.nstr(r['real_only'], 6)}")

# %% [markdown]
# ## Weighted, plain and real-only training against $n$
#
# The same setting; theory from the vectorized float64 path, markers from `sc.simulate`
# ($d = 100$, exact conditional expectation, 12 draws, ± 2 s.e.) for $\alpha = 0.9$ and plain mixing.
# Plain mixing and any fixed $\alpha < 1$ stop at their floors $(1-\alpha)^2c^2$ (dotted); the best
# weight, re-chosen at each $n$, follows the real-only curve down.

# %%
ns = np.geomspace(200, 1e8, 60)
d = 100
curves = {}
for label, alpha in (("plain (alpha = p1)", 0.8), ("alpha = 0.9", 0.9), ("alpha = 0.99", 0.99)):
    curves[label] = sc.curve(dict(base, phi=0.5, alpha=alpha), phi=list(d / ns))["test_error"]
curves["real only (alpha = 1)"] = sc.curve(dict(base, phi=0.5, alpha=1), phi=list(d / ns))["test_error"]
star_n = [n for n, _ in table]
star_E = [float(r["error"]) * 1 for _, r in table]
mc_ns = [400, 4000, 40000]
mc = {(a, n): sc.simulate(dict(base, phi=Fraction(d, n), alpha=a), n=n, trials=12, seed=2)["conditional"]["test_error"]
      for a in (0.8, 0.9) for n in mc_ns}

# %%
fig, ax = plt.subplots(figsize=(7.5, 4.6))
cols = {"plain (alpha = p1)": "tab:red", "alpha = 0.9": "tab:orange", "alpha = 0.99": "tab:green",
        "real only (alpha = 1)": "k"}
for label, E in curves.items():
    ax.loglog(ns, E, color=cols[label], label=label)
for a, col in ((0.8, "tab:red"), (0.9, "tab:orange"), (0.99, "tab:green")):
    ax.axhline((1 - a) ** 2, color=col, ls=":", lw=1)
ax.loglog([n * d / 50 for n in star_n], star_E, "kD", ms=5, mfc="none", label="alpha* (re-chosen per n, d = 50)")
for a, col in ((0.8, "tab:red"), (0.9, "tab:orange")):
    m = np.array([mc[(a, n)]["mean"] for n in mc_ns]); s = np.array([mc[(a, n)]["se"] for n in mc_ns])
    ax.errorbar(mc_ns, m, yerr=2 * s, fmt="o", color=col, ms=5, capsize=2)
ax.set_xlabel("n (training samples), d = 100")
ax.set_ylabel("test error on real data")
ax.set_title("p2 = 0.2, c² = 1: a fixed weight keeps its floor (1 − α)²c²")
ax.grid(True, which="major", alpha=0.3)
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Iterative mixing over generations
#
# Three settings of docs/theory/linear.md §6.3 (isotropic; two anisotropic spectra with
# $\Sigma_1 \ne \Sigma_2$).  Lines: the recursion; dashed: its limit $E(\infty)$; dotted: training on
# the real samples alone; markers: Monte Carlo of the actual iterated procedure ($d = 200$,
# exact conditional expectation given all designs, 10 draws, ± 2 s.e.).

# %%
A2 = [{"weight": .5, "s1": 2, "s2": .5, "theta": 1, "delta": 2}, {"weight": .5, "s1": .5, "s2": 1.5, "theta": .5, "delta": .5}]
A3 = [{"weight": 0.2, "s1": 4, "s2": 0.5, "theta": 2, "delta": 0}, {"weight": 0.3, "s1": 1, "s2": 2, "theta": 1, "delta": 1},
      {"weight": 0.5, "s1": 0.2, "s2": 1, "theta": 0.5, "delta": 3}]
settings = {"I1 iso, phi=.5, p2=.5, lam=.1": dict(phi=0.5, p2=0.5, lam=0.1, sigma1=0.5, sigma2=0.5, atoms=iso),
            "I2 A2, phi=.8, p2=.4, lam=.05": dict(phi=0.8, p2=0.4, lam=0.05, sigma1=0.5, sigma2=1.0, atoms=A2),
            "I3 A3, phi=1.5, p2=.6, lam=.2": dict(phi=1.5, p2=0.6, lam=0.2, sigma1=0.3, sigma2=0.6, atoms=A3)}
T = 8
theory, sims, alone = {}, {}, {}
for name, cfg in settings.items():
    it = dict(cfg, strategy="iterative", generations=T)
    theory[name] = sc.predict(it, dps=20)
    n = int(200 / cfg["phi"])
    sims[name] = sc.simulate(dict(it, generations=6), n=n, trials=10, seed=4)["conditional"]
    alone[name] = float(sc.predict(mixing.real_only(cfg), dps=20)["test_error"])
    r = theory[name]
    print(f"{name}:  E(1) = {mp.nstr(r['test_error'][0], 5)}  E(8) = {mp.nstr(r['test_error'][-1], 5)}  "
          f"E(inf) = {mp.nstr(r['limit'], 5)}  real only = {alone[name]:.5f}  a = {mp.nstr(r['spectral_radius'], 3)}")

# %%
fig, ax = plt.subplots(figsize=(7.5, 4.4))
for (name, r), col in zip(theory.items(), ("tab:blue", "tab:red", "tab:green")):
    t = np.arange(1, T + 1)
    ax.plot(t, [float(v) for v in r["test_error"]], "-", color=col, label=name)
    ax.axhline(float(r["limit"]), color=col, ls="--", lw=1)
    ax.axhline(alone[name], color=col, ls=":", lw=1)
    m = np.array(sims[name]["test_error"]["mean"]); s = np.array(sims[name]["test_error"]["se"])
    ax.errorbar(np.arange(1, 7), m, yerr=2 * s, fmt="o", color=col, ms=5, capsize=2)
ax.set_xlabel("generation t")
ax.set_ylabel("test error on real data")
ax.set_title("iterative mixing: forgets the labeler (I1), or gets worse (I2)")
ax.grid(True, alpha=0.3)
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Checks

# %%
stars = [float(r["alpha_star"]) for _, r in table]
assert all(b > a for a, b in zip(stars, stars[1:])) and stars[-1] > 1 - 1e-5
assert roots == [1] and sp.simplify(ridgeless - sp.Symbol("c2", nonnegative=True) * sp.Symbol("s", positive=True)
                                    * (1 - eq.alpha) ** 2) == 0
for label, a in (("plain (alpha = p1)", 0.8), ("alpha = 0.9", 0.9)):
    assert abs(curves[label][-1] / (1 - a) ** 2 - 1) < 0.01     # the floor (1 - alpha)^2 c^2
worst = 0.0
for (a, n), m in mc.items():
    th = float(sc.predict(dict(base, phi=Fraction(d, n), alpha=a), dps=20)["test_error"])
    assert abs(m["mean"] - th) <= 3 * m["se"] + 0.03 * th
    worst = max(worst, abs(m["mean"] - th) / th)
for name, r in theory.items():
    for t in range(6):
        th = float(r["test_error"][t]); m = sims[name]["test_error"]
        assert abs(m["mean"][t] - th) <= 3 * m["se"][t] + 0.03 * th, (name, t)
        worst = max(worst, abs(m["mean"][t] - th) / th)
assert float(theory["I1 iso, phi=.5, p2=.5, lam=.1"]["limit"]) < alone["I1 iso, phi=.5, p2=.5, lam=.1"]
assert float(theory["I2 A2, phi=.8, p2=.4, lam=.05"]["limit"]) > float(theory["I2 A2, phi=.8, p2=.4, lam=.05"]["test_error"][0])
print(f"all checks passed (largest theory-vs-Monte-Carlo gap {worst:.1%})")
