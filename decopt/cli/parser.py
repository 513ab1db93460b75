"""The argument parser of ``decopt``; the single-run flags come from the run-options
table :data:`decopt.options.RUN_OPTIONS`."""

from __future__ import annotations

import argparse

from ..plotting import X_AXES

from .._version import __version__
from ..options import REQUIRED, RUN_OPTIONS

DEMO_OUT = "demo_out"


class _ArgumentParser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so main() controls the message and code."""

    def error(self, message):
        raise _UsageError(f"{self.prog}: {message}")


class _UsageError(Exception):
    pass


def build_parser() -> argparse.ArgumentParser:
    p = _ArgumentParser(prog="decopt", description="Decentralised optimisation over "
                        "directed graphs: studies, single runs, topologies, plots.")
    p.add_argument("--version", action="version", version=f"decopt {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_ArgumentParser)

    def common(q, out_help):
        q.add_argument("--out", metavar="DIR", help=out_help)
        q.add_argument("--quiet", action="store_true", help="no progress bars or per-run lines")
        q.add_argument("--backend", choices=("auto", "local", "mpi"), default="auto",
                       help="auto (default): MPI when launched by mpiexec with > 1 process")
        q.add_argument("--resume", action="store_true",
                       help="continue interrupted runs from their checkpoints")
        q.add_argument("--overwrite", action="store_true",
                       help="run again and replace existing results")

    d = sub.add_parser("demo", help="a small study: a table and a plot (under a minute)")
    common(d, f"where to write results and the plot (default ./{DEMO_OUT}/)")
    d.add_argument("--quick", action="store_true", help="the even smaller CI variant")

    r = sub.add_parser("run", help="run a study file, one run, or a run.json again",
                       description="decopt run STUDY.toml | --algorithm ... | --from RUN.json")
    r.add_argument("file", nargs="?", metavar="STUDY.toml",
                   help="a study file (or the name of one in experiments/)")
    common(r, "results root (default ./results/); a study writes DIR/<study>/, a single "
              "run DIR/<run name>/")
    r.add_argument("--quick", action="store_true", help="use the study's [quick] overrides")
    r.add_argument("--yes", action="store_true",
                   help="run a study with more runs than its max_runs (default 1000, "
                        "or DECOPT_MAX_RUNS) without asking")
    r.add_argument("--from", dest="from_json", metavar="RUN.json",
                   help="rerun a run exactly from its run.json")
    g = r.add_argument_group("single run")
    g.add_argument("--algorithm", help="e.g. push_pull, pull_diag_gt, frost (decopt list), "
                                       "mg_<name>, or an import path package.module:Class")
    g.add_argument("--topology", help="a spec, e.g. exp:16 or exp:{n} with --n")
    g.add_argument("--problem", help="quadratic, logistic, logistic_data, mlp "
                                     "(default logistic), or package.module:factory")
    g.add_argument("--step-size", dest="step_size", help="a number, 'NUMBER/n' or 'NUMBER*n'")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--seeds", help="comma-separated seeds, run batched (e.g. 0,1,2)")
    g.add_argument("--n", type=int, help="number of nodes (fills {n} in the spec)")
    g.add_argument("--problem-param", dest="problem_param", action="append",
                   metavar="KEY=VALUE", help="problem parameter (repeatable), e.g. dim=20")
    g.add_argument("--option", action="append", metavar="KEY=VALUE",
                   help="algorithm option (repeatable), e.g. form=cta")
    for o in RUN_OPTIONS:      # one flag per row of the run-options table that has one
        if o.flag:
            default = "" if o.default is None or o.default is REQUIRED or \
                o.name == "log_every" else f" (default {o.default})"
            g.add_argument(o.flag, dest=o.name, type=o.cli_type, default=None,
                           help=o.help + default)

    t = sub.add_parser("topology", help="effective metrics of a topology")
    t.add_argument("spec", help="e.g. exp:16, skewring:16, er:32,p=0.2,seed=1")
    t.add_argument("--json", action="store_true", help="all metrics as JSON")
    t.add_argument("--side", choices=("row", "column"), default="row",
                   help="row-stochastic A (default) or column-stochastic B")

    pl = sub.add_parser("plot", help="a figure from result directories")
    pl.add_argument("dirs", nargs="+", metavar="DIR", help="study or run directories")
    pl.add_argument("--x", choices=tuple(X_AXES), default="rounds")
    pl.add_argument("--metric", default="grad_norm",
                    help="grad_norm (default), grad_norm_pi, consensus, loss, dist, err_max")
    pl.add_argument("--out", metavar="FILE.png", help="default DIR/<metric>_vs_<x>.png")

    sub.add_parser("list", help="algorithms, problems, topology families, studies")

    v = sub.add_parser("verify", help="theory vs measurement table")
    v.add_argument("--quick", action="store_true")

    sub.add_parser("calibrate", add_help=False,
                   help="under mpiexec: measure latency, bandwidth and compute into a cost "
                        "profile (decopt calibrate --help)")
    return p
