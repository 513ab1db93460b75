"""Speed of the topologies package on large sparse graphs.

Run: python benchmarks/bench_topologies.py

Prints one table: graph construction, uniform row weights, Perron vector and kappa for the
static exponential graph at n = 1,000 and 10,000 (plus random integer weights, whose
Perron vector is not uniform, and the skewed ring, which needs the sparse-LU fallback),
and beta with the iterative method (ARPACK svds on a matrix-free operator) at n = 5,000.
Each time is the best of 3 runs.
"""

from __future__ import annotations

import time

import topologies as tp


def best_of(fn, repeat: int = 3):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    rows = []
    for n in (1_000, 10_000):
        t_graph, G = best_of(lambda: tp.exponential(n))
        t_w, A = best_of(lambda: tp.row_stochastic(G))
        t_pi, _ = best_of(lambda: tp.perron_vector(A))
        t_k, k = best_of(lambda: tp.kappa(A))
        rows.append((f"exp:{n}", "graph", t_graph, ""))
        rows.append((f"exp:{n}", "row_stochastic", t_w, f"nnz={A.nnz}"))
        rows.append((f"exp:{n}", "perron_vector", t_pi, ""))
        rows.append((f"exp:{n}", "kappa", t_k, f"kappa={k:.6f}"))
        rows.append((f"exp:{n}", "weights+perron+kappa", t_w + t_pi + t_k, ""))
    # The uniform start of the power iteration is already exact for the circulant
    # exponential graph, so add cases with a non-uniform Perron vector.
    G = tp.exponential(10_000)
    t_w, (A, _) = best_of(lambda: tp.random_integer_weights(G, high=3, seed=0))
    t_pi, _ = best_of(lambda: tp.perron_vector(A))
    t_k, k = best_of(lambda: tp.kappa(A))
    rows.append(("exp:10000", "random int weights", t_w, ""))
    rows.append(("exp:10000", "perron (random int)", t_pi, "power iteration"))
    rows.append(("exp:10000", "kappa (random int)", t_k, f"kappa={k:.4f}"))
    A = tp.row_stochastic(tp.skewed_ring(10_000))
    t_pi, _ = best_of(lambda: tp.perron_vector(A))
    rows.append(("skewring:10000", "perron_vector", t_pi, "sparse LU fallback"))
    n = 5_000
    A = tp.row_stochastic(tp.exponential(n))
    t_b, b = best_of(lambda: tp.beta(A, method="iterative"))
    rows.append((f"exp:{n}", "beta (iterative)", t_b, f"beta={b:.6f} (exact 1-2/(1+13)"
                 f"={1 - 2 / 14:.6f})"))
    A = tp.row_stochastic(tp.grid(70, 70))
    t_b, b = best_of(lambda: tp.beta(A, method="iterative"))
    rows.append(("grid:70x70", "beta (iterative)", t_b, f"beta={b:.6f}"))

    print(f"{'topology':<15} {'operation':<22} {'seconds':>9}  note")
    print("-" * 75)
    for topo, op, t, note in rows:
        print(f"{topo:<15} {op:<22} {t:9.4f}  {note}".rstrip())


if __name__ == "__main__":
    main()
