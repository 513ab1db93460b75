"""Bad input, tried systematically (hypothesis): the public API and the CLI must answer
every malformed matrix, graph, parameter, spec string, data file and study file with a
ValueError or TypeError that names the bad value (CLI: exit status 2 and one line on
stderr), never another exception from deep inside numpy, a hang, or a silent wrong answer.

Each generated input is counted (``conftest.count``); the totals are printed in the
terminal summary. Sizes are kept tiny, so the whole file runs in well under a minute.
"""

from __future__ import annotations

import json
import math
import string

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import decopt
import topologies as tp

from _robust_helpers import count, run_cli

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])
#: for the tests drawing from pools of fixed bad values: enough to hit most of each pool
MANY = settings(SETTINGS, max_examples=200)
ALGOS = ["dsgd", "gt", "exact_diffusion", "sgp", "push_diging", "frost", "pull_diag_gd",
         "pull_diag_gt", "push_pull", "ab"]
ROW_ALGOS = ["frost", "pull_diag_gd", "pull_diag_gt"]
COL_ALGOS = ["sgp", "push_diging"]


def rejects(fn):
    """Call ``fn``; it must raise ValueError or TypeError (anything else propagates and
    fails the test). Returns the message."""
    with pytest.raises((ValueError, TypeError)) as info:
        fn()
    return str(info.value)


def run4(topology, algorithm="pull_diag_gt", n=None, **kw):
    n = n if n is not None else 4
    prob = decopt.problems.quadratic(n=n, dim=2, seed=0)
    args = dict(steps=3, step_size=0.01, log_every=1)
    args.update(kw)
    return decopt.run(algorithm, prob, topology, **args)


# ============================================================================ matrices
def _stochastic(rng, n, side="row"):
    M = rng.uniform(0.1, 1.0, (n, n))
    return M / M.sum(axis=1, keepdims=True) if side == "row" else M / M.sum(axis=0)


@st.composite
def bad_matrices(draw):
    """(kind, matrix, substring the message must contain)."""
    kind = draw(st.sampled_from(["nonsquare", "negative", "nan", "inf", "rowsum", "colsum",
                                 "dtype", "complex", "empty", "ndim", "reducible",
                                 "sparse_nan"]))
    n = draw(st.integers(2, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    M = _stochastic(rng, n)
    if kind == "nonsquare":
        r, c = draw(st.tuples(st.integers(1, 5), st.integers(1, 5)).filter(
            lambda t: t[0] != t[1]))
        return kind, np.full((r, c), 1.0 / c), f"{r} x {c}"
    if kind == "negative":
        i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        v = -draw(st.floats(1e-3, 1e3))
        M[i, j] = v
        return kind, M, "expected >= 0"
    if kind in ("nan", "inf", "sparse_nan"):
        i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        M[i, j] = {"inf": draw(st.sampled_from([np.inf, -np.inf]))}.get(kind, np.nan)
        return kind, (sp.csr_array(M) if kind == "sparse_nan" else M), f"({i}, {j})"
    if kind == "rowsum":   # every algorithm needs some stochasticity: scale all sums off 1
        scale = draw(st.sampled_from([0.5, 0.9, 1.1, 3.0, 1e6]))
        return kind, _stochastic(rng, n) * scale, "sums to"
    if kind == "colsum":
        scale = draw(st.sampled_from([0.5, 1.5]))
        return kind, _stochastic(rng, n, "column") * scale, "sums to"
    if kind == "dtype":
        bad = draw(st.sampled_from([np.array([["a"] * n] * n), np.full((n, n), None),
                                    np.array([[{}] * n] * n, dtype=object)]))
        return kind, bad, "dtype"
    if kind == "complex":
        return kind, M.astype(complex) * (1 + 1j), "complex"
    if kind == "empty":
        bad = draw(st.sampled_from([np.zeros((0, 0)), np.zeros((0, 3)), np.zeros((3, 0)),
                                    np.zeros(0), sp.csr_array((0, 0))]))
        return kind, bad, ""
    if kind == "ndim":
        bad = draw(st.sampled_from([np.ones((n, n, 2)) / n, np.ones(n) / n, np.float64(1.0)]))
        return kind, bad, ""
    # reducible: block diagonal of two stochastic blocks (stochastic on every side
    # possible, but information never crosses between the blocks)
    k = draw(st.integers(1, n - 1))
    B = sp.block_diag([np.eye(k), np.eye(n - k)]).toarray() if draw(st.booleans()) else \
        sp.block_diag([_stochastic(rng, k) * 0 + 1.0 / k, np.full((n - k, n - k),
                                                                  1.0 / (n - k))]).toarray()
    return kind, B, "not strongly connected"


@SETTINGS
@given(bad=bad_matrices(), algorithm=st.sampled_from(ALGOS))
def test_malformed_matrices_rejected_by_run(bad, algorithm):
    kind, M, needle = bad
    count(f"matrix: {kind}")
    n = M.shape[0] if hasattr(M, "shape") and len(M.shape) >= 1 and M.shape[0] else 4
    msg = rejects(lambda: run4(M, algorithm, n=n))
    if kind == "colsum" and algorithm in ROW_ALGOS + ["dsgd", "gt", "exact_diffusion"]:
        needle = ""      # its rows may sum to 1 by accident of the draw; any message
    if algorithm == "exact_diffusion" and kind == "reducible":
        needle = ""      # may first be rejected as not symmetric
    assert needle in msg, (kind, msg)


@SETTINGS
@given(bad=bad_matrices())
def test_malformed_matrices_rejected_by_topologies(bad):
    kind, M, needle = bad
    count(f"matrix (topologies): {kind}")
    side = "column" if kind == "colsum" else "row"
    if kind != "reducible":
        msg = rejects(lambda: tp.check_stochastic(M, side=side))
        assert needle in msg, (kind, msg)
    else:  # stochastic, so describe works and must say it is not strongly connected
        assert tp.describe(M)["strongly_connected"] is False
        msg = rejects(lambda: tp.kappa(M))
        assert needle in msg


@SETTINGS
@given(atol=st.sampled_from([math.nan, -1.0, -math.inf, "1e-3", None, [1e-3]]))
def test_check_stochastic_tolerance_validated(atol):
    """Regression: atol=nan accepted every matrix (comparisons with NaN are False)."""
    count("matrix: bad atol")
    msg = rejects(lambda: tp.check_stochastic(np.ones((3, 3)), atol=atol))
    assert "atol" in msg


# ============================================================================ graphs
@st.composite
def disconnected_digraphs(draw):
    n = draw(st.integers(2, 6))
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                          max_size=3 * n))
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    G.add_edges_from(edges)
    assume(not nx.is_strongly_connected(G))
    return G


@SETTINGS
@given(G=disconnected_digraphs(), algorithm=st.sampled_from(ALGOS),
       period=st.integers(1, 3))
def test_not_strongly_connected_digraphs_rejected(G, algorithm, period):
    """Regression: column-stochastic methods (sgp, push_diging) and time-varying lists
    ran on disconnected graphs and returned an answer that ignored the missing links."""
    count("graph: not strongly connected")
    if algorithm in ("dsgd", "gt", "exact_diffusion"):   # need an undirected graph
        G = G.to_undirected().to_directed()
        assume(not nx.is_strongly_connected(G))
    topo = G if period == 1 else [G] * period
    msg = rejects(lambda: run4(topo, algorithm, n=G.number_of_nodes()))
    assert "not strongly connected" in msg


def test_time_varying_period_connected_only_as_a_union_is_accepted():
    count("graph: one-peer exponential (valid)")
    res = run4("onepeer:8", "gt", n=8)
    assert res.success


@pytest.mark.parametrize("topology", [nx.DiGraph(), [], (), {}, None, 3, "x", [None],
                                      nx.DiGraph([("a", "b"), ("b", "a")])])
def test_empty_and_odd_topologies(topology):
    count("graph: empty/odd object")
    rejects(lambda: run4(topology))


@pytest.mark.parametrize("algorithm", ALGOS)
def test_single_node_runs_everywhere(algorithm):
    """n = 1: no division by zero, no hang, the exact minimiser for exact methods."""
    count("graph: n = 1")
    prob = decopt.problems.quadratic(n=1, dim=3, seed=0)
    for topo in ("exp:1", np.ones((1, 1)), nx.complete_graph(1, nx.DiGraph)):
        res = decopt.run(algorithm, prob, topo, steps=200, step_size=0.5, log_every=50)
        assert res.success and np.isfinite(res.x).all()
        if algorithm not in ("dsgd", "sgp"):
            np.testing.assert_allclose(res.x[0], prob.x_star, atol=1e-8)


# ============================================================================ parameters
HUGE = 2**70
BAD_VALUES = {
    "steps": [-1, -HUGE, HUGE, 2.0, 1.5, math.nan, "5", None, True, [5]],
    "step_size": [0, -0.1, math.nan, math.inf, -math.inf, "0.1", None, True, [0.1], 1j],
    "rounds": [0, -1, HUGE, 2.0, math.nan, "2", None, False],
    "noise": [-1e-9, -1, math.nan, math.inf, "0.1", None, [0.0]],
    "log_every": [0, -5, HUGE, 1.5, "10", None],
    "batch_size": [0, -1, HUGE, 2.5, "4", True],
    "seed": [-1, 1.5, math.nan, "0", None, [], [1, "a"], [-1], {}],
    "divergence": [0, -1.0, math.nan, "1e8", None, [1e8]],
    "checkpoint_every": [0, -1, 1.5, "10"],
    "backend": ["gpu", 3, None, ["local"]],
    "weights": ["metropolis", None, 3, ["uniform"]],
    "options": [[1], "form=cta", {"zz": 1}, {"form": "zz"}, 3],
    "x0": [np.full(2, np.nan), np.full((4, 2), np.inf), np.zeros(3), np.zeros((3, 2)),
           "abc", [[1.0], [1.0, 2.0]], np.ones(2) * 1j, np.zeros((2, 4, 2))],
    "callback": [3, "print"],
    "checkpoint": [3, ["a.npz"], "/nonexistent-dir/sub/ck.npz"],
}
NAME_IN_MESSAGE = {"seed", "steps", "step_size", "rounds", "noise", "log_every",
                   "batch_size", "divergence", "checkpoint_every", "backend", "weights",
                   "x0", "callback", "checkpoint"}


@MANY
@given(data=st.data(), param=st.sampled_from(sorted(BAD_VALUES)),
       algorithm=st.sampled_from(["push_pull", "pull_diag_gt", "gt"]))
def test_bad_run_parameters_name_the_parameter(data, param, algorithm):
    value = data.draw(st.sampled_from(BAD_VALUES[param]), label=param)
    count(f"run(): bad {param}")
    prob = decopt.problems.logistic(n=4, dim=2, samples_per_node=5, seed=0)
    kw = dict(steps=3, step_size=0.05, log_every=1, batch_size=2)
    kw[param] = value
    msg = rejects(lambda: decopt.run(algorithm, prob, "exp:4", **kw))
    if param in NAME_IN_MESSAGE:
        assert param in msg, msg
    elif param == "options":     # "options must be a dict", or the bad option's name
        assert "option" in msg or any(k in msg for k in getattr(value, "keys", list)())


@SETTINGS
@given(algorithm=st.sampled_from([3, None, "", "zz", "mg_zz", b"gt", ["gt"]]),
       problem=st.sampled_from([None, 3, "zz", "", object(), [1]]))
def test_bad_algorithm_and_problem_objects(algorithm, problem):
    """Regression: a problem that is neither a Problem nor a name raised AttributeError."""
    count("run(): bad algorithm/problem object")
    rejects(lambda: decopt.run(algorithm, decopt.problems.quadratic(n=4), "exp:4", steps=2,
                               step_size=0.1))
    msg = rejects(lambda: decopt.run("gt", problem, "exp:4", steps=2, step_size=0.1))
    assert "problem" in msg


PROBLEM_BAD = {
    "quadratic": {"n": [0, -1, 2.5, "4", HUGE], "dim": [0, -2, HUGE, 2**40, math.nan],
                  "heterogeneity": [math.nan, math.inf, -1.0, "1"],
                  "condition": [0.5, math.nan, math.inf, -1], "seed": [-1, 1.5, "0"]},
    "logistic": {"samples_per_node": [0, -1, HUGE, 2**50], "dim": [0, 2**50],
                 "rho": [math.nan, -0.1, math.inf], "heterogeneity": [-1, math.nan],
                 "seed": [-3, None]},
    "logistic_data": {"data": [3, "/nonexistent.libsvm", "", None], "n": [0, 10**6],
                      "split": ["zz", 3], "rho": [math.nan]},
    "mlp": {"hidden": [0, -1, HUGE], "n": [0, 10**6], "data": ["/nonexistent.npz", 5]},
}


@MANY
@given(data=st.data(), name=st.sampled_from(sorted(PROBLEM_BAD)))
def test_bad_problem_parameters(data, name):
    key = data.draw(st.sampled_from(sorted(PROBLEM_BAD[name])))
    value = data.draw(st.sampled_from(PROBLEM_BAD[name][key]))
    count(f"problem: bad {key}")
    kw = {"n": 4, key: value}
    msg = rejects(lambda: decopt.problems.make(name, **kw))
    assert key in msg, msg


@SETTINGS
@given(values=st.lists(st.sampled_from([math.nan, math.inf, -math.inf]), min_size=1,
                       max_size=3), where=st.integers(0, 7))
def test_nan_data_files_rejected(tmp_path_factory, values, where):
    """A LIBSVM file with NaN/inf features is refused when loaded, naming the problem."""
    count("data: NaN/inf in a LIBSVM file")
    d = tmp_path_factory.mktemp("nan")
    lines = [f"{(-1) ** i} 1:{0.5 + i} 2:{i}" for i in range(8)]
    for k, v in enumerate(values):
        lines[(where + k) % 8] = f"1 1:{v} 2:1"
    f = d / "bad.libsvm"
    f.write_text("\n".join(lines) + "\n")
    msg = rejects(lambda: decopt.problems.logistic_data(n=2, data=str(f)))
    assert "non-finite" in msg or "nan" in msg.lower() or "inf" in msg.lower(), msg


def test_nan_points_in_problem_methods():
    count("problem methods: NaN / bad shapes", 5)
    q = decopt.problems.quadratic(n=4, dim=2)
    for call in (lambda: q.grad(0, np.full(2, np.nan)), lambda: q.loss([np.inf, 0.0]),
                 lambda: q.grad(9, np.zeros(2)), lambda: q.grad(0, np.zeros(3)),
                 lambda: q.full_grad(object())):
        rejects(call)


# ============================================================================ specs
FAMILY_TOKENS = list(tp.FAMILIES) + ["", "EXP", "exponential", "zz", "exp ", ":", "grid:",
                                     "er=", "ring,"]
VALUE_TOKENS = ["0", "-1", "1", "2", "3", "4", "1.5", "nan", "inf", "-inf", "1e400", "",
                " ", "abc", "4x", "x4", "2x2", "0x3", "3x0", "99999999999999999999",
                "20000000", "p=0", "p=1.5", "p=nan", "p=0.5", "k=0", "k=1", "k=9",
                "seed=-1", "seed=1.5", "seed=1", "radius=0", "radius=-1", "radius=100",
                "side=0", "n=3", "n=", "=3", "zz=1", "{n}", "{", "}", ",", "==", "\x00",
                "é"]


@st.composite
def spec_strings(draw):
    if draw(st.integers(0, 4)) == 0:    # free text without digits: never a big graph
        return draw(st.text(alphabet=string.ascii_letters + ":,=x.{} -", max_size=12))
    fam = draw(st.sampled_from(FAMILY_TOKENS))
    vals = draw(st.lists(st.sampled_from(VALUE_TOKENS), max_size=4))
    return fam + (":" + ",".join(vals) if vals or draw(st.booleans()) else "")


@settings(SETTINGS, max_examples=150)
@given(spec=spec_strings())
def test_spec_strings_never_crash(spec):
    """Every spec string gives a small graph whose canonical spec rebuilds it, or a
    ValueError/TypeError that quotes the spec; never another exception or a hang."""
    count("spec string")
    try:
        G = tp.from_spec(spec)
    except (ValueError, TypeError) as e:
        assert repr(spec) in str(e) or "spec" in str(e)
        return
    Gs = G if isinstance(G, list) else [G]
    assert Gs[0].number_of_nodes() <= 16
    canon = Gs[0].graph.get("spec")
    if canon is not None:
        H = tp.from_spec(canon)
        assert sorted(H.edges) == sorted(Gs[0].edges)


@SETTINGS
@given(n=st.sampled_from([0, -1, HUGE, 10**7 + 1, 10**12, 1.5, "4", None, True]),
       family=st.sampled_from(["exponential", "directed_ring", "undirected_ring",
                               "ring_with_chords", "skewed_ring", "skewed_chain", "star",
                               "complete", "one_peer_exponential"]))
def test_family_sizes(n, family):
    """Regression: n = 10**12 raised MemoryError from deep inside numpy."""
    count("family: bad n")
    msg = rejects(lambda: getattr(tp, family)(n))
    assert "n" in msg


def test_grid_size_guard():
    count("family: huge grid", 2)
    assert "rows x cols" in rejects(lambda: tp.grid(10**7, 10**7))
    assert "rows x cols" in rejects(lambda: tp.torus(10**4, 10**4))


# ============================================================================ CLI
BASE_ARGV = ["run", "--algorithm", "push_pull", "--topology", "exp:4", "--problem",
             "logistic", "--problem-param", "samples_per_node=5", "--problem-param",
             "dim=2", "--steps", "3", "--step-size", "0.05", "--quiet"]
CLI_BAD = {
    "--steps": ["-1", "abc", "1e3", "", str(HUGE), "nan"],
    "--step-size": ["nan", "-1", "inf", "abc", "1e400", "0", "true", "[0.1]", "{a=1}",
                    "0.1/m", "/n"],
    "--rounds": ["0", "-2", "x", str(HUGE)],
    "--seed": ["-1", "1.5", "x"],
    "--seeds": ["1,a", ",", "1,1", "0,-1", "", "1;2"],
    "--noise": ["nan", "-1", "inf", "x"],
    "--batch-size": ["0", "-3", "x", str(HUGE)],
    "--n": ["0", "-4", "x", "5"],
    "--log-every": ["-1", "x", str(HUGE)],
    "--weights": ["zz", ""],
    "--topology": ["exp:0", "zz:4", "", "exp:", "exp:{", "exp:{zz}", "exp:{n}", "er:4,p=0",
                   "grid:0x4", "exp:99999999999999999999", "ring:4,4", "exp:4,seed=1"],
    "--problem": ["zz", "Quadratic"],
    "--algorithm": ["zz", "", "mg_gt", "PUSH_PULL"],
    "--problem-param": ["dim=0", "dim=nan", "dim", "zz=1", "dim=1e400", "n=3",
                        "dim=[1,2]", "seed=-1", "rho=inf", "=1", "samples_per_node=0"],
    "--option": ["zz=1", "form=zz", "form", "=1"],
    "--out": ["/proc/decopt-x", "/dev/null/x"],
}
# a value the parser treats as valid (kept in the pools on purpose: must still not crash)
CLI_MAY_PASS = {("--n", "5"), ("--problem-param", "seed=-1")}


def _replace(argv, opt, value):
    argv = list(argv)
    if opt in argv and opt not in ("--problem-param", "--option"):
        argv[argv.index(opt) + 1] = value
    else:
        argv += [opt, value]
    return argv


def assert_clean_failure(rc, err, allow=(2,)):
    assert rc in allow, (rc, err)
    assert "Traceback" not in err
    if rc == 2:
        lines = [ln for ln in err.strip().splitlines() if ln.strip()]
        # argparse usage errors print the usage line first, then the message
        assert 1 <= len(lines) <= (2 if lines[0].startswith("usage:") else 1), err
        assert lines[-1].startswith("decopt"), err


@MANY
@given(data=st.data(), opt=st.sampled_from(sorted(CLI_BAD)))
def test_cli_bad_single_run_arguments(data, opt, cli, tmp_path_factory):
    value = data.draw(st.sampled_from(CLI_BAD[opt]), label=opt)
    count(f"CLI: bad {opt}")
    argv = _replace(BASE_ARGV, opt, value)
    if opt != "--out":
        argv += ["--out", str(tmp_path_factory.mktemp("cli"))]
    rc, out, err = cli(*argv)
    assert_clean_failure(rc, err, allow=(0, 1, 2) if (opt, value) in CLI_MAY_PASS else (2,))
    if rc == 2 and value.strip() and opt not in ("--out",) and len(value) < 30:
        # the message names the offending value (or, for argparse, the option)
        last = err.strip().splitlines()[-1]
        names = {value, value.split("=")[0], opt, opt.lstrip("-"),
                 opt.lstrip("-").replace("-", "_")}
        if "x" in value and opt == "--topology":
            names.add("rows")
        assert any(s and s in last for s in names) or "seed" in last or "{" in value, last


@pytest.mark.parametrize("opt,value", [("--log-every", "0"), ("--problem", ""),
                                       ("--step-size", "[0.1, 0.2]")])
def test_cli_falsy_values_not_replaced_by_defaults(opt, value, cli, tmp_path):
    """Regression: ``--log-every 0`` and ``--problem ''`` were silently replaced by the
    defaults (``args.x or default``) and the run went ahead; ``--step-size [0.1, 0.2]``
    said "a single run expanded to several runs": exit 2 naming the option."""
    count("CLI: falsy value")
    rc, out, err = cli(*_replace(BASE_ARGV, opt, value), "--out", tmp_path)
    assert rc == 2 and opt.lstrip("-").replace("-", "_") in err.replace("-", "_"), err


@pytest.mark.parametrize("argv", [
    ["topology", "zz"], ["topology", "exp:0"], ["topology", ""], ["topology", "exp:4",
                                                                  "--side", "zz"],
    ["plot", "/nonexistent-decopt"], ["zz"], [], ["run"], ["run", "/nonexistent.toml"],
    ["run", "--algorithm", "gt"], ["run", "--from", "/nonexistent/run.json"],
    ["demo", "--out", "/dev/null/x"], ["run", "--algorithm", "gt", "--topology", "exp:{",
                                       "--steps", "2", "--step-size", "0.1"]])
def test_cli_bad_commands(argv, cli):
    count("CLI: bad command")
    rc, out, err = cli(*argv)
    if not argv:        # bare ``decopt``: the help on stdout, status 2
        assert rc == 2 and "usage:" in out and "Traceback" not in err
        return
    assert_clean_failure(rc, err)


# --------------------------------------------------------------------- run --from JSON
RUN_JSON_BAD = ["{not json", "[1, 2]", "null", '{"config": 3}', '{"config": []}',
                '{"config": {"topology": "exp:4"}}', '{"config": {}}', "\xff\xfe",
                '{"config": {"topology": "exp:4", "seed": "x"}}']


@pytest.mark.parametrize("text", RUN_JSON_BAD)
def test_cli_from_malformed_run_json(text, cli, tmp_path):
    """Regression: a run.json whose config is not a dict or lacks keys escaped as
    AttributeError / KeyError from ``decopt run --from`` (cli.py _run_from_json)."""
    count("CLI: malformed run.json")
    f = tmp_path / "run.json"
    f.write_bytes(text.encode("utf-8", "surrogateescape") if text != "\xff\xfe"
                  else b"\xff\xfe\x00")
    rc, out, err = cli("run", "--from", f)
    assert_clean_failure(rc, err)
    assert "run.json" in err


# --------------------------------------------------------------------- TOML studies
BASE_STUDY = {
    "study": {"name": "fz", "steps": 2, "log_every": 1, "seeds": [0]},
    "problem": {"name": "quadratic", "dim": 2},
    "topology": {"spec": "exp:{n}", "n": [2]},
    "algorithm": [{"name": "gt", "step_size": 0.1}],
}
STUDY_BAD_VALUES = [-1, 0, HUGE, 1.5, math.nan, math.inf, -math.inf, "", "zz", "{zz}", [],
                    {}, True, [1, "a"], ["exp:0"], {"a": 1}]
STUDY_PATHS = [("study", "steps"), ("study", "log_every"), ("study", "seeds"),
               ("study", "noise"), ("study", "batch_size"), ("study", "metric"),
               ("study", "budget"), ("study", "checkpoint_every"), ("study", "divergence"),
               ("study", "batch_seeds"), ("study", "name"), ("study", "zz"),
               ("problem", "name"), ("problem", "dim"), ("problem", "seed"),
               ("problem", "heterogeneity"), ("problem", "n"), ("topology", "spec"),
               ("topology", "n"), ("topology", "weights"), ("topology", "weight_seed"),
               ("algorithm", "name"), ("algorithm", "step_size"), ("algorithm", "rounds"),
               ("algorithm", "options"), ("algorithm", "label"), ("study",), ("problem",),
               ("topology",), ("algorithm",), ("quick",), ("group",), ("zz",)]


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) \
            else repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


def to_toml(doc: dict) -> str:
    out = []
    for key, val in doc.items():
        if isinstance(val, dict):
            out.append(f"[{key}]")
            out += [f"{k} = {toml_value(v)}" for k, v in val.items()]
        elif isinstance(val, list) and val and all(isinstance(x, dict) for x in val):
            for item in val:
                out.append(f"[[{key}]]")
                out += [f"{k} = {toml_value(v)}" for k, v in item.items()]
        else:
            out.insert(0, f"{key} = {toml_value(val)}")
    return "\n".join(out) + "\n"


def mutate(path, value):
    doc = json.loads(json.dumps(BASE_STUDY))
    if len(path) == 1:
        doc[path[0]] = value
    elif path[0] == "algorithm":
        doc["algorithm"][0][path[1]] = value
    else:
        doc[path[0]][path[1]] = value
    return doc


@settings(SETTINGS, max_examples=80,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(STUDY_PATHS), value=st.sampled_from(STUDY_BAD_VALUES))
def test_malformed_study_files(path, value, cli, tmp_path_factory):
    """A study file with one bad value: exit 2 and one line naming the key (or the run,
    when the value is only wrong in combination), nothing written; or, when the mutation
    happens to be valid, a normal run."""
    count("TOML study: one bad value")
    doc = mutate(path, value)
    d = tmp_path_factory.mktemp("toml")
    f = d / "fz.toml"
    f.write_text(to_toml(doc))
    rc, out, err = cli("run", f, "--out", d / "out", "--quiet")
    assert_clean_failure(rc, err, allow=(0, 2))
    if rc == 2:
        last = err.strip().splitlines()[-1]
        assert path[-1] in last or "fz.toml" in last, last
        # validation happens before anything is written (no half-made study directory)
        assert not list((d / "out").glob("*/*/run.json"))


@pytest.mark.parametrize("text", ["", "[study", "x = 1", "\x00", "[study]\nsteps = 5\n",
                                  "study = 3", "[[study]]\nsteps = 5", "a = [1, 'b'",
                                  "[study]\nsteps = 1\n[study]\nsteps = 2"])
def test_unparsable_study_files(text, cli, tmp_path):
    count("TOML study: unparsable/incomplete")
    f = tmp_path / "s.toml"
    f.write_text(text)
    rc, out, err = cli("run", f, "--out", tmp_path / "out")
    assert_clean_failure(rc, err)
    assert "s.toml" in err


@pytest.mark.parametrize("key,value", [("study", "steps"), ("study", "log_every"),
                                       ("study", "checkpoint_every"), ("algorithm", "rounds"),
                                       ("study", "batch_size")])
def test_study_integers_beyond_int64_fail_before_writing(key, value, cli, tmp_path):
    """Regression (study.py): integers beyond int64 passed validation and failed inside
    decopt.run after the study directory and a spec.json had been written."""
    count("TOML study: int beyond int64")
    doc = mutate((key, value), HUGE)
    if value == "batch_size":
        doc["problem"] = {"name": "logistic", "dim": 2, "samples_per_node": 4}
    f = tmp_path / "big.toml"
    f.write_text(to_toml(doc))
    rc, out, err = cli("run", f, "--out", tmp_path / "out")
    assert_clean_failure(rc, err)
    assert value in err and "big.toml" in err
    assert not (tmp_path / "out").exists()


def test_cli_subprocess_bad_input_exit_2_no_traceback(tmp_path):
    """The same contract through a real process: status 2, one stderr line."""
    count("CLI subprocess: bad input", 2)
    p = run_cli("run", "--algorithm", "push_pull", "--topology", "exp:4", "--steps", "5",
                "--step-size", "nan", timeout=60)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "nan" in p.stderr
    f = tmp_path / "bad.toml"
    f.write_text("[study]\nsteps = 'many'\n")
    p = run_cli("run", f, "--out", tmp_path / "out", timeout=60)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "steps" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
