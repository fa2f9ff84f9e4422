"""Load a user's own model from `module:attr` and count it. THIS RUNS THE USER'S CODE.

`spec` is `package.module:attr` (or `path/to/file.py:attr`); `attr` may be dotted (`mod:Class.build`)
and names a factory function, an nn.Module subclass, or an nn.Module instance. The current directory
is put first on sys.path, as `python -m` does. Errors are sorted by whose fault they are:

- UsageError (exit 2): a malformed spec, a module that does not exist, a missing attribute (with a
  did-you-mean over the module's public callables), a factory that needs arguments nobody gave, a
  factory that returns something other than an nn.Module, a bad input shape.
- UserCodeError (exit 1): the user's code raised — while importing its module, in the factory, or in
  forward — carrying the exception type, message and the innermost frame in the user's files.

Inputs are written `--input 1x3x224x224` (the first dimension is the batch); several inputs are joined
with `+`, and a `:DTYPE` suffix makes an integer input (`1x128:int64`, random ids in [0, 2): valid
for any embedding table). Anything the user's code prints goes to stderr, so stdout stays the payload.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import json
import os
import pkgutil
import re
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any

from archsel.errors import ArchselError, ExitStatus, UsageError, did_you_mean
from archsel.zoo.inputs import parse_shape

if TYPE_CHECKING:
    from torch import nn

    from archsel.profiling.counting import CountResult

__all__ = ["InputSpec", "UserCodeError", "UserModel", "count_user_model", "counted_user_model", "load_user_model",
           "parse_inputs", "parse_model_args", "user_code"]

_SPEC = re.compile(r"^(?P<module>[^:]+):(?P<attr>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)$")
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")
INPUT_DTYPES = ("float32", "float16", "bfloat16", "float64", "int64", "int32")
INT_HIGH = 2  # integer inputs hold ids in [0, INT_HIGH): valid for any embedding table with ≥ 2 rows


STAGE_WORDS = {"import": "importing", "factory": "calling", "forward": "running forward of",
               "count": "building and counting", "measure": "measuring"}


class UserCodeError(ArchselError):
    """The user's code raised (import, factory or forward): reported as an error, exit 1."""

    status = ExitStatus.FAILURE

    def __init__(self, spec: str, stage: str, exc: BaseException) -> None:
        text = str(exc).strip()
        self._fill(spec, stage, type(exc).__name__, text.splitlines()[0][:500] if text else "",
                   *_user_frame(exc.__traceback__))

    def _fill(self, spec: str, stage: str, exc_type: str, exc_message: str, file: str | None,
              line: int | None, ended: bool = False) -> None:
        self.spec = spec
        self.stage = stage  # "import" | "factory" | "forward" | "count" | "measure"
        self.exc_type = exc_type  # the exception's type; for a process that ended: Timeout | Exit | Signal
        self.exc_message = exc_message
        self.file, self.line = file, line
        self.ended = ended
        what = STAGE_WORDS[stage]
        where = f" at {file}:{line}" if file else ""
        ArchselError.__init__(self, f"{what} {spec}: {exc_message}" if ended
                              else f"{what} {spec} raised {exc_type}: {exc_message}{where}")

    @classmethod
    def rebuilt(cls, spec: str, stage: str, exc_type: str, exc_message: str, file: str | None = None,
                line: int | None = None, ended: bool = False) -> UserCodeError:
        """The error from its fields (`fields()`): how archsel.isolation hands it from the child back."""
        err = cls.__new__(cls)
        err._fill(spec, stage, exc_type, exc_message, file, line, ended)
        return err

    def fields(self) -> dict[str, Any]:
        return {"spec": self.spec, "stage": self.stage, "exc_type": self.exc_type,
                "exc_message": self.exc_message, "file": self.file, "line": self.line, "ended": self.ended}

    def to_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "type": self.exc_type, "message": self.exc_message,
                "file": self.file, "line": self.line}


@dataclass(frozen=True)
class InputSpec:
    """One example input: full shape (batch first) and dtype name."""

    shape: tuple[int, ...]
    dtype: str = "float32"


@dataclass
class UserModel:
    """A user's model ready to run: module in eval mode and example inputs on `device`."""

    spec: str  # "my_pkg.models:build" as the user typed it
    module: nn.Module | None  # None once handed back by archsel.isolation's child (the model stays there)
    inputs: tuple[Any, ...]  # example inputs on the requested device, batch included (ditto: ())
    input_shapes: list[list[int]]
    batch: int
    device: str = "cpu"  # where module and inputs live: "meta" (nothing allocated) or a real device
    source_file: str | None = None  # where the factory/class is defined (for CI annotations)
    source_line: int | None = None
    notes: list[str] = field(default_factory=list)
    input_text: str = ""  # the --input text it was built from
    kwargs: dict[str, Any] = field(default_factory=dict)  # factory keyword arguments


# ------------------------------------------------------------------------------------------- parsing


def parse_inputs(text: str) -> list[InputSpec]:
    """'1x3x224x224' or '1x3x224x224+1x77:int64' → input specs (first dimension: the batch)."""
    specs = []
    for part in text.split("+"):
        shape_text, _, dtype = part.strip().partition(":")
        dtype = dtype.strip().lower() or "float32"
        if dtype not in INPUT_DTYPES:
            hint = did_you_mean(dtype, INPUT_DTYPES)
            raise UsageError(f"bad input dtype {dtype!r} in {text!r}", hint=hint or "use " + ", ".join(INPUT_DTYPES))
        shape = parse_shape(shape_text)
        specs.append(InputSpec(shape, dtype))
    return specs


def parse_model_args(items: list[str] | None) -> dict[str, Any]:
    """['num_classes=10', 'width=0.5'] → {'num_classes': 10, 'width': 0.5} (values read as YAML scalars)."""
    import yaml

    kwargs: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip().isidentifier():
            raise UsageError(f"bad --model-arg {item!r}", hint="write it as NAME=VALUE, e.g. num_classes=10")
        try:
            parsed = yaml.safe_load(value) if value.strip() else ""
        except (yaml.YAMLError, ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError):
            parsed = value  # not a YAML scalar: the text itself
        try:  # it goes into the JSON report: a finite, plain value (no .nan, no alias to itself)
            json.dumps(parsed, allow_nan=False)
        except (ValueError, TypeError, RecursionError):
            raise UsageError(f"bad --model-arg {item[:60]!r}: not a plain finite value",
                             hint="numbers must be finite; lists and mappings may not refer to themselves") from None
        kwargs[key.strip()] = parsed
    return kwargs


def _split_spec(spec: str) -> tuple[str, str]:
    m = _SPEC.match(spec.strip())
    if not m:
        raise UsageError(f"bad model spec {spec!r}",
                         hint="write it as package.module:factory, e.g. my_pkg.models:build")
    module = m.group("module").strip()
    if not (module.endswith(".py") or _MODULE.match(module)):
        raise UsageError(f"bad module {module!r} in model spec {spec!r}",
                         hint="a dotted module name (my_pkg.models) or a path to a .py file")
    return module, m.group("attr")


# ------------------------------------------------------------------------------------------- import


def _user_frame(tb: TracebackType | None) -> tuple[str | None, int | None]:
    """The innermost traceback frame in the user's files (not torch, archsel or the standard library)."""
    skip = [str(Path(p).resolve()) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}]
    skip.append(str(Path(__file__).resolve().parent))
    found: tuple[str | None, int | None] = (None, None)
    for frame in traceback.extract_tb(tb):
        path = str(Path(frame.filename).resolve()) if not frame.filename.startswith("<") else frame.filename
        if frame.filename.startswith("<") or any(path.startswith(s + os.sep) for s in skip):
            continue
        found = (_display_path(path), frame.lineno)
    return found


def _display_path(path: str) -> str:
    """A path relative to the current directory when it lies under it (what CI annotations expect)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path


@contextlib.contextmanager
def user_code() -> Iterator[None]:
    """Run user code with its prints sent to stderr (stdout carries only archsel's payload)."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


def _ensure_cwd_on_path() -> None:
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)


def _module_suggestions(name: str) -> str | None:
    parent, _, leaf = name.rpartition(".")
    try:
        if parent:
            pkg = importlib.import_module(parent)
            names = [m.name for m in pkgutil.iter_modules(getattr(pkg, "__path__", []))]
            return did_you_mean(leaf, names)
        return did_you_mean(name, [m.name for m in pkgutil.iter_modules([os.getcwd()])])
    except Exception:
        return None


def _import(spec: str, module_name: str) -> ModuleType:
    _ensure_cwd_on_path()
    if module_name.endswith(".py"):
        path = Path(module_name)
        if not path.is_file():
            raise UsageError(f"no such file {module_name!r} in model spec {spec!r}")
        loader_spec = importlib.util.spec_from_file_location(path.stem, path)
        if loader_spec is None or loader_spec.loader is None:
            raise UsageError(f"cannot import {module_name!r} in model spec {spec!r}")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules.setdefault(path.stem, module)
        try:
            with user_code():
                loader_spec.loader.exec_module(module)
        except BaseException as exc:  # SystemExit and the user's own BaseException subclasses too
            raise UserCodeError(spec, "import", exc) from exc
        return module
    try:
        with user_code():
            return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if missing and (module_name == missing or module_name.startswith(missing + ".")):
            hint = _module_suggestions(missing)
            raise UsageError(f"cannot import module {missing!r} (model spec {spec!r})",
                             hint=hint or f"is it installed, or on PYTHONPATH / under {os.getcwd()}?") from None
        raise UserCodeError(spec, "import", exc) from exc  # the user's module imports something missing
    except BaseException as exc:  # SystemExit and the user's own BaseException subclasses too
        raise UserCodeError(spec, "import", exc) from exc


def _public_callables(obj: Any) -> list[str]:
    return sorted(n for n in dir(obj) if not n.startswith("_") and callable(getattr(obj, n, None)))


def _resolve_attr(spec: str, module: ModuleType, attr: str) -> Any:
    obj: Any = module
    walked: list[str] = []
    for part in attr.split("."):
        if not hasattr(obj, part):
            where = ".".join([module.__name__, *walked])
            hint = did_you_mean(part, _public_callables(obj))
            raise UsageError(f"{where} has no attribute {part!r} (model spec {spec!r})",
                             hint=hint or "public callables: " + (", ".join(_public_callables(obj)[:10]) or "none"))
        obj = getattr(obj, part)
        walked.append(part)
    return obj


def _source_of(obj: Any) -> tuple[str | None, int | None]:
    try:
        target = obj if inspect.isclass(obj) or inspect.isroutine(obj) else type(obj)
        file = inspect.getsourcefile(target)
        line = inspect.getsourcelines(target)[1]
    except (TypeError, OSError):
        return None, None
    return (_display_path(file) if file else None), line


def _check_signature(spec: str, factory: Any, kwargs: dict[str, Any]) -> None:
    """A factory whose required parameters are not all given is a usage error, not a crash in user code."""
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):
        return
    try:
        sig.bind(**kwargs)
    except TypeError as exc:
        params = [p for p in sig.parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        missing = [p.name for p in params if p.default is p.empty and p.name not in kwargs]
        hint = ("give them with --model-arg " + " ".join(f"{m}=VALUE" for m in missing) if missing
                else "accepted: " + (", ".join(p.name for p in params) or "no arguments"))
        raise UsageError(f"{spec} cannot be called with {sorted(kwargs) or 'no arguments'}: {exc}", hint=hint) from None


# ------------------------------------------------------------------------------------------- loading


def _make_inputs(specs: list[InputSpec], device: str) -> tuple[Any, ...]:
    import torch

    gen = torch.Generator().manual_seed(0)
    out = []
    for s in specs:
        dtype = getattr(torch, s.dtype)
        if device == "meta":
            out.append(torch.empty(s.shape, dtype=dtype, device="meta"))
        elif dtype.is_floating_point:
            out.append(torch.randn(s.shape, generator=gen).to(device=device, dtype=dtype))
        else:
            out.append(torch.randint(0, INT_HIGH, s.shape, generator=gen, dtype=dtype).to(device))
    return tuple(out)


def _instantiate(spec: str, obj: Any, kwargs: dict[str, Any], device: str) -> nn.Module:
    import torch
    from torch import nn

    if isinstance(obj, nn.Module):
        if kwargs:
            raise UsageError(f"{spec} is a module instance: --model-arg does not apply")
        if device == "meta":
            raise _NoMeta("an nn.Module instance already holds real weights")
        return obj.to(device)
    if not callable(obj):
        raise UsageError(f"{spec} is a {type(obj).__name__}, not a factory, an nn.Module class or an instance")
    _check_signature(spec, obj, kwargs)
    ctx = torch.device(device) if device == "meta" else contextlib.nullcontext()
    try:
        with user_code(), torch.random.fork_rng(devices=[]), ctx:
            torch.manual_seed(0)
            model = obj(**kwargs)
    except BaseException as exc:  # SystemExit and the user's own BaseException subclasses too
        if device == "meta":
            raise _NoMeta(f"the factory failed on the meta device: {type(exc).__name__}: {exc}") from exc
        raise UserCodeError(spec, "factory", exc) from exc
    if not isinstance(model, nn.Module):
        raise UsageError(f"{spec} returned a {type(model).__name__}, not a torch.nn.Module")
    return model if device == "meta" else model.to(device)


class _NoMeta(Exception):
    """This model cannot be built or run on the meta device: fall back to real tensors."""


def load_user_model(spec: str, input_shape: str, *, device: str = "cpu", kwargs: dict[str, Any] | None = None,
                    check_forward: bool = True) -> UserModel:
    """Import and build the user's model on `device` ("meta": nothing allocated), in eval mode, with inputs.

    With `check_forward`, one forward pass runs (no grad) so that a forward that raises is reported here
    as a UserCodeError. Raises UsageError / UserCodeError as the module docstring says.
    """
    import torch

    inputs_spec = parse_inputs(input_shape)
    module_name, attr = _split_spec(spec)
    obj = _resolve_attr(spec, _import(spec, module_name), attr)
    kwargs = dict(kwargs or {})
    try:
        model = _instantiate(spec, obj, kwargs, device)
    except _NoMeta as exc:
        raise UsageError(f"{spec} cannot be built on the meta device: {exc}", hint="use device='cpu'") from None
    model.eval()
    inputs = _make_inputs(inputs_spec, device)
    if check_forward:
        try:
            with user_code(), torch.no_grad():
                model(*inputs)
        except BaseException as exc:  # SystemExit and the user's own BaseException subclasses too
            raise UserCodeError(spec, "forward", exc) from exc
    file, line = _source_of(obj)
    return UserModel(spec=spec, module=model, inputs=inputs, input_shapes=[list(s.shape) for s in inputs_spec],
                     batch=inputs_spec[0].shape[0], device=device, source_file=file, source_line=line,
                     input_text=input_shape, kwargs=kwargs)


def count_user_model(spec: str, input_shape: str, *, kwargs: dict[str, Any] | None = None,
                     counter: str = "meta") -> tuple[UserModel, CountResult]:
    """Count the user's model: built and traced on the meta device when it can be, else on CPU.

    CountResult.path says which ("meta" | "cpu"); UserModel.notes says why the meta path was left.
    A forward that raises on CPU is the user's (UserCodeError); one that runs but cannot be traced is
    archsel's and is re-raised as it is.
    """
    import torch

    from archsel.profiling.counting import count_module

    inputs_spec = parse_inputs(input_shape)
    module_name, attr = _split_spec(spec)
    obj = _resolve_attr(spec, _import(spec, module_name), attr)
    kwargs = dict(kwargs or {})
    file, line = _source_of(obj)
    shapes = [list(s.shape) for s in inputs_spec]
    notes: list[str] = []
    if counter == "meta":
        try:
            model = _instantiate(spec, obj, kwargs, "meta").eval()
            inputs = _make_inputs(inputs_spec, "meta")
            with user_code():
                count = count_module(model, inputs, counter=counter)
            user = UserModel(spec, model, inputs, shapes, shapes[0][0], "meta", file, line, notes,
                             input_shape, kwargs)
            return user, count
        except ArchselError:
            raise
        except _NoMeta as exc:
            notes.append(f"counted on CPU with real tensors: {exc}")
        except BaseException as exc:  # SystemExit and the user's own BaseException subclasses too
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            notes.append(f"counted on CPU with real tensors: the forward failed on the meta device "
                         f"({type(exc).__name__}: {first[:200]})")
    user = load_user_model(spec, input_shape, device="cpu", kwargs=kwargs, check_forward=True)
    user.notes.extend(notes)
    assert user.module is not None  # load_user_model always builds it
    with user_code(), torch.no_grad():
        count = count_module(user.module, user.inputs, counter=counter)
    return user, count


def counted_user_model(spec: str, input_shape: str, kwargs: dict[str, Any]) -> tuple[UserModel, CountResult]:
    """count_user_model as archsel.isolation's child runs it: the model and its inputs stay in the child,
    only its facts and its count come back."""
    user, count = count_user_model(spec, input_shape, kwargs=kwargs)
    return replace(user, module=None, inputs=()), count
