"""Output: one document rendered as table, json, jsonl, yaml, csv, markdown (and junit where it applies)."""
