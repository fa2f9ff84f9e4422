"""YAML loading that keeps line numbers, rejects duplicate keys and code tags, and validates with jsonschema.

Every problem is an archsel.errors.Problem (`file:line:col: message`, 1-based), all reported at once.
"""

from __future__ import annotations

import math
import sys
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


# libyaml's parser (10x faster than the pure-Python one; it also stops nesting at 1,000 levels) where the
# PyYAML build has it; the nodes it gives carry the same marks, so positions are kept either way.
_SafeBase: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


MERGE_TAG = "tag:yaml.org,2002:merge"


class _MarkedLoader(_SafeBase):
    """SafeLoader that refuses duplicate keys (only the safe constructors exist: no code runs)."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """A value a tag cannot make (`!!int eight`, an integer of 5,000 digits) is a problem at its node."""
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {node.tag.rsplit(':', 1)[-1]} value {str(node.value)[:40]!r}: "
                            f"{str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__}",
                node.start_mark) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):  # `!!set 0`, `!!omap x`: a tag that needs a mapping
            raise yaml.constructor.ConstructorError(None, None, f"{node.tag.rsplit(':', 1)[-1]} needs a mapping, got "
                                                                f"{node.id}", node.start_mark)
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:  # `<<: *base`: merged by the constructor, not a key
                continue
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool | None):  # a list or mapping as a key
                raise yaml.constructor.ConstructorError(None, None, f"a key must be a word or a number, not a "
                                                                    f"{type(key).__name__}", key_node.start_mark)
            if key in seen:
                first = seen[key].start_mark
                raise yaml.constructor.ConstructorError(
                    None, None,
                    f"duplicate key {key!r} (first defined at line {first.line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


MAX_ALIAS_NODES = 100_000  # nodes reached again through aliases, in all (a real file: a few hundred at most)


class _TooLarge(Exception):
    """Aliases expand the document beyond MAX_ALIAS_NODES (or, `recursive`, without end); `node` is the
    anchored node being expanded."""

    def __init__(self, node: yaml.Node, recursive: bool = False) -> None:
        self.node = node
        self.recursive = recursive


class _Marks:
    """Every node's (line, col) by pointer. Nodes reached again through an alias are counted: past
    MAX_ALIAS_NODES it raises _TooLarge (an alias bomb: anchors referring to anchors, each level multiplying
    the size), before anything walks the expanded data."""

    def __init__(self, loader: _MarkedLoader) -> None:
        self.loader = loader
        self.marks: dict[Pointer, tuple[int, int]] = {}
        self._seen: set[int] = set()
        self._again = 0

    def collect(self, node: yaml.Node, pointer: Pointer = (), anchor: yaml.Node | None = None,
                inside: frozenset[int] = frozenset()) -> None:
        self.marks[pointer] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if id(node) in inside:  # `x: &a [*a]`: an alias inside the node it names
            raise _TooLarge(node, recursive=True)
        if anchor is None and id(node) in self._seen:
            anchor = node
        if anchor is not None:
            self._again += 1
            if self._again > MAX_ALIAS_NODES:
                raise _TooLarge(anchor)
        self._seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                # a key is a scalar's text; a list or mapping used as a key gets a name that cannot clash
                key = self._key(key_node)
                self.collect(value_node, (*pointer, key), anchor, inside | {id(node)})
                self.marks[(*pointer, key, "<key>")] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.collect(item, (*pointer, i), anchor, inside | {id(node)})

    def _key(self, key_node: yaml.Node) -> Any:
        """A key as the data will hold it (`1:` is the int 1); a list or mapping used as a key, or one its tag
        cannot make, gets a name that cannot clash (construction reports it)."""
        if isinstance(key_node, yaml.ScalarNode):
            try:
                key = self.loader.construct_object(key_node)
            except yaml.YAMLError:
                return key_node.value
            if isinstance(key, str | int | float | bool | None):
                return key
        return f"<key at {id(key_node)}>"


def _read(path: Path, text: str | None) -> str:
    if text is not None:
        return text
    try:
        data = path.read_bytes()
    except (OSError, ValueError) as exc:
        raise YamlProblem(Problem(str(path), 1, 1, f"cannot read file: {getattr(exc, 'strerror', None) or exc}")) \
            from None
    return decoded(path, data)


def decoded(path: Path, data: bytes) -> str:
    """`data` as UTF-8 text (a leading BOM dropped); YamlProblem at the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1:].decode("utf-8", errors="replace")) + 1
        raise YamlProblem(Problem(str(path), line, col, f"not UTF-8 text: byte 0x{data[exc.start]:02X} cannot "
                                                        "start or continue a character", "save the file as UTF-8"))\
            from None


TOO_DEEP = "nested too deeply to read (lists or mappings inside each other hundreds of levels down)"


def _problem(path: Path, exc: yaml.YAMLError, text: str = "") -> YamlProblem:
    if isinstance(exc, yaml.reader.ReaderError):  # a NUL or other control character: binary data, not YAML
        before = text[: exc.position]
        if _SafeBase is not yaml.SafeLoader:  # libyaml counts the position in UTF-8 bytes
            before = text.encode("utf-8")[: exc.position].decode("utf-8", errors="ignore")
        line, col = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        return YamlProblem(Problem(str(path), line, col, f"unacceptable character U+{char:04X} (control "
                                                         "characters are not allowed in YAML: binary data?)"))
    if not isinstance(exc, yaml.MarkedYAMLError):
        return YamlProblem(Problem(str(path), 1, 1, str(exc)))
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    message = exc.problem or str(exc)
    if message.startswith("found undefined alias") and mark is not None and text:  # libyaml omits its name
        rest = text.splitlines()[mark.line][mark.column:] if mark.line < len(text.splitlines()) else ""
        name = rest.lstrip("*").split()[0].rstrip(",]}") if rest.lstrip("*").split() else ""
        message = f"found undefined alias {name!r}" if name else message
    if "maximum nesting depth" in message:  # libyaml's limit (1,000 levels)
        message = TOO_DEEP
    if "could not determine a constructor" in message:
        tag = message.split("tag ")[-1].strip()
        message = f"tag {tag} is not allowed (archsel loads YAML safely; no code runs)"
    return YamlProblem(Problem(str(path), line, col, message))


def _loaded(path: Path, loader: _MarkedLoader, node: yaml.Node | None) -> LoadedYaml:
    walk = _Marks(loader)
    if node is not None:
        try:
            walk.collect(node)
        except _TooLarge as exc:
            mark = exc.node.start_mark
            if exc.recursive:
                raise YamlProblem(Problem(str(path), mark.line + 1, mark.column + 1,
                                          "an alias inside the node its anchor names (it would never end)")) from None
            raise YamlProblem(Problem(str(path), mark.line + 1, mark.column + 1,
                                      f"aliases expand the document beyond {MAX_ALIAS_NODES:,} repeated nodes "
                                      "(an alias bomb?)", "write the data out, or refer to anchors fewer times")) \
                from None
    data = loader.construct_document(node) if node is not None else None
    return LoadedYaml(path, data, walk.marks)


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
    """Where `data` holds a NaN or an infinity (YAML's .nan, .inf), or an integer too large for a float."""
    if isinstance(data, float) and not math.isfinite(data):
        return [at]
    if isinstance(data, int) and not isinstance(data, bool) and abs(data) > sys.float_info.max:  # no float holds it
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
