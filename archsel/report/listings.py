"""A field/value table: the view of a document that is one record (a cache's state, a model, a rule)."""

from __future__ import annotations

from typing import Any

from archsel.report.document import SCHEMA_VERSION, Column, Document, TableView


def field_view(fields: list[tuple[str, ...]], title: str, headers: tuple[str, ...] = ("field", "value")) -> TableView:
    """Rows of (field, value[, source]) as a table."""
    keys = headers[: len(fields[0])] if fields else headers
    rows = [dict(zip(keys, (str(x) for x in f), strict=False)) for f in fields]
    return TableView([Column(k, k, no_wrap=k == "field") for k in keys], rows, title=title)


def fields_document(payload: dict[str, Any], fields: dict[str, Any], title: str) -> Document:
    """`payload` (schema_version added) shown as one field/value row per item of `fields`."""
    return Document({"schema_version": SCHEMA_VERSION, **payload}, None,
                    [field_view([(k, str(v)) for k, v in fields.items()], title)])
