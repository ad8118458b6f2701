"""Build the notebooks of notebooks/ from their cell sources and execute them in place.

    python tools/build_notebooks.py [NAME ...]

Each notebook is a list of (kind, source) cells below; outputs are produced by running it
(nbclient), so what is committed is exactly what a fresh run prints.
"""
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = {}


def notebook(name):
    def register(fn):
        NOTEBOOKS[name] = fn
        return fn
    return register


SETUP = """\
import sys, pathlib
sys.path.insert(0, str(pathlib.Path.cwd().parent))  # run from a plain checkout too
%matplotlib inline
import numpy as np, mpmath as mp, sympy as sp
import matplotlib.pyplot as plt
from IPython.display import Math, display
import symcollapse as sc
from symcollapse import equations as eq"""


@notebook("01_linear_model")
def linear_model():
    return [
        ("md", r"""# 1. The linear model on real + synthetic data: strong model collapse

Ridge regression $\hat w = \arg\min_w \frac1n\|Xw-y\|^2 + \lambda\|w\|^2$ is trained on
$n$ samples, a fraction $p_2$ of which come from a synthetic distribution $D_2$ whose labeler
$w_2 = w_1 + \delta$ is off by a random shift with $\mathbb E\,\delta\delta^\top = \Delta$,
$c^2 = \operatorname{Tr}\Delta$ (MODEL.md).  Its test error on the *real* distribution is

$$E_{\rm test} \simeq \underbrace{\mathrm{Bias} + \mathrm{Var}}_{\text{classical}} + \zeta ,$$

and the extra term $\zeta$ does not vanish as $n \to \infty$: for any $p_2 > 0$ and $c^2 > 0$
more data stops helping.  This notebook states the deterministic equivalent, renders the
equations from the SymPy system that the toolkit solves, derives the isotropic closed form,
and reproduces the learning curves against a Monte Carlo simulation of the finite model."""),
        ("code", SETUP),
        ("md", r"""## The theorem: a fixed point of normalized traces

The first-order unknowns $e_1, e_2$ and the second-order ones $u_1, u_2$ (derived by
differentiating the first order along $K \to K + t\Sigma_1$) solve these residual equations,
with $\operatorname{tr}$ the normalized trace over the spectrum's atoms and $a_j = p_j$,
$\gamma_j = \varphi$ for plain mixing:"""),
        ("code", """system = eq.linear_system()
for f in system.equations:
    display(Math(sp.latex(f) + " = 0"))"""),
        ("md", "The error functional, as per-atom densities whose traces are Bias, Var and ζ:"),
        ("code", """for name in ("bias", "variance", "zeta"):
    display(Math(r"\\mathrm{%s}:\\ " % name + sp.latex(system.densities[name])))"""),
        ("md", r"""## Numbers: 40 digits, with a certificate

An anisotropic three-atom example with $\Sigma_1 \ne \Sigma_2$ and $\sigma_1 \ne \sigma_2$; the
residual of the fixed point at the solution is the certificate."""),
        ("code", """A3 = [{"weight": 0.2, "s1": 4, "s2": 0.5, "theta": 2, "delta": 0},
      {"weight": 0.3, "s1": 1, "s2": 2, "theta": 1, "delta": 1},
      {"weight": 0.5, "s1": 0.2, "s2": 1, "theta": 0.5, "delta": 3}]
cfg = {"phi": 0.8, "p2": 0.3, "lam": 0.05, "sigma1": 1.0, "sigma2": 0.2, "atoms": A3}
r = sc.predict(cfg, dps=40)
for k in ("test_error", "bias", "variance", "zeta"):
    print(f"{k:10s} {mp.nstr(r[k], 40)}")
print("residual   below 1e-50:", r["residual"] < mp.mpf(10)**-50, "  regime:", r["regime"])"""),
        ("md", r"""## The isotropic closed form, derived

For $\Sigma_1 = \Sigma_2 = I$ the toolkit reduces the same system symbolically (symmetric
solution, positive root of a quadratic, linear second order).  Ridgeless, it returns a
`Piecewise` over the two sides of the interpolation threshold $\varphi = 1$:"""),
        ("code", """phi, p2, sigma, c2, r2 = sp.symbols("phi p2 sigma c2 r2", positive=True)
iso = {"phi": phi, "p2": p2, "lam": 0, "sigma1": sigma, "sigma2": sigma,
       "atoms": [{"weight": 1, "s1": 1, "s2": 1, "theta": r2, "delta": c2}]}
E = sc.closed_form(iso)
display(Math(r"E_{\\rm test} = " + sp.latex(E)))"""),
        ("md", r"""As $n \to \infty$ ($\varphi \to 0$) the underparametrized branch tends to a floor that
depends only on $p_2$ and $c^2$ — the strong-model-collapse floor:"""),
        ("code", """under = E.args[0].expr
floor = sp.limit(under, phi, 0)
slope = sp.limit(sp.diff(under, phi), phi, 0)
display(Math(r"\\lim_{\\varphi\\to 0} E_{\\rm test} = " + sp.latex(sp.factor(floor))
             + r",\\qquad \\partial_\\varphi E_{\\rm test}\\big|_{0} = " + sp.latex(sp.factor(slope))))"""),
        ("md", r"""## Learning curves: test error against $n$

Isotropic data, $d = 100$, $\sigma = 0.5$, $r^2 = 1$, ridgeless ($\lambda \to 0^+$), $n$ from
$2d$ to $10^7 d$ ($\varphi = d/n$).  Theory from the vectorized float64 path (`sc.curve`),
markers from `sc.simulate` (exact conditional expectation given $X$, 20 draws, ± 2 s.e.).
Without synthetic data the error keeps falling like $\sigma^2 d/n$; any $p_2 > 0$ bends it
into the floor $p_2^2c^2$ (dotted)."""),
        ("code", """d = 100
ns = np.logspace(np.log10(2 * d), np.log10(1e7 * d), 300)
base = {"phi": 0.5, "p2": 0.0, "lam": 0, "sigma1": 0.5, "sigma2": 0.5,
        "atoms": [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]}
curves = {}
for c2v in (1.0, 4.0):
    for p2v in (0.0, 0.001, 0.01, 0.1):
        cfg = dict(base, p2=p2v, atoms=[dict(base["atoms"][0], delta=c2v)])
        curves[(c2v, p2v)] = sc.curve(cfg, phi=d / ns)["test_error"]
mc_ns = [300, 3000, 30000]
mc = {}
for p2v in (0.0, 0.01, 0.1):
    cfg = dict(base, p2=p2v)
    for n in mc_ns:
        mc[(p2v, n)] = sc.simulate(dict(cfg, phi=d / n), n=n, trials=20, seed=1)["conditional"]["test_error"]"""),
        ("code", """fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
colors = {0.0: "k", 0.001: "tab:blue", 0.01: "tab:orange", 0.1: "tab:red"}
for ax, c2v in zip(axes, (1.0, 4.0)):
    for p2v, col in colors.items():
        ax.loglog(ns, curves[(c2v, p2v)], color=col, label=f"$p_2$ = {p2v:g}")
        if p2v > 0:
            ax.axhline(p2v ** 2 * c2v, color=col, ls=":", lw=1)
        if c2v == 1.0 and p2v in (0.0, 0.01, 0.1):
            m = np.array([mc[(p2v, n)]["mean"] for n in mc_ns])
            s = np.array([mc[(p2v, n)]["se"] for n in mc_ns])
            ax.errorbar(mc_ns, m, yerr=2 * s, fmt="o", color=col, ms=5, capsize=2)
    ax.set_title(f"$c^2$ = {c2v:g}  (markers: Monte Carlo, d = {d})")
    ax.set_xlabel("n (training samples)")
    ax.grid(True, which="major", alpha=0.3)
axes[0].set_ylabel("test error on real data")
axes[0].legend(loc="lower left")
fig.tight_layout()
plt.show()"""),
        ("md", r"""## Checks

The floor is $p_2^2 c^2$ (derived above); the curves reach it at large $n$; the theory agrees
with the Monte Carlo markers within 3 standard errors plus a 3 % finite-size allowance at
$d = 100$ (the deterministic equivalent's bias is $O(1/d)$); and the MODEL.md closed form
holds exactly."""),
        ("code", """assert sp.simplify(floor - p2**2 * c2) == 0
for (c2v, p2v), E_n in curves.items():
    if p2v > 0:
        assert abs(E_n[-1] / (p2v**2 * c2v) - 1) < 0.05, (c2v, p2v, E_n[-1])
    assert np.all(np.diff(E_n) < 0)  # more data never hurts here, it just stops helping
worst = 0.0
for (p2v, n), m in mc.items():
    th = float(sc.predict(dict(base, p2=p2v, phi=d / n), dps=20)["test_error"])
    dev = abs(m["mean"] - th)
    assert dev <= 3 * m["se"] + 0.03 * th, (p2v, n, m, th)
    worst = max(worst, dev / th)
want = sigma**2 * phi / (1 - phi) + c2 * (p2**2 + (1 - p2) * p2 * phi / (1 - phi))
assert sp.simplify(under - want) == 0
print(f"all checks passed (largest relative theory-vs-Monte-Carlo gap: {worst:.1%})")"""),
    ]


@notebook("02_random_projections")
def random_projections():
    return [
        ("md", r"""# 2. Random projections: does a larger model amplify or mitigate collapse?

A network of width $m$ is approximated by ridge regression on $m$ random projections of the
input: $f(x) = \hat v^\top Sx$ with $S\in\mathbb R^{m\times d}$ Gaussian, $\psi = m/n$ the
model size (MODEL.md).  The deterministic equivalent is a *nested* fixed point: the linear
model's at an effective ridge $L$, with $L$ set by averaging over $S$ and a sketch term $b$
from the second level of randomness (`derivations/projections.md`).  The paper's claims:
with low-quality synthetic data, larger models amplify collapse up to the interpolation
threshold $\psi = 1$; beyond it they may mitigate it but never remove it; as $\psi\to\infty$
the model behaves like the classical linear model."""),
        ("code", SETUP + "\nfrom symcollapse import modelsize\nfrom symcollapse.reductions import projection_via_linear"),
        ("md", "The system, as the toolkit solves it (first order; the second order is derived by differentiation):"),
        ("code", """system = eq.projection_system()
for f in system.equations[:3]:
    display(Math(sp.latex(f) + " = 0"))
display(Math(r"\\mathrm{Bias}:\\ " + sp.latex(system.densities["bias"])))"""),
        ("md", r"""**Check of the anisotropic theorem on isotropic data.**  There the model is exactly the
linear model in feature space with a Marchenko–Pastur spectrum; the two routes agree to
the precision asked:"""),
        ("code", """iso = lambda c2: [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": c2}]
cfg = {"model": "random_projection", "phi": 2, "psi": 0.9, "lam": 1e-3, "p2": 0.1,
       "sigma1": 0.5, "sigma2": 0.5, "atoms": iso(1)}
a, b = sc.predict(cfg, dps=30), projection_via_linear(cfg, dps=30)
print("general theorem     ", mp.nstr(a["test_error"], 30))
print("Marchenko–Pastur    ", mp.nstr(b["test_error"], 30), f"({b['nodes']} quadrature nodes)")"""),
        ("md", r"""## Test error against model size

$\varphi = 2$ ($d = 2n$), $\lambda = 10^{-2}$, $p_2 = 0.1$, $\sigma = 0.5$: synthetic data of high
quality ($c^2 = 0.05$) and low quality ($c^2 = 2$), and the clean reference $p_2 = 0$.
Markers: Monte Carlo with $n = 200$ ($d = 400$), 12 draws of $(X, S)$, ± 2 s.e."""),
        ("code", """base = {"model": "random_projection", "phi": 2, "psi": 1, "lam": 1e-2, "p2": 0.1,
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
    print(f"{s:6.2f}" + "".join(f"{float(sc.predict(dict(base, psi=s, atoms=iso(qual.get(k, 0))) if 'clean' not in k else dict(base, psi=s, p2=0, atoms=iso(0)), dps=10)['test_error']):26.4f}" for k in E))"""),
        ("code", """fig, ax = plt.subplots(figsize=(7.5, 4.5))
colors = {"high quality, c² = 0.05": "tab:blue", "low quality, c² = 2": "tab:red", "clean, p₂ = 0": "k"}
for name, curve_ in E.items():
    ax.loglog(psis, curve_, color=colors[name], label=name)
for name in qual:
    m = np.array([r["mean"] for r in mc[name]]); s = np.array([r["se"] for r in mc[name]])
    ax.errorbar(mc_psis, m, yerr=2 * s, fmt="o", color=colors[name], ms=5, capsize=2)
ax.axvline(1, color="gray", ls=":", lw=1)
ax.set_xlabel("model size ψ = m/n"); ax.set_ylabel("test error on real data")
ax.set_title("φ = 2, λ = 0.01, p₂ = 0.1: the peak at the interpolation threshold ψ = 1")
ax.legend(); ax.grid(True, which="major", alpha=0.3); plt.show()"""),
        ("md", r"""Below $\psi = 1$ the error rises with the model size, and the *extra* error due to the
synthetic data, $E(c^2) - E(0)$, rises with it (amplification); past the threshold both fall
(mitigation) towards the linear model's value, but the curves stay above the clean one:
collapse is mitigated, not removed."""),
        ("code", """extra = {name: E[name] - sc.curve(dict(base, atoms=iso(0)), psi=psis)["test_error"] for name in qual}
for name in qual:
    i_lo, i_mid, i_hi = np.searchsorted(psis, [0.25, 0.9, 10])
    print(f"{name}: extra error {extra[name][i_lo]:.4f} at ψ=0.25 → {extra[name][i_mid]:.4f} at ψ=0.9 "
          f"→ {extra[name][i_hi]:.4f} at ψ=10")"""),
        ("md", r"""## Test error against $n$ for fixed widths: the floor of a finite model

$d = 200$ fixed and four widths $m$; as $n$ grows both $\varphi = d/n$ and $\psi = m/n$ shrink at
fixed $m/d$.  The floor as $n\to\infty$ (dotted, `limits.floor`) is the linear model's
$p_2^2c^2$ for $m \ge d$ and higher for narrow models, whose bias keeps the part of $w_1$
outside the sketch; with low-quality data every width plateaus."""),
        ("code", """from symcollapse.limits import floor
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
    print(f"c² = {c2:<5g} m = {m:<5d} floor = {f:.5f}")"""),
        ("md", r"""## Where is a larger model worse?  A phase diagram

The fixed point does not involve $\Delta$, and $E_{\rm test}$ is affine in $c^2$, so
$\partial_\psi E = \partial_\psi E_0 + c^2\,\partial_\psi\zeta_1$ and the boundary is a curve
$c^2_\star(\psi)$.  With $\varphi = 0.5$ (more samples than dimensions) the clean error falls with
the model size, and a larger model is worse exactly when the synthetic data are poor enough
($c^2 > c^2_\star$); with $\varphi = 2$, below $\psi = 1$ it is worse for every $c^2$."""),
        ("code", """psis_pd = np.geomspace(0.05, 5, 120); c2s = np.linspace(0, 20, 201)
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
for ax, phi in zip(axes, (0.5, 2.0)):
    pd_ = modelsize.phase_diagram(dict(base, phi=phi, atoms=iso(1)), psis_pd, c2s)
    ax.pcolormesh(psis_pd, c2s, pd_["worse"], cmap="RdBu_r", vmin=-0.5, vmax=1.5, shading="auto")
    ax.plot(psis_pd, pd_["c2_star"], "k", lw=1.5, label="boundary c²*(ψ)")
    ax.set_xscale("log"); ax.set_xlabel("ψ"); ax.set_ylabel("c²"); ax.set_ylim(0, 20)
    ax.set_title(f"φ = {phi}: red = a larger model is worse (∂E/∂ψ > 0)")
plt.tight_layout(); plt.show()
pd05 = modelsize.phase_diagram(dict(base, phi=0.5, atoms=iso(1)), [0.1, 0.2, 0.3, 0.4], c2s)
print("phi = 0.5, boundary c2*(psi):", ", ".join(f"{p:g}: {c:.3f}" for p, c in zip(pd05["psi"], pd05["c2_star"])))"""),
        ("md", r"""## The interpolation peak as $\lambda\to 0$

For $\varphi > 1$ the ridgeless error diverges at $\psi = 1$; at a small ridge the peak sits
at $\psi^\star(\lambda)\to 1$ with a height growing like $\lambda^{-\kappa}$:"""),
        ("code", """peak = modelsize.peak_scaling(dict(base, atoms=iso(2.0)), [1e-2, 1e-3, 1e-4, 1e-5], dps=15)
for lam_, ps, h in zip(peak["lam"], peak["psi_star"], peak["height"]):
    print(f"lambda = {lam_:7.0e}   psi* = {mp.nstr(ps, 10):12s}   E* = {mp.nstr(h, 8)}")
print(f"fitted exponent kappa = {peak['kappa']:.3f}")"""),
        ("md", "## Checks"),
        ("code", """lo, hi = psis < 0.95, psis > 1.05
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
print("all checks passed")"""),
    ]



@notebook("03_limits_and_scaling")
def limits_and_scaling():
    return [
        ("md", r"""# 3. Limits and scaling laws, derived from the fixed points

The claims of the paper live in limits: no synthetic data ($p_2 \to 0$), perfect synthetic
labels ($\Delta = 0$), the ridgeless limit ($\lambda \to 0^+$, on either side of the
interpolation threshold), infinite ridge, infinitely wide models ($\psi \to \infty$) and
infinite data ($n \to \infty$: the strong-collapse floor).  Each is derived here from the same
SymPy system that the numerics solve, as a path $\tau \to 0^+$: the *expansion system*
has the limit $x_0$ and the first-order term $x_1 = dx/d\tau$ as unknowns, so that
$E(\tau) = E_0 + E_1\tau + O(\tau^2)$ (`symcollapse.limits`; the literate derivation is
`symcollapse derive limits`).  Then the scaling laws on power-law spectra, and the plateau
that any synthetic share puts under them (`symcollapse.scaling`, `symcollapse derive scaling`)."""),
        ("code", SETUP + """
from symcollapse import limits, scaling
from fractions import Fraction"""),
        ("md", r"""## The limits in closed form (isotropic data, $\Sigma_1 = \Sigma_2 = sI$)

Each line: the limit $E_0$ and the first-order term $E_1$, on one side of one model, with the
condition where it holds.  $\bar\sigma^2 = p_1\sigma_1^2 + p_2\sigma_2^2$ appears as the
combination of $\sigma_1, \sigma_2$ the formulas print."""),
        ("code", """rows = [("n->oo", "linear", "under"), ("n->oo", "linear", "ridge"),
        ("n->oo", "random_projection", "sketch"), ("n->oo", "random_projection", "features"),
        ("lam->0", "linear", "under"), ("lam->0", "linear", "over"), ("lam->oo", "linear", "ridge"),
        ("lam->oo", "random_projection", "ridge"), ("p2->0", "linear", "under"), ("c2->0", "linear", "over")]
for name, model, side in rows:
    r = limits.expand_isotropic(name, model, side)
    cond = "" if r["condition"] is sp.true else r",\\quad " + sp.latex(r["condition"])
    label = {"n->oo": r"n \\to \\infty", "lam->0": r"\\lambda \\to 0^+", "lam->oo": r"\\lambda \\to \\infty",
             "p2->0": r"p_2 \\to 0", "c2->0": r"\\Delta \\to 0"}[name]
    display(Math(r"%s\\ \\text{(%s, %s):}\\quad E_0 = %s,\\quad E_1 = %s%s" % (
        label, model.replace("_", " "), side,
        sp.latex(r["value"]["test_error"]), sp.latex(sp.factor(r["slope"]["test_error"])), cond)))"""),
        ("md", r"""The first line is the strong-collapse floor of the linear model, $p_2^2c^2$ (times $s$),
with the first-order term $\bar\sigma^2 + p_1p_2c^2$ in $\varphi = d/n$; the narrow random-projections
model ($\rho = m/d < 1$) has a higher floor $r^2(1-\rho) + p_2^2c^2\rho$: it cannot represent the part
of $w_1$ outside its sketch, and it sees less of the shift.

## Each limit confirmed along a sequence

On an anisotropic three-atom spectrum ($\Sigma_1 \ne \Sigma_2$, $\sigma_1 \ne \sigma_2$) `predict` is
evaluated at $\tau = 10^{-k}$: the error $|E(\tau) - E_0|$ must fall like $\tau$ and the remainder
$|E(\tau) - E_0 - E_1\tau|$ like $\tau^2$ (for $\Delta \to \tau\Delta$ the remainder is exactly 0)."""),
        ("code", """A3 = [{"weight": Fraction(1, 5), "s1": 4, "s2": 0.5, "theta": 2, "delta": 0},
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
          f"orders {float(r['order']):.4f}, {float(r['remainder_order']):.4f}")"""),
        ("code", """fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
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
plt.show()"""),
        ("md", r"""## Scaling laws: power-law spectra, $d \gg n$

Eigenvalues $s_i = i^{-\beta}$, signal energies $w_i^2 = i^{-\gamma}$, shift energies
$\delta_i = c_0 i^{-\gamma}$, noiseless, ridgeless.  In $d \gg n$ the traces are series, and the
series spectrum is the linear model with $\varphi = 1/n$ and one atom per coordinate (summed by an
exact head and a quadrature tail).  The derived clean law, from three Mellin integrals of the
fixed point (with their conditions):"""),
        ("code", """rate = scaling.clean_rate()
display(Math(r"E_{\\rm clean} \\simeq C\\,n^{-a},\\quad a = " + sp.latex(rate["exponent"])))
display(Math(r"C = " + sp.latex(rate["constant"])))
fl, _steps = scaling.interpolation_floor()
display(Math(r"\\zeta_\\infty\\ \\text{per coordinate} = " + sp.latex(sp.factor(fl["zeta"]))
             + r"\\;=\\;\\bigl(p_2^2 + p_1p_2(\\beta-1)\\bigr)\\,\\delta s"))"""),
        ("md", r"""So with any synthetic share the error stops at the floor
$(p_2^2 + p_1p_2(\beta-1))\sum_i\delta_is_i$: in $d \gg n$ the interpolated shift on the synthetic
rows acts like label noise, and the floor is of order $p_2$, not $p_2^2$.  The crossover
$n^\star = (C/\mathrm{floor})^{1/a}$ is where it takes over.  Markers: Monte Carlo of the finite
model with the first $d = 3000$ coordinates of the same law (exact conditional expectation, 10 draws,
± 2 s.e.), against the finite-$d$ theory (short dashes)."""),
        ("code", """law = scaling.PowerLaw(beta=2, gamma=2, c0=1e-6)
ns = [int(x) for x in np.geomspace(10, 1e7, 40)]
curves = {p2v: scaling.learning_curve(law, ns, p2=p2v)["test_error"] for p2v in (0, 0.001, 0.01, 0.1)}
cross = {p2v: scaling.crossover(law, p2v) for p2v in (0.001, 0.01, 0.1)}
a = float(rate["exponent"].subs({scaling.beta_s: 2, scaling.gamma_s: 2}))
C = float(rate["constant"].subs({scaling.beta_s: 2, scaling.gamma_s: 2}))
fit = scaling.fitted_exponent(ns[10:], curves[0][10:])
mc_ns, d = [100, 300, 900], 3000
mc, fin = {}, {}
for p2v in (0, 0.1):
    for n in mc_ns:
        cfg = scaling.finite_config(law, d=d, n=n, p2=Fraction(p2v).limit_denominator(100))
        fin[(p2v, n)] = float(sc.predict(cfg, dps=15)["test_error"])
        mc[(p2v, n)] = sc.simulate(cfg, n=n, trials=5, seed=5)["conditional"]["test_error"]
print(f"derived exponent a = {a}, fitted over n = 10^3..10^7: {fit:.4f}")
for p2v, c in cross.items():
    print(f"p2 = {p2v:<6} floor = {c['floor']:.4e}   crossover n* = {c['n_star']:.0f}")"""),
        ("code", """fig, ax = plt.subplots(figsize=(7.5, 4.6))
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
plt.show()"""),
        ("md", "## Checks"),
        ("code", """for (cn, name), r in confirmed.items():
    assert abs(r["order"] - 1) < 0.01 and abs(r["remainder_order"] - 2) < 0.02, (cn, name)
assert abs(fit - a) / a < 0.02
for p2v, c in cross.items():
    assert abs(curves[p2v][-1] / c["floor"] - 1) < 1e-3, p2v   # the plateau is the floor
    assert abs(C * c["n_star"] ** -a / c["floor"] - 1) < 1e-9
assert curves[0][-1] < 1e-6 * cross[0.001]["floor"]            # the clean law keeps falling
worst = 0.0
for key, m in mc.items():
    assert abs(m["mean"] - fin[key]) <= 3 * m["se"] + 0.03 * fin[key], (key, m, fin[key])
    worst = max(worst, abs(m["mean"] - fin[key]) / fin[key])
print(f"all checks passed (largest theory-vs-Monte-Carlo gap {worst:.1%})")"""),
    ]


@notebook("04_mixing_strategies")
def mixing_strategies():
    return [
        ("md", r"""# 4. Can a smarter mix prevent collapse? Weighted and iterative mixing

**Weighted mixing** puts a weight $\alpha$ on the real data and $1-\alpha$ on the synthetic
data; the deterministic equivalent is the same fixed point with group weights $a_1 = \alpha$,
$a_2 = 1-\alpha$ (both models).  **Iterative mixing** retrains each generation on fresh real
data plus fresh inputs labeled by the previous model; its deterministic equivalent is an affine
recursion over generations for the per-coordinate moments of $\hat w_t - w_1$, which has to
track the correlation of the shift with $w_1$ (`symcollapse.mixing`; the derivation is
`symcollapse derive mixing`)."""),
        ("code", SETUP + """
from fractions import Fraction
from symcollapse import mixing"""),
        ("md", r"""## The floor as a function of $\alpha$, derived

The $n \to \infty$ expansion system of the weighted family on the isotropic atom gives the floor
below: for $c^2 > 0$ it vanishes only at $\alpha = 1$ — no fixed $\alpha < 1$ escapes strong
collapse."""),
        ("code", """floor, ridgeless, roots = mixing.weighted_floor_isotropic()
display(Math(r"E_\\infty(\\alpha) = " + sp.latex(floor) + r",\\qquad \\lambda \\to 0:\\ " + sp.latex(ridgeless)))
print("alpha with a zero ridgeless floor (c2 > 0):", roots)"""),
        ("md", r"""## The best weight $\alpha^\star$ tends to 1

Isotropic, ridgeless, $p_2 = 0.2$, $\sigma = 0.5$, $c^2 = r^2 = 1$, $d = 50$ ($\varphi = 50/n$);
$\alpha^\star$ minimizes the derived error (root of $\partial E/\partial\alpha$ at 20 digits)."""),
        ("code", """iso = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]
base = {"strategy": "weighted", "alpha": 0.5, "p2": 0.2, "lam": 0, "sigma1": 0.5, "sigma2": 0.5, "atoms": iso}
table = []
for k in range(2, 9):
    r = mixing.optimal_alpha(dict(base, phi=Fraction(50, 10 ** k)), dps=20)
    table.append((10 ** k, r))
    print(f"n = 1e{k}:  alpha* = {mp.nstr(r['alpha_star'], 8):12s} E(alpha*) = {mp.nstr(r['error'], 6):11s} "
          f"plain = {mp.nstr(r['plain'], 6):9s} real only = {mp.nstr(r['real_only'], 6)}")"""),
        ("md", r"""## Weighted, plain and real-only training against $n$

The same setting; theory from the vectorized float64 path, markers from `sc.simulate`
($d = 100$, exact conditional expectation, 12 draws, ± 2 s.e.) for $\alpha = 0.9$ and plain mixing.
Plain mixing and any fixed $\alpha < 1$ stop at their floors $(1-\alpha)^2c^2$ (dotted); the best
weight, re-chosen at each $n$, follows the real-only curve down."""),
        ("code", """ns = np.geomspace(200, 1e8, 60)
d = 100
curves = {}
for label, alpha in (("plain (alpha = p1)", 0.8), ("alpha = 0.9", 0.9), ("alpha = 0.99", 0.99)):
    curves[label] = sc.curve(dict(base, phi=0.5, alpha=alpha), phi=list(d / ns))["test_error"]
curves["real only (alpha = 1)"] = sc.curve(dict(base, phi=0.5, alpha=1), phi=list(d / ns))["test_error"]
star_n = [n for n, _ in table]
star_E = [float(r["error"]) * 1 for _, r in table]
mc_ns = [400, 4000, 40000]
mc = {(a, n): sc.simulate(dict(base, phi=Fraction(d, n), alpha=a), n=n, trials=12, seed=2)["conditional"]["test_error"]
      for a in (0.8, 0.9) for n in mc_ns}"""),
        ("code", """fig, ax = plt.subplots(figsize=(7.5, 4.6))
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
plt.show()"""),
        ("md", r"""## Iterative mixing over generations

Three settings of THEORY-linear.md §6.3 (isotropic; two anisotropic spectra with
$\Sigma_1 \ne \Sigma_2$).  Lines: the recursion; dashed: its limit $E(\infty)$; dotted: training on
the real samples alone; markers: Monte Carlo of the actual iterated procedure ($d = 200$,
exact conditional expectation given all designs, 10 draws, ± 2 s.e.)."""),
        ("code", """A2 = [{"weight": .5, "s1": 2, "s2": .5, "theta": 1, "delta": 2}, {"weight": .5, "s1": .5, "s2": 1.5, "theta": .5, "delta": .5}]
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
          f"E(inf) = {mp.nstr(r['limit'], 5)}  real only = {alone[name]:.5f}  a = {mp.nstr(r['spectral_radius'], 3)}")"""),
        ("code", """fig, ax = plt.subplots(figsize=(7.5, 4.4))
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
plt.show()"""),
        ("md", "## Checks"),
        ("code", """stars = [float(r["alpha_star"]) for _, r in table]
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
print(f"all checks passed (largest theory-vs-Monte-Carlo gap {worst:.1%})")"""),
    ]


@notebook("00_overview")
def overview():
    return [
        ("md", r"""# Strong model collapse, in one notebook

*Strong Model Collapse* (Dohmatob, Feng, Subramonian, Kempe, ICLR 2025) asks what happens to a
model's test error on real data when a fraction $p_2$ of its training data is synthetic, produced
by a labeler $w_2 = w_1 + \delta$ of quality $c^2 = \mathbb E\|\delta\|^2$.  Its answer, which
`symcollapse` derives, evaluates to any precision and checks against simulation:

1. **Strong collapse** (linear model, [01_linear_model](01_linear_model.ipynb)).  The test error
   splits as $E_{\rm test} \simeq \mathrm{Bias} + \mathrm{Var} + \zeta$; the classical terms vanish
   as $n \to \infty$, the extra term $\zeta$ does not: the error stops at a floor
   ($p_2^2c^2$ for isotropic ridgeless data), for any $p_2 > 0$ however small.
2. **Model size** (random projections, [02_random_projections](02_random_projections.ipynb)).
   Below the interpolation threshold $\psi = m/n = 1$ a larger model amplifies the collapse when the
   synthetic data are poor; the error peaks at $\psi = 1$; beyond it larger models mitigate the
   collapse without removing it, and $\psi \to \infty$ is the linear model.
3. **Limits and scaling laws** ([03_limits_and_scaling](03_limits_and_scaling.ipynb)).  Every
   limit the claims rest on, with its first-order term; on power-law spectra the error falls like
   $n^{-a}$ and any synthetic share bends the law into a plateau.
4. **Mixing strategies** ([04_mixing_strategies](04_mixing_strategies.ipynb)).  No fixed weight
   $\alpha < 1$ on the real data escapes the floor; the best weight tends to 1.  Iterative mixing
   with fresh real data forgets the synthetic labeler, but diverges near the threshold.
5. **Real data** ([05_real_data](05_real_data.ipynb)).  On scikit-learn's digits with
   generator-relabelled images the learning curve flattens onto the theory's floor and random
   features show the amplification/mitigation story; the level of the classical part is where
   Gaussian theory and real images part ways.
6. **Beyond the paper** ([06_open_questions](06_open_questions.ipynb)).  Its open questions,
   answered by computation: a synthetic share $p_2 = \kappa n^{-a}$ keeps the clean law iff $a$ is
   at least the clean exponent; at equal $c^2$ a shift on the top eigendirections hurts most; a
   weight $\alpha_n = 1-\kappa n^{-b}$ recovers the clean rate iff $b > 1/2$ but gains only a bounded
   number of real samples; and GCV on the mixed training set estimates the mixture's risk, not
   the real one (training error from the same fixed point).

Every claim is checked by `symcollapse check` (a verdict, a number and a figure each); the
derivations are in `derivations/` (`symcollapse derive NAME`)."""),
        ("code", SETUP + """
import importlib
from paper_checks import CLAIMS"""),
        ("md", "## The story in three pictures"),
        ("code", """iso = lambda c2: [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": c2}]
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
                   "sigma1": 0.5, "sigma2": 0.5, "atoms": iso(1)}, alpha=list(alphas[1:-1]))["test_error"]"""),
        ("code", """fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
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
axes[2].plot(alphas, (1 - alphas) ** 2, "k:", label="$(1-\\\\alpha)^2c^2$")
axes[2].set_title("3. weighted mixing: a floor for every α < 1")
axes[2].set_xlabel("α (weight of the real data)"); axes[2].legend(fontsize=8)
for ax in axes:
    ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()"""),
        ("md", r"""## The claims and how each is established

`symcollapse check` runs all of them (`--fast` in under a minute) and writes a report with one
figure per claim.  Here, the list, and three of them run live:"""),
        ("code", """for name in CLAIMS:
    mod = importlib.import_module(f"paper_checks.{name}")
    print(f"{name:24s} [{mod.KIND}]  {mod.CLAIM[:110]}")"""),
        ("code", """results = {}
for name in ("strong_collapse", "zeta_culprit", "isotropic_closed_form"):
    out = importlib.import_module(f"paper_checks.{name}").evaluate(fast=True)
    results[name] = out
    print(f"{name:24s} {out.verdict}   {out.key}")"""),
        ("md", "## Checks"),
        ("code", """assert all(out.passed for out in results.values())
assert abs(lin[0.1][-1] / 0.01 - 1) < 0.01 and abs(lin[0.01][-1] / 1e-4 - 1) < 0.02
assert rp[2][np.argmin(abs(psis - 1))] > rp[2][0] and np.all(rp[2] > rp[0])
assert np.max(np.abs(wfloor - (1 - alphas[1:-1]) ** 2)) < 1e-5
print("all checks passed")"""),
    ]

@notebook("05_real_data")
def real_data():
    return [
        ("md", r"""# 5. Beyond Gaussian data: strong collapse on real images

The theory is for Gaussian inputs and linear labelers.  Here the real distribution $D_1$ is
scikit-learn's handwritten **digits** (1,797 images, 61 varying pixels, shipped inside
scikit-learn: nothing is downloaded), with the centred one-hot label as a 10-output regression.
The dataset is the population: $\Sigma_1$ is its covariance, $w_1$ its least-squares fit, and
every test error is the *excess* error on 500 held-out images, $\mathrm{MSE}(f) - \mathrm{MSE}(w_1)$.

Synthetic data are real images relabelled by a **generator**, a ridge fit on a few real images
($y = w_2^\top x$): its quality $c^2 = \mathbb E\|w_2 - w_1\|^2$ is measured.  A *high-quality*
generator has seen 400 images, a *low-quality* one 40.  The theory is fed the data's spectrum
(atoms from the eigen-decomposition of $\Sigma_1$, with $w_1$'s and $\delta$'s energies), the
measured noise level and $c^2$: nothing is fitted, except where said.

Sizes here are the ones `symcollapse check` uses (`FAST = False`); the CI runs the same code."""),
        ("code", SETUP + """
from symcollapse import experiments as ex
FAST = False
data = ex.digits()
gens = {q: ex.generator(n) for q, n in ex.GENERATORS.items()}
print(f"d = {data['d']}, pool {len(data['pool'])}, test {len(data['test'])}, "
      f"noise sigma1^2 = {data['sigma1_sq']:.4f}")
for q, g in gens.items():
    print(f"{q:4s} generator: ridge on {g['n_gen']} images, measured c^2 = {g['c2']:.4f}")"""),
        ("md", r"""## 1. Learning curves: does the curve flatten when $p_2 > 0$?

Ridge ($\lambda = 10^{-3}$) on the pixels, $n \in \{100, \dots, 3200\}$ (rows drawn iid from
the pool), eight seeds, the low-quality generator.  Dots: the digits; dashes: the theory with the measured parameters;
crosses: the **Gaussian control**, the same experiment on Gaussian inputs with the digits'
$\Sigma_1$, $w_1$, $w_2$ and noise — the theory's own setting."""),
        ("code", """res = ex.n_curve(ns=(200, 800, 3200) if FAST else (100, 200, 400, 800, 1600, 3200), seeds=4 if FAST else 8)
summ = ex.summarize_n_curve(res)
fig, ax = plt.subplots(figsize=(7, 4.2))
for i, p2 in enumerate(sorted(summ)):
    rr = [r for r in res["rows"] if r["p2"] == p2]
    n = [r["n"] for r in rr]
    ax.errorbar(n, [r["mean"] for r in rr], yerr=[2 * r["se"] for r in rr], fmt="o", color=f"C{i}",
                capsize=3, label=f"digits, $p_2$ = {p2}")
    ax.plot(n, [r["theory"] for r in rr], "--", color=f"C{i}", lw=1)
    ax.plot(n, [r["theory_fitted"] for r in rr], "-", color=f"C{i}", lw=0.6, alpha=0.6)
    ax.plot(n, [r["gaussian"] for r in rr], "x", color=f"C{i}")
ax.set_xscale("log"); ax.set_yscale("log"); ax.grid(alpha=0.3); ax.legend(fontsize=8)
ax.set_xlabel("n"); ax.set_ylabel("excess test error")
ax.set_title("dots: digits · dashes: theory · thin: theory, σ fitted on p2 = 0 · crosses: Gaussian")
plt.show()
print("p2     E(n=max)  x clean  last doubling gains  theory floor  theory off by  Gaussian vs theory")
for p2, v in summ.items():
    print(f"{p2:<6} {v['last']:.4f}    {v['ratio_to_clean']:5.2f}    {100 * v['fall_last_step']:5.0f} %"
          f"             {v['floor']:.1e}      x{1 + v['theory_gap']:.1f}          {100 * v['gaussian_vs_theory']:.1f} %")
print(f"fitted sigma1^2 = {res['sigma1_sq_fitted']:.3f} (measured {res['sigma1_sq_measured']:.4f})")"""),
        ("md", r"""**Reading.**  The curves flatten with synthetic labels.  Over the last doubling of
$n$ the clean error falls by about four fifths, the $p_2 = 0.1$ error by about two fifths and
the $p_2 = 0.5$ error by a quarter; at $n = 3200$ the $p_2 = 0.5$ error sits on the theory's
$n \to \infty$ floor and is some twenty times the clean error.  $p_2 = 0.01$ stays within
seed noise of clean at these sizes (its floor, $8\cdot10^{-6}$, is far below).

Where theory and data disagree: on the digits the *clean* error is several times the theory
(the table's last-but-one column).  The Gaussian control agrees with the theory within a few
per cent (finite $d = 61$), so the gap is the data's, not the formula's.  Two effects make it
(`tests/test_experiments.py` measures the first): the held-out images weigh a fit's errors by
their own covariance, about twice the pool's in the directions where least squares errs (the
pool is the population the theory is given, a finite sample of the real distribution); and
whitened digit pixels are far from Gaussian (bounded, sparse, strongly structured), so the
Marchenko–Pastur behaviour of the sample covariance that the deterministic equivalent assumes
does not hold at $d = 61$.  Fitting one number (the noise level, on the clean curve) does not repair it either,
because the data's excess error does not fall like the Gaussian $1/n$.  The collapse floor,
which comes from the label shift rather than from the sample covariance's fluctuations, is
where theory and data meet: the $p_2 = 0.5$ curve ends on it.  What survives contact with real
data is the shape and the floor; what does not is the level of the classical part."""),
        ("md", r"""## 2. Model size: amplification below the threshold, mitigation beyond

Ridge ($\lambda = 10^{-4}$) on random ReLU features of width $m$ at $n = 40$ ($\varphi = d/n
\approx 1.5$, threshold $m = n$), $p_2 = 0.5$, sixteen seeds; a two-layer ReLU network trained
to convergence (Adam, weight decay $10^{-4}$) beside it.  The quantity is the **collapse gap**
$E(\text{mix}) - E(\text{clean})$."""),
        ("code", """ms = (5, 20, 36, 44, 100, 400) if FAST else (5, 10, 20, 30, 36, 44, 60, 100, 200, 400)
rf = ex.model_size_curve(ms=ms, seeds=8 if FAST else 16)
net = ex.model_size_curve(ms=(5, 20, 40, 100, 400), seeds=3 if FAST else 4, learner="network",
                          steps=800)
fig, axes = plt.subplots(1, 2, figsize=(13, 4))
for ax, r, title in ((axes[0], rf, "ridge on ReLU random features (dots: projections theory)"),
                     (axes[1], net, "two-layer ReLU network")):
    clean = {x["m"]: x["mean"] for x in r["curves"]["clean"]}
    for i, (label, rows) in enumerate(r["curves"].items()):
        m = [x["m"] for x in rows]
        col = "k" if label == "clean" else f"C{i}"
        ax.errorbar(m, [x["mean"] for x in rows], yerr=[2 * x["se"] for x in rows], fmt="o-",
                    color=col, ms=4, capsize=3, label=label)
        if r is rf:
            ax.plot(m, [x["theory"] for x in rows], ":", color=col)
    ax.axvline(r["n"], color="gray", lw=0.8)
    ax.set_xscale("log"); ax.set_yscale("log"); ax.grid(alpha=0.3); ax.legend(fontsize=8)
    ax.set_xlabel("width m"); ax.set_title(title, fontsize=10)
axes[0].set_ylabel("excess test error")
plt.show()
for name, r in (("random features", rf), ("network", net)):
    for q, v in ex.summarize_model_size(r).items():
        print(f"{name:15s} {q:4s} (c2 = {v['c2']:.3f}): gap change for m <= 0.8n {v['gap_below']:+.3f}, "
              f"for m >= 1.5n {v['gap_above']:+.3f}, gap at m = {max(ms) if r is rf else 400}: "
              f"{v['gap_at_largest_m']:+.3f}")"""),
        ("md", r"""**Reading.**  With the low-quality generator the random-features gap grows with $m$
up to the threshold (amplification) and shrinks beyond it while staying positive (mitigation,
never removal): the paper's story, on real images.  The error itself peaks at $m \approx n$,
where the projections theory (with the digits' spectrum, no fit) also peaks — at about half the
measured height — and beyond the threshold the theory levels off at the linear model while the
nonlinear features keep improving: the linear projections model has no nonlinearity, so it
cannot follow (the random-features theory of the pencil engine is the model for that).  The
high-quality generator labels *more* cleanly than the noisy real labels ($\sigma_1^2 \approx
0.03$ against $c^2 \approx 0.016$): its gap is negative — synthetic data help — at every width.

The trained network shows no interpolation peak (weight decay and early convergence regularize
it) and its gap is nearly flat in $m$: for a network trained to convergence the model-size
effect is small at this $n$; the collapse gap with the low-quality generator stays positive at
every width."""),
        ("md", "## Checks"),
        ("code", """low = ex.summarize_model_size(rf)["low"]
assert summ[0.5]["fall_last_step"] < 0.75 * summ[0.0]["fall_last_step"]      # it flattens
assert summ[0.5]["ratio_to_clean"] > 1.5 and summ[0.1]["ratio_to_clean"] > 1.2
assert all(v["gaussian_vs_theory"] < 0.12 for v in summ.values())            # theory right on Gaussian data
assert abs(summ[0.5]["last"] / summ[0.5]["floor"] - 1) < 0.25                 # the p2 = 0.5 curve ends on the floor
assert low["gap_below"] > 0 and low["gap_above"] < 0 and low["gap_at_largest_m"] > 0
assert ex.summarize_model_size(net)["low"]["gap_at_largest_m"] > 0
assert ex.summarize_model_size(rf)["high"]["gap_at_largest_m"] < 0
print("all checks passed")"""),
    ]


@notebook("06_open_questions")
def open_questions():
    return [
        ("md", r"""# 6. The paper's open questions, answered by computation

*Strong Model Collapse* leaves four questions open.  Each section below states one, answers it
in one sentence with numbers, shows the figure (theory lines from the same deterministic
equivalents as everywhere in the toolkit, Monte Carlo markers of the finite model), and ends
with a check cell that asserts the answer.  Derivations: `symcollapse derive schedules`,
`derive kinds`, `derive adaptive`, `derive training`; claims: `symcollapse check`."""),
        ("code", SETUP + """
from fractions import Fraction
from symcollapse import schedules, kinds, scaling, generalization as G"""),
        ("md", r"""## 1. How fast must the synthetic share vanish?

Power-law spectrum $s_i = i^{-\beta}$, signal $w_i^2 \propto i^{-\gamma}$, shift $\delta_i \propto
i^{-\gamma}$ ($d \gg n$, ridgeless, noiseless), and a synthetic share that vanishes as
$p_2 = \kappa n^{-a}$ (config key `p2_schedule`).  SymPy derives (from the same fixed point)
$E(n) \simeq C n^{-a_c} + \kappa(\beta-1)S\,n^{-a} + \kappa^2(2-\beta)S\,n^{-2a}$ with
$a_c = \min(\gamma+\beta-1, 2\beta)$: the $p_1p_2$ part of $\zeta$ decays only like $n^{-a}$, so the
clean law survives iff $a \ge a^\star = a_c$ — not $a_c/2$, as the $p_2^2$ floor alone would
suggest."""),
        ("code", """summary = schedules.notebook_summary()
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
    print(f"isotropic, p2 = n^-1/2, n = {n}: theory {mp.nstr(th, 6)}   Monte Carlo {m['mean']:.5f} ± {m['se']:.5f}")"""),
        ("code", """fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2))
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
fig.tight_layout(); plt.show()"""),
        ("code", """assert summary["critical_a"] == summary["a_clean"] and summary["naive_critical_a"] == summary["a_clean"] / 2
assert summary["max_relative_gap"] < 0.02
for n, th, m in mc1:
    assert abs(m["mean"] - float(th)) <= 3 * m["se"] + 0.02 * float(th)
print("section 1 checks passed")"""),
        ("md", r"""## 2. Which kinds of synthetic data hurt most?

At equal quality $c^2 = \operatorname{Tr}\Delta$ on a four-atom spectrum ($s \in \{2.5, 1, 0.4,
0.1\}$, ridgeless, $p_2 = 0.2$): a shift on the top eigendirection, on the tail, spread evenly
($\Delta \propto I$ or $\propto \Theta$), pure label noise ($\sigma_2^2 = \sigma_1^2 + c^2$), pure covariate
shift, and combinations.  The $n\to\infty$ floor is $\sum_k w_k\delta_k G_k$ with
$G = p_2^2 s_1 s_2^2/(p_1 s_1 + p_2 s_2 + \lambda)^2$ (derived): with $\Sigma_2 = \Sigma_1$ it weights
the shift by the eigenvalue, $p_2^2\operatorname{tr}(\Delta\Sigma)$."""),
        ("code", """k_summary = kinds.notebook_summary()
print(k_summary["sentence"])
for row in k_summary["rows"]:
    print(f"{row['rank']}. {row['name']:28s} floor {mp.nstr(row['floor'], 6):12s} zeta(phi=1/2) {mp.nstr(row['zeta'], 6)}")
shown = {g.name: g for g in kinds.catalogue()}
phis = list(np.geomspace(1e-4, 0.9, 50))
kcurves = {name: sc.curve(shown[name].config(kinds.BASE_CONFIG), phi=phis)["test_error"]
           for name in ("top", "even (identity)", "tail", "noise")}
d = 200
mc2 = {name: [(n, sc.simulate(dict(shown[name].config(kinds.BASE_CONFIG), phi=Fraction(d, n)), n, 6, seed=3)["conditional"]["test_error"])
              for n in (400, 2000)] for name in ("top", "tail")}"""),
        ("code", """fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2))
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
fig.tight_layout(); plt.show()"""),
        ("code", """assert k_summary["worst"] == "top" and k_summary["shift_order"] == ["top", "even (theta)", "even (identity)", "tail"]
for name, pts in mc2.items():
    for n, m in pts:
        th = float(sc.predict(dict(shown[name].config(kinds.BASE_CONFIG), phi=Fraction(d, n)), dps=15)["test_error"])
        assert abs(m["mean"] - th) <= 3 * m["se"] + 0.02 * th, (name, n)
print("section 2 checks passed")"""),
        ("md", r"""## 3. Can an adaptive mix do better than a fixed one?

Weighted mixing with a weight that moves with $n$, $\alpha_n = 1-\kappa n^{-b}$ (isotropic,
ridgeless, $d = 50$, $p_2 = 0.2$, $\sigma = 0.5$, $c^2 = 1$), and iterative mixing with a
per-generation weight $\alpha(t)$.  SymPy's perturbation solution of the weighted system gives
$E = c^2\varepsilon^2 + (\sigma_1^2/p_1)\varphi(1-2\varepsilon) + O(3)$, $\varepsilon = 1-\alpha$: the clean
rate survives iff $b > 1/2$, and the best schedule ($b = 1$, $\kappa^\star = d\sigma_1^2/(p_1c^2)$, which
is the $\alpha^\star$ path) is worth only $d\sigma_1^2/c^2$ real samples more than discarding the synthetic
rows."""),
        ("code", """from symcollapse import adaptive
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
mc_it = adaptive.simulate_schedule(it, 400, 6, seed=4, schedule={"alpha": opt["schedule"]})["conditional"]["test_error"]"""),
        ("code", """fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2))
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
fig.tight_layout(); plt.show()"""),
        ("code", """assert a_summary["condition"] == "1/2 < b"
assert abs(a_summary["gain_kappa_star"] / a_summary["gain_star"] - 1) < 1e-3
assert res3["rows"]["plain"]["local"] < 0.01 and abs(res3["rows"]["b=1/2"]["local"] - 1) < 0.01
for n, th, m in mc3:
    assert abs(m["mean"] - float(th)) <= 3 * m["se"] + 0.03 * float(th)
for k in range(3):
    th = float(opt["errors"][k])
    assert abs(mc_it["mean"][k] - th) <= 3 * mc_it["se"][k] + 0.02 * th
assert 0 <= float(opt["gain"]) < 0.05
print("section 3 checks passed")"""),
        ("md", r"""## 4. Training error, the generalization gap and GCV

From the same fixed point (THEORY-training.md, `symcollapse derive training`):
$E_{\rm train,j} \simeq e_j^2(G_j+\sigma_j^2)$ with $G_1 = E_{\rm test}$ and $G_2 = \|\hat w - w_2\|^2_{\Sigma_2}$
(the error functional along the probe $\Sigma_2$, with the target $w_2$).  With clean data
$\mathrm{GCV} = E_{\rm train}/(1-df/n)^2 = E_{\rm test}+\sigma^2$ exactly; on a mixture GCV estimates the
*mixture's* risk $p_1(G_1+\sigma_1^2)+p_2(G_2+\sigma_2^2)$ instead: too high for $p_2 < s/2$, too low above.
Isotropic, $\varphi = 0.5$, $\lambda = 0.1$, $\sigma = 0.5$, $c^2 = 1$."""),
        ("code", """base4 = {"phi": 0.5, "lam": 0.1, "sigma1": 0.5, "sigma2": 0.5, "atoms": iso}
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
          f"variance {m['var']:.4f} vs v0 + 2 kappa^2 (E+s^2)^2 / k = {m['v0'] + float(m['theory']['var_k']):.4f}")"""),
        ("code", """fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2))
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
fig.tight_layout(); plt.show()"""),
        ("code", """assert abs(clean["gcv"] - clean["test_error"] - mp.mpf(1) / 4) < mp.mpf(10) ** -30
assert gcv[6] > real_risk[6] and gcv[-1] < real_risk[-1]        # over at p2 = 0.3, under at p2 = 0.9
for q, m in mc4.items():
    r = sc.predict(dict(base4, p2=q), dps=20)
    for k in ("train_error", "train_error_real", "train_error_synthetic"):
        assert abs(m["conditional"][k]["mean"] - float(r[k])) <= 3 * m["conditional"][k]["se"] + 0.01 * float(r[k])
for k, m in sims.items():
    assert abs(m["mean"] - float(m["theory"]["zeta"])) <= 3 * m["se"] + 0.05 * float(m["theory"]["zeta"])
print("section 4 checks passed")"""),
    ]


@notebook("07_pencil_engine")
def pencil_engine():
    return [
        ("md", r"""# 7. From a model to its equations, automatically: the linear-pencil engine

Operator-valued free probability is mechanical.  Write the quantity of interest as a block of the
inverse of a *linear pencil* $L = L_0 + \sum(\text{Gaussian blocks})$; the deterministic
equivalent of $L^{-1}$ solves the Dyson equation $G = (L_0 - \eta(G))^{-1}$ of an
operator-valued semicircular element, with $\eta$ the covariance map of the Gaussian blocks;
its block-wise normalized traces are the unknowns of a fixed point.  `symcollapse.pencil`
builds the pencil from a rational expression (and checks it exactly), `symcollapse.pencil_ov`
turns pencil + covariances into the same *System* that every other model of the toolkit is
solved from (no new solver), second-order quantities by differentiating along a probe."""),
        ("code", SETUP + """
import inspect
from fractions import Fraction
from symcollapse.pencil_expr import Gaussian, Diag, Identity, inverse
from symcollapse.pencil import linearize, check
from symcollapse.pencil_ov import derive_system, Output, mixture_sources, n1_dim, n2_dim
from symcollapse.compiled import compile_system, to_mpf, atoms_mp
from symcollapse.regimes import parameter_values
from symcollapse.solve import solve_point
from symcollapse.models import random_features as RF
from symcollapse import rf_reference, montecarlo_rf, literature"""),
        ("md", r"""## 1. Pose a model: the resolvent of ridge regression on a two-group mixture

$R = (a_1X_1^\top X_1/n_1 + a_2X_2^\top X_2/n_2 + \lambda I)^{-1}$, rows of $X_j$ drawn from
$N(0, \Sigma_j)$.  Its pencil (symmetric, three blocks $d, n_1, n_2$), checked exactly on random
small matrices (rational arithmetic):"""),
        ("code", """S1d, S2d = Diag("Sigma1", "d"), Diag("Sigma2", "d")
X1 = Gaussian("X1", "n1", "d", covariance=S1d)
X2 = Gaussian("X2", "n2", "d", covariance=S2d)
R = inverse(X1.T @ X1 * (eq.a1 / n1_dim) + X2.T @ X2 * (eq.a2 / n2_dim) + eq.lam * Identity("d"))
P = linearize(R)
print(P.layout())
display(Math(P.latex()))

exact = check(P, R, sizes={"n1": 3, "n2": 4, "d": 5}, rng=np.random.default_rng(1), exact=True)
print("block of the pencil's inverse minus the expression, exact rationals:", exact)"""),
        ("md", r"""The engine's fixed point (the normalized traces of $G$'s sample blocks are the unknowns),
rendered from the SymPy system, and solved by the toolkit's Newton solver; against the
hand-derived fixed point of THEORY-linear.md ($e_1, e_2$ of `equations.first_order_linear`):"""),
        ("code", """sysR = derive_system(R, {"tr_Sigma1_R": Output(weight=eq.S1)}, params=eq.mixture_weights("plain"))
for e in sysR.equations:
    display(Math(sp.latex(sp.Eq(e, 0))))
A2 = [{"weight": 0.5, "s1": 2, "s2": 1, "theta": 1, "delta": 0.5}, {"weight": 0.5, "s1": 0.5, "s2": 1.5, "theta": 0.5, "delta": 1}]
cfg = {"phi": 0.7, "p2": 0.3, "lam": 0.1, "sigma1": 0.5, "sigma2": 0.7, "atoms": A2}
spec = sc.parse(cfg)
c = compile_system(sysR)
with mp.workdps(45):
    sol = solve_point(c, parameter_values(spec), spec.atoms, dps=30)
engine = {str(x): v for x, v in zip(c.unknowns, sol.x)}
hand = sc.predict(cfg, dps=30)["unknowns"]
print("engine unknowns (plain mixing: g_nj = e_j):", {k: mp.nstr(v, 20) for k, v in engine.items()})
print("hand-derived e1, e2:                      ", mp.nstr(hand["e1"], 20), mp.nstr(hand["e2"], 20))"""),
        ("md", r"""## 2. The whole test error, and the existing models regenerated

`mixture_sources(model)` poses Bias, Var and ζ of the linear and the projections model as
derivatives of pencil blocks along a probe $t$ (e.g. $\lambda I + t\Sigma_1$); the engine derives
their systems, which agree with the hand-derived ones (and `sc.predict`) to 30 digits:"""),
        ("code", """def engine_predict(model, cfg, dps=30):
    src, outputs, probe = mixture_sources(model)
    system = derive_system(src, outputs, params=eq.mixture_weights(cfg.get("strategy", "plain")), probe=probe)
    spec = sc.parse(cfg); c = compile_system(system); params = parameter_values(spec)
    with mp.workdps(dps + 15):
        sol = solve_point(c, params, spec.atoms, dps=dps)
        outs = c.outputs_mp(sol.x, [to_mpf(params[s]) for s in c.params], atoms_mp(spec.atoms))
    return outs, len(system.unknowns)

worst = {}
for model, extra in (("linear", {}), ("random_projection", {"psi": 1.7})):
    outs, k = engine_predict(model, dict(cfg, model=model, **extra))
    ref = sc.predict(dict(cfg, model=model, **extra), dps=30)
    with mp.workdps(40):
        worst[model] = max(abs(outs[p] - ref[p]) / ref["test_error"] for p in ("test_error", "bias", "variance", "zeta"))
    print(f"{model:18s} {k} unknowns   E_test engine {mp.nstr(outs['test_error'], 25)}   predict {mp.nstr(ref['test_error'], 25)}"
          f"   worst part difference < 1e-30: {worst[model] < mp.mpf(10) ** -30}")"""),
        ("md", r"""## 3. A new model in one short file: random features on a mixture

`symcollapse/models/random_features.py` poses the model through the Gaussian equivalence of
the features, $\sigma(X_jS^\top) \approx \mu_{1,j}X_jS^\top + \mu_{*,j}Z_j$ (constants per group from
the activation and the pre-activation variance $\operatorname{tr}\Sigma_j$), and nothing else: the
pencil, the equations and the solve are the engine's.  Its `sources()`:"""),
        ("code", """print(inspect.getsource(RF.sources))
lines = len(inspect.getsource(RF).splitlines())
print(f"symcollapse/models/random_features.py: {lines} lines (docstring, config keys, pencil + outputs, solve through the toolkit)")
system_rf = RF.system()
print("unknowns:", [str(x) for x in system_rf.unknowns])
display(Math(sp.latex(sp.Eq(system_rf.equations[0], 0))))"""),
        ("md", r"""Checks of the derived model: against the independently encoded statement of
THEORY-random-features.md (30 digits), against the published Mei–Montanari (2019) formula on
clean isotropic data (`symcollapse.literature`), and against a Monte Carlo of the *actual*
nonlinear model (exact test expectation: the arc-cosine kernel for ReLU, a Mehler–Hermite
series for tanh)."""),
        ("code", """rf_cfgs = {
    "relu A2 psi=2 p2=.1": {"model": "random_features", "activation": "relu", "psi": 2, "phi": 0.5, "p2": 0.1, "lam": 0.1,
                            "sigma1": 0.5, "sigma2": 0.7, "atoms": A2},
    "tanh trS1!=trS2 psi=.5 p2=.5": {"model": "random_features", "activation": "tanh", "psi": 0.5, "phi": 1, "p2": 0.5, "lam": 0.1,
                                     "sigma1": 0.5, "sigma2": 0.7, "atoms": [{"weight": 1, "s1": 1.25, "s2": 0.5, "theta": 1, "delta": 1}]},
}
stmt_gap = {}
for name, c_ in rf_cfgs.items():
    a = sc.predict(c_, dps=30); b = rf_reference.predict_rf(c_, dps=30)
    with mp.workdps(40):
        stmt_gap[name] = max(abs(a[p] - b[p]) / b["test_error"] for p in ("test_error", "bias", "variance", "zeta"))
    print(f"{name:30s} engine {mp.nstr(a['test_error'], 22)}  statement {mp.nstr(b['test_error'], 22)}  "
          f"< 1e-30: {stmt_gap[name] < mp.mpf(10) ** -30}")
mm_cfg = literature.to_config(Fraction(3), Fraction(2), Fraction(1, 30), "relu", Fraction(1), Fraction(1, 2))
mmp = literature.from_config(mm_cfg)
k_mm = literature.activation_constants("relu", dps=40)
mm = literature.mei_montanari_test_error(mmp["psi1"], mmp["psi2"], mmp["lam"], k_mm["mu1"], k_mm["mustar"],
                                         mmp["F1sq"], mmp["tau2"], dps=30)
r_mm = sc.predict(mm_cfg, dps=30)
with mp.workdps(40):
    mm_gap = abs(mm["risk"] - r_mm["test_error"]) / r_mm["test_error"]
print(f"clean isotropic ReLU, psi1 = 3, psi2 = 2: Mei-Montanari {mp.nstr(mm['risk'], 22)}   engine {mp.nstr(r_mm['test_error'], 22)}"
      f"   < 1e-28: {mm_gap < mp.mpf(10) ** -28}")
mc_rf = {name: montecarlo_rf.simulate_rf(c_, 300, 4, seed=3)["conditional"]["test_error"] for name, c_ in rf_cfgs.items()}
for name, m in mc_rf.items():
    print(f"{name:30s} Monte Carlo (n = 300) {m['mean']:.5f} ± {m['se']:.5f}   theory {float(sc.predict(rf_cfgs[name], dps=15)['test_error']):.5f}")"""),
        ("md", r"""## 4. Does the nonlinearity change the model-size story?

Test error against $\psi = m/n$ at $\varphi = 1.5$, $\lambda = 10^{-3}$, isotropic, $c^2 = 1$,
for three synthetic fractions: ReLU random features (engine) beside the random projections
model (the same pencil with a linear activation)."""),
        ("code", """psis = np.geomspace(0.2, 8, 17)
iso1 = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]
base7 = {"phi": 1.5, "lam": 1e-3, "sigma1": 0.5, "sigma2": 0.5, "atoms": iso1}
curves7 = {}
for q in (0, 0.1, 0.5):
    curves7[("relu", q)] = [float(sc.predict(dict(base7, model="random_features", activation="relu", psi=float(x), p2=q), dps=15)["test_error"])
                            for x in psis]
    curves7[("linear", q)] = sc.curve(dict(base7, model="random_projection", psi=1.0, p2=q), psi=list(psis))["test_error"]
for q in (0, 0.1, 0.5):
    r = np.array(curves7[("relu", q)]); k = int(np.argmax(r))
    print(f"p2 = {q}: relu peak at psi = {psis[k]:.2f} (E = {r[k]:.3f});  E(psi = 8) = {r[-1]:.3f};  projections E(psi = 8) = {curves7[('linear', q)][-1]:.3f}")"""),
        ("code", """fig, ax = plt.subplots(figsize=(7.5, 4.4))
for q, col in zip((0, 0.1, 0.5), ("k", "tab:orange", "tab:red")):
    ax.loglog(psis, curves7[("relu", q)], "-", color=col, label=f"ReLU random features, p2 = {q}")
    ax.loglog(psis, curves7[("linear", q)], "--", color=col, lw=1, label=f"random projections, p2 = {q}")
ax.axvline(1, color="gray", ls=":", lw=1)
ax.set_xlabel("ψ = m/n"); ax.set_ylabel("test error on real data"); ax.grid(alpha=0.3); ax.legend(fontsize=7)
ax.set_title("φ = 1.5, λ = 1e-3: the peak at ψ = 1 and the mitigation beyond it")
fig.tight_layout(); plt.show()"""),
        ("md", "## Checks"),
        ("code", """assert exact == 0
assert abs(engine["g_n1"] - hand["e1"]) < mp.mpf(10) ** -30 and abs(engine["g_n2"] - hand["e2"]) < mp.mpf(10) ** -30
assert mm_gap < mp.mpf(10) ** -28
assert all(w < mp.mpf(10) ** -30 for w in worst.values())
assert all(w < mp.mpf(10) ** -30 for w in stmt_gap.values())
for name, m in mc_rf.items():
    th = float(sc.predict(rf_cfgs[name], dps=15)["test_error"])
    assert abs(m["mean"] - th) <= 3 * m["se"] + 0.03 * th
for q in (0.1, 0.5):
    r = np.array(curves7[("relu", q)])
    assert 0.5 < psis[int(np.argmax(r))] < 2 and r[-1] < r.max() and r[-1] > np.array(curves7[("relu", 0)])[-1]
print("all checks passed")"""),
    ]


def build(name):
    cells = NOTEBOOKS[name]()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src)
                for kind, src in cells]
    path = ROOT / "notebooks" / f"{name}.ipynb"
    t = time.time()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(nb, path)
    print(f"{path.relative_to(ROOT)}: executed in {time.time() - t:.1f} s")


if __name__ == "__main__":
    for name in sys.argv[1:] or list(NOTEBOOKS):
        build(name)
