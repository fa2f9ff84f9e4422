"""The profile result cache: one JSON file per (model, input, batch, dtype, conditions, device fingerprint,
torch and archsel versions), under platformdirs.user_cache_dir("archsel") or $ARCHSEL_CACHE_DIR.

Writes are atomic (a temporary file in the same folder, then os.replace), so concurrent runs never
leave a half-written entry; the last writer wins. An entry that cannot be read back (corrupt, wrong
format, key mismatch) is deleted with a logged warning and treated as a miss. Importing this module
does not import torch (`archsel cache info|clear` stays fast).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import platform
from pathlib import Path
from typing import Any

from archsel import __version__
from archsel.files import write_atomic
from archsel.machine import cpu_model

LOG = logging.getLogger(__name__)  # warnings reach stderr through archsel.log
CACHE_FORMAT = 1
ENV_VAR = "ARCHSEL_CACHE_DIR"
_SUBDIR = "profiles"


def cache_root() -> Path:
    """$ARCHSEL_CACHE_DIR if set, else the platform's user cache folder for archsel."""
    override = os.environ.get(ENV_VAR)
    if override:
        root = Path(override).expanduser()
        if root.exists() and not root.is_dir():
            from archsel.errors import UsageError

            raise UsageError(f"{ENV_VAR}={override}: not a folder (it is a file)",
                             hint=f"point {ENV_VAR} at a folder, or unset it for the default cache location")
        return root
    import platformdirs

    return Path(platformdirs.user_cache_dir("archsel"))


def device_fingerprint(device: str) -> dict[str, Any]:
    """What identifies the hardware and software a measurement came from."""
    import torch

    fp: dict[str, Any] = {
        "device": device,
        "machine": platform.machine(),
        "system": platform.system(),
        "torch_version": torch.__version__,
        "archsel_version": __version__,
    }
    if device.startswith("cuda"):
        dev = torch.device(device)
        props = torch.cuda.get_device_properties(dev)
        fp.update(
            gpu_name=props.name,
            gpu_capability=f"{props.major}.{props.minor}",
            gpu_memory_bytes=int(props.total_memory),
            cuda_version=torch.version.cuda,
            cudnn_version=torch.backends.cudnn.version(),
        )
    else:
        fp.update(cpu_model=cpu_model(), cpu_count=os.cpu_count(),
                  cpu_capability=torch.backends.cpu.get_cpu_capability())
    return fp


def make_key(fields: dict[str, Any]) -> str:
    """A stable hash of the key fields (canonical JSON: sorted keys, no whitespace)."""
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class ResultCache:
    """A folder of JSON entries, each {"cache_format", "key", "result"}, named by the key's hash."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else cache_root()
        self.folder = self.root / _SUBDIR

    def path_for(self, fields: dict[str, Any]) -> Path:
        return self.folder / f"{make_key(fields)}.json"

    def get(self, fields: dict[str, Any]) -> dict[str, Any] | None:
        """The cached result for `fields`, or None; a corrupt entry is removed with a warning."""
        path = self.path_for(fields)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            LOG.warning("cannot read cache entry %s: %s; recomputing", path, exc)
            return None
        try:
            entry = json.loads(text)
            ok = (isinstance(entry, dict) and entry.get("cache_format") == CACHE_FORMAT
                  and entry.get("key") == json.loads(json.dumps(fields, default=str))
                  and isinstance(entry.get("result"), dict))
        except ValueError:
            ok = False
        if not ok:
            LOG.warning("discarding corrupt cache entry %s; recomputing", path)
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        result: dict[str, Any] = entry["result"]
        return result

    def put(self, fields: dict[str, Any], result: dict[str, Any]) -> Path:
        """Store `result` atomically; returns the entry's path."""
        text = json.dumps({"cache_format": CACHE_FORMAT, "key": fields, "result": result},
                          indent=1, sort_keys=True, default=str, allow_nan=False)
        return write_atomic(self.path_for(fields), text, what="cache entry")

    def entries(self) -> list[Path]:
        return sorted(self.folder.glob("*.json")) if self.folder.is_dir() else []

    def info(self) -> dict[str, Any]:
        """Where the cache is, how many entries and bytes it holds."""
        files = self.entries()
        return {
            "cache_dir": str(self.root),
            "entries_dir": str(self.folder),
            "entries": len(files),
            "size_bytes": sum(f.stat().st_size for f in files if f.exists()),
            "overridden_by_env": ENV_VAR in os.environ and bool(os.environ[ENV_VAR]),
        }

    def clear(self) -> int:
        """Delete every entry (and stray temporary files); returns how many entries were removed."""
        removed = 0
        for f in self.entries():
            with contextlib.suppress(FileNotFoundError):
                f.unlink()
                removed += 1
        if self.folder.is_dir():
            for tmp in self.folder.glob(".*.tmp"):
                with contextlib.suppress(OSError):
                    tmp.unlink()
        return removed
