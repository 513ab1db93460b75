"""Output safety: results go only under the path the user gave, existing results are
never overwritten without --overwrite, and a failed write (disk full, permission denied)
leaves every earlier result intact with a clear one-line error."""

from __future__ import annotations

import errno
import os
import textwrap
from pathlib import Path

import pytest

import decopt.result

STUDY = """
[study]
name = "safe"
steps = 20
log_every = 5
seeds = [0, 1]

[problem]
name = "quadratic"
dim = 2

[topology]
spec = "exp:4"

[[algorithm]]
name = "push_pull"
step_size = {sizes}
"""


def write_study(tmp_path, sizes="[0.1]") -> Path:
    f = tmp_path / "safe.toml"
    f.write_text(textwrap.dedent(STUDY.format(sizes=sizes)))
    return f


def snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_files_are_created_only_under_the_given_path(tmp_path, cli, monkeypatch):
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    f = write_study(tmp_path)
    rc, _, err = cli("run", f, "--out", tmp_path / "given" / "deep", "--quiet")
    assert rc == 0, err
    rc, _, err = cli("run", "--algorithm", "gt", "--topology", "exp:4", "--problem",
                     "quadratic", "--steps", "5", "--step-size", "0.1", "--out",
                     tmp_path / "given" / "single")
    assert rc == 0, err
    assert not any(work.iterdir())                        # nothing in the cwd
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cwd", "given", "safe.toml"]
    files = [p for p in (tmp_path / "given").rglob("*") if p.is_file()]
    assert files and not [p for p in files if p.name.endswith(".tmp")]


def test_existing_results_need_overwrite(tmp_path, cli):
    args = ["run", "--algorithm", "gt", "--topology", "exp:4", "--problem", "quadratic",
            "--steps", "5", "--step-size", "0.1", "--out", tmp_path / "o"]
    assert cli(*args)[0] == 0
    before = snapshot(tmp_path / "o")
    rc, _, err = cli(*args)
    assert rc == 2 and "--overwrite" in err and len(err.strip().splitlines()) == 1
    assert snapshot(tmp_path / "o") == before
    assert cli(*args, "--overwrite")[0] == 0
    assert snapshot(tmp_path / "o") != before


def test_output_under_a_file_is_a_clear_error(tmp_path, cli):
    blocker = tmp_path / "file"
    blocker.write_text("keep me")
    f = write_study(tmp_path)
    for argv in (["run", f, "--out", blocker / "x"],
                 ["run", "--algorithm", "gt", "--topology", "exp:4", "--problem",
                  "quadratic", "--steps", "5", "--step-size", "0.1", "--out", blocker],
                 ["demo", "--quick", "--out", blocker / "d"]):
        rc, _, err = cli(*argv)
        assert rc == 2 and "not writable" in err and "Traceback" not in err, err
        assert len(err.strip().splitlines()) == 1
    assert blocker.read_text() == "keep me"


@pytest.mark.parametrize("where", ["replace", "fsync"])
@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES])
def test_disk_full_or_permission_denied_keeps_earlier_results(tmp_path, cli, monkeypatch,
                                                              where, code):
    """A study is finished; a second session adds a run and every write fails (no space
    left / permission denied): exit 2 with one line naming the error, every earlier file
    byte-identical, and no new file that looks like a finished run."""
    out = tmp_path / "out"
    rc, _, err = cli("run", write_study(tmp_path), "--out", out, "--quiet")
    assert rc == 0, err
    before = snapshot(out)

    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))
    monkeypatch.setattr(decopt.result.os, where, fail)
    rc, _, err = cli("run", write_study(tmp_path, "[0.1, 0.05]"), "--out", out, "--quiet")
    monkeypatch.undo()
    assert rc == 2, err
    assert os.strerror(code) in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    after = snapshot(out)
    for k, v in before.items():
        assert after[k] == v, f"{k} changed"
    new_dirs = {p.parent.name for p in out.rglob("run.json")}
    assert len(new_dirs) == 2            # the two runs of the first session only
    assert not list(out.rglob(".*.tmp"))


def test_result_files_get_the_usual_permissions(tmp_path, cli):
    """Regression (result.atomic_write): files came out 0600 (mkstemp's private mode), so
    collaborators sharing a results directory could not read them."""
    rc, _, err = cli("run", write_study(tmp_path), "--out", tmp_path / "o", "--quiet")
    assert rc == 0, err
    mask = os.umask(0o22)
    os.umask(mask)
    for p in (tmp_path / "o").rglob("*"):
        if p.is_file():
            assert p.stat().st_mode & 0o777 == 0o666 & ~mask, p
