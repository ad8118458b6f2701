"""An adaptive weight α(n) recovers the clean scaling law exactly when 1 − α_n decays faster
than n^(-1/2), but the best schedule is worth only a bounded number of real samples
(linear model, isotropic, ridgeless, d fixed)."""
import numpy as np

from symcollapse.studies import adaptive

from .common import Outcome, pyplot, save

CLAIM = ("Weighted mixing with α_n = 1 − κn^(−b) recovers the clean rate n^(−1) iff b > 1/2 "
         "(exponent min(2b, 1); a fixed α stays at the floor), with n_eff/n → p1; the best "
         "schedule (b = 1, κ* = dσ1²/(p1c²), which is the α* path) adds only dσ1²/c² real samples.")
KIND = "symbolic+numerics"
METHOD = ("SymPy: second-order perturbation series of the weighted system in (1 − α, φ), real-only "
          "inversion n_eff = d + dσ1²/E, limits for ε = κn^-b; numerics: E(n) by the solver for "
          "n = 10³…10⁸ (fast: …10⁶), local exponents and n_eff against the derived values")


def evaluate(fast=False, c2=1.0, p2=0.2, sigma=0.5, d=50):
    top = 6 if fast else 8
    ns = [int(round(10 ** k)) for k in np.arange(3, top + 0.01, 0.5)]
    res = adaptive.answer(d=d, p2=p2, sigma=sigma, c2=c2, ns=ns, alpha_star=not fast)
    rows = res["rows"]
    cond_ok = str(res["condition"]) == "1/2 < b"
    tol = 0.03 if fast else 0.01
    expo_ok = all(abs(r["local"] - r["derived"]) < tol for r in rows.values())
    p1 = 1 - p2
    ratio_ok = all(abs(rows[k]["ratio"] - p1) < 1e-3 for k in ("b=1", "b=2", "real_only"))
    g_star = res["gain_star"]
    gain_ok = (g_star.is_finite and "kappa*/n" in rows
               and abs(rows["kappa*/n"]["gain"] - float(g_star)) < 0.02 * float(g_star)
               and (fast or abs(rows["alpha*"]["gain"] - float(g_star)) < 0.02 * float(g_star)))
    ok = bool(cond_ok and expo_ok and ratio_ok and gain_ok)
    lines = [f"derived series E = {res['series']['series']}",
             f"derived condition on b: {res['condition']}; G* = dσ1²/c² = {g_star}"]
    lines += [f"{k}: local exponent {r['local']:.4f} (derived {r['derived']}), n_eff/n {r['ratio']:.6f}, "
              f"n_eff − n1 {r['gain']:.3f}" for k, r in rows.items()]
    key = (f"G = {rows['kappa*/n']['gain']:.3f} vs dσ1²/c² = {float(g_star):.3f}" if "kappa*/n" in rows
           else "no κ*: c² = 0")
    data = {"n": ns, "paths": {k: (r["path"]["test_error"].tolist(), r["local"]) for k, r in rows.items()}}
    return Outcome(ok, key, lines, data)


def figure(out, path):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ns = out.data["n"]
    for name, (E, loc) in out.data["paths"].items():
        ax.loglog(ns, E, "-", marker=".", label=f"{name} (slope {loc:.2f})")
    ax.set_xlabel("n (d fixed)")
    ax.set_ylabel("E_test")
    ax.set_title("α(n) = 1 − κn^-b: the clean rate iff b > 1/2")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    save(fig, path)
