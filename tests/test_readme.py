"""The README's Python quickstart: every import it shows resolves, and its short calls run."""
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def _python_block() -> str:
    return re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S).group(1)


def test_every_import_of_the_quickstart_resolves():
    lines = [ln for ln in _python_block().splitlines()
             if re.match(r"(from symcollapse\S* import |import symcollapse)", ln)]
    assert len(lines) >= 6
    exec("\n".join(lines), {})


def test_the_engine_lines_of_the_quickstart_run():
    block = _python_block()
    start = block.index("# pose a model yourself")
    end = block.index("# sweeps:")
    namespace = {}
    exec("import sympy\nimport symcollapse as sc\nfrom symcollapse.core import equations as eq\n"
         'cfg = {"phi": 0.5, "p2": 0.1, "lam": 0, "sigma1": 0.5, "sigma2": 0.5, "atoms": '
         '[{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]}\n' + block[start:end], namespace)
    assert namespace["system"].unknowns
