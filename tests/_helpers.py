"""Helpers shared by several test files."""

import textwrap

import numpy as np


def same_history(a, b):
    """Two results have identical histories, wall-clock columns aside."""
    assert set(a.history) == set(b.history)
    for k in a.history:
        if k != "time":
            np.testing.assert_array_equal(np.asarray(a.history[k]), np.asarray(b.history[k]),
                                          err_msg=k)


def run_study_cli(tmp_path_factory, name, text):
    """Write the study ``text`` (dedented) to ``<tmp>/<name>.toml``, run it with
    ``decopt run FILE --out <tmp>/res --quiet`` (must exit 0), return (file, study dir)."""
    from decopt.cli import main
    d = tmp_path_factory.mktemp(name)
    p = d / f"{name}.toml"
    p.write_text(textwrap.dedent(text))
    assert main(["run", str(p), "--out", str(d / "res"), "--quiet"]) == 0
    return p, d / "res" / name


def run_dirs(root):
    """{name: path} of the run directories (with a run.json) of a study directory."""
    return {q.name: q for q in root.iterdir() if (q / "run.json").exists()}
