"""The run-options table is the one source of decopt.run's checks, the TOML keys of a
study and the flags of ``decopt run``."""

from __future__ import annotations

import inspect

import pytest

import decopt
from decopt import options as opts
from decopt import study as st
from decopt.cli.parser import build_parser

TABLE_KEYS = {"study": st.STUDY_KEYS, "algorithm": st.ALGORITHM_KEYS,
              "topology": st.TOPOLOGY_KEYS}


@pytest.mark.parametrize("row", opts.RUN_OPTIONS, ids=lambda r: r.name)
def test_every_row_reaches_python_toml_and_cli(row):
    assert row.name in inspect.signature(decopt.run).parameters or \
        "more_options" in inspect.signature(decopt.run).parameters
    if row.toml:
        assert row.name in TABLE_KEYS[row.toml]
    if row.flag:
        run = build_parser()._subparsers._group_actions[0].choices["run"]
        assert any(row.flag in a.option_strings for a in run._actions), row.flag


@pytest.mark.parametrize("row", [r for r in opts.RUN_OPTIONS
                                 if r.default is not opts.REQUIRED], ids=lambda r: r.name)
def test_every_row_checks_its_value(row):
    """A string where a number or a choice is expected is rejected by the row's check,
    naming the option (TypeError for a wrong type, ValueError for a wrong choice)."""
    with pytest.raises((TypeError, ValueError), match=row.name):
        row.validate("zz")


def test_unknown_run_option_is_a_type_error():
    with pytest.raises(TypeError, match="unknown run option 'nope'"):
        decopt.run("gt", decopt.problems.quadratic(n=4), "exp:4", steps=1, step_size=0.1,
                   nope=1)


def test_a_new_row_flows_from_toml_to_the_resolved_run(monkeypatch):
    """What a feature helper does: add a row; the study carries the key to the resolved
    run's options and records it in the config only when it is not the default."""
    from decopt.study import execute, expand, parse, schema
    row = opts.RunOption("link_failure", 0.0, lambda n, v: opts.check_number(n, v, 0.0),
                         "study", "--link-failure", float, "link failure probability")
    monkeypatch.setitem(opts.OPTIONS, "link_failure", row)
    monkeypatch.setattr(schema, "EXTRA_OPTIONS", ("link_failure",))
    monkeypatch.setattr(expand, "EXTRA_OPTIONS", ("link_failure",))
    for mod in (expand, parse):
        monkeypatch.setattr(mod, "STUDY_KEYS", schema.STUDY_KEYS + ("link_failure",))
    doc = {"study": {"steps": 3, "link_failure": 0.25}, "problem": {"name": "quadratic"},
           "topology": {"spec": "exp:4"}, "algorithm": [{"name": "gt", "step_size": 0.1}]}
    (r,) = st.parse_study(doc).runs
    assert r.extra == {"link_failure": 0.25} and r.config()["link_failure"] == 0.25
    resolved = execute.resolve_spec(r)
    assert resolved.options["link_failure"] == 0.25
    assert resolved.config()["link_failure"] == 0.25
    doc["study"]["link_failure"] = "high"
    with pytest.raises(TypeError, match=r"\[study\] link_failure must be a finite number"):
        st.parse_study(doc)
    doc["study"]["link_failure"] = 0.0          # the default: not in the config
    (r,) = st.parse_study(doc).runs
    assert "link_failure" not in r.config()
