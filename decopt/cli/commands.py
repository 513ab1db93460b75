"""The commands of ``decopt``: each reads its arguments, calls the library and prints."""

from __future__ import annotations

import dataclasses
import inspect
import json
import sys
import tomllib
from pathlib import Path

from ..backends.select import default_comm, mpi_world_size
from ..formatting import fmt_short, format_table, to_jsonable
from .parser import DEMO_OUT

EXIT_OK, EXIT_FAILED_RUNS, EXIT_BAD_INPUT = 0, 1, 2
EXIT_SIGINT, EXIT_SIGTERM = 130, 143


class _Ctx:
    """Rank, communicator and printing for one command."""

    def __init__(self, backend="auto", quiet=False):
        self.size = mpi_world_size()
        self.comm = None
        self.rank = 0
        if self.size > 1:
            if backend == "local":
                raise ValueError(f"launched with {self.size} MPI processes but --backend "
                                 f"local; use --backend mpi (or auto)")
            self.comm = default_comm(backend)
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
    return Path(__file__).resolve().parent.parent.parent


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
    from .. import study as st
    path = _find_study_file(args.file)
    s = st.load_study(path, quick=args.quick)
    limit = s.run_limit()
    if len(s.runs) > limit and not getattr(args, "yes", False):
        raise ValueError(f"{path}: study {s.name!r} would make {len(s.runs)} runs, more than "
                         f"max_runs = {limit}; give --yes to run them all (or raise [study] "
                         f"max_runs or DECOPT_MAX_RUNS)")
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


def _run_single(args, ctx) -> int:
    from ..study.single import single_run_spec
    from ..study.summary import result_table
    seeds, batched = _seeds(args)
    missing = [f"--{o.replace('_', '-')}" for o in ("topology", "steps", "step_size")
               if getattr(args, o) is None]
    if missing:
        raise ValueError(f"a single run needs {', '.join(missing)}")
    step = _parse_value(args.step_size)
    if isinstance(step, (list, dict)):
        raise ValueError(f"--step-size must be one number, 'NUMBER/n' or 'NUMBER*n', got "
                         f"{args.step_size!r} (a study file takes lists)")
    from ..options import RUN_OPTIONS
    flags = {o.name: getattr(args, o.name) for o in RUN_OPTIONS
             if o.flag and o.name not in ("steps", "log_every")}
    spec = single_run_spec(
        algorithm=args.algorithm, topology=args.topology, steps=args.steps, step_size=step,
        problem=args.problem, problem_params=_key_values(args.problem_param,
                                                         "--problem-param"),
        seeds=seeds, batched=batched, n=args.n, log_every=args.log_every,
        options=_key_values(args.option, "--option"), **flags)
    return _execute(spec, args, ctx, result_table)


def _execute(spec, args, ctx, result_table, reference=None) -> int:
    from ..study.single import compare_history, run_single
    res, out_dir = run_single(spec, args.out, overwrite=args.overwrite, backend=args.backend,
                              comm=ctx.comm, progress=ctx.progress,
                              echo=None if ctx.quiet else ctx.print)
    if not ctx.root:
        return EXIT_OK if res.success else EXIT_FAILED_RUNS
    ctx.print(result_table(res, spec.seeds, spec.batched))
    if reference is not None:
        ctx.print(compare_history(reference, res))
    if out_dir is not None:
        ctx.print(f"saved to {out_dir}")
    return EXIT_OK if res.success else EXIT_FAILED_RUNS


def _run_from_json(args, ctx) -> int:
    from ..study.single import spec_from_run_json
    from ..study.summary import result_table
    spec, ref = spec_from_run_json(args.from_json)
    return _execute(spec, args, ctx, result_table, reference=ref)


# ============================================================================ demo
def demo_file() -> Path:
    """The demo study shipped with the package (identical to experiments/demo.toml)."""
    return Path(__file__).resolve().parent.parent / "data" / "demo.toml"


def cmd_demo(args) -> int:
    from .. import plotting
    from .. import study as st
    from ..study.summary import demo_table
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
    ctx.print(demo_table(s, outcome.results))
    png = out / f"{s.dir_name}.png"
    plotting.plot_dirs([outcome.study_dir], png, x="rounds", metric=s.metric,
                       title=f"decopt demo: {s.runs[0].problem}, n = {s.runs[0].n}")
    ctx.print(f"\nresults: {outcome.study_dir}  (summary.csv, one directory per run)")
    ctx.print(f"plot:    {png}")
    return EXIT_OK


# ============================================================================ topology
def cmd_topology(args) -> int:
    import topologies as tp

    from ..mixing import SERVER_PREFIX, resolve
    side = args.side
    if args.spec.startswith(SERVER_PREFIX):     # the federated star: no mixing matrix
        n = resolve(args.spec, "server").n
        note = (f"a server averaging the {n} clients exactly (federated methods, weights "
                f"= 'server'); no mixing matrix, so no effective metrics")
        if args.json:
            print(json.dumps({"spec": args.spec, "n": n, "kind": "server", "note": note},
                             indent=2))
        else:
            print(f"topology {args.spec}: {note}")
        return EXIT_OK
    mix = resolve(args.spec, side)
    note = ""
    if mix.generator is not None:   # random time-varying: one draw, not the family
        gen = mix.generator
        mats = [gen.matrix(side, 0, 0)]
        note = (f"random time-varying topology: metrics of the round-0 matrix of seed 0 "
                f"only (a fresh matrix is drawn every {gen.every} round(s))")
    else:
        mats = mix.row if side == "row" else mix.col
    d = tp.describe(mats if len(mats) > 1 else mats[0], side=side)
    d = to_jsonable(d)
    if args.json:
        print(json.dumps({"spec": args.spec, **({"note": note} if note else {}), **d},
                         indent=2))
        return EXIT_OK
    if note:
        print(note)
    rows = [[k, fmt_short(v)] for k, v in d.items() if not isinstance(v, (list, dict))]
    if "pi" in d and isinstance(d["pi"], list):
        pi = d["pi"]
        shown = ", ".join(f"{x:.4g}" for x in pi[:6]) + (", ..." if len(pi) > 6 else "")
        rows.insert(1, ["pi", f"[{shown}]"])
    print(f"topology {args.spec} ({side}-stochastic, uniform weights)")
    print(format_table(["metric", "value"], rows, align=["<", "<"]))
    return EXIT_OK


# ============================================================================ plot
def cmd_plot(args) -> int:
    from .. import plotting
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

    from .. import algorithms as algs
    from .. import problems as probs
    print("Algorithms (decopt.run name; mg_<name> or rounds=R for multi-step gossip):")
    rows = []
    for name in algs.names():
        cls = algs.ALGORITHMS[name]
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
