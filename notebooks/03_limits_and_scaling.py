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
# # 3. Limits and scaling laws, derived from the fixed points
#
# The claims of the paper live in limits: no synthetic data ($p_2 \to 0$), perfect synthetic
# labels ($\Delta = 0$), the ridgeless limit ($\lambda \to 0^+$, on either side of the
# interpolation threshold), infinite ridge, infinitely wide models ($\psi \to \infty$) and
# infinite data ($n \to \infty$: the strong-collapse floor).  Each is derived here from the same
# SymPy system that the numerics solve, as a path $\tau \to 0^+$: the *expansion system*
# has the limit $x_0$ and the first-order term $x_1 = dx/d\tau$ as unknowns, so that
# $E(\tau) = E_0 + E_1\tau + O(\tau^2)$ (`symcollapse.analysis.limits`; the literate derivation is
# `symcollapse derive limits`).  Then the scaling laws on power-law spectra, and the plateau
# that any synthetic share puts under them (`symcollapse.analysis.scaling`, `symcollapse derive scaling`).

# %%
import sys, pathlib
sys.path.insert(0, str(pathlib.Path.cwd().parent))  # run from a plain checkout too
# %matplotlib inline
import numpy as np, mpmath as mp, sympy as sp
import matplotlib.pyplot as plt
from IPython.display import Math, display
import symcollapse as sc
from symcollapse.core import equations as eq
from symcollapse.analysis import limits, scaling
from fractions import Fraction

# %% [markdown]
# ## The limits in closed form (isotropic data, $\Sigma_1 = \Sigma_2 = sI$)
#
# Each line: the limit $E_0$ and the first-order term $E_1$, on one side of one model, with the
# condition where it holds.  $\bar\sigma^2 = p_1\sigma_1^2 + p_2\sigma_2^2$ appears as the
# combination of $\sigma_1, \sigma_2$ the formulas print.

# %%
rows = [("n->oo", "linear", "under"), ("n->oo", "linear", "ridge"),
        ("n->oo", "random_projection", "sketch"), ("n->oo", "random_projection", "features"),
        ("lam->0", "linear", "under"), ("lam->0", "linear", "over"), ("lam->oo", "linear", "ridge"),
        ("lam->oo", "random_projection", "ridge"), ("p2->0", "linear", "under"), ("c2->0", "linear", "over")]
for name, model, side in rows:
    r = limits.expand_isotropic(name, model, side)
    cond = "" if r["condition"] is sp.true else r",\quad " + sp.latex(r["condition"])
    label = {"n->oo": r"n \to \infty", "lam->0": r"\lambda \to 0^+", "lam->oo": r"\lambda \to \infty",
             "p2->0": r"p_2 \to 0", "c2->0": r"\Delta \to 0"}[name]
    display(Math(r"%s\ \text{(%s, %s):}\quad E_0 = %s,\quad E_1 = %s%s" % (
        label, model.replace("_", " "), side,
        sp.latex(r["value"]["test_error"]), sp.latex(sp.factor(r["slope"]["test_error"])), cond)))

# %% [markdown]
# The first line is the strong-collapse floor of the linear model, $p_2^2c^2$ (times $s$),
# with the first-order term $\bar\sigma^2 + p_1p_2c^2$ in $\varphi = d/n$; the narrow random-projections
# model ($\rho = m/d < 1$) has a higher floor $r^2(1-\rho) + p_2^2c^2\rho$: it cannot represent the part
# of $w_1$ outside its sketch, and it sees less of the shift.
#
# ## Each limit confirmed along a sequence
#
# On an anisotropic three-atom spectrum ($\Sigma_1 \ne \Sigma_2$, $\sigma_1 \ne \sigma_2$) `predict` is
# evaluated at $\tau = 10^{-k}$: the error $|E(\tau) - E_0|$ must fall like $\tau$ and the remainder
# $|E(\tau) - E_0 - E_1\tau|$ like $\tau^2$ (for $\Delta \to \tau\Delta$ the remainder is exactly 0).

# %%
A3 = [{"weight": Fraction(1, 5), "s1": 4, "s2": 0.5, "theta": 2, "delta": 0},
      {"weight": Fraction(3, 10), "s1": 1, "s2": 2, "theta": 1, "delta": 1},
      {"weight": Fraction(1, 2), "s1": 0.2, "s2": 1, "theta": 0.5, "delta": 3}]
lin = {"phi": 0.6, "p2": 0.3, "lam": 0.05, "sigma1": 0.5, "sigma2": 0.9, "atoms": A3}
rp = {"model": "random_projection", "psi": 0.7, "phi": 1.5, "p2": 0.2, "lam": 0.1,
      "sigma1": 0.5, "sigma2": 0.7, "atoms": A3}
confirmed = {}
for cfg_name, cfg in (("linear", lin), ("random projections", rp)):
    for name, L in limits.LIMITS.items():
        if cfg.get("model", "linear") in L.models and name != "c2->0":
            confirmed[(cfg_name, name)] = limits.confirm(name, cfg, exponents=(2, 3, 4, 5, 6), dps=30)
for (cfg_name, name), r in confirmed.items():
    print(f"{cfg_name:19s} {name:8s} E0 = {mp.nstr(r['value'], 10):14s} E1 = {mp.nstr(r['slope'], 10):14s} "
          f"orders {float(r['order']):.4f}, {float(r['remainder_order']):.4f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
for ax, cfg_name in zip(axes, ("linear", "random projections")):
    for (cn, name), r in confirmed.items():
        if cn != cfg_name:
            continue
        t = [float(row["tau"]) for row in r["rows"]]
        line, = ax.loglog(t, [float(row["error"]) / abs(float(r["slope"])) for row in r["rows"]], "o-", label=name)
        ax.loglog(t, [float(row["remainder"]) / abs(float(r["slope"])) for row in r["rows"]], "s--",
                  color=line.get_color(), ms=4)
    ax.loglog([1e-6, 1e-2], [1e-6, 1e-2], "k:", lw=1)
    ax.loglog([1e-6, 1e-2], [1e-12, 1e-4], "k:", lw=1)
    ax.set_title(f"{cfg_name}: |E − E0| (o) and remainder (□)", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_xlabel("τ")
    ax.grid(True, which="major", alpha=0.3)
axes[0].set_ylabel("relative to |E1| (dotted: slopes 1 and 2)")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Scaling laws: power-law spectra, $d \gg n$
#
# Eigenvalues $s_i = i^{-\beta}$, signal energies $w_i^2 = i^{-\gamma}$, shift energies
# $\delta_i = c_0 i^{-\gamma}$, noiseless, ridgeless.  In $d \gg n$ the traces are series, and the
# series spectrum is the linear model with $\varphi = 1/n$ and one atom per coordinate (summed by an
# exact head and a quadrature tail).  The derived clean law, from three Mellin integrals of the
# fixed point (with their conditions):

# %%
rate = scaling.clean_rate()
display(Math(r"E_{\rm clean} \simeq C\,n^{-a},\quad a = " + sp.latex(rate["exponent"])))
display(Math(r"C = " + sp.latex(rate["constant"])))
fl, _steps = scaling.interpolation_floor()
display(Math(r"\zeta_\infty\ \text{per coordinate} = " + sp.latex(sp.factor(fl["zeta"]))
             + r"\;=\;\bigl(p_2^2 + p_1p_2(\beta-1)\bigr)\,\delta s"))

# %% [markdown]
# So with any synthetic share the error stops at the floor
# $(p_2^2 + p_1p_2(\beta-1))\sum_i\delta_is_i$: in $d \gg n$ the interpolated shift on the synthetic
# rows acts like label noise, and the floor is of order $p_2$, not $p_2^2$.  The crossover
# $n^\star = (C/\mathrm{floor})^{1/a}$ is where it takes over.  Markers: Monte Carlo of the finite
# model with the first $d = 3000$ coordinates of the same law (exact conditional expectation, 5 draws,
# ± 2 s.e.), against the finite-$d$ theory (short dashes).

# %%
law = scaling.PowerLaw(beta=2, gamma=2, c0=1e-6)
ns = [int(x) for x in np.geomspace(10, 1e7, 40)]
curves = {p2v: scaling.learning_curve(law, ns, p2=p2v)["test_error"] for p2v in (0, 0.001, 0.01, 0.1)}
cross = {p2v: scaling.crossover(law, p2v) for p2v in (0.001, 0.01, 0.1)}
a = float(rate["exponent"].subs({scaling.beta_s: 2, scaling.gamma_s: 2}))
C = float(rate["constant"].subs({scaling.beta_s: 2, scaling.gamma_s: 2}))
fit = scaling.fitted_exponent(ns[10:], curves[0][10:])
mc_ns, d = [100, 300, 600], 3000
mc, fin = {}, {}
for p2v in (0, 0.1):
    cfg = scaling.finite_config(law, d=d, n=mc_ns[0], p2=Fraction(p2v).limit_denominator(100))
    theory = sc.curve(cfg, phi=[Fraction(d, n) for n in mc_ns])["test_error"]  # float64 path
    for n, th in zip(mc_ns, theory):
        fin[(p2v, n)] = float(th)
        mc[(p2v, n)] = sc.simulate(dict(cfg, phi=Fraction(d, n)), n=n, trials=5,
                                   seed=5)["conditional"]["test_error"]
print(f"derived exponent a = {a}, fitted over n = 10^3..10^7: {fit:.4f}")
for p2v, c in cross.items():
    print(f"p2 = {p2v:<6} floor = {c['floor']:.4e}   crossover n* = {c['n_star']:.0f}")

# %%
fig, ax = plt.subplots(figsize=(7.5, 4.6))
colors = {0: "k", 0.001: "tab:blue", 0.01: "tab:orange", 0.1: "tab:red"}
for p2v, col in colors.items():
    ax.loglog(ns, curves[p2v], color=col, label=f"$p_2$ = {p2v:g}")
    if p2v:
        ax.axhline(cross[p2v]["floor"], color=col, ls=":", lw=1)
        ax.plot([cross[p2v]["n_star"]], [cross[p2v]["floor"]], "v", color=col, ms=7)
ax.loglog(ns, [C * n ** -a for n in ns], color="0.6", ls="--", lw=1, label="$C n^{-a}$ (derived)")
for p2v in (0, 0.1):
    m = np.array([mc[(p2v, n)]["mean"] for n in mc_ns])
    s = np.array([mc[(p2v, n)]["se"] for n in mc_ns])
    ax.errorbar(mc_ns, m, yerr=2 * s, fmt="o", color=colors[p2v], ms=5, capsize=2)
    ax.plot(mc_ns, [fin[(p2v, n)] for n in mc_ns], ls=(0, (2, 2)), color=colors[p2v], lw=1)
ax.set_xlabel("n (training samples)")
ax.set_ylabel("test error on real data")
ax.set_title("β = γ = 2: the law $n^{-3}$ bends into a plateau (▾: crossover n*)")
ax.grid(True, which="major", alpha=0.3)
ax.legend(fontsize=8, loc="lower left")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Checks

# %%
for (cn, name), r in confirmed.items():
    assert abs(r["order"] - 1) < 0.01 and abs(r["remainder_order"] - 2) < 0.02, (cn, name)
assert abs(fit - a) / a < 0.02
for p2v, c in cross.items():
    assert abs(curves[p2v][-1] / c["floor"] - 1) < 1e-3, p2v   # the plateau is the floor
    assert abs(C * c["n_star"] ** -a / c["floor"] - 1) < 1e-9
assert curves[0][-1] < 1e-6 * cross[0.001]["floor"]            # the clean law keeps falling
worst = 0.0
for key, m in mc.items():
    assert abs(m["mean"] - fin[key]) <= 3 * m["se"] + 0.03 * fin[key], (key, m, fin[key])
    worst = max(worst, abs(m["mean"] - fin[key]) / m["se"])
print(f"all checks passed (largest theory-vs-Monte-Carlo gap {worst:.1f} standard errors)")
