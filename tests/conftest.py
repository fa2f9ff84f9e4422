"""Shared test fixtures: run the CLI as a user would, in its own process; load a benchmark script as a module."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import forked_cli
import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_archsel(*args: str, env: dict[str, str] | None = None, input: str | None = None,
                cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m archsel ARGS` as a user would, in its own process (forked_cli); the completed process."""
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})}
    return forked_cli.run(list(args), full_env, input, cwd or ROOT)


def benchmark(name: str) -> Any:
    """A script of benchmarks/ as a module (they are scripts, not a package)."""
    folder = str(ROOT / "benchmarks")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module(name)


@pytest.fixture
def archsel() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_archsel
