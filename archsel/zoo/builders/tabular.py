"""Recommendation / tabular models: Wide & Deep (Cheng et al. 2016) and a TabNet (Arik & Pfister 2019)."""

from __future__ import annotations

import torch
from torch import nn


class WideAndDeep(nn.Module):
    """Wide: linear over hashed sparse ids and hashed pairwise crosses. Deep: MLP over embeddings + dense.

    Each of the `fields` sparse ids lies in [0, buckets) (already hashed); field f's id is offset by
    f·buckets into one shared table. Pair crosses (i < j) are hashed as (a·P + b) mod cross_buckets.
    Output: one CTR logit per example.
    """

    offsets: torch.Tensor
    pair_a: torch.Tensor
    pair_b: torch.Tensor

    def __init__(self, fields: int, dense: int, buckets: int, embed: int, hidden: tuple[int, ...],
                 cross_buckets: int) -> None:
        super().__init__()
        self.cross_buckets = cross_buckets
        self.register_buffer("offsets", torch.arange(fields) * buckets, persistent=False)
        pairs = torch.triu_indices(fields, fields, offset=1)
        self.register_buffer("pair_a", pairs[0], persistent=False)
        self.register_buffer("pair_b", pairs[1], persistent=False)
        self.wide_ids = nn.Embedding(fields * buckets, 1)
        self.wide_cross = nn.Embedding(cross_buckets, 1)
        self.wide_dense = nn.Linear(dense, 1)
        self.embedding = nn.Embedding(fields * buckets, embed)
        layers: list[nn.Module] = []
        width = fields * embed + dense
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        self.deep = nn.Sequential(*layers, nn.Linear(width, 1))

    def forward(self, sparse: torch.Tensor, dense: torch.Tensor) -> torch.Tensor:
        ids = sparse + self.offsets  # [N, fields] global ids
        crossed = (ids[:, self.pair_a] * 1_000_003 + ids[:, self.pair_b]) % self.cross_buckets
        wide = self.wide_ids(ids).sum(dim=(1, 2)) + self.wide_cross(crossed).sum(dim=(1, 2))
        wide = wide + self.wide_dense(dense).squeeze(-1)
        deep = self.deep(torch.cat([self.embedding(ids).flatten(1), dense], dim=1)).squeeze(-1)
        return wide + deep


def wide_and_deep(fields: int = 26, dense: int = 13, buckets: int = 100_000, embed: int = 16,
                  hidden: tuple[int, ...] = (1024, 512, 256), cross_buckets: int = 1_000_000) -> nn.Module:
    """Criteo layout: 26 sparse fields hashed to 100k ids each, 13 dense; embeddings 16; MLP 1024-512-256."""
    return WideAndDeep(fields, dense, buckets, embed, tuple(hidden), cross_buckets)


def sparsemax(z: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Sparsemax (Martins & Astudillo 2016) with tensor ops only (sort, cumsum), so it runs on meta."""
    z_sorted, _ = torch.sort(z, dim=dim, descending=True)
    k = torch.arange(1, z.shape[dim] + 1, device=z.device, dtype=z.dtype)
    view = [1] * z.dim()
    view[dim] = -1
    k = k.view(view)
    cumsum = z_sorted.cumsum(dim) - 1
    support = (k * z_sorted > cumsum).to(z.dtype)
    k_z = support.sum(dim=dim, keepdim=True)
    tau = (cumsum * support).gather(dim, (k_z - 1).long()) / k_z  # cumsum at the last support index
    return torch.clamp(z - tau, min=0)


class _GLULayer(nn.Module):
    def __init__(self, c_in: int, c_out: int, fc: nn.Linear | None = None) -> None:
        super().__init__()
        self.fc = fc if fc is not None else nn.Linear(c_in, 2 * c_out, bias=False)
        self.bn = nn.BatchNorm1d(2 * c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.glu(self.bn(self.fc(x)), dim=-1)


class FeatureTransformer(nn.Module):
    """Shared GLU layers then step-specific GLU layers, residual-scaled by √0.5 after the first."""

    def __init__(self, c_in: int, c_out: int, shared: list[nn.Linear], n_independent: int) -> None:
        super().__init__()
        layers = [_GLULayer(c_in if i == 0 else c_out, c_out, fc) for i, fc in enumerate(shared)]
        for _ in range(n_independent):
            layers.append(_GLULayer(c_out if layers else c_in, c_out))
        self.layers = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layers[0](x)
        for layer in self.layers[1:]:
            x = (x + layer(x)) * (0.5**0.5)
        return x


class TabNet(nn.Module):
    """TabNet encoder: input BN, n_steps × (attentive mask → feature transformer), ReLU-summed outputs."""

    def __init__(self, n_features: int, n_out: int, n_d: int, n_a: int, n_steps: int, gamma: float,
                 n_shared: int, n_independent: int) -> None:
        super().__init__()
        self.n_d, self.gamma = n_d, gamma
        self.bn = nn.BatchNorm1d(n_features)
        width = n_d + n_a
        shared = [nn.Linear(n_features if i == 0 else width, 2 * width, bias=False) for i in range(n_shared)]
        self.initial = FeatureTransformer(n_features, width, shared, n_independent)
        self.steps = nn.ModuleList([FeatureTransformer(n_features, width, shared, n_independent)
                                    for _ in range(n_steps)])
        self.attentive = nn.ModuleList([nn.Sequential(nn.Linear(n_a, n_features, bias=False),
                                                      nn.BatchNorm1d(n_features)) for _ in range(n_steps)])
        self.fc = nn.Linear(n_d, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.bn(x)
        prior = torch.ones_like(x)
        att = self.initial(x)[:, self.n_d:]
        out = x.new_zeros(x.shape[0], self.n_d)
        for transformer, attentive in zip(self.steps, self.attentive, strict=True):
            mask = sparsemax(attentive(att) * prior)
            prior = prior * (self.gamma - mask)
            h = transformer(mask * x)
            out = out + torch.relu(h[:, : self.n_d])
            att = h[:, self.n_d:]
        return self.fc(out)


def tabnet_style(n_features: int = 39, n_out: int = 1, n_d: int = 64, n_a: int = 64, n_steps: int = 5,
                 gamma: float = 1.5, n_shared: int = 2, n_independent: int = 2) -> nn.Module:
    """TabNet: N_d = N_a = 64, 5 steps, γ = 1.5, 2 shared + 2 step GLU layers, sparsemax masks."""
    return TabNet(n_features, n_out, n_d, n_a, n_steps, gamma, n_shared, n_independent)
