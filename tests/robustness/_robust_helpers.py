"""Helpers of the robustness suite (imported by its conftest and test modules): a
counter of generated bad inputs, printed in the terminal summary, and subprocess
launching with timeouts."""

from __future__ import annotations

import collections
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: kind of bad input -> number of inputs fed (hypothesis examples + fixed cases)
BAD_INPUTS: collections.Counter = collections.Counter()


def count(kind: str, k: int = 1) -> None:
    BAD_INPUTS[kind] += k


def env_with_repo() -> dict:
    return dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))


def decopt_cmd(*args) -> list[str]:
    return [sys.executable, "-m", "decopt", *map(str, args)]


def run_cli(*args, timeout=60, cwd=None) -> subprocess.CompletedProcess:
    """``python -m decopt ARGS`` in a subprocess, killed after ``timeout`` seconds."""
    return subprocess.run(decopt_cmd(*args), capture_output=True, text=True, timeout=timeout,
                          env=env_with_repo(), cwd=cwd)
