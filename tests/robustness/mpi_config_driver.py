"""``mpiexec -n 2 python -m mpi4py mpi_config_driver.py``: ranks that pass a different run
config (step size, seed, algorithm, steps, log_every, noise) must all get a ValueError
before step 0, never a hang and never a result. Rank 0 prints one JSON line: per case,
what every rank got. A control case with the same config on every rank must run."""

import json
import os
import tempfile

from mpi4py import MPI

import decopt

BASE = dict(algorithm="push_pull", step_size=0.01, seed=0, steps=20, log_every=5,
            noise=0.0)
CASES = {
    "same": {},                                   # control: every rank agrees
    "step_size": {"step_size": (0.01, 0.02)},
    "seed": {"seed": (0, 1)},
    "algorithm": {"algorithm": ("push_pull", "pull_diag_gt")},
    "steps": {"steps": (20, 40)},
    "log_every": {"log_every": (5, 7)},
    "noise": {"noise": (0.0, 0.1)},
    # only rank 0 checkpoints: it would wait alone in the checkpoint's gathers
    "checkpoint": {"checkpoint": ("CKPT", None)},
}


def main():
    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    prob = decopt.problems.quadratic(n=4, dim=2, seed=0)
    report = {}
    for name, change in CASES.items():
        kw = dict(BASE)
        for k, values in change.items():
            kw[k] = values[rank % 2]
        alg = kw.pop("algorithm")
        if kw.get("checkpoint") == "CKPT":
            kw["checkpoint"] = os.path.join(tempfile.gettempdir(),
                                            f"decopt-ckpt-{os.getpid()}.npz")
            kw["checkpoint_every"] = 5
        try:
            res = decopt.run(alg, prob, "exp:4", backend="mpi", comm=comm, **kw)
            got = f"ok nit={res.nit}"
        except ValueError as e:
            got = f"ValueError: {e}"
        report[name] = comm.gather(got, root=0)
    if rank == 0:
        print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
