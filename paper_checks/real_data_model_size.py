"""On real data (digits), for ridge on random ReLU features of width m at fixed n, the
collapse gap E(mix) − E(clean) grows with m up to the interpolation threshold m = n and
shrinks beyond it without vanishing, for a low-quality generator."""
import numpy as np

from symcollapse.studies import experiments as ex

from .common import Outcome, pyplot, save

CLAIM = ("Real data, random ReLU features: the extra error from low-quality synthetic "
         "labels grows with the width m up to m = n and shrinks beyond, staying > 0.")
KIND = "real data"
METHOD = "ridge (λ = 1e-4) on ReLU features, n = 40, p2 = 0.5, 16 seeds; projections theory beside"


def evaluate(fast=False, quality="low"):
    ms = (5, 20, 36, 44, 100, 400) if fast else (5, 10, 20, 30, 36, 44, 60, 100, 200, 400)
    res = ex.model_size_curve(ms=ms, seeds=8 if fast else 16)
    summ = ex.summarize_model_size(res)
    low = summ[quality]
    ok = bool(low["gap_below"] > 0 and low["gap_above"] < 0 and low["gap_at_largest_m"] > 0)
    lines = []
    for q, v in summ.items():
        lines.append(f"{q} quality (c² = {v['c2']:.4f}): gap change below m = n {v['gap_below']:+.4f}, "
                     f"beyond {v['gap_above']:+.4f}, gap at m = {ms[-1]}: {v['gap_at_largest_m']:+.4f}, "
                     f"largest gap at m = {v['gap_max_m']}, error peak at m = {v['peak_m']}")
    return Outcome(ok, f"{quality} quality: gap {low['gap_below']:+.3f} below, {low['gap_above']:+.3f} beyond",
                   lines, {"res": res})


def figure(out, path):
    plt = pyplot()
    res = out.data["res"]
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for i, (label, rows) in enumerate(res["curves"].items()):
        m = np.array([r["m"] for r in rows])
        col = "k" if label == "clean" else f"C{i}"
        name = "p2 = 0" if label == "clean" else f"{label} quality, c² = {res['c2'][label]:.3f}"
        ax.errorbar(m, [r["mean"] for r in rows], yerr=[2 * r["se"] for r in rows], fmt="o-",
                    color=col, capsize=3, label=name, ms=4)
        ax.plot(m, [r["theory"] for r in rows], ":", color=col, lw=1)
    ax.axvline(res["n"], color="gray", lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("width m (n = %d: the threshold)" % res["n"])
    ax.set_ylabel("excess test error (held-out real labels)")
    ax.set_title("digits, ReLU random features (dots: projections theory)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    save(fig, path)
