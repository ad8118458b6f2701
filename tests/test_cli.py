"""The command line: contract outputs, one-line errors with exit 2/3, in-process and real."""
import io
import json
import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import A3, ISO, ROOT
from properties import examples
from symcollapse.cli import main


def run(argv, config=None, tmp_path=None):
    if config is not None:
        path = tmp_path / "cfg.json"
        path.write_text(config if isinstance(config, str) else json.dumps(config))
        argv = [a if a != "CFG" else str(path) for a in argv]
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def assert_refused(code, out, err, status=2, *words):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == status, (code, err)
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert out == ""
    assert "Traceback" not in err
    for w in words:
        assert w in lines[0], (w, lines[0])


def test_predict_prints_the_contract_keys(tmp_path):
    code, out, err = run(["predict", "CFG", "--dps", "40"], ISO, tmp_path)
    assert code == 0, err
    res = json.loads(out)
    assert {"test_error", "bias", "variance", "zeta", "dps", "residual"} <= set(res)
    assert res["dps"] == 40
    assert res["test_error"].startswith("0.1875000000")
    assert len(res["test_error"].replace("0.", "", 1)) == 40  # 40 significant digits
    for k in ("test_error", "bias", "variance", "zeta", "residual"):
        assert isinstance(res[k], str)
        float(res[k])


def test_simulate_prints_mean_se_and_sizes(tmp_path):
    code, out, err = run(["simulate", "CFG", "--n", "80", "--trials", "3", "--seed", "4"],
                         dict(ISO, lam=0.1), tmp_path)
    assert code == 0, err
    res = json.loads(out)
    assert {"mean", "se", "d", "n", "m"} <= set(res) and res["d"] == 20 and res["m"] is None
    # config keys n, trials, seed are used when no flags are given
    code, out2, _ = run(["simulate", "CFG"], dict(ISO, lam=0.1, n=80, trials=3, seed=4), tmp_path)
    assert json.loads(out2)["mean"] == res["mean"]


@pytest.mark.parametrize("argv,words", [
    (["predict"], ["CONFIG"]),
    (["predict", "CFG", "--dps", "0"], ["--dps"]),
    (["predict", "CFG", "--dps", "many"], ["--dps"]),
    (["simulate", "CFG", "--n", "1"], ["--n"]),
    (["simulate", "CFG", "--trials", "-3"], ["--trials"]),
    (["frobnicate"], ["frobnicate"]),
    ([], ["COMMAND"]),
    (["derive", "nonsense"], ["nonsense"]),
])
def test_bad_arguments(argv, words, tmp_path):
    assert_refused(*run(argv, ISO, tmp_path), 2, *words)


@pytest.mark.parametrize("cfg,words", [
    (dict(ISO, p2=1.5), ["p2", "0 <= p2 <= 1"]),
    (dict(ISO, lam=-0.1), ["lam"]),
    (dict(ISO, colour="blue"), ["colour"]),
    (dict(ISO, phi=True), ["phi", "number"]),
    (dict(ISO, atoms=[dict(ISO["atoms"][0], weight=0.5)]), ["weights"]),
    (dict(ISO, alpha=0.5), ["alpha"]),
    ("{phi: 0.5,", ["JSON"]),
    ('{"phi": NaN}', ["NaN"]),
    ("[]", ["object"]),
    ("", ["JSON"]),
    ('{"phi": 1e-999999999, "p2": 0, "lam": 0, "atoms": []}', ["phi"]),
])
def test_bad_configs_exit_2(cfg, words, tmp_path):
    assert_refused(*run(["predict", "CFG"], cfg, tmp_path), 2, *words)
    assert_refused(*run(["simulate", "CFG", "--n", "50", "--trials", "2"], cfg, tmp_path), 2, *words)


def test_missing_and_unreadable_files(tmp_path):
    assert_refused(*run(["predict", str(tmp_path / "nope.json")]), 2, "no such file")
    assert_refused(*run(["predict", str(tmp_path)]), 2, "directory")
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00")
    assert_refused(*run(["predict", str(binary)]), 2, "UTF-8")


def test_regime_errors_exit_3(tmp_path):
    assert_refused(*run(["predict", "CFG"], dict(ISO, phi=1), tmp_path), 3,
                   "interpolation threshold")
    mixed = dict(ISO, phi=0.8, p2=0.2, atoms=[
        {"weight": 0.5, "s1": 1, "s2": 1, "theta": 1, "delta": 1},
        {"weight": 0.5, "s1": 0, "s2": 1, "theta": 1, "delta": 1}])
    assert_refused(*run(["predict", "CFG"], mixed, tmp_path), 3, "lam > 0")


def test_derive_lists_and_checks(tmp_path):
    code, out, _ = run(["derive"])
    assert code == 0 and "linear" in out
    code, out, _ = run(["derive", "linear"])
    assert code == 0 and out.startswith("# The linear model")


numbers = st.one_of(st.integers(-10, 10), st.floats(allow_nan=True, allow_infinity=True),
                    st.booleans(), st.none(), st.text(max_size=5), st.lists(st.integers(), max_size=2))
keys = st.sampled_from(["phi", "p2", "lam", "sigma1", "sigma2", "alpha", "psi", "generations",
                        "n", "trials", "seed", "model", "strategy", "activation", "colour"])


@settings(max_examples=examples(300, 2), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=keys, value=numbers)
def test_property_any_single_bad_value_is_one_line_or_success(tmp_path, key, value):
    cfg = dict(ISO, lam=0.1)
    cfg[key] = value
    code, out, err = run(["predict", "CFG", "--dps", "15"], cfg, tmp_path)
    if code == 0:
        assert json.loads(out)["test_error"]
        assert err == ""
    else:
        assert code in (2, 3)
        assert_refused(code, out, err, code)


atom_values = st.one_of(st.floats(min_value=-1, max_value=5), st.just(float("nan")), st.integers(-2, 3),
                        st.none(), st.text(max_size=2))


@settings(max_examples=examples(200, 2), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(atoms=st.lists(st.dictionaries(st.sampled_from(["weight", "s1", "s2", "theta", "delta", "x"]),
                                      atom_values, max_size=6), max_size=3))
def test_property_hostile_atoms(tmp_path, atoms):
    code, out, err = run(["predict", "CFG", "--dps", "15"], dict(ISO, lam=0.1, atoms=atoms), tmp_path)
    if code == 0:
        assert float(json.loads(out)["test_error"]) >= 0
    else:
        assert_refused(code, out, err, code)


def _real(*args, config=None, tmp_path=None):
    argv = list(args)
    if config is not None:
        p = tmp_path / "c.json"
        p.write_text(json.dumps(config))
        argv = [a if a != "CFG" else str(p) for a in argv]
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "symcollapse", *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_real_entry_point_predict(tmp_path):
    r = _real("predict", "CFG", "--dps", "25", config={"phi": 0.7, "p2": 0.5, "lam": 0.01,
                                                       "atoms": A3}, tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    assert float(json.loads(r.stdout)["test_error"]) > 0
    assert r.stderr == ""  # no progress bar when stderr is not a terminal


def test_real_entry_point_errors(tmp_path):
    r = _real("predict", "CFG", config=dict(ISO, p2=2), tmp_path=tmp_path)
    assert r.returncode == 2 and r.stdout == "" and r.stderr.count("\n") == 1
    assert r.stderr.startswith("error: p2")
    r = _real("simulate", str(tmp_path / "missing.json"))
    assert r.returncode == 2 and r.stderr.startswith("error:")


def test_import_is_light():
    code = "import sys, symcollapse; print('sympy' in sys.modules, 'numpy' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT),
                       capture_output=True, text=True)
    assert r.stdout.split() == ["False", "False"]
