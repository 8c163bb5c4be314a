"""The captioner: a ViT encoder and a GPT decoder with cross-attention (ViT + GPT-2 in the
VisionEncoderDecoder layout of Hugging Face), trained with teacher-forced cross-entropy that
ignores padding. Decoding is `generation.py`'s, through the step this model supplies.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from .generation import GenerationConfig, Hypothesis, Step, beam_search, greedy
from .gpt import GPTConfig, GPTDecoder
from .vit import ViT, ViTConfig


class Captioner(nn.Module):
    def __init__(self, enc: ViTConfig, dec: GPTConfig):
        super().__init__()
        self.encoder = ViT(enc)
        self.decoder = GPTDecoder(dec)

    def loss(self, pixel_values, input_ids, labels, pad_id: int):
        return self.decoder.loss(input_ids, labels, self.encoder(pixel_values), pad_id)

    def step(self, pixel_values: torch.Tensor) -> Step:
        """The decoder step over these images, with its KV cache and the image's cross-attention
        keys and values per row (computed once)."""
        cross = self.decoder.cross_kv(self.encoder(pixel_values))  # per layer (B, nh, S, hs) x2
        past = None

        def run(tokens: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
            nonlocal cross, past
            cross = [(k[rows], v[rows]) for k, v in cross]  # rows continue earlier rows (first: images)
            if past is not None:
                past = [(k[rows], v[rows]) for k, v in past]  # reorder the cache by source row
            logits, past, _ = self.decoder(tokens, None, past, cross)
            return logits[:, -1, :]

        return run

    @torch.no_grad()
    def greedy(self, pixel_values: torch.Tensor, gen: GenerationConfig) -> list[Hypothesis]:
        return greedy(self.step(pixel_values), pixel_values.size(0), gen)

    @torch.no_grad()
    def beam_search(self, pixel_values: torch.Tensor, gen: GenerationConfig) -> list[list[Hypothesis]]:
        return beam_search(self.step(pixel_values), pixel_values.size(0), gen)


def load_captioner(bundle: str | Path) -> tuple[Captioner, GenerationConfig]:
    """The PyTorch model of a bundle we trained: configs from config.json, weights from model.pt."""
    bundle = Path(bundle)
    cfg = json.loads((bundle / "config.json").read_text())["caption_studio"]
    model = Captioner(ViTConfig(**cfg["encoder"]), GPTConfig(**cfg["decoder"]))
    model.load_state_dict(torch.load(bundle / "model.pt", map_location="cpu"))
    model.eval()
    known = GenerationConfig.__dataclass_fields__
    gen = json.loads((bundle / "generation_config.json").read_text())
    return model, GenerationConfig(**{k: v for k, v in gen.items() if k in known})
