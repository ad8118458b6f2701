"""SymPy's randomized algorithms run with a fixed seed inside the toolkit, and the user's
generator is left as it was."""
import sympy as sp
from sympy.core import random as sympy_random

from symcollapse.core import determinism as sym


def test_seeded_block_draws_the_same_numbers_whatever_ran_before():
    sympy_random.rng.seed(123)
    before = sympy_random.rng.getstate()
    with sym.seeded_sympy():
        first = [sympy_random.rng.random() for _ in range(3)]
    assert sympy_random.rng.getstate() == before          # the caller's state restored
    sympy_random.rng.random()                             # the caller draws
    with sym.seeded_sympy():
        again = [sympy_random.rng.random() for _ in range(3)]
    assert first == again
    with sym.seeded_sympy(1):
        other = [sympy_random.rng.random() for _ in range(3)]
    assert other != first


def test_wrapped_functions_give_sympys_answers_and_restore_the_state():
    x, y = sp.symbols("x y")
    f = sp.expand((x + y + 1) * (x - 2 * y + 3) * (x * y - 5))
    state = sympy_random.rng.getstate()
    assert sym.factor(f) == sp.factor(f)
    assert sym.factor_list(f) == sp.factor_list(f)
    assert sym.solve(x ** 2 - 4, x) == [-2, 2]
    assert sym.simplify(sp.sin(x) ** 2 + sp.cos(x) ** 2) == 1
    sympy_random.rng.setstate(state)
    sym.factor(f)
    assert sympy_random.rng.getstate() == state


def test_an_exception_restores_the_state_too():
    state = sympy_random.rng.getstate()
    try:
        with sym.seeded_sympy():
            sympy_random.rng.random()
            raise RuntimeError("inside")
    except RuntimeError:
        pass
    assert sympy_random.rng.getstate() == state
