"""Knowledge snapshots: what the vocabulary, rules and profile loaders built from their YAML files, kept in
the cache folder (`<cache>/knowledge/`) under a key made of those files' exact contents and archsel's own
code, so that a warm process skips parsing and schema validation.

Only knowledge that passed validation is ever stored (the loader raises on a problem, and nothing is
written); any edit to a file, or to archsel, gives a new key, so a problem is always reported by the full
loader with its file:line:col. A snapshot that cannot be read back, or holds the wrong type, is rebuilt; a
cache folder that cannot be written is not an error (the knowledge is simply loaded from YAML each time).
The format is pickle, read only from the user's own cache folder (as black and pylint keep theirs); the
files users give (rules, profiles, queries) are always read as YAML, safely.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from archsel import __version__
from archsel.files import exists

SNAPSHOT_FORMAT = 1
SUBDIR = "knowledge"
SUFFIX = ".pickle"
KEEP = 8  # snapshots kept per kind (several rule folders in use: one each); older ones are removed
T = TypeVar("T")


@lru_cache(maxsize=1)
def code_stamp() -> str:
    """A hash of archsel's own modules (names, sizes, modification times): a snapshot made by other code
    (an upgrade, an edit in a source checkout) is never read back."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256(f"{__version__}|{sys.version}|{SNAPSHOT_FORMAT}".encode())
    for path in sorted(package.rglob("*.py")):
        st = path.stat()
        digest.update(f"{path.relative_to(package)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def snapshot_key(kind: str, sources: Sequence[Path], files: Sequence[Path]) -> str | None:
    """The key of `kind` loaded from `sources` (the folders or files asked for, in order) and built from
    `files` (their paths and bytes), or None when one cannot be read."""
    digest = hashlib.sha256(f"{kind}|{code_stamp()}|{[str(s) for s in sources]}".encode())
    try:
        for path in files:
            data = Path(path).read_bytes()
            digest.update(f"\n{path}|{len(data)}\n".encode())
            digest.update(data)
    except (OSError, ValueError):
        return None
    return digest.hexdigest()


def snapshot_folder() -> Path | None:
    """`<cache>/knowledge`, or None when the cache location cannot be used."""
    from archsel.profiling.cache import cache_root

    try:
        return cache_root() / SUBDIR
    except Exception:  # an unusable cache location only means no snapshot
        return None


def snapshot_files(folder: Path) -> list[Path]:
    """The snapshots in `folder` (what `archsel cache clear` removes)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(f"*-*{SUFFIX}") if len(p.stem.rsplit("-", 1)[-1]) == 64)


def clear_snapshots(root: Path) -> int:
    """Remove the snapshots under the cache folder `root`; how many were removed."""
    removed = 0
    for path in snapshot_files(root / SUBDIR):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed += 1
    return removed


def snapshotted(kind: str, sources: Sequence[Path], files: Sequence[Path], build: Callable[[], T],
                expected: type) -> T:
    """`build()` (which raises on any problem), or its snapshot for these `sources` and exactly these `files`'
    contents. A source that does not exist is never served from a snapshot (its problem is reported)."""
    folder = snapshot_folder()
    if folder is None or not all(exists(Path(s)) for s in sources):
        return build()
    key = snapshot_key(kind, sources, files)
    if key is None:
        return build()
    path = folder / f"{kind}-{key}{SUFFIX}"
    with contextlib.suppress(Exception):  # missing, truncated, from another Python: rebuild
        value = pickle.loads(path.read_bytes())  # the user's own cache folder (module docstring)
        if isinstance(value, expected):
            return value  # type: ignore[return-value]
    value = build()
    _store(folder, path, kind, value)
    return value


def _store(folder: Path, path: Path, kind: str, value: object) -> None:
    from archsel.files import write_atomic

    with contextlib.suppress(Exception):  # unpicklable, read-only, full: the knowledge was loaded anyway
        write_atomic(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), what="knowledge snapshot")
        older = sorted((p for p in snapshot_files(folder) if p.name.startswith(f"{kind}-") and p != path),
                       key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for stale in older[KEEP - 1:]:
            with contextlib.suppress(OSError):
                os.unlink(stale)
