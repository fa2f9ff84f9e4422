"""TimeSformer with divided space-time attention (Bertasius et al., ICML 2021), written in torch.nn.

Each block: temporal attention (each patch position across frames) → temporal_fc → spatial attention
(the patches of one frame plus the class token) → MLP, pre-norm with residuals, as in the official
`divided_space_time` block.
"""

from __future__ import annotations

import torch
from torch import nn

from archsel.zoo.builders.backbones import per_frame


def _self_attend(attn: nn.MultiheadAttention, x: torch.Tensor) -> torch.Tensor:
    return attn(x, x, x, need_weights=False)[0]


class DividedSpaceTimeBlock(nn.Module):
    """One TimeSformer block on a class token [N, D] and patch tokens [N, T, P, D]."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float = 4.0) -> None:
        super().__init__()
        hidden = int(dim * mlp_ratio)
        self.temporal_norm = nn.LayerNorm(dim)
        self.temporal_attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.temporal_fc = nn.Linear(dim, dim)
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, cls: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n, t, p, d = x.shape
        # temporal attention: sequences of length T, one per (clip, patch position); class token excluded
        xt = x.transpose(1, 2).reshape(n * p, t, d)
        res = self.temporal_fc(_self_attend(self.temporal_attn, self.temporal_norm(xt)))
        x = x + res.reshape(n, p, t, d).transpose(1, 2)
        # spatial attention: sequences of length 1 + P, one per frame; the class token is shared by all frames
        xs = torch.cat([cls[:, None, None, :].expand(n, t, 1, d), x], dim=2).reshape(n * t, p + 1, d)
        res = _self_attend(self.attn, self.norm1(xs)).reshape(n, t, p + 1, d)
        cls = cls + res[:, :, 0].mean(dim=1)
        x = x + res[:, :, 1:]
        # MLP on all tokens
        tokens = torch.cat([cls[:, None], x.reshape(n, t * p, d)], dim=1)
        tokens = tokens + self.mlp(self.norm2(tokens))
        return tokens[:, 0], tokens[:, 1:].reshape(n, t, p, d)


class TimeSformer(nn.Module):
    """Patch embedding per frame (+ spatial and temporal position embeddings) → blocks → class-token head."""

    def __init__(self, img_size: int = 224, num_frames: int = 8, patch: int = 16, dim: int = 384,
                 depth: int = 12, heads: int = 6, mlp_ratio: float = 4.0, num_classes: int = 400) -> None:
        super().__init__()
        if img_size % patch:
            raise ValueError(f"img_size {img_size} is not a multiple of the patch size {patch}")
        patches = (img_size // patch) ** 2
        self.patch_embed = nn.Conv2d(3, dim, kernel_size=patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, patches + 1, dim))
        self.time_embed = nn.Parameter(torch.zeros(1, num_frames, 1, dim))
        self.blocks = nn.ModuleList(DividedSpaceTimeBlock(dim, heads, mlp_ratio) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)
        for param in (self.cls_token, self.pos_embed, self.time_embed):
            nn.init.trunc_normal_(param, std=0.02)

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        fmap = per_frame(self.patch_embed, clip)  # [N, T, D, h', w']
        n, d = fmap.shape[0], fmap.shape[2]
        x = fmap.flatten(3).transpose(2, 3) + self.pos_embed[:, None, 1:]  # [N, T, P, D]
        x = x + self.time_embed
        cls = (self.cls_token + self.pos_embed[:, 0]).expand(n, d)
        for block in self.blocks:
            cls, x = block(cls, x)
        return self.head(self.norm(cls))  # LayerNorm is per token: norming only the class token is equivalent


def timesformer(img_size: int = 224, num_frames: int = 8, patch: int = 16, dim: int = 384, depth: int = 12,
                heads: int = 6, num_classes: int = 400) -> TimeSformer:
    """TimeSformer (divided space-time attention) of the given size; defaults: depth 12, dim 384, 6 heads."""
    return TimeSformer(img_size, num_frames, patch, dim, depth, heads, num_classes=num_classes)
