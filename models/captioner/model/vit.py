"""Vision Transformer image encoder (Dosovitskiy et al. 2020, "An Image is Worth 16x16 Words").

Pre-norm transformer over non-overlapping patches plus a class token, after lucidrains/vit-pytorch
`vit.py` and nanoGPT's layout. `forward_features` returns the whole token sequence (class token
first, then patches in raster order) because the caption decoder cross-attends to every token;
there is no classification head.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class ViTConfig:
    image_size: int = 96
    patch_size: int = 16  # 96 / 16 = a 6 x 6 grid: 36 patches, what 2 CPU cores train in the budget
    num_channels: int = 3
    hidden_size: int = 128
    num_layers: int = 4
    num_heads: int = 4
    mlp_ratio: int = 4
    dropout: float = 0.0
    layer_norm_eps: float = 1e-5

    @property
    def grid(self) -> int:
        return self.image_size // self.patch_size


class PatchEmbedding(nn.Module):
    """Conv2d with kernel = stride = patch size: one linear projection per patch."""

    def __init__(self, cfg: ViTConfig):
        super().__init__()
        self.proj = nn.Conv2d(cfg.num_channels, cfg.hidden_size, cfg.patch_size, stride=cfg.patch_size)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        x = self.proj(pixel_values)  # (B, E, gh, gw)
        return x.flatten(2).transpose(1, 2)  # (B, N, E), N = gh * gw in raster order


class Attention(nn.Module):
    def __init__(self, cfg: ViTConfig):
        super().__init__()
        self.n_head = cfg.num_heads
        self.qkv = nn.Linear(cfg.hidden_size, 3 * cfg.hidden_size)
        self.proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, N, C = x.size()  # batch, tokens, channels
        q, k, v = self.qkv(x).split(C, dim=2)
        q = q.view(B, N, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, N, hs)
        k = k.view(B, N, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, N, hs)
        v = v.view(B, N, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, N, hs)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))  # (B, nh, N, N)
        att = self.drop(att.softmax(dim=-1))
        y = (att @ v).transpose(1, 2).reshape(B, N, C)  # (B, N, C)
        return self.drop(self.proj(y))


class MLP(nn.Module):
    def __init__(self, dim: int, ratio: int, dropout: float):
        super().__init__()
        self.fc = nn.Linear(dim, ratio * dim)
        self.act = nn.GELU()
        self.proj = nn.Linear(ratio * dim, dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.proj(self.act(self.fc(x))))


class Block(nn.Module):
    def __init__(self, cfg: ViTConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.attn = Attention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.mlp = MLP(cfg.hidden_size, cfg.mlp_ratio, cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class ViT(nn.Module):
    def __init__(self, cfg: ViTConfig):
        super().__init__()
        self.cfg = cfg
        self.patch_embed = PatchEmbedding(cfg)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, cfg.hidden_size))
        self.pos_embed = nn.Parameter(torch.randn(1, 1 + cfg.grid**2, cfg.hidden_size) * 0.02)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.num_layers)])
        self.norm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)

    def forward_features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(pixel_values)  # (B, N, E)
        cls = self.cls_token.expand(x.size(0), -1, -1)  # (B, 1, E)
        x = torch.cat([cls, x], dim=1) + self.pos_embed  # (B, 1 + N, E)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)  # (B, 1 + N, E): `last_hidden_state`

    forward = forward_features
