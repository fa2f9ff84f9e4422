"""Fusion hybrids from the selection documents: image captioning (CNN → LSTM), the video content
understanding stack (CNN → GRU → cross-attention → Transformer decoder), a CNN + RNN + Transformer
multimodal classifier, and a parallel CNN branch + RNN branch with a fusion decision layer.
"""

from __future__ import annotations

import torch
from torch import nn

from archsel.zoo.builders.backbones import image_trunk, per_frame
from archsel.zoo.builders.frame_rnn import RNN_TYPES, RNNKind


class ShowAndTell(nn.Module):
    """CNN image embedding fed as the LSTM's first input, then the teacher-forced caption tokens.

    forward(image [N,3,H,W], tokens [N,L]) -> logits [N, L, vocab]; position t predicts token t+1.
    """

    def __init__(self, trunk: str = "resnet18", embed: int = 512, hidden: int = 512, vocab: int = 10000,
                 layers: int = 1) -> None:
        super().__init__()
        self.encoder, width = image_trunk(trunk)
        self.project = nn.Linear(width, embed)
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, image: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        img = self.project(self.encoder(image))[:, None]
        out, _ = self.lstm(torch.cat([img, self.embed(tokens)], dim=1))
        return self.out(out[:, 1:])


def cnn_lstm_captioner(trunk: str = "resnet18", embed: int = 512, hidden: int = 512, vocab: int = 10000,
                       layers: int = 1) -> ShowAndTell:
    """Show-and-Tell captioner: pooled torchvision trunk → linear image embedding → LSTM → vocabulary."""
    return ShowAndTell(trunk, embed, hidden, vocab, layers)


class VideoContentStack(nn.Module):
    """Per-frame CNN features → unidirectional GRU/LSTM → learned queries cross-attend to the temporal
    features → Transformer decoder (queries over the same memory) → mean of queries → classifier."""

    def __init__(self, trunk: str = "efficientnet_b0", rnn: RNNKind = "gru", hidden: int = 512,
                 queries: int = 8, heads: int = 8, decoder_layers: int = 2, num_classes: int = 400) -> None:
        super().__init__()
        self.trunk, width = image_trunk(trunk)
        self.temporal = RNN_TYPES[rnn](width, hidden, batch_first=True)
        self.queries = nn.Parameter(torch.randn(1, queries, hidden) * 0.02)
        self.cross_attn = nn.MultiheadAttention(hidden, heads, batch_first=True)
        self.cross_norm = nn.LayerNorm(hidden)
        layer = nn.TransformerDecoderLayer(hidden, heads, 4 * hidden, batch_first=True, norm_first=True)
        self.decoder = nn.TransformerDecoder(layer, decoder_layers, norm=nn.LayerNorm(hidden))
        self.head = nn.Linear(hidden, num_classes)

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        memory, _ = self.temporal(per_frame(self.trunk, clip))  # [N, T, hidden]
        # repeat (a copy), not expand: a no-grad view of a parameter fed to a module trips ModuleTracker
        q = self.queries.repeat(memory.shape[0], 1, 1)
        q = self.cross_norm(q + self.cross_attn(q, memory, memory, need_weights=False)[0])
        return self.head(self.decoder(q, memory).mean(dim=1))


def video_content_stack(trunk: str = "efficientnet_b0", rnn: RNNKind = "gru", hidden: int = 512,
                        queries: int = 8, heads: int = 8, decoder_layers: int = 2,
                        num_classes: int = 400) -> VideoContentStack:
    """Seed 000's video content understanding stack; defaults: EfficientNet-B0, GRU 512, 8 queries."""
    return VideoContentStack(trunk, rnn, hidden, queries, heads, decoder_layers, num_classes)


def _conv_blocks(widths: tuple[int, ...], in_channels: int = 1) -> nn.Sequential:
    """conv3×3 → BN → ReLU → max-pool 2 per width (a VGG-style spectrogram CNN)."""
    layers: list[nn.Module] = []
    for cin, cout in zip((in_channels, *widths[:-1]), widths, strict=True):
        conv = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        layers += [conv, nn.BatchNorm2d(cout), nn.ReLU(inplace=True), nn.MaxPool2d(2)]
    return nn.Sequential(*layers)


class MultimodalXAttn(nn.Module):
    """Image CNN (7×7 region tokens) + bidirectional GRU text encoder + spectrogram CNN (time-frequency
    tokens); text tokens cross-attend to image and audio tokens, then a Transformer encoder runs over
    [CLS, text, image, audio] (with modality embeddings) and a linear head reads the CLS token."""

    def __init__(self, trunk: str = "resnet18", vocab: int = 10000, dim: int = 256, heads: int = 4,
                 layers: int = 2, audio_widths: tuple[int, ...] = (32, 64, 128),
                 num_classes: int = 10) -> None:
        super().__init__()
        self.image_encoder, width = image_trunk(trunk, pooled=False)
        self.image_proj = nn.Linear(width, dim)
        self.embed = nn.Embedding(vocab, dim)
        self.text_rnn = nn.GRU(dim, dim // 2, batch_first=True, bidirectional=True)
        self.audio_encoder = _conv_blocks(tuple(audio_widths))
        self.audio_proj = nn.Linear(audio_widths[-1], dim)
        self.text_to_image = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.text_to_audio = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.cross_norm = nn.LayerNorm(dim)
        self.modality = nn.Parameter(torch.randn(3, dim) * 0.02)  # image, text, audio
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        layer = nn.TransformerEncoderLayer(dim, heads, 4 * dim, batch_first=True, norm_first=True)
        self.fusion = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(dim), enable_nested_tensor=False)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, image: torch.Tensor, tokens: torch.Tensor, spectrogram: torch.Tensor) -> torch.Tensor:
        img = self.image_proj(self.image_encoder(image).flatten(2).transpose(1, 2)) + self.modality[0]
        txt, _ = self.text_rnn(self.embed(tokens))
        aud = self.audio_proj(self.audio_encoder(spectrogram).flatten(2).transpose(1, 2)) + self.modality[2]
        attended = (self.text_to_image(txt, img, img, need_weights=False)[0]
                    + self.text_to_audio(txt, aud, aud, need_weights=False)[0])
        txt = self.cross_norm(txt + attended) + self.modality[1]
        seq = torch.cat([self.cls_token.expand(txt.shape[0], -1, -1), txt, img, aud], dim=1)
        return self.head(self.fusion(seq)[:, 0])


def multimodal_xattn(trunk: str = "resnet18", vocab: int = 10000, dim: int = 256, heads: int = 4,
                     layers: int = 2, audio_widths: tuple[int, ...] = (32, 64, 128),
                     num_classes: int = 10) -> MultimodalXAttn:
    """CNN + RNN + Transformer multimodal classifier (image, tokens, spectrogram)."""
    return MultimodalXAttn(trunk, vocab, dim, heads, layers, tuple(audio_widths), num_classes)


class ParallelCNNRNN(nn.Module):
    """CNN branch on an image ‖ LSTM branch on a sensor series → concatenation → fusion MLP decision layer."""

    def __init__(self, trunk: str = "mobilenet_v3_small", sensors: int = 8, hidden: int = 64, layers: int = 2,
                 fusion: int = 128, num_classes: int = 2) -> None:
        super().__init__()
        self.cnn, width = image_trunk(trunk)
        self.rnn = nn.LSTM(sensors, hidden, num_layers=layers, batch_first=True)
        self.fuse = nn.Sequential(nn.Linear(width + hidden, fusion), nn.ReLU(inplace=True), nn.Dropout(0.2),
                                  nn.Linear(fusion, num_classes))

    def forward(self, image: torch.Tensor, series: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(series)
        return self.fuse(torch.cat([self.cnn(image), out[:, -1]], dim=1))


def parallel_cnn_rnn_fusion(trunk: str = "mobilenet_v3_small", sensors: int = 8, hidden: int = 64,
                            layers: int = 2, fusion: int = 128, num_classes: int = 2) -> ParallelCNNRNN:
    """Parallel CNN + LSTM branches fused by an MLP; defaults: MobileNetV3-Small, 2×LSTM(64), 8 sensors."""
    return ParallelCNNRNN(trunk, sensors, hidden, layers, fusion, num_classes)
