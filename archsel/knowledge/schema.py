"""JSON Schema of a rules file (rules/*.yaml). Vocabulary and zoo references are checked in references.py."""

from __future__ import annotations

from typing import Any

ROLES: tuple[str, ...] = ("recommended", "alternative", "fallback")
# The contribution of a candidate effect that gives no `weight`.
DEFAULT_ROLE_WEIGHT: dict[str, float] = {"recommended": 1.0, "alternative": 0.6, "fallback": 0.3}
MAX_WEIGHT = 10.0
MAX_BOOST = 5.0

# `when` keys whose value is a list of vocabulary terms, and the vocabulary section each names.
# "target" names target classes (archsel.targets), not a vocabulary section.
LIST_CONDITIONS: dict[str, str] = {
    "task": "tasks",
    "data_type": "data_types",
    "target": "target_classes",
    "latency_tier": "latency_tiers",
    "sequence_length": "sequence_lengths",
    "dataset_size": "dataset_sizes",
    "priority": "priorities",
}

_ID = {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]*$", "maxLength": 80}
_TEXT = {"type": "string", "minLength": 1}
_WORDS = {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"type": "string", "minLength": 1}}

_WHEN: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        **{key: _WORDS for key in LIST_CONDITIONS},
        "streaming": {"type": "boolean"},
        "latency_ms": {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {
                "min": {"type": "number", "minimum": 0},
                "max": {"type": "number", "exclusiveMinimum": 0},
            },
        },
    },
}

_SELECT: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {"family": _WORDS, "trait": _WORDS},
}

_CANDIDATE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["role"],
    "properties": {
        "id": _ID,
        "select": _SELECT,
        "role": {"enum": list(ROLES)},
        "weight": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_WEIGHT},
        "note": _TEXT,
    },
}

_BOOST: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["by"],
    "properties": {
        "family": {"type": "string"},
        "trait": {"type": "string"},
        "by": {"type": "number", "minimum": -MAX_BOOST, "maximum": MAX_BOOST},
        "note": _TEXT,
    },
}

RULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "title", "source", "rationale", "effects"],
    "properties": {
        "id": _ID,
        "title": _TEXT,
        "knowledge_ref": {"type": "string", "pattern": "^[0-9]{3}/[a-z0-9-]+/[a-z0-9-]+$"},
        "enabled": {"type": "boolean"},
        "source": {
            "type": "object",
            "additionalProperties": False,
            "required": ["file", "section"],
            "properties": {"file": _TEXT, "section": _TEXT, "gloss": _TEXT},
        },
        "when": _WHEN,
        "core_consideration": _TEXT,
        "rationale": _TEXT,
        "effects": {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {
                "candidates": {"type": "array", "minItems": 1, "items": _CANDIDATE},
                "boosts": {"type": "array", "minItems": 1, "items": _BOOST},
                "advice": {"type": "array", "minItems": 1, "items": _TEXT},
            },
        },
    },
}

RULES_FILE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["rules"],
    "properties": {
        "schema_version": {"const": 1},
        "description": _TEXT,
        "rules": {"type": "array", "minItems": 1, "items": RULE_SCHEMA},
    },
}
