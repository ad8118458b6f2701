"""``python -m symcollapse ARGS``: the command line (:mod:`symcollapse.cli`)."""
from symcollapse.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
