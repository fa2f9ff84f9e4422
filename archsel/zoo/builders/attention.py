"""Small attention pieces shared by the sequence builders: positional encoding, pooling, Luong attention."""

from __future__ import annotations

import math

import torch
from torch import nn


class SinusoidalPositionalEncoding(nn.Module):
    """Adds the fixed sine/cosine position code of Vaswani et al. (2017) to [N, T, D] inputs."""

    pe: torch.Tensor

    def __init__(self, dim: int, max_len: int = 5000) -> None:
        super().__init__()
        position = torch.arange(max_len, dtype=torch.float32).unsqueeze(1)
        div = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
        pe = torch.zeros(max_len, dim)
        pe[:, 0::2] = torch.sin(position * div)
        pe[:, 1::2] = torch.cos(position * div[: dim // 2])
        self.register_buffer("pe", pe, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.pe[: x.shape[1]].unsqueeze(0)


class AttentionPooling(nn.Module):
    """Additive (Bahdanau-style) attention pooling: softmax_t(vᵀ tanh(W h_t)) weighted sum over time."""

    def __init__(self, dim: int, attn_dim: int | None = None) -> None:
        super().__init__()
        self.proj = nn.Linear(dim, attn_dim or dim)
        self.score = nn.Linear(attn_dim or dim, 1, bias=False)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """[N, T, D] → [N, D]."""
        weights = torch.softmax(self.score(torch.tanh(self.proj(h))), dim=1)  # [N, T, 1]
        return (weights * h).sum(dim=1)


class LuongAttention(nn.Module):
    """Luong et al. (2015) global attention, "general" score, for all decoder steps at once.

    Scores qᵀ W_a k for every (query, key) pair, context = softmax · keys, and returns the attentional
    state h̃ = tanh(W_c [c; q]) for each query. Queries [N, U, Dq], keys [N, T, Dk] → [N, U, Dq].
    """

    def __init__(self, query_dim: int, key_dim: int) -> None:
        super().__init__()
        self.w_a = nn.Linear(query_dim, key_dim, bias=False)
        self.w_c = nn.Linear(query_dim + key_dim, query_dim, bias=False)

    def forward(self, queries: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        scores = torch.bmm(self.w_a(queries), keys.transpose(1, 2))  # [N, U, T]
        context = torch.bmm(torch.softmax(scores, dim=-1), keys)  # [N, U, Dk]
        return torch.tanh(self.w_c(torch.cat([context, queries], dim=-1)))
