"""Derived systems kept on disk (symcollapse.core.system_cache): stored whole, read back,
keyed by the sources' digest, off on request, never a crash on a bad file or directory."""
import os
import pickle

import sympy as sp

from symcollapse.core import system_cache
from symcollapse.core.equations import System

x = sp.Symbol("x")


def _system(tag="a"):
    return System(name=f"toy/{tag}", unknowns=(x,), equations=(x - 1,), densities={"out": x})


def test_a_system_is_derived_once_and_read_back(tmp_path, monkeypatch):
    monkeypatch.setenv(system_cache.ENV, str(tmp_path))
    calls = []

    def derive():
        calls.append(1)
        return _system()

    first = system_cache.cached("toy", "plain", derive)
    second = system_cache.cached("toy", "plain", derive)
    assert calls == [1] and second.name == first.name and second.equations == first.equations
    files = list((tmp_path / "systems").iterdir())
    assert [f.name for f in files] == [f"toy-plain-{system_cache.source_digest()[:20]}.pickle"]
    assert not [f for f in files if f.name.startswith(".tmp-")]


def test_off_derives_every_time_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(system_cache.ENV, "off")
    calls = []
    for _ in range(2):
        system_cache.cached("toy", "plain", lambda: calls.append(1) or _system())
    assert calls == [1, 1] and system_cache.path_of("toy", "plain") is None


def test_an_unreadable_file_is_derived_again_and_replaced(tmp_path, monkeypatch):
    monkeypatch.setenv(system_cache.ENV, str(tmp_path))
    path = system_cache.path_of("toy", "plain")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a pickle")
    out = system_cache.cached("toy", "plain", lambda: _system("fresh"))
    assert out.name == "toy/fresh"
    assert system_cache.cached("toy", "plain", lambda: _system("other")).name == "toy/fresh"


def test_a_directory_that_cannot_be_written_leaves_the_cache_off(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("mine")
    monkeypatch.setenv(system_cache.ENV, str(blocker))      # a file where a directory should be
    assert system_cache.cached("toy", "plain", lambda: _system()).name == "toy/a"
    assert blocker.read_text() == "mine"


def test_the_default_directory_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv(system_cache.ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert system_cache.directory() == tmp_path / "symcollapse"
    assert os.fspath(system_cache.path_of("m", "s")).startswith(os.fspath(tmp_path))


def test_a_large_system_is_compiled_once_per_machine(tmp_path, monkeypatch):
    """A large system's Compiled (its Jacobian) and lambdified code are stored under a digest
    of its content and read back by a fresh compile: same values, no new file; a stored
    file that cannot be read is rebuilt; a small system is compiled afresh (nothing stored)."""
    import mpmath as mp
    import numpy as np

    from symcollapse.core import codegen, compiled
    from symcollapse.core.compiled import atoms_float, atoms_mp, compile_system, to_mpf
    from symcollapse.pencil import random_features as rfm
    monkeypatch.setenv(system_cache.ENV, str(tmp_path))
    system = rfm.system("weighted")
    key = codegen.content_key(system)
    assert key is not None and codegen.content_key(_system()) is None
    cfg = {"model": "random_features", "activation": "relu", "strategy": "weighted", "alpha": 0.3,
           "phi": 0.5, "psi": 0.7, "p2": 0.2, "lam": 0.1, "sigma1": 0.5, "sigma2": 0.5,
           "atoms": [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 1}]}
    params = {s: to_mpf(v) for s, v in rfm.parameters(rfm.parse(cfg)).items()}
    spec_atoms = rfm.parse(cfg).atoms

    def evaluate():
        compile_system.cache_clear()
        codegen._shared_cse.cache_clear()
        c = compile_system(system)
        x = [mp.mpf(1) / (i + 2) for i in range(len(c.unknowns))]
        p = [params[s] for s in c.params]
        F, J = c.residual_jacobian_mp(x, p, atoms_mp(spec_atoms))
        Fn = c.residual_np(np.array([[float(v) for v in x]]), np.array([[float(v) for v in p]]),
                           atoms_float(spec_atoms))
        return [float(v) for v in F] + [float(v) for v in J] + list(Fn.ravel())

    rfm._derived.cache_clear()
    sp.core.cache.clear_cache()
    again = rfm.system("weighted")          # derived afresh: other objects, the same trees
    assert again is not system and codegen.content_key(again) == key
    assert codegen.content_key(pickle.loads(pickle.dumps(system))) == key

    first = evaluate()
    stored = sorted(f.name for f in (tmp_path / "compiled").iterdir())
    assert any(name.startswith(key[:40]) for name in stored) and len(stored) > 2
    assert evaluate() == first and sorted(f.name for f in (tmp_path / "compiled").iterdir()) == stored
    for f in (tmp_path / "compiled").iterdir():
        f.write_bytes(b"not a pickle")
    assert evaluate() == first
    compiled.compile_system.cache_clear()


_CONCURRENT = """
import sys, time
from symcollapse.core import system_cache
log = sys.argv[1]

def build():
    with open(log, "a") as f:
        f.write("derived\\n")
    time.sleep(1.5)           # long enough for the other process to ask meanwhile
    return [1, 2, 3]

print(system_cache.cached_by_key("toy", "k" * 40, build))
"""


def test_two_processes_asking_at_once_derive_once(tmp_path):
    """The second process waits on the lock while the first derives, then reads its file."""
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=str(root), **{system_cache.ENV: str(tmp_path / "c")})
    log = tmp_path / "log"
    procs = [subprocess.Popen([sys.executable, "-c", _CONCURRENT, str(log)], env=env,
                              stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0] and outs == ["[1, 2, 3]\n"] * 2
    assert log.read_text() == "derived\n"
    assert [f.name for f in (tmp_path / "c" / "locks").iterdir()] == [
        f"toy-{'k' * 40}-{system_cache.source_digest()[:20]}.lock"]


def _per_sample_toy():
    """Two unknowns, a trace over the atoms, the per-sample weights c_j and p2."""
    import sympy as sp

    from symcollapse.core import equations as eq
    from symcollapse.pencil import rf_support
    c1, c2 = rf_support.SAMPLE_WEIGHTS
    u, v = sp.symbols("u v", positive=True)
    K = c1 * (1 - eq.p2) * u * eq.S1 + c2 * eq.p2 * v * eq.S2 + eq.lam
    eqs = (u - 1 / (1 + eq.phi * eq.tr(eq.S1 / K)), v - 1 / (1 + eq.phi * eq.tr(eq.S2 / K)) ** 2)
    return System(name="toy/per-sample", unknowns=(u, v), equations=eqs,
                  densities={"out": eq.THETA * eq.S1 / K}, positive=(u, v),
                  guess={u: 1, v: 1})


def test_a_substituted_system_takes_its_parents_jacobian(monkeypatch):
    """Each strategy's system names the per-sample system as its parent: the parent's
    Jacobian is derived once and substituted, and equals the strategy's own Jacobian
    (random points, 1e-12); a parent that does not give the equations is not used."""
    import dataclasses

    import numpy as np

    from symcollapse.core import compiled
    from symcollapse.core.compiled import Compiled, atoms_float
    from symcollapse.pencil import rf_support
    base = _per_sample_toy()
    calls = []
    real = compiled.jacobian
    monkeypatch.setattr(compiled, "jacobian", lambda *a, **k: calls.append(1) or real(*a, **k))
    compiled.base_jacobian.cache_clear()
    from symcollapse.core.spec import Atom
    atoms = atoms_float([Atom(0.5, 1.5, 0.5, 1, 0.5), Atom(0.5, 0.5, 2.0, 2, 1)])
    rng = np.random.default_rng(0)
    for strategy in ("plain", "weighted"):
        child = rf_support.at_sample_weights(base, strategy)
        via_parent = Compiled(child)
        direct = Compiled(dataclasses.replace(child, parent=()))
        assert via_parent.params == direct.params and via_parent.arguments == direct.arguments
        x = rng.uniform(0.2, 2, (5, 2))
        p = rng.uniform(0.1, 0.9, (5, len(direct.params)))
        J1 = via_parent.residual_jacobian_np(x, p, atoms)[1]
        J2 = direct.residual_jacobian_np(x, p, atoms)[1]
        assert np.allclose(J1, J2, rtol=1e-12, atol=0)
    assert len(calls) == 3        # the parent once, each strategy once on its own
    wrong = dataclasses.replace(rf_support.at_sample_weights(base, "plain"),
                                parent=(base, rf_support.sample_weights("weighted")))
    calls.clear()
    Compiled(wrong)
    assert calls == [1]           # the claim does not hold: differentiated on its own


def test_forward_differentiation_gives_the_jacobian_of_diff():
    """The forward-mode Jacobian (large systems) equals SymPy's ``diff`` entry by entry at
    random points (1e-25 at 30 digits): sums, products, powers with symbolic exponents free
    of the unknowns, a square root, an exponential in an unknown, traces inside traces."""
    import random

    import sympy as sp

    from symcollapse.core import equations as eq
    from symcollapse.core.compiled import gradients, jacobian
    u, v, w = sp.symbols("u v w", positive=True)
    K = u * eq.S1 + v ** 2 * eq.S2 + eq.lam
    inner = eq.tr(eq.S1 / (K + w * eq.tr(eq.S2 / K)))
    eqs = [u - 1 / (1 + eq.phi * inner) + sp.sqrt(v * w) * eq.p2 ** eq.phi,
           v * sp.exp(-u * w) - eq.tr(eq.THETA * eq.S1 / K ** 2) * (u + v) ** 3,
           w ** eq.lam - u * v * w + eq.tr(eq.DELTA / K) ** 2]
    forward = jacobian(eqs, [u, v, w], forward=True)
    plain = jacobian(eqs, [u, v, w])
    random.seed(5)
    point = {s: sp.Float(random.uniform(0.2, 1.5), 40) for s in
             (u, v, w, eq.lam, eq.phi, eq.p2, *eq.ATOM)}

    def value(e):
        return sp.N(e.replace(eq.tr, lambda f: f).xreplace(point), 30)
    for a, b in zip(forward, plain):
        assert abs(value(a) - value(b)) <= 1e-25 * (1 + abs(value(b)))
    g = gradients([u * v ** 2 + sp.sin(w)], [u, w])
    assert g == [{u: v ** 2, w: sp.cos(w)}]
