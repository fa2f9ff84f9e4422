"""The tests' CLI runner (forked_cli: processes forked from a zygote) gives what a new interpreter gives: the
same exit code, stdout and stderr, for usage errors, stdin, the working directory and the environment."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import forked_cli
import pytest

QUERY = "task: video\ntarget: edge\nlatency-ms: 50\n"


@pytest.mark.parametrize(("args", "stdin"), [
    (["recommend", "--tsk", "video"], None),  # a usage error with a did-you-mean: exit 2
    (["recommend", "--query", "-", "-f", "json"], QUERY),  # stdin, JSON on stdout
    (["recommend", "--query", "-", "--top", "2"], QUERY),  # the table at COLUMNS wide
    (["rules", "validate", "missing.yaml"], None),  # a path relative to the working directory
])
def test_a_forked_call_equals_a_new_interpreter(args: list[str], stdin: str | None, tmp_path: Path) -> None:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "90", "ARCHSEL_CACHE_DIR": str(tmp_path / "cache")}
    forked_cli.run(["recommend", "--query", "-"], env, QUERY, tmp_path)  # both calls find the cache warm
    forked = forked_cli.run(args, env, stdin, tmp_path)
    new = forked_cli.run(args, {**env, forked_cli.FORCE_SUBPROCESS: "1"}, stdin, tmp_path)
    assert (forked.returncode, forked.stdout, forked.stderr) == (new.returncode, new.stdout, new.stderr)
    assert forked.returncode in (0, 2) and (forked.stdout or forked.stderr)
    assert forked_cli._zygotes[(threading.get_ident(), False)].process.poll() is None  # it forked


def test_bytes_with_a_startup_environment_of_their_own_equal_a_new_interpreter(tmp_path: Path) -> None:
    """The hostile corpus's calls: PYTHONIOENCODING set, bytes that are not UTF-8 on stdin, bytes back."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "90", "PYTHONIOENCODING": "utf-8"}
    stdin = "task: vidéo\ntarget: edge\n".encode("latin-1")
    forked = forked_cli.run(["recommend", "--query", "-"], env, stdin, tmp_path, text=False, startup_shared=True)
    new = forked_cli.run(["recommend", "--query", "-"], {**env, forked_cli.FORCE_SUBPROCESS: "1"}, stdin, tmp_path,
                         text=False)
    assert (forked.returncode, forked.stdout, forked.stderr) == (new.returncode, new.stdout, new.stderr)
    assert forked.returncode == 2 and forked.stderr.startswith(b"<stdin>:1:10: not UTF-8 text")
    assert forked_cli._zygotes[(threading.get_ident(), True)].env["PYTHONIOENCODING"] == "utf-8"  # it forked


def test_an_environment_that_changes_startup_gets_a_new_interpreter(tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text("import sys; sys.stderr.write('started anew\\n')\n", encoding="utf-8")
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(tmp_path)}
    assert "started anew" in forked_cli.run(["--version"], env, None, tmp_path).stderr
