"""A captioner of vit-gpt2-image-captioning's size, random weights, for the engine benchmark.

    /usr/bin/python3 -m captioner.export.vitgpt2_shaped OUT

ViT-B/16 at 224 x 224 (12 layers, width 768) and a 12-layer GPT-2 decoder (width 768, 50,257
tokens, cross-attention in every layer): about 238 M parameters, like the public model. Exported
twice from the same weights with the project's own export code: OUT/seq2seq (our layout, the image's
cross-attention keys and values computed once) and OUT/vit-gpt2 (the public export's layout, which
transformers.js expects), each fp32 plus the int8 variant (`*_quantized.onnx`, dynamic int8 like
the public q8 files). GPT-2's real tokenizer and generation settings (max_length 20, the HF default).
About 5 GB on disk: generated at bench time, never committed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from ..model.captioner import Captioner
from ..model.generation import GenerationConfig
from ..model.gpt import GPTConfig
from ..model.vit import ViTConfig
from .onnx_export import export_bundle
from .merge import merge_decoders
from .variants import quantize_int8

FIXTURE = Path(__file__).parents[2] / "fixtures" / "vit-gpt2-image-captioning"


def build(out: Path, seed: int = 0) -> None:
    torch.manual_seed(seed)
    enc = ViTConfig(image_size=224, patch_size=16, hidden_size=768, num_layers=12, num_heads=12)
    dec = GPTConfig(vocab_size=50257, max_positions=1024, hidden_size=768, encoder_hidden_size=768,
                    num_layers=12, num_heads=12)
    model = Captioner(enc, dec).eval()
    print(f"{sum(p.numel() for p in model.parameters()) / 1e6:.0f} M parameters")
    gen = GenerationConfig(decoder_start_token_id=50256, bos_token_id=50256, eos_token_id=50256,
                           pad_token_id=50256, max_length=20)
    for layout in ("seq2seq", "vit-gpt2"):
        dst = out / layout
        export_bundle(model, gen, FIXTURE / "tokenizer.json", dst, layout=layout)
        (dst / "model.pt").unlink()  # the bench needs the ONNX files only
        for name in ("encoder_model", "decoder_model", "decoder_with_past_model"):
            quantize_int8(dst / f"{name}.onnx", dst / f"{name}_quantized.onnx")
        merge_decoders(dst / "decoder_model_quantized.onnx", dst / "decoder_with_past_model_quantized.onnx",
                       dst / "decoder_model_merged_quantized.onnx")
        cfg = json.loads((dst / "config.json").read_text())
        cfg["caption_studio"]["domain"] = "none (random weights, a benchmark)"
        (dst / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
        print(f"wrote {dst}")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    build(p.parse_args(argv).out)


if __name__ == "__main__":
    main()
