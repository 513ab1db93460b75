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
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import math
import signal
import sys
import tomllib
from pathlib import Path

import numpy as np

EXIT_OK, EXIT_FAILED_RUNS, EXIT_BAD_INPUT = 0, 1, 2
EXIT_SIGINT, EXIT_SIGTERM = 130, 143
DEMO_OUT = "demo_out"


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like a KeyboardInterrupt so that runs checkpoint and stop cleanly."""

    signum = signal.SIGTERM


class _ArgumentParser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so main() controls the message and code."""

    def error(self, message):
        raise _UsageError(f"{self.prog}: {message}")


class _UsageError(Exception):
    pass


# ============================================================================ helpers
class _Ctx:
    """Rank, communicator and printing for one command."""

    def __init__(self, backend="auto", quiet=False):
        from .runner import _mpi_world_size
        self.size = _mpi_world_size()
        self.comm = None
        self.rank = 0
        if self.size > 1:
            if backend == "local":
                raise ValueError(f"launched with {self.size} MPI processes but --backend "
                                 f"local; use --backend mpi (or auto)")
            from mpi4py import MPI
            self.comm = MPI.COMM_WORLD
            self.rank = self.comm.Get_rank()
        self.root = self.rank == 0
        self.quiet = quiet
        self.progress = self.root and not quiet and sys.stderr.isatty()

    def print(self, *args, **kw):
        if self.root:
            print(*args, **kw)

    def echo(self, *args, **kw):
        if self.root and not self.quiet:
            print(*args, **kw)


def _repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def experiments_dir() -> Path | None:
    """``./experiments`` if it exists, else the one beside the package (a source checkout)."""
    for d in (Path.cwd() / "experiments", _repo_root() / "experiments"):
        if d.is_dir():
            return d
    return None


def _find_study_file(arg: str) -> Path:
    p = Path(arg)
    if p.exists() or p.suffix == ".toml" or "/" in arg:
        return p
    d = experiments_dir()
    if d is not None and (d / f"{arg}.toml").exists():
        return d / f"{arg}.toml"
    return p


def _parse_value(text: str):
    """A TOML value (number, boolean, string, array) or, failing that, the bare string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _key_values(items, what) -> dict:
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{what} must look like key=value, got {item!r}")
        out[key.strip()] = _parse_value(value.strip())
    return out


def _seeds(args):
    if args.seeds is not None:
        try:
            seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
        except ValueError:
            raise ValueError(f"--seeds must be a comma-separated list of integers, got "
                             f"{args.seeds!r}") from None
        if not seeds:
            raise ValueError("--seeds is empty")
        return seeds, True
    return [args.seed], False


def _fmt(v) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{v:.4g}" if (v == 0 or 1e-3 <= abs(v) < 1e5 or not math.isfinite(v)) \
            else f"{v:.3e}"
    return str(v)


# ============================================================================ run
def cmd_run(args) -> int:
    ctx = _Ctx(args.backend, args.quiet)
    if args.from_json:
        if args.file or args.algorithm:
            raise ValueError("give either --from RUN.json, a study file, or --algorithm "
                             "... for one run, not several")
        return _run_from_json(args, ctx)
    if args.file:
        single = [o for o in ("algorithm", "topology", "problem", "steps", "step_size")
                  if getattr(args, o) is not None]
        if single:
            raise ValueError(f"a study file and --{single[0].replace('_', '-')} do not go "
                             f"together; single-run options are for runs without a file")
        return _run_study_file(args, ctx)
    if args.algorithm is None:
        raise ValueError("decopt run needs a study file (decopt run experiments/NAME.toml), "
                         "--from RUN.json, or --algorithm/--topology/--steps/--step-size "
                         "for a single run")
    return _run_single(args, ctx)


def _run_study_file(args, ctx) -> int:
    from . import study as st
    path = _find_study_file(args.file)
    s = st.load_study(path, quick=args.quick)
    out = Path(args.out or "results")
    try:
        outcome = st.run_study(s, out, resume=args.resume, overwrite=args.overwrite,
                               backend=args.backend, progress=ctx.progress,
                               echo=(None if ctx.quiet else ctx.print), comm=ctx.comm)
    except st.StudyInterrupted as e:
        cmd = ["decopt", "run", str(path)] + (["--quick"] if args.quick else []) + \
            (["--out", str(args.out)] if args.out else []) + ["--resume"]
        e.message = e.message.replace("continue with --resume",
                                      "continue with: " + " ".join(cmd))
        raise
    if ctx.root:
        ctx.print(st.study_table(s, outcome.results))
        n_fail = len(outcome.failed)
        ctx.print(f"{len(outcome.ran)} run(s) done, {len(outcome.skipped)} already done, "
                  f"{n_fail} failed; summary: {outcome.summary}")
        for name in outcome.failed:
            ctx.print(f"  failed: {name}: {outcome.results[name].message}")
    return EXIT_OK   # failed (diverged) runs are results too: reported, not an error


def _single_spec(args):
    """The run of a single-run command as a one-run Study (validated like a file)."""
    from . import study as st
    seeds, batched = _seeds(args)
    missing = [f"--{o.replace('_', '-')}" for o in ("topology", "steps", "step_size")
               if getattr(args, o) is None]
    if missing:
        raise ValueError(f"a single run needs {', '.join(missing)}")
    params = _key_values(args.problem_param, "--problem-param")
    problem = {"name": "logistic" if args.problem is None else args.problem, **params}
    topo = {"spec": args.topology}
    if args.n is not None:
        if "{" not in args.topology:
            # n given for a spec without placeholder: check it agrees.
            import topologies as tp
            G = tp.from_spec(args.topology)
            nn = (G[0] if isinstance(G, list) else G).number_of_nodes()
            if nn != args.n:
                raise ValueError(f"--n {args.n} but topology {args.topology!r} has {nn} "
                                 f"nodes; write the spec with {{n}} (e.g. exp:{{n}}) or "
                                 f"drop --n")
        topo["n"] = [args.n]
    study = {"steps": args.steps, "seeds": seeds, "batch_seeds": batched,
             "noise": args.noise,
             "log_every": max(1, args.steps // 100) if args.log_every is None
             else args.log_every}
    if args.batch_size is not None:
        study["batch_size"] = args.batch_size
    if args.weights:
        topo["weights"] = args.weights
    step = _parse_value(args.step_size)
    if isinstance(step, (list, dict)):
        raise ValueError(f"--step-size must be one number, 'NUMBER/n' or 'NUMBER*n', got "
                         f"{args.step_size!r} (a study file takes lists)")
    algo = {"name": args.algorithm, "step_size": step, "rounds": args.rounds,
            "options": _key_values(args.option, "--option")}
    doc = {"study": {"name": "run", **study}, "problem": problem, "topology": topo,
           "algorithm": [algo]}
    s = st.parse_study(doc, source="decopt run")
    st.check_runs(s)
    if len(s.runs) != 1:  # pragma: no cover - guarded by the parser
        raise ValueError("a single run expanded to several runs")
    return s.runs[0]


def _run_single(args, ctx) -> int:
    from . import problems as probs
    spec = _single_spec(args)
    return _execute(spec, probs.make(spec.problem, **spec.problem_params), args, ctx)


def _execute(spec, prob, args, ctx, reference=None) -> int:
    import decopt

    from . import algorithms as algs
    from . import study as st
    out_dir = None
    if args.out and ctx.root:
        out_dir = Path(args.out) / spec.name
        st.check_writable(Path(args.out))
        if (out_dir / "run.json").exists() and not args.overwrite:
            raise ValueError(f"{out_dir} already holds a finished run; use --overwrite to "
                             f"replace it")
    ctx.echo(f"{spec.name}: {spec.steps} iterations ...")
    res = decopt.run(spec.algorithm, prob, spec.topology, backend=args.backend,
                     progress=ctx.progress, comm=ctx.comm, **spec.run_kwargs())
    if not ctx.root:
        return EXIT_OK if res.success else EXIT_FAILED_RUNS
    if out_dir is not None:
        alg = algs.make(spec.algorithm, spec.step_size, **spec.options)
        extra = {"study": {"name": None, "run": spec.name, "label": spec.label,
                           "group": None, "step_size_expr": spec.step_size_expr,
                           "config": spec.config()},
                 "backend": res.config.get("backend"),
                 "topology_metrics": st.topology_metrics(spec.topology, alg.weights,
                                                         spec.weights, spec.weight_seed)}
        if out_dir.exists():
            st._clear_run_dir(out_dir)
        res.save(out_dir, extra_meta=extra)
    ctx.print(result_table(res, spec.seeds, spec.batched))
    if reference is not None:
        ctx.print(_compare_history(reference, res))
    if out_dir is not None:
        ctx.print(f"saved to {out_dir}")
    return EXIT_OK if res.success else EXIT_FAILED_RUNS


def result_table(res, seeds, batched) -> str:
    """Final metrics of one run (one column per seed, plus the mean when batched)."""
    from .study import METRICS, format_table
    h = res.history
    headers = ["metric"] + ([f"seed={s}" for s in seeds] if batched else ["final"])
    if batched and len(seeds) > 1:
        headers.append("mean")
    rows = []
    for k in METRICS:
        if k not in h:
            continue
        v = np.atleast_1d(np.asarray(h[k][-1], dtype=float))
        row = [k] + [_fmt(float(x)) for x in v]
        if batched and len(seeds) > 1:
            row.append(_fmt(float(np.mean(v))))
        rows.append(row)
    c = res.counters
    evals = int(np.asarray(h["grad_evals"])[-1]) if "grad_evals" in h else 0
    status = "finished" if res.success and res.message == "finished" else res.message
    head = (f"{'ok' if res.success else 'FAILED'}: {status}; {res.nit} iterations, "
            f"{c.get('rounds', 0)} communication rounds, {evals} gradient evaluations per "
            f"node, {res.wall_time:.2f}s")
    return head + "\n" + format_table(headers, rows)


def _compare_history(ref, res) -> str:
    worst = 0.0
    for k, v in ref.history.items():
        if k == "time" or k not in res.history:
            continue
        a = np.asarray(v, dtype=float)
        b = np.asarray(res.history[k], dtype=float)
        if a.shape != b.shape:
            return f"reproduced: NO (history {k!r} has shape {b.shape}, stored {a.shape})"
        with np.errstate(all="ignore"):
            d = np.abs(a - b) / np.maximum(np.abs(a), 1e-300)
        d = np.where((a == b) | (np.isnan(a) & np.isnan(b)), 0.0, d)
        worst = max(worst, float(np.nanmax(d, initial=0.0)))
    return ("reproduced: identical history (time columns excepted)" if worst == 0 else
            f"reproduced: max relative difference {worst:.3g} from the stored history")


def _run_from_json(args, ctx) -> int:
    from . import problems as probs
    from .result import Result
    from .study import RunSpec, run_name
    path = Path(args.from_json)
    if path.is_dir():
        path = path / "run.json"
    try:
        doc = json.loads(path.read_text())
        cfg = doc["config"]
    except FileNotFoundError:
        raise ValueError(f"{path} does not exist") from None
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"{path} is not a decopt run.json (no 'config')") from None
    if not isinstance(cfg, dict):
        raise ValueError(f"{path} is not a decopt run.json ('config' is a "
                         f"{type(cfg).__name__}, expected a table)")
    missing = [k for k in ("algorithm", "step_size", "problem", "problem_params", "topology",
                           "seed", "steps", "rounds", "log_every", "noise", "batch_size")
               if k not in cfg]
    if missing:
        raise ValueError(f"{path} is not a complete decopt run.json (config lacks "
                         f"{', '.join(map(repr, missing))})")
    if not isinstance(cfg["problem_params"], dict):
        raise ValueError(f"{path}: config 'problem_params' must be a table, got "
                         f"{cfg['problem_params']!r}")
    if not isinstance(cfg.get("topology"), str):
        raise ValueError(f"{path}: the run's topology was not a spec string, so it cannot be "
                         f"rebuilt from the JSON")
    if cfg.get("x0") == "given":
        raise ValueError(f"{path}: the run started from a user-given x0, which run.json does "
                         f"not store")
    seeds = cfg["seed"]
    batched = isinstance(seeds, list)
    seeds = seeds if batched else [seeds]
    prob = probs.make(cfg["problem"], **cfg["problem_params"])
    st_meta = (doc.get("meta") or {}).get("study") or {}
    label = st_meta.get("label") or cfg["algorithm"]
    options = _nondefault_options(cfg["algorithm"], cfg.get("options") or {})
    spec = RunSpec(
        name=st_meta.get("run") or run_name(label, cfg["step_size"], cfg["rounds"], options,
                                            cfg["topology"], seeds, batched),
        group=None, algorithm=cfg["algorithm"], label=label, options=cfg.get("options") or {},
        step_size=cfg["step_size"], step_size_expr=str(cfg["step_size"]),
        rounds=cfg["rounds"], problem=cfg["problem"], problem_params=cfg["problem_params"],
        topology=cfg["topology"], topology_template=cfg["topology"], n=prob.n, seeds=seeds,
        batched=batched, steps=cfg["steps"], log_every=cfg["log_every"], noise=cfg["noise"],
        batch_size=cfg["batch_size"], weights=cfg.get("weights", "uniform"),
        weight_seed=cfg.get("weight_seed", 0),
        divergence=(st_meta.get("config") or {}).get("divergence", 1e8),
        checkpoint_every=max(1, cfg["steps"] // 10), metric="grad_norm")
    ref = None
    if (path.parent / "history.csv").exists():
        try:
            ref = Result.load(path.parent)
        except (ValueError, OSError):
            ref = None
    return _execute(spec, prob, args, ctx, reference=ref)


def _nondefault_options(name: str, options: dict) -> dict:
    """The options of a run.json that differ from the algorithm's defaults."""
    from . import algorithms as algs
    cls = algs.ALGORITHMS.get(algs.MG_ALIASES.get(name, name))
    if cls is None:
        return dict(options)
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    return {k: v for k, v in options.items() if defaults.get(k, object()) != v}


# ============================================================================ demo
def demo_file() -> Path:
    """The demo study shipped with the package (identical to experiments/demo.toml)."""
    return Path(__file__).resolve().parent / "data" / "demo.toml"


def cmd_demo(args) -> int:
    from . import plotting
    from . import study as st
    ctx = _Ctx(args.backend, args.quiet)
    s = st.load_study(demo_file(), quick=args.quick)
    out = Path(args.out or DEMO_OUT)
    ctx.echo(f"decopt demo: {s.description}")
    try:
        outcome = st.run_study(s, out, resume=args.resume, overwrite=args.overwrite,
                               backend=args.backend, progress=ctx.progress,
                               echo=(None if ctx.quiet else ctx.print), comm=ctx.comm)
    except st.StudyInterrupted as e:
        cmd = ["decopt", "demo"] + (["--quick"] if args.quick else []) + \
            (["--out", str(args.out)] if args.out else []) + ["--resume"]
        e.message = e.message.replace("continue with --resume",
                                      "continue with: " + " ".join(cmd))
        raise
    if not ctx.root:
        return EXIT_OK
    ctx.print()
    ctx.print(_demo_table(s, outcome.results))
    png = out / f"{s.dir_name}.png"
    plotting.plot_dirs([outcome.study_dir], png, x="rounds", metric=s.metric,
                       title=f"decopt demo: {s.runs[0].problem}, n = {s.runs[0].n}")
    ctx.print(f"\nresults: {outcome.study_dir}  (summary.csv, one directory per run)")
    ctx.print(f"plot:    {png}")
    return EXIT_OK


def _demo_table(s, results) -> str:
    from .study import format_table, topology_label
    groups: dict = {}
    for r in s.runs:
        if r.name in results:
            groups.setdefault((r.label, r.rounds, r.step_size, r.topology), []).append(
                (r, results[r.name]))
    rows = []
    for (label, R, alpha, topo), items in groups.items():
        finals, cons = [], []
        for r, res in items:
            v = np.atleast_1d(np.asarray(res.history[s.metric][-1], dtype=float))
            finals += list(v) if res.success else [np.inf]
            c = np.atleast_1d(np.asarray(res.history["consensus"][-1], dtype=float))
            cons += list(c) if res.success else [np.inf]
        ok = sum(len(r.seeds) for r, res in items if res.success)
        total = sum(len(r.seeds) for r, _ in items)
        fin = np.asarray(finals)
        val = (f"{np.exp(np.mean(np.log(fin))):.2e}" if np.isfinite(fin).all()
               else "diverged")
        name = label if R == 1 else f"{label} (R={R})"
        cm = np.asarray(cons)
        cval = f"{np.exp(np.mean(np.log(cm))):.1e}" if np.isfinite(cm).all() and \
            (cm > 0).all() else "-"
        rows.append([name, topology_label(topo), _fmt(alpha), val, cval,
                     items[0][1].counters.get("rounds", 0),
                     int(np.asarray(items[0][1].history["grad_evals"])[-1]),
                     f"{sum(res.wall_time for _, res in items):.1f}s",
                     f"{ok}/{total}"])
    note = (f"final values: geometric mean over seeds; consensus = (1/n) sum_i "
            f"||x_i - xbar||^2; " + (
                f"every run spends {s.steps} communication rounds (an iteration costs R "
                f"rounds per mixing call: Push-Pull and Pull-Diag-GT mix twice, FROST once)"
                if s.budget == "rounds" else f"every run does {s.steps} iterations"))
    return format_table(["algorithm", "topology", "alpha", "||grad f(xbar)||", "consensus",
                         "rounds", "grad evals", "time", "success"], rows,
                        align=["<", "<", ">", ">", ">", ">", ">", ">", ">"]) + "\n" + note


# ============================================================================ topology
def cmd_topology(args) -> int:
    import topologies as tp

    from .mixing import resolve
    side = args.side
    mix = resolve(args.spec, side)
    mats = mix.row if side == "row" else mix.col
    d = tp.describe(mats if len(mats) > 1 else mats[0], side=side)
    d = _jsonable(d)
    if args.json:
        print(json.dumps({"spec": args.spec, **d}, indent=2))
        return EXIT_OK
    rows = [[k, _fmt(v)] for k, v in d.items() if not isinstance(v, (list, dict))]
    if "pi" in d and isinstance(d["pi"], list):
        pi = d["pi"]
        shown = ", ".join(f"{x:.4g}" for x in pi[:6]) + (", ..." if len(pi) > 6 else "")
        rows.insert(1, ["pi", f"[{shown}]"])
    from .study import format_table
    print(f"topology {args.spec} ({side}-stochastic, uniform weights)")
    print(format_table(["metric", "value"], rows, align=["<", "<"]))
    return EXIT_OK


def _jsonable(o):
    if isinstance(o, dict):
        return {str(k): _jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_jsonable(v) for v in o]
    if isinstance(o, np.ndarray):
        return _jsonable(o.tolist())
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, (np.bool_,)):
        return bool(o)
    return o


# ============================================================================ plot
def cmd_plot(args) -> int:
    from . import plotting
    out = args.out
    if out is None:
        first = Path(args.dirs[0])
        out = first / f"{args.metric}_vs_{args.x}.png"
    title = None
    if len(args.dirs) == 1:
        title = plotting.study_title(args.dirs[0])
    path = plotting.plot_dirs(args.dirs, out, x=args.x, metric=args.metric, title=title)
    print(f"wrote {path}")
    return EXIT_OK


# ============================================================================ list
def cmd_list(args) -> int:
    import topologies as tp

    from . import algorithms as algs
    from . import problems as probs
    from .study import format_table
    print("Algorithms (decopt.run name; mg_<name> or rounds=R for multi-step gossip):")
    rows = []
    for name, cls in algs.ALGORITHMS.items():
        doc = (inspect.getdoc(cls) or "").splitlines()
        opts = [f.name for f in dataclasses.fields(cls) if f.name != "alpha"]
        rows.append([name, cls.weights, ", ".join(opts) or "-", doc[0] if doc else ""])
    print(_indent(format_table(["name", "matrices", "options", "description"], rows,
                               align=["<"] * 4)))
    print("\nProblems (decopt.problems.make(name, **params); n comes from the topology):")
    rows = []
    for name, f in probs.PROBLEMS.items():
        sig = inspect.signature(f)
        params = ", ".join(f"{p.name}={p.default!r}" for p in sig.parameters.values()
                           if p.name != "n")
        rows.append([name, params])
    print(_indent(format_table(["name", "parameters"], rows, align=["<", "<"])))
    print()
    print(tp.spec_help())
    d = experiments_dir()
    print(f"\nStudies ({d if d else 'no experiments/ directory found'}):")
    if d is not None:
        rows = []
        for f in sorted(d.glob("*.toml")):
            try:
                doc = tomllib.loads(f.read_text())
                desc = str(doc.get("study", {}).get("description", "")).strip()
                desc = " ".join(desc.split())
            except (tomllib.TOMLDecodeError, OSError, AttributeError) as e:
                desc = f"(invalid: {e})"
            rows.append([f.stem, (desc[:90] + "...") if len(desc) > 93 else desc])
        print(_indent(format_table(["study", "description"], rows, align=["<", "<"])))
    return EXIT_OK


def _indent(text, pad="  "):
    return "\n".join(pad + line for line in text.splitlines())


# ============================================================================ verify
def cmd_verify(args, rest) -> int:
    try:
        import importlib
        mod = importlib.import_module("decopt.verify")
    except ModuleNotFoundError as e:
        if e.name in ("decopt.verify",):
            print("decopt: error: decopt verify is not available yet (the module "
                  "decopt.verify is not part of this install)", file=sys.stderr)
            return EXIT_BAD_INPUT
        raise
    argv = (["--quick"] if args.quick else []) + list(rest)
    code = mod.main(argv)
    return int(code or 0)


# ============================================================================ parser
def build_parser() -> argparse.ArgumentParser:
    p = _ArgumentParser(prog="decopt", description="Decentralised optimisation over "
                        "directed graphs: studies, single runs, topologies, plots.")
    from . import __version__
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
    r.add_argument("--from", dest="from_json", metavar="RUN.json",
                   help="rerun a run exactly from its run.json")
    g = r.add_argument_group("single run")
    g.add_argument("--algorithm", help="e.g. push_pull, pull_diag_gt, frost (decopt list)")
    g.add_argument("--topology", help="a spec, e.g. exp:16 or exp:{n} with --n")
    g.add_argument("--problem", help="quadratic, logistic, logistic_data, mlp "
                                     "(default logistic)")
    g.add_argument("--steps", type=int, help="iterations")
    g.add_argument("--step-size", dest="step_size", help="a number, 'NUMBER/n' or 'NUMBER*n'")
    g.add_argument("--rounds", type=int, default=1, help="gossip rounds R (default 1)")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--seeds", help="comma-separated seeds, run batched (e.g. 0,1,2)")
    g.add_argument("--noise", type=float, default=0.0, help="gradient noise sigma")
    g.add_argument("--batch-size", dest="batch_size", type=int, help="minibatch per node")
    g.add_argument("--n", type=int, help="number of nodes (fills {n} in the spec)")
    g.add_argument("--log-every", dest="log_every", type=int)
    g.add_argument("--weights", choices=("uniform", "random"))
    g.add_argument("--problem-param", dest="problem_param", action="append",
                   metavar="KEY=VALUE", help="problem parameter (repeatable), e.g. dim=20")
    g.add_argument("--option", action="append", metavar="KEY=VALUE",
                   help="algorithm option (repeatable), e.g. form=cta")

    t = sub.add_parser("topology", help="effective metrics of a topology")
    t.add_argument("spec", help="e.g. exp:16, skewring:16, er:32,p=0.2,seed=1")
    t.add_argument("--json", action="store_true", help="all metrics as JSON")
    t.add_argument("--side", choices=("row", "column"), default="row",
                   help="row-stochastic A (default) or column-stochastic B")

    pl = sub.add_parser("plot", help="a figure from result directories")
    pl.add_argument("dirs", nargs="+", metavar="DIR", help="study or run directories")
    pl.add_argument("--x", choices=("rounds", "grad_evals", "step"), default="rounds")
    pl.add_argument("--metric", default="grad_norm",
                    help="grad_norm (default), grad_norm_pi, consensus, loss, dist, err_max")
    pl.add_argument("--out", metavar="FILE.png", help="default DIR/<metric>_vs_<x>.png")

    sub.add_parser("list", help="algorithms, problems, topology families, studies")

    v = sub.add_parser("verify", help="theory vs measurement table")
    v.add_argument("--quick", action="store_true")
    return p


def _raise_terminated(signum, frame):
    raise Terminated()


def main(argv=None) -> int:
    """Entry point; returns the exit status (see the module docstring)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        if argv and argv[0] == "verify":
            args, rest = parser.parse_known_args(argv)
        else:
            args, rest = parser.parse_args(argv), []
    except _UsageError as e:
        parser_usage = parser.format_usage().strip()
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
        print(f"decopt: {what}: {msg}", file=sys.stderr)
        return EXIT_SIGTERM if term else EXIT_SIGINT
    except (ValueError, TypeError) as e:
        print(f"decopt: error: {_one_line(e)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (BrokenPipeError,):
        return EXIT_OK
    except OSError as e:
        # disk full, permission denied, ...: earlier results are intact (every file is
        # written to a temporary name and renamed), so say what failed, no traceback
        where = f" ({e.filename})" if e.filename else ""
        print(f"decopt: error: cannot write or read results: {e.strerror or e}{where}",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        if old is not None:
            signal.signal(signal.SIGTERM, old)


def _one_line(e) -> str:
    """The first line of an error message (help text that follows it is dropped)."""
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    if not lines:
        return type(e).__name__
    msg = lines[0]
    if len(lines) > 1 and "Topology specs" in lines[1]:
        msg += " (decopt list shows the topology families)"
    return msg


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
