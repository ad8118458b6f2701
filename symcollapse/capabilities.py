r"""The capability matrix: every model × every capability, computed by calling it.

Each cell is obtained by running the capability on a small config of the model
(:data:`CONFIGS`): it works (✓), or it is refused by a :class:`~symcollapse.core.errors.SymcollapseError`
whose one-line message is the mathematical reason.  Any other outcome (an exception of
another type, a result without the promised fields and no declared reason) is a missing
branch and raises: the matrix cannot be generated with one.

    python -m symcollapse.capabilities          # print the matrix (Markdown)
"""
from __future__ import annotations

import sys
from fractions import Fraction as F

from symcollapse import models
from symcollapse.analysis import limits
from symcollapse.core import decomposition, sweeps
from symcollapse.core.errors import SymcollapseError
from symcollapse.simulation import montecarlo

#: A small config per model (its declared ``example``), and the changes that make it
#: ridgeless on a derived side of its limit.
CONFIGS = {m: models.get(m).example for m in models.names()}
RIDGELESS = {m: models.get(m).ridgeless_example for m in models.names()}
TRAINING = ("train_error", "train_error_real", "train_error_synthetic", "df", "gcv")


def _loop(cfg, strategy, design):
    """A model's config as a self-consuming loop (one distribution: atoms {weight, s1, theta})."""
    out = {k: v for k, v in cfg.items() if k not in ("p2", "sigma2", "alpha")}
    out["atoms"] = [{k: a[k] for k in ("weight", "s1", "theta")} for a in cfg["atoms"]]
    return dict(out, strategy=strategy, design=design, generations=2)


def _simulate_loops(cfg):
    for strategy in ("replace", "accumulate"):
        for design in ("fresh", "fixed"):
            montecarlo.simulate(_loop(cfg, strategy, design), n=40, trials=2, seed=1)


def _training(cfg):
    out = decomposition.predict(cfg, dps=20)
    if not all(k in out for k in TRAINING):
        models.get(cfg.get("model", "linear")).require("training")
        raise AssertionError(f"predict returned no training errors and model "
                             f"{cfg.get('model', 'linear')!r} declares no reason")


#: capability → (column title, how to run it on a model's config).
CAPABILITIES = {
    "predict": ("predict", lambda c, m: decomposition.predict(c, dps=20)),
    "weighted": ("weighted mixing",
                 lambda c, m: decomposition.predict(dict(c, strategy="weighted", alpha=F(3, 5)), dps=20)),
    "iterative": ("iterative mixing",
                  lambda c, m: decomposition.predict(dict(c, strategy="iterative", generations=2), dps=20)),
    "ridgeless": ("ridgeless λ = 0", lambda c, m: decomposition.predict(dict(c, **RIDGELESS[m]), dps=20)),
    "certify": ("certify", lambda c, m: decomposition.predict(c, dps=20, certify=True)),
    "curve": ("curve (float64)", lambda c, m: decomposition.curve(c, lam=[0.1, 0.2])),
    "derivative": ("derivative", lambda c, m: decomposition.derivative(c, "lam", dps=20)),
    "training": ("training error, df, GCV", lambda c, m: _training(c)),
    "limits": ("limits.expand", lambda c, m: limits.expand("p2->0", c, dps=20)),
    "closed_form": ("closed form (isotropic)", lambda c, m: limits.closed_form(
        dict(c, atoms=[{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]))),
    "sweep": ("sweep (dps)", lambda c, m: _sweep_ok(sweeps.sweep(c, {"lam": [0.1, 0.2]}, dps=20,
                                                                 progress=False))),
    "sweep_float": ("sweep (float64)", lambda c, m: _sweep_ok(sweeps.sweep(c, {"lam": [0.1, 0.2]},
                                                                           progress=False))),
    "replace_fresh": ("replace, fresh design", lambda c, m: decomposition.predict(
        _loop(c, "replace", "fresh"), dps=20)),
    "replace_fixed": ("replace, fixed design", lambda c, m: decomposition.predict(
        _loop(c, "replace", "fixed"), dps=20)),
    "accumulate_fresh": ("accumulate, fresh design", lambda c, m: decomposition.predict(
        _loop(c, "accumulate", "fresh"), dps=20)),
    "accumulate_fixed": ("accumulate, fixed design", lambda c, m: decomposition.predict(
        _loop(c, "accumulate", "fixed"), dps=20)),
    "simulate": ("simulate", lambda c, m: montecarlo.simulate(c, n=40, trials=2, seed=1)),
    "simulate_weighted": ("simulate weighted", lambda c, m: montecarlo.simulate(
        dict(c, strategy="weighted", alpha=F(3, 5)), n=40, trials=2, seed=1)),
    "simulate_iterative": ("simulate iterative", lambda c, m: montecarlo.simulate(
        dict(c, strategy="iterative", generations=2), n=40, trials=2, seed=1)),
    "simulate_loops": ("simulate loops", lambda c, m: _simulate_loops(c)),
}


def _sweep_ok(table):
    """A sweep reports failed points in its status column: a refusal there is the cell's."""
    bad = [s for s in table["status"] if s != "ok"]
    if bad:
        raise _Refused(bad[0].removeprefix("error: "))
    return table


class _Refused(SymcollapseError):
    """A refusal reported inside a table (a sweep's status column)."""


def cell(model: str, capability: str):
    """``(True, None)`` when the capability works for the model, ``(False, reason)`` when it
    is refused with a one-line reason; anything else raises."""
    _title, run = CAPABILITIES[capability]
    try:
        run(CONFIGS[model], model)
    except SymcollapseError as e:
        reason = str(e)
        if not reason or "\n" in reason:
            raise AssertionError(f"{model} × {capability}: the refusal is not one line: {reason!r}")
        return False, reason
    return True, None


def matrix() -> dict:
    """{model: {capability: (works, reason)}} for every registered model."""
    return {m: {k: cell(m, k) for k in CAPABILITIES} for m in models.names()}


def markdown(mat=None) -> str:
    """The matrix as a Markdown table, refusals as numbered notes with their reasons."""
    mat = matrix() if mat is None else mat
    notes = []
    head = "| model | " + " | ".join(CAPABILITIES[k][0] for k in CAPABILITIES) + " |"
    rows = [head, "|" + "---|" * (len(CAPABILITIES) + 1)]
    for m, cells in mat.items():
        marks = []
        for k in CAPABILITIES:
            works, reason = cells[k]
            if works:
                marks.append("✓")
            else:
                if reason not in notes:
                    notes.append(reason)
                marks.append(f"✗ ({notes.index(reason) + 1})")
        rows.append(f"| `{m}` | " + " | ".join(marks) + " |")
    lines = rows + [""] + [f"({i}) {r}" for i, r in enumerate(notes, 1)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown())
