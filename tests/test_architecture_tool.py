"""tools/architecture.py: the counts the package's layering is measured by."""
import importlib.util
from pathlib import Path

spec = importlib.util.spec_from_file_location(
    "architecture", Path(__file__).resolve().parent.parent / "tools" / "architecture.py")
arch = importlib.util.module_from_spec(spec)
spec.loader.exec_module(arch)


def test_circles_are_the_strongly_connected_components():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}, "f": {"g"}, "g": {"f"}}
    assert arch.circles(graph) == [["a", "b", "c"], ["f", "g"]]
    assert arch.circles({"a": {"b"}, "b": set()}) == []


def test_relative_imports_resolve_to_package_modules():
    assert arch._resolve("symcollapse.core.solve", False, 1, "compiled") == "symcollapse.core.compiled"
    assert arch._resolve("symcollapse.models", True, 1, "linear") == "symcollapse.models.linear"
    assert arch._resolve("symcollapse.models.linear", False, 2, "core.spec") == "symcollapse.core.spec"
    assert arch._resolve("symcollapse.models.linear", False, 1, None) == "symcollapse.models"


def test_model_comparisons_are_found_either_way_round():
    hits = [line for line in ('if spec.model == "linear":', 'if "linear" != spec.model:',
                              'model_family("linear")', 'x = spec.model')
            if arch.MODEL_COMPARISON.search(line)]
    assert hits == ['if spec.model == "linear":', 'if "linear" != spec.model:']


def test_counts_of_this_checkout_are_consistent():
    c = arch.counts()
    assert c["modules"] == len(arch.modules()) > 10
    graph, _, local = arch.imports(arch.modules())
    assert "symcollapse.core.spec" in graph["symcollapse.cli"]
    assert "symcollapse.simulation.montecarlo" in graph["symcollapse.cli"]  # inside cmd_simulate
    assert any(h.startswith("symcollapse.cli:") for h in local)
    assert all(":" in h for h in c["model =="] + c["function-level imports"])
    assert all(len(comp) > 1 for comp in c["import circles"])


def test_the_package_keeps_its_layering():
    """The layering this checkout reached stays: model dispatch only in models/, no import
    circle, no private name imported across modules, imports inside functions only where a
    command or a symbolic value needs SymPy, each model declaration short."""
    c = arch.counts()
    assert c["model =="] == [], c["model =="]
    assert c["import circles"] == [], c["import circles"]
    assert c["private cross-module imports"] == [], c["private cross-module imports"]
    assert len(c["function-level imports"]) <= 15, c["function-level imports"]
    assert all(n <= 200 for n in c["models/*.py lines"].values()), c["models/*.py lines"]
    assert {"linear.py", "random_projection.py", "random_features.py"} <= set(c["models/*.py lines"])
