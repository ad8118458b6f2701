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
# # 2. Random projections: does a larger model amplify or mitigate collapse?
#
# A network of width $m$ is approximated by ridge regression on $m$ random projections of the
# input: $f(x) = \hat v^\top Sx$ with $S\in\mathbb R^{m\times d}$ Gaussian, $\psi = m/n$ the
# model size (docs/setting.md).  The deterministic equivalent is a *nested* fixed point: the linear
# model's at an effective ridge $L$, with $L$ set by averaging over $S$ and a sketch term $b$
# from the second level of randomness (`derivations/projections.md`).  The paper's claims:
# with low-quality synthetic data, larger models amplify collapse up to the interpolation
# threshold $\psi = 1$; beyond it they may mitigate it but never remove it; as $\psi\to\infty$
# the model behaves like the classical linear model.

# %%
import sys, pathlib
sys.path.insert(0, str(pathlib.Path.cwd().parent))  # run from a plain checkout too
# %matplotlib inline
import numpy as np, mpmath as mp, sympy as sp
import matplotlib.pyplot as plt
from IPython.display import Math, display
import symcollapse as sc
from symcollapse.pencil.derived import general_system
from symcollapse.analysis import modelsize
from symcollapse.analysis.reductions import projection_via_linear

# %% [markdown]
# The system, as the toolkit solves it, derived by the pencil engine from the model's
# expressions (first order; the second order is its derivative along the probe):

# %%
system = general_system("random_projection")
for f in system.equations[:3]:
    display(Math(sp.latex(f) + " = 0"))
display(Math(r"\mathrm{Bias}:\ " + sp.latex(system.densities["bias"])))

# %% [markdown]
# **Check of the anisotropic theorem on isotropic data.**  There the model is exactly the
# linear model in feature space with a Marchenko–Pastur spectrum; the two routes agree to
# the precision asked:

# %%
iso = lambda c2: [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": c2}]
cfg = {"model": "random_projection", "phi": 2, "psi": 0.9, "lam": 1e-3, "p2": 0.1,
       "sigma1": 0.5, "sigma2": 0.5, "atoms": iso(1)}
a, b = sc.predict(cfg, dps=30), projection_via_linear(cfg, dps=30)
print("general theorem     ", mp.nstr(a["test_error"], 30))
print("Marchenko–Pastur    ", mp.nstr(b["test_error"], 30), f"({b['nodes']} quadrature nodes)")

# %% [markdown]
# ## Test error against model size
#
# $\varphi = 2$ ($d = 2n$), $\lambda = 10^{-2}$, $p_2 = 0.1$, $\sigma = 0.5$: synthetic data of high
# quality ($c^2 = 0.05$) and low quality ($c^2 = 2$), and the clean reference $p_2 = 0$.
# Markers: Monte Carlo with $n = 200$ ($d = 400$), 12 draws of $(X, S)$, ± 2 s.e.

# %%
base = {"model": "random_projection", "phi": 2, "psi": 1, "lam": 1e-2, "p2": 0.1,
        "sigma1": 0.5, "sigma2": 0.5}
psis = np.geomspace(0.05, 50, 400)
qual = {"high quality, c² = 0.05": 0.05, "low quality, c² = 2": 2.0}
E = {name: sc.curve(dict(base, atoms=iso(c2)), psi=psis)["test_error"] for name, c2 in qual.items()}
E["clean, p₂ = 0"] = sc.curve(dict(base, p2=0, atoms=iso(0)), psi=psis)["test_error"]
mc_psis = [0.25, 0.5, 0.9, 2, 5]
mc = {name: [sc.simulate(dict(base, psi=s, atoms=iso(c2)), n=200, trials=12, seed=3)["conditional"]["test_error"]
             for s in mc_psis] for name, c2 in qual.items()}
print(f"{'psi':>6s}" + "".join(f"{k:>26s}" for k in E))
for s in [0.25, 0.5, 0.9, 1.1, 2, 5, 20]:
    print(f"{s:6.2f}" + "".join(f"{float(sc.predict(dict(base, psi=s, atoms=iso(qual.get(k, 0))) if 'clean' not in k else dict(base, psi=s, p2=0, atoms=iso(0)), dps=10)['test_error']):26.4f}" for k in E))

# %%
fig, ax = plt.subplots(figsize=(7.5, 4.5))
colors = {"high quality, c² = 0.05": "tab:blue", "low quality, c² = 2": "tab:red", "clean, p₂ = 0": "k"}
for name, curve_ in E.items():
    ax.loglog(psis, curve_, color=colors[name], label=name)
for name in qual:
    m = np.array([r["mean"] for r in mc[name]]); s = np.array([r["se"] for r in mc[name]])
    ax.errorbar(mc_psis, m, yerr=2 * s, fmt="o", color=colors[name], ms=5, capsize=2)
ax.axvline(1, color="gray", ls=":", lw=1)
ax.set_xlabel("model size ψ = m/n"); ax.set_ylabel("test error on real data")
ax.set_title("φ = 2, λ = 0.01, p₂ = 0.1: the peak at the interpolation threshold ψ = 1")
ax.legend(); ax.grid(True, which="major", alpha=0.3); plt.show()

# %% [markdown]
# Below $\psi = 1$ the error rises with the model size, and the *extra* error due to the
# synthetic data, $E(c^2) - E(0)$, rises with it (amplification); past the threshold both fall
# (mitigation) towards the linear model's value, but the curves stay above the clean one:
# collapse is mitigated, not removed.

# %%
extra = {name: E[name] - sc.curve(dict(base, atoms=iso(0)), psi=psis)["test_error"] for name in qual}
for name in qual:
    i_lo, i_mid, i_hi = np.searchsorted(psis, [0.25, 0.9, 10])
    print(f"{name}: extra error {extra[name][i_lo]:.4f} at ψ=0.25 → {extra[name][i_mid]:.4f} at ψ=0.9 "
          f"→ {extra[name][i_hi]:.4f} at ψ=10")

# %% [markdown]
# ## Test error against $n$ for fixed widths: the floor of a finite model
#
# $d = 200$ fixed and four widths $m$; as $n$ grows both $\varphi = d/n$ and $\psi = m/n$ shrink at
# fixed $m/d$.  The floor as $n\to\infty$ (dotted, `limits.floor`) is the linear model's
# $p_2^2c^2$ for $m \ge d$ and higher for narrow models, whose bias keeps the part of $w_1$
# outside the sketch; with low-quality data every width plateaus.

# %%
from symcollapse.analysis.limits import floor
d, lam = 200, 1e-3
ns = np.geomspace(20, 2e6, 300)
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
floors = {}
for ax, (title, c2) in zip(axes, (("high quality, c² = 0.05", 0.05), ("low quality, c² = 2", 2.0))):
    for m, col in zip((50, 100, 400, 1600), ("tab:purple", "tab:blue", "tab:orange", "tab:red")):
        cfg = dict(base, lam=lam, atoms=iso(c2))
        Ecurve = sc.curve(cfg, phi=d / ns, psi=m / ns)["test_error"]
        f = float(floor(dict(cfg, phi=1, psi=m / d))["test_error"])
        floors[(c2, m)] = f
        ax.loglog(ns, Ecurve, color=col, label=f"m = {m} (m/d = {m / d:g})")
        ax.axhline(f, color=col, ls=":", lw=1)
    ax.set_title(title); ax.set_xlabel("n"); ax.grid(True, which="major", alpha=0.3)
axes[0].set_ylabel("test error"); axes[0].legend(fontsize=8); plt.show()
for (c2, m), f in floors.items():
    print(f"c² = {c2:<5g} m = {m:<5d} floor = {f:.5f}")

# %% [markdown]
# ## Where is a larger model worse?  A phase diagram
#
# The fixed point does not involve $\Delta$, and $E_{\rm test}$ is affine in $c^2$, so
# $\partial_\psi E = \partial_\psi E_0 + c^2\,\partial_\psi\zeta_1$ and the boundary is a curve
# $c^2_\star(\psi)$.  With $\varphi = 0.5$ (more samples than dimensions) the clean error falls with
# the model size, and a larger model is worse exactly when the synthetic data are poor enough
# ($c^2 > c^2_\star$); with $\varphi = 2$, below $\psi = 1$ it is worse for every $c^2$.

# %%
psis_pd = np.geomspace(0.05, 5, 120); c2s = np.linspace(0, 20, 201)
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
for ax, phi in zip(axes, (0.5, 2.0)):
    pd_ = modelsize.phase_diagram(dict(base, phi=phi, atoms=iso(1)), psis_pd, c2s)
    ax.pcolormesh(psis_pd, c2s, pd_["worse"], cmap="RdBu_r", vmin=-0.5, vmax=1.5, shading="auto")
    ax.plot(psis_pd, pd_["c2_star"], "k", lw=1.5, label="boundary c²*(ψ)")
    ax.set_xscale("log"); ax.set_xlabel("ψ"); ax.set_ylabel("c²"); ax.set_ylim(0, 20)
    ax.set_title(f"φ = {phi}: red = a larger model is worse (∂E/∂ψ > 0)")
plt.tight_layout(); plt.show()
pd05 = modelsize.phase_diagram(dict(base, phi=0.5, atoms=iso(1)), [0.1, 0.2, 0.3, 0.4], c2s)
print("phi = 0.5, boundary c2*(psi):", ", ".join(f"{p:g}: {c:.3f}" for p, c in zip(pd05["psi"], pd05["c2_star"])))

# %% [markdown]
# ## The interpolation peak as $\lambda\to 0$
#
# For $\varphi > 1$ the ridgeless error diverges at $\psi = 1$; at a small ridge the peak sits
# at $\psi^\star(\lambda)\to 1$ with a height growing like $\lambda^{-\kappa}$:

# %%
peak = modelsize.peak_scaling(dict(base, atoms=iso(2.0)), [1e-2, 1e-3, 1e-4, 1e-5], dps=15)
for lam_, ps, h in zip(peak["lam"], peak["psi_star"], peak["height"]):
    print(f"lambda = {lam_:7.0e}   psi* = {mp.nstr(ps, 10):12s}   E* = {mp.nstr(h, 8)}")
print(f"fitted exponent kappa = {peak['kappa']:.3f}")

# %% [markdown]
# ## Checks

# %%
lo, hi = psis < 0.95, psis > 1.05
low = E["low quality, c² = 2"]
assert np.all(np.diff(low[lo]) > 0), "E_test rises with psi on (0, 1)"
assert np.all(np.diff(low[hi]) < 0), "E_test falls past psi = 1"
assert np.all(low > E["clean, p₂ = 0"]) and np.all(E["high quality, c² = 0.05"] > E["clean, p₂ = 0"])
for name in qual:
    assert np.all(np.diff(extra[name][lo]) > 0) and np.all(np.diff(extra[name][hi]) < 0)
    for s, r in zip(mc_psis, mc[name]):
        th = float(sc.predict(dict(base, psi=s, atoms=iso(qual[name])), dps=15)["test_error"])
        # small sizes (n = 200, m from 50): 3 s.e. plus a 5 % finite-size allowance
        assert abs(r["mean"] - th) <= 3 * r["se"] + 0.05 * th, (name, s, r, th)
# wide models sit at the linear model's floor p2²c² up to O(λ); narrow ones above it
assert abs(floors[(2.0, 1600)] - 0.1**2 * 2) < 1e-2 * 0.02 and floors[(2.0, 50)] > floors[(2.0, 100)] > floors[(2.0, 400)]
assert np.all(np.isfinite(pd05["c2_star"]))
assert 0.4 < peak["kappa"] < 0.6 and abs(1 - float(peak["psi_star"][-1])) < 1e-4
print("all checks passed")
