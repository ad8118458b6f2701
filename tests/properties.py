"""Example counts of the property tests, per hypothesis profile.

The profiles are registered in ``tests/conftest.py``:

* ``ci`` (the default): ``derandomize=True`` — every machine draws the same examples, in
  the counts written beside each test, so a failure reproduces anywhere;
* ``explore``: fresh random draws, and every property file runs at least
  :data:`EXPLORE_PER_FILE` examples in all (``python -m pytest -p no:xdist
  --hypothesis-profile explore tests/test_pencil.py``, one file at a time; see the
  README).  A failure found there is fixed and pinned with ``@example``.
"""
import os

from hypothesis import settings

#: Examples per property file under the ``explore`` profile (``SYMCOLLAPSE_EXPLORE_PER_FILE``
#: sets another count, e.g. to split a long exploration over several runs).
EXPLORE_PER_FILE = int(os.environ.get("SYMCOLLAPSE_EXPLORE_PER_FILE", "20000"))


def exploring() -> bool:
    """Whether the ``explore`` profile is loaded."""
    return getattr(settings, "_current_profile", None) == "explore"


def examples(n: int, tests_in_file: int = 1) -> int:
    """``n`` examples in CI; under ``explore``, at least this test's share of
    :data:`EXPLORE_PER_FILE` (the file's budget split over its ``tests_in_file``
    property tests)."""
    if not exploring():
        return n
    return max(n, -(-EXPLORE_PER_FILE // tests_in_file))
