"""Vision zoo entries: published figures equal torchvision's metadata, custom models match their papers and
documents, and a representative subset runs on CPU with the expected output shapes."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from archsel.zoo import registry
from archsel.zoo.builders.yolo import YOLOStyleDetector
from archsel.zoo.inputs import make_inputs
from archsel.zoo.spec import InputSpec, ModelEntry, TensorSpec

VISION_TASKS = ("image-classification", "object-detection", "semantic-segmentation", "super-resolution")
VISION = [e for e in registry.all_entries() if set(e.tasks) & set(VISION_TASKS)]
MINE = {
    "image-classification": {"resnet18", "resnet50", "efficientnet_b0", "efficientnet_b3", "mobilenet_v2",
                             "mobilenet_v3_small", "mobilenet_v3_large", "convnext_tiny", "vit_b_16",
                             "regnet_y_400mf", "regnet_y_1_6gf", "shufflenet_v2_x1_0", "lenet5",
                             "small_cnn_cifar", "row_lstm_classifier"},
    "object-detection": {"fasterrcnn_resnet50_fpn", "fasterrcnn_mobilenet_v3_large_fpn",
                         "ssdlite320_mobilenet_v3_large", "retinanet_resnet50_fpn", "fcos_resnet50_fpn",
                         "yolo_compact"},
    "semantic-segmentation": {"deeplabv3_resnet50", "deeplabv3_mobilenet_v3_large",
                              "lraspp_mobilenet_v3_large", "fcn_resnet50", "deeplabv3plus_resnet50"},
    "super-resolution": {"espcn"},
}
ALL_MINE = sorted(set().union(*MINE.values()))
TORCHVISION = [e for e in map(registry.get_model_entry, ALL_MINE) if e.torchvision_weights]
METRIC = {"image-classification": "acc@1", "object-detection": "box_map", "semantic-segmentation": "miou"}


def _weights(entry: ModelEntry) -> Any:
    import torchvision

    return torchvision.models.get_weight(entry.torchvision_weights)


def _params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _conv(c_in: int, c_out: int, k: int, bias: bool = True) -> int:
    return c_in * c_out * k * k + (c_out if bias else 0)


def _fc(n_in: int, n_out: int) -> int:
    return n_in * n_out + n_out


def _lstm(n_in: int, hidden: int) -> int:
    return 4 * (n_in * hidden + hidden * hidden + 2 * hidden)


def _image(c: int, h: int, w: int) -> InputSpec:
    return InputSpec((TensorSpec("image", (c, h, w), ("C", "H", "W")),))


def _cpu_forward(model_id: str, spec: InputSpec | None = None, batch: int = 2) -> Any:
    entry = registry.get_model_entry(model_id)
    torch.manual_seed(0)
    model = registry.get_model(model_id, device="cpu")
    with torch.no_grad():
        return model(*make_inputs(spec or entry.input_for(), batch=batch, device="cpu"))


def test_every_assigned_entry_is_registered_under_its_task() -> None:
    for task, ids in MINE.items():
        assert ids <= set(registry.list_models(task=task)), ids - set(registry.list_models(task=task))


@pytest.mark.parametrize("entry", TORCHVISION, ids=lambda e: e.id)
def test_published_figures_equal_torchvision_meta(entry: ModelEntry) -> None:
    meta = _weights(entry).meta
    assert entry.published_gmacs == meta["_ops"]
    assert entry.published_params == meta["num_params"]
    task = entry.tasks[0]
    [metrics] = meta["_metrics"].values()
    [figure] = entry.quality
    assert figure.value == metrics[METRIC[task]]
    assert entry.torchvision_weights is not None and entry.torchvision_weights in figure.source


@pytest.mark.parametrize("entry", TORCHVISION, ids=lambda e: e.id)
def test_default_input_is_the_published_size(entry: ModelEntry) -> None:
    weights = _weights(entry)
    h, w = entry.input_for().tensors[0].shape[-2:]
    task = entry.tasks[0]
    if task == "image-classification":
        crop = weights.transforms().crop_size[0]
        assert (h, w) == (crop, crop)
        # the best-accuracy weights among those that crop to this size
        same_crop = [m for m in type(weights) if m.transforms().crop_size[0] == crop]
        assert weights.meta["_metrics"]["ImageNet-1K"]["acc@1"] == max(
            m.meta["_metrics"]["ImageNet-1K"]["acc@1"] for m in same_crop)
    elif task == "semantic-segmentation":
        size = weights.transforms().resize_size[0]
        assert (h, w) == (size, size)
    else:  # detectors resize internally to min_size
        transform: Any = registry.get_model(entry.id, device="meta").get_submodule("transform")
        assert (h, w) == (transform.min_size[0],) * 2
        assert f"{entry.published_gmacs} GMACs" in entry.notes and str(h) in entry.notes


@pytest.mark.parametrize("entry", [e for e in TORCHVISION if not e.data_dependent], ids=lambda e: e.id)
def test_meta_count_at_default_input_reproduces_published_gmacs(entry: ModelEntry) -> None:
    """Builder arguments and default input are what torchvision counted: meta multiply-adds equal `_ops`."""
    from torch.utils.flop_counter import FlopCounterMode

    model = registry.get_model(entry.id, device="meta")
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(*make_inputs(entry.input_for(), batch=1, device="meta"))
    assert round(counter.get_total_flops() / 2e9, 3) == entry.published_gmacs


def test_document_cnns_have_their_analytic_parameter_counts() -> None:
    # seed 002 SimpleCNN: conv5 1→16, conv5 16→32, FC 32·4·4→120→84→10
    lenet = _conv(1, 16, 5) + _conv(16, 32, 5) + _fc(32 * 4 * 4, 120) + _fc(120, 84) + _fc(84, 10)
    # seed 001 CNNClassifier: conv3 3→16, conv3 16→32, FC 32·8·8→128→10
    cifar = _conv(3, 16, 3) + _conv(16, 32, 3) + _fc(32 * 8 * 8, 128) + _fc(128, 10)
    # rows of 28 values into an LSTM(hidden 128), then FC 128→10
    row_lstm = _lstm(28, 128) + _fc(128, 10)
    # ESPCN ×3 on Y: conv5 1→64, conv3 64→32, conv3 32→(1·3²)
    espcn = _conv(1, 64, 5) + _conv(64, 32, 3) + _conv(32, 9, 3)
    expected_counts = {"lenet5": lenet, "small_cnn_cifar": cifar, "row_lstm_classifier": row_lstm,
                       "espcn": espcn}
    for model_id, expected in expected_counts.items():
        assert _params(registry.get_model(model_id)) == expected, model_id
    assert (lenet, cifar, espcn) == (85_822, 268_650, 22_729)


def test_deeplabv3plus_matches_its_analytic_count() -> None:
    bn = 2  # weight and bias per channel
    trunk = 25_557_032 - _fc(2048, 1000)  # torchvision ResNet-50 without its classifier
    branches = _conv(2048, 256, 1, False) + 3 * _conv(2048, 256, 3, False) + _conv(2048, 256, 1, False)
    aspp = branches + 5 * 256 * bn + _conv(5 * 256, 256, 1, False) + 256 * bn  # + 1×1 projection
    decoder = (_conv(256, 48, 1, False) + 48 * bn + _conv(256 + 48, 256, 3, False) + 256 * bn
               + _conv(256, 256, 3, False) + 256 * bn + _conv(256, 21, 1))
    assert _params(registry.get_model("deeplabv3plus_resnet50")) == trunk + aspp + decoder


@pytest.mark.parametrize(("scale", "published"),
                         [((0.33, 0.25, 1024), 3_157_200), ((0.33, 0.50, 1024), 11_166_560)])
def test_yolo_style_matches_ultralytics_yolov8_parameter_counts(scale: tuple[float, float, int],
                                                                published: int) -> None:
    """Ultralytics' yolov8.yaml publishes 3,157,200 (n) and 11,166,560 (s) parameters for the same layout."""
    depth, width, max_channels = scale
    model = registry.get_model("yolo_compact", depth=depth, width=width, max_channels=max_channels)
    assert _params(model) == published


def test_small_models_output_shapes_on_cpu() -> None:
    assert _cpu_forward("lenet5").shape == (2, 10)
    assert _cpu_forward("small_cnn_cifar").shape == (2, 10)
    assert _cpu_forward("row_lstm_classifier").shape == (2, 10)
    assert _cpu_forward("mobilenet_v3_small", _image(3, 96, 96)).shape == (2, 1000)
    assert _cpu_forward("espcn", _image(1, 32, 32)).shape == (2, 1, 96, 96)


def test_row_lstm_reads_rows_as_time_steps() -> None:
    model = registry.get_model("row_lstm_classifier", device="cpu")
    seen: list[torch.Tensor] = []
    model.get_submodule("lstm").register_forward_hook(lambda _m, args, _out: seen.append(args[0]))
    image = torch.zeros(2, 1, 28, 28)
    image[:, 0, 5] = torch.arange(28.0)  # one distinctive row
    with torch.no_grad():
        model(image)
    [sequence] = seen
    assert sequence.shape == (2, 28, 28)  # [N, T = rows, F = pixels of a row]
    assert torch.equal(sequence[:, 5], torch.arange(28.0).expand(2, 28))
    assert sequence[:, :5].abs().sum() == 0 and sequence[:, 6:].abs().sum() == 0


def test_yolo_compact_runs_on_meta_and_cpu() -> None:
    entry = registry.get_model_entry("yolo_compact")
    assert not entry.data_dependent and entry.lightweight and "not an official" in entry.notes
    assert entry.input_for().tensors[0].shape == (3, 640, 640)
    meta_out = registry.get_model("yolo_compact")(*make_inputs(entry.input_for(), device="meta"))
    assert [tuple(o.shape) for o in meta_out] == [(1, 144, 80, 80), (1, 144, 40, 40), (1, 144, 20, 20)]
    model = registry.get_model("yolo_compact", device="cpu")
    assert isinstance(model, YOLOStyleDetector)
    with torch.no_grad():
        raw = model(*make_inputs(_image(3, 128, 128), batch=2, device="cpu"))
        decoded = model.decode(raw)
    assert [tuple(o.shape) for o in raw] == [(2, 144, 16, 16), (2, 144, 8, 8), (2, 144, 4, 4)]
    assert decoded.shape == (2, 84, 16 * 16 + 8 * 8 + 4 * 4)
    scores = decoded[:, 4:]
    assert bool(((scores >= 0) & (scores <= 1)).all()) and bool((decoded[:, 2:4] > 0).all())


def test_torchvision_detector_at_small_input_on_cpu() -> None:
    entry = registry.get_model_entry("ssdlite320_mobilenet_v3_large")
    detections = _cpu_forward(entry.id, entry.small_input[entry.tasks[0]])
    assert isinstance(detections, list) and len(detections) == 2
    for det in detections:
        k = det["boxes"].shape[0]
        assert det["boxes"].shape == (k, 4) and det["labels"].shape == (k,) and det["scores"].shape == (k,)


def test_deeplabv3plus_output_is_full_resolution() -> None:
    assert _cpu_forward("deeplabv3plus_resnet50", _image(3, 64, 96), batch=1).shape == (1, 21, 64, 96)


def test_every_detector_is_data_dependent_or_runs_on_meta() -> None:
    for entry in VISION:
        if "object-detection" not in entry.tasks:
            continue
        if entry.data_dependent:
            assert entry.small_input and entry.small_input["object-detection"].call == "image_list"
        else:
            model = registry.get_model(entry.id)
            assert model(*make_inputs(entry.input_for(), device="meta")) is not None


def test_metadata_is_honest() -> None:
    for model_id in ALL_MINE:
        entry = registry.get_model_entry(model_id)
        if entry.torchvision_weights is None:  # built by archsel: a figure only with what differs; no sizes
            assert all(f.url and f.config_note for f in entry.quality), model_id
            assert entry.published_gmacs is None and entry.published_params is None
            assert entry.notes, model_id
        else:
            assert len(entry.quality) == 1 and entry.quality[0].dataset
    assert registry.get_model_entry("row_lstm_classifier").family == "rnn"
    for model_id in ("mobilenet_v3_small", "ssdlite320_mobilenet_v3_large", "lraspp_mobilenet_v3_large",
                     "espcn", "yolo_compact"):
        assert registry.get_model_entry(model_id).lightweight, model_id
    for model_id in ("resnet50", "vit_b_16", "fasterrcnn_resnet50_fpn", "deeplabv3plus_resnet50"):
        assert not registry.get_model_entry(model_id).lightweight, model_id
