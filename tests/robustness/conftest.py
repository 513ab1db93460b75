"""Robustness suite: the bad-input counter's summary and the in-process CLI fixture."""

from __future__ import annotations

import pytest
from _robust_helpers import BAD_INPUTS


def pytest_terminal_summary(terminalreporter):
    if not BAD_INPUTS:
        return
    tr = terminalreporter
    tr.section("robustness: bad inputs fed to the public API and the CLI")
    for kind, k in sorted(BAD_INPUTS.items()):
        tr.write_line(f"  {kind:<40} {k:6d}")
    tr.write_line(f"  {'total':<40} {sum(BAD_INPUTS.values()):6d}")


@pytest.fixture
def cli(capsys):
    """In-process ``decopt.cli.main(argv)`` -> (exit status, stdout, stderr)."""
    from decopt.cli import main

    def call(*argv):
        capsys.readouterr()
        rc = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return rc, out, err
    return call
