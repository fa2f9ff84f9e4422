"""Speech and audio models: RNN/CTC acoustic models, DeepSpeech2, Conformer, and a spectrogram CNN.

Speech models take log-mel features [N, T, n_mels] (batch first) and return token logits.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn

from archsel.zoo.builders.attention import LuongAttention, SinusoidalPositionalEncoding


def _stack_frames(x: torch.Tensor, factor: int) -> torch.Tensor:
    """Concatenate `factor` consecutive frames: [N, T, F] → [N, T // factor, F · factor] (drops the tail)."""
    n, t, f = x.shape
    t_out = t // factor
    return x[:, : t_out * factor].reshape(n, t_out, f * factor)


class RecurrentCTC(nn.Module):
    """Stacked (Bi)LSTM or GRU over frames and a linear layer to per-frame CTC logits."""

    def __init__(self, cell: str, n_mels: int, hidden: int, layers: int, vocab: int, bidirectional: bool,
                 stack: int = 1) -> None:
        super().__init__()
        rnn_cls = {"lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.stack = stack
        self.rnn = rnn_cls(n_mels * stack, hidden, num_layers=layers, batch_first=True,
                           bidirectional=bidirectional)
        self.fc = nn.Linear(hidden * (2 if bidirectional else 1), vocab)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        x = _stack_frames(feats, self.stack) if self.stack > 1 else feats
        out, _ = self.rnn(x)
        return self.fc(out)


def lstm_ctc_asr(n_mels: int = 80, hidden: int = 320, layers: int = 4, vocab: int = 29,
                 stack: int = 3) -> nn.Module:
    """BiLSTM-CTC: frames stacked ×3 (30 ms steps), 4 BiLSTM layers of 320 per direction, CTC output."""
    return RecurrentCTC("lstm", n_mels, hidden, layers, vocab, bidirectional=True, stack=stack)


def streaming_gru_asr(n_mels: int = 80, hidden: int = 256, layers: int = 3, vocab: int = 29,
                      stack: int = 3) -> nn.Module:
    """Unidirectional GRU acoustic model on frames stacked ×3 (streamable every 30 ms), CTC output."""
    return RecurrentCTC("gru", n_mels, hidden, layers, vocab, bidirectional=False, stack=stack)


class GRUAttentionASR(nn.Module):
    """Listen-Attend-Spell-style model with GRUs and Luong attention, decoder teacher-forced.

    Encoder: frame stacking ×`stack` then a BiGRU. Decoder: embedding of the previous tokens → GRU →
    global attention over the encoder states → token logits, all U steps at once (no data-dependent loop).
    """

    def __init__(self, n_mels: int, enc_hidden: int, enc_layers: int, dec_hidden: int, embed: int,
                 vocab: int, stack: int) -> None:
        super().__init__()
        self.stack = stack
        self.encoder = nn.GRU(n_mels * stack, enc_hidden, num_layers=enc_layers, batch_first=True,
                              bidirectional=True)
        self.embed = nn.Embedding(vocab, embed)
        self.decoder = nn.GRU(embed, dec_hidden, batch_first=True)
        self.attention = LuongAttention(dec_hidden, 2 * enc_hidden)
        self.fc = nn.Linear(dec_hidden, vocab)

    def forward(self, feats: torch.Tensor, prev_tokens: torch.Tensor) -> torch.Tensor:
        keys, _ = self.encoder(_stack_frames(feats, self.stack))
        queries, _ = self.decoder(self.embed(prev_tokens))
        return self.fc(self.attention(queries, keys))


def gru_attention_asr(n_mels: int = 80, enc_hidden: int = 256, enc_layers: int = 3, dec_hidden: int = 512,
                      embed: int = 128, vocab: int = 29, stack: int = 4) -> nn.Module:
    """GRU encoder (3 × BiGRU 256, frames stacked ×4) + GRU decoder 512 with Luong attention."""
    return GRUAttentionASR(n_mels, enc_hidden, enc_layers, dec_hidden, embed, vocab, stack)


class DeepSpeech2(nn.Module):
    """DeepSpeech2 (Amodei et al. 2016) as in deepspeech.pytorch: 2 conv layers, BiLSTM stack, FC.

    Directions of each bidirectional layer are summed (deepspeech.pytorch's convention); batch norm sits
    on the input of every recurrent layer but the first, and before the output layer.
    """

    def __init__(self, n_mels: int, hidden: int, layers: int, vocab: int, channels: int = 32) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, channels, (41, 11), stride=(2, 2), padding=(20, 5)),
            nn.BatchNorm2d(channels), nn.Hardtanh(0, 20, inplace=True),
            nn.Conv2d(channels, channels, (21, 11), stride=(2, 1), padding=(10, 5)),
            nn.BatchNorm2d(channels), nn.Hardtanh(0, 20, inplace=True),
        )
        freq = (n_mels + 2 * 20 - 41) // 2 + 1
        freq = (freq + 2 * 10 - 21) // 2 + 1
        self.hidden = hidden
        self.norms = nn.ModuleList([nn.BatchNorm1d(hidden) for _ in range(layers - 1)])
        self.rnns = nn.ModuleList(
            [nn.LSTM(channels * freq if i == 0 else hidden, hidden, batch_first=True, bidirectional=True)
             for i in range(layers)]
        )
        self.out_norm = nn.BatchNorm1d(hidden)
        self.fc = nn.Linear(hidden, vocab, bias=False)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        x = self.conv(feats.transpose(1, 2).unsqueeze(1))  # [N, C, F', T']
        n, c, f, t = x.shape
        x = x.reshape(n, c * f, t).transpose(1, 2)  # [N, T', C·F']
        for i, rnn in enumerate(self.rnns):
            if i > 0:
                x = self.norms[i - 1](x.transpose(1, 2)).transpose(1, 2)
            x, _ = rnn(x)
            x = x.view(n, t, 2, self.hidden).sum(dim=2)
        x = self.out_norm(x.transpose(1, 2)).transpose(1, 2)
        return self.fc(x)


def deepspeech2(n_mels: int = 80, hidden: int = 1024, layers: int = 5, vocab: int = 29) -> nn.Module:
    """DeepSpeech2: conv (41×11 s2×2, 21×11 s2×1, 32 ch) + 5 BiLSTM layers of 1024 + FC."""
    return DeepSpeech2(n_mels, hidden, layers, vocab)


class _FeedForward(nn.Module):
    def __init__(self, d: int, mult: int, dropout: float) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, mult * d), nn.SiLU(), nn.Dropout(dropout),
                                 nn.Linear(mult * d, d), nn.Dropout(dropout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class _ConvModule(nn.Module):
    """Conformer convolution module: pointwise → GLU → depthwise (k) → BN → Swish → pointwise."""

    def __init__(self, d: int, kernel: int, dropout: float) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.net = nn.Sequential(
            nn.Conv1d(d, 2 * d, 1), nn.GLU(dim=1),
            nn.Conv1d(d, d, kernel, padding=kernel // 2, groups=d), nn.BatchNorm1d(d), nn.SiLU(),
            nn.Conv1d(d, d, 1), nn.Dropout(dropout),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(self.norm(x).transpose(1, 2)).transpose(1, 2)


class ConformerBlock(nn.Module):
    """Macaron block of Gulati et al. (2020): ½FFN → MHSA → Conv → ½FFN → LayerNorm."""

    def __init__(self, d: int, heads: int, kernel: int, ff_mult: int = 4, dropout: float = 0.1) -> None:
        super().__init__()
        self.ff1 = _FeedForward(d, ff_mult, dropout)
        self.attn_norm = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, dropout=dropout, batch_first=True)
        self.attn_drop = nn.Dropout(dropout)
        self.conv = _ConvModule(d, kernel, dropout)
        self.ff2 = _FeedForward(d, ff_mult, dropout)
        self.norm = nn.LayerNorm(d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + 0.5 * self.ff1(x)
        h = self.attn_norm(x)
        x = x + self.attn_drop(self.attn(h, h, h, need_weights=False)[0])
        x = x + self.conv(x)
        x = x + 0.5 * self.ff2(x)
        return self.norm(x)


class ConformerCTC(nn.Module):
    """Conv2d subsampling ×4 → linear → sinusoidal positions → Conformer blocks → linear CTC head."""

    def __init__(self, n_mels: int, d: int, layers: int, heads: int, kernel: int, vocab: int) -> None:
        super().__init__()
        self.subsample = nn.Sequential(nn.Conv2d(1, d, 3, stride=2), nn.ReLU(),
                                       nn.Conv2d(d, d, 3, stride=2), nn.ReLU())
        freq = ((n_mels - 1) // 2 - 1) // 2
        self.proj = nn.Linear(d * freq, d)
        self.pos = SinusoidalPositionalEncoding(d)
        self.blocks = nn.ModuleList([ConformerBlock(d, heads, kernel) for _ in range(layers)])
        self.fc = nn.Linear(d, vocab)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        x = self.subsample(feats.unsqueeze(1))  # [N, d, T/4, F/4]
        n, c, t, f = x.shape
        x = self.pos(self.proj(x.transpose(1, 2).reshape(n, t, c * f)))
        for block in self.blocks:
            x = block(x)
        return self.fc(x)


def conformer_asr(n_mels: int = 80, d: int = 144, layers: int = 16, heads: int = 4, kernel: int = 31,
                  vocab: int = 29) -> nn.Module:
    """Conformer-S encoder (16 blocks, d=144, 4 heads, conv kernel 31) with a CTC linear head."""
    return ConformerCTC(n_mels, d, layers, heads, kernel, vocab)


def _conv_block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
        nn.AvgPool2d(2),
    )


class AudioCNN(nn.Module):
    """PANNs CNN10 layout (Kong et al. 2020): 4 VGG blocks, freq-mean + time max+mean pooling, FC, FC.

    Input [N, 1, mel, time]; returns class logits (apply sigmoid for multi-label tagging).
    """

    def __init__(self, n_mels: int, widths: tuple[int, ...], num_classes: int) -> None:
        super().__init__()
        self.bn0 = nn.BatchNorm2d(n_mels)
        chans = (1, *widths)
        self.blocks = nn.Sequential(*[_conv_block(a, b) for a, b in itertools.pairwise(chans)])
        self.fc1 = nn.Linear(widths[-1], widths[-1])
        self.fc = nn.Linear(widths[-1], num_classes)

    def forward(self, spec: torch.Tensor) -> torch.Tensor:
        x = self.bn0(spec.transpose(1, 2)).transpose(1, 2)  # normalise each mel bin
        x = self.blocks(x)  # [N, C, mel', time']
        x = x.mean(dim=2)
        x = x.amax(dim=2) + x.mean(dim=2)
        return self.fc(torch.relu(self.fc1(x)))


def audio_cnn(n_mels: int = 64, widths: tuple[int, ...] = (64, 128, 256, 512),
              num_classes: int = 527) -> nn.Module:
    """CNN10-style spectrogram classifier (4 blocks of two 3×3 convs, widths 64-128-256-512)."""
    return AudioCNN(n_mels, tuple(widths), num_classes)
