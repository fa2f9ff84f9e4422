"""Knowledge snapshots (archsel/snapshot.py): a warm process reads validated knowledge from the cache folder;
an edited file is never served from an old snapshot (its problems keep their file:line:col); a damaged
snapshot, or one that cannot be written, changes nothing."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from archsel.knowledge import loader
from archsel.query import vocab
from archsel.snapshot import SUBDIR, snapshot_files
from archsel.targets import profiles

ROOT = Path(__file__).resolve().parent.parent
Run = Callable[..., subprocess.CompletedProcess[str]]


def _ids(stdout: str) -> list[str]:
    return [c["id"] for c in json.loads(stdout)["candidates"]]


def test_an_edited_rule_file_is_validated_again_with_its_place(archsel: Run, tmp_path: Path) -> None:
    rules, cache = tmp_path / "rules", tmp_path / "cache"
    shutil.copytree(ROOT / "rules", rules)
    args = ("recommend", "--task", "image", "--target", "edge", "--rules", str(rules), "-f", "json")
    env = {"ARCHSEL_CACHE_DIR": str(cache)}
    first = archsel(*args, env=env)
    assert first.returncode == 0, first.stderr
    kinds = sorted(p.name.split("-")[0] for p in snapshot_files(cache / SUBDIR))
    assert kinds == ["profiles", "rules", "vocabulary"]  # the rules: built-in and --rules, merged
    target = rules / "vision.yaml"
    text = target.read_text(encoding="utf-8")
    line = text.splitlines().index(next(t for t in text.splitlines() if t.strip().startswith("title:"))) + 1
    target.write_text(text.replace("title:", "titel:", 1), encoding="utf-8")
    broken = archsel(*args, env=env)
    assert broken.returncode == 2
    assert f"{target}:{line}:" in broken.stderr and "unknown key 'titel'" in broken.stderr
    target.write_text(text, encoding="utf-8")
    again = archsel(*args, env=env)
    assert again.returncode == 0 and _ids(again.stdout) == _ids(first.stdout)
    assert len(snapshot_files(cache / SUBDIR)) == 3  # the same contents: the same snapshot, read back


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """An empty cache folder and no knowledge loaded in this process yet."""
    monkeypatch.setenv("ARCHSEL_CACHE_DIR", str(tmp_path / "cache"))
    for cached in (loader._rules_cached, vocab.load_vocabulary, profiles._load_cached, profiles._file_cached):
        cached.cache_clear()
    yield tmp_path / "cache" / SUBDIR
    for cached in (loader._rules_cached, vocab.load_vocabulary, profiles._load_cached, profiles._file_cached):
        cached.cache_clear()


def _reload() -> loader.RuleSet:
    loader._rules_cached.cache_clear()
    vocab.load_vocabulary.cache_clear()
    return loader.load_rules()


@pytest.mark.parametrize("damage", [b"", b"\x80\x04not a pickle", pickle.dumps("a string, not a RuleSet")])
def test_a_damaged_snapshot_is_rebuilt(fresh: Path, damage: bytes) -> None:
    first = _reload()
    (snapshot,) = [p for p in snapshot_files(fresh) if p.name.startswith("rules-")]
    snapshot.write_bytes(damage)
    again = _reload()
    assert [r.id for r in again.rules] == [r.id for r in first.rules]
    assert isinstance(pickle.loads(snapshot.read_bytes()), loader.RuleSet)  # written again, whole


def test_a_snapshot_is_read_back_instead_of_parsing(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _reload()

    def no_parsing(*_: object, **__: object) -> None:
        raise AssertionError("parsed a rules file although a valid snapshot was there")

    monkeypatch.setattr(loader, "check_rules", no_parsing)
    assert [r.id for r in _reload().rules] == [r.id for r in first.rules]


def test_an_unwritable_cache_folder_means_no_snapshot_not_an_error(fresh: Path) -> None:
    fresh.parent.mkdir(parents=True)
    fresh.write_text("a file where the snapshot folder belongs\n", encoding="utf-8")
    assert len(_reload().rules) > 50
    assert fresh.is_file()


def test_cache_clear_removes_the_snapshots_and_nothing_else(archsel: Run, tmp_path: Path) -> None:
    env = {"ARCHSEL_CACHE_DIR": str(tmp_path)}
    assert archsel("recommend", "--task", "image", "--target", "edge", env=env).returncode == 0
    foreign = tmp_path / SUBDIR / "notes-mine.pickle"
    foreign.write_bytes(b"not ours")
    out = archsel("cache", "clear", "-f", "json", env=env)
    assert out.returncode == 0 and json.loads(out.stdout)["removed_snapshots"] == 3
    assert snapshot_files(tmp_path / SUBDIR) == [] and foreign.read_bytes() == b"not ours"
