"""Multivariate forecasters: input [N, T, F] look-back window, output [N, horizon, F]."""

from __future__ import annotations

import torch
from torch import nn

from archsel.zoo.builders.attention import AttentionPooling, SinusoidalPositionalEncoding

_RNN = {"gru": nn.GRU, "lstm": nn.LSTM}


class _Head(nn.Module):
    """Linear map from a summary vector to the forecast [N, horizon, F]."""

    def __init__(self, dim: int, horizon: int, n_vars: int) -> None:
        super().__init__()
        self.horizon, self.n_vars = horizon, n_vars
        self.fc = nn.Linear(dim, horizon * n_vars)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.fc(h).view(h.shape[0], self.horizon, self.n_vars)


class CausalConv1d(nn.Conv1d):
    """Conv1d padded on the left only, so output t sees inputs ≤ t. Takes and returns [N, C, T]."""

    def __init__(self, c_in: int, c_out: int, kernel: int, dilation: int = 1) -> None:
        super().__init__(c_in, c_out, kernel, dilation=dilation)
        self.left = (kernel - 1) * dilation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(nn.functional.pad(x, (self.left, 0)))


class RecurrentForecaster(nn.Module):
    """[optional causal Conv1d features] → LSTM/GRU → last state or attention pooling → linear head."""

    def __init__(self, cell: str, n_vars: int, horizon: int, hidden: int, layers: int, conv_channels: int = 0,
                 attention: bool = False) -> None:
        super().__init__()
        self.features: nn.Module = nn.Identity()
        rnn_in = n_vars
        if conv_channels:
            self.features = nn.Sequential(CausalConv1d(n_vars, conv_channels, 3), nn.ReLU(),
                                          CausalConv1d(conv_channels, conv_channels, 3), nn.ReLU())
            rnn_in = conv_channels
        self.conv = bool(conv_channels)
        self.rnn = _RNN[cell](rnn_in, hidden, num_layers=layers, batch_first=True)
        self.pool = AttentionPooling(hidden) if attention else None
        self.head = _Head(hidden, horizon, n_vars)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.conv:
            x = self.features(x.transpose(1, 2)).transpose(1, 2)
        out, _ = self.rnn(x)
        return self.head(self.pool(out) if self.pool is not None else out[:, -1])


def lstm_forecaster(n_vars: int = 7, horizon: int = 24, hidden: int = 128, layers: int = 2) -> nn.Module:
    """2-layer LSTM 128, last hidden state → linear forecast."""
    return RecurrentForecaster("lstm", n_vars, horizon, hidden, layers)


def gru_forecaster(n_vars: int = 7, horizon: int = 24, hidden: int = 128, layers: int = 2) -> nn.Module:
    """2-layer GRU 128, last hidden state → linear forecast."""
    return RecurrentForecaster("gru", n_vars, horizon, hidden, layers)


def cnn_lstm_forecaster(n_vars: int = 7, horizon: int = 24, conv_channels: int = 64, hidden: int = 128,
                        layers: int = 2) -> nn.Module:
    """Two causal Conv1d(k=3, 64) feature layers → 2-layer LSTM 128 → linear forecast."""
    return RecurrentForecaster("lstm", n_vars, horizon, hidden, layers, conv_channels=conv_channels)


def lstm_attention_forecaster(n_vars: int = 7, horizon: int = 24, hidden: int = 128,
                              layers: int = 2) -> nn.Module:
    """2-layer LSTM 128 → additive attention pooling over the window → linear forecast."""
    return RecurrentForecaster("lstm", n_vars, horizon, hidden, layers, attention=True)


class TemporalBlock(nn.Module):
    """Bai et al. (2018) residual block: 2 × (causal dilated conv → ReLU → dropout) + 1×1 skip if needed."""

    def __init__(self, c_in: int, c_out: int, kernel: int, dilation: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.net = nn.Sequential(
            CausalConv1d(c_in, c_out, kernel, dilation), nn.ReLU(), nn.Dropout(dropout),
            CausalConv1d(c_out, c_out, kernel, dilation), nn.ReLU(), nn.Dropout(dropout),
        )
        self.skip = nn.Conv1d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.net(x) + self.skip(x))


class TCNForecaster(nn.Module):
    """Stack of TemporalBlocks with dilation 2^i, last time step → linear forecast."""

    def __init__(self, n_vars: int, horizon: int, channels: int, levels: int, kernel: int) -> None:
        super().__init__()
        self.blocks = nn.Sequential(*[TemporalBlock(n_vars if i == 0 else channels, channels, kernel, 2**i)
                                      for i in range(levels)])
        self.head = _Head(channels, horizon, n_vars)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Per-step features [N, T, C]; step t depends on inputs up to t only."""
        return self.blocks(x.transpose(1, 2)).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.forward_features(x)[:, -1])


def tcn_forecaster(n_vars: int = 7, horizon: int = 24, channels: int = 64, levels: int = 6,
                   kernel: int = 3) -> nn.Module:
    """TCN: 6 levels × 64 channels, kernel 3, dilations 1..32 (receptive field 253 steps)."""
    return TCNForecaster(n_vars, horizon, channels, levels, kernel)


class TransformerForecaster(nn.Module):
    """Linear embedding + sinusoidal positions → nn.TransformerEncoder → mean over time → linear forecast."""

    def __init__(self, n_vars: int, horizon: int, d: int, heads: int, layers: int, ff: int) -> None:
        super().__init__()
        self.embed = nn.Linear(n_vars, d)
        self.pos = SinusoidalPositionalEncoding(d)
        layer = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = _Head(d, horizon, n_vars)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(self.pos(self.embed(x))).mean(dim=1))


def transformer_forecaster(n_vars: int = 7, horizon: int = 24, d: int = 128, heads: int = 8, layers: int = 3,
                           ff: int = 256) -> nn.Module:
    """3-layer Transformer encoder, d=128, 8 heads, ff 256."""
    return TransformerForecaster(n_vars, horizon, d, heads, layers, ff)
