"""Which kind of synthetic data hurts most at equal quality c² = Tr Δ: a label shift on the
top eigendirections of Σ1 (floor p2²·s_max per unit c²), the tail least (p2²·s_min); label
noise and a covariate shift alone leave no floor."""
from fractions import Fraction

import mpmath as mp

import symcollapse as sc
from symcollapse.studies import kinds as K

from .common import pyplot, save

CLAIM = ("At equal c² = Tr Δ a label shift on the top eigendirections of Σ1 hurts most (floor "
         "p2²·s_max per unit c²), Δ ∝ I costs p2²·tr Σ, the tail least; label noise and covariate "
         "shift alone leave no floor.")
KIND = "numerics"
METHOD = ("closed form of the n → ∞ floor (SymPy, large-n system) against predict at φ = 10⁻¹² "
          "(30 digits) for each kind; ranking by that floor")

ORDER = ["top", "even (theta)", "even (identity)", "tail"]


def evaluate(fast=False, predict=None, p2=Fraction(1, 5), covariates=None, c2=1):
    """``covariates`` = "reverse" or "flat" puts a covariate shift under every kind (an
    input that breaks the claim's premise Σ2 = Σ1)."""
    predict = predict or sc.predict
    base = dict(K.BASE_CONFIG, p2=p2)
    atoms = K.STAIRCASE
    gens = [K.top_shift(atoms, c2), K.even_shift(atoms, c2, "theta"), K.even_shift(atoms, c2),
            K.tail_shift(atoms, c2), K.label_noise(atoms, c2, base["sigma1"]), K.covariate_shift(atoms)]
    if covariates is not None:
        gens = [K.combine(g, covariates=covariates) if g.c2 else g for g in gens]
    phis = [Fraction(1, 10 ** k) for k in ((1, 12) if fast else (1, 2, 3, 4, 6, 12))]
    rows, ok_closed = [], True
    p2m = K.exact_mpf(p2)
    s = [K.exact_mpf(a["s1"]) for a in atoms]
    for g in gens:
        cfg = g.config(base)
        curve = [predict(dict(cfg, phi=phi), dps=30) for phi in phis]
        with mp.workdps(30):
            c2m = K.exact_mpf(g.c2) if g.c2 else mp.mpf(1)
            per_unit = curve[-1]["zeta"] / c2m
            closed = K.hurt_per_unit_c2(cfg, dps=30)
            ok_closed &= abs(per_unit - closed) <= mp.mpf(10) ** -9 * max(closed, mp.mpf(10) ** -20)
        rows.append({"name": g.name, "per_unit": per_unit, "closed": closed, "floor": curve[-1]["test_error"],
                     "curve": [float(r["test_error"]) for r in curve], "zeta": [float(r["zeta"]) for r in curve]})
    order = [r["name"] for r in sorted(rows[:4], key=lambda r: -r["per_unit"])]
    base_names = [r["name"].split(" + ")[0] for r in rows[:4]]
    with mp.workdps(30):
        top_is_smax = abs(rows[0]["per_unit"] - p2m ** 2 * max(s)) < mp.mpf(10) ** -9
    none_floor = all(r["floor"] < 1e-10 and max(r["zeta"]) == 0 for r in rows[4:])
    derived_order = [n.split(" + ")[0] for n in order] == ORDER and base_names == ORDER
    positive = all(r["per_unit"] > 0 for r in rows[:4])
    ok = bool(ok_closed and derived_order and top_is_smax and none_floor and positive)
    lines = [f"{r['name']}: floor ζ/c² = {mp.nstr(r['per_unit'], 8)} (closed form {mp.nstr(r['closed'], 8)})"
             for r in rows]
    lines.append(f"order by floor per unit c²: {', '.join(order)} (claim: {', '.join(ORDER)})")
    return sc_outcome(ok, f"top {mp.nstr(rows[0]['per_unit'], 5)} vs tail {mp.nstr(rows[3]['per_unit'], 5)} "
                          "per unit c²", lines,
                      {"names": [r["name"] for r in rows], "per_unit": [float(r["per_unit"]) for r in rows],
                       "closed": [float(r["closed"]) for r in rows], "phis": [float(p) for p in phis],
                       "curves": [r["curve"] for r in rows]})


def sc_outcome(ok, key, lines, data):
    from .common import Outcome
    return Outcome(ok, key, lines, data)


def figure(out, path):
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    names = out.data["names"]
    x = range(len(names))
    ax1.bar(x, out.data["per_unit"], color="C0", label="predict, φ = 10⁻¹²")
    ax1.plot(x, out.data["closed"], "k_", ms=20, mew=2, label="closed form")
    ax1.set_xticks(list(x))
    ax1.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
    ax1.set_ylabel("floor of ζ per unit c²")
    ax1.legend(fontsize=8)
    n = [1 / p for p in out.data["phis"]]
    for name, c in zip(names, out.data["curves"]):
        ax2.loglog(n, [max(v, 1e-16) for v in c], "o-", ms=3, label=name)
    ax2.set_xlabel("n / d = 1/φ")
    ax2.set_ylabel("E_test")
    ax2.set_title("at equal c², the top shift keeps the highest floor", fontsize=9)
    ax2.legend(fontsize=7)
    ax2.grid(alpha=0.3)
    save(fig, path)
