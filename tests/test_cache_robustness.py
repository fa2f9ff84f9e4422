"""The result cache never changes an answer and never stops a run (issue 19): a cache location that cannot be
used (read-only, full, a file) warns once and the run goes on uncached with the same answer; an entry whose
values have the wrong type is recomputed and replaced; `cache clear` removes only the cache's own entries.

The CLI runs as a subprocess (tests/conftest.py), each test with its own ARCHSEL_CACHE_DIR.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from archsel.profiling import cache as cache_mod
from archsel.profiling.cache import ResultCache
from tests.conftest import ROOT as REPO
from tests.conftest import run_archsel

Run = Callable[..., subprocess.CompletedProcess[str]]
QUERY = ("recommend", "--task", "image", "--target", "edge", "--latency-ms", "50", "-f", "json")
PROFILE = ("profile", "lenet5", "--time-budget", "0.3", "--threads", "1", "-f", "json")
WARNING = "archsel: warning:"
ROOT = os.geteuid() == 0


def _answer(out: subprocess.CompletedProcess[str]) -> list[tuple[str, float, str]]:
    """The ranked candidates of a recommend run: (model id, p50 latency, status)."""
    assert out.returncode == 0, (out.returncode, out.stderr)
    assert "internal error" not in out.stderr and "Traceback" not in out.stderr, out.stderr
    candidates = json.loads(out.stdout)["candidates"]
    assert candidates
    return [(c["id"], c["latency"]["p50_ms"], c["status"]) for c in candidates]


def _warnings(out: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in out.stderr.splitlines() if line.startswith(WARNING)]


def _entries(root: Path) -> list[Path]:
    return sorted((root / "profiles").glob("*.json"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[tuple[str, float, str]], Path]:
    """The answer with a fresh writable cache, and that cache (15 count entries) to copy."""
    root = tmp_path_factory.mktemp("reference") / "cache"
    out = run_archsel(*QUERY, env={"ARCHSEL_CACHE_DIR": str(root)})
    assert _warnings(out) == [], out.stderr
    assert len(_entries(root)) >= 5
    return _answer(out), root


@pytest.fixture
def warm(reference: tuple[Any, Path], tmp_path: Path) -> Path:
    """A copy of the reference cache, this test's own."""
    root = tmp_path / "cache"
    shutil.copytree(reference[1], root)
    return root


def _cli(prefix: list[str], *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`python -m archsel ARGS` run through `prefix` (a command that execs the rest), as run_archsel does."""
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **env}
    return subprocess.run([*prefix, sys.executable, "-m", "archsel", *args], capture_output=True, text=True,
                          env=full_env, cwd=REPO, timeout=600)


def _in_tmpfs(folder: Path, options: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run archsel with a small tmpfs mounted at `folder` (`options`: e.g. "ro" or "size=64k") in a private mount
    namespace (nothing stays mounted), `folder` as its cache; skips where the machine allows no such mount."""
    if shutil.which("unshare") is None:
        pytest.skip("no unshare(1) here to mount a tmpfs")
    folder.mkdir(parents=True, exist_ok=True)
    userns = [] if ROOT else ["--map-root-user"]
    script = 'mount -t tmpfs -o "$1" tmpfs "$2" || exit 99; shift 2; exec "$@"'
    prefix = ["unshare", *userns, "--mount", "sh", "-c", script, "sh", options, str(folder)]
    probe = subprocess.run([*prefix, "true"], capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (unshare/mount: {probe.stderr.strip()[:200]})")
    return _cli(prefix, *args, env={"ARCHSEL_CACHE_DIR": str(folder)})


def _mode_bits_apply(read_only: Path) -> list[str]:
    """A prefix under which the CLI cannot write into `read_only` (mode 0o555): none for a user; for root, who
    ignores mode bits, setpriv without the capabilities that override them; else a skip."""
    if not os.access(read_only, os.W_OK):
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv(1): the mode bits do not stop writes")
    prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"]
    probe = subprocess.run([*prefix, sys.executable, "-c", "import os, sys; sys.exit(os.access(sys.argv[1], 2))",
                            str(read_only)], capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip(f"running as root: cannot drop the capabilities that override mode bits ({probe.stderr[:200]})")
    return prefix


# ------------------------------------------------------------------------------------------ unusable locations


def test_a_read_only_cache_folder_gives_the_same_answer_with_one_warning(
        reference: tuple[Any, Path], tmp_path: Path) -> None:
    root = tmp_path / "cache"
    root.mkdir()
    root.chmod(0o555)
    try:
        out = _cli(_mode_bits_apply(root), *QUERY, env={"ARCHSEL_CACHE_DIR": str(root)})
    finally:
        root.chmod(0o755)
    assert _answer(out) == reference[0]
    warnings = _warnings(out)
    assert len(warnings) == 1, out.stderr
    assert "cannot write to the cache" in warnings[0] and "Permission denied" in warnings[0], warnings
    assert list(root.iterdir()) == []


def test_a_read_only_file_system_gives_the_same_answer_with_one_warning(
        reference: tuple[Any, Path], tmp_path: Path) -> None:
    out = _in_tmpfs(tmp_path / "cache", "ro,size=64k", *QUERY)
    assert _answer(out) == reference[0]
    warnings = _warnings(out)
    assert len(warnings) == 1, out.stderr
    assert "Read-only file system" in warnings[0] and "running without" in warnings[0]


def test_a_full_disk_gives_the_same_answer_with_one_warning(reference: tuple[Any, Path], tmp_path: Path) -> None:
    root = tmp_path / "cache"
    out = _in_tmpfs(root, "size=64k", *QUERY)  # a few small entries fit, then every write is ENOSPC
    assert _answer(out) == reference[0]
    warnings = _warnings(out)
    assert len(warnings) == 1, out.stderr
    assert "No space left on device" in warnings[0]


def test_a_cache_location_that_is_a_file_gives_the_same_answer_with_one_warning(
        archsel: Run, reference: tuple[Any, Path], tmp_path: Path) -> None:
    afile = tmp_path / "cache"
    afile.write_text("not a folder\n")
    out = archsel(*QUERY, env={"ARCHSEL_CACHE_DIR": str(afile)})
    assert _answer(out) == reference[0]
    warnings = _warnings(out)
    assert len(warnings) == 1, out.stderr
    assert f"ARCHSEL_CACHE_DIR={afile}: not a folder" in warnings[0] and "running without the cache" in warnings[0]
    assert afile.read_text() == "not a folder\n"
    for command in (("cache", "info"), ("cache", "clear")):  # commands about the cache itself: exit 2, one line
        info = archsel(*command, env={"ARCHSEL_CACHE_DIR": str(afile)})
        assert info.returncode == 2, (command, info.returncode, info.stderr)
        assert info.stderr.count("\n") == 1 and "not a folder" in info.stderr and info.stdout == ""


def test_a_file_where_the_profiles_folder_should_be_gives_the_same_answer_with_one_warning(
        archsel: Run, reference: tuple[Any, Path], tmp_path: Path) -> None:
    root = tmp_path / "cache"
    root.mkdir()
    (root / "profiles").write_text("in the way\n")
    out = archsel(*QUERY, env={"ARCHSEL_CACHE_DIR": str(root)})
    assert _answer(out) == reference[0]
    warnings = _warnings(out)
    assert len(warnings) == 1 and "profiles is not a folder" in warnings[0], out.stderr
    assert (root / "profiles").read_text() == "in the way\n"
    info = archsel("cache", "info", env={"ARCHSEL_CACHE_DIR": str(root)})
    assert info.returncode == 2 and "not a folder" in info.stderr and "Traceback" not in info.stderr


def test_a_write_failing_with_enospc_is_not_an_error_and_warns_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """In process: every write under the root fails as on a full disk (fsync: ENOSPC)."""
    monkeypatch.setattr(cache_mod, "_warned", False)
    calls: list[int] = []

    def full(fd: int) -> None:
        calls.append(fd)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    cache = ResultCache(tmp_path)
    monkeypatch.setattr(os, "fsync", full)
    with caplog.at_level(logging.WARNING, logger="archsel"):
        assert cache.put({"model_id": "a"}, {"p50_ms": 1.0}) is None
        assert cache.put({"model_id": "b"}, {"p50_ms": 2.0}) is None  # not tried again
        assert ResultCache(tmp_path).put({"model_id": "c"}, {"p50_ms": 3.0}) is None
    monkeypatch.undo()
    assert len(calls) == 1 and not cache.writable
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1 and "No space left on device" in messages[0], messages
    assert list((tmp_path / "profiles").iterdir()) == []  # no temporary file left behind
    assert cache.get({"model_id": "a"}) is None


# ------------------------------------------------------------------------------------------ wrong-typed entries


def _mutate_count(result: dict[str, Any], how: str) -> None:
    rows = json.loads(result["ops_json"])
    if how == "macs is a string":
        result["macs"] = str(result["macs"])
    elif how == "macs is negative":
        result["macs"] = -1
    elif how == "params is a bool":
        result["params"] = True
    elif how == "ops_json is not a list":
        result["ops_json"] = json.dumps({"rows": rows})
    elif how == "an op row is short":
        rows[0] = rows[0][:-1]
        result["ops_json"] = json.dumps(rows)
    elif how == "an op's macs is a float":
        rows[0][3] = 1.5
        result["ops_json"] = json.dumps(rows)
    elif how == "uncounted_ops holds a string":
        result["uncounted_ops"] = {"aten.x": "many"}
    elif how == "a field is missing":
        del result["peak_activation_bytes"]
    elif how == "another model's count":
        result["model_id"] = "not_this_model"
    elif how == "seconds is NaN":
        result["seconds"] = float("nan")  # json.dumps writes it as NaN
    else:
        raise AssertionError(how)


COUNT_DAMAGE = ["macs is a string", "macs is negative", "params is a bool", "ops_json is not a list",
                "an op row is short", "an op's macs is a float", "uncounted_ops holds a string", "a field is missing",
                "another model's count", "seconds is NaN"]


def test_count_entries_with_wrong_values_are_recomputed_and_replaced(
        archsel: Run, reference: tuple[Any, Path], warm: Path) -> None:
    """One damage per entry (one run for all): each is a miss, recounted and written again, valid."""
    paths = _entries(warm)
    assert len(paths) >= len(COUNT_DAMAGE)
    good: dict[str, dict[str, Any]] = {}
    for path, how in zip(paths, COUNT_DAMAGE, strict=False):
        entry = json.loads(path.read_text())
        good[how] = json.loads(json.dumps(entry["result"]))
        _mutate_count(entry["result"], how)
        path.write_text(json.dumps(entry))
    out = archsel(*QUERY, env={"ARCHSEL_CACHE_DIR": str(warm)})
    assert _answer(out) == reference[0]
    warnings = _warnings(out)
    assert len(warnings) == len(COUNT_DAMAGE), out.stderr
    assert all("discarding corrupt cache entry" in w for w in warnings), out.stderr
    for path, how in zip(paths, COUNT_DAMAGE, strict=False):
        replaced = json.loads(path.read_text())["result"]
        assert {k: v for k, v in replaced.items() if k != "seconds"} == {
            k: v for k, v in good[how].items() if k != "seconds"}, how
    again = archsel(*QUERY, env={"ARCHSEL_CACHE_DIR": str(warm)})
    assert _answer(again) == reference[0] and _warnings(again) == []


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache holding one measured record (lenet5)."""
    root = tmp_path_factory.mktemp("measured") / "cache"
    first = run_archsel(*PROFILE, env={"ARCHSEL_CACHE_DIR": str(root)})
    assert first.returncode == 0, first.stderr
    assert len(_entries(root)) == 1
    return root


@pytest.mark.parametrize("damage", [("p50_ms", "fast"), ("p50_ms", -1.0), ("p50_ms", "NaN")])
def test_a_measured_latency_with_a_wrong_value_is_measured_again(
        archsel: Run, measured: Path, tmp_path: Path, damage: tuple[str, Any]) -> None:
    root = tmp_path / "cache"
    shutil.copytree(measured, root)
    env = {"ARCHSEL_CACHE_DIR": str(root)}
    [path] = _entries(root)
    entry = json.loads(path.read_text())
    field, value = damage
    entry["result"]["latency"][field] = value
    text = json.dumps(entry).replace('"NaN"', "NaN")
    path.write_text(text)
    out = archsel(*PROFILE, env=env)
    assert out.returncode == 0, out.stderr
    [record] = json.loads(out.stdout)["results"]
    assert record["status"] == "ok" and record["cached"] is False
    assert isinstance(record["latency"][field], (int, float)) and record["latency"][field] > 0
    assert "discarding corrupt cache entry" in out.stderr
    stored = json.loads(path.read_text())["result"]["latency"][field]
    assert isinstance(stored, (int, float)) and stored > 0


# ------------------------------------------------------------------------------------------ cache clear and info


def test_cache_clear_removes_only_its_own_entries(archsel: Run, warm: Path, tmp_path: Path) -> None:
    env = {"ARCHSEL_CACHE_DIR": str(warm)}
    folder = warm / "profiles"
    ours = _entries(warm)
    outside = tmp_path / "outside.json"
    outside.write_text('{"cache_format": 1, "key": {}, "result": {}}')
    foreign = {
        "notes.json": '{"mine": true}\n',
        "mine.txt": "keep me\n",
        "0" * 64 + ".json": '{"cache_format": 1, "key": {}, "result": {}, "mine": true}',  # not our format
        "1" * 64 + ".json": "not json at all",
        ".notes.json.abc.tmp": "someone else's temporary file",
    }
    for name, text in foreign.items():
        (folder / name).write_text(text)
    (folder / "sub.json").mkdir()
    (folder / ("2" * 64 + ".json")).symlink_to(outside)  # a link is never ours, nor is what it points to
    our_tmp = folder / f".{ours[0].name}.x1y2z3.tmp"
    our_tmp.write_text("{")

    info = archsel("cache", "info", "-f", "json", env=env)
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["cache"]["entries"] == len(ours)

    out = archsel("cache", "clear", "-f", "json", env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["removed_entries"] == len(ours)
    assert not any(p.exists() for p in ours) and not our_tmp.exists()
    for name, text in foreign.items():
        assert (folder / name).read_text() == text, name
    assert (folder / "sub.json").is_dir() and (folder / ("2" * 64 + ".json")).is_symlink()
    assert outside.exists()
    info = archsel("cache", "info", "-f", "json", env=env)
    assert json.loads(info.stdout)["cache"]["entries"] == 0


def test_a_read_only_warm_cache_is_read_and_clear_is_a_one_line_error(
        reference: tuple[Any, Path], warm: Path) -> None:
    env = {"ARCHSEL_CACHE_DIR": str(warm)}
    folder = warm / "profiles"
    entries = _entries(warm)
    folder.chmod(0o555)
    try:
        prefix = _mode_bits_apply(folder)
        out = _cli(prefix, *QUERY, env=env)
        clear = _cli(prefix, "cache", "clear", env=env)
    finally:
        folder.chmod(0o755)
    assert _answer(out) == reference[0] and _warnings(out) == [], out.stderr  # every count from the cache
    assert clear.returncode == 2 and clear.stderr.count("\n") == 1, clear.stderr
    assert "cannot remove cache entry" in clear.stderr and "Permission denied" in clear.stderr
    assert _entries(warm) == entries
