"""Files: writing them so that nothing is ever left half-written (a temporary file in the same folder, then
rename), and the stamp that tells a per-process cache a folder's files changed."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from archsel.errors import UsageError


def write_atomic(path: Path, data: str | bytes, *, what: str = "file",
                 check: Callable[[Path], None] | None = None) -> Path:
    """Write `data` (text as UTF-8, or bytes) to `path` through `.NAME.*.tmp` beside it and os.replace.

    `check(tmp)` may inspect the complete temporary file and raise to abandon the write. Any error leaves
    the old file (if any) untouched and no temporary file behind; an OSError becomes a UsageError naming
    `what` (e.g. "--output") and the path.
    """
    path = Path(path)
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        if check is not None:
            check(Path(tmp))
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise UsageError(f"cannot write {what} {str(path)!r}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return path


def exists(path: Path) -> bool:
    """Path.exists, False where the system cannot even look the path up (a name too long: Path.exists raises
    OSError there), so that the loader reports the path instead of crashing on it."""
    try:
        return path.exists()
    except OSError:
        return False


def stamp(path: Path, suffixes: tuple[str, ...] = (".yaml", ".yml")) -> tuple[tuple[str, int], ...]:
    """Names and modification times of a folder's files with `suffixes` (a file: its own; missing or
    unreadable: ()): the key of a per-process cache that notices edits."""
    try:
        if path.is_file():
            return ((path.name, path.stat().st_mtime_ns),)
        if not path.is_dir():
            return ()
        return tuple(sorted((c.name, _mtime(c)) for c in path.iterdir() if c.suffix in suffixes))
    except OSError:  # a name too long, a folder that cannot be listed: the loader says what is wrong
        return ()


def _mtime(path: Path) -> int:
    """Modification time of `path`; -1 for a link that leads nowhere or round in a loop (the loader reports it)."""
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


def resolved(path: Path) -> Path:
    """`path.resolve()`, or the absolute path where links loop (Python 3.11 raises RuntimeError there)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()
