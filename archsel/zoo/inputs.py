"""Example inputs for zoo entries: parse user shapes, override specs, and make tensors on any device."""

from __future__ import annotations

import dataclasses
import math
import re
from typing import TYPE_CHECKING, Any

from archsel.errors import UsageError
from archsel.zoo.spec import InputSpec

if TYPE_CHECKING:
    import torch

_SHAPE = re.compile(r"^\d+(?:[x×,]\d+)*$")
MAX_DIM = 2**31 - 1  # torch's int32 index range per dimension
MAX_ELEMENTS = 10**12  # 4 TB of float32: beyond any machine archsel measures on


def parse_shape(text: str) -> tuple[int, ...]:
    """Parse '3x224x224' (or '3,224,224') into a tuple of positive ints."""
    cleaned = text.strip().lower().replace(" ", "")
    if not _SHAPE.match(cleaned):
        raise UsageError(f"bad input shape {text!r}",
                         hint="write it as dimensions joined by 'x', e.g. 3x224x224")
    parts = re.split(r"[x×,]", cleaned)
    if any(len(p) > 12 for p in parts):  # also keeps int() away from numbers of thousands of digits
        raise UsageError(f"bad input shape {text[:60]!r}: a dimension above {MAX_DIM:,} is not a real input")
    dims = tuple(int(d) for d in parts)
    if any(d <= 0 for d in dims):
        raise UsageError(f"bad input shape {text!r}: every dimension must be positive")
    if any(d > MAX_DIM for d in dims) or math.prod(dims) > MAX_ELEMENTS:
        raise UsageError(f"bad input shape {text!r}: larger than any real input (at most {MAX_DIM:,} per dimension "
                         f"and {MAX_ELEMENTS:.0e} elements)")
    return dims


def override_shape(spec: InputSpec, shape: tuple[int, ...]) -> tuple[InputSpec, int | None]:
    """Replace the first tensor's shape. A shape one longer than the spec carries the batch first.

    Returns the new spec and the batch size the shape named (None when it named none).
    """
    first = spec.tensors[0]
    batch: int | None = None
    if len(shape) == len(first.shape) + 1:
        batch, shape = shape[0], shape[1:]
    elif len(shape) != len(first.shape):
        raise UsageError(
            f"input shape {'x'.join(map(str, shape))} has {len(shape)} dimensions; "
            f"this model takes {first.describe()} ({len(first.shape)} without the batch, "
            f"{len(first.shape) + 1} with it)"
        )
    new_first = dataclasses.replace(first, shape=shape)
    return dataclasses.replace(spec, tensors=(new_first, *spec.tensors[1:])), batch


def make_inputs(
    spec: InputSpec, batch: int = 1, device: str | torch.device = "meta", seed: int = 0
) -> tuple[Any, ...]:
    """Tensors for one forward pass, as positional arguments for the model."""
    import torch

    gen = None if str(device) == "meta" else torch.Generator().manual_seed(seed)
    tensors = []
    for t in spec.tensors:
        shape = (batch, *t.shape)
        if str(device) == "meta":
            tensors.append(torch.empty(shape, dtype=getattr(torch, t.dtype), device="meta"))
        elif t.dtype == "int64":
            assert t.high is not None
            tensors.append(torch.randint(0, t.high, shape, generator=gen).to(device))
        else:
            tensors.append(torch.randn(shape, generator=gen).to(device))
    if spec.call == "image_list":
        return (list(tensors[0].unbind(0)),)
    return tuple(tensors)


def regenerate(inputs: Any, seed: int) -> Any:
    """New random inputs like `inputs` (same structure, shapes and dtypes): float tensors drawn from N(0, 1),
    integer ones uniformly within the range the originals span (ids stay valid ids)."""
    import torch

    if isinstance(inputs, torch.Tensor):
        gen = torch.Generator().manual_seed(seed)
        if inputs.is_floating_point():
            return torch.randn(inputs.shape, generator=gen, dtype=inputs.dtype).to(inputs.device)
        low, high = int(inputs.min()), int(inputs.max()) + 1
        return torch.randint(low, high, inputs.shape, generator=gen, dtype=inputs.dtype).to(inputs.device)
    if isinstance(inputs, (list, tuple)):
        return type(inputs)(regenerate(item, seed + i) for i, item in enumerate(inputs))
    return inputs
