"""Negative controls: every claim of ``decopt verify --quick`` is shown able to FAIL.

Each mutation of :mod:`decopt.mutations` breaks one ingredient (the network, a method,
a metric, a calculator) and is run against the claims it should break, on the quick
settings; the test asserts those rows turn to FAIL. The last test checks that the union
of the failing rows covers every row id of the unmutated quick table (which itself
passes: tests/verification/test_verify.py), so no claim is unfalsifiable.

Costs: the unmutated table is shared (conftest.py, ~40 s CPU); the mutated runs add
~60 s, one computation per mutation (module-scoped cache), restricted to the cases a
mutation targets (e.g. only the push_pull rows of claims 1 and 2 for the wrong tracker).
"""

from __future__ import annotations

import pytest

from decopt import mutations as M
from decopt import verify

Q = verify.QUICK

#: mutation -> (claim functions with their config overrides, row ids that must FAIL).
#: No communication must fail *every* linear-speedup row (1, 1t, 2) and the
#: exactness/bias/rate/bound rows that depend on mixing.
CASES = {
    "no_communication": (
        [(verify.claim_speedup_constant, {}), (verify.claim_transient, {}),
         (verify.claim_speedup_decay, {}), (verify.claim_deterministic, {}),
         (verify.claim_bounds, {})],
        {"1", "1t", "2", "3a", "3b", "3c", "5b"}),
    "pull_diag_without_correction": (
        [(verify.claim_speedup_constant, {"speedup_algs": ("pull_diag_gt",)})],
        {"1"}),
    "push_pull_tracker_by_row": (
        [(verify.claim_speedup_constant, {"speedup_algs": ("push_pull",)}),
         (verify.claim_transient, {}),
         (verify.claim_speedup_decay, {"decay_algs": ("push_pull",)})],
        {"1", "1t", "2"}),
    "dsgd_instead_of_gt": (
        [(verify.claim_speedup_constant, {"speedup_algs": ("gt",)})],
        {"1"}),
    "uniform_pi": ([(verify.claim_deterministic, {})], {"3d", "3e", "3f"}),
    "single_round": ([(verify.claim_multigossip, {})], {"4a", "4b", "4c"}),
    "transient_without_square": ([(verify.claim_bounds, {})], {"5a"}),
    # compressed communication (claim 6) and federated methods (claim 7)
    "choco_without_memory": ([(verify.claim_compression, {})], {"6a", "6b"}),
    "randk_unscaled": ([(verify.claim_compression, {})], {"6c"}),
    "topk_keeps_smallest": ([(verify.claim_compression, {})], {"6d"}),
    "fedavg_without_server": ([(verify.claim_federated, {})], {"7a"}),
    "scaffold_without_control": ([(verify.claim_federated, {})], {"7b"}),
    "qffl_inverse_weights": ([(verify.claim_federated, {})], {"7c"}),
    # unreliable links (claim 8)
    "push_mass_vanishes": ([(verify.claim_links, {})], {"8a"}),
    "links_never_fail": ([(verify.claim_links, {})], {"8b"}),
}

_cache: dict = {}


def mutated_rows(name):
    """Rows of the claims CASES[name] targets, measured under the mutation (cached)."""
    if name not in _cache:
        fns, _ = CASES[name]
        rows = []
        with M.MUTATIONS[name]():
            for fn, over in fns:
                rows.extend(fn(dict(Q, **over)))
        _cache[name] = rows
    return _cache[name]


@pytest.mark.parametrize("name", sorted(CASES))
def test_mutation_turns_its_claims_to_fail(name):
    rows = mutated_rows(name)
    must_fail = CASES[name][1]
    failed = {r["id"] for r in rows if r["verdict"] == "FAIL"}
    missing = must_fail - failed
    assert not missing, (f"{name}: rows {sorted(missing)} still PASS:\n" + "\n".join(
        f"{r['id']} {r['claim']}: {r['measurement']}" for r in rows if r["id"] in missing))


def test_no_communication_fails_every_speedup_row():
    rows = [r for r in mutated_rows("no_communication") if r["id"] in ("1", "1t", "2")]
    assert len(rows) == 4 + 1 + 2
    assert all(r["verdict"] == "FAIL" for r in rows), [r["measurement"] for r in rows]


def test_pull_diag_without_correction_fails_both_checks():
    # without D_k the centroid moves with alpha, not n alpha (wrong plateau on the complete
    # graph, where pi is uniform), and on the sparse digraph (non-uniform pi) it is biased
    # towards argmin sum_i pi_i f_i (plateau ratio far from 1)
    (r,) = [r for r in mutated_rows("pull_diag_without_correction") if r["id"] == "1"]
    assert max(abs(v) for v in r["details"]["dense_rel"]) > verify.TOL_PLATEAU_REL
    assert max(abs(v) for v in r["details"]["network_rel"]) > verify.TOL_NETWORK_REL


def test_mutations_restore_what_they_patch():
    import topologies as tp
    from decopt import algorithms, compression, network, theory

    def state():
        return (dict(algorithms.ALGORITHMS), network.Network.__init__, tp.perron_vector,
                theory.transient_iterations, compression.RandK, compression.TopK)

    before = state()
    for make in M.MUTATIONS.values():
        with make():
            pass
    after = state()
    assert before == after


def test_every_quick_claim_has_a_failing_control(quick_rows):
    assert all(r["verdict"] == "PASS" for r in quick_rows), \
        [r["id"] for r in quick_rows if r["verdict"] != "PASS"]
    ids = {r["id"] for r in quick_rows}
    covered = set()
    for name in CASES:
        covered |= {r["id"] for r in mutated_rows(name) if r["verdict"] == "FAIL"}
    assert ids <= covered, f"claims without a failing negative control: {ids - covered}"
