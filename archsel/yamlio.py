"""YAML loading that keeps line numbers, rejects duplicate keys and code tags, and validates with jsonschema.

Every problem is an archsel.errors.Problem (`file:line:col: message`, 1-based), all reported at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from archsel.errors import Problem, did_you_mean

Pointer = tuple[str | int, ...]


@dataclass
class LoadedYaml:
    """A parsed document plus the position of every node, keyed by its path from the root."""

    path: Path
    data: Any
    marks: dict[Pointer, tuple[int, int]] = field(default_factory=dict)

    def position(self, pointer: Pointer) -> tuple[int, int]:
        """(line, col) of the node at `pointer`, or of its closest ancestor that has a mark."""
        p = tuple(pointer)
        while p not in self.marks and p:
            p = p[:-1]
        return self.marks.get(p, (1, 1))

    def where(self, pointer: Pointer) -> str:
        """`file:line:col` of the node at `pointer` (see position)."""
        line, col = self.position(pointer)
        return f"{self.path}:{line}:{col}"

    def problem(self, pointer: Pointer, message: str, hint: str | None = None) -> Problem:
        """A Problem at the node at `pointer` (a key itself: end the pointer with "<key>")."""
        line, col = self.position(pointer)
        return Problem(str(self.path), line, col, message, hint)


class YamlProblem(Exception):
    """A YAML file that could not be read; `problem` says where and why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class _MarkedLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (only the safe constructors exist: no code runs)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                first = seen[key].start_mark
                raise yaml.constructor.ConstructorError(
                    None, None,
                    f"duplicate key {key!r} (first defined at line {first.line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


def _collect_marks(node: yaml.Node, pointer: Pointer, marks: dict[Pointer, tuple[int, int]]) -> None:
    marks[pointer] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            _collect_marks(value_node, (*pointer, key), marks)
            marks[(*pointer, key, "<key>")] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _collect_marks(item, (*pointer, i), marks)


def _read(path: Path, text: str | None) -> str:
    try:
        return text if text is not None else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlProblem(Problem(str(path), 1, 1, f"cannot read file: {exc}")) from None


TOO_DEEP = "nested too deeply to read (lists or mappings inside each other hundreds of levels down)"


def _problem(path: Path, exc: yaml.YAMLError, text: str = "") -> YamlProblem:
    if isinstance(exc, yaml.reader.ReaderError):  # a NUL or other control character: binary data, not YAML
        before = text[: exc.position]
        line, col = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        return YamlProblem(Problem(str(path), line, col, f"unacceptable character U+{char:04X} (control "
                                                         "characters are not allowed in YAML: binary data?)"))
    if not isinstance(exc, yaml.MarkedYAMLError):
        return YamlProblem(Problem(str(path), 1, 1, str(exc)))
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    message = exc.problem or str(exc)
    if "could not determine a constructor" in message:
        tag = message.split("tag ")[-1].strip()
        message = f"tag {tag} is not allowed (archsel loads YAML safely; no code runs)"
    return YamlProblem(Problem(str(path), line, col, message))


def _loaded(path: Path, loader: _MarkedLoader, node: yaml.Node | None) -> LoadedYaml:
    data = loader.construct_document(node) if node is not None else None
    marks: dict[Pointer, tuple[int, int]] = {}
    if node is not None:
        _collect_marks(node, (), marks)
    return LoadedYaml(path, data, marks)


def load_yaml(path: Path, text: str | None = None) -> LoadedYaml:
    """Parse `path` safely, with positions. Raises YamlProblem on syntax errors, duplicate keys, code tags."""
    path = Path(path)
    source = _read(path, text)
    try:
        loader = _MarkedLoader(source)  # the reader rejects control characters here
    except yaml.YAMLError as exc:
        raise _problem(path, exc, source) from None
    try:
        return _loaded(path, loader, loader.get_single_node())
    except yaml.YAMLError as exc:
        raise _problem(path, exc, source) from None
    except RecursionError:
        raise YamlProblem(Problem(str(path), 1, 1, TOO_DEEP)) from None
    finally:
        loader.dispose()


def load_yaml_documents(path: Path, text: str | None = None) -> list[LoadedYaml]:
    """Every document of a multi-document stream (`---`), each with positions; errors as in load_yaml."""
    path = Path(path)
    source = _read(path, text)
    try:
        loader = _MarkedLoader(source)  # the reader rejects control characters here
    except yaml.YAMLError as exc:
        raise _problem(path, exc, source) from None
    docs: list[LoadedYaml] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                docs.append(_loaded(path, loader, node))
    except yaml.YAMLError as exc:
        raise _problem(path, exc, source) from None
    except RecursionError:
        raise YamlProblem(Problem(str(path), 1, 1, TOO_DEEP)) from None
    finally:
        loader.dispose()
    return docs


def schema_problems(doc: LoadedYaml, schema: dict[str, Any]) -> list[Problem]:
    """Validate `doc.data` against a JSON Schema; one Problem per error, in file order."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    found: list[Problem] = []
    for err in validator.iter_errors(doc.data):
        pointer: Pointer = tuple(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = list(err.schema.get("properties", {}))
            for key in (k for k in err.instance if k not in allowed):
                found.append(doc.problem((*pointer, key, "<key>"), f"unknown key {key!r}",
                                         did_you_mean(str(key), allowed)))
            continue
        label = "/".join(str(p) for p in pointer) or "document"
        found.append(doc.problem(pointer, f"{label}: {err.message}"))
    for pointer in non_finite(doc.data):  # JSON Schema's "number" takes .nan and .inf; nothing downstream does
        label = "/".join(str(p) for p in pointer)
        found.append(doc.problem(pointer, f"{label}: not a finite number", "give a finite number"))
    return sorted(found, key=lambda p: (p.line, p.col))


def non_finite(data: Any, at: Pointer = ()) -> list[Pointer]:
    """Where `data` holds a NaN or an infinity (YAML's .nan, .inf)."""
    if isinstance(data, float) and not math.isfinite(data):
        return [at]
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in non_finite(v, (*at, k))]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in non_finite(v, (*at, i))]
    return []


class _Dumper(yaml.SafeDumper):
    """SafeDumper writing lists of scalars on one line (`[32768, 1.01]`), nested structures as blocks."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(not isinstance(x, list | dict) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def dump_yaml(data: Any, width: int = 110) -> str:
    """YAML text of `data` (safe types only), keys in insertion order, short lists inline."""
    return str(yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=width))
