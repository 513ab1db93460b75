"""Robustness, round two (issue 13): concurrent writers never replace a finished run,
study names are plain directory names, checkpoints are refused by a different run,
oversized studies ask first, long run names are shortened, corrupt results are named
and rerun. CLI errors exit 2 with one line on stderr; nothing finished is lost."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import textwrap
from pathlib import Path

import numpy as np
import pytest
from _robust_helpers import decopt_cmd, env_with_repo

import decopt
from decopt import study as st
from decopt.result import Result

STUDY = """
[study]
name = "{name}"
steps = {steps}
log_every = {log_every}
seeds = {seeds}
{extra}

[problem]
name = "quadratic"
dim = 3

[topology]
spec = "exp:{{n}}"
n = [6]

[[algorithm]]
name = "push_pull"
step_size = {steps_sizes}
{alg_extra}
"""


def study_file(tmp_path, fname="s.toml", name="s", steps=20, log_every=5, seeds="[0]",
               extra="", steps_sizes="[0.01, 0.02]", alg_extra=""):
    f = tmp_path / fname
    f.write_text(textwrap.dedent(STUDY.format(
        name=name, steps=steps, log_every=log_every, seeds=seeds, extra=extra,
        steps_sizes=steps_sizes, alg_extra=alg_extra)))
    return f


def one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("decopt: error: ") \
        and "Traceback" not in err, err
    return lines[0]


# ==================================================================== 1. concurrency
def _ok_runs(stdout: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r"^  (\S+): \S+=\S+ \([0-9.]+s\) ok$", stdout,
                                            re.M)]


def _two_processes(f1, f2, out):
    procs = [subprocess.Popen(decopt_cmd("run", f, "--out", out), env=env_with_repo(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for f in (f1, f2)]
    return [(p.wait(timeout=300), *p.communicate()) for p in procs]


def test_concurrent_writers_with_different_configs_never_replace_a_finished_run(tmp_path):
    """Two processes, same study name and run names, different steps: every run one of
    them reported as finished still holds that process's config at the end."""
    steps = {"a": 3000, "b": 2000}
    files = {k: study_file(tmp_path, f"{k}.toml", name="race", steps=v, log_every=500,
                           steps_sizes="[0.01, 0.02, 0.03, 0.04]")
             for k, v in steps.items()}
    out = tmp_path / "out"
    results = dict(zip(files, _two_processes(files["a"], files["b"], out)))
    sd = out / "race"
    for who, (rc, stdout, err) in results.items():
        assert rc in (0, 2), err
        assert "Traceback" not in err, err
        if rc == 2:
            assert "different configuration" in one_error_line(err)
        for name in _ok_runs(stdout):
            res = Result.load(sd / name)
            assert res.config["steps"] == steps[who], (who, name, res.config["steps"])
    for d in sd.iterdir():      # whatever is there is complete or visibly unfinished
        if d.is_dir() and (d / "run.json").exists():
            Result.load(d)


def test_concurrent_writers_of_the_same_study_run_each_run_once(tmp_path):
    """Same study twice at once: each run is executed by exactly one process (the other
    skips it once the first has finished it), and both exit 0."""
    f = study_file(tmp_path, steps=3000, log_every=500,
                   steps_sizes="[0.01, 0.02, 0.03, 0.04]")
    out = tmp_path / "out"
    res = _two_processes(f, f, out)
    assert [r[0] for r in res] == [0, 0], [r[2] for r in res]
    ok = _ok_runs(res[0][1]) + _ok_runs(res[1][1])
    s = st.load_study(f)
    assert sorted(ok) == sorted(r.name for r in s.runs), ok   # none run twice
    # the summary written last lists every run, whichever process finished it
    with open(out / "s" / "summary.csv", newline="") as fh:
        assert {row["run"] for row in csv.DictReader(fh)} == {r.name for r in s.runs}


# ==================================================================== 2. names
@pytest.mark.parametrize("bad", ["..", ".", "a/b", "...", "", "x" * 150])
def test_study_name_must_be_a_plain_directory_name(tmp_path, cli, bad):
    f = study_file(tmp_path, name=bad)
    out = tmp_path / "out"
    rc, _, err = cli("run", f, "--out", out)
    assert rc == 2
    assert "[study] name" in one_error_line(err)
    assert not out.exists()          # nothing written next to or inside --out
    with pytest.raises(ValueError, match=r"\[study\] name"):
        st.load_study(f)


def test_dotted_names_that_are_not_only_dots_still_work(tmp_path, cli):
    f = study_file(tmp_path, name="v1.2")
    rc, _, err = cli("run", f, "--out", tmp_path / "out", "--quiet")
    assert rc == 0, err
    assert (tmp_path / "out" / "v1.2" / "summary.csv").exists()


@pytest.mark.parametrize("out", ["", "  "])
def test_empty_out_is_refused(tmp_path, cli, out, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f = study_file(tmp_path)
    rc, _, err = cli("run", f, "--out", out)
    assert rc == 2 and "--out" in one_error_line(err)
    assert not (tmp_path / "results").exists()


# ==================================================================== 3. checkpoints
def _interrupted(ck, **kw):
    def stop(r):
        if r["step"] >= 20:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        decopt.run("push_pull", "quadratic", "exp:4", checkpoint=ck, checkpoint_every=10,
                   callback=stop, **kw)
    assert ck.exists()


BASE = dict(step_size=0.01, steps=40, log_every=10, seed=0)


@pytest.mark.parametrize("key,change", [
    ("step_size", {"step_size": 0.02}), ("steps", {"steps": 50}),
    ("log_every", {"log_every": 5}), ("seed", {"seed": 1}), ("noise", {"noise": 0.1}),
    ("rounds", {"rounds": 2}), ("link_failure", {"link_failure": 0.2}),
    ("topology", {"topology": "ring:4"}), ("algorithm", {"algorithm": "pull_diag_gt"}),
    ("problem_params", {"problem": "quadratic-dim"}),
])
def test_resume_refuses_a_checkpoint_of_another_run(tmp_path, key, change):
    ck = tmp_path / "c.npz"
    _interrupted(ck, **BASE)
    kw = dict(BASE)
    kw.update(change)
    alg = kw.pop("algorithm", "push_pull")
    topo = kw.pop("topology", "exp:4")
    prob = kw.pop("problem", "quadratic")
    if prob == "quadratic-dim":
        prob = decopt.problems.make("quadratic", n=4, dim=3)
    with pytest.raises(ValueError, match=re.escape(str(ck)) + r".*different run: "
                       + key + " = "):
        decopt.run(alg, prob, topo, checkpoint=ck, checkpoint_every=10, resume=True, **kw)
    assert ck.exists()               # refused, not consumed


def test_resume_with_the_same_config_continues(tmp_path):
    """Control: the same config resumes and gives the uninterrupted numbers."""
    ck = tmp_path / "c.npz"
    _interrupted(ck, **BASE)
    res = decopt.run("push_pull", "quadratic", "exp:4", checkpoint=ck, checkpoint_every=10,
                     resume=True, **BASE)
    ref = decopt.run("push_pull", "quadratic", "exp:4", **BASE)
    assert res.nit == 40 and np.array_equal(res.x, ref.x)   # bit-identical (same ops)


def test_resume_refuses_a_corrupt_checkpoint_naming_it(tmp_path):
    ck = tmp_path / "c.npz"
    _interrupted(ck, **BASE)
    ck.write_bytes(ck.read_bytes()[:100])
    with pytest.raises(ValueError, match=re.escape(str(ck)) + ".*corrupt"):
        decopt.run("push_pull", "quadratic", "exp:4", checkpoint=ck, resume=True, **BASE)


# ==================================================================== 6. study size
def test_large_study_asks_for_yes(tmp_path, cli, monkeypatch):
    f = study_file(tmp_path, extra="max_runs = 1")
    out = tmp_path / "out"
    rc, _, err = cli("run", f, "--out", out)
    assert rc == 2
    line = one_error_line(err)
    assert "2 runs" in line and "--yes" in line and "max_runs = 1" in line
    assert not out.exists()
    rc, _, err = cli("run", f, "--out", out, "--yes", "--quiet")
    assert rc == 0, err
    g = study_file(tmp_path, "g.toml")
    monkeypatch.setenv("DECOPT_MAX_RUNS", "1")
    rc, _, err = cli("run", g, "--out", tmp_path / "o2")
    assert rc == 2 and "DECOPT_MAX_RUNS" in one_error_line(err)
    monkeypatch.setenv("DECOPT_MAX_RUNS", "2")     # at the limit: runs
    rc, _, err = cli("run", g, "--out", tmp_path / "o2", "--quiet")
    assert rc == 0, err


@pytest.mark.parametrize("bad", ["0", "-3", "true", '"10"'])
def test_max_runs_must_be_a_positive_integer(tmp_path, bad):
    f = study_file(tmp_path, extra=f"max_runs = {bad}")
    with pytest.raises(ValueError, match=r"\[study\] max_runs"):
        st.load_study(f)


# ==================================================================== 7. long names
def test_long_run_names_are_shortened_and_kept_in_full(tmp_path, cli):
    seeds = "[" + ", ".join(map(str, range(100))) + "]"
    label = "L" * 260
    f = study_file(tmp_path, seeds=seeds, extra="batch_seeds = true", steps=10,
                   steps_sizes="0.01", alg_extra=f'label = "{label}"')
    out = tmp_path / "out"
    rc, _, err = cli("run", f, "--out", out, "--quiet")
    assert rc == 0, err
    s = st.load_study(f)
    (r,) = s.runs
    assert len(r.name) > 500
    dirs = [d for d in (out / "s").iterdir() if d.is_dir()]
    assert [d.name for d in dirs] == [r.dir_name] and len(r.dir_name) <= 120
    assert r.dir_name == st.schema.dir_name_of(r.name)     # deterministic
    doc = json.loads((dirs[0] / "run.json").read_text())
    assert doc["meta"]["study"]["run"] == r.name
    with open(out / "s" / "summary.csv", newline="") as fh:
        assert {row["run"] for row in csv.DictReader(fh)} == {r.name}
    table = decopt.load_results(out / "s", pandas=False)
    assert set(table["run"]) == {r.name}
    rc, out_text, err = cli("run", f, "--out", out)      # rerun: found and skipped
    assert rc == 0 and "1 already done" in out_text, err


def test_single_run_with_100_seeds(tmp_path, cli):
    seeds = ",".join(map(str, range(100)))
    rc, _, err = cli("run", "--algorithm", "push_pull", "--topology", "exp:4",
                     "--problem", "quadratic", "--steps", "5", "--step-size", "0.01",
                     "--seeds", seeds, "--out", tmp_path, "--quiet")
    assert rc == 0, err
    (d,) = [d for d in tmp_path.iterdir() if d.is_dir()]
    assert len(d.name) <= 120
    assert Result.load(d).config["seed"] == list(range(100))


# ==================================================================== 8. corrupt files
def _truncate(p: Path):
    p.write_bytes(p.read_bytes()[: max(1, p.stat().st_size // 2)])


CORRUPTIONS = {
    "final.npz truncated": lambda d: _truncate(d / "final.npz"),
    "history.csv empty": lambda d: (d / "history.csv").write_text(""),
    "history.csv non-numeric": lambda d: (d / "history.csv").write_text(
        re.sub(r"\n([^\n]*?),([0-9.e+-]+)\n", r"\n\1,abc\n",
               (d / "history.csv").read_text(), count=1)),
    "run.json without config": lambda d: (d / "run.json").write_text(json.dumps(
        {k: v for k, v in json.loads((d / "run.json").read_text()).items()
         if k != "config"})),
    "run.json truncated": lambda d: _truncate(d / "run.json"),
    "history.csv missing": lambda d: (d / "history.csv").unlink(),
}


@pytest.mark.parametrize("what", list(CORRUPTIONS))
def test_corrupt_results_are_named_and_rerun(tmp_path, cli, what):
    f = study_file(tmp_path)
    out = tmp_path / "out"
    assert cli("run", f, "--out", out, "--quiet")[0] == 0
    s = st.load_study(f)
    bad = out / "s" / s.runs[0].dir_name
    good = out / "s" / s.runs[1].dir_name
    good_before = (good / "run.json").read_bytes()
    CORRUPTIONS[what](bad)
    # reading: ValueError naming the file, never BadZipFile / StopIteration / KeyError
    with pytest.raises(ValueError, match=re.escape(str(bad))):
        Result.load(bad)
    if what != "final.npz truncated":    # load_results and plot read no final.npz
        with pytest.raises(ValueError, match=re.escape(str(bad))):
            decopt.load_results(out / "s", pandas=False)
        rc, _, err = cli("plot", out / "s", "--out", tmp_path / "p.png")
        assert rc == 2 and str(bad) in one_error_line(err)
    # rerunning: reported by path, run again, the good run untouched
    rc, text, err = cli("run", f, "--out", out)
    assert rc == 0, err
    assert f"{bad}: corrupt result" in text and "1 already done" in text
    Result.load(bad)
    assert (good / "run.json").read_bytes() == good_before


def test_corrupt_checkpoint_is_rerun_on_resume(tmp_path, cli):
    f = study_file(tmp_path)
    out = tmp_path / "out"
    s = st.load_study(f)
    d = out / "s" / s.runs[0].dir_name
    d.mkdir(parents=True)
    (d / "spec.json").write_text(json.dumps(s.runs[0].config()))
    (d / "checkpoint.npz").write_bytes(b"PK\x03\x04 truncated")
    rc, text, err = cli("run", f, "--out", out, "--resume")
    assert rc == 0, err
    assert f"{d / 'checkpoint.npz'}: corrupt checkpoint" in text
    assert Result.load(d).nit == 20 and not (d / "checkpoint.npz").exists()
