"""The compressed-method cases run on both backends (see test_compressed_mpi.py)."""

import decopt

OPERATORS = ("none", "topk:0.3", "randk:0.3", "randk_biased:0.3", "qsgd:4", "sign",
             "fp16", "bf16")


def cases():
    out = []
    for op in OPERATORS:
        out.append(dict(name=f"choco-{op}", alg="choco", topo="uring:8", op=op, seed=3,
                        rounds=1))
        out.append(dict(name=f"cpp-{op}", alg="cpp", topo="chords:8", op=op, seed=[3, 4],
                        rounds=1))
    for op in ("topk:0.3", "qsgd:4", "sign"):
        out.append(dict(name=f"ef_dsgd-{op}", alg="ef_dsgd", topo="uring:8", op=op, seed=6,
                        rounds=1))
    out.append(dict(name="choco-randk-R2", alg="choco", topo="grid:2x4", op="randk:0.3",
                    seed=5, rounds=2))
    out.append(dict(name="cpp-qsgd-R2", alg="cpp", topo="er:8,p=0.3,seed=1", op="qsgd:4",
                    seed=5, rounds=2))
    return out


def run_case(c, backend, comm=None):
    prob = decopt.problems.quadratic(n=8, dim=10, heterogeneity=2.0, condition=5.0,
                                     seed=1)
    return decopt.run(c["alg"], prob, c["topo"], steps=40, step_size=0.02, seed=c["seed"],
                      rounds=c["rounds"], log_every=10, compression=c["op"],
                      backend=backend, comm=comm, noise=0.1)
