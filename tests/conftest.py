"""Shared test fixtures: run the CLI as a user would, in its own process."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import forked_cli
import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_archsel(*args: str, env: dict[str, str] | None = None, input: str | None = None,
                cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m archsel ARGS` as a user would, in its own process (forked_cli); the completed process."""
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})}
    return forked_cli.run(list(args), full_env, input, cwd or ROOT)


@pytest.fixture
def archsel() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_archsel
