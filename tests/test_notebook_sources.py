"""Every notebook is kept as a reviewable source: a Jupytext pair ``NAME.py`` (percent
format) beside ``NAME.ipynb`` whose cells agree, kind for kind and line for line (the
``.ipynb`` holds the outputs that nbval compares; ``tools/run_notebooks.py`` refreshes them
from the ``.py``)."""
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext", reason="the test extra installs jupytext")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PAIRS = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))


def _cells(path):
    nb = jupytext.read(path)
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def test_every_notebook_has_its_source():
    assert PAIRS, "no notebooks found"
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.py")) == PAIRS


@pytest.mark.parametrize("name", PAIRS)
def test_pair_agrees(name):
    ipynb, source = NOTEBOOKS / f"{name}.ipynb", NOTEBOOKS / f"{name}.py"
    assert _cells(ipynb) == _cells(source), f"{name}: run `jupytext --sync` or tools/run_notebooks.py"
    formats = jupytext.read(ipynb).metadata.get("jupytext", {}).get("formats", "")
    assert formats == "ipynb,py:percent"


def test_the_check_can_fail(tmp_path):
    """A source edited without its notebook is caught."""
    src = (NOTEBOOKS / f"{PAIRS[0]}.py").read_text(encoding="utf-8")
    changed = tmp_path / "x.py"
    changed.write_text(src + "\n# %%\nprint('an edit')\n", encoding="utf-8")
    assert _cells(changed) != _cells(NOTEBOOKS / f"{PAIRS[0]}.ipynb")
