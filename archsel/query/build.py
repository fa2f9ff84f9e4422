"""The normalised question a user asks: task, data, target, latency, and what they prioritise (no torch)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from archsel.errors import UsageError, unknown
from archsel.query.vocab import Vocabulary, load_vocabulary, normalise_word


@dataclass(frozen=True)
class Query:
    """A query with every word canonical. None means "the user did not say"; rules on it do not fire."""

    task: str
    data_type: str | None = None
    data_type_source: str | None = None  # "query" or "task default"
    target: str | None = None  # the resolved profile name (a class resolves to its default device)
    target_class: str | None = None  # cloud / edge / mobile / local: what rules match on
    target_input: str | None = None  # what the user typed
    latency_ms: float | None = None
    latency_tier: str | None = None
    latency_tier_source: str | None = None  # "query" or "latency budget"
    streaming: bool | None = None
    sequence_length: str | None = None
    dataset_size: str | None = None
    priorities: tuple[str, ...] = ()
    families: tuple[str, ...] = ()  # hard constraint: only these families
    exclude: tuple[str, ...] = ()  # hard constraint: drop ids matching these fnmatch patterns

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("priorities", "families", "exclude"):
            data[key] = list(data[key])
        return data


def split_words(values: Iterable[str] | None) -> list[str]:
    """Repeatable options that also accept comma-separated lists: ['a,b', 'c'] → ['a', 'b', 'c']."""
    out: list[str] = []
    for value in values or ():
        out.extend(w.strip() for w in value.split(",") if w.strip())
    return out


def _dedupe(words: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(words))


def _bounded(vocab: Vocabulary, section: str, value: str | int | None, what: str) -> str | None:
    """A class name, an alias, or a number classified by the section's upper bounds."""
    if value is None:
        return None
    text = str(value).strip()
    digits = text.replace("_", "")
    if digits.isascii() and digits.isdigit():
        if len(digits) > 18:
            raise UsageError(f"{what} {text[:20]}…: a number of {len(digits)} digits is not a real size")
        number = int(digits)
        if number <= 0:
            raise UsageError(f"{what} must be positive, got {value!r}")
        return vocab.classify(section, number)
    return vocab.lookup(section, text)


def build_query(
    task: str,
    *,
    data_type: str | None = None,
    target: str | None = None,
    latency_ms: float | None = None,
    latency_tier: str | None = None,
    streaming: bool | None = None,
    sequence_length: str | int | None = None,
    dataset_size: str | int | None = None,
    priorities: Iterable[str] = (),
    families: Iterable[str] = (),
    exclude: Iterable[str] = (),
    profile_dirs: Sequence[Path] = (),
    vocab: Vocabulary | None = None,
) -> Query:
    """Normalise what the user typed (aliases, numbers → classes); unknown words raise UsageError."""
    from archsel.zoo.spec import FAMILIES

    vocab = vocab or load_vocabulary()
    canonical_task = vocab.lookup("tasks", task)
    dt: str | None
    dt_source: str | None
    if data_type is not None:
        dt, dt_source = vocab.lookup("data_types", data_type), "query"
    else:
        dt = vocab.tasks[canonical_task].default_data_type
        dt_source = "task default" if dt else None
    target_name = target_class = None
    if target is not None:
        from archsel.targets.profiles import resolve_target

        profile = resolve_target(target, profile_dirs)
        target_name, target_class = profile.name, profile.target_class
    if latency_ms is not None and not latency_ms > 0:
        raise UsageError(f"--latency-ms must be positive, got {latency_ms:g}")
    tier: str | None = None
    tier_source: str | None = None
    if latency_tier is not None:
        tier, tier_source = vocab.lookup("latency_tiers", latency_tier), "query"
        if latency_ms is not None and (budget_tier := vocab.classify("latency_tiers", latency_ms)) != tier:
            bound = vocab.sections["latency_tiers"][budget_tier].upper
            limit = f"≤ {bound:g} ms" if bound is not None else "no tight bound"
            raise UsageError(f"--latency-ms {latency_ms:g} is a {budget_tier} budget ({limit}), but --latency-tier "
                             f"says {tier}", hint="give one of the two, or a budget in that tier")
    elif latency_ms is not None:
        tier, tier_source = vocab.classify("latency_tiers", latency_ms), "latency budget"
    fams = []
    for fam in split_words(families):
        word = normalise_word(fam)
        if word not in FAMILIES:
            raise unknown("family", fam, FAMILIES)
        fams.append(word)
    return Query(
        task=canonical_task,
        data_type=dt,
        data_type_source=dt_source,
        target=target_name,
        target_class=target_class,
        target_input=target,
        latency_ms=float(latency_ms) if latency_ms is not None else None,
        latency_tier=tier,
        latency_tier_source=tier_source,
        streaming=streaming,
        sequence_length=_bounded(vocab, "sequence_lengths", sequence_length, "--seq-len"),
        dataset_size=_bounded(vocab, "dataset_sizes", dataset_size, "--dataset-size"),
        priorities=_dedupe(vocab.lookup("priorities", p) for p in split_words(priorities)),
        families=_dedupe(fams),
        exclude=_dedupe(split_words(exclude)),
    )
