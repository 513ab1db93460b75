"""`decopt verify --quick`: every claim holds on the quick settings.

One session-scoped computation of the quick table (conftest.py, about 40 s) is shared by
the per-claim tests and the negative controls of test_mutations.py; the tolerances are
stated and justified in decopt/verify.py and decopt/_verify_speedup.py next to each check
(constants TOL_*).
"""

from __future__ import annotations

import json

import pytest

from decopt import verify


@pytest.fixture(scope="module")
def rows(quick_rows):
    return quick_rows


def _claim(rows, prefix):
    out = [r for r in rows if r["id"].startswith(prefix)]
    assert out, f"no row for claim {prefix}"
    return out


def _failures(rs):
    return [f"{r['id']} {r['claim']}: {r['measurement']}" for r in rs if r["verdict"] != "PASS"]


def test_every_quick_verdict_passes(rows):
    assert len(rows) >= 18
    assert not _failures(rows), "\n".join(_failures(rows))


def test_claim1_linear_speedup_constant_step(rows):
    rs = [r for r in _claim(rows, "1") if r["id"] == "1"]
    assert len(rs) == 4          # push_pull, pull_diag_gt, mg_pull_diag_gt, gt
    for r in rs:
        d = r["details"]
        assert max(abs(v) for v in d["dense_rel"]) <= verify.TOL_PLATEAU_REL, r
        assert max(abs(v) for v in d["network_rel"]) <= verify.TOL_NETWORK_REL, r
    assert not _failures(rs)


def test_claim1t_transient_grows_with_the_gap_and_stays_below_KT(rows):
    (r,) = _claim(rows, "1t")
    pts = sorted(r["details"]["points"], key=lambda p: p[1])     # by 1/(1 - beta)
    Ks = [p[2] for p in pts]
    assert Ks == sorted(Ks) and Ks[-1] > Ks[0]
    assert all(p[2] <= p[3] for p in pts)
    assert not _failures([r])


def test_claim2_linear_speedup_decaying_step(rows):
    rs = _claim(rows, "2")
    assert len(rs) == 2
    for r in rs:
        assert max(abs(v) for v in r["details"]["rel"]) <= verify.TOL_DECAY_REL, r
    assert not _failures(rs)


@pytest.mark.parametrize("cid", ["3a", "3b", "3c", "3d", "3e", "3f"])
def test_claim3_deterministic(rows, cid):
    assert not _failures(_claim(rows, cid))


def test_claim4_multigossip(rows):
    rs = _claim(rows, "4")
    errs = rs[0]["details"]["errors"]
    assert errs[1] > verify.DIVERGED and errs[20] < verify.TOL_CONVERGED
    assert not _failures(rs)


def test_claim5_bounds(rows):
    assert not _failures(_claim(rows, "5"))


def test_rows_have_the_table_columns(rows):
    for r in rows:
        assert {"id", "claim", "prediction", "measurement", "verdict"} <= set(r)
        assert r["verdict"] in ("PASS", "FAIL")


def test_main_prints_one_table_and_exit_status(rows, monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(verify, "run_claims", lambda **kw: rows)
    out = tmp_path / "rows.json"
    assert verify.main(["--quick", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "claim" in text and "prediction" in text and "measurement" in text
    assert text.count("PASS") >= len(rows)
    assert len(json.loads(out.read_text())) == len(rows)
    failing = [dict(rows[0], verdict="FAIL")] + rows[1:]
    monkeypatch.setattr(verify, "run_claims", lambda **kw: failing)
    assert verify.main(["--quick"]) == 1


def test_main_rejects_bad_claim_numbers(capsys):
    assert verify.main(["--claims", "9"]) == 2
    assert verify.main(["--claims", "x"]) == 2
    assert "claim" in capsys.readouterr().err
