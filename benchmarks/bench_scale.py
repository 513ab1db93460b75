"""Large topologies (issue 14): weights of exp:10^6, Push-Pull at n = 10^6, describe at 10^5.

Run from the repository root (each case in a fresh process, so that the peak resident
memory is that case's)::

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_scale.py

Every case reports wall time and CPU time of its process (``time.process_time``). On a
machine shared with other jobs the wall time is inflated by the time the process waits
for a core; the CPU time is what the case costs on an otherwise idle core (with one
BLAS thread), so targets in seconds are checked against it.

Cases
-----
weights     ``tp.row_stochastic("exp:1000000")`` (edge arrays, circulant rows; no
            networkx graph), and, for comparison, the networkx path at 10^5.
push_pull   ``decopt.run("push_pull", quadratic(n=10^6, d=10), "exp:1000000")``: setup
            (problem, weights, checks, Perron vector) and seconds per iteration; peak RSS.
mixing      one product of the exp:10^6 matrix with an (n, 10) block: scipy's csr
            product vs the opt-in circulant shifted sums (interleaved, best of 3).
describe    ``tp.describe`` on exp:10^5 and on a random 20-out digraph with 10^5 nodes
            (k = 20: a random k-out digraph is strongly connected w.h.p. only for
            k >~ ln n), and theta's refusal at n = 10^5.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def _peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _Clock:
    def __enter__(self):
        self.w, self.c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.w
        self.cpu = time.process_time() - self.c


def case_weights():
    import topologies as tp
    with _Clock() as t1:
        A = tp.row_stochastic("exp:1000000")
    with _Clock() as t2:
        G = tp.exponential(100_000)
        tp.row_stochastic(G)
    return [("exp:10^6 row weights (edge arrays)", t1, f"nnz={A.nnz}"),
            ("exp:10^5 networkx graph + row weights (old path)", t2, "")]


def case_push_pull(steps=10):
    import decopt
    n = 1_000_000
    with _Clock() as t0:
        prob = decopt.problems.quadratic(n=n, dim=10, seed=0)
    with _Clock() as t1:
        decopt.run("push_pull", prob, "exp:1000000", steps=0, step_size=0.1, log_every=1)
    with _Clock() as t2:
        res = decopt.run("push_pull", prob, "exp:1000000", steps=steps, step_size=0.1,
                         log_every=steps)
    per = (t2.cpu - t1.cpu) / steps
    per_w = (t2.wall - t1.wall) / steps
    return [("quadratic problem n=10^6 d=10", t0, ""),
            ("push_pull setup (weights, checks, pi, 2 logs)", t1, ""),
            (f"push_pull {steps} iterations + setup", t2,
             f"per iteration: cpu {per:.3f} s ({1 / per:.2f} it/s), wall {per_w:.3f} s; "
             f"grad_norm {float(res.history['grad_norm'][-1]):.3g}")]


def case_mixing():
    import numpy as np
    import scipy.sparse as sp
    import topologies as tp
    from topologies.fast import circulant_product
    A = tp.row_stochastic("exp:1000000")
    P = sp.csr_array(A)
    X = np.random.default_rng(0).standard_normal((1_000_000, 10))
    best = {"csr": float("inf"), "shifted": float("inf")}
    for _ in range(3):
        for key, fn in (("csr", lambda: P @ X),
                        ("shifted", lambda: circulant_product(A.circulant_shifts,
                                                              A.circulant_weights, X))):
            with _Clock() as t:
                fn()
            best[key] = min(best[key], t.cpu)
    out = []
    for key in ("csr", "shifted"):
        c = _Clock()
        c.wall = c.cpu = best[key]
        out.append((f"exp:10^6 x (n, 10) product: {key}", c,
                    f"ratio to csr {best[key] / best['csr']:.2f}"))
    return out


def case_describe():
    import topologies as tp
    rows = []
    for spec in ("exp:100000", "kout:100000,k=20,seed=0"):
        with _Clock() as tb:
            E = tp.edges_from_spec(spec)
            A = tp.row_stochastic(E)
        with _Clock() as t:
            d = tp.describe(A)
        rows.append((f"{spec} build + weights", tb, ""))
        rows.append((f"{spec} describe", t, f"beta={d['beta']:.6f} slem={d['slem']} "
                                            f"kappa={d['kappa']:.4f} "
                                            f"method={d['beta_method']}"))
    with _Clock() as t:
        try:
            tp.theta("exp:100000")
            msg = "no error"
        except ValueError as e:
            msg = f"ValueError: {str(e)[:90]}..."
    rows.append(("theta exp:10^5", t, msg))
    return rows


CASES = {"weights": case_weights, "push_pull": case_push_pull, "mixing": case_mixing,
         "describe": case_describe}


def main(which):
    print("| case | wall s | cpu s | peak MiB | note |")
    print("|---|---:|---:|---:|---|")
    for name in which:
        out = subprocess.run([sys.executable, __file__, "_case", name], check=True,
                             capture_output=True, text=True).stdout
        doc = json.loads(out.strip().splitlines()[-1])
        for label, wall, cpu, note in doc["rows"]:
            print(f"| {label} | {wall:.2f} | {cpu:.2f} | {doc['peak']:.0f} | {note} |",
                  flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["_case"]:
        rows = CASES[args[1]]()
        print(json.dumps({"rows": [(lbl, t.wall, t.cpu, note) for lbl, t, note in rows],
                          "peak": _peak_mib()}))
        sys.exit(0)
    main(args or list(CASES))
