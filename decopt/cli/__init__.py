"""The ``decopt`` command line (also ``python -m decopt``).

::

    decopt demo [--out DIR] [--quick]
    decopt run STUDY.toml [--quick] [--out DIR] [--resume] [--overwrite] [--quiet]
               [--backend auto|local|mpi]
    decopt run --algorithm push_pull --topology exp:16 --problem logistic --steps 3000
               --step-size 0.05 [--rounds R] [--seed 0 | --seeds 0,1,2] [--noise S]
               [--batch-size B] [--n N] [--problem-param key=value ...] [--out DIR]
    decopt run --from results/<study>/<run>/run.json [--out DIR]
    decopt topology SPEC [--json] [--side row|column]
    decopt plot DIR... [--x rounds|grad_evals|step] [--metric grad_norm] [--out FILE.png]
    decopt list
    decopt verify [--quick]

Exit status: 0 on success (a study whose runs diverged still succeeds: failed runs are
recorded and reported), 1 when a single run (``--algorithm`` or ``--from``) diverged,
2 on bad input (the one-line message goes to stderr, no traceback), 130 when interrupted
by SIGINT (143 for SIGTERM) after saving a checkpoint of the current run.

Under ``mpiexec -n P python -m mpi4py -m decopt run ...`` with P > 1 the default backend
``auto`` runs on MPI; only rank 0 writes files and prints.

The package is argument parsing (:mod:`decopt.cli.parser`) and printing
(:mod:`decopt.cli.commands`); what a command does lives in the library
(:mod:`decopt.study`, :mod:`decopt.resolve`, :mod:`decopt.plotting`, ...).
"""

from __future__ import annotations

import signal
import sys

from .commands import (DEMO_OUT, EXIT_BAD_INPUT, EXIT_FAILED_RUNS, EXIT_OK, EXIT_SIGINT,
                       EXIT_SIGTERM, cmd_demo, cmd_list, cmd_plot, cmd_run, cmd_topology,
                       cmd_verify, demo_file, experiments_dir)
from .parser import _UsageError, build_parser

__all__ = ["main", "build_parser", "demo_file", "experiments_dir", "EXIT_OK",
           "EXIT_FAILED_RUNS", "EXIT_BAD_INPUT", "EXIT_SIGINT", "EXIT_SIGTERM", "DEMO_OUT"]


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like a KeyboardInterrupt so that runs checkpoint and stop cleanly."""

    signum = signal.SIGTERM


def _raise_terminated(signum, frame):
    raise Terminated()


def main(argv=None) -> int:
    """Entry point; returns the exit status (see the module docstring)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        if argv and argv[0] == "calibrate":     # its own parser (decopt.calibrate)
            from .. import calibrate
            return calibrate.main(argv[1:])
        if argv and argv[0] == "verify":
            args, rest = parser.parse_known_args(argv)
        else:
            args, rest = parser.parse_args(argv), []
    except _UsageError as e:
        parser_usage = parser.format_usage().strip()
        if _world_rank() == 0:     # under MPI: once, not once per rank
            print(f"{parser_usage}\n{e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SystemExit as e:   # --help / --version
        return int(e.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    old = None
    try:
        old = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread
        old = None
    try:
        out = getattr(args, "out", None)
        if out is not None and not str(out).strip():
            raise ValueError(f"--out {out!r} is empty; give a directory (or file) name")
        if args.command == "run":
            return cmd_run(args)
        if args.command == "demo":
            return cmd_demo(args)
        if args.command == "topology":
            return cmd_topology(args)
        if args.command == "plot":
            return cmd_plot(args)
        if args.command == "list":
            return cmd_list(args)
        if args.command == "verify":
            return cmd_verify(args, rest)
        return EXIT_BAD_INPUT  # pragma: no cover
    except KeyboardInterrupt as e:
        term = isinstance(e, Terminated) or getattr(e, "signum", None) == signal.SIGTERM
        msg = getattr(e, "message", None) or "interrupted"
        what = "terminated (SIGTERM)" if term else "interrupted (SIGINT)"
        if msg.startswith("interrupted: "):
            msg = msg[len("interrupted: "):]
        if _world_rank() == 0:     # under MPI every rank stops; rank 0 says so, once
            print(f"decopt: {what}: {msg}", file=sys.stderr, flush=True)
        return EXIT_SIGTERM if term else EXIT_SIGINT
    except (ValueError, TypeError) as e:
        if _world_rank() == 0:     # every rank raises the same error (ranks agree first)
            print(f"decopt: error: {_one_line(e)}", file=sys.stderr, flush=True)
        return EXIT_BAD_INPUT
    except (BrokenPipeError,):
        return EXIT_OK
    except OSError as e:
        # disk full, permission denied, ...: earlier results are intact (every file is
        # written to a temporary name and renamed), so say what failed, no traceback
        where = f" ({e.filename})" if e.filename else ""
        print(f"decopt: error: cannot write or read results: {e.strerror or e}{where}",
              file=sys.stderr)   # (every rank: an OSError may be one rank's own)
        return EXIT_BAD_INPUT
    finally:
        if old is not None:
            signal.signal(signal.SIGTERM, old)


def _world_rank() -> int:
    """This process's rank in its MPI job (0 when not launched by mpiexec), read from the
    launcher's environment without importing mpi4py."""
    import os
    for var in ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return 0


def _one_line(e) -> str:
    """The first line of an error message (help text that follows it is dropped)."""
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    if not lines:
        return type(e).__name__
    msg = lines[0]
    if len(lines) > 1 and "Topology specs" in lines[1]:
        msg += " (decopt list shows the topology families)"
    return msg
