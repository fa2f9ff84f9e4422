"""`--query FILE|-`: one or several queries in YAML or JSON, with the same fields as the command's options.

A file holds one query (a mapping), a list of queries, or several YAML documents (`---`), each a mapping
or a list. Keys are the option names without dashes in front (`latency-ms`; `latency_ms` is accepted too).
Everything is checked against QUERY_SCHEMA before anything runs; every problem is a Problem (`file:line:col:
message`; unknown keys get a did-you-mean), exit 2. Relative `rules`/`profiles` folders are taken
relative to the query file.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archsel import precisions
from archsel.errors import ArchselError, ConfigError, Problem
from archsel.query.request import (
    LATENCY_STATS,
    LIST_OPTIONS,
    OBJECTIVES,
    PATH_OPTIONS,
    SIZE_OPTIONS,
    AdviceRequest,
)
from archsel.units import parse_si
from archsel.yamlio import LoadedYaml, Pointer, YamlProblem, decoded, load_yaml_documents, schema_problems

_WORDS = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
_SIZE = {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, {"type": "string"}]}
_CLASS_OR_NUMBER = {"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 1}]}
QUERY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "task": {"type": "string"},
        "target": {"type": "string"},
        "latency-ms": {"type": "number", "exclusiveMinimum": 0},
        "latency-tier": {"type": "string"},
        "latency-stat": {"enum": list(LATENCY_STATS)},
        "streaming": {"type": "boolean"},
        "data-type": {"type": "string"},
        "seq-len": _CLASS_OR_NUMBER,
        "dataset-size": _CLASS_OR_NUMBER,
        "priority": _WORDS,
        "family": _WORDS,
        "exclude": _WORDS,
        "max-params": _SIZE,
        "max-macs": _SIZE,
        "precision": {"enum": list(precisions.CHOICES)},
        "runtime": {"type": "string"},
        "threads": {"type": "integer", "minimum": 1},
        "batch": {"type": "integer", "minimum": 1},
        "objective": {"enum": list(OBJECTIVES)},
        "measure": {"type": "boolean"},
        "time-budget": {"type": "number", "exclusiveMinimum": 0},
        "top": {"type": "integer", "minimum": 1},
        "show-excluded": {"type": "boolean"},
        "rules": _WORDS,
        "profiles": _WORDS,
    },
}
# query-file key → AdviceRequest field
FIELD_OF = {k: k.replace("-", "_") for k in QUERY_SCHEMA["properties"]}
FIELD_OF["time-budget"] = "time_budget_s"


@dataclass
class QuerySpec:
    """One query from a file: AdviceRequest fields and where its mapping was written."""

    fields: dict[str, Any]
    file: str
    line: int
    col: int
    value_at: dict[str, tuple[int, int]] = field(default_factory=dict)  # field -> (line, col) of its value

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def problem(self, error: ArchselError) -> Problem:
        """`error` (a bad value of this query) as a Problem at the value it names (`unknown task 'imgae'`: the
        task's line), else at the query."""
        line, col = self.line, self.col
        for name, value in self.fields.items():
            words = value if isinstance(value, tuple) else (value,)
            if name in self.value_at and any(isinstance(w, str) and repr(w) in error.message for w in words):
                line, col = self.value_at[name]
                break
        return Problem(self.file, line, col, error.message, error.hint)


def _documents(path: Path, text: str) -> list[LoadedYaml]:
    try:
        return load_yaml_documents(path, text)
    except YamlProblem as exc:
        raise ConfigError([exc.problem]) from None


def _dash(key: Any) -> Any:
    return key.replace("_", "-") if isinstance(key, str) else key


def _normalise(doc: LoadedYaml) -> tuple[LoadedYaml, list[Problem]]:
    """Keys written with underscores become the dashed option names (positions kept); a query that gives
    one option both ways (`latency-ms` and `latency_ms`) is a problem at the second."""
    problems: list[Problem] = []

    def fix(query: Any, at: Pointer) -> Any:
        if not isinstance(query, dict):
            return query
        fixed: dict[Any, Any] = {}
        for key, value in query.items():
            if _dash(key) in fixed:
                first = next(k for k in query if _dash(k) == _dash(key))
                problems.append(doc.problem((*at, key, "<key>"), f"{key!r} and {first!r} are the same option, "
                                                                 "given twice", "give it once"))
            fixed[_dash(key)] = value
        return fixed

    data = [fix(q, (i,)) for i, q in enumerate(doc.data)] if isinstance(doc.data, list) else fix(doc.data, ())
    marks = {tuple(_dash(p) for p in ptr): pos for ptr, pos in doc.marks.items()}
    return LoadedYaml(doc.path, data, marks), problems


def _typed(raw: dict[str, Any], spec: QuerySpec, base_dir: Path, doc: LoadedYaml, at: Pointer) -> list[Problem]:
    """Fill `spec.fields` from the schema-valid mapping `raw` (at `at` in `doc`); the problems of values the
    schema cannot see, each at its value."""
    fields = spec.fields
    problems: list[Problem] = []
    for key, value in raw.items():
        name = FIELD_OF[key]
        if name in LIST_OPTIONS or name in PATH_OPTIONS:
            words = [value] if isinstance(value, str) else list(value)
            if name in PATH_OPTIONS:
                words = [str(p if Path(p).is_absolute() else base_dir / p) for p in words]
            value = tuple(words)
        elif name in SIZE_OPTIONS:
            try:
                value = parse_si(value, f"--{key}")
            except ArchselError as exc:
                problems.append(doc.problem((*at, key), exc.message, exc.hint))
                continue
        elif key in ("latency-ms", "time-budget"):
            value = float(value)
        elif key in ("seq-len", "dataset-size"):
            value = str(value)
        fields[name] = value
        spec.value_at[name] = doc.position((*at, key))
    return problems


MAX_QUERY_BYTES = 64 * 2**20  # a query stream of 3,000 queries is ~0.3 MiB; /dev/zero never ends


def load_queries(source: str) -> list[QuerySpec]:
    """Every query in `source` (a path, or '-' for stdin); ConfigError with all problems (exit 2)."""
    if source == "-":
        path, base_dir = Path("<stdin>"), Path.cwd()
        data = sys.stdin.buffer.read(MAX_QUERY_BYTES + 1)
    else:
        path = Path(source)
        try:
            with path.open("rb") as fh:  # bounded: --query /dev/zero must not read until memory ends
                data = fh.read(MAX_QUERY_BYTES + 1)
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise ConfigError([Problem(str(path), 1, 1, f"cannot read query file: {reason}")]) from None
        base_dir = path.parent
    if len(data) > MAX_QUERY_BYTES:
        raise ConfigError([Problem(str(path), 1, 1, f"query input larger than {MAX_QUERY_BYTES // 2**20} MiB",
                                   "split it into several files, or stream fewer queries at a time")])
    try:
        text = decoded(path, data)
    except YamlProblem as exc:
        raise ConfigError([exc.problem]) from None
    problems: list[Problem] = []
    docs: list[LoadedYaml] = []
    for raw_doc in _documents(path, text):
        if raw_doc.data is None:  # an empty document (`---` with nothing after it): no query
            continue
        doc, found = _normalise(raw_doc)
        docs.append(doc)
        problems += found
    specs: list[QuerySpec] = []
    for doc in docs:
        if isinstance(doc.data, dict):
            schema: dict[str, Any] = QUERY_SCHEMA
            queries: list[tuple[Pointer, Any]] = [((), doc.data)]
        elif isinstance(doc.data, list):
            schema = {"type": "array", "minItems": 1, "items": QUERY_SCHEMA}
            queries = [((i,), q) for i, q in enumerate(doc.data)]
        else:
            problems.append(doc.problem((), "a query is a mapping of option names to values "
                                            f"(or a list of them), got {type(doc.data).__name__}"))
            continue
        found = schema_problems(doc, schema)
        problems += found
        if found:
            continue
        for ptr, raw in queries:
            spec = QuerySpec({}, str(doc.path), *doc.position(ptr))
            problems += _typed(raw, spec, base_dir, doc, ptr)
            specs.append(spec)
    if not docs:
        problems.append(Problem(str(path), 1, 1, "no query in the file"))
    if problems:
        raise ConfigError(problems)
    return specs


def requests(cli_fields: dict[str, Any], source: str | None) -> list[tuple[AdviceRequest, QuerySpec | None]]:
    """The requests to answer: the command line alone, or each query of `source` over the command line."""
    if source is None:
        return [(AdviceRequest(**cli_fields), None)]
    return [(AdviceRequest(**{**cli_fields, **spec.fields}), spec) for spec in load_queries(source)]
