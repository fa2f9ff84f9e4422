"""The versioned JSON Schema of `recommend` / `compare` output (print it: `archsel recommend --print-schema`).

SCHEMA_VERSION follows semver: a new optional field bumps the minor, a removed or retyped field the
major. 1.0 was the rule-only output of issue 3; 1.1 adds costs, constraints, Pareto marks and ranks; 1.2
gives `target` the one shape every command uses (TargetProfile.to_dict: memory_bytes, kind, runtimes,
peaks, path, ... beside the 1.1 fields) and names the runtime every latency is for (`runtime`,
`latency.runtime`, `query.runtime`/`threads`).
"""

from __future__ import annotations

from typing import Any

from archsel.precisions import MEASURABLE
from archsel.query.request import LATENCY_STATS, OBJECTIVES
from archsel.report.document import Document
from archsel.targets.schema import TARGET_CLASSES, UNITS

# 2.0: quality "unknown" (normalised null) where no figure is published, no rule-score proxy; 2.1: published_quality
# carries paper, table, url, split and config_note; an unknown quality counts 0 beside published ones
SCHEMA_VERSION = "2.1"
SCHEMA_ID = "https://archsel.invalid/schemas/recommend-2.1.json"

_NUM = {"type": "number"}
_NUM_OR_NULL = {"type": ["number", "null"]}
_STR_OR_NULL = {"type": ["string", "null"]}
_TEXT = {"type": "string", "minLength": 1}
_VIOLATION = {
    "type": "object",
    "additionalProperties": False,
    "required": ["constraint", "limit", "value", "over_fraction", "message"],
    "properties": {
        "constraint": {"enum": ["latency", "memory", "params", "macs", "precision", "rules"]},
        "limit": _NUM_OR_NULL, "value": _NUM_OR_NULL, "over_fraction": _NUM_OR_NULL, "message": {"type": "string"},
    },
}
_LATENCY = {
    "type": ["object", "null"],
    "additionalProperties": False,
    "required": ["kind", "stat", "value_ms", "p50_ms", "p90_ms", "p99_ms", "band_low_ms", "band_high_ms",
                 "precision", "device", "runtime", "method", "accuracy_note", "detail"],
    "properties": {
        "kind": {"enum": ["estimated", "measured"]}, "stat": {"enum": list(LATENCY_STATS)},
        "value_ms": _NUM, "p50_ms": _NUM, "p90_ms": _NUM, "p99_ms": _NUM, "band_low_ms": _NUM,
        "band_high_ms": _NUM, "precision": {"type": "string"}, "device": {"type": "string"},
        "runtime": {"type": "string"},
        "method": {"type": "string"}, "accuracy_note": {"type": "string"}, "detail": {"type": "object"},
    },
}
_METRICS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "precision": {"type": "string"}, "batch": {"type": "integer"},
        "input_shapes": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}},
        "macs": {"type": "integer"}, "flops": {"type": "integer"}, "params": {"type": "integer"},
        "param_bytes": {"type": "integer"}, "buffer_bytes": {"type": "integer"},
        "activation_bytes": {"type": "integer"}, "memory_bytes": {"type": "integer"},
        "count_path": {"enum": ["meta", "cpu"]},
    },
}
_REASON = {
    "type": "object",
    "required": ["rule", "kind", "amount", "detail", "source"],
    "properties": {"rule": {"type": "string"}, "kind": {"enum": ["candidate", "boost"]}, "amount": _NUM,
                   "detail": {"type": "string"}, "source": {"type": "string"}},
}
CANDIDATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["rank", "id", "architecture", "family", "role", "user_model", "status", "score", "score_terms",
                 "rule_score", "rule_rank", "lightweight", "streaming", "published_quality", "quality", "pareto",
                 "precision", "batch", "variant", "metrics", "latency", "budget", "violations", "excluded_because",
                 "attempts", "error", "failed_stage", "reasons"],
    "properties": {
        "rank": {"type": "integer", "minimum": 0},
        "id": {"type": "string"}, "architecture": {"type": "string"}, "family": {"type": "string"},
        "role": {"type": "string"}, "user_model": {"type": "boolean"},
        "status": {"enum": ["ok", "excluded", "failed", "skipped"]},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "score_terms": {
            "type": "object", "required": ["rule", "quality", "latency", "weights"],
            "properties": {"rule": _NUM_OR_NULL, "quality": _NUM_OR_NULL, "latency": _NUM_OR_NULL,
                           "weights": {"type": "object", "additionalProperties": _NUM}},
        },
        "rule_score": _NUM, "rule_rank": {"type": "integer"},
        "lightweight": {"type": "boolean"}, "streaming": {"type": "boolean"},
        "published_quality": {
            # a figure is shown only with where to read it: paper, table and url are never empty
            "type": ["object", "null"],
            "required": ["metric", "value", "dataset", "source", "paper", "table", "url", "split", "config_note"],
            "properties": {"metric": _TEXT, "value": _NUM, "dataset": _TEXT, "source": _TEXT, "paper": _TEXT,
                           "table": _TEXT, "url": _TEXT, "split": {"type": "string"},
                           "config_note": {"type": "string"}},
        },
        "quality": {
            "type": ["object", "null"], "required": ["normalised", "source"],
            "properties": {"normalised": {"type": ["number", "null"]}, "source": {"enum": ["published", "unknown"]},
                           "metric": _STR_OR_NULL, "dataset": _STR_OR_NULL, "value": _NUM_OR_NULL},
        },
        "pareto": {"type": "boolean"},
        "precision": {"enum": [*MEASURABLE, None]},
        "batch": {"type": "integer", "minimum": 1},
        "variant": {
            "type": ["object", "null"], "required": ["from", "to", "why"],
            "properties": {"from": {"type": "string"}, "to": {"type": "string"}, "why": {"type": "string"}},
        },
        "metrics": _METRICS,
        "latency": _LATENCY,
        "budget": {
            "type": ["object", "null"], "additionalProperties": False,
            "required": ["latency_ms", "stat", "headroom_ms", "headroom_fraction"],
            "properties": {"latency_ms": _NUM, "stat": {"enum": list(LATENCY_STATS)}, "headroom_ms": _NUM,
                           "headroom_fraction": _NUM},
        },
        "violations": {"type": "array", "items": _VIOLATION},
        "excluded_because": _STR_OR_NULL,
        "attempts": {"type": "array", "items": {"type": "object", "required": ["precision"]}},
        "error": _STR_OR_NULL,
        "failed_stage": {"enum": ["count", "latency", None]},
        "reasons": {"type": "array", "items": _REASON},
    },
}
RESULT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "title": "archsel recommend / compare result",
    "type": "object",
    "additionalProperties": False,
    "required": ["schema", "schema_version", "command", "query", "target", "runtime", "latency_kind",
                 "base_precision",
                 "rule_scoring", "scoring", "total_candidates", "feasible", "candidates", "pareto_front",
                 "closest_misses", "excluded", "failed", "skipped", "advice", "notes", "trace",
                 "rules_considered", "rules_fired"],
    "properties": {
        "schema": {"const": SCHEMA_ID},
        "schema_version": {"const": SCHEMA_VERSION},
        "command": {"enum": ["recommend", "compare"]},
        "query": {
            "type": "object",
            "required": ["task", "target", "target_class", "latency_ms", "latency_stat", "objective", "batch",
                         "precision", "max_params", "max_macs", "measure", "time_budget_s", "top"],
            "properties": {"task": {"type": "string"}, "latency_stat": {"enum": list(LATENCY_STATS)},
                           "objective": {"enum": list(OBJECTIVES)},
                           "batch": {"type": "integer", "minimum": 1}},
        },
        "target": {
            "type": ["object", "null"],
            "required": ["name", "display_name", "class", "kind", "memory_gb", "memory_bytes", "precisions",
                         "runtimes", "path", "latency", "profile"],
            "properties": {"class": {"enum": list(TARGET_CLASSES)},
                           "latency": {"enum": ["estimated", "measured"]}},
        },
        "runtime": {
            "type": ["object", "null"], "description": "the target's runtime the latencies are for",
            "required": ["name", "unit", "default", "measured"],
            "properties": {"name": {"type": "string"}, "unit": {"enum": list(UNITS)},
                           "default": {"type": ["boolean", "null"]}, "measured": {"type": "boolean"}},
        },
        "latency_kind": {"enum": ["estimated", "measured", None]},
        "base_precision": {"type": "string"},
        "rule_scoring": {"type": "string"},
        "scoring": {"type": "string"},
        "total_candidates": {"type": "integer", "minimum": 0},
        "feasible": {"type": "integer", "minimum": 0},
        "candidates": {"type": "array", "items": CANDIDATE_SCHEMA},
        "pareto_front": {"type": "array", "items": {"type": "string"}},
        "closest_misses": {"type": "array", "items": CANDIDATE_SCHEMA},
        "excluded": {
            "type": "array",
            "items": {"type": "object", "additionalProperties": False,
                      "required": ["id", "why", "precision", "over_fraction"],
                      "properties": {"id": {"type": "string"}, "why": {"type": "string"},
                                     "precision": _STR_OR_NULL, "over_fraction": _NUM_OR_NULL}},
        },
        "failed": {"type": "array", "items": {
            "type": "object", "required": ["id", "stage", "error"],
            "properties": {"id": {"type": "string"}, "stage": {"enum": ["count", "latency"]},
                           "error": {"type": "string"}}}},
        "skipped": {"type": "array", "items": {
            "type": "object", "required": ["id", "why"],
            "properties": {"id": {"type": "string"}, "why": {"type": "string"}}}},
        "advice": {"type": "array", "items": {"type": "object", "required": ["rule", "text", "source"]}},
        "notes": {"type": "array", "items": {"type": "string"}},
        "trace": {"type": "array", "items": {"type": "object", "required": ["rule", "fired"]}},
        "rules_considered": {"type": "integer"},
        "rules_fired": {"type": "integer"},
        "query_source": {"type": "string", "description": "file:line:col of the query (query files only)"},
        "user_model": {
            "type": ["object", "null"], "description": "compare only: where the user's model landed",
            "required": ["id", "status", "rank", "of", "why"],
            "properties": {"id": {"type": "string"}, "status": {"enum": ["ok", "excluded", "failed", "skipped"]},
                           "rank": {"type": ["integer", "null"]}, "of": {"type": "integer"},
                           "why": _STR_OR_NULL},
        },
    },
}


def schema_document() -> Document:
    """`recommend --print-schema`: the schema itself as the payload."""
    return Document(RESULT_SCHEMA)


def validate(document: dict[str, Any]) -> list[str]:
    """Every schema error in `document` as 'path: message' (empty when valid)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(RESULT_SCHEMA)
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))]
