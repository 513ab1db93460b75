"""CHOCO and CPP with every operator: the MPI backend gives the local backend's numbers
(iterates to 1e-12 relative, identical counters and bits), on 2 and 3 ranks.

One ``mpiexec -n P python -m mpi4py compressed_mpi_driver.py`` launch per rank count
runs all cases (stochastic gradients, batched seeds, R = 2), in a timeout.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
_mpi = importlib.util.spec_from_file_location(
    "mpi_backend_helpers", HERE.parent / "mpi" / "test_mpi_backend.py")
helpers = importlib.util.module_from_spec(_mpi)
_mpi.loader.exec_module(helpers)
_c = importlib.util.spec_from_file_location("compressed_cases", HERE / "compressed_cases.py")
cases = importlib.util.module_from_spec(_c)
_c.loader.exec_module(cases)

RTOL = 1e-12
pytestmark = [pytest.mark.mpi,
              pytest.mark.skipif(not helpers.HAVE_MPI, reason="needs mpi4py and mpiexec")]
CASES = cases.cases()


@pytest.fixture(scope="module")
def outdir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("compressed_mpi"))


@functools.lru_cache(maxsize=None)
def mpi_results(nranks, outdir):
    out = Path(outdir) / f"c{nranks}.npz"
    rc, _, err, _ = helpers.launch(nranks, HERE / "compressed_mpi_driver.py", out,
                                   timeout=240)
    if rc != 0:
        pytest.fail(f"driver on {nranks} ranks exited with {rc}:\n{err[-4000:]}")
    with np.load(out) as z:
        return {k: z[k] for k in z.files}


@functools.lru_cache(maxsize=None)
def local(i):
    return cases.run_case(CASES[i], "local")


@pytest.mark.parametrize("nranks", (2, 3))
@pytest.mark.parametrize("i", range(len(CASES)), ids=[c["name"] for c in CASES])
def test_compressed_mpi_equals_local(nranks, i, outdir):
    z = mpi_results(nranks, outdir)
    assert str(z[f"{i}/name"]) == CASES[i]["name"]
    ref = local(i)
    got = z[f"{i}/x"]
    err = np.abs(got - ref.x).max()
    assert err <= RTOL * np.abs(ref.x).max(), f"max |mpi - local| = {err:.3g}"
    c = dict(zip(("rounds", "messages", "floats", "bits"), z[f"{i}/counters"].tolist()))
    assert c == {k: ref.counters[k] for k in c}, "communication counters differ"
    np.testing.assert_array_equal(z[f"{i}/bits"], ref.history["bits"])
