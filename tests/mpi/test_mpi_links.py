"""Link failures, random activation and random time-varying topologies on the MPI
backend against the local backend: same iterates (1e-12 relative), metrics and
counters, on 2 and 3 ranks (n = 7 or 8 nodes, so blocks of unequal sizes).

One ``mpiexec -n P python -m mpi4py tests/mpi/links_driver.py OUT.npz`` launch per rank
count runs every case of :mod:`links_cases`.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
RANKS = (2, 3)


def _load(name):
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


links_cases = _load("links_cases")
backend_tests = _load("test_mpi_backend")      # launch(), _close(), the skip marks
pytestmark = backend_tests.pytestmark
CASES = links_cases.cases()


@functools.lru_cache(maxsize=None)
def mpi_results(nranks, tmpdir):
    out = Path(tmpdir) / f"links_{nranks}.npz"
    rc, _, err, _ = backend_tests.launch(nranks, HERE / "links_driver.py", out)
    if rc != 0:
        pytest.fail(f"links driver on {nranks} ranks exited with {rc}:\n{err[-4000:]}")
    with np.load(out) as z:
        return {k: z[k] for k in z.files}


@functools.lru_cache(maxsize=None)
def local_result(index):
    return links_cases.run_case(CASES[index], "local")


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("mpi_links"))


@pytest.mark.parametrize("nranks, index", [
    pytest.param(P, i, id=f"P{P}-{c['name']}") for P in RANKS for i, c in enumerate(CASES)])
def test_links_mpi_equals_local(nranks, index, results_dir):
    z = mpi_results(nranks, results_dir)
    assert str(z["names"][index]) == CASES[index]["name"]
    ref = local_result(index)
    assert bool(z[f"{index}/success"]) == ref.success
    backend_tests._close(z[f"{index}/x"], ref.x, "final iterates")
    counters = dict(zip(("rounds", "messages", "floats"), z[f"{index}/counters"].tolist()))
    assert counters == {k: ref.counters[k] for k in counters}, "communication counters differ"
    for key in ref.history:
        if key == "time":
            continue
        got, want = z[f"{index}/h/{key}"], ref.history[key]
        if key in ("step", "rounds", "messages", "floats", "grad_evals"):
            np.testing.assert_array_equal(got, want, err_msg=f"history {key!r}")
        elif key == "consensus":
            backend_tests._close(got, want, "history 'consensus'",
                                 scale=float(np.mean(np.sum(ref.x ** 2, axis=-1))))
        else:
            backend_tests._close(got, want, f"history {key!r}")


def test_cases_really_perturb():
    """Guard against a vacuous comparison: the perturbed local runs differ from the
    unperturbed ones (so the MPI test compares the failure models, not plain runs)."""
    import decopt
    c = next(c for c in CASES if c["link_failure"] > 0 and c["activation"] == 1.0)
    plain = decopt.run(c["algorithm"], links_cases._problem(7), c["topology"],
                       steps=links_cases.STEPS, step_size=0.1 / links_cases._problem(7).L,
                       seed=c["seed"], log_every=links_cases.LOG_EVERY)
    failed = local_result(CASES.index(c))
    assert np.max(np.abs(plain.x - failed.x)) > 1e-6
    assert failed.counters["messages"] < plain.counters["messages"]
