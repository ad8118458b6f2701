"""Pytest configuration at the project root: the checkout is importable without an
install, the module entry point is not collected as a doctest module, and the property
tests' hypothesis profiles are registered (before pytest reads ``--hypothesis-profile``).

* ``ci`` (loaded unless another is asked for): derandomized, no example database — every
  machine draws the same examples;
* ``explore``: fresh random draws, many more of them (``tests/properties.py``).
"""
try:
    from hypothesis import HealthCheck, settings
except ImportError:  # the test extra is not installed: only doctests can run
    pass
else:
    settings.register_profile("ci", derandomize=True, database=None, deadline=None,
                              print_blob=True)
    settings.register_profile("explore", derandomize=False, deadline=None, print_blob=True,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("ci")

collect_ignore = ["symcollapse/__main__.py", "tools", "benchmarks"]
# the notebooks' Jupytext sources are not modules to import (nbval runs the .ipynb)
collect_ignore_glob = ["notebooks/*.py"]
