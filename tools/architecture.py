"""Architecture counts of the package (read from its source with ``ast``; nothing is imported).

    python tools/architecture.py [--json]

Prints, for ``symcollapse/``:

* ``model ==``: comparisons of a model name (``model ==`` / ``model !=``, ``.model ==``)
  outside ``symcollapse/models/`` — model dispatch belongs to the registry;
* import circles: strongly connected components (more than one module) of the graph
  "module A imports module B", imports inside functions included;
* private cross-module imports: ``from .x import _name`` and ``x._name`` on an imported
  module of the package;
* function-level imports, except those of optional heavy dependencies
  (:data:`OPTIONAL`), which are imported where they are needed;
* the line counts of ``symcollapse/models/*.py``.
"""
from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "symcollapse"
#: dependencies imported inside functions on purpose (optional or slow to import)
OPTIONAL = {"flint", "pandas", "pyarrow", "matplotlib", "dask", "distributed", "tqdm", "rich",
            "scipy", "sklearn", "torch", "jupytext", "nbformat", "nbclient", "hypothesis"}
MODEL_COMPARISON = re.compile(r"\bmodel\s*(==|!=)|(==|!=)\s*\w*\.model\b")


def modules() -> dict[str, Path]:
    """Dotted module name → file, for every module of the package."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute name of a relative import ``from {'.' * level}{name} import …``."""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def imports(mods: dict[str, Path]):
    """Per module: (imported package modules, private names imported from them, the
    function-level imports of non-optional modules)."""
    graph, private, local = {}, [], []
    for mod, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_package = path.name == "__init__.py"
        targets = set()
        aliases = {}
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom):
                src = (_resolve(mod, is_package, node.level, node.module) if node.level
                       else node.module or "")
                for a in node.names:
                    full = f"{src}.{a.name}"
                    if full in mods:               # from . import module
                        names.append(full)
                        aliases[a.asname or a.name] = full
                    else:
                        names.append(src)
                        if a.name.startswith("_") and not a.name.startswith("__") \
                                and src in mods:
                            private.append(f"{mod}: from {src} import {a.name}")
            elif isinstance(node, ast.Import):
                for a in node.names:
                    names.append(a.name)
                    if a.name in mods:
                        aliases[a.asname or a.name.split(".")[0]] = a.name
            else:
                continue
            targets.update(n for n in names if n in mods and n != mod)
        for node in ast.walk(tree):      # x._name on an imported package module
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id in aliases and node.attr.startswith("_") \
                    and not node.attr.startswith("__"):
                private.append(f"{mod}: {aliases[node.value.id]}.{node.attr}")
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Import):
                    tops = [a.name.split(".")[0] for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    tops = [(node.module or "").split(".")[0] if not node.level else "."]
                else:
                    continue
                if not all(t in OPTIONAL for t in tops):
                    local.append(f"{mod}:{node.lineno}")
        graph[mod] = targets
    return graph, sorted(set(private)), sorted(set(local))


def circles(graph: dict[str, set]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def model_comparisons(mods: dict[str, Path]) -> list[str]:
    out = []
    for mod, path in mods.items():
        if ".models." in f".{mod}.":
            continue
        for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if MODEL_COMPARISON.search(line.split("#")[0]):
                out.append(f"{mod}:{k}")
    return out


def counts() -> dict:
    mods = modules()
    graph, private, local = imports(mods)
    models_dir = PACKAGE / "models"
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines())
             for p in sorted(models_dir.glob("*.py"))} if models_dir.is_dir() else {}
    return {"modules": len(mods), "model ==": model_comparisons(mods),
            "import circles": circles(graph), "private cross-module imports": private,
            "function-level imports": local, "models/*.py lines": sizes}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="every occurrence, as JSON")
    args = ap.parse_args(argv)
    c = counts()
    if args.json:
        print(json.dumps(c, indent=1))
        return 0
    print(f"modules in symcollapse/: {c['modules']}")
    print(f"`model ==` outside models/: {len(c['model =='])}")
    print(f"import circles: {len(c['import circles'])}"
          + "".join(f"\n  {' ↔ '.join(comp)}" for comp in c["import circles"]))
    print(f"private cross-module imports: {len(c['private cross-module imports'])}")
    print(f"function-level imports (optional heavy dependencies excluded): "
          f"{len(c['function-level imports'])}")
    sizes = c["models/*.py lines"]
    print("models/*.py lines: " + (", ".join(f"{k} {v}" for k, v in sizes.items()) or "no models/"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
