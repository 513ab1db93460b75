"""Studies: a grid of runs declared in TOML, run into a results directory.

A study is ``problem x topology x algorithm x step size x rounds x seed``, declared in
``experiments/<name>.toml`` and run with ``decopt run experiments/<name>.toml``. Every list
expands to a grid axis. Runs get parametrised names in the style of benchopt,

    push_pull[alpha=0.05]--exp[n=16]--seed=3
    pull_diag_gt[alpha=0.003125,R=5]--skewring[n=16]--seeds=0,1,2   (batched seeds)

and each one is written to ``<out>/<study>/<run name>/`` (``history.csv``, ``final.npz``,
``run.json``; see :class:`decopt.Result`), with ``<out>/<study>/summary.csv`` holding one
row per run and seed.

Schema
------
::

    [study]
    name = "demo"                # default: the file name without .toml
    description = "..."          # free text
    steps = 2000                 # iterations per run (required); with budget = "rounds",
                                 # communication rounds per run
    log_every = 20               # default: steps // 100 (at least 1)
    metric = "grad_norm"         # reported in tables and plots: grad_norm, grad_norm_pi,
                                 # consensus, loss, dist, err_max
    seeds = [0, 1, 2]            # an int or a list (default [0])
    batch_seeds = false          # true: all seeds in one decopt.run call (one sparse
                                 # product per mixing for all of them)
    noise = 0.0                  # sigma of additive gradient noise
    batch_size = 200             # minibatch per node (problems with samples only)
    budget = "iterations"        # or "rounds": steps, log_every and checkpoint_every
                                 # count communication rounds; a run whose iteration
                                 # costs c rounds (c = R x the algorithm's mixing calls
                                 # per iteration) does steps // c iterations, so every
                                 # run has the same communication
    checkpoint_every = 500       # default: steps // 10
    divergence = 1e8             # see decopt.run

    [problem]
    name = "logistic"            # a name of decopt.problems.PROBLEMS, or an import path
                                 # "package.module:factory" (required)
    seed = 0                     # data seed: an int, or "{seed}" for the run's seed
    dim = 10                     # ... any other keyword of the problem's constructor
                                 # except n, which comes from the topology axis;
    samples_per_node = "204800/n"  # "NUMBER/n" and "NUMBER*n" are resolved per n

    [topology]
    spec = ["exp:{n}", "skewring:{n}", "grid:{rows}x{cols}", "er:{n},p=0.33,seed={seed}"]
    n = [8, 16]                  # fills {n}; {rows}x{cols} is the squarest factorisation
                                 # of n, {seed} the run's seed
    weights = "uniform"          # or "random" (the papers' random integer weights)
    weight_seed = 0

    [[algorithm]]                # one table per algorithm (at least one)
    name = "pull_diag_gt"        # a registered name (decopt.ALGORITHMS, entry points, or
                                 # decopt.register_algorithm), mg_<name>, or an import
                                 # path "package.module:Class"
    step_size = ["0.05/n", 0.01] # numbers, or "NUMBER/n" / "NUMBER*n" (n = nodes)
    rounds = [1, 5]              # multi-step gossip rounds R (default 1)
    options = { }                # algorithm options, e.g. { form = "cta" }
    label = "pull_diag_gt"       # display name (default: name)

    [quick]                      # overrides for --quick (small enough for CI): tables
    study = { steps = 200 }      # are merged key by key, [[algorithm]] lists replaced
    topology = { n = [8] }

    [[group]]                    # optional sub-grids sharing the study's defaults:
    name = "mlp"                 # prefix of the group's run names
    problem = { name = "mlp" }   # study/problem/topology/algorithm/quick as above;
                                 # [study] keys merge, the others replace

Seeds are an axis of their own: a run's graph and data depend on the problem's and the
topology's parameters and on the seed only, never on the algorithm, so for a given seed
every algorithm sees the same graph and the same data. With ``batch_seeds = true`` the
data and graph cannot depend on ``{seed}``.

The run options (``steps``, ``noise``, ``rounds``, ``weights``, ...) are the rows of
:data:`decopt.options.RUN_OPTIONS`, each in the table its row names; options added there
are accepted here too. The package: :mod:`~decopt.study.schema` (keys, records, names),
:mod:`~decopt.study.parse` and :mod:`~decopt.study.expand` (TOML to runs),
:mod:`~decopt.study.execute` (checks, plan, execution through :mod:`decopt.resolve`),
:mod:`~decopt.study.summary` (summary.csv and text tables) and
:mod:`~decopt.study.single` (single runs and ``--from run.json``).

Parsing uses the standard library's ``tomllib`` and nothing is evaluated: step sizes
follow the tiny grammar ``NUMBER``, ``NUMBER/n`` or ``NUMBER*n``. Every mistake raises a
ValueError or TypeError naming the file and the key (with a "did you mean" suggestion for
misspelt keys and names) before anything is written.
"""


from .execute import (StudyInterrupted, StudyOutcome, check_runs, check_writable, plan,
                      run_study, topology_metrics, _clear_run_dir)
from .parse import load_study, parse_study
from .schema import (ALGORITHM_KEYS, BUDGETS, GROUP_KEYS, METRICS, PLACEHOLDERS, QUICK_KEYS,
                     STUDY_KEYS, TOP_KEYS, TOPOLOGY_KEYS, RunSpec, Study, grid_shape,
                     parse_step_size, run_name, topology_label)
from .summary import (SUMMARY_FIELDS, format_table, study_table, summary_rows, table_rows,
                      write_summary)

__all__ = ["load_study", "parse_study", "run_study", "check_runs", "plan", "Study",
           "RunSpec", "StudyOutcome", "StudyInterrupted", "summary_rows", "write_summary",
           "study_table", "table_rows", "format_table", "topology_metrics", "topology_label",
           "grid_shape", "parse_step_size", "run_name", "check_writable", "METRICS",
           "SUMMARY_FIELDS"]
