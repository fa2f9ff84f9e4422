"""Mamba (Gu & Dao 2023) in plain torch: a reference selective scan, not the fused CUDA kernel.

Each block: RMSNorm → in-projection to (x, z) → causal depthwise Conv1d → SiLU → input-dependent
Δ, B, C → selective scan h_t = exp(Δ_t A) h_{t-1} + Δ_t B_t x_t, y_t = C_t h_t + D x_t → gate with
SiLU(z) → out-projection → residual. The scan is a Python loop over T (shape-driven, so it runs on meta).
"""

from __future__ import annotations

import math

import torch
from torch import nn


class RMSNorm(nn.Module):
    """Root-mean-square layer norm with a learned scale."""

    def __init__(self, d: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def selective_scan(u: torch.Tensor, delta: torch.Tensor, a: torch.Tensor, b: torch.Tensor, c: torch.Tensor,
                   d: torch.Tensor) -> torch.Tensor:
    """Sequential selective scan. u, delta [N, T, E]; a [E, S]; b, c [N, T, S]; d [E] → y [N, T, E]."""
    n, t, e = u.shape
    decay = torch.exp(delta.unsqueeze(-1) * a)  # [N, T, E, S]
    drive = (delta * u).unsqueeze(-1) * b.unsqueeze(2)  # [N, T, E, S]
    h = u.new_zeros(n, e, a.shape[1])
    ys = []
    for step in range(t):
        h = decay[:, step] * h + drive[:, step]
        ys.append(torch.bmm(h, c[:, step].unsqueeze(-1)).squeeze(-1))  # C_t h_t: [N, E]
    return torch.stack(ys, dim=1) + u * d


class MambaBlock(nn.Module):
    """One residual Mamba block (pre-RMSNorm)."""

    def __init__(self, d_model: int, d_state: int = 16, d_conv: int = 4, expand: int = 2) -> None:
        super().__init__()
        inner = expand * d_model
        self.dt_rank = math.ceil(d_model / 16)
        self.d_state = d_state
        self.norm = RMSNorm(d_model)
        self.in_proj = nn.Linear(d_model, 2 * inner, bias=False)
        self.conv = nn.Conv1d(inner, inner, d_conv, groups=inner, padding=d_conv - 1)
        self.x_proj = nn.Linear(inner, self.dt_rank + 2 * d_state, bias=False)
        self.dt_proj = nn.Linear(self.dt_rank, inner)
        # S4D-real initialisation: A = -[1..S] for every channel, stored as log.
        a = torch.arange(1, d_state + 1, dtype=torch.float32).repeat(inner, 1)
        self.a_log = nn.Parameter(torch.log(a))
        self.d = nn.Parameter(torch.ones(inner))
        self.out_proj = nn.Linear(inner, d_model, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[1]
        u, z = self.in_proj(self.norm(x)).chunk(2, dim=-1)
        u = nn.functional.silu(self.conv(u.transpose(1, 2))[..., :t].transpose(1, 2))  # causal: drop the tail
        dt, b, c = self.x_proj(u).split([self.dt_rank, self.d_state, self.d_state], dim=-1)
        delta = nn.functional.softplus(self.dt_proj(dt))
        y = selective_scan(u, delta, -torch.exp(self.a_log), b, c, self.d)
        return x + self.out_proj(y * nn.functional.silu(z))


class MambaForecaster(nn.Module):
    """Linear embedding → Mamba blocks → RMSNorm → last step → Linear to horizon × variables."""

    def __init__(self, n_vars: int, horizon: int, d_model: int, layers: int, d_state: int) -> None:
        super().__init__()
        self.n_vars, self.horizon = n_vars, horizon
        self.embed = nn.Linear(n_vars, d_model)
        self.blocks = nn.ModuleList([MambaBlock(d_model, d_state) for _ in range(layers)])
        self.norm = RMSNorm(d_model)
        self.head = nn.Linear(d_model, horizon * n_vars)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Per-step features [N, T, d_model]; step t depends on inputs up to t only."""
        h = self.embed(x)
        for block in self.blocks:
            h = block(h)
        return self.norm(h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.head(self.forward_features(x)[:, -1])
        return out.view(x.shape[0], self.horizon, self.n_vars)


def mamba_forecaster(n_vars: int = 7, horizon: int = 24, d_model: int = 128, layers: int = 4,
                     d_state: int = 16) -> nn.Module:
    """4 Mamba blocks, d_model 128, d_state 16, conv 4, expand 2 (Δ rank ⌈d/16⌉ = 8)."""
    return MambaForecaster(n_vars, horizon, d_model, layers, d_state)
