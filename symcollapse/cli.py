"""The command line (docs/contract.md, "Contract: command line")::

    symcollapse predict CONFIG.json [--dps N] [--certify]
    symcollapse simulate CONFIG.json [--n N] [--trials T] [--seed S]
    symcollapse check [--out DIR] [--fast] [--only NAME,...]
    symcollapse derive [NAME] [--check] [--latex]
    symcollapse experiment NAME [--fast] [--out DIR]
    symcollapse sweep GRID.json [--out FILE] [--dps N] [--simulate] [--processes K]
                      [--scheduler tcp://host:port] [--chunk C] [--keep-going]

Exit status: 0 success; 2 bad input (config, arguments, file); 3 a regime with no finite
answer or a failed computation.  On 2 or 3 exactly one line goes to stderr, beginning
``error:``, and nothing to stdout.  :func:`main` takes ``argv`` so that tests drive it
in-process.  Heavy modules are imported only by the subcommand that needs them.
"""
from __future__ import annotations

import argparse
import importlib
import io
import json
import os
import sys
import time

from symcollapse.core.errors import ConfigError, SymcollapseError
from symcollapse.core.outputs import check_directory, check_file, make_directory, replace_file, replace_text
from symcollapse.core.spec import DEFAULT_N, DEFAULT_TRIALS, load, parse
from symcollapse.simulation.montecarlo import simulate

# The theory (SymPy) and the paper checks are imported by the commands that use them, so
# that a refused config, --help and simulate answer without loading SymPy.


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is a ConfigError (one line, exit 2)."""

    def error(self, message):
        # an option value refused by its type carries the whole line (_Refused)
        raise ConfigError(message.split(": ", 1)[1] if message.startswith("argument --")
                          and " = " in message else message)

    def exit(self, status=0, message=None):
        if status:
            raise ConfigError((message or "invalid arguments").strip())
        raise SystemExit(status)


class _Refused(argparse.ArgumentTypeError):
    """An option value out of its range; the message is the whole error line."""


def _integer(name, low, high=None):
    """An argparse type: an integer ``low <= value <= high`` (``high`` None: no bound),
    refused with a message naming the option and its range."""
    allowed = f"allowed integers {low} <= {name} <= {high}" if high is not None else \
        f"allowed integers {name} >= {low}"

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise _Refused(f"--{name} = {text!r} is not an integer: {allowed}") from None
        if value < low or (high is not None and value > high):
            raise _Refused(f"--{name} = {value} is out of range: {allowed}")
        return value
    parse.__name__ = name
    return parse


_dps = _integer("dps", 1, 10_000)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="symcollapse",
                description="Theory of strong model collapse: predict, simulate, derive.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    pr = sub.add_parser("predict", help="deterministic-equivalent test error (JSON on stdout)")
    pr.add_argument("config", metavar="CONFIG.json")
    pr.add_argument("--dps", type=_dps, default=30, help="significant digits (default 30)")
    pr.add_argument("--certify", action="store_true",
                    help="prove the fixed point (Krawczyk test, ball arithmetic) and print "
                         "intervals with their proven digits")
    si = sub.add_parser("simulate", help="Monte Carlo of the finite model (JSON on stdout)")
    si.add_argument("config", metavar="CONFIG.json")
    si.add_argument("--n", type=_integer("n", 2), default=None,
                    help=f"samples n (default: the config's n, else {DEFAULT_N})")
    si.add_argument("--trials", type=_integer("trials", 2), default=None,
                    help=f"independent draws (default: the config's trials, else {DEFAULT_TRIALS})")
    si.add_argument("--seed", type=_integer("seed", 0), default=None,
                    help="random seed (default: the config's seed, else 0)")
    ch = sub.add_parser("check", help="every claim of the paper: verdicts, figures, a report")
    ch.add_argument("--out", default="report", metavar="DIR",
                    help="directory of the report and its figures (default: report)")
    ch.add_argument("--fast", action="store_true", help="small sizes (every claim and figure still)")
    ch.add_argument("--only", default=None, metavar="NAME[,NAME...]",
                    help="run only these claims (default: all)")
    de = sub.add_parser("derive", help="print a derivation; --check: regenerate all, compare")
    de.add_argument("name", nargs="?", default=None, metavar="NAME")
    de.add_argument("--check", action="store_true",
                    help="regenerate every document of derivations/ and compare")
    de.add_argument("--latex", action="store_true",
                    help="print NAME as a standalone LaTeX document instead of Markdown")
    de.add_argument("--write", action="store_true",
                    help="regenerate every document of derivations/ and write them")
    ex = sub.add_parser("experiment", help="the real-data experiments (digits, offline)")
    ex.add_argument("name", choices=sorted(EXPERIMENTS), metavar="NAME",
                    help="n-curve (learning curves against n for several p2) or model-size "
                         "(error against the width m)")
    ex.add_argument("--fast", action="store_true", help="fewer sizes and seeds")
    ex.add_argument("--out", default=None, metavar="DIR",
                    help="also write NAME.json and NAME.png into DIR")
    sw = sub.add_parser("sweep", help="predict (or simulate) over a parameter grid, as a table")
    sw.add_argument("grid", metavar="GRID.json",
                    help='{"config": {...} or "cfg.json", "grid": {"phi": [...], ...}}')
    sw.add_argument("--out", default=None, metavar="FILE",
                    help="write the table to FILE (.csv or .parquet); default: CSV on stdout")
    sw.add_argument("--dps", type=_dps, default=None,
                    help="predict every point at N digits (default: the float64 path)")
    sw.add_argument("--simulate", action="store_true", help="Monte Carlo at every point")
    sw.add_argument("--trials", type=_integer("trials", 2), default=None)
    sw.add_argument("--seed", type=_integer("seed", 0), default=None)
    sw.add_argument("--processes", type=_integer("processes", 1, 1024), default=None,
                    help="local worker processes (default: one per core)")
    sw.add_argument("--scheduler", default=None, metavar="ADDRESS",
                    help="run on a Dask cluster, e.g. tcp://host:8786")
    sw.add_argument("--chunk", type=_integer("chunk", 1), default=None,
                    help="points per unit of work (default 4096)")
    sw.add_argument("--keep-going", action="store_true",
                    help="record failed points (status column) instead of stopping")
    return p


def _load(path):
    config = load(path)
    return config, parse(config)


def cmd_predict(args, out):
    config, _spec = _load(args.config)
    from symcollapse.core.decomposition import parts_to_strings, predict
    result = predict(config, dps=args.dps, certify=args.certify)
    out.write(json.dumps(parts_to_strings(result), indent=2) + "\n")
    return 0


def cmd_simulate(args, out):
    config, _spec = _load(args.config)
    result = simulate(config, n=args.n, trials=args.trials, seed=args.seed)
    out.write(json.dumps(result, indent=2) + "\n")
    return 0


def cmd_derive(args, out):
    from symcollapse.derive import literate as derive
    if args.check:
        return derive.check(out)
    if args.write:
        return derive.write_all(out)
    if args.name is None:
        out.write(derive.listing())
        return 0
    text = derive.render(args.name)
    out.write(derive.to_latex(text) if args.latex else text)
    return 0


def cmd_check(args, out):
    try:
        from paper_checks.runner import run_all
    except ImportError:
        raise ConfigError("check: the paper_checks package is not importable (run from a "
                          "checkout or install the project)") from None
    from paper_checks import CLAIMS
    out_dir = check_directory(args.out)
    names = None
    if args.only is not None:
        names = [x.strip() for x in args.only.split(",") if x.strip()]
        unknown = [x for x in names if x not in CLAIMS]
        if unknown or not names:
            raise ConfigError(f"--only = {args.only!r}: {', '.join(unknown) or 'no claim'} is not "
                              "a claim; allowed: " + ", ".join(CLAIMS))
    return run_all(out_dir, fast=args.fast, stdout=out, stderr=sys.stderr, names=names)


EXPERIMENTS = {"n-curve": "real_data_plateau", "model-size": "real_data_model_size"}


def cmd_experiment(args, out):
    module = EXPERIMENTS[args.name]
    if args.out is not None:
        check_directory(args.out)
    try:
        mod = importlib.import_module(f"paper_checks.{module}")
    except ImportError:
        raise ConfigError("experiment: the paper_checks package is not importable (run from "
                          "a checkout or install the project)") from None
    res = mod.evaluate(fast=args.fast)
    summary = {"experiment": args.name, "claim": mod.CLAIM, "verdict": res.verdict,
               "key": res.key, "details": res.details}
    if args.out is not None:
        make_directory(args.out)
        replace_text(os.path.join(args.out, f"{args.name}.json"),
                     json.dumps(dict(summary, data=res.data["res"]), indent=1, default=float))
        replace_file(os.path.join(args.out, f"{args.name}.png"), lambda p: mod.figure(res, p))
    out.write(json.dumps(summary, indent=1) + "\n")
    return 0


def cmd_sweep(args, out):
    from symcollapse.core.sweeps import load_grid, sweep, write_table
    if args.out is not None:
        check_file(args.out, suffixes=(".csv", ".parquet"))
        if args.out.lower().endswith(".parquet"):
            _require_pyarrow()
    kw = load_grid(args.grid)
    if args.simulate:
        kw["method"] = "simulate"
    for k in ("dps", "trials", "seed", "chunk", "processes", "scheduler"):
        v = getattr(args, k)
        if v is not None:
            kw[k] = v
    t = time.perf_counter()
    table = sweep(progress=None, keep_going=args.keep_going, **kw)
    seconds = time.perf_counter() - t
    if args.out is None:
        table.to_csv(out, index=False)
        return 0
    write_table(table, args.out)
    summary = {"out": args.out, "points": len(table), "seconds": round(seconds, 3),
               "status": {s: int(n) for s, n in table["status"].value_counts().items()}}
    out.write(json.dumps(summary) + "\n")
    return 0


def _require_pyarrow():
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise ConfigError("--out *.parquet needs pyarrow: pip install pyarrow, or write "
                          ".csv") from None


COMMANDS = {"predict": cmd_predict, "simulate": cmd_simulate, "check": cmd_check,
            "derive": cmd_derive, "sweep": cmd_sweep, "experiment": cmd_experiment}


def main(argv=None, *, stdout=None, stderr=None) -> int:
    """Run the command line; returns the exit status (never raises for bad input)."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    argv = list(sys.argv[1:] if argv is None else argv)
    buffer = io.StringIO()
    try:
        args = build_parser().parse_args(argv)
        status = COMMANDS[args.command](args, buffer)
    except SystemExit as exc:  # --help
        code = exc.code if isinstance(exc.code, int) else 0
        return code
    except SymcollapseError as exc:
        stderr.write(f"error: {_one_line(exc)}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        stderr.write("error: interrupted\n")
        return 130
    except MemoryError:
        stderr.write("error: out of memory: the problem is too large for this machine\n")
        return 3
    except Exception as exc:  # a failed computation: one line, no traceback
        if os.environ.get("SYMCOLLAPSE_DEBUG"):
            raise
        stderr.write(f"error: internal failure ({type(exc).__name__}): {_one_line(exc)}\n")
        return 3
    stdout.write(buffer.getvalue())
    stdout.flush()
    return status


def _one_line(exc) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
