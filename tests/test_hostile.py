"""Hostile input, property-based (hypothesis), across the command line (in-process
``main(argv)``) and the Python API: malformed JSON, wrong types, NaN/inf, huge arrays,
unknown keys, empty atoms, negative weights.  Every one is either answered with finite
numbers or refused with exactly one ``error:`` line (exit 2 for bad input, 3 for a regime
without a finite answer), never a traceback, never a non-finite number, and no output
file is created or half-written.

The example counts add up to more than 10,000 per run (see ``EXAMPLES``)."""
import io
import json
import math
import os

import mpmath as mp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symcollapse as sc
from symcollapse.cli import main
from symcollapse.core.errors import ConfigError, SymcollapseError

from properties import examples  # noqa: E402

EXAMPLES = {"json_text": 3500, "cli_config": 1500, "api_config": 3000, "api_curve": 800,
            "sweep_grid": 800, "spec_numbers": 1500}
def examples_of(name):
    return examples(EXAMPLES[name], len(EXAMPLES))


FAST = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                   HealthCheck.function_scoped_fixture])
PARTS = ("test_error", "bias", "variance", "zeta")
KEYS = ["model", "activation", "strategy", "phi", "psi", "p2", "lam", "sigma1", "sigma2",
        "alpha", "generations", "atoms", "n", "trials", "seed"]
ATOM_KEYS = ["weight", "s1", "s2", "theta", "delta"]

hostile_scalar = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-2, max_value=5),
    st.integers(-3, 10), st.integers(min_value=-10 ** 400, max_value=10 ** 400),
    st.booleans(), st.none(), st.text(max_size=4),
    st.lists(st.integers(0, 3), max_size=2), st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
    st.sampled_from(["linear", "random_projection", "random_features", "plain", "weighted",
                     "iterative", "relu", "tanh"]))
good_number = st.one_of(st.sampled_from([0, 0.1, 0.5, 1, 2]), st.floats(min_value=0.01, max_value=4))

atom = st.one_of(
    st.fixed_dictionaries({k: good_number for k in ATOM_KEYS}),
    st.dictionaries(st.sampled_from(ATOM_KEYS + ["x", "Weight"]), hostile_scalar, max_size=6),
    hostile_scalar)
atoms = st.one_of(st.lists(atom, max_size=3), hostile_scalar,
                  st.just([{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]),
                  st.just([{"weight": -1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]),
                  st.just([]))


@st.composite
def configs(draw):
    """Mostly plausible configs with one to three hostile perturbations."""
    cfg = {"phi": draw(good_number), "p2": draw(st.sampled_from([0, 0.1, 0.5, 1])),
           "lam": draw(st.sampled_from([0, 1e-3, 0.1])),
           "atoms": [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]}
    if draw(st.booleans()):
        cfg.update(model="random_projection", psi=draw(good_number))
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from(KEYS + ["colour", ""]))
        cfg[key] = draw(atoms) if key == "atoms" else draw(hostile_scalar)
    if draw(st.integers(0, 9)) == 0:
        cfg.pop(draw(st.sampled_from(["phi", "p2", "lam", "atoms"])), None)
    return cfg


def _assert_one_line(status, out, err):
    lines = err.splitlines()
    assert status in (2, 3), (status, err)
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err and out == ""


def _finite_json(doc):
    if isinstance(doc, dict):
        for v in doc.values():
            _finite_json(v)
    elif isinstance(doc, list):
        for v in doc:
            _finite_json(v)
    elif isinstance(doc, str):
        try:
            x = float(doc)
        except ValueError:
            return
        assert not math.isnan(x)


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


# ----------------------------------------------------------------------------- CLI

json_like = st.one_of(
    st.text(max_size=40),
    st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
    st.sampled_from(['{"phi": NaN}', '{"phi": Infinity, "p2": 0, "lam": 0, "atoms": []}',
                     '{"phi": 1, "phi": 2}', "[" * 5000, '{"phi": 1e999999}', "", "null",
                     '{"phi": 0.5, "p2": 0.1, "lam": 0, "atoms": [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]',
                     '{"atoms": "' + "x" * 1000 + '"}']),
    configs().map(json.dumps).map(lambda s: s[: len(s) // 2]))


@settings(max_examples=examples_of("json_text"), **FAST)
@given(text=json_like)
def test_cli_malformed_json(tmp_path, text):
    path = tmp_path / "c.json"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    status, out, err = _run(["predict", str(path), "--dps", "15"])
    if status == 0:
        _finite_json(json.loads(out))
    else:
        _assert_one_line(status, out, err)


@settings(max_examples=examples_of("cli_config"), **FAST)
@given(cfg=configs(), cmd=st.sampled_from(["predict", "predict-certify", "simulate"]))
def test_cli_hostile_configs(tmp_path, cfg, cmd):
    path = tmp_path / "c.json"
    try:
        path.write_text(json.dumps(cfg, allow_nan=True))
    except (ValueError, OverflowError):
        return
    argv = {"predict": ["predict", str(path), "--dps", "15"],
            "predict-certify": ["predict", str(path), "--dps", "15", "--certify"],
            "simulate": ["simulate", str(path), "--n", "20", "--trials", "2"]}[cmd]
    status, out, err = _run(argv)
    if status == 0:
        doc = json.loads(out)
        _finite_json(doc)
        assert err == ""
    else:
        _assert_one_line(status, out, err)
    assert sorted(os.listdir(tmp_path)) == ["c.json"]


# ----------------------------------------------------------------------------- API

@settings(max_examples=examples_of("api_config"), **FAST)
@given(cfg=configs(), certify=st.booleans())
def test_api_hostile_configs(cfg, certify):
    try:
        r = sc.predict(cfg, dps=15, certify=certify)
    except SymcollapseError as exc:
        assert str(exc) and "\n" not in str(exc).strip()
        return
    values = r["test_error"] if isinstance(r["test_error"], list) else [r["test_error"]]
    for v in values:
        assert mp.isfinite(v) or v == mp.inf
    if not isinstance(r["test_error"], list):
        for k in PARTS:
            assert mp.isfinite(r[k]) and r[k] >= -mp.mpf(10) ** -12
        if certify:
            for k in PARTS:
                assert r["certified"][k]["lower"] <= r["certified"][k]["upper"]


@pytest.mark.filterwarnings("error::RuntimeWarning")    # a refused value warns nothing
@settings(max_examples=examples_of("api_curve"), **FAST)
@given(key=st.sampled_from(["phi", "psi", "p2", "lam", "sigma1", "alpha", "colour"]),
       values=st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                                 st.floats(min_value=0, max_value=3), st.integers(-2, 3)),
                       min_size=1, max_size=6))
def test_api_curve_hostile_arrays(key, values):
    cfg = {"model": "random_projection", "phi": 0.5, "psi": 2, "p2": 0.3, "lam": 0.01,
           "atoms": [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]}
    try:
        out = sc.curve(cfg, **{key: values})
    except SymcollapseError as exc:
        assert "\n" not in str(exc).strip()
        return
    for k in PARTS:
        assert not np.any(np.isnan(out[k]))


@settings(max_examples=examples_of("sweep_grid"), **FAST)
@given(grid=st.one_of(
    st.dictionaries(st.sampled_from(["phi", "psi", "p2", "lam", "c2", "n", "x"]),
                    st.one_of(st.lists(hostile_scalar, max_size=3),
                              st.fixed_dictionaries({"linspace": st.lists(hostile_scalar, max_size=4)}),
                              st.fixed_dictionaries({"logspace": st.tuples(
                                  st.floats(-400, 400), st.floats(-400, 400), st.integers(-1, 5))}),
                              hostile_scalar), max_size=2),
    hostile_scalar))
def test_cli_sweep_hostile_grids(tmp_path, grid):
    cfg = {"model": "random_projection", "phi": 0.5, "psi": 2, "p2": 0.3, "lam": 0.01,
           "atoms": [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]}
    path = tmp_path / "grid.json"
    try:
        path.write_text(json.dumps({"config": cfg, "grid": grid, "chunk": 3}, allow_nan=True))
    except (ValueError, OverflowError, TypeError):
        return
    target = tmp_path / "t.csv"
    if target.exists():  # tmp_path is shared by the examples of one test
        target.unlink()
    status, out, err = _run(["sweep", str(path), "--out", str(target), "--processes", "1",
                             "--keep-going"])
    if status == 0:
        import pandas as pd
        t = pd.read_csv(target)
        assert all(s in ("ok", "diverges") or s.startswith("error: ") for s in t.status)
    else:
        _assert_one_line(status, out, err)
        assert not target.exists()
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".sweep-")]


@settings(max_examples=examples_of("spec_numbers"), **FAST)
@given(value=hostile_scalar, key=st.sampled_from(["phi", "p2", "lam", "sigma1", "alpha", "psi"]))
def test_spec_number_reader(value, key):
    from symcollapse.core.spec import to_number
    try:
        v = to_number(key, value)
    except ConfigError as exc:
        assert str(exc).startswith(key) and "\n" not in str(exc)
        return
    assert math.isfinite(float(v))


# ----------------------------------------------------------------------------- sizes

def test_huge_atom_list_is_refused(tmp_path):
    from symcollapse.core.spec import MAX_ATOMS
    big = {"phi": 0.5, "p2": 0.1, "lam": 0.1,
           "atoms": [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}] * (MAX_ATOMS + 1)}
    path = tmp_path / "big.json"
    path.write_text(json.dumps(big))
    status, out, err = _run(["predict", str(path)])
    _assert_one_line(status, out, err)
    assert f"allowed at most {MAX_ATOMS}" in err


def test_huge_file_is_refused(tmp_path):
    path = tmp_path / "huge.json"
    with open(path, "w") as f:
        f.write('{"phi": 0.5, "pad": "')
        f.write("x" * 50_000_100)
        f.write('"}')
    status, out, err = _run(["predict", str(path)])
    _assert_one_line(status, out, err)
    assert "larger than 50 MB" in err


def test_example_budget_is_over_10000():
    assert sum(EXAMPLES.values()) >= 10_000
