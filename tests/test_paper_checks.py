"""Issue 6: every claim check passes on the paper's inputs and fails on a broken one;
`symcollapse check` prints the table, writes the report with every figure, exits 0/1."""
import importlib
import io
import subprocess
import sys
from pathlib import Path

import mpmath as mp
import pytest
import sympy as sp

import symcollapse as sc
from paper_checks import CLAIMS, runner
from symcollapse.cli import main


def _flip_zeta(factor):
    def predict(cfg, dps=30):
        r = sc.predict(cfg, dps=dps)
        r = dict(r)
        if isinstance(r["zeta"], list):
            r["zeta"] = [factor * z for z in r["zeta"]]
            r["test_error"] = [t + (factor - 1) * z for t, z in zip(r["test_error"], r["zeta"])]
        else:
            r["test_error"] = r["test_error"] + (factor - 1) * r["zeta"]
            r["zeta"] = factor * r["zeta"]
        return r
    return predict


phi, p2, sigma, c2 = sp.symbols("phi p2 sigma c2", positive=True)
WRONG_CLOSED_FORM = sigma ** 2 * phi / (1 - phi) + c2 * (p2 + (1 - p2) * p2 * phi / (1 - phi))

BROKEN = {
    "strong_collapse": {"p2s": (0,)},
    "zeta_culprit": {"predict": _flip_zeta(-1)},
    "isotropic_closed_form": {"formula": WRONG_CLOSED_FORM},
    "amplification": {"low": 0.05},
    "interpolation_peak": {"phi": 0.5},
    "mitigation": {"p2": 0},
    "weighted_mixing": {"c2": 0},
    "iterative_mixing": {"phi": 0.9, "p2": 0.2},
    "theory_vs_monte_carlo": {"predict": _flip_zeta(2)},
    "scaling_plateau": {"p2s": (0,)},
    # a high-quality generator (c² ≈ 0.016) labels more cleanly than the noisy real labels
    "real_data_plateau": {"quality": "high"},
    "real_data_model_size": {"quality": "high"},
    # the p1·p2 term of ζ dropped: a* would be half the clean rate
    "vanishing_share": {"cross_term": False},
    # synthetic covariates reversed: the tail becomes the costly direction
    "kinds_of_synthetic_data": {"covariates": "reverse"},
    "adaptive_mixing": {"c2": 0.0},
    "training_gap": {"c2": 0.0},
    # without label noise there is nothing to accumulate: replace no longer grows
    "self_consuming_loops": {"sigma": 0.0},
    # without synthetic data there is no ζ: nothing collapses, nothing peaks in ζ
    "depth": {"p2s": (0.0,)},
}


#: Each claim's outcome on its fast inputs, as the test below computed it.  The check
#: command's test reuses it: that test is about the command (its table, report, figures and
#: exit status), the claims themselves are tested here, so each is evaluated once per run.
FAST_OUTCOMES = {}


@pytest.mark.parametrize("name", CLAIMS)
def test_claim_passes_and_a_broken_input_flips_it(name, tmp_path):
    mod, out, _sec = runner.run_claim(name, True, tmp_path / f"{name}.png")
    FAST_OUTCOMES[name] = out
    assert out.passed, (name, out.details)
    assert (tmp_path / f"{name}.png").stat().st_size > 5000
    assert mod.CLAIM and mod.METHOD and mod.KIND
    broken = mod.evaluate(fast=True, **BROKEN[name])
    assert not broken.passed, (name, broken.details)


def test_check_command_writes_the_report_and_every_figure(tmp_path, monkeypatch):
    for name, outcome in FAST_OUTCOMES.items():       # claims evaluated above (same worker)
        mod = importlib.import_module(f"paper_checks.{name}")
        monkeypatch.setattr(mod, "evaluate", lambda fast=False, _out=outcome, _real=mod.evaluate:
                            _out if fast else _real(fast=fast))
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "rep"
    code = main(["check", "--fast", "--out", str(target)], stdout=out, stderr=err)
    assert code == 0, out.getvalue() + err.getvalue()
    table = out.getvalue()
    for name in CLAIMS:
        assert name in table
        assert (target / f"{name}.png").exists()
    assert table.count("PASS") == len(CLAIMS) and "FAIL" not in table
    report = (target / "report.md").read_text()
    for name in CLAIMS:
        assert f"![{name}]({name}.png)" in report
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".rep")]  # no temporaries left


def test_a_failing_claim_gives_exit_1_and_still_a_full_report(tmp_path, monkeypatch):
    import paper_checks.scaling_plateau as mod
    real = mod.evaluate
    monkeypatch.setattr(mod, "evaluate", lambda fast=False: real(fast=fast, p2s=(0,)))
    out = io.StringIO()
    code = runner.run_all(tmp_path / "r", fast=True, stdout=out, stderr=io.StringIO(),
                          names=["scaling_plateau", "zeta_culprit"])
    assert code == 1
    assert "FAIL" in out.getvalue() and "PASS" in out.getvalue()
    assert (tmp_path / "r" / "report.md").exists()


def test_check_refuses_an_out_path_that_is_a_file(tmp_path):
    f = tmp_path / "afile"
    f.write_text("x")
    out, err = io.StringIO(), io.StringIO()
    assert main(["check", "--fast", "--out", str(f)], stdout=out, stderr=err) == 2
    assert err.getvalue().startswith("error:") and out.getvalue() == ""
    assert f.read_text() == "x"


@pytest.mark.slow
def test_check_real_entry_point(tmp_path):
    """The installed-style entry point on two claims (every claim runs in-process above)."""
    root = Path(__file__).resolve().parent.parent
    res = subprocess.run([sys.executable, "-m", "symcollapse", "check", "--fast", "--only",
                          "strong_collapse,training_gap", "--out", str(tmp_path / "rep")],
                         capture_output=True, text=True, cwd=root,
                         env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.count("PASS") == 2
    assert sorted(p.name for p in (tmp_path / "rep").glob("*.png")) == [
        "strong_collapse.png", "training_gap.png"]


def test_check_only_refuses_an_unknown_claim(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    assert main(["check", "--only", "strong_collapse,nope", "--out", str(tmp_path / "r")],
                stdout=out, stderr=err) == 2
    assert err.getvalue().startswith("error: --only") and "nope" in err.getvalue()
    assert out.getvalue() == "" and not (tmp_path / "r").exists()
