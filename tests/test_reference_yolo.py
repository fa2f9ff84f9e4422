"""Reference-only Ultralytics YOLO entries (archsel/zoo/catalog/reference_detectors.py): registered, never
candidates, built and counted on the meta device, and matching the parameter and FLOP figures Ultralytics
publishes (fused params within 2%, MACs within 3%; classifiers and the seg model under Ultralytics' counting
convention, which the entries' notes explain)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from archsel.profiling.counting import count_model, count_module
from archsel.zoo import registry
from archsel.zoo.catalog.reference_detectors import COUNTED, COUNTED_V5_ANCHOR, V5_ORIGINAL
from archsel.zoo.inputs import make_inputs

# Transcribed independently of the catalog: (params M, FLOPs B, input side the FLOPs are quoted at).
# docs.ultralytics.com/models/yolov8/, /models/yolo11/, /models/yolov5/ (YOLOv5u rows).
PUBLISHED: dict[str, tuple[float, float, int]] = {
    "yolov8n": (3.2, 8.7, 640), "yolov8s": (11.2, 28.6, 640), "yolov8m": (25.9, 78.9, 640),
    "yolov8l": (43.7, 165.2, 640), "yolov8x": (68.2, 257.8, 640),
    "yolov8n-cls": (2.7, 4.3, 640), "yolov8s-cls": (6.4, 13.5, 640), "yolov8m-cls": (17.0, 42.7, 640),
    "yolov8n-seg": (3.4, 12.6, 640),
    "yolo11n": (2.6, 6.5, 640), "yolo11s": (9.4, 21.5, 640), "yolo11m": (20.1, 68.0, 640),
    "yolo11l": (25.3, 86.9, 640), "yolo11x": (56.9, 194.9, 640),
    "yolo11n-cls": (2.8, 0.5, 224), "yolo11s-cls": (6.7, 1.6, 224), "yolo11m-cls": (11.6, 4.9, 224),
    "yolov5n": (2.6, 7.7, 640), "yolov5s": (9.1, 24.0, 640), "yolov5m": (25.1, 64.2, 640),
    "yolov5l": (53.2, 135.0, 640), "yolov5x": (97.2, 246.4, 640),
}
IDS = sorted(PUBLISHED)
DETECT = [i for i in IDS if "-" not in i]
CLASSIFY = [i for i in IDS if i.endswith("-cls")]
PARAMS_TOL, MACS_TOL = 0.02, 0.03


def _fused_params(model: nn.Module) -> int:
    """Parameters with every BatchNorm folded into its conv (BN weight + bias become one conv bias): the
    count Ultralytics publishes."""
    params = sum(p.numel() for p in model.parameters())
    return params - sum(m.num_features for m in model.modules() if isinstance(m, nn.BatchNorm2d))


def _rel(value: float, reference: float) -> float:
    return abs(value / reference - 1)


def test_every_id_is_registered_and_reference_only() -> None:
    from archsel.query.vocab import load_vocabulary

    vocab = load_vocabulary()
    candidates = {e.id for e in registry.all_entries()}
    references = {e.id for e in registry.all_entries(include_references=True)}
    assert set(IDS) == set(COUNTED)
    for model_id in IDS:
        entry = registry.get_model_entry(model_id)
        assert entry.reference_only and entry.family == "cnn", model_id
        assert model_id not in candidates and model_id in references, model_id
        assert model_id not in registry.list_models() and model_id in registry.list_models(include_references=True)
        assert entry.notes and entry.references, model_id
        assert all(t in vocab.tasks for t in entry.tasks), model_id
        expected_task = "image-classification" if model_id in CLASSIFY else "object-detection"
        assert entry.tasks == (expected_task,), model_id
        side = 224 if model_id in CLASSIFY else 640
        assert entry.input_for().tensors[0].shape == (3, side, side), model_id
        params, flops, at = PUBLISHED[model_id]
        assert entry.published_params == round(params * 1e6), model_id
        # a published figure quoted at another input than the entry's is left out of published_gmacs
        assert entry.published_gmacs == (flops / 2 if at == side else None), model_id


@pytest.mark.parametrize("model_id", IDS)
def test_meta_count_matches_catalog_and_published(model_id: str) -> None:
    """count_model works on the meta device and gives what the entry's notes state; detectors match the
    published parameters (fused) within 2% and MACs within 3%."""
    result = count_model(model_id)
    params, fused, macs = COUNTED[model_id]
    assert result.path == "meta" and not result.uncounted_ops and not result.zero_mac_modules
    assert result.params == params and _rel(result.macs, macs) < 1e-3
    assert f"{params:,} parameters ({fused:,} with BatchNorm folded)" in registry.get_model_entry(model_id).notes
    pub_params, pub_flops, _ = PUBLISHED[model_id]
    assert _rel(fused, pub_params * 1e6) <= PARAMS_TOL, (fused, pub_params)
    if model_id in DETECT:
        assert _rel(result.macs, pub_flops / 2 * 1e9) <= MACS_TOL, (result.macs, pub_flops)


def test_fused_params_are_what_the_catalog_states() -> None:
    for model_id in ("yolov8n", "yolo11n", "yolov5n", "yolov8n-seg", "yolo11n-cls"):
        assert _fused_params(registry.get_model(model_id)) == COUNTED[model_id][1], model_id


@pytest.mark.parametrize("model_id", CLASSIFY)
def test_classifier_flops_follow_ultralytics_convention(model_id: str) -> None:
    """Ultralytics' get_flops counts at a 32×32 input and scales by (side / 32)², which also scales the
    classifier's linear layer: archsel's count at 32×32 scaled the same way reproduces the published figure."""
    _, pub_flops, at = PUBLISHED[model_id]
    small = count_model(model_id, input_shape=(1, 3, 32, 32))
    tolerance = 0.01 if pub_flops >= 4 else MACS_TOL  # YOLO11-cls figures have one decimal at 0.5-4.9 B
    assert _rel(small.macs * (at / 32) ** 2, pub_flops / 2 * 1e9) <= tolerance, (small.macs, pub_flops)


def test_seg_flops_follow_thop_transposed_conv_convention() -> None:
    """thop charges a ConvTranspose2d C_in·k² MACs per output element; with that one op counted its way the
    seg model's MACs match the published figure."""
    model = registry.get_model("yolov8n-seg")
    sizes: dict[str, tuple[int, int]] = {}
    for name, mod in model.named_modules():
        if isinstance(mod, nn.ConvTranspose2d):
            def hook(m: nn.Module, args: tuple[torch.Tensor, ...], out: torch.Tensor, name: str = name) -> None:
                sizes[name] = (args[0].numel(), out.numel())
            mod.register_forward_hook(hook)
    result = count_module(model, make_inputs(registry.get_model_entry("yolov8n-seg").input_for()))
    assert list(sizes) == ["head.proto.upsample"]
    conv = model.get_submodule("head.proto.upsample")
    assert isinstance(conv, nn.ConvTranspose2d)
    k2 = conv.kernel_size[0] * conv.kernel_size[1]
    real = sum(r.macs for r in result.ops if r.module == "head.proto.upsample")
    assert real == sizes["head.proto.upsample"][0] * conv.out_channels * k2
    thop = sizes["head.proto.upsample"][1] * conv.in_channels * k2
    published = PUBLISHED["yolov8n-seg"][1] / 2 * 1e9
    assert _rel(result.macs, published) > MACS_TOL  # as the notes say: 4.7% under the published figure
    assert _rel(result.macs - real + thop, published) <= 0.005


@pytest.mark.parametrize(("model_id", "shapes"), [
    ("yolov8n", [(1, 84, 8400)]), ("yolo11s", [(1, 84, 8400)]), ("yolov5n", [(1, 84, 8400)]),
    ("yolov8n-seg", [(1, 116, 8400), (1, 32, 160, 160)]), ("yolov8n-cls", [(1, 1000)]),
    ("yolo11n-cls", [(1, 1000)]),
])
def test_eval_forward_returns_decoded_output(model_id: str, shapes: list[tuple[int, ...]]) -> None:
    model = registry.get_model(model_id)
    with torch.no_grad():
        out = model(*make_inputs(registry.get_model_entry(model_id).input_for()))
    outs = list(out) if isinstance(out, tuple) else [out]
    assert [tuple(o.shape) for o in outs] == shapes


@pytest.mark.parametrize("scale", list(V5_ORIGINAL))
def test_original_anchor_based_yolov5(scale: str) -> None:
    """get_model('yolov5<s>', head='anchor'): the original YOLOv5, [N, 25200, 85], matching the YOLOv5
    repository's published figures."""
    model = registry.get_model(f"yolov5{scale}", head="anchor")
    x = torch.empty(1, 3, 640, 640, device="meta")
    with torch.no_grad():
        assert tuple(model(x).shape) == (1, 25200, 85)
    result = count_module(model, (x,))
    params, fused, macs = COUNTED_V5_ANCHOR[f"yolov5{scale}"]
    assert (result.params, _fused_params(model), result.macs) == (params, fused, macs)
    pub_params, pub_flops, _ = V5_ORIGINAL[scale]
    assert _rel(fused, pub_params * 1e6) <= PARAMS_TOL and _rel(macs, pub_flops / 2 * 1e9) <= MACS_TOL


def test_decoding_on_cpu_is_sane() -> None:
    """Real tensors at a small input: boxes in pixels around their anchor points, scores in [0, 1]; training
    mode returns the raw per-level maps."""
    torch.manual_seed(0)
    for model_id in ("yolov8n", "yolo11n"):
        model = registry.get_model(model_id, device="cpu")
        with torch.no_grad():
            out = model(torch.rand(1, 3, 128, 128))
        assert out.shape == (1, 84, 16 * 16 + 8 * 8 + 4 * 4)
        boxes, scores = out[0, :4], out[0, 4:]
        assert torch.isfinite(out).all() and (scores >= 0).all() and (scores <= 1).all()
        assert (boxes[2:] >= 0).all() and (boxes[2:] <= 2 * 15 * 32).all()  # w, h ≤ 2 · 15 bins · stride
        assert boxes[0].min() > -15 * 32 and boxes[0].max() < 128 + 15 * 32
        model.train()
        raw = model(torch.rand(2, 3, 128, 128))
        assert [tuple(r.shape) for r in raw] == [(2, 144, 16, 16), (2, 144, 8, 8), (2, 144, 4, 4)]
    anchor = registry.get_model("yolov5n", device="cpu", head="anchor")
    with torch.no_grad():
        out = anchor(torch.rand(1, 3, 128, 128))
    assert out.shape == (1, 3 * (16 * 16 + 8 * 8 + 4 * 4), 85)
    assert (out[..., 4:] >= 0).all() and (out[..., 4:] <= 1).all() and (out[..., 2:4] >= 0).all()
