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
# # 6. The paper's open questions, answered by computation
#
# *Strong Model Collapse* leaves four questions open.  Each section below states one, answers it
# in one sentence with numbers, shows the figure (theory lines from the same deterministic
# equivalents as everywhere in the toolkit, Monte Carlo markers of the finite model), and ends
# with a check cell that asserts the answer.  Derivations: `symcollapse derive schedules`,
# `derive kinds`, `derive adaptive`, `derive training`; claims: `symcollapse check`.

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
from symcollapse.studies import schedules, kinds, generalization as G
from symcollapse.analysis import scaling

# %% [markdown]
# ## 1. How fast must the synthetic share vanish?
#
# Power-law spectrum $s_i = i^{-\beta}$, signal $w_i^2 \propto i^{-\gamma}$, shift $\delta_i \propto
# i^{-\gamma}$ ($d \gg n$, ridgeless, noiseless), and a synthetic share that vanishes as
# $p_2 = \kappa n^{-a}$ (config key `p2_schedule`).  SymPy derives (from the same fixed point)
# $E(n) \simeq C n^{-a_c} + \kappa(\beta-1)S\,n^{-a} + \kappa^2(2-\beta)S\,n^{-2a}$ with
# $a_c = \min(\gamma+\beta-1, 2\beta)$: the $p_1p_2$ part of $\zeta$ decays only like $n^{-a}$, so the
# clean law survives iff $a \ge a^\star = a_c$ — not $a_c/2$, as the $p_2^2$ floor alone would
# suggest.

# %%
summary = schedules.notebook_summary()
print(summary["answer"])
for r in summary["rows"]:
    print(f"a = {r['a']:.3f}:  derived exponent {r['derived']:.4f}   fitted to predict over n = 1e3..1e9: {r['measured']:.4f}")
law = scaling.PowerLaw(**schedules.SUMMARY_LAW)
ns = np.geomspace(1e3, 1e9, 40)
a_star = summary["critical_a"]
curves = schedules.schedule_curves(law, [(0.5, f * a_star) for f in (0.3, 0.6, 1.0, 1.6)], ns)
clean = scaling.learning_curve(law, [int(n) for n in ns[::6]])
iso = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]
sched = {"phi": 0.5, "n": 400, "p2_schedule": {"kappa": 1, "a": 0.5}, "lam": 0.1, "sigma1": 0.5,
         "sigma2": 0.5, "atoms": iso}
d = 150
mc_ns = [300, 1200, 4800]
mc1 = [(n, sc.predict(dict(sched, phi=Fraction(d, n), n=n), dps=15)["test_error"],
        sc.simulate(dict(sched, phi=Fraction(d, n), n=n), n, 6, seed=1)["conditional"]["test_error"]) for n in mc_ns]
for n, th, m in mc1:
    print(f"isotropic, p2 = n^-1/2, n = {n}: theory {mp.nstr(th, 6)}   Monte Carlo {m['mean']:.5f} ± {m['se']:.5f}")

# %%
fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2))
for c, f in zip(curves, (0.3, 0.6, 1.0, 1.6)):
    ax.loglog(c["n"], c["test_error"], label=f"a = {f:.1f} a*")
ax.loglog([int(n) for n in ns[::6]], [float(v) for v in clean["test_error"]], "k.", label="clean (p2 = 0)")
ax.set_xlabel("n"); ax.set_ylabel("test error"); ax.legend(fontsize=8); ax.grid(alpha=0.3)
ax.set_title(f"p2 = 0.5 n^-a, β = 1.5, γ = 2: a* = {a_star:g}")
n_line = np.geomspace(200, 1e4, 30)
th_line = [float(sc.predict(dict(sched, phi=Fraction(d, int(n)), n=int(n)), dps=15)["test_error"]) for n in n_line]
bx.loglog(n_line, th_line, "-", label="theory")
bx.errorbar(mc_ns, [m["mean"] for _, _, m in mc1], yerr=[2 * m["se"] for _, _, m in mc1], fmt="o", label="Monte Carlo (d = 150)")
bx.set_xlabel("n"); bx.set_title("finite n: isotropic, λ = 0.1, p2 = n^-1/2"); bx.legend(fontsize=8); bx.grid(alpha=0.3)
fig.tight_layout(); plt.show()

# %%
assert summary["critical_a"] == summary["a_clean"] and summary["naive_critical_a"] == summary["a_clean"] / 2
assert summary["max_relative_gap"] < 0.02
for n, th, m in mc1:
    assert abs(m["mean"] - float(th)) <= 3 * m["se"] + 0.02 * float(th)
print("section 1 checks passed")

# %% [markdown]
# ## 2. Which kinds of synthetic data hurt most?
#
# At equal quality $c^2 = \operatorname{Tr}\Delta$ on a four-atom spectrum ($s \in \{2.5, 1, 0.4,
# 0.1\}$, ridgeless, $p_2 = 0.2$): a shift on the top eigendirection, on the tail, spread evenly
# ($\Delta \propto I$ or $\propto \Theta$), pure label noise ($\sigma_2^2 = \sigma_1^2 + c^2$), pure covariate
# shift, and combinations.  The $n\to\infty$ floor is $\sum_k w_k\delta_k G_k$ with
# $G = p_2^2 s_1 s_2^2/(p_1 s_1 + p_2 s_2 + \lambda)^2$ (derived): with $\Sigma_2 = \Sigma_1$ it weights
# the shift by the eigenvalue, $p_2^2\operatorname{tr}(\Delta\Sigma)$.

# %%
k_summary = kinds.notebook_summary()
print(k_summary["sentence"])
for row in k_summary["rows"]:
    print(f"{row['rank']}. {row['name']:28s} floor {mp.nstr(row['floor'], 6):12s} zeta(phi=1/2) {mp.nstr(row['zeta'], 6)}")
shown = {g.name: g for g in kinds.catalogue()}
phis = list(np.geomspace(1e-4, 0.9, 50))
kcurves = {name: sc.curve(shown[name].config(kinds.BASE_CONFIG), phi=phis)["test_error"]
           for name in ("top", "even (identity)", "tail", "noise")}
d = 200
mc2 = {name: [(n, sc.simulate(dict(shown[name].config(kinds.BASE_CONFIG), phi=Fraction(d, n)), n, 6, seed=3)["conditional"]["test_error"])
              for n in (400, 2000)] for name in ("top", "tail")}

# %%
fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2))
names = [r["name"] for r in k_summary["rows"]]
ax.barh(names[::-1], [float(r["floor"]) for r in k_summary["rows"]][::-1])
ax.set_xlabel("n → ∞ floor of the test error (c² = 1)"); ax.set_title("ranked by the floor")
n_over_d = [1 / p for p in phis]
for (name, E), col in zip(kcurves.items(), ("tab:red", "tab:blue", "tab:green", "tab:gray")):
    bx.loglog(n_over_d, E, color=col, label=name)
    for n, m in mc2.get(name, []):
        bx.errorbar([n / d], [m["mean"]], yerr=[2 * m["se"]], fmt="o", color=col)
bx.set_xlabel("n / d"); bx.set_ylabel("test error"); bx.legend(fontsize=8); bx.grid(alpha=0.3)
bx.set_title("equal c², different directions (markers: Monte Carlo, d = 200)")
fig.tight_layout(); plt.show()

# %%
assert k_summary["worst"] == "top" and k_summary["shift_order"] == ["top", "even (theta)", "even (identity)", "tail"]
for name, pts in mc2.items():
    for n, m in pts:
        th = float(sc.predict(dict(shown[name].config(kinds.BASE_CONFIG), phi=Fraction(d, n)), dps=15)["test_error"])
        assert abs(m["mean"] - th) <= 3 * m["se"] + 0.02 * th, (name, n)
print("section 2 checks passed")

# %% [markdown]
# ## 3. Can an adaptive mix do better than a fixed one?
#
# Weighted mixing with a weight that moves with $n$, $\alpha_n = 1-\kappa n^{-b}$ (isotropic,
# ridgeless, $d = 50$, $p_2 = 0.2$, $\sigma = 0.5$, $c^2 = 1$), and iterative mixing with a
# per-generation weight $\alpha(t)$.  SymPy's perturbation solution of the weighted system gives
# $E = c^2\varepsilon^2 + (\sigma_1^2/p_1)\varphi(1-2\varepsilon) + O(3)$, $\varepsilon = 1-\alpha$: the clean
# rate survives iff $b > 1/2$, and the best schedule ($b = 1$, $\kappa^\star = d\sigma_1^2/(p_1c^2)$, which
# is the $\alpha^\star$ path) is worth only $d\sigma_1^2/c^2$ real samples more than discarding the synthetic
# rows.

# %%
from symcollapse.studies import adaptive
a_summary = adaptive.notebook_summary()
print(a_summary["sentence"])
ns3 = [int(round(10 ** k)) for k in np.arange(3, 8.01, 0.25)]
res3 = adaptive.answer(ns=ns3, alpha_star=False)
for name, row in res3["rows"].items():
    print(f"{name:10s} local exponent {row['local']:.4f} (derived {row['derived']})   n_eff/n at n = 1e8: {row['ratio']:.4f}")
kstar = float(res3["kappa_star"])
w_base = dict(strategy="weighted", alpha=0.5, p2=0.2, lam=0, sigma1=0.5, sigma2=0.5, atoms=iso)
mc3 = []
for n in (1000, 4000):
    a_n = adaptive.power_schedule(kstar, 1)(n)
    cfg = dict(w_base, phi=Fraction(50, n), alpha=a_n)
    mc3.append((n, sc.predict(cfg, dps=15)["test_error"], sc.simulate(cfg, n, 8, seed=2)["conditional"]["test_error"]))
    print(f"alpha_n = 1 - kappa*/n at n = {n}: theory {mp.nstr(mc3[-1][1], 6)}   Monte Carlo {mc3[-1][2]['mean']:.5f} ± {mc3[-1][2]['se']:.5f}")
it = dict(phi=0.5, p2=0.5, lam=0.1, sigma1=0.5, sigma2=0.5, atoms=iso)
opt = adaptive.optimal_schedule(it, 3, "alpha", "sum", sweeps=2, tol=1e-4)
print("optimal alpha(t), T = 3, summed error:", [round(float(a), 4) for a in opt["schedule"]],
      f"gain over the best constant {100 * float(opt['gain']):.2f} %")
mc_it = adaptive.simulate_schedule(it, 400, 6, seed=4, schedule={"alpha": opt["schedule"]})["conditional"]["test_error"]

# %%
fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2))
for name in ("plain", "fixed 0.9", "b=1/4", "b=1/2", "kappa*/n", "real_only"):
    path = res3["rows"][name]["path"]
    ax.loglog(path["n"], path["test_error"], "--" if name == "real_only" else "-", label=name)
ax.errorbar([n for n, _, _ in mc3], [m["mean"] for _, _, m in mc3], yerr=[2 * m["se"] for _, _, m in mc3], fmt="ko", label="Monte Carlo, κ*/n")
ax.set_xlabel("n (d = 50)"); ax.set_ylabel("test error"); ax.legend(fontsize=8); ax.grid(alpha=0.3)
ax.set_title("α_n = 1 − κn^-b: the clean rate iff b > 1/2")
t = np.arange(1, 4)
bx.plot(t, [float(v) for v in opt["errors"]], "o-", label="optimal α(t)")
bx.plot(t, [float(v) for v in opt["constant"]["errors"]], "s--", label="best constant α")
bx.errorbar(t, mc_it["mean"], yerr=[2 * s for s in mc_it["se"]], fmt="k.", label="Monte Carlo (d = 200)")
bx.set_xlabel("generation t"); bx.legend(fontsize=8); bx.grid(alpha=0.3); bx.set_title("iterative mixing, per-generation weight")
fig.tight_layout(); plt.show()

# %%
assert a_summary["condition"] == "1/2 < b"
assert abs(a_summary["gain_kappa_star"] / a_summary["gain_star"] - 1) < 1e-3
assert res3["rows"]["plain"]["local"] < 0.01 and abs(res3["rows"]["b=1/2"]["local"] - 1) < 0.01
for n, th, m in mc3:
    assert abs(m["mean"] - float(th)) <= 3 * m["se"] + 0.03 * float(th)
for k in range(3):
    th = float(opt["errors"][k])
    assert abs(mc_it["mean"][k] - th) <= 3 * mc_it["se"][k] + 0.02 * th
assert 0 <= float(opt["gain"]) < 0.05
print("section 3 checks passed")

# %% [markdown]
# ## 4. Training error, the generalization gap and GCV
#
# From the same fixed point (docs/theory/training.md, `symcollapse derive training`):
# $E_{\rm train,j} \simeq e_j^2(G_j+\sigma_j^2)$ with $G_1 = E_{\rm test}$ and $G_2 = \|\hat w - w_2\|^2_{\Sigma_2}$
# (the error functional along the probe $\Sigma_2$, with the target $w_2$).  With clean data
# $\mathrm{GCV} = E_{\rm train}/(1-df/n)^2 = E_{\rm test}+\sigma^2$ exactly; on a mixture GCV estimates the
# *mixture's* risk $p_1(G_1+\sigma_1^2)+p_2(G_2+\sigma_2^2)$ instead: too high for $p_2 < s/2$, too low above.
# Isotropic, $\varphi = 0.5$, $\lambda = 0.1$, $\sigma = 0.5$, $c^2 = 1$.

# %%
base4 = {"phi": 0.5, "lam": 0.1, "sigma1": 0.5, "sigma2": 0.5, "atoms": iso}
p2s = np.linspace(0, 0.9, 19)
rows4 = [sc.predict(dict(base4, p2=float(q)), dps=20) for q in p2s]
real_risk = [float(r["test_error"]) + 0.25 for r in rows4]
gcv = [float(r["gcv"]) for r in rows4]
train = [float(r["train_error"]) for r in rows4]
gap = [float(r["test_error"] - r["train_error"]) for r in rows4]
mc4 = {q: sc.simulate(dict(base4, p2=q), 400, 6, seed=5) for q in (0.1, 0.5)}
for q, m in mc4.items():
    r = sc.predict(dict(base4, p2=q), dps=20)
    for k in ("train_error_real", "train_error_synthetic"):
        print(f"p2 = {q}: {k:22s} theory {mp.nstr(r[k], 6)}   Monte Carlo {m['conditional'][k]['mean']:.5f} ± {m['conditional'][k]['se']:.5f}")
clean = sc.predict(dict(base4, p2=0), dps=40)
with mp.workdps(40):
    print("p2 = 0: |GCV - (E_test + sigma^2)| < 1e-30:", abs(clean["gcv"] - clean["test_error"] - mp.mpf(1) / 4) < mp.mpf(10) ** -30)
est = G.collapse_estimator(dict(base4, p2=0.3), k=100)
print(f"p2 = 0.3: D = GCV - (E_test + sigma1^2) = {mp.nstr(est['D_mean'], 5)}, zeta = {mp.nstr(est['zeta'], 5)}, "
      f"kappa = zeta/D = {mp.nstr(est['kappa'], 5)}, collapse detectable from k ≈ {mp.nstr(est['k_detect'], 3)} held-out rows")
sims = {k: G.simulate_estimator(dict(base4, p2=0.3), 200, k, 100, seed=6) for k in (25, 100, 400)}
for k, m in sims.items():
    print(f"k = {k:3d}: zeta-hat {m['mean']:.4f} ± {m['se']:.4f} (zeta {float(m['theory']['zeta']):.4f});  "
          f"variance {m['var']:.4f} vs v0 + 2 kappa^2 (E+s^2)^2 / k = {m['v0'] + float(m['theory']['var_k']):.4f}")

# %%
fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2))
ax.plot(p2s, real_risk, "o-", ms=3, label="E_test + σ² (real risk)")
ax.plot(p2s, gcv, "s-", ms=3, label="GCV on the mixed training set")
ax.plot(p2s, train, "^-", ms=3, label="E_train")
ax.plot(p2s, gap, "--", label="gap E_test − E_train")
for q, m in mc4.items():
    ax.errorbar([q], [m["conditional"]["train_error"]["mean"]], yerr=[2 * m["conditional"]["train_error"]["se"]], fmt="ko")
ax.set_xlabel("p2"); ax.legend(fontsize=8); ax.grid(alpha=0.3); ax.set_title("GCV follows the mixture, not the real risk")
ks = list(sims)
bx.errorbar(ks, [sims[k]["mean"] for k in ks], yerr=[2 * np.sqrt(sims[k]["var"]) for k in ks], fmt="o", capsize=3, label="ζ̂ = κ(GCV − R̂_k) ± 2 sd")
bx.axhline(float(est["zeta"]), color="k", ls=":", label="ζ (theory)")
bx.set_xscale("log"); bx.set_xticks(ks); bx.set_xticklabels([str(k) for k in ks]); bx.minorticks_off()
bx.set_xlabel("held-out real rows k"); bx.legend(fontsize=8); bx.grid(alpha=0.3)
bx.set_title("estimating ζ from training data and k real rows")
fig.tight_layout(); plt.show()

# %%
assert abs(clean["gcv"] - clean["test_error"] - mp.mpf(1) / 4) < mp.mpf(10) ** -30
assert gcv[6] > real_risk[6] and gcv[-1] < real_risk[-1]        # over at p2 = 0.3, under at p2 = 0.9
for q, m in mc4.items():
    r = sc.predict(dict(base4, p2=q), dps=20)
    for k in ("train_error", "train_error_real", "train_error_synthetic"):
        assert abs(m["conditional"][k]["mean"] - float(r[k])) <= 3 * m["conditional"][k]["se"] + 0.01 * float(r[k])
for k, m in sims.items():
    assert abs(m["mean"] - float(m["theory"]["zeta"])) <= 3 * m["se"] + 0.05 * float(m["theory"]["zeta"])
print("section 4 checks passed")
