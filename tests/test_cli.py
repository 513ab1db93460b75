"""The ``decopt`` command line: exit codes, outputs, files written."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from decopt.cli import main

STUDY = """
[study]
name = "cli"
steps = 30
log_every = 10

[problem]
name = "quadratic"
dim = 2

[topology]
spec = "exp:4"

[[algorithm]]
name = "push_pull"
step_size = 0.1
"""


@pytest.fixture
def study_file(tmp_path):
    p = tmp_path / "cli.toml"
    p.write_text(textwrap.dedent(STUDY))
    return p


def test_run_study_then_skip(study_file, tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["run", str(study_file), "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "push_pull" in text and "1 run(s) done" in text
    assert (out / "cli" / "summary.csv").exists()
    assert main(["run", str(study_file), "--out", str(out), "--quiet"]) == 0
    assert "1 already done" in capsys.readouterr().out


@pytest.mark.parametrize("old, new, needle", [
    ("steps = 30", "stepz = 30", "did you mean 'steps'"),
    ("steps = 30", "steps = 3.5", "must be an integer"),
    ('name = "push_pull"', 'name = "pushpull"', "did you mean 'push_pull'"),
    ('spec = "exp:4"', 'spec = "nope:4"', "unknown family"),
])
def test_bad_study_exit_2_nothing_written(tmp_path, capsys, old, new, needle):
    p = tmp_path / "bad.toml"
    p.write_text(textwrap.dedent(STUDY).replace(old, new))
    out = tmp_path / "res"
    assert main(["run", str(p), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert needle in err and "bad.toml" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_bad_arguments_exit_2(tmp_path, capsys):
    assert main(["run", "--algorithm", "push_pull", "--topology", "exp:4", "--steps",
                 "10"]) == 2                                    # missing --step-size
    assert main(["run", "--algorithm", "nope", "--topology", "exp:4", "--steps", "10",
                 "--step-size", "0.1"]) == 2
    assert main(["run", "--algorithm", "push_pull", "--topology", "exp:4", "--steps",
                 "-3", "--step-size", "0.1"]) == 2
    assert main(["run", "--algorithm", "push_pull", "--topology", "exp:4", "--steps",
                 "10", "--step-size", "0.1/m"]) == 2
    assert main(["topology", "exp:16", "--side", "diagonal"]) == 2   # argparse error
    assert main(["frobnicate"]) == 2
    assert main(["run", str(tmp_path / "missing.toml")]) == 2
    assert main(["plot", str(tmp_path)]) == 2                        # no runs there
    err = capsys.readouterr().err
    assert "Traceback" not in err


def test_single_run_prints_table_and_saves(tmp_path, capsys):
    out = tmp_path / "single"
    code = main(["run", "--algorithm", "pull_diag_gt", "--topology", "exp:{n}", "--n", "8",
                 "--problem", "quadratic", "--problem-param", "dim=3", "--steps", "200",
                 "--step-size", "0.4/n", "--seeds", "0,1", "--noise", "0.1", "--out",
                 str(out), "--quiet"])
    assert code == 0
    text = capsys.readouterr().out
    assert "grad_norm" in text and "seed=1" in text and "mean" in text
    (run_dir,) = out.iterdir()
    assert run_dir.name == "pull_diag_gt[alpha=0.05]--exp[n=8]--seeds=0,1"
    assert (run_dir / "run.json").exists()
    # --from reruns it exactly
    assert main(["run", "--from", str(run_dir / "run.json"), "--quiet"]) == 0
    assert "identical history" in capsys.readouterr().out
    # an existing run is not overwritten without --overwrite
    again = ["run", "--algorithm", "pull_diag_gt", "--topology", "exp:8", "--problem",
             "quadratic", "--problem-param", "dim=3", "--steps", "200", "--step-size",
             "0.05", "--seeds", "0,1", "--noise", "0.1", "--out", str(out), "--quiet"]
    before = (run_dir / "run.json").read_bytes()
    assert main(again) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (run_dir / "run.json").read_bytes() == before
    assert main(again + ["--overwrite"]) == 0


def test_diverged_single_run_exit_1(capsys):
    assert main(["run", "--algorithm", "push_pull", "--topology", "ring:4", "--problem",
                 "quadratic", "--steps", "300", "--step-size", "100", "--quiet"]) == 1
    assert "FAILED" in capsys.readouterr().out


def test_topology_json_and_table(capsys):
    assert main(["topology", "exp:16", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["beta"] == pytest.approx(0.6, abs=1e-9) and d["n"] == 16
    assert main(["topology", "skewring:16"]) == 0
    text = capsys.readouterr().out
    assert "kappa" in text and "0.9808" in text
    assert main(["topology", "exp:8", "--side", "column", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["side"] == "column"


def test_list(capsys):
    assert main(["list"]) == 0
    text = capsys.readouterr().out
    for word in ("push_pull", "pull_diag_gt", "logistic", "samples_per_node", "exp:16",
                 "demo"):
        assert word in text


def test_verify_fallback(monkeypatch, capsys):
    import importlib
    real = importlib.import_module

    def fake(name, *a, **k):
        if name == "decopt.verify":
            raise ModuleNotFoundError("no", name="decopt.verify")
        return real(name, *a, **k)

    monkeypatch.setattr(importlib, "import_module", fake)
    assert main(["verify"]) == 2
    assert "not available" in capsys.readouterr().err


def test_demo_quick_and_plot(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "||grad f(xbar)||" in text and "pull_diag_gt (R=5)" in text
    png = out / "demo_quick.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "demo_quick" / "summary.csv").exists()
    # decopt plot on a study directory and on one run directory
    pdf = tmp_path / "fig.pdf"
    assert main(["plot", str(out / "demo_quick"), "--x", "grad_evals", "--out",
                 str(pdf)]) == 0
    assert pdf.read_bytes()[:4] == b"%PDF"
    run_dir = next((out / "demo_quick").glob("push_pull*"))
    assert main(["plot", str(run_dir), "--metric", "consensus"]) == 0
    assert (run_dir / "consensus_vs_rounds.png").exists()
    assert main(["plot", str(run_dir), "--metric", "nope"]) == 2


def test_python_dash_m(tmp_path):
    r = subprocess.run([sys.executable, "-m", "decopt", "topology", "exp:8", "--json"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["n"] == 8
    r = subprocess.run([sys.executable, "-m", "decopt", "topology", "exp:0"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.startswith("decopt: error:")
    assert "Traceback" not in r.stderr
