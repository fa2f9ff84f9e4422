"""Video, captioning and multimodal zoo entries: published figures, parameter counts from their parts,
output shapes on CPU with random weights at tiny inputs, and honest metadata."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch

from archsel.zoo import registry

TV_VIDEO = ("r3d_18", "mc3_18", "r2plus1d_18", "s3d", "mvit_v2_s", "swin3d_t")
CUSTOM = ("cnn_lstm_resnet18", "cnn_gru_resnet18", "cnn_lstm_mobilenet_v3", "cnn_gru_mobilenet_v3",
          "cnn_lstm_efficientnet_b0", "c3d_lstm", "timesformer_small", "convlstm_classifier",
          "video_content_stack", "cnn_lstm_captioner", "multimodal_xattn", "parallel_cnn_rnn_fusion")


# --- independent parameter arithmetic -------------------------------------------------------------------

def linear(i: int, o: int) -> int:
    return i * o + o


def lstm(i: int, h: int) -> int:
    """One unidirectional nn.LSTM layer: 4 gates × (W_ih, W_hh, b_ih, b_hh)."""
    return 4 * (i * h + h * h + 2 * h)


def gru(i: int, h: int) -> int:
    return 3 * (i * h + h * h + 2 * h)


def published(weights: str) -> int:
    from torchvision.models import get_weight

    return int(get_weight(weights).meta["num_params"])


def trunks() -> dict[str, tuple[int, int]]:
    """Trunk name -> (feature width, params): published total minus the classifier's Linear layers."""
    return {
        "resnet18": (512, published("ResNet18_Weights.IMAGENET1K_V1") - linear(512, 1000)),
        "mobilenet_v3_small": (576, published("MobileNet_V3_Small_Weights.IMAGENET1K_V1")
                               - linear(576, 1024) - linear(1024, 1000)),
        "efficientnet_b0": (1280, published("EfficientNet_B0_Weights.IMAGENET1K_V1") - linear(1280, 1000)),
        "r3d_18": (512, published("R3D_18_Weights.KINETICS400_V1") - linear(512, 400)),
    }


def params(model_id: str, **overrides: Any) -> int:
    return sum(p.numel() for p in registry.get_model(model_id, **overrides).parameters())


# --- torchvision entries ---------------------------------------------------------------------------------

@pytest.mark.parametrize("model_id", TV_VIDEO)
def test_torchvision_video_figures_match_weight_meta(model_id: str) -> None:
    from torchvision.models import get_weight

    entry = registry.get_model_entry(model_id)
    assert entry.torchvision_weights and entry.torchvision_weights.endswith("KINETICS400_V1")
    weights = get_weight(entry.torchvision_weights)
    assert entry.published_gmacs == weights.meta["_ops"]
    assert entry.published_params == weights.meta["num_params"]
    (quality,) = entry.quality
    assert quality.dataset == "Kinetics-400"
    assert quality.value == weights.meta["_metrics"]["Kinetics-400"]["acc@1"]
    crop = tuple(weights.transforms().crop_size)
    (clip,) = entry.input_for("video-understanding").tensors
    assert clip.axes == ("C", "T", "H", "W")
    assert clip.shape == (3, 16, *crop)


# --- hybrids: parameter count = sum of the parts ------------------------------------------------------------

@pytest.mark.parametrize(("model_id", "trunk", "rnn", "hidden"), [
    ("cnn_lstm_resnet18", "resnet18", lstm, 512),
    ("cnn_gru_resnet18", "resnet18", gru, 512),
    ("cnn_lstm_mobilenet_v3", "mobilenet_v3_small", lstm, 256),
    ("cnn_gru_mobilenet_v3", "mobilenet_v3_small", gru, 256),
    ("cnn_lstm_efficientnet_b0", "efficientnet_b0", lstm, 512),
    ("c3d_lstm", "r3d_18", lstm, 512),
])
def test_cnn_rnn_hybrid_params_are_sum_of_parts(model_id: str, trunk: str, rnn: Callable[[int, int], int],
                                                 hidden: int) -> None:
    width, trunk_params = trunks()[trunk]
    assert params(model_id) == trunk_params + rnn(width, hidden) + linear(hidden, 400)


def test_timesformer_params_match_formula() -> None:
    d, depth, patches, frames = 384, 12, (224 // 16) ** 2, 8
    mha = 4 * d * d + 4 * d  # in_proj (q, k, v) + out_proj, with biases
    block = 3 * 2 * d + 2 * mha + linear(d, d) + linear(d, 4 * d) + linear(4 * d, d)
    embed = (3 * 16 * 16 * d + d) + d + (patches + 1) * d + frames * d
    assert params("timesformer_small") == embed + depth * block + 2 * d + linear(d, 400)


def test_convlstm_params_match_formula() -> None:
    stem = 3 * 32 * 9 + 32 * 64 * 9 + 64 * 64 * 9 + 2 * (32 + 64 + 64)  # bias-free convs + BN affine
    cell = (64 + 64) * 4 * 64 * 9 + 4 * 64  # one conv over [x, h] producing the 4 gates
    assert params("convlstm_classifier") == stem + 2 * cell + linear(64, 400)


def test_captioner_params_match_formula() -> None:
    width, trunk_params = trunks()["resnet18"]
    expected = trunk_params + linear(width, 512) + 10000 * 512 + lstm(512, 512) + linear(512, 10000)
    assert params("cnn_lstm_captioner") == expected


# --- output shapes on CPU, random weights, tiny inputs ---------------------------------------------------

def cpu_model(model_id: str, **overrides: Any) -> torch.nn.Module:
    torch.manual_seed(0)
    return registry.get_model(model_id, device="cpu", **overrides)


@pytest.mark.parametrize("model_id", ["cnn_lstm_mobilenet_v3", "c3d_lstm", "convlstm_classifier"])
def test_video_hybrid_output_shape(model_id: str) -> None:
    with torch.no_grad():
        out = cpu_model(model_id)(torch.randn(1, 3, 4, 64, 64))
    assert out.shape == (1, 400) and torch.isfinite(out).all()


def test_timesformer_output_shape_tiny_frames() -> None:
    model = cpu_model("timesformer_small", img_size=32, num_frames=4)
    with torch.no_grad():
        out = model(torch.randn(2, 3, 4, 32, 32))
    assert out.shape == (2, 400) and torch.isfinite(out).all()


def test_captioner_shape_and_teacher_forcing_is_causal() -> None:
    model = cpu_model("cnn_lstm_captioner")
    image, tokens = torch.randn(1, 3, 64, 64), torch.randint(0, 10000, (1, 20))
    changed = tokens.clone()
    changed[:, 10:] = (changed[:, 10:] + 1) % 10000
    with torch.no_grad():
        out, out_changed = model(image, tokens), model(image, changed)
    assert out.shape == (1, 20, 10000)
    # the logits at step t depend only on the image and tokens 0..t
    torch.testing.assert_close(out[:, :10], out_changed[:, :10])
    assert not torch.allclose(out[:, 10:], out_changed[:, 10:])


def test_multimodal_xattn_shape_and_every_modality_matters() -> None:
    model = cpu_model("multimodal_xattn")
    inputs = [torch.randn(1, 3, 64, 64), torch.randint(0, 10000, (1, 8)), torch.randn(1, 1, 32, 32)]
    with torch.no_grad():
        out = model(*inputs)
        assert out.shape == (1, 10)
        for k in range(3):
            other = list(inputs)
            other[k] = torch.randint(0, 10000, (1, 8)) if k == 1 else torch.randn_like(inputs[k])
            assert not torch.allclose(model(*other), out), f"input {k} does not reach the output"


# --- metadata honesty ----------------------------------------------------------------------------------

def test_custom_entries_quote_figures_only_with_what_differs() -> None:
    for model_id in CUSTOM:
        entry = registry.get_model_entry(model_id)
        assert all(f.url and f.config_note for f in entry.quality), model_id
        assert entry.published_gmacs is None and entry.published_params is None, model_id
        assert entry.notes and entry.references, model_id


def test_lightweight_and_streaming_flags() -> None:
    light = {e.id for e in map(registry.get_model_entry, CUSTOM + TV_VIDEO) if e.lightweight}
    assert light == {"cnn_lstm_mobilenet_v3", "cnn_gru_mobilenet_v3", "parallel_cnn_rnn_fusion"}
    streaming = {e.id for e in map(registry.get_model_entry, CUSTOM + TV_VIDEO) if e.streaming}
    recurrent = {"cnn_lstm_resnet18", "cnn_gru_resnet18", "cnn_lstm_mobilenet_v3", "cnn_gru_mobilenet_v3",
                 "cnn_lstm_efficientnet_b0", "c3d_lstm", "convlstm_classifier"}
    assert streaming == recurrent


def test_hybrid_video_defaults_compare_with_kinetics_models() -> None:
    for model_id in ("cnn_lstm_resnet18", "cnn_gru_mobilenet_v3", "convlstm_classifier",
                     "video_content_stack"):
        (clip,) = registry.get_model_entry(model_id).input_for("video-understanding").tensors
        assert clip.shape == (3, 16, 224, 224), model_id
    assert "multimodal" in registry.get_model_entry("video_content_stack").tasks
