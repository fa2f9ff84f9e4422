"""Where the shipped data folders (rules/, profiles/) live, in a checkout and in an installed wheel."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def _data_dir(name: str) -> Path:
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file() and (root / name).is_dir():
        return root / name  # a source checkout or an editable install
    return Path(str(resources.files("archsel._data") / name))


def rules_dir() -> Path:
    """The built-in rules folder."""
    return _data_dir("rules")


def profiles_dir() -> Path:
    """The built-in hardware profiles folder."""
    return _data_dir("profiles")
