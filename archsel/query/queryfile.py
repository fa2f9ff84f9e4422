"""`--query FILE|-`: one or several queries in YAML or JSON, with the same fields as the command's options.

A file holds one query (a mapping), a list of queries, or several YAML documents (`---`), each a mapping
or a list. Keys are the option names without dashes in front (`latency-ms`; `latency_ms` is accepted too).
Everything is checked against QUERY_SCHEMA before anything runs; every problem is a Problem (`file:line:col:
message`; unknown keys get a did-you-mean), exit 2. Relative `rules`/`profiles` folders are taken
relative to the query file.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
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
from archsel.yamlio import LoadedYaml, Pointer, YamlProblem, load_yaml_documents, schema_problems

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

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def problem(self, error: ArchselError) -> Problem:
        """`error` (a bad value of this query) as a Problem at the query."""
        return Problem(self.file, self.line, self.col, error.message, error.hint)


def _documents(path: Path, text: str) -> list[LoadedYaml]:
    try:
        return load_yaml_documents(path, text)
    except YamlProblem as exc:
        raise ConfigError([exc.problem]) from None


def _dash(key: Any) -> Any:
    return key.replace("_", "-") if isinstance(key, str) else key


def _normalise(doc: LoadedYaml) -> LoadedYaml:
    """Keys written with underscores become the dashed option names (positions kept)."""
    def fix(query: Any) -> Any:
        return {_dash(k): v for k, v in query.items()} if isinstance(query, dict) else query

    data = [fix(q) for q in doc.data] if isinstance(doc.data, list) else fix(doc.data)
    marks = {tuple(_dash(p) for p in ptr): pos for ptr, pos in doc.marks.items()}
    return LoadedYaml(doc.path, data, marks)


def _typed(raw: dict[str, Any], spec: QuerySpec, base_dir: Path) -> list[Problem]:
    """Fill `spec.fields` from the schema-valid mapping `raw`; the problems of values the schema cannot see."""
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
                problems.append(spec.problem(exc))
                continue
        elif key in ("latency-ms", "time-budget"):
            value = float(value)
        elif key in ("seq-len", "dataset-size"):
            value = str(value)
        fields[name] = value
    return problems


MAX_QUERY_CHARS = 64 * 2**20  # a query stream of 3,000 queries is ~0.3 MiB; /dev/zero never ends


def load_queries(source: str) -> list[QuerySpec]:
    """Every query in `source` (a path, or '-' for stdin); ConfigError with all problems (exit 2)."""
    if source == "-":
        path, base_dir = Path("<stdin>"), Path.cwd()
        text = sys.stdin.read(MAX_QUERY_CHARS + 1)
    else:
        path = Path(source)
        try:
            with path.open(encoding="utf-8") as fh:  # bounded: --query /dev/zero must not read until memory ends
                text = fh.read(MAX_QUERY_CHARS + 1)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ConfigError([Problem(str(path), 1, 1, f"cannot read query file: {exc}")]) from None
        base_dir = path.parent
    if len(text) > MAX_QUERY_CHARS:
        raise ConfigError([Problem(str(path), 1, 1, f"query input larger than {MAX_QUERY_CHARS // 2**20} MiB of text",
                                   "split it into several files, or stream fewer queries at a time")])
    docs = [_normalise(d) for d in _documents(path, text)]
    problems: list[Problem] = []
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
            problems += _typed(raw, spec, base_dir)
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
