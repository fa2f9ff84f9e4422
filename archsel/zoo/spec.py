"""Plain-data description of a zoo entry: what it is, what it eats, how good it is published to be.

Nothing here imports torch: listing and showing models stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Family = Literal["cnn", "rnn", "transformer", "hybrid", "ssm", "tabular"]
FAMILIES: tuple[str, ...] = ("cnn", "rnn", "transformer", "hybrid", "ssm", "tabular")

# How example inputs are handed to forward(): positional tensors, or (torchvision detection) a list of
# per-sample tensors.
CallStyle = Literal["positional", "image_list"]


@dataclass(frozen=True)
class TensorSpec:
    """One input tensor without its batch axis: shape, axis names, dtype, and value range for ids."""

    name: str
    shape: tuple[int, ...]
    axes: tuple[str, ...]
    dtype: str = "float32"  # "float32" or "int64"
    high: int | None = None  # exclusive upper bound for integer ids (vocabulary size)

    def __post_init__(self) -> None:
        if len(self.shape) != len(self.axes):
            raise ValueError(f"{self.name}: shape {self.shape} and axes {self.axes} differ in length")
        if self.dtype == "int64" and self.high is None:
            raise ValueError(f"{self.name}: integer inputs need `high` (vocabulary size)")

    def describe(self) -> str:
        dims = "×".join(f"{a}={n}" for a, n in zip(self.axes, self.shape, strict=True))
        return f"{self.name}[N, {dims}] {self.dtype}"


@dataclass(frozen=True)
class InputSpec:
    """Every tensor one forward pass takes, in call order."""

    tensors: tuple[TensorSpec, ...]
    call: CallStyle = "positional"

    def describe(self) -> str:
        text = ", ".join(t.describe() for t in self.tensors)
        return text + (" (as a list of images)" if self.call == "image_list" else "")


@dataclass(frozen=True)
class QualityFigure:
    """A published quality figure and everything a reader needs to check it (docs/advice.md, step 6).

    Whether higher or lower is better is not stored: archsel.advice.scoring derives it from the metric's name
    (its LOWER_IS_BETTER words: WER, perplexity, MAE, ...), so `metric` must name what it measures, with its
    unit ("WER %", "PSNR dB", "top-1 accuracy %"); tests/test_zoo_quality_sources.py checks every metric in use.
    Scoring compares candidates only on the same `metric` and `dataset` strings: spell them alike across entries.
    """

    metric: str
    value: float
    dataset: str  # data set and split measured on, e.g. "COCO val2017", "LibriSpeech test-clean"
    source: str = ""  # one-line citation; built from paper, table and url when left empty
    paper: str = ""  # authors, title, venue and year, or the publisher of the table (torchvision, Ultralytics)
    table: str = ""  # the table / section / row where the figure is printed
    url: str = ""  # where the figure can be read (a web address; a seed document's path under shared/seeds/)
    split: str = ""  # protocol beyond `dataset`: training data, crops, decoding, language model, ...
    config_note: str = ""  # how our configuration differs from the one measured; "" only for the same model

    def __post_init__(self) -> None:
        if not self.source:
            object.__setattr__(self, "source", self.citation())

    def citation(self) -> str:
        """Paper, table and url in one line."""
        return ", ".join(part for part in (self.paper, self.table) if part) + (f" <{self.url}>" if self.url else "")


@dataclass(frozen=True)
class ModelEntry:
    """A zoo entry: metadata plus a lazily imported builder ("module:function")."""

    id: str
    display_name: str
    family: Family
    tasks: tuple[str, ...]
    inputs: dict[str, InputSpec]  # default input per task (batch excluded)
    builder: str
    builder_kwargs: dict[str, object] = field(default_factory=dict)
    description: str = ""
    quality: tuple[QualityFigure, ...] = ()
    torchvision_weights: str | None = None  # e.g. "ResNet50_Weights.IMAGENET1K_V2": published _ops/num_params
    # published GMACs at the default input (torchvision's `_ops`, or the model's own publication: see notes)
    published_gmacs: float | None = None
    published_params: int | None = None  # published parameter count (torchvision's `num_params`, or as above)
    data_dependent: bool = False  # needs real tensors (detection post-processing): profile on CPU
    small_input: dict[str, InputSpec] = field(default_factory=dict)  # used where data_dependent
    lightweight: bool = False  # designed for mobile/edge (depthwise, small width)
    streaming: bool = False  # can process input incrementally (unidirectional recurrence, causal)
    notes: str = ""  # simplifications, conventions, honesty about faithfulness
    references: tuple[str, ...] = ()  # papers / sources of the architecture
    # a model others published device latencies for, kept to hold estimates against them (benchmarks);
    # never a candidate, left out of listings unless asked for
    reference_only: bool = False

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"{self.id}: unknown family {self.family!r}")
        missing = [t for t in self.tasks if t not in self.inputs]
        if missing:
            raise ValueError(f"{self.id}: no input spec for tasks {missing}")

    def input_for(self, task: str | None = None) -> InputSpec:
        """The default input for `task` (the first task when None)."""
        return self.inputs[task or self.tasks[0]]
