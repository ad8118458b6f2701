"""The documentation site: ``sphinx-build -W`` builds it offline with no warning, every public
function and class of the package is in its API reference, the derivations are pages with
their checks marked ✓, the notebooks are rendered with their stored outputs, and the math
is typeset by a MathJax bundled into the site."""
import importlib
import inspect
import pkgutil
import posixpath
import subprocess
import sys
from pathlib import Path

import pytest

import symcollapse

ROOT = Path(__file__).resolve().parent.parent


def public_names() -> set:
    """Every public function and class defined in a module of the package (not imported
    into it), as ``module.name``."""
    names = set()
    for info in pkgutil.walk_packages(symcollapse.__path__, "symcollapse."):
        if info.name.endswith("__main__"):
            continue
        mod = importlib.import_module(info.name)
        for name, obj in vars(mod).items():
            if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if getattr(obj, "__module__", None) == info.name:
                names.add(f"{info.name}.{name}")
    return names


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    run = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                          str(ROOT / "docs"), str(out)], capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    return out


@pytest.mark.slow
def test_the_site_builds_without_warnings_and_every_public_name_is_documented(site):
    from sphinx.util.inventory import InventoryFile
    with open(site / "objects.inv", "rb") as f:
        inventory = InventoryFile.load(f, "", posixpath.join)
    documented = set()
    for kind in ("py:function", "py:class", "py:exception"):
        documented |= set(inventory.get(kind, {}))
    missing = sorted(public_names() - documented)
    assert not missing, missing[:20]
    pages = list(site.rglob("*.html"))
    assert len(pages) >= 90


@pytest.mark.slow
def test_derivations_notebooks_and_offline_math(site):
    loops = (site / "_generated" / "derivations" / "loops.html").read_text(encoding="utf-8")
    assert loops.count("✓") >= 12 and "(passed)" not in loops
    assert "symcollapse.derive.loops" in loops                     # the code that computed it
    notebook = (site / "_generated" / "notebooks" / "08_self_consuming_loops.html").read_text(
        encoding="utf-8")
    assert "1.36111111111111111111111111111" in notebook          # a stored output, not re-run
    assert (site / "_static" / "mathjax" / "tex-chtml.js").stat().st_size > 100_000
    assert 'src="../../_static/mathjax/tex-chtml.js"' in loops      # no CDN
    assert "cdn.jsdelivr" not in loops
    statement = (site / "theory" / "loops.html").read_text(encoding="utf-8")
    assert 'href="../api/generated/symcollapse.core.loops.html#module-symcollapse.core.loops"' \
        in statement                                               # the code that encodes it
