"""Certified enclosures (Krawczyk in ball arithmetic): they contain the 100-digit value,
prove at least 25 digits at dps 30, fail loudly when the proof fails, and every hard
regime returns a certified result or a clear error naming the regime."""
import io
import json
import random
from fractions import Fraction

import mpmath as mp
import pytest

import symcollapse as sc
from symcollapse.core import certify as cert
from symcollapse.cli import main
from symcollapse.core.compiled import compile_system
from symcollapse.core.regimes import parameter_values, select
from symcollapse.core.spec import parse

import hard_regimes

PARTS = ("test_error", "bias", "variance", "zeta")


def _random_config(rng, model):
    k = rng.choice([1, 2, 3])
    w = [rng.randint(1, 5) for _ in range(k)]
    atoms = [{"weight": Fraction(wi, sum(w)), "s1": Fraction(rng.randint(1, 40), 10),
              "s2": Fraction(rng.randint(1, 40), 10), "theta": Fraction(rng.randint(0, 30), 10),
              "delta": Fraction(rng.randint(0, 30), 10)} for wi in w]
    cfg = {"phi": Fraction(rng.randint(1, 40), 10), "p2": Fraction(rng.randint(0, 10), 10),
           "lam": rng.choice([Fraction(1, 1000), Fraction(1, 100), Fraction(1, 10), Fraction(1)]),
           "sigma1": Fraction(rng.randint(0, 10), 10), "sigma2": Fraction(rng.randint(0, 10), 10),
           "atoms": atoms}
    if model == "random_projection":
        cfg.update(model=model, psi=Fraction(rng.randint(1, 40), 10))
    return cfg


CONFIGS = [("linear", i) for i in range(30)] + [("random_projection", i) for i in range(30)]


@pytest.mark.parametrize("model,seed", CONFIGS, ids=[f"{m}-{s}" for m, s in CONFIGS])
def test_intervals_contain_the_100_digit_value(model, seed):
    cfg = _random_config(random.Random(1000 * seed + len(model)), model)
    r = sc.predict(cfg, dps=30, certify=True)
    exact = sc.predict(cfg, dps=100)
    c = r["certified"]
    for k in PARTS:
        assert c[k]["lower"] <= exact[k] <= c[k]["upper"], (k, cfg)
        assert c[k]["digits"] >= 25, (k, c[k])
    assert c["proof"].startswith("Krawczyk")


def test_certified_digits_grow_with_precision():
    cfg = _random_config(random.Random(5), "random_projection")
    for dps in (15, 50, 120):
        c = sc.predict(cfg, dps=dps, certify=True)["certified"]
        assert min(c[k]["digits"] for k in PARTS) >= dps - 3


def test_a_poor_solution_gets_few_digits_and_a_wrong_one_none():
    """The box adapts to the Newton correction: a solution off by 1e-6 is still proved
    (the true fixed point is within the box) but with few digits; far from any fixed
    point the test fails and says so."""
    cfg = _random_config(random.Random(7), "linear")
    spec = parse(cfg)
    regime = select(spec)
    c = compile_system(regime.system)
    exact = sc.predict(cfg, dps=60)
    with mp.workdps(45):
        r = sc.predict(cfg, dps=30)
        near = [r["unknowns"][str(u)] * (1 + mp.mpf(10) ** -6) for u in c.unknowns]
        balls, _radius = cert.enclose(c, near, parameter_values(spec), regime.atoms, 30)
        parts = cert.certified_parts(balls, 30)
        for k in PARTS:
            assert parts[k]["lower"] <= exact[k] <= parts[k]["upper"]
            assert parts[k]["digits"] <= 12  # vs >= 25 from the Newton solution
        far = [-3 * r["unknowns"][str(u)] - 1 for u in c.unknowns]
        with pytest.raises(cert.CertificationError, match="certificate failed"):
            cert.enclose(c, far, parameter_values(spec), regime.atoms, 30)


def test_outward_decimal_rounding():
    lo, hi = cert.decimal_bounds(Fraction(1, 3), Fraction(2, 3), 5)
    assert (lo, hi) == ("0.33333", "0.66667")
    lo, hi = cert.decimal_bounds(Fraction(-2, 3), Fraction(-1, 3), 3)
    assert (lo, hi) == ("-0.667", "-0.333")
    assert Fraction(lo) <= Fraction(-2, 3) and Fraction(hi) >= Fraction(-1, 3)


def test_cli_certify(tmp_path):
    cfg = hard_regimes.rp(psi=0.9)
    path = tmp_path / "c.json"
    path.write_text(json.dumps(cfg))
    out, err = io.StringIO(), io.StringIO()
    assert main(["predict", str(path), "--dps", "40", "--certify"], stdout=out, stderr=err) == 0
    doc = json.loads(out.getvalue())
    for k in PARTS:
        iv = doc["certified"][k]
        assert Fraction(iv["lower"]) <= Fraction(doc[k]) <= Fraction(iv["upper"])
        assert iv["digits"] >= 35
    out, err = io.StringIO(), io.StringIO()
    path.write_text(json.dumps(dict(cfg, strategy="iterative", generations=3)))
    assert main(["predict", str(path), "--certify"], stdout=out, stderr=err) == 3
    assert err.getvalue().startswith("error: certify: not available") and out.getvalue() == ""


@pytest.mark.parametrize("name,cfg,dps", hard_regimes.cases(),
                         ids=[c[0] for c in hard_regimes.cases()])
def test_hard_regime(name, cfg, dps):
    try:
        r = sc.predict(cfg, dps=dps, certify=True)
    except sc.SymcollapseError as exc:
        # the only refusals: the interpolation threshold, named as such
        assert exc.exit_code == 3 and str(exc).startswith("interpolation threshold"), str(exc)
        assert name.startswith(("φ = 1, λ = 0", "ψ = 1, φ = 2, λ = 0")), name
        return
    c = r["certified"]
    for k in PARTS:
        with mp.workdps(dps + 30):
            slack = abs(r[k]) * mp.mpf(10) ** (1 - dps)  # r[k] is rounded to dps digits
            assert mp.isfinite(r[k])
            assert c[k]["lower"] - slack <= r[k] <= c[k]["upper"] + slack, (k, c[k], r[k])
        assert c[k]["digits"] >= min(25, dps - 5), (k, c[k])


def test_a_working_precision_constant_is_enclosed_at_the_working_precision():
    """Random features' Gaussian-equivalence constants reach the ball arithmetic as
    objects evaluated where they are used: enclosed exactly as their mpf at that precision."""
    from symcollapse.core.certify import to_arb
    from symcollapse.pencil.gaussian_equivalence import AtWorkingPrecision
    from flint import ctx
    c = AtWorkingPrecision(lambda: mp.sqrt(2))
    old, ctx.prec = ctx.prec, 400             # the balls' working precision, as certify sets it
    try:
        with mp.workdps(50):
            b = to_arb(c)
            assert b.rad() == 0 and b.mid() == to_arb(mp.sqrt(2)).mid()
            assert abs(float(b.mid()) - 2 ** 0.5) < 1e-15
    finally:
        ctx.prec = old
    with pytest.raises(TypeError, match="cannot enclose"):
        to_arb(object())
