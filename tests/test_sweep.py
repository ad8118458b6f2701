"""Sweeps: the table against predict/simulate, identical wherever the chunks run (this
process, local worker processes, a Dask LocalCluster), and the command line."""
import io
import json
import math
import os

import numpy as np
import pandas as pd
import pytest

import symcollapse as sc
from symcollapse.cli import main
from symcollapse.core.sweeps import sweep

ISO = [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]
A2 = [{"weight": 0.5, "s1": 2, "s2": 1, "theta": 1, "delta": 0.5},
      {"weight": 0.5, "s1": 0.5, "s2": 1.5, "theta": 0.5, "delta": 2}]
RP = {"model": "random_projection", "phi": 2, "psi": 1, "p2": 0.1, "lam": 1e-3,
      "sigma1": 0.5, "sigma2": 0.5, "atoms": A2}
GRID = {"psi": {"geomspace": [0.1, 10, 24]}, "p2": {"linspace": [0, 1, 20]}}


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def test_sweep_matches_predict_at_every_point():
    t = sweep(RP, {"psi": [0.5, 0.9, 1.1, 3.0], "p2": [0, 0.3, 1]}, progress=False)
    assert list(t.columns) == ["psi", "p2", "test_error", "bias", "variance", "zeta", "status"]
    assert len(t) == 12 and (t.status == "ok").all()
    for row in t.itertuples():
        want = sc.predict(dict(RP, psi=row.psi, p2=row.p2), dps=20)
        for part in ("test_error", "bias", "variance", "zeta"):
            assert getattr(row, part) == pytest.approx(float(want[part]), rel=1e-10, abs=1e-14)


def test_sweep_c2_rescales_the_shift():
    """c² enters only ζ, linearly (Δ appears nowhere else in the error functional)."""
    t = sweep(RP, {"c2": [0.5, 1.0, 3.0], "psi": [0.5, 2.0]}, progress=False)
    base_c2 = 0.5 * 0.5 + 0.5 * 2
    for row in t.itertuples():
        atoms = [dict(a, delta=a["delta"] * row.c2 / base_c2) for a in A2]
        want = sc.predict(dict(RP, psi=row.psi, atoms=atoms), dps=20)
        assert row.test_error == pytest.approx(float(want["test_error"]), rel=1e-10)
    z = t.pivot(index="psi", columns="c2", values="zeta")
    assert np.allclose(z[3.0] / z[0.5], 6.0, rtol=1e-10)
    b = t.pivot(index="psi", columns="c2", values="bias")
    assert np.allclose(b[3.0], b[0.5], rtol=1e-12)


def test_sweep_at_high_precision_gives_decimal_strings():
    t = sweep(RP, {"psi": [0.5, 2.0]}, dps=40, progress=False)
    for row in t.itertuples():
        want = sc.predict(dict(RP, psi=row.psi), dps=40)
        assert isinstance(row.test_error, str)
        assert len(row.test_error.replace(".", "").lstrip("0")) >= 40
        assert abs(float(row.test_error) - float(want["test_error"])) < 1e-15


def test_sweep_divergence_and_failure_are_reported():
    cfg = dict(RP, lam=0, atoms=ISO)
    t = sweep(cfg, {"psi": [0.5, 1.0, 2.0]}, progress=False)
    assert t.status.tolist() == ["ok", "diverges", "ok"]
    assert math.isinf(t.test_error[1])
    mixed = {"phi": 0.5, "p2": 0.3, "lam": 0, "atoms": [
        {"weight": 0.5, "s1": 1, "s2": 0, "theta": 1, "delta": 1},
        {"weight": 0.5, "s1": 0, "s2": 1, "theta": 1, "delta": 1}]}
    # φ = 1.2: group 2 interpolates its coordinates (φ·w(S2) = 0.6 > p2 = 0.3) while
    # group 1 does not (φ·w(S1) = 0.6 < p1 = 0.7): a mixed ridgeless side, not derived
    with pytest.raises(sc.RegimeError, match="sweep: 1 of 2 points failed; first at phi = 1.2"):
        sweep(mixed, {"phi": [0.3, 1.2]}, progress=False)
    t = sweep(mixed, {"phi": [0.3, 1.2]}, progress=False, keep_going=True)
    assert t.status[0] == "ok" and t.status[1].startswith("error: ")
    assert math.isnan(t.test_error[1])


def test_sweep_of_simulations_matches_simulate():
    cfg = dict(RP, psi=0.5, atoms=ISO, n=80, trials=3, seed=4)
    t = sweep(cfg, {"psi": [0.5, 2.0]}, method="simulate", progress=False)
    for row in t.itertuples():
        want = sc.simulate(dict(cfg, psi=row.psi), n=80, trials=3, seed=4)
        assert row.mean == want["mean"] and row.se == want["se"]
        assert row.d == want["d"] and row.m == want["m"]


def test_sweep_identical_in_process_and_in_local_processes():
    a = sweep(RP, GRID, chunk=100, processes=1, progress=False)
    b = sweep(RP, GRID, chunk=100, processes=2, progress=False)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert (a.status == "ok").all() and len(a) == 480


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed", reason="dask.distributed is a test "
                                      "dependency (pip install '.[test]')")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as c:
        yield c


def test_sweep_on_a_dask_cluster_is_identical(cluster):
    from distributed import Client
    local = sweep(RP, GRID, chunk=100, processes=1, progress=False)
    with Client(cluster) as client:
        remote = sweep(RP, GRID, chunk=100, scheduler=client, progress=False)
        client.wait_for_workers(2, timeout=120)   # the client's view can lag on a loaded machine
        assert len(client.scheduler_info()["workers"]) == 2
    pd.testing.assert_frame_equal(local, remote, check_exact=True)


def test_cli_sweep_with_scheduler_address(cluster, tmp_path):
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps({"config": RP, "grid": GRID, "chunk": 100}))
    out_local, out_dask = tmp_path / "local.csv", tmp_path / "dask.parquet"
    assert _run(["sweep", str(grid), "--out", str(out_local), "--processes", "1"])[0] == 0
    status, stdout, err = _run(["sweep", str(grid), "--out", str(out_dask),
                                "--scheduler", cluster.scheduler_address])
    assert status == 0, err
    assert json.loads(stdout)["points"] == 480
    a, b = pd.read_csv(out_local), pd.read_parquet(out_dask)
    assert np.array_equal(a.test_error.values, b.test_error.values)


def test_cli_sweep_csv_on_stdout_and_config_by_path(tmp_path):
    (tmp_path / "cfg.json").write_text(json.dumps(RP))
    grid = tmp_path / "grid.json"
    grid.write_text('{"config": "cfg.json", "grid": {"psi": [0.5, 2.0], "lam": {"logspace": [-3, -1, 3]}}}')
    status, stdout, err = _run(["sweep", str(grid)])
    assert status == 0, err
    t = pd.read_csv(io.StringIO(stdout))
    assert len(t) == 6 and list(t.columns[:2]) == ["psi", "lam"]
    want = sc.predict(dict(RP, psi=2.0, lam=0.1), dps=20)
    assert t.test_error.iloc[-1] == pytest.approx(float(want["test_error"]), rel=1e-10)


@pytest.mark.parametrize("doc,needle", [
    ({"config": RP, "grid": {"p2": [0.1, 1.5]}}, "grid.p2 = 1.5 is out of range: allowed 0 <= p2 <= 1"),
    ({"config": RP, "grid": {"phi": {"linspace": [0, 1]}}}, "grid.phi.linspace must be [start, stop, count]"),
    ({"config": RP, "grid": {"gamma": [1]}}, "grid.gamma is not a key a sweep can vary"),
    ({"config": RP, "grid": {"psi": []}}, "grid.psi is empty"),
    ({"config": RP, "grid": {"n": [100]}}, "grid.n is not a key a sweep can vary"),
    ({"config": dict(RP, atoms=[dict(ISO[0], delta=0)]), "grid": {"c2": [1]}}, "grid.c2 needs a base config"),
    ({"config": RP}, "grid is missing"),
    ({"config": RP, "grid": {"psi": [1]}, "colour": 1}, "colour is not a known key of a grid file"),
    ({"config": dict(RP, phi=-1), "grid": {"psi": [1]}}, "phi = -1 is out of range"),
])
def test_cli_sweep_bad_input_one_line_exit_2_nothing_written(tmp_path, doc, needle):
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps(doc))
    out = tmp_path / "t.csv"
    status, stdout, err = _run(["sweep", str(grid), "--out", str(out)])
    assert status == 2 and stdout == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and needle in err, err
    assert not out.exists() and os.listdir(tmp_path) == ["grid.json"]


def test_cli_sweep_bad_out_and_scheduler(tmp_path):
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps({"config": RP, "grid": {"psi": [1]}}))
    status, _, err = _run(["sweep", str(grid), "--out", str(tmp_path / "t.xlsx")])
    assert status == 2 and "allowed a .csv or .parquet file" in err
    status, _, err = _run(["sweep", str(grid), "--scheduler", "localhost:1"])
    assert status == 2 and "is not a Dask scheduler address" in err
