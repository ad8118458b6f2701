r"""Sweeps: the theory (or the simulation) over a grid of parameters, as a table.

A grid maps config keys to lists of values; the sweep evaluates every point of their
Cartesian product (the last key varying fastest) on top of a base config:

* keys: the scalar keys of a config (``phi``, ``psi``, ``p2``, ``lam``, ``sigma1``,
  ``sigma2``, ``alpha``), ``generations`` (integers; iterative mixing and the loops), ``c2`` (the shift energy c² = Tr Δ = Σ_k weight_k·delta_k of
  docs/setting.md: every atom's ``delta`` is rescaled by c²/c²_base) and, for simulations, ``n``;
* values: a list of numbers, or ``{"linspace": [start, stop, count]}``,
  ``{"logspace": [start_exponent, stop_exponent, count]}`` (base 10) or
  ``{"geomspace": [start, stop, count]}``.

``method="predict"`` with ``dps=None`` takes the float64 path (:func:`~symcollapse.curve`,
vectorized Newton warm-started along the grid); with ``dps`` every point is a
:func:`~symcollapse.predict` at that precision and the value columns are decimal strings
carrying ``dps`` significant digits.  A self-consuming loop (``replace``, ``accumulate``)
reports its parts at its last generation T and a ``limit`` column (E_test as t → ∞); iterative
mixing reports its limit as ``test_error``.  ``method="simulate"`` runs
:func:`~symcollapse.simulate` at every point (columns ``mean``, ``se``, ``d``, ``m``, and
the conditional-expectation estimate ``cond_mean``, ``cond_se``).

The points are cut into chunks of ``chunk`` consecutive points, fixed by the grid alone;
a chunk is evaluated the same way wherever it runs, so the table is identical whether
the chunks run in this process, in local worker processes (``processes``) or on a Dask
cluster (``scheduler``: an address ``tcp://host:port`` or a ``distributed.Client``).

Every value of the grid is validated before any work starts (one-line
:class:`~symcollapse.core.errors.ConfigError` naming ``grid.KEY``).  A point with no finite
answer gets ``inf`` (a divergence: status ``diverges``); a point that cannot be computed
gets status ``error: ...`` and empty values, and unless ``keep_going`` the sweep then
raises that point's error.
"""
from __future__ import annotations

import decimal
import itertools
import math
import numbers
import os
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed

import mpmath as mp
import numpy as np

from symcollapse.core.decomposition import curve, predict
from symcollapse.core.equations import PARTS
from symcollapse.core.errors import ConfigError, DivergenceError, RegimeError, SymcollapseError
from symcollapse.core.outputs import check_file, replace_file
from symcollapse.core.spec import LOOPS, SCALAR_KEYS, load, parse, to_number
from symcollapse.simulation.montecarlo import simulate

SIM_COLUMNS = ("mean", "se", "cond_mean", "cond_se", "d", "m")
GRID_KEYS = SCALAR_KEYS + ("generations", "c2", "n")
#: The extra column of a self-consuming loop's sweep: E_test(t → ∞).
LOOP_COLUMNS = ("limit",)
METHODS = ("predict", "simulate")
#: Default number of grid points per chunk (the unit of work sent to a process/worker).
CHUNK = 4096
MAX_POINTS = 10_000_000
SPACES = ("linspace", "logspace", "geomspace")


# ----------------------------------------------------------------------------- the grid

def grid_values(key: str, spec) -> list:
    """The list of values of one grid entry (a list, or a linspace/logspace/geomspace)."""
    where = f"grid.{key}"
    if isinstance(spec, dict):
        if len(spec) != 1 or next(iter(spec)) not in SPACES:
            raise ConfigError(f"{where} must be a list of numbers or one of "
                              + ", ".join(f'{{"{s}": [start, stop, count]}}' for s in SPACES))
        kind, args = next(iter(spec.items()))
        if not isinstance(args, (list, tuple)) or len(args) != 3:
            raise ConfigError(f"{where}.{kind} must be [start, stop, count]")
        start, stop, count = (float(v) if isinstance(v, decimal.Decimal) else v for v in args)
        for name, v in (("start", start), ("stop", stop)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ConfigError(f"{where}.{kind} {name} must be a finite number, got {v!r}")
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_POINTS:
            raise ConfigError(f"{where}.{kind} count must be an integer 1 <= count <= "
                              f"{MAX_POINTS}, got {count!r}")
        if kind == "linspace":
            vals = np.linspace(start, stop, count)
        elif kind == "logspace":
            if max(abs(start), abs(stop)) > 300:
                raise ConfigError(f"{where}.logspace exponents must lie in [-300, 300]")
            vals = np.logspace(start, stop, count)
        else:
            if start <= 0 or stop <= 0:
                raise ConfigError(f"{where}.geomspace start and stop must be > 0")
            vals = np.geomspace(start, stop, count)
        return [float(v) for v in vals]
    if isinstance(spec, (list, tuple)):
        if not spec:
            raise ConfigError(f"{where} is empty: allowed a non-empty list of numbers")
        return list(spec)
    raise ConfigError(f"{where} must be a list of numbers or a linspace/logspace/geomspace, "
                      f"got {type(spec).__name__}")


def _base_c2(spec):
    return sum(a.weight * a.delta for a in spec.atoms)


def _with_c2(config: dict, spec, c2):
    """The config with every atom's delta rescaled so that Σ weight·delta = c2."""
    factor = to_number("grid.c2", c2) / _base_c2(spec)
    atoms = [{"weight": a.weight, "s1": a.s1, "s2": a.s2, "theta": a.theta,
              "delta": a.delta * factor} for a in spec.atoms]
    return dict(config, atoms=atoms)


def validate(config: dict, grid: dict, method: str = "predict"):
    """Check the base config and every value of the grid; returns ``(keys, values)``."""
    if method not in METHODS:
        raise ConfigError(f"method = {method!r} is not allowed: allowed " + ", ".join(METHODS))
    if not isinstance(config, dict):
        raise ConfigError("config must be a JSON object (a config of docs/contract.md)")
    if not isinstance(grid, dict) or not grid:
        raise ConfigError("grid must be a non-empty object mapping keys to value lists")
    base = parse(_at_grid_n(config, grid))
    keys = list(grid)
    values = []
    total = 1
    for key in keys:
        if key not in GRID_KEYS or (key == "n" and method != "simulate"):
            allowed = GRID_KEYS if method == "simulate" else GRID_KEYS[:-1]
            raise ConfigError(f"grid.{key} is not a key a sweep can vary: allowed "
                              + ", ".join(allowed))
        vals = grid_values(key, grid[key])
        total *= len(vals)
        if total > MAX_POINTS:
            raise ConfigError(f"grid has more than {MAX_POINTS} points: allowed at most "
                              f"{MAX_POINTS}")
        try:
            distinct = list(dict.fromkeys(vals))
        except TypeError:
            raise ConfigError(f"grid.{key} must be a list of numbers") from None
        for v in distinct:
            try:
                if key == "c2":
                    if _base_c2(base) == 0:
                        raise ConfigError("grid.c2 needs a base config with c² = Σ weight·delta "
                                          "> 0 (c2 rescales every atom's delta)")
                    if not to_number("grid.c2", v) >= 0:
                        raise ConfigError(f"grid.c2 = {v!r} is out of range: allowed c2 >= 0")
                elif key == "n":
                    if isinstance(v, bool) or not isinstance(v, int) or v < 2:
                        raise ConfigError(f"grid.n = {v!r} is out of range: allowed integers "
                                          ">= 2")
                    if "p2_schedule" in config:  # p2 = kappa·n^(−a) must be valid at each n
                        parse(dict(config, n=v))
                else:
                    parse(dict(config, **{key: v}))
            except ConfigError as exc:
                msg = str(exc)
                raise ConfigError(msg if msg.startswith("grid.") else f"grid.{msg}") from None
        values.append(vals)
    if method == "simulate" and "n" not in grid and base.n is None:
        raise ConfigError("n is missing: a simulate sweep needs n in the config or in the grid")
    return keys, values


def _at_grid_n(config, grid):
    """With ``p2_schedule`` and n on the grid, the base config read at the grid's first n
    (the schedule p2 = kappa·n^(−a) needs an n; each point re-reads it at its own)."""
    if not (isinstance(config, dict) and "p2_schedule" in config and "n" not in config
            and isinstance(grid, dict) and "n" in grid):
        return config
    first = grid_values("n", grid["n"])[0]
    if isinstance(first, bool) or not isinstance(first, int) or first < 2:
        raise ConfigError(f"grid.n = {first!r} is out of range: allowed integers >= 2")
    return dict(config, n=first)


def points(keys, values):
    """The grid's points in order (the last key fastest), as a list of tuples."""
    return list(itertools.product(*values))


# ----------------------------------------------------------------------------- a chunk

def evaluate_chunk(task: dict) -> list:
    """Evaluate one chunk: ``task`` has ``config``, ``keys``, ``points``, ``method``,
    ``dps``, ``trials``, ``seed``.  Returns one dict of result columns per point.
    Deterministic: the same task gives the same rows wherever it runs."""
    keys, pts = task["keys"], task["points"]
    if task["method"] == "simulate":
        return [_simulate_point(task, dict(zip(keys, pt))) for pt in pts]
    if task["dps"] is not None:
        return [_predict_point(task, dict(zip(keys, pt))) for pt in pts]
    return _curve_chunk(task)


def _point_config(task, point):
    config = dict(task["config"])
    for k, v in point.items():
        if k not in ("c2", "n"):
            config[k] = v
    if "c2" in point:  # the base spectrum is parsed only where it is rescaled
        config = _with_c2(config, parse(task["config"]), point["c2"])
    return config


def _failure(exc, columns):
    row = {c: float("nan") for c in columns}
    row["status"] = "error: " + " ".join(str(exc).split())
    return row


def _predict_point(task, point):

    dps = task["dps"]
    try:
        r = predict(_point_config(task, point), dps=dps)
    except DivergenceError as exc:
        return dict(_diverging_parts(exc, text=True), status="diverges")
    except SymcollapseError as exc:
        return _failure(exc, PARTS)
    te = r["test_error"]
    if _is_loop(task):                                 # a loop: generation T, and the limit
        return dict(_loop_row(r, lambda v: mp.nstr(v, dps, strip_zeros=False)
                              if mp.isfinite(v) else "inf"), status="ok")
    if isinstance(te, list):  # iterative: the limit over generations
        vals = {"test_error": r["limit"], "bias": None, "variance": None, "zeta": None}
        return dict({k: (mp.nstr(v, dps) if v is not None and mp.isfinite(v) else
                         ("inf" if v is not None else "")) for k, v in vals.items()},
                    status="ok")
    return dict({k: mp.nstr(r[k], dps, strip_zeros=False) for k in PARTS}, status="ok")


def _simulate_point(task, point):
    config = _point_config(task, point)
    n = point["n"] if "n" in point else parse(config).n
    try:
        r = simulate(config, n=int(n), trials=task["trials"], seed=task["seed"])
    except SymcollapseError as exc:
        return _failure(exc, SIM_COLUMNS)
    cond = r.get("conditional", {}).get("test_error", {})
    mean = r["mean"][-1] if isinstance(r["mean"], list) else r["mean"]
    se = r["se"][-1] if isinstance(r["se"], list) else r["se"]
    cm = cond.get("mean", float("nan"))
    cs = cond.get("se", float("nan"))
    cm = cm[-1] if isinstance(cm, list) else cm
    cs = cs[-1] if isinstance(cs, list) else cs
    return {"mean": mean, "se": se, "cond_mean": cm, "cond_se": cs, "d": r["d"],
            "m": r["m"] if r["m"] is not None else float("nan"), "status": "ok"}


def _is_loop(task) -> bool:
    return task["config"].get("strategy") in LOOPS


def _loop_row(r, fmt) -> dict:
    """A self-consuming loop's row: the parts at its last generation T, and its limit."""
    row = {k: fmt(r[k][-1]) for k in ("test_error", "bias", "variance")}
    row["zeta"] = fmt(mp.mpf(0))
    row["limit"] = fmt(r["limit"])
    return row


def _loop_float_point(task, point):
    try:
        r = predict(_point_config(task, point), dps=17)
    except SymcollapseError as exc:
        return _failure(exc, PARTS + LOOP_COLUMNS)
    return dict(_loop_row(r, float), status="ok")


def _curve_chunk(task):
    """The float64 path: one vectorized curve per value of the non-scalar keys (c2); a
    self-consuming loop point by point (its answer is a list over generations)."""

    keys, pts = task["keys"], task["points"]
    if _is_loop(task):
        return [_loop_float_point(task, dict(zip(keys, pt))) for pt in pts]
    scalar = [k for k in keys if k in SCALAR_KEYS]
    rows = [None] * len(pts)
    by_group = {}
    for i, pt in enumerate(pts):
        point = dict(zip(keys, pt))
        group = tuple((k, point[k]) for k in keys if k not in SCALAR_KEYS)
        by_group.setdefault(group, []).append(i)
    for group, idx in by_group.items():
        point0 = dict(zip(keys, pts[idx[0]]))
        config = _point_config(task, {k: point0[k] for k, _ in group})
        varying = {k: [_as_float(pts[i][keys.index(k)]) for i in idx] for k in scalar}
        try:
            if varying:
                out = curve(config, **varying)
            else:
                out = {k: np.array([v]) for k, v in _float_predict(config).items()}
                out = {k: np.repeat(v, len(idx)) for k, v in out.items()}
            for j, i in enumerate(idx):
                rows[i] = dict({k: float(out[k][j]) for k in PARTS}, status=_status(out, j))
        except SymcollapseError:
            for i in idx:  # one by one, so that one bad point does not hide the others
                rows[i] = _float_point(task, dict(zip(keys, pts[i])))
    return rows


def _as_float(v):
    """A JSON number read as its decimal text, as a float for the float64 path."""
    return float(v) if isinstance(v, decimal.Decimal) else v


def _status(out, j):
    if "status" in out and out["status"][j] != "ok":
        return out["status"][j]
    return "diverges" if any(math.isinf(float(out[k][j])) for k in PARTS) else "ok"


def _float_predict(config):
    r = predict(config, dps=17)
    return {k: float(r[k]) for k in PARTS}


def _float_point(task, point):
    config = _point_config(task, point)
    scalar = {k: [_as_float(v)] for k, v in point.items() if k in SCALAR_KEYS}
    try:
        out = curve(config, **scalar) if scalar else \
            {k: [v] for k, v in _float_predict(config).items()}
    except DivergenceError as exc:
        return dict(_diverging_parts(exc), status="diverges")
    except SymcollapseError as exc:
        return _failure(exc, PARTS)
    return dict({k: float(out[k][0]) for k in PARTS}, status=_status(out, 0))


def _diverging_parts(exc, text=False) -> dict:
    """Each part at a divergence: its one-sided limit where the regime knows it (the same
    values on the float64 and the ``dps`` path), else inf; as text for the ``dps`` path."""
    parts = exc.parts or {k: float("inf") for k in PARTS}
    if not text:
        return {k: float(parts[k]) for k in PARTS}
    return {k: "inf" if math.isinf(float(parts[k])) else "0.0" if float(parts[k]) == 0
            else repr(float(parts[k])) for k in PARTS}


# ----------------------------------------------------------------------------- running

def _progress(total, enabled):
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    from tqdm import tqdm
    return tqdm(total=total, unit="pt", file=sys.stderr, desc="sweep")


def _run_local(tasks, processes, bar):
    results = [None] * len(tasks)
    if processes == 1 or len(tasks) == 1:
        for i, t in enumerate(tasks):
            results[i] = evaluate_chunk(t)
            if bar:
                bar.update(len(t["points"]))
        return results
    with ProcessPoolExecutor(max_workers=min(processes, len(tasks))) as pool:
        futures = {pool.submit(evaluate_chunk, t): i for i, t in enumerate(tasks)}
        for f in as_completed(futures):
            i = futures[f]
            results[i] = f.result()
            if bar:
                bar.update(len(tasks[i]["points"]))
    return results


def _run_dask(tasks, scheduler, bar):
    try:
        from distributed import Client
    except ImportError:
        raise ConfigError("--scheduler needs dask.distributed: pip install 'symcollapse[dask]'"
                          ) from None
    own = isinstance(scheduler, str)
    if own:
        if not scheduler.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
            raise ConfigError(f"scheduler = {scheduler!r} is not a Dask scheduler address: "
                              "allowed tcp://host:port (or tls://, inproc://, ucx://)")
        try:
            client = Client(scheduler, timeout="10s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ConfigError(f"scheduler = {scheduler!r}: cannot connect ({exc})") from None
    else:
        client = scheduler
    try:
        futures = client.map(evaluate_chunk, tasks, pure=False)
        results = []
        for f, t in zip(futures, tasks):  # in order; the cluster works on all at once
            results.append(f.result())
            if bar:
                bar.update(len(t["points"]))
        return results
    finally:
        if own:
            client.close()


def sweep(config: dict, grid: dict, *, method: str = "predict", dps: int | None = None,
          trials: int | None = None, seed: int | None = None, chunk: int = CHUNK,
          processes: int | None = None, scheduler=None, progress: bool | None = None,
          keep_going: bool = False):
    """Evaluate ``method`` over the Cartesian product of ``grid`` on top of ``config``.

    Returns a pandas ``DataFrame`` with one row per point: the grid keys, then
    ``test_error``, ``bias``, ``variance``, ``zeta`` (predict) or ``mean``, ``se``,
    ``cond_mean``, ``cond_se``, ``d``, ``m`` (simulate), then ``status`` (``ok``,
    ``diverges`` or ``error: ...``).  ``processes`` (default: one per core when there
    is more than one chunk) runs chunks in local worker processes; ``scheduler`` (an
    address or a ``distributed.Client``) runs them on a Dask cluster instead.  The table
    does not depend on where the chunks run.

    >>> cfg = {"phi": 0.5, "p2": 0.2, "lam": 0, "atoms": [  # isotropic, c² = 1: p2 = 0.5 gives
    ...     # c²(p2² + p1p2φ/(1−φ)) = 0.5 at φ = 1/2, (1 − 1/φ) + c²p2(φ−p2)/(φ(φ−1)) = 0.875 at φ = 2
    ...     {"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]}
    >>> t = sweep(cfg, {"p2": [0, 0.5], "phi": [0.5, 2]}, progress=False)
    >>> t[["p2", "phi", "test_error"]].round(6).values.tolist()
    [[0.0, 0.5, 0.0], [0.0, 2.0, 0.5], [0.5, 0.5, 0.5], [0.5, 2.0, 0.875]]
    """
    import pandas as pd

    if dps is not None and (isinstance(dps, bool) or not isinstance(dps, int)
                            or not 1 <= dps <= 10_000):
        raise ConfigError(f"dps = {dps!r} is out of range: allowed integers 1 <= dps <= 10000")
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ConfigError(f"chunk = {chunk!r} is out of range: allowed integers >= 1")
    if processes is not None and (isinstance(processes, bool) or not isinstance(processes, int)
                                  or processes < 1):
        raise ConfigError(f"processes = {processes!r} is out of range: allowed integers >= 1")
    keys, values = validate(config, grid, method)
    base = parse(_at_grid_n(config, grid))
    pts = points(keys, values)
    if method == "simulate":
        trials = trials if trials is not None else (base.trials or 20)
        seed = seed if seed is not None else (base.seed or 0)
    tasks = [{"config": config, "keys": keys, "points": pts[i:i + chunk], "method": method,
              "dps": dps, "trials": trials, "seed": seed} for i in range(0, len(pts), chunk)]
    bar = _progress(len(pts), progress)
    try:
        if scheduler is not None:
            chunks = _run_dask(tasks, scheduler, bar)
        else:
            procs = processes if processes is not None else (os.cpu_count() or 1)
            chunks = _run_local(tasks, procs, bar)
    finally:
        if bar:
            bar.close()
    rows = [r for c in chunks for r in c]
    columns = list(PARTS if method == "predict" else SIM_COLUMNS)
    if method == "predict" and base.strategy in LOOPS:
        columns += list(LOOP_COLUMNS)
    table = pd.DataFrame({k: [pt[j] for pt in pts] for j, k in enumerate(keys)})
    for col in columns + ["status"]:
        table[col] = [r[col] for r in rows]
    if not keep_going:
        bad = [i for i, r in enumerate(rows) if r["status"].startswith("error")]
        if bad:
            where = ", ".join(f"{k} = {v}" for k, v in zip(keys, pts[bad[0]]))
            raise RegimeError(f"sweep: {len(bad)} of {len(rows)} points failed; first at "
                              f"{where}: {rows[bad[0]]['status'][len('error: '):]} "
                              "(keep_going=True / --keep-going records them instead)")
    return table


GRID_FILE_KEYS = ("config", "grid", "method", "dps", "trials", "seed", "chunk")


def load_grid(path: str) -> dict:
    """Read a GRID.json: ``{"config": {...} or "cfg.json" (relative to the grid file),
    "grid": {...}}`` and optionally ``method``, ``dps``, ``trials``, ``seed``, ``chunk``.
    Returns the keyword arguments of :func:`sweep` (with ``config`` and ``grid``)."""
    doc = load(path)
    if not isinstance(doc, dict):
        raise ConfigError(f"{path} must hold a JSON object with keys config and grid")
    for k in doc:
        if k not in GRID_FILE_KEYS:
            raise ConfigError(f"{k} is not a known key of a grid file: allowed "
                              + ", ".join(GRID_FILE_KEYS))
    for k in ("config", "grid"):
        if k not in doc:
            raise ConfigError(f"{k} is missing from {path}: a grid file needs config and grid")
    config = doc["config"]
    if isinstance(config, str):
        config = load(os.path.join(os.path.dirname(os.path.abspath(path)), config))
    out = {"config": config, "grid": doc["grid"]}
    for k in ("method", "dps", "trials", "seed", "chunk"):
        if k in doc and doc[k] is not None:
            v = doc[k]
            if k != "method" and (isinstance(v, bool) or not isinstance(v, int)):
                raise ConfigError(f"{k} = {v!r} in {path} must be an integer")
            out[k] = v
    return out


def write_table(table, path: str):
    """Write a sweep table to ``path`` (.csv or .parquet), whole or not at all
    (:func:`symcollapse.core.outputs.replace_file`: the old file keeps its place, mode and
    symbolic link until the new one is complete).  Mixed numbers in a column (the grid
    ``[0.5, 1, 2]``) are written as floats."""
    real = check_file(path, suffixes=(".csv", ".parquet"))
    if real.lower().endswith(".csv"):
        return replace_file(path, lambda tmp: table.to_csv(tmp, index=False))
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise ConfigError("--out *.parquet needs pyarrow: pip install pyarrow, or write "
                          ".csv") from None
    return replace_file(path, lambda tmp: _parquet_ready(table).to_parquet(tmp, index=False))


def _parquet_ready(table):
    """The table with one type per column, which Parquet needs: an object column of
    numbers (ints beside floats, decimals) as float64, one holding text as text (a NaN of
    a failed point as missing)."""

    import pandas as pd
    out = table.copy()
    for col in out.columns:
        if out[col].dtype == object:
            values = out[col].tolist()
            if all(isinstance(v, (numbers.Real, decimal.Decimal)) and not isinstance(v, bool)
                   for v in values):
                out[col] = pd.Series([float(v) for v in values], index=out.index,
                                     dtype="float64")
            elif any(isinstance(v, str) for v in values):  # digits as text; NaN: missing
                out[col] = pd.Series([v if isinstance(v, str) else
                                      (None if v is None or v != v else str(v))
                                      for v in values], index=out.index, dtype=object)
    return out
