"""The capability matrix: every model × capability works or is refused with a one-line
reason, and docs/capabilities.md is the matrix of this checkout."""
import importlib.util
from pathlib import Path

import pytest

from symcollapse import capabilities as cap
from symcollapse.core.errors import UnsupportedError

ROOT = Path(__file__).resolve().parent.parent


def _tool():
    spec = importlib.util.spec_from_file_location("capability_matrix", ROOT / "tools" / "capability_matrix.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_the_committed_matrix_is_the_computed_one():
    tool = _tool()
    assert tool.TARGET.read_text(encoding="utf-8") == tool.render()


@pytest.mark.slow
def test_every_cell_works_or_gives_one_line_reason():
    mat = cap.matrix()
    assert set(mat) == {"linear", "random_projection", "random_features", "deep_random_features"}
    for model, cells in mat.items():
        assert set(cells) == set(cap.CAPABILITIES)
        for key, (works, reason) in cells.items():
            assert works or (reason and "\n" not in reason), (model, key, reason)
    # what the three models answer today (a capability that starts or stops working shows here)
    assert all(w for w, _ in mat["linear"].values())
    assert all(mat[m][k][0] for m in ("random_projection", "random_features")
               for k in ("replace_fresh", "replace_fixed", "accumulate_fresh", "accumulate_fixed"))
    assert mat["random_projection"]["simulate_loops"][0]
    assert not mat["random_features"]["ridgeless"][0]
    assert mat["random_features"]["ridgeless"][1] == "ridgeless: random features need lam > 0"
    for key in ("predict", "weighted", "certify", "curve", "derivative", "limits", "sweep",
                "sweep_float", "simulate",
                "simulate_weighted"):
        assert mat["random_features"][key][0], key
    deep = mat["deep_random_features"]
    for key in ("predict", "weighted", "curve", "derivative", "sweep", "sweep_float", "simulate",
                "simulate_weighted"):
        assert deep[key][0], key
    assert deep["ridgeless"][1] == "ridgeless: deep random features need lam > 0"


def test_a_missing_branch_is_not_a_refusal(monkeypatch):
    def broken(c, m):
        raise KeyError("a branch nobody wrote")
    monkeypatch.setitem(cap.CAPABILITIES, "predict", ("predict", broken))
    with pytest.raises(KeyError):
        cap.cell("linear", "predict")


def test_a_refusal_must_be_one_line(monkeypatch):
    def long_winded(c, m):
        raise UnsupportedError("first line\nsecond line")
    monkeypatch.setitem(cap.CAPABILITIES, "predict", ("predict", long_winded))
    with pytest.raises(AssertionError, match="not one line"):
        cap.cell("linear", "predict")


def test_a_refusal_is_recorded_with_its_reason(monkeypatch):
    def refused(c, m):
        raise UnsupportedError("no: a reason")
    monkeypatch.setitem(cap.CAPABILITIES, "predict", ("predict", refused))
    assert cap.cell("linear", "predict") == (False, "no: a reason")
    text = cap.markdown({"linear": {k: (k != "predict", None if k != "predict" else "no: a reason")
                                    for k in cap.CAPABILITIES}})
    assert "| `linear` | ✗ (1) |" in text and "(1) no: a reason" in text


def test_training_without_fields_needs_a_declared_reason(monkeypatch):
    monkeypatch.setattr(cap.decomposition, "predict", lambda c, dps=30: {"test_error": 0})
    with pytest.raises(AssertionError, match="declares no reason"):
        cap.cell("linear", "training")
    reason = cap.cell("random_features", "training")
    assert reason[0] is False and reason[1].startswith("training error:")
