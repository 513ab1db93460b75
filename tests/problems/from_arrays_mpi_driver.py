"""Run by tests/problems/test_from_arrays_mpi.py under mpiexec: a from_arrays problem
with 5, 17 and 40 samples per node, minibatches, on a file: edge-list topology with its
own labels, backend="mpi". Prints the gathered iterates on rank 0."""

import json
import sys

import numpy as np

import decopt


def problem():
    rng = np.random.default_rng(0)
    F = [rng.standard_normal((m, 3)) for m in (5, 17, 40)]
    t = [f @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.standard_normal(len(f)) for f in F]
    return decopt.problems.from_arrays("least_squares", F, t)


def run(spec, backend):
    return decopt.run("push_pull", problem(), spec, steps=200, step_size=0.1, batch_size=8,
                      seed=[0, 1], backend=backend)


if __name__ == "__main__":
    res = run(sys.argv[1], "mpi")
    if res.x is not None:
        print("RESULT " + json.dumps({"x": res.x.tolist(),
                                      "labels": res.config["node_labels"]}))
