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
# # 8. Self-consuming loops: replace versus accumulate
#
# A model is retrained, generation after generation, on what the previous model produced.
# Generation 0 fits ridge on $n$ real rows; generation $t \ge 1$ gets $n$ rows labelled by
# $\hat w_{t-1}$ with fresh noise, its inputs a **fresh** draw or the same $X_0$ again (**fixed**
# design), and fits on them alone (**replace**) or on every batch so far (**accumulate**).
# The deterministic equivalents are derived in `symcollapse derive loops` (docs/theory/loops.md):
# the fixed design through the one- and two-point Taylor moments of one sample covariance, the
# fresh replace loop through the recursion of iterative mixing with every row synthetic, the
# fresh accumulate loop through one stacked system of the batches.
# Every curve below is checked against the actual loop, simulated.

# %%
import sys, pathlib
sys.path.insert(0, str(pathlib.Path.cwd().parent))  # run from a plain checkout too
# %matplotlib inline
import numpy as np, mpmath as mp, sympy as sp
import matplotlib.pyplot as plt
from IPython.display import Math, display
import symcollapse as sc
from symcollapse.analysis import loops as AL

ISO = [{"weight": 1, "s1": 1, "theta": 1}]
THREE = [{"weight": 0.25, "s1": 3, "theta": 2}, {"weight": 0.5, "s1": 1, "theta": 1},
         {"weight": 0.25, "s1": 1 / 3, "theta": 0.5}]


def loop(strategy, design, lam, phi=0.5, sigma=1.0, T=10, atoms=ISO):
    return {"strategy": strategy, "design": design, "phi": phi, "lam": lam, "sigma1": sigma,
            "generations": T, "atoms": atoms}


def theory_and_simulation(ax, cfg, label, mark="o", sim_T=None, n=200, seed=1, rel=0.03):
    """Plot the theory over every generation (a line) and, up to ``sim_T``, the simulated loop
    (points), asserting each point within 3 se + ``rel`` of the theory; returns both."""
    th = sc.predict(cfg, dps=15)
    line, = ax.plot(range(len(th["test_error"])), [float(v) for v in th["test_error"]], "-", label=label)
    if sim_T is None:
        return th, None
    mc = sc.simulate(dict(cfg, generations=sim_T), n=n, trials=4, seed=seed)
    ax.errorbar(range(sim_T + 1), mc["mean"], yerr=mc["se"], fmt=mark, color=line.get_color(), ms=4)
    assert all(abs(mc["mean"][t] - float(th["test_error"][t]))
               <= 3 * mc["se"][t] + rel * float(th["test_error"][t]) for t in range(sim_T + 1)), label
    return th, mc


def finish(ax, title):
    ax.set_title(title)
    ax.set_xlabel("generation t")
    ax.set_ylabel("E_test(t)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)

# %% [markdown]
# ## The OLS anchors, derived
#
# At $\lambda = 0$ the ridge smoother is the projection on the row space, so
# $E(t) = \mathrm{Bias}_0 + \kappa_t\,\mathrm{Var}_0$ with $\kappa_t = \sum_k Q_{t,k}(1)^2$: the
# coefficient of the $k$-th noise is solved by SymPy from each loop's recursion and summed.

# %%
for strategy in ("replace", "accumulate"):
    q = AL.noise_coefficient(strategy)
    kap, lim = AL.kappa(strategy)
    display(Math(rf"\text{{{strategy}}}:\quad Q_{{t,k}}(1) = {sp.latex(q)},\qquad "
                 rf"\kappa_t = {sp.latex(kap)},\qquad \kappa_\infty = {sp.latex(lim)}"))
phi_s, sigma_s = sp.symbols("phi sigma", positive=True)
cfg = loop("accumulate", "fixed", 0, phi=phi_s, sigma=sigma_s, T=1)
cfg["atoms"] = [{"weight": 1, "s1": 1, "theta": sp.Symbol("r2", positive=True)}]
display(Math(r"E^{\rm accumulate}_{\rm test}(t) = " + sp.latex(AL.loop_closed_form(cfg))))

# %%
r = sc.predict(loop("replace", "fixed", 0, atoms=THREE, T=5), dps=30)
a = sc.predict(loop("accumulate", "fixed", 0, atoms=THREE, T=5), dps=30)
for t in range(6):
    print(t, mp.nstr(r["test_error"][t], 30), mp.nstr(a["test_error"][t], 30))
with mp.workdps(40):
    assert all(abs(r["test_error"][t] - (t + 1)) < mp.mpf(10) ** -29 for t in range(6))
    assert all(abs(a["test_error"][t] - sum(mp.mpf(1) / i ** 2 for i in range(1, t + 2)))
               < mp.mpf(10) ** -29 for t in range(6))
with mp.workdps(30):
    print("limits:", r["limit"], mp.nstr(a["limit"], 20), "(pi^2/6 =", mp.nstr(mp.pi ** 2 / 6, 20), ")")

# %% [markdown]
# With $\sigma^2\varphi/(1-\varphi) = 1$: replace adds one unit per generation, accumulate stays
# below $\pi^2/6$, for any spectrum (a 3-atom one here).
#
# ## Replace versus accumulate, fixed versus fresh design, against the simulated loop
#
# Lines: the theory; points: the exact conditional expectation of the simulated loop
# ($d = 100$, 4 trials; `paper_checks/self_consuming_loops.py` runs 12 configs at $d = 400$).

# %%
cases = [("replace, fixed", loop("replace", "fixed", 0.1, T=6, atoms=THREE)),
         ("replace, fresh", loop("replace", "fresh", 0.1, T=6, atoms=THREE)),
         ("accumulate, fixed", loop("accumulate", "fixed", 0.1, T=6, atoms=THREE))]
fig, ax = plt.subplots(figsize=(6.5, 4))
worst = 0.0
for (label, c), mark in zip(cases, "osD"):
    th, mc = theory_and_simulation(ax, c, label, mark, sim_T=6, n=200, seed=11)
    worst = max(worst, max(abs(m - float(v)) / float(v) for m, v in zip(mc["mean"], th["test_error"])))
    print(label, ": E(6) =", mp.nstr(th["test_error"][-1], 8), " limit =", mp.nstr(th["limit"], 8),
          f" Monte Carlo E(6) ≈{mc['mean'][-1]:.4f}")
print(f"largest relative gap theory vs Monte Carlo ≈{100 * worst:.2f} %")
finish(ax, "ridge λ = 0.1, φ = 1/2, 3-atom spectrum, σ = 1")
plt.show()

# %% [markdown]
# A fresh design collapses faster than the fixed one: each new design adds its own shrinkage
# error, while the fixed design keeps projecting on the same row space.  Accumulating keeps the
# error nearly flat.
#
# ## Ridge changes the long run
#
# With $\lambda > 0$ every eigenvalue of the smoother $A = \hat\Sigma(\hat\Sigma + \lambda)^{-1}$
# is below 1, so the mean of $\hat w_t$ shrinks to 0 and the bias tends to
# $\|w^*\|^2_\Sigma$.  Replace keeps a stationary variance — a resolvent at $\lambda/2$ — so
# its limit is finite (OLS: $\infty$); accumulate averages the noise away and tends to
# $\|w^*\|^2_\Sigma$ itself, slowly (like $t^{-(1-a)}$ for the largest eigenvalues $a$ of $A$).

# %%
compact, root = AL.replace_limit_isotropic()
display(Math(r"E^{\rm replace}_{\rm test}(\infty) = " + sp.latex(compact) + r",\quad e_{\rm half} = "
             + sp.latex(root)))
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
for lam in (0, 0.05, 0.2, 1.0):
    rr = sc.predict(loop("replace", "fixed", lam, T=20), dps=15)
    aa = sc.predict(loop("accumulate", "fixed", lam, T=20), dps=15)
    t = np.arange(21)
    ax1.plot(t, [float(v) for v in rr["test_error"]], label=f"λ = {lam}, limit {mp.nstr(rr['limit'], 4)}")
    ax2.plot(t, [float(v) for v in aa["test_error"]], label=f"λ = {lam}, limit {mp.nstr(aa['limit'], 4)}")
    print(f"lam = {lam}: replace E(20) = {mp.nstr(rr['test_error'][-1], 8)}, limit {mp.nstr(rr['limit'], 8)};"
          f" accumulate E(20) = {mp.nstr(aa['test_error'][-1], 8)}, limit {mp.nstr(aa['limit'], 8)}")
for ax, title in ((ax1, "replace (fixed design)"), (ax2, "accumulate (fixed design)")):
    ax.set_xlabel("generation t"); ax.set_title(title + ", φ = 1/2, σ = 1, ‖w*‖² = 1")
    ax.legend(fontsize=8); ax.grid(alpha=0.3)
ax1.set_ylim(0, 12)
plt.show()

# %% [markdown]
# ## When does a loop double its error?  Size and spectrum
#
# The first generation with $E(t) \ge 2E(0)$ (`analysis.loops.doubling_generation`, within 12 generations; ridgeless
# replace in closed form: $\lceil 1 + \mathrm{Bias}_0/\mathrm{Var}_0\rceil$, accumulate never since
# $\pi^2/6 < 2$).  A larger $\varphi = d/n$ (fewer samples per dimension) makes generation 0
# noisier but doubles no sooner under OLS; the ridge and the spectrum move it.

# %%
rows = []
for phi in (0.3, 0.5, 0.8, 1.5):
    for lam in (0, 0.1):
        for atoms, name in ((ISO, "isotropic"), (THREE, "3 atoms")):
            g_rep, errs = AL.doubling_generation(loop("replace", "fixed", lam, phi=phi, atoms=atoms), 12)
            g_acc, _ = AL.doubling_generation(loop("accumulate", "fixed", lam, phi=phi, atoms=atoms), 12)
            rows.append((phi, lam, name, mp.nstr(errs[0], 6), g_rep, g_acc))
print(f"{'phi':>4} {'lam':>4} {'spectrum':>10} {'E(0)':>10} {'replace doubles at':>19} {'accumulate':>11}")
for row in rows:
    print(f"{row[0]:>4} {row[1]:>4} {row[2]:>10} {row[3]:>10} {str(row[4]):>19} {str(row[5]):>11}")
assert all(r[5] is None for r in rows if r[1] == 0)     # ridgeless accumulate never doubles

# %% [markdown]
# ## Accumulating fresh batches, without a ridge
#
# The normal equations telescope, every OLS fit is unbiased, and the $k$-th noise adds
# $\sigma^2\varphi/((k+1)(k+1-\varphi))$ (the $k+1$ batches are exchangeable), for every spectrum:
# $E(t) = \sigma^2(\psi(t+2-\varphi) - \psi(1-\varphi) - \psi(t+2) + \psi(1))$ — less than the
# fixed design at every generation: fresh batches bring new design information as well as new noise.

# %%
expr, lim = AL.fresh_accumulate_ols()
display(Math(r"E(t)/\sigma^2 = " + sp.latex(expr) + r",\qquad E(\infty)/\sigma^2 = " + sp.latex(lim)))
fr = sc.predict(loop("accumulate", "fresh", 0, T=5, atoms=THREE), dps=20)
fx = sc.predict(loop("accumulate", "fixed", 0, T=5, atoms=THREE), dps=20)
mc = sc.simulate(loop("accumulate", "fresh", 0, T=3, atoms=THREE), n=200, trials=4, seed=5)
for t in range(6):
    sim = f"  Monte Carlo ≈{mc['mean'][t]:.4f}" if t < 4 else ""
    print(t, "fresh", mp.nstr(fr["test_error"][t], 15), " fixed", mp.nstr(fx["test_error"][t], 15), sim)
print("limits: fresh", mp.nstr(fr["limit"], 15), " fixed", mp.nstr(fx["limit"], 15))
assert all(a < b for a, b in zip(fr["test_error"][1:], fx["test_error"][1:]))
assert all(abs(mc["mean"][t] - float(fr["test_error"][t])) <= 3 * mc["se"][t] + 0.03 * float(fr["test_error"][t])
           for t in range(4))

# %% [markdown]
# On the interpolating side ($\varphi > 1$) the minimum-norm fits telescope the same way: the
# bias stays $\mathrm{Bias}_0$ and the $k$-th noise adds $\mathrm{Var}(\varphi/(k+1))/(k+1)$, the plain
# ridgeless variance of the stacked fit. At $\varphi = 2.4$ the fits on $n$ and $2n$ rows
# interpolate (the second one close to its peak at $\varphi/2 = 1.2$); from $3n$ rows on, the
# inverse-Wishart terms take over.

# %%
wide = sc.predict(loop("accumulate", "fresh", 0, phi=2.4, T=5, atoms=THREE), dps=20)
mc = sc.simulate(loop("accumulate", "fresh", 0, phi=2.4, T=3, atoms=THREE), n=150, trials=4, seed=5)
for t in range(6):
    sim = f"  Monte Carlo ≈{mc['mean'][t]:.4f} ± {mc['se'][t]:.4f}" if t < 4 else ""
    print(t, "E =", mp.nstr(wide["test_error"][t], 12), " bias", mp.nstr(wide["bias"][t], 8), sim)
print("limit", mp.nstr(wide["limit"], 12))
assert all(abs(mc["mean"][t] - float(wide["test_error"][t])) <= 3 * mc["se"][t] + 0.03 * float(wide["test_error"][t])
           for t in range(4))

# %% [markdown]
# ## Accumulating fresh batches, with a ridge
#
# With a ridge the fits nest resolvents of the partial sums $\hat S_t = \sum_{k\le t}X_k^\top X_k/n$.
# The normal equations still telescope, to
# $(\hat S_t + (t+1)\lambda)u_t - (\hat S_t + t\lambda)u_{t-1} = -\lambda w^* + X_t^\top\varepsilon_t/n$,
# with $u_t = \hat w_t - w^*$. Stacked over the generations this is one block lower-bidiagonal system
# $H = \sum_j \hat G_j\otimes P_j + I\otimes\Lambda$ in the independent batches.
# Its deterministic equivalent is an $L\times L$ fixed point ($L = T+1$), solved one
# subdiagonal at a time, and the two quadratic parts are adjoint solves (docs/theory/loops.md).
# The same system serves random projections and random features, through the features'
# spectrum given $S$. The ridge makes the loop forget $w^*$, slowly: on an eigenvalue $s$ of
# $\Sigma$ the signal decays like $t^{-\lambda/(s+\lambda)}$, so $E(t) \to \operatorname{tr}(\Theta\Sigma)$
# (the printed limit) only over astronomically many generations. Over the first ones, accumulating
# fresh batches holds the error nearly flat while replacing them lets it climb.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for ax, (title, extra, phi) in zip(axes, (("linear, φ = 1.5", {}, 1.5),
                                           ("projections ψ = 0.3, φ = 0.5", {"model": "random_projection", "psi": 0.3}, 0.5))):
    for strategy, mark in (("replace", "o"), ("accumulate", "s")):
        cfg = dict(loop(strategy, "fresh", 0.1, phi=phi, T=8, atoms=THREE), **extra)
        th, _mc = theory_and_simulation(ax, cfg, f"{strategy}, fresh", mark, sim_T=3,
                                        n=round(240 / min(phi, extra.get("psi", phi))), seed=6)
        print(f"{title:>30} {strategy:>10}: E(0..8) =", [mp.nstr(v, 5) for v in th["test_error"]],
              " limit", mp.nstr(th["limit"], 5))
    finish(ax, f"{title}, λ = 0.1, 3 atoms")
plt.show()

# %% [markdown]
# ## Model size: the loops of random projections
#
# Ridge on $m = \psi n$ random projections $Sx$, with $S$ drawn once and kept.  From generation 1
# on the labels $X\hat w_{t-1} = F\hat v_{t-1}$ lie in the model's own feature space.
#
# *Without a ridge* the loops reduce to generation 0: a fixed design gives
# $\mathrm{Bias}_0 + \kappa_t\mathrm{Var}_0$ on every side of the limit; a fresh design where no fit
# interpolates ($r = \min(\varphi,\psi) < 1$) gives the same for replace, and for accumulate
# $\mathrm{Bias}_0 + \sigma^2\sum_{k\le t} r/((k+1)(k+1-r))$ — the linear model's formula with
# $\varphi$ replaced by the rank ratio, on top of the bias floor of what the projection cannot see.

# %%
def proj(strategy, design, lam, psi, phi=0.5, T=8, atoms=THREE):
    return dict(loop(strategy, design, lam, phi=phi, T=T, atoms=atoms), model="random_projection", psi=psi)

display(Math(r"\text{fresh accumulate, } \psi = 0.3:\quad E(t) = "
             + sp.latex(sc.closed_form(proj("accumulate", "fresh", 0, 0.3, atoms=ISO)))))
for psi in (0.3, 0.7):
    r = sc.predict(proj("accumulate", "fresh", 0, psi, T=4), dps=20)
    print(f"psi = {psi}: Bias_0 = {mp.nstr(r['bias'][0], 8)}, Var_t =",
          [mp.nstr(v, 6) for v in r["variance"]], " limit", mp.nstr(r["limit"], 8))

# %% [markdown]
# *With a ridge, on a fixed design* the loop needs the two-point moments of the projected
# design, $\operatorname{tr}(\Theta\hat\Sigma S^\top R^i\Omega R^jS\hat\Sigma)$ with $\Omega = S\Sigma S^\top$,
# derived in two stages (given $S$ the features are Gaussian with covariance $\Omega$; then the
# sketch) and read off as Taylor coefficients at $z = \lambda$ (docs/theory/loops.md).  Below,
# the error over generations for several model sizes, with the simulated loop as points: a
# narrow model ($\psi < \varphi$) starts from a high bias floor but its variance grows slowly;
# the wider the model, the more noise each generation adds.  A very wide model is the linear
# model at the smaller ridge $\lambda\varphi/\psi$ (a ridge on $v$ is a ridge on $w = S^\top v$,
# $S^\top S \approx (\psi/\varphi)I$), so as $\psi \to \infty$ its loop tends to the OLS loop.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
psis = (0.3, 0.7, 1.5, 4.0)
for ax, strategy in zip(axes, ("replace", "accumulate")):
    for psi in psis:
        theory_and_simulation(ax, proj(strategy, "fixed", 0.1, psi), f"ψ = {psi}",
                              sim_T=4 if psi in (0.7, 4.0) else None, n=round(120 / min(0.5, psi)),
                              seed=2)
    ols = sc.predict(loop(strategy, "fixed", 0, T=8, atoms=THREE), dps=15)
    ax.plot(range(9), [float(v) for v in ols["test_error"]], "k--", label="linear OLS (ψ → ∞)")
    finish(ax, f"{strategy}, fixed design, λ = 0.1, φ = 0.5, 3 atoms")
plt.show()
for psi in (20.0, 200.0, 2000.0):
    wide = sc.predict(proj("replace", "fixed", 0.1, psi, T=3), dps=15)["test_error"][3]
    lin = sc.predict(loop("replace", "fixed", 0.1 * 0.5 / psi, T=3, atoms=THREE), dps=15)["test_error"][3]
    print(f"psi = {psi:>6}: projections E(3) = {mp.nstr(wide, 10)}, linear at lam*phi/psi {mp.nstr(lin, 10)},"
          f" relative gap {mp.nstr(abs(wide / lin - 1), 2)}")
assert abs(wide / lin - 1) < 1e-5

# %% [markdown]
# ## Random features: the network retrained on its own outputs
#
# Generation $t$ labels its batch with the previous network, $\sigma(X_tS^\top)\hat v_{t-1} + \varepsilon_t$.
# Through the Gaussian equivalent $\sigma(XS^\top) \approx \mu_1XS^\top + \mu_*Z$ the loop is the
# projections loop with $\Omega = \mu_1^2S\Sigma S^\top + \mu_*^2I$ (the feature covariance and the test
# kernel).  The points retrain the actual relu network (test expectation exact given the network).

# %%
fig, ax = plt.subplots(figsize=(6, 4))
for design, mark in (("fixed", "o"), ("fresh", "s")):
    for strategy in ("replace", "accumulate"):
        cfg = dict(loop(strategy, design, 0.1, T=6, atoms=THREE), model="random_features",
                   activation="relu", psi=1.5)
        th, _mc = theory_and_simulation(ax, cfg, f"{strategy}, {design}", mark, sim_T=3, n=240,
                                        seed=4, rel=0.04)
        print(f"{strategy:>10}, {design:>5}: E(0..6) =", [mp.nstr(v, 5) for v in th["test_error"]],
              " limit", mp.nstr(th["limit"], 5))
finish(ax, "random features (relu), ψ = 1.5, φ = 0.5, λ = 0.1, 3 atoms")
plt.show()

# %% [markdown]
# What is not derived here: random features without a ridge (the model needs λ > 0); deep
# random features.  `predict` refuses them with the
# reason, and the capability matrix (`docs/capabilities.md`) records it.
