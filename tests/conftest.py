import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The suite runs in two worker processes (pytest-xdist, one test file per worker at a time):
# each keeps BLAS to one thread, and so do the processes it starts, so that the two workers
# share the two cores instead of oversubscribing them.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["OMP_NUM_THREADS"] = os.environ["OPENBLAS_NUM_THREADS"] = "1"
    os.environ["MKL_NUM_THREADS"] = "1"
    from threadpoolctl import threadpool_limits
    threadpool_limits(1)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

ISO = {"model": "linear", "strategy": "plain", "phi": 0.25, "p2": 0.125, "lam": 0,
       "sigma1": 0.5, "sigma2": 0.5,
       "atoms": [{"weight": 1, "s1": 1, "s2": 1, "theta": 1, "delta": 2}]}

A3 = [{"weight": 0.2, "s1": 4, "s2": 0.5, "theta": 2, "delta": 0},
      {"weight": 0.3, "s1": 1, "s2": 2, "theta": 1, "delta": 1},
      {"weight": 0.5, "s1": 0.2, "s2": 1, "theta": 0.5, "delta": 3}]

#: Monte Carlo sizes.  The acceptance comparisons (theory against the finite model) run in
#: CI at about half the acceptance dimension, with the tolerance widened by the measured
#: O(1/d) finite-size bias at that size; ``SYMCOLLAPSE_FULL_SIZES=1`` runs them at the
#: acceptance sizes and tolerances (d ≥ 500 for the linear model, min(d, m) ≥ 400 for
#: projections and the mixing strategies).
FULL_SIZES = os.environ.get("SYMCOLLAPSE_FULL_SIZES") == "1"


def mc_size(full, ci):
    """``full`` with ``SYMCOLLAPSE_FULL_SIZES=1``, else ``ci``."""
    return full if FULL_SIZES else ci
