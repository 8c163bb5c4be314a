"""GPT-style caption decoder with cross-attention to image tokens and an explicit KV cache.

Causal self-attention, then cross-attention to the encoder's tokens, then an MLP, each pre-norm and
residual (Radford et al. 2019, GPT-2; cross-attention as in Vaswani et al. 2017 and Hugging Face's
`GPT2LMHeadModel` with `add_cross_attention`). Layout after nanoGPT `model.py`. The LM head is tied
to the token embedding.

The cache is explicit so the ONNX export has the Hugging Face names: `forward` takes the past
(key, value) per layer, shape (B, nh, T_past, hs), and returns the present ones, T_past + T long.
The cross-attention keys and values of the image tokens do not change while decoding: `cross_kv`
computes them once per image and `forward` takes them (as seq2seq decoders cache them). It also
returns each layer's cross-attention weights (B, nh, T, S): the studio's heat-maps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from .vit import MLP

KV = tuple[torch.Tensor, torch.Tensor]


@dataclass
class GPTConfig:
    vocab_size: int = 128
    max_positions: int = 32  # longest reference is 17 tokens with <bos>/<eos>; headroom for users
    hidden_size: int = 128
    encoder_hidden_size: int = 128
    num_layers: int = 3
    num_heads: int = 4
    mlp_ratio: int = 4
    dropout: float = 0.0
    layer_norm_eps: float = 1e-5


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.n_head = cfg.num_heads
        self.c_attn = nn.Linear(cfg.hidden_size, 3 * cfg.hidden_size)
        self.c_proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, past: KV | None) -> tuple[torch.Tensor, KV]:
        B, T, C = x.size()  # batch, new tokens, channels
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        if past is not None:
            k = torch.cat([past[0], k], dim=2)  # (B, nh, P + T, hs)
            v = torch.cat([past[1], v], dim=2)  # (B, nh, P + T, hs)
        P = k.size(2) - T  # cached positions
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))  # (B, nh, T, P + T)
        # query i (absolute position P + i) sees keys 0..P + i
        visible = torch.ones(T, P + T, dtype=torch.bool, device=x.device).tril(diagonal=P)
        att = att.masked_fill(~visible, float("-inf"))
        att = self.drop(att.softmax(dim=-1))
        y = (att @ v).transpose(1, 2).reshape(B, T, C)  # (B, T, C)
        return self.drop(self.c_proj(y)), (k, v)


class CrossAttention(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.n_head = cfg.num_heads
        self.q_attn = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.kv_attn = nn.Linear(cfg.encoder_hidden_size, 2 * cfg.hidden_size)
        self.c_proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.drop = nn.Dropout(cfg.dropout)

    def kv(self, enc: torch.Tensor) -> KV:
        """The image tokens' keys and values, (B, nh, S, hs) each: the same at every decoding step."""
        B, S, _ = enc.size()
        C = self.c_proj.out_features
        k, v = self.kv_attn(enc).split(C, dim=2)
        k = k.view(B, S, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, S, hs)
        v = v.view(B, S, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, S, hs)
        return k, v

    def forward(self, x: torch.Tensor, kv: KV) -> tuple[torch.Tensor, torch.Tensor]:
        B, T, C = x.size()  # batch, tokens, channels
        q = self.q_attn(x).view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        k, v = kv
        att = ((q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))).softmax(dim=-1)  # (B, nh, T, S)
        y = (self.drop(att) @ v).transpose(1, 2).reshape(B, T, C)  # (B, T, C)
        return self.drop(self.c_proj(y)), att


class Block(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.attn = CausalSelfAttention(cfg)
        self.ln_cross = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.crossattention = CrossAttention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.mlp = MLP(cfg.hidden_size, cfg.mlp_ratio, cfg.dropout)

    def forward(self, x: torch.Tensor, cross_kv: KV, past: KV | None):
        a, present = self.attn(self.ln_1(x), past)
        x = x + a
        c, cross = self.crossattention(self.ln_cross(x), cross_kv)
        x = x + c
        return x + self.mlp(self.ln_2(x)), present, cross


class GPTDecoder(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.wpe = nn.Embedding(cfg.max_positions, cfg.hidden_size)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.num_layers)])
        self.ln_f = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying (Press & Wolf 2017)
        self.apply(self._init)

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def cross_kv(self, encoder_hidden_states: torch.Tensor) -> list[KV]:
        """Each layer's cross-attention keys and values of the image tokens: computed once per image."""
        return [block.crossattention.kv(encoder_hidden_states) for block in self.blocks]

    def forward(
        self,
        input_ids: torch.Tensor,
        encoder_hidden_states: torch.Tensor | None,
        past: list[KV] | None = None,
        cross_kv: list[KV] | None = None,
    ):
        """input_ids (B, T) -> logits (B, T, V), presents [(B, nh, P + T, hs) x2] per layer,
        cross-attentions [(B, nh, T, S)] per layer. The image comes as encoder states, or as the
        layers' cross-attention keys and values (`cross_kv`) computed from them once."""
        if cross_kv is None:
            cross_kv = self.cross_kv(encoder_hidden_states)
        B, T = input_ids.size()
        P = 0 if past is None else past[0][0].size(2)
        pos = torch.arange(P, P + T, device=input_ids.device).unsqueeze(0)  # (1, T)
        x = self.drop(self.wte(input_ids) + self.wpe(pos))  # (B, T, E)
        presents, crosses = [], []
        for i, block in enumerate(self.blocks):
            x, present, cross = block(x, cross_kv[i], None if past is None else past[i])
            presents.append(present)
            crosses.append(cross)
        return self.lm_head(self.ln_f(x)), presents, crosses

    def loss(self, input_ids: torch.Tensor, labels: torch.Tensor, encoder_hidden_states: torch.Tensor, pad_id: int):
        """Teacher-forced cross-entropy; positions whose label is padding do not count."""
        logits, _, _ = self(input_ids, encoder_hidden_states)
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1), ignore_index=pad_id)
