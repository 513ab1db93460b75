"""Cases of the backend-independence test of sim_time (shared by the MPI driver and the
test): each is ``decopt.run`` keywords; ``clock`` selects the SimClock or the broken
rank-local clock of the negative control."""

from __future__ import annotations

import numpy as np

import decopt
import topologies as tp
from decopt import costmodel as cm


class RankLocalClock(cm.SimClock):
    """BROKEN on purpose (negative control): times a round from the messages between the
    nodes this process hosts only (its diagonal block of the matrix), so under MPI rank 0
    misses the messages that cross ranks; in-process it sees everything."""

    def on_round(self, net, side, matrix, bits):
        lo, hi = int(net.nodes[0]), int(net.nodes[-1]) + 1
        self.comm += self.model.round_time(matrix[lo:hi][:, lo:hi], bits)


def cases():
    edge = cm.PROFILES["edge"]
    return [
        dict(name="push_pull-exp8-edge-batched", algorithm="push_pull", n=8,
             topology=tp.exponential(8), seed=[0, 1], cost_model=edge, rounds=1),
        dict(name="pull_diag_gt-star-R2-dc", algorithm="pull_diag_gt", n=9,
             topology=tp.star(9), seed=0, rounds=2,
             cost_model=cm.PROFILES["datacenter-10g"].replace(jitter=0.5,
                                                              local_bandwidth=2e9)),
        dict(name="push_pull-star-straggler", algorithm="push_pull", n=6,
             topology=tp.star(6), seed=4, rounds=1,
             cost_model=cm.CostModel(latency=1e-4, bandwidth=1e8, compute=1e-3,
                                     slow_nodes={5: 7.0}, serialize="receiver")),
    ]


def run_case(c, backend, comm=None, broken=False):
    prob = decopt.problems.quadratic(n=c["n"], dim=3, seed=1)
    kw = dict(steps=12, step_size=0.05, log_every=4, seed=c["seed"], rounds=c["rounds"],
              backend=backend, comm=comm, cost_model=c["cost_model"])
    if not broken:
        return decopt.run(c["algorithm"], prob, c["topology"], **kw)
    # the runner builds its clock from decopt.costmodel.SimClock: swap in the broken one
    real = cm.SimClock
    cm.SimClock = RankLocalClock
    try:
        return decopt.run(c["algorithm"], prob, c["topology"], **kw)
    finally:
        cm.SimClock = real


def sim_times(res):
    return np.asarray(res.history["sim_time"], dtype=float)
