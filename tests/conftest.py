"""Shared test fixtures: run the CLI in-process or as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_archsel(*args: str, env: dict[str, str] | None = None, input: str | None = None,
                cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m archsel ARGS` as a user would; returns the completed process (text)."""
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})}
    return subprocess.run([sys.executable, "-m", "archsel", *args], capture_output=True, text=True,
                          env=full_env, input=input, cwd=cwd or ROOT, timeout=600)


@pytest.fixture
def archsel() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_archsel
