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
# # 7. From a model to its equations, automatically: the linear-pencil engine
#
# Operator-valued free probability is mechanical.  Write the quantity of interest as a block of the
# inverse of a *linear pencil* $L = L_0 + \sum(\text{Gaussian blocks})$; the deterministic
# equivalent of $L^{-1}$ solves the Dyson equation $G = (L_0 - \eta(G))^{-1}$ of an
# operator-valued semicircular element, with $\eta$ the covariance map of the Gaussian blocks;
# its block-wise normalized traces are the unknowns of a fixed point.  `symcollapse.pencil.linearization`
# builds the pencil from a rational expression (and checks it exactly), `symcollapse.pencil.operator_valued`
# turns pencil + covariances into the same *System* that every other model of the toolkit is
# solved from (no new solver), second-order quantities by differentiating along a probe.

# %%
import sys, pathlib
sys.path.insert(0, str(pathlib.Path.cwd().parent))  # run from a plain checkout too
# %matplotlib inline
import numpy as np, mpmath as mp, sympy as sp
import matplotlib.pyplot as plt
from IPython.display import Math, display
import symcollapse as sc
from symcollapse.core import equations as eq
import inspect
from fractions import Fraction
from symcollapse.pencil.expr import Gaussian, Diag, Identity, inverse
from symcollapse.pencil.linearization import linearize, check
from symcollapse.pencil.operator_valued import derive_system, Output, mixture_sources, n1_dim, n2_dim
from symcollapse.core.compiled import compile_system, to_mpf, atoms_mp
from symcollapse.core.regimes import model_family, parameter_values
from symcollapse.core.solve import solve_point
from symcollapse.pencil import random_features as RF
sys.path.insert(0, str(pathlib.Path.cwd().parent / "tests"))  # the hand-typed statement, a test oracle
from oracles import rf_statement as rf_reference
from symcollapse.simulation import random_features as montecarlo_rf
from symcollapse.analysis import literature

# %% [markdown]
# ## 1. Pose a model: the resolvent of ridge regression on a two-group mixture
#
# $R = (a_1X_1^\top X_1/n_1 + a_2X_2^\top X_2/n_2 + \lambda I)^{-1}$, rows of $X_j$ drawn from
# $N(0, \Sigma_j)$.  Its pencil (symmetric, three blocks $d, n_1, n_2$), checked exactly on random
# small matrices (rational arithmetic):

# %%
S1d, S2d = Diag("Sigma1", "d"), Diag("Sigma2", "d")
X1 = Gaussian("X1", "n1", "d", covariance=S1d)
X2 = Gaussian("X2", "n2", "d", covariance=S2d)
R = inverse(X1.T @ X1 * (eq.a1 / n1_dim) + X2.T @ X2 * (eq.a2 / n2_dim) + eq.lam * Identity("d"))
P = linearize(R)
print(P.layout())
display(Math(P.latex()))

exact = check(P, R, sizes={"n1": 3, "n2": 4, "d": 5}, rng=np.random.default_rng(1), exact=True)
print("block of the pencil's inverse minus the expression, exact rationals:", exact)

# %% [markdown]
# The engine's fixed point (the normalized traces of $G$'s sample blocks are the unknowns),
# rendered from the SymPy system, and solved by the toolkit's Newton solver; against the
# unknowns $e_1, e_2$ that `sc.predict` solves (the model's whole system, which this engine derives
# from the model's expressions and reduces, section 2):

# %%
sysR = derive_system(R, {"tr_Sigma1_R": Output(weight=eq.S1)}, params=eq.mixture_weights("plain"))
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
print("sc.predict's e1, e2:                      ", mp.nstr(hand["e1"], 20), mp.nstr(hand["e2"], 20))


# %% [markdown]
# ## 2. The whole test error, and the existing models regenerated
#
# `mixture_sources(model)` poses Bias, Var and ζ of the linear and the projections model as
# derivatives of pencil blocks along a probe $t$ (e.g. $\lambda I + t\Sigma_1$).  Derived pencil by
# pencil, the resolvent $R$ and the label-shift term $a_2^2\hat\Sigma_2R\hat\Sigma_2$ each get their own
# fixed point.  `sc.predict` solves the same derivation reduced (`symcollapse.pencil.reduction`):
# the label-shift pencil's unknowns that are proportional copies of $R$'s are merged, and the blocks
# it gives explicitly are eliminated — each step proved symbolically.  Both agree to 30 digits:

# %%
def engine_predict(model, cfg, dps=30):
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
    reduced = len(model_family(model, "plain", ()).unknowns)
    print(f"{model:18s} {k} unknowns (reduced: {reduced})   E_test engine {mp.nstr(outs['test_error'], 25)}   predict {mp.nstr(ref['test_error'], 25)}"
          f"   worst part difference < 1e-30: {worst[model] < mp.mpf(10) ** -30}")

# %% [markdown]
# ## 3. A new model: random features on a mixture
#
# `symcollapse/pencil/random_features.py` poses the model through the Gaussian equivalence of
# the features, $\sigma(X_jS^\top) \approx \mu_{1,j}X_jS^\top + \mu_{*,j}Z_j$ (constants per group from
# the activation and the pre-activation variance $\operatorname{tr}\Sigma_j$), and nothing else: the
# pencil, the equations and the solve are the engine's.  The model's declaration
# (`symcollapse/models/random_features.py`: config keys, what it answers or refuses and why,
# hooks to this theory and to its simulation) makes it a model of the toolkit.  Its `sources()`:

# %%
print(inspect.getsource(RF.sources))
from symcollapse.models import random_features as RF_model
theory_lines, model_lines = len(inspect.getsource(RF).splitlines()), len(inspect.getsource(RF_model).splitlines())
print(f"the theory module (pencil + outputs, constants, regime) under 200 lines: {theory_lines < 200}; "
      f"the model's declaration under 60 lines: {model_lines < 60}")
system_rf = RF.system()
print("unknowns:", [str(x) for x in system_rf.unknowns])
display(Math(sp.latex(sp.Eq(system_rf.equations[0], 0))))

# %% [markdown]
# Checks of the derived model: against the independently encoded statement of
# docs/theory/random-features.md (30 digits), against the published Mei–Montanari (2019) formula on
# clean isotropic data (`symcollapse.analysis.literature`), and against a Monte Carlo of the *actual*
# nonlinear model (exact test expectation: the arc-cosine kernel for ReLU, a Mehler–Hermite
# series for tanh).

# %%
rf_cfgs = {
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
          f"< 1e-29: {stmt_gap[name] < mp.mpf(10) ** -29}")
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
    print(f"{name:30s} Monte Carlo (n = 300) {m['mean']:.5f} ± {m['se']:.5f}   theory {float(sc.predict(rf_cfgs[name], dps=15)['test_error']):.5f}")

# %% [markdown]
# ## 4. Does the nonlinearity change the model-size story?
#
# Test error against $\psi = m/n$ at $\varphi = 1.5$, $\lambda = 10^{-3}$, isotropic, $c^2 = 1$,
# for three synthetic fractions: ReLU random features (engine) beside the random projections
# model (the same pencil with a linear activation).

# %%
psis = np.geomspace(0.2, 8, 17)
iso1 = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]
base7 = {"phi": 1.5, "lam": 1e-3, "sigma1": 0.5, "sigma2": 0.5, "atoms": iso1}
curves7 = {}
for q in (0, 0.1, 0.5):
    curves7[("relu", q)] = [float(sc.predict(dict(base7, model="random_features", activation="relu", psi=float(x), p2=q), dps=15)["test_error"])
                            for x in psis]
    curves7[("linear", q)] = sc.curve(dict(base7, model="random_projection", psi=1.0, p2=q), psi=list(psis))["test_error"]
for q in (0, 0.1, 0.5):
    r = np.array(curves7[("relu", q)]); k = int(np.argmax(r))
    print(f"p2 = {q}: relu peak at psi = {psis[k]:.2f} (E = {r[k]:.3f});  E(psi = 8) = {r[-1]:.3f};  projections E(psi = 8) = {curves7[('linear', q)][-1]:.3f}")

# %%
fig, ax = plt.subplots(figsize=(7.5, 4.4))
for q, col in zip((0, 0.1, 0.5), ("k", "tab:orange", "tab:red")):
    ax.loglog(psis, curves7[("relu", q)], "-", color=col, label=f"ReLU random features, p2 = {q}")
    ax.loglog(psis, curves7[("linear", q)], "--", color=col, lw=1, label=f"random projections, p2 = {q}")
ax.axvline(1, color="gray", ls=":", lw=1)
ax.set_xlabel("ψ = m/n"); ax.set_ylabel("test error on real data"); ax.grid(alpha=0.3); ax.legend(fontsize=7)
ax.set_title("φ = 1.5, λ = 1e-3: the peak at ψ = 1 and the mitigation beyond it")
fig.tight_layout(); plt.show()

# %% [markdown]
# ## Checks

# %%
assert exact == 0
assert abs(engine["g_n1"] - hand["e1"]) < mp.mpf(10) ** -30 and abs(engine["g_n2"] - hand["e2"]) < mp.mpf(10) ** -30
assert mm_gap < mp.mpf(10) ** -28
assert all(w < mp.mpf(10) ** -30 for w in worst.values())
assert all(w < mp.mpf(10) ** -29 for w in stmt_gap.values())   # two 30-digit roundings
for name, m in mc_rf.items():
    th = float(sc.predict(rf_cfgs[name], dps=15)["test_error"])
    assert abs(m["mean"] - th) <= 3 * m["se"] + 0.03 * th
for q in (0.1, 0.5):
    r = np.array(curves7[("relu", q)])
    assert 0.5 < psis[int(np.argmax(r))] < 2 and r[-1] < r.max() and r[-1] > np.array(curves7[("relu", 0)])[-1]
print("all checks passed")
