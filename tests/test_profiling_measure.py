"""Measured latency, precision, memory, cache and the profiler's failure isolation (no speed is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from torch import nn

from archsel.errors import UsageError
from archsel.profiling.cache import ResultCache
from archsel.profiling.memory import trace_memory
from archsel.profiling.precision import UnsupportedPrecision, normalize_dtype, prepare
from archsel.profiling.profiler import ProfileOptions, profile
from archsel.profiling.timing import TimeBudgetExceeded, TimingConfig, measure_latency, percentile
from archsel.zoo.registry import get_model

CUDA = torch.cuda.is_available()


def _stats_sane(d: dict[str, object]) -> None:
    assert d["min_ms"] <= d["p50_ms"] <= d["p90_ms"] <= d["p99_ms"] <= d["max_ms"]  # type: ignore[operator]
    assert d["samples"] * d["calls_per_sample"] == d["iterations"]  # type: ignore[operator]
    assert d["stop_reason"] in ("stable", "time_budget", "max_samples")
    for key in ("device", "dtype", "batch", "threads", "torch_version", "warmup_iterations", "method"):
        assert d[key] not in (None, ""), key


def test_percentile_matches_numpy() -> None:
    np = pytest.importorskip("numpy")
    values = sorted([3.0, 1.0, 4.0, 1.5, 9.0, 2.6, 5.0])
    for q in (0, 25, 50, 90, 99, 100):
        assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_latency_of_a_real_model_has_all_fields_and_conditions() -> None:
    model = get_model("lenet5", device="cpu")
    x = torch.randn(2, 1, 28, 28)
    with torch.inference_mode():
        stats = measure_latency(lambda: model(x), config=TimingConfig(time_budget_s=1.0), batch=2, threads=1)
    d = stats.to_dict()
    _stats_sane(d)
    assert d["measured"] is True and d["batch"] == 2 and d["threads"] == 1 and d["device"] == "cpu"
    assert d["iterations"] >= 5 and d["torch_version"] == torch.__version__
    assert d["throughput_samples_per_s"] == pytest.approx(2 * 1000 / d["p50_ms"])
    json.dumps(d, allow_nan=False)


def test_threads_are_restored_after_measuring() -> None:
    before = torch.get_num_threads()
    measure_latency(lambda: None, config=TimingConfig(time_budget_s=0.3), threads=1)
    assert torch.get_num_threads() == before


def test_unstable_timing_stops_at_the_budget() -> None:
    state = {"i": 0}

    def jittery() -> None:  # alternating 1 ms / 6 ms: IQR/median never falls below 10%
        state["i"] += 1
        time.sleep(0.001 if state["i"] % 2 else 0.006)

    budget = 0.6
    t0 = time.perf_counter()
    stats = measure_latency(jittery, config=TimingConfig(time_budget_s=budget))
    spent = time.perf_counter() - t0
    assert stats.stop_reason == "time_budget"
    assert spent <= budget * 1.5 + 0.1
    assert stats.iterations >= 5
    _stats_sane(stats.to_dict())


def test_stable_timing_stops_early() -> None:
    stats = measure_latency(lambda: time.sleep(0.002), config=TimingConfig(time_budget_s=30.0))
    assert stats.stop_reason == "stable" and stats.measure_s < 10.0


def test_too_slow_for_its_budget_raises() -> None:
    with pytest.raises(TimeBudgetExceeded, match="time budget"):
        measure_latency(lambda: time.sleep(0.15), config=TimingConfig(time_budget_s=0.5))


def test_very_short_calls_are_timed_in_blocks() -> None:
    stats = measure_latency(lambda: None, config=TimingConfig(time_budget_s=0.5))
    assert stats.calls_per_sample > 1 and stats.iterations == stats.samples * stats.calls_per_sample


def test_dtype_names_and_unknown_dtype() -> None:
    assert normalize_dtype("half") == "fp16" and normalize_dtype("BF16") == "bf16"
    with pytest.raises(UsageError, match="fp16"):
        normalize_dtype("fp61")


def test_int8_quantizes_lstm_and_linear_and_names_its_backend() -> None:
    model = nn.Sequential(nn.LSTM(8, 16, batch_first=True)).eval()
    p = prepare(model, (torch.randn(2, 5, 8),), dtype="int8", device="cpu")
    kinds = {m._get_name() for m in p.model.modules()}
    assert "DynamicQuantizedLSTM" in kinds and "LSTM" not in kinds
    assert p.int8_backend and "quantize_dynamic" in p.int8_backend
    assert p.quantized_param_fraction == pytest.approx(1.0)
    with torch.inference_mode():
        out, _ = p.model(*p.inputs)
    assert out.shape == (2, 5, 16)


def test_int8_refuses_conv_only_models_and_cuda() -> None:
    conv = nn.Sequential(nn.Conv2d(3, 4, 3)).eval()
    with pytest.raises(UnsupportedPrecision, match="no Linear"):
        prepare(conv, (torch.randn(1, 3, 8, 8),), dtype="int8", device="cpu")
    with pytest.raises(UnsupportedPrecision, match="CPU only"):
        prepare(nn.Linear(2, 2), (torch.randn(1, 2),), dtype="int8", device="cuda")


class ReadsItsLinearWeight(nn.Module):
    """Uses a Linear layer's weight itself, as swin3d_t and transformer_forecaster do."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.linear(x, self.proj.weight)


def test_int8_of_a_model_reading_a_linear_weight_is_unsupported_not_an_error() -> None:
    with pytest.raises(UnsupportedPrecision, match=r"reads a Linear's weight itself .*--runtime onnxruntime"):
        prepare(ReadsItsLinearWeight().eval(), (torch.randn(1, 4),), dtype="int8", device="cpu")


def test_fp16_and_channels_last_change_model_and_inputs() -> None:
    conv = nn.Sequential(nn.Conv2d(3, 4, 3)).eval()
    inputs = (torch.randn(1, 3, 8, 8), torch.zeros(1, dtype=torch.int64))
    p = prepare(conv, inputs, dtype="bf16", device="cpu", channels_last=True)
    assert p.inputs[0].dtype == torch.bfloat16 and p.inputs[1].dtype == torch.int64  # ids stay integers
    assert p.inputs[0].is_contiguous(memory_format=torch.channels_last)
    assert next(p.model.parameters()).dtype == torch.bfloat16
    seq = prepare(nn.Linear(4, 4), (torch.randn(2, 4),), dtype="fp32", device="cpu", channels_last=True)
    assert any("no effect" in n for n in seq.notes)


def test_trace_memory_scales_to_the_measured_dtype() -> None:
    class C:
        dtype, param_bytes, buffer_bytes, peak_activation_bytes = "float32", 400, 40, 1000

    assert trace_memory(C(), "fp32")["total_bytes"] == 1440
    half = trace_memory(C(), "fp16")
    assert half["total_bytes"] == 720 and "scaled to fp16" in half["method"]


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_rss_growth_sees_a_large_allocation() -> None:
    """In a fresh process: inside a long test run the allocator may reuse pages that are already resident."""
    import subprocess
    import sys

    code = (
        "import torch\n"
        "from archsel.profiling.memory import measure_rss_growth\n"
        "size = 64 * 2**20\n"
        "def allocate():\n"
        "    t = torch.ones(size // 4)  # 64 MiB, touched\n"
        "    assert float(t[-1]) == 1.0\n"
        "print(measure_rss_growth(allocate))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    growth = int(out.stdout.strip())
    assert growth >= 64 * 2**20 * 0.9


def test_cache_roundtrip_miss_and_corrupt_entry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cache = ResultCache(tmp_path)
    key = {"model_id": "m", "batch": 1, "fingerprint": {"device": "cpu"}}
    assert cache.get(key) is None
    path = cache.put(key, {"p50_ms": 1.5})
    assert cache.get(key) == {"p50_ms": 1.5}
    assert cache.get({**key, "batch": 2}) is None
    assert cache.info()["entries"] == 1
    path.write_text('{"cache_format": 1, "key": ')  # truncated
    assert cache.get(key) is None
    assert "corrupt cache entry" in capsys.readouterr().err
    assert not path.exists()
    cache.put(key, {"p50_ms": 2.0})
    assert cache.clear() == 1 and cache.info()["entries"] == 0


_WRITER = """
import sys
from pathlib import Path
from archsel.profiling.cache import ResultCache
cache = ResultCache(Path(sys.argv[1]))
key = {"model_id": "shared"}
for i in range(300):
    cache.put(key, {"writer": sys.argv[2], "i": i, "pad": "x" * 20000})
"""


def test_concurrent_writers_leave_a_valid_cache(tmp_path: Path) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path), w]) for w in ("a", "b")]
    cache = ResultCache(tmp_path)
    reads = 0
    while any(p.poll() is None for p in procs):
        got = cache.get({"model_id": "shared"})  # never half-written: either absent or a whole entry
        assert got is None or (got["writer"] in ("a", "b") and len(got["pad"]) == 20000)
        reads += 1
    assert all(p.wait() == 0 for p in procs)
    final = cache.get({"model_id": "shared"})
    assert final is not None and final["i"] == 299
    names = [p.name for p in (tmp_path / "profiles").iterdir()]
    assert names == [cache.path_for({"model_id": "shared"}).name]  # no temporary file left behind


@pytest.fixture
def broken_model() -> Iterator[str]:
    """A registered entry whose forward fails (Linear(7→2) fed an image)."""
    from archsel.zoo import registry
    from archsel.zoo.catalog._helpers import image
    from archsel.zoo.spec import ModelEntry

    registry.list_models()
    entry = ModelEntry(id="broken_test_model", display_name="broken", family="cnn",
                       tasks=("image-classification",), inputs={"image-classification": image(8)},
                       builder="torch.nn:Linear", builder_kwargs={"in_features": 7, "out_features": 2})
    registry._REGISTRY[entry.id] = entry
    yield entry.id
    del registry._REGISTRY[entry.id]


def test_one_failing_model_does_not_stop_the_others(broken_model: str, tmp_path: Path) -> None:
    opts = ProfileOptions(time_budget_s=0.5, batches=(1,), threads=1)
    records = profile([broken_model, "lenet5"], opts, cache=ResultCache(tmp_path), log=lambda m: None)
    by_id = {r["model_id"]: r for r in records}
    bad, good = by_id[broken_model], by_id["lenet5"]
    assert bad["status"] == "failed" and bad["failure_kind"] == "error" and "shape" in bad["error"].lower()
    assert bad["latency"] is None
    assert good["status"] == "ok" and good["macs"] > 0 and good["flops"] == 2 * good["macs"]
    _stats_sane(good["latency"])
    assert good["memory"]["estimated"]["total_bytes"] > good["memory"]["estimated"]["param_bytes"]


def test_over_budget_model_is_a_failed_result(tmp_path: Path) -> None:
    records = profile(["lenet5"], ProfileOptions(time_budget_s=1e-5, threads=1), cache=ResultCache(tmp_path),
                      log=lambda m: None)
    assert records[0]["status"] == "failed" and records[0]["failure_kind"] == "time_budget"
    assert records[0]["macs"] > 0  # the count still stands
    assert ResultCache(tmp_path).info()["entries"] == 0  # failures are not cached


def test_second_profile_is_a_cache_hit(tmp_path: Path) -> None:
    opts = ProfileOptions(time_budget_s=0.4, batches=(1, 2), threads=1)
    cache = ResultCache(tmp_path)
    first = profile(["lenet5"], opts, cache=cache, log=lambda m: None)
    assert [r["status"] for r in first] == ["ok", "ok"], [r["error"] for r in first]
    second = profile(["lenet5"], opts, cache=cache, log=lambda m: None)
    assert [r["cached"] for r in first] == [False, False] and [r["cached"] for r in second] == [True, True]
    assert [r["latency"]["p50_ms"] for r in first] == [r["latency"]["p50_ms"] for r in second]
    no_cache = ProfileOptions(time_budget_s=0.4, batches=(1,), threads=1, use_cache=False)
    third = profile(["lenet5"], no_cache, cache=cache, log=lambda m: None)
    assert third[0]["cached"] is False


@pytest.mark.gpu
@pytest.mark.skipif(not CUDA, reason="needs a CUDA device")
def test_cuda_profile_fp16_with_allocator_peak(tmp_path: Path) -> None:
    opts = ProfileOptions(device="cuda", dtypes=("fp32", "fp16"), batches=(4,), time_budget_s=2.0,
                          input_shape=(3, 64, 64))
    records = profile(["resnet18"], opts, cache=ResultCache(tmp_path), log=lambda m: None)
    for r in records:
        assert r["status"] == "ok", r["error"]
        _stats_sane(r["latency"])
        measured = r["memory"]["measured"]
        assert measured["cuda_peak_allocated_bytes"] >= measured["cuda_allocated_before_bytes"] > 0
        assert r["conditions"]["device_name"]


def test_compile_failure_is_reported_and_eager_is_measured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class FailingCompiled(nn.Module):  # what torch.compile returns, failing at its first call
        def __init__(self, orig: nn.Module) -> None:
            super().__init__()
            self._orig_mod = orig

        def forward(self, *args: object) -> None:
            raise RuntimeError("backend compiler failed: no C++ compiler")

    monkeypatch.setattr(torch, "compile", lambda model, **kw: FailingCompiled(model))
    (r,) = profile(["lenet5"], ProfileOptions(time_budget_s=0.4, threads=1, compile=True, use_cache=False),
                   log=lambda m: None)
    assert r["status"] == "ok" and r["latency"]["p50_ms"] > 0
    assert r["conditions"]["compiled"] is False and "no C++ compiler" in r["conditions"]["compile_error"]
    assert any("eager" in n for n in r["notes"])


def test_out_of_memory_is_classified() -> None:
    from archsel.profiling.profiler import classify_failure

    assert classify_failure(torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB"))[0] \
        == "out_of_memory"
    assert classify_failure(MemoryError())[0] == "out_of_memory"
    assert classify_failure(TimeBudgetExceeded("too slow"))[0] == "time_budget"
    assert classify_failure(ValueError("boom")) == ("error", "ValueError: boom")


def test_eager_int8_runs_a_model_of_several_inputs() -> None:
    import torch

    from archsel.profiling.precision import prepare
    from archsel.zoo.inputs import make_inputs
    from archsel.zoo.registry import get_model, get_model_entry, resolve_task

    entry = get_model_entry("wide_and_deep")  # two inputs (wide features, deep ids)
    inputs = make_inputs(entry.input_for(resolve_task(entry, None)), 2, device="cpu")
    assert len(inputs) >= 2
    prepared = prepare(get_model("wide_and_deep", device="cpu"), inputs, dtype="int8", device="cpu")
    with torch.inference_mode():
        out = prepared.model(*prepared.inputs)
    assert out.shape[0] == 2 and prepared.quantized_param_fraction and prepared.quantized_param_fraction > 0
