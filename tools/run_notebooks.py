"""Execute the notebooks from their sources and store the outputs.

    python tools/run_notebooks.py [NAME ...]      # e.g. 05_real_data; default: all

Each notebook's source is the Jupytext pair ``notebooks/NAME.py`` (percent format): cells
are read from it, run top to bottom in a fresh kernel (nbclient, working directory
``notebooks/``), and written to ``notebooks/NAME.ipynb`` with their outputs, which nbval
compares in the test suite.  An edit made in JupyterLab goes to both files of the pair
(Jupytext); an edit made to the ``.py`` is picked up here.  ``tests/test_notebook_sources.py``
checks that the pairs agree.
"""
import sys
import time
from pathlib import Path

import jupytext
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def run(name: str) -> float:
    source = NOTEBOOKS / f"{name}.py"
    target = NOTEBOOKS / f"{name}.ipynb"
    nb = jupytext.read(source)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    t = time.time()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    seconds = time.time() - t
    for i, cell in enumerate(nb.cells):   # stable ids, no timestamps: reviewable diffs
        cell["id"] = f"cell-{i:02d}"
        cell.get("metadata", {}).pop("execution", None)
    jupytext.write(nb, target)
    return seconds


def main(argv) -> int:
    names = argv or sorted(p.stem for p in NOTEBOOKS.glob("*.py"))
    for name in names:
        seconds = run(name)
        print(f"notebooks/{name}.ipynb: executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
