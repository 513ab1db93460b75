"""`decopt verify --quick`: every claim of ALGORITHMS.md §4 holds on the quick settings.

One module-scoped computation of the quick table (about half a minute) is shared by the
per-claim tests; the tolerances are stated and justified in decopt/verify.py next to
each check (constants TOL_*).
"""

from __future__ import annotations

import json

import pytest

from decopt import verify


@pytest.fixture(scope="module")
def rows():
    return verify.run_claims(quick=True)


def _claim(rows, prefix):
    out = [r for r in rows if r["id"].startswith(prefix)]
    assert out, f"no row for claim {prefix}"
    return out


def _failures(rs):
    return [f"{r['id']} {r['claim']}: {r['measurement']}" for r in rs if r["verdict"] != "PASS"]


def test_every_quick_verdict_passes(rows):
    assert len(rows) >= 16
    assert not _failures(rows), "\n".join(_failures(rows))


def test_claim1_linear_speedup_constant_step(rows):
    rs = _claim(rows, "1")
    assert len(rs) == 8          # 4 algorithms x (exponential, sparse)
    for r in rs:
        lo, hi = r["details"]["ci"]
        assert -1.15 <= lo <= hi <= -0.85, r
    assert not _failures(rs)


def test_claim2_linear_speedup_decaying_step(rows):
    rs = _claim(rows, "2")
    for r in rs:
        lo, hi = r["details"]["ci"]
        assert -0.5 - verify.TOL_DECAY_SLOPE <= lo <= hi <= -0.5 + verify.TOL_DECAY_SLOPE
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
