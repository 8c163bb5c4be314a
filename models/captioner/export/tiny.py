"""Tiny captioners with the ONNX interfaces of public ones, for interface-faithful test bundles.

The real vit-gpt2-image-captioning export is ~1 GB and cannot be downloaded here, so its interface
is reproduced at a small size: a ViT-style encoder with the real output shape (197 tokens of width
768), and a decoder with the real vocabulary (50,257, so the real GPT-2 tokenizer's ids index its
logits), 12 heads of 64 in its cache (literal, as in the real files) and 2 layers (the real one has
12: the tensor names follow the same pattern). Two decoder kinds: GPT-2 style (cross-attention
recomputed every step; caches `present.{i}.key|value`) and seq2seq / BART style (the encoder's keys
and values computed on the first step and cached: `present.{i}.decoder.*` and
`present.{i}.encoder.*`). Random weights, so the captions are nonsense, but each is deterministic and
the EOS logit rises with the position so captions end at varied lengths.

`numerics` emulates what an export variant does to the computation, for the PyTorch reference:
'int8' (ONNX dynamic quantization: DynamicQuantizeLinear + MatMulInteger on every weight matmul),
'fp16-weights' (weights stored in float16), 'fp16-io' (float16 at the graph's inputs and outputs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class TinyConfig:
    vocab: int = 50257
    image: int = 224
    patch: int = 16
    enc_width: int = 16  # the encoder's own width, projected to `hidden` at its output
    hidden: int = 768  # encoder output width, as in the real export
    heads: int = 12  # literal in the real export's cache shapes
    head_dim: int = 64
    width: int = 32  # the decoder's residual stream (768 in the real one)
    layers: int = 2
    cross_rank: int = 8  # cross-attention keys and values through a small bottleneck
    positions: int = 1024
    eos: int = 50256
    eos_ramp: float = 1.2  # EOS logit grows with the position, so captions end at varied lengths
    eos_start: float = 3.0  # ... from this far below its usual level at position 0


def _q(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """x @ w as ONNX dynamic int8 quantization computes it (see `variants.quantize_int8`)."""
    lo, hi = torch.clamp(x.min(), max=0.0), torch.clamp(x.max(), min=0.0)
    scale = (hi - lo) / 255.0
    zp = torch.clamp(torch.round(-lo / scale), 0, 255)
    xq = torch.clamp(torch.round(x / scale) + zp, 0, 255)
    w_scale = w.abs().max() / 127.0
    wq = torch.clamp(torch.round(w / w_scale), -127, 127)
    acc = (xq.double() - zp.double()) @ wq.double()  # exact, like MatMulInteger's int32
    return acc.float() * (scale * w_scale)


class Numerics:
    """How weight matmuls are computed (fp32 or emulated int8) and whether I/O is rounded to fp16."""

    def __init__(self, kind: str = "fp32"):
        self.kind = kind

    def matmul(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return _q(x, w) if self.kind == "int8" else x @ w

    def io(self, t: torch.Tensor) -> torch.Tensor:
        return t.half().float() if self.kind == "fp16-io" else t


class Linear(nn.Module):
    """y = x W + b, exported as MatMul (+ Add) with W an initializer, as torch exports nn.Linear."""

    def __init__(self, n_in: int, n_out: int, num: Numerics, std: float = 0.2):
        super().__init__()
        self.w = nn.Parameter(torch.randn(n_in, n_out) * std / math.sqrt(n_in) * 4)
        self.b = nn.Parameter(torch.randn(n_out) * 0.02)
        self.num = num

    def forward(self, x):
        return self.num.matmul(x, self.w) + self.b


class TinyViT(nn.Module):
    def __init__(self, c: TinyConfig, num: Numerics):
        super().__init__()
        n = (c.image // c.patch) ** 2
        self.patch = nn.Conv2d(3, c.enc_width, c.patch, stride=c.patch)
        self.cls = nn.Parameter(torch.randn(1, 1, c.enc_width) * 0.5)
        self.pos = nn.Parameter(torch.randn(1, n + 1, c.enc_width) * 0.5)
        self.ln = nn.LayerNorm(c.enc_width)
        self.out = Linear(c.enc_width, c.hidden, num)

    def forward(self, px):
        B = px.size(0)
        x = self.patch(px).flatten(2).transpose(1, 2)  # (B, 196, enc_width)
        x = torch.cat([self.cls.expand(B, 1, -1), x], dim=1) + self.pos  # (B, 197, enc_width)
        return self.out(self.ln(x))  # (B, 197, hidden)


class Attention(nn.Module):
    """heads x head_dim attention; keys and values from `kv_width`, optionally through a bottleneck."""

    def __init__(self, c: TinyConfig, num: Numerics, kv_width: int, rank: int | None = None):
        super().__init__()
        self.c = c
        inner = c.heads * c.head_dim
        self.q = Linear(c.width, inner, num)
        kv = lambda: nn.Sequential(Linear(kv_width, rank, num), Linear(rank, inner, num)) if rank else Linear(
            kv_width, inner, num)
        self.k, self.v = kv(), kv()
        self.o = Linear(inner, c.width, num)

    def split(self, x):  # (B, T, heads*head_dim) -> (B, heads, T, head_dim)
        B, T, _ = x.size()
        return x.view(B, T, self.c.heads, self.c.head_dim).transpose(1, 2)

    def kv(self, src):
        return self.split(self.k(src)), self.split(self.v(src))

    def forward(self, x, k, v, causal: bool):
        q = self.split(self.q(x))  # (B, h, T, hd)
        att = q @ k.transpose(-2, -1) / math.sqrt(self.c.head_dim)  # (B, h, T, S)
        if causal:
            T, S = att.size(-2), att.size(-1)
            mask = torch.ones(T, S, dtype=torch.bool).tril(S - T)
            att = att.masked_fill(~mask, float("-inf"))
        self.probs = att.softmax(-1)  # (B, h, T, S); kept for the attention references (attention_reference.py)
        y = self.probs @ v  # (B, h, T, hd)
        B, _, T, _ = y.size()
        return self.o(y.transpose(1, 2).reshape(B, T, -1))


class Block(nn.Module):
    def __init__(self, c: TinyConfig, num: Numerics):
        super().__init__()
        self.ln1, self.ln2, self.ln3 = nn.LayerNorm(c.width), nn.LayerNorm(c.width), nn.LayerNorm(c.width)
        self.self_attn = Attention(c, num, c.width)
        self.cross = Attention(c, num, c.hidden, c.cross_rank)
        self.fc, self.proj = Linear(c.width, 2 * c.width, num), Linear(2 * c.width, c.width, num)


class TinyDecoder(nn.Module):
    """GPT-2 style (`seq2seq=False`) or BART style decoder over the encoder's states."""

    def __init__(self, c: TinyConfig, num: Numerics, seq2seq: bool):
        super().__init__()
        self.c, self.num, self.seq2seq = c, num, seq2seq
        self.wte = nn.Parameter(torch.randn(c.vocab, c.width) * 0.35)
        self.wpe = nn.Parameter(torch.randn(c.positions, c.width) * 0.1)
        self.blocks = nn.ModuleList(Block(c, num) for _ in range(c.layers))
        self.ln = nn.LayerNorm(c.width)

    def forward(self, input_ids, enc, past=None, cross=None):
        """-> logits (B, T, V), self-attention presents [(k, v)], cross presents [(k, v)] (seq2seq)."""
        past_len = past[0][0].size(2) if past is not None else 0
        T = input_ids.size(1)
        pos = torch.arange(past_len, past_len + T)
        x = self.wte[input_ids] + self.wpe[pos]
        x, presents, crosses = decoder_blocks(
            self.blocks, x, enc, past, cross, lambda blk, h: blk.proj(torch.tanh(blk.fc(blk.ln3(h))))
        )
        logits = with_eos_ramp(self.num.matmul(self.ln(x), self.wte.t()), pos, self.c)
        return logits, presents, crosses if self.seq2seq else []


def decoder_blocks(blocks, x, enc, past, cross, mlp):
    """Each block: self-attention over the cache and the new tokens, cross-attention over the encoder
    (its keys and values computed from `enc`, or taken from `cross`), then `mlp` (None: no MLP).
    -> x, self-attention presents [(k, v)], cross-attention keys and values [(k, v)]."""
    presents, crosses = [], []
    for i, blk in enumerate(blocks):
        h = blk.ln1(x)
        k, v = blk.self_attn.kv(h)
        if past is not None:
            k, v = torch.cat([past[i][0], k], dim=2), torch.cat([past[i][1], v], dim=2)
        presents.append((k, v))
        x = x + blk.self_attn(h, k, v, causal=True)
        ck, cv = cross[i] if cross is not None else blk.cross.kv(enc)
        crosses.append((ck, cv))
        x = x + blk.cross(blk.ln2(x), ck, cv, causal=False)
        out = mlp(blk, x)
        if out is not None:
            x = x + out
    return x, presents, crosses


def with_eos_ramp(logits, pos, c: TinyConfig):
    """The EOS logit rising with the position (see TinyConfig.eos_ramp)."""
    ramp = c.eos_ramp * pos.float() - c.eos_start
    return logits + torch.nn.functional.one_hot(torch.tensor(c.eos), c.vocab).float() * ramp[:, None]


class TinyCaptioner(nn.Module):
    def __init__(self, c: TinyConfig, seq2seq: bool, numerics: str = "fp32", seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.num = Numerics(numerics)
        self.encoder = TinyViT(c, self.num)
        self.decoder = TinyDecoder(c, self.num, seq2seq)
        if numerics == "fp16-weights":
            with torch.no_grad():
                for p in self.parameters():
                    p.copy_(p.half().float())

    def step(self, pixel_values: torch.Tensor):
        """The decoder step for `generation.greedy`/`beam_search`, as the ONNX files compute it."""
        io = self.num.io
        return cached_step(io(self.encoder(io(pixel_values))), self.decoder, io, keep_cross=self.decoder.seq2seq)


def cached_step(enc, decode, io, keep_cross: bool):
    """A `generation.Step` over `decode(tokens, enc, past, cross) -> logits, presents, crosses`: each
    step's rows reorder the encoder states and the caches; a seq2seq decoder's cross-attention keys
    and values are kept from the first step; `io` rounds what crosses the graph's boundary."""
    past = cross = None

    def run(tokens: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        nonlocal enc, past, cross
        enc = enc[rows]
        if past is not None:
            past = [(k[rows], v[rows]) for k, v in past]
        if cross is not None:
            cross = [(k[rows], v[rows]) for k, v in cross]
        logits, presents, crosses = decode(tokens, enc, past, cross)
        past = [(io(k), io(v)) for k, v in presents]
        if keep_cross and cross is None:
            cross = [(io(k), io(v)) for k, v in crosses]
        return io(logits[:, -1, :])

    return run
