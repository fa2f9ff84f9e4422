"""Text models: RNN/CNN/Transformer classifiers, seq2seq translators, a tagger and language models.

All take token ids [N, L] (int64) and return logits.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from archsel.zoo.builders.attention import LuongAttention, SinusoidalPositionalEncoding

_RNN = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class GRUTextClassifier(nn.Module):
    """Seed 001's RNNClassifier, line for line: Embedding → GRU → Linear on the last hidden state."""

    def __init__(self, vocab_size: int, embed_dim: int, hidden_dim: int, num_classes: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.gru = nn.GRU(embed_dim, hidden_dim, batch_first=True)
        self.fc = nn.Linear(hidden_dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, hidden = self.gru(self.embedding(x))  # hidden: [1, N, hidden_dim]
        return self.fc(hidden.squeeze(0))


def gru_text_classifier(vocab_size: int = 10000, embed_dim: int = 128, hidden_dim: int = 256,
                        num_classes: int = 2) -> nn.Module:
    """Seed 001's GRU text classifier at vocab 10k, embedding 128, hidden 256, 2 classes."""
    return GRUTextClassifier(vocab_size, embed_dim, hidden_dim, num_classes)


class TextCNN(nn.Module):
    """Kim (2014): embedding → parallel Conv1d of several widths → ReLU → max over time → dropout → FC."""

    def __init__(self, vocab: int, embed: int, widths: tuple[int, ...], maps: int, num_classes: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.convs = nn.ModuleList([nn.Conv1d(embed, maps, w) for w in widths])
        self.dropout = nn.Dropout(0.5)
        self.fc = nn.Linear(maps * len(widths), num_classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embedding(tokens).transpose(1, 2)  # [N, E, L]
        pooled = [torch.relu(conv(x)).amax(dim=2) for conv in self.convs]
        return self.fc(self.dropout(torch.cat(pooled, dim=1)))


def text_cnn(vocab: int = 20000, embed: int = 300, widths: tuple[int, ...] = (3, 4, 5), maps: int = 100,
             num_classes: int = 2) -> nn.Module:
    """Kim's CNN-static/non-static layout: 300-d embeddings, widths 3/4/5 × 100 feature maps."""
    return TextCNN(vocab, embed, tuple(widths), maps, num_classes)


class TransformerClassifier(nn.Module):
    """Token + learned position embeddings → nn.TransformerEncoder (post-norm) → mean pool → Linear."""

    def __init__(self, vocab: int, d: int, heads: int, layers: int, ff: int, max_len: int,
                 num_classes: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, d)
        self.position = nn.Embedding(max_len, d)
        layer = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.1, activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.fc = nn.Linear(d, num_classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(tokens.shape[1], device=tokens.device)
        x = self.encoder(self.embedding(tokens) + self.position(positions))
        return self.fc(x.mean(dim=1))


def transformer_text_classifier(vocab: int = 30000, d: int = 256, heads: int = 4, layers: int = 4,
                                ff: int = 1024, max_len: int = 512, num_classes: int = 2) -> nn.Module:
    """4-layer Transformer encoder, d=256, 4 heads, ff 1024, mean pooling."""
    return TransformerClassifier(vocab, d, heads, layers, ff, max_len, num_classes)


class TransformerSeq2Seq(nn.Module):
    """Vaswani et al. (2017) encoder-decoder with one embedding matrix shared by source, target and output."""

    def __init__(self, vocab: int, d: int, heads: int, enc_layers: int, dec_layers: int, ff: int) -> None:
        super().__init__()
        self.d = d
        self.embedding = nn.Embedding(vocab, d)
        self.pos = SinusoidalPositionalEncoding(d)
        self.transformer = nn.Transformer(d, heads, enc_layers, dec_layers, ff, dropout=0.1, batch_first=True)
        self.out = nn.Linear(d, vocab, bias=False)
        self.out.weight = self.embedding.weight  # weight tying (paper §3.4)

    def forward(self, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
        scale = math.sqrt(self.d)
        mask = nn.Transformer.generate_square_subsequent_mask(tgt.shape[1], device=tgt.device)
        h = self.transformer(self.pos(self.embedding(src) * scale), self.pos(self.embedding(tgt) * scale),
                             tgt_mask=mask, tgt_is_causal=True)
        return self.out(h)


def transformer_seq2seq(vocab: int = 32000, d: int = 512, heads: int = 8, enc_layers: int = 6,
                        dec_layers: int = 6, ff: int = 2048) -> nn.Module:
    """Transformer-base: 6+6 layers, d=512, 8 heads, ff 2048, shared 32k vocabulary."""
    return TransformerSeq2Seq(vocab, d, heads, enc_layers, dec_layers, ff)


class LSTMSeq2SeqAttention(nn.Module):
    """OpenNMT-style RNN translator: BiLSTM encoder, LSTM decoder, Luong global attention, teacher-forced."""

    def __init__(self, src_vocab: int, tgt_vocab: int, embed: int, hidden: int, layers: int) -> None:
        super().__init__()
        self.src_embed = nn.Embedding(src_vocab, embed)
        self.tgt_embed = nn.Embedding(tgt_vocab, embed)
        self.encoder = nn.LSTM(embed, hidden // 2, num_layers=layers, batch_first=True, bidirectional=True)
        self.decoder = nn.LSTM(embed, hidden, num_layers=layers, batch_first=True)
        self.attention = LuongAttention(hidden, hidden)
        self.out = nn.Linear(hidden, tgt_vocab)

    def forward(self, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
        keys, _ = self.encoder(self.src_embed(src))
        queries, _ = self.decoder(self.tgt_embed(tgt))
        return self.out(self.attention(queries, keys))


def lstm_seq2seq_attention(src_vocab: int = 32000, tgt_vocab: int = 32000, embed: int = 512,
                           hidden: int = 512, layers: int = 2) -> nn.Module:
    """2-layer BiLSTM encoder (256 per direction) + 2-layer LSTM 512 decoder, Luong general attention."""
    return LSTMSeq2SeqAttention(src_vocab, tgt_vocab, embed, hidden, layers)


class BiLSTMTagger(nn.Module):
    """Word embedding → BiLSTM → per-token tag logits (no CRF layer, no character features)."""

    def __init__(self, vocab: int, embed: int, hidden: int, layers: int, num_tags: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, num_tags)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.embedding(tokens))
        return self.fc(out)


def bilstm_tagger(vocab: int = 20000, embed: int = 100, hidden: int = 100, layers: int = 1,
                  num_tags: int = 9) -> nn.Module:
    """Lample et al. (2016) word-level BiLSTM, 100-d embeddings, 100 cells per direction, 9 BIO tags."""
    return BiLSTMTagger(vocab, embed, hidden, layers, num_tags)


class RecurrentLM(nn.Module):
    """Embedding → one recurrent layer (RNN/GRU/LSTM, optionally bidirectional) → next-token logits."""

    def __init__(self, cell: str, vocab: int, embed: int, hidden: int, bidirectional: bool) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.rnn = _RNN[cell](embed, hidden, batch_first=True, bidirectional=bidirectional)
        self.fc = nn.Linear(hidden * (2 if bidirectional else 1), vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.embedding(tokens))
        return self.fc(out)


def recurrent_lm(cell: str = "lstm", vocab: int = 2000, embed: int = 240, hidden: int = 256,
                 bidirectional: bool = False) -> nn.Module:
    """Seed 004 §3 text-generation family at one shared size: vocab 2000, embedding 240, hidden 256."""
    if cell not in _RNN:
        raise ValueError(f"cell must be one of {sorted(_RNN)}, not {cell!r}")
    return RecurrentLM(cell, vocab, embed, hidden, bidirectional)


class TransformerLM(nn.Module):
    """GPT-2-style decoder-only Transformer: pre-norm blocks, GELU, causal mask, tied output embedding."""

    def __init__(self, vocab: int, d: int, heads: int, layers: int, context: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, d)
        self.position = nn.Embedding(context, d)
        layer = nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.1, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.out = nn.Linear(d, vocab, bias=False)
        self.out.weight = self.embedding.weight

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        length = tokens.shape[1]
        positions = torch.arange(length, device=tokens.device)
        mask = nn.Transformer.generate_square_subsequent_mask(length, device=tokens.device)
        x = self.blocks(self.embedding(tokens) + self.position(positions), mask=mask, is_causal=True)
        return self.out(self.norm(x))


def transformer_lm(vocab: int = 50257, d: int = 768, heads: int = 12, layers: int = 12,
                   context: int = 1024) -> nn.Module:
    """GPT-2 small: 12 layers, d=768, 12 heads, 1024 positions, 50257-token BPE vocabulary."""
    return TransformerLM(vocab, d, heads, layers, context)
