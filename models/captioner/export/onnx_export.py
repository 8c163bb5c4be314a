"""Export a trained captioner as a Hugging Face-layout ONNX bundle.

    /usr/bin/python3 -m captioner.export runs/default/ckpt.pt default

Writes `encoder_model.onnx` (pixel_values -> last_hidden_state), `decoder_model.onnx` (first step,
no past) and `decoder_with_past_model.onnx` (past_key_values.{i}.key/value in,
present.{i}.key/value out), both with an extra `cross_attentions.{i}` output (B, heads, T, S) for
the studio's heat-maps, and `decoder_model_merged.onnx` (the two behind `use_cache_branch`, as
Optimum and transformers.js use); plus config.json, tokenizer_config.json, generation_config.json, preprocessor_config.json,
tokenizer.json and the PyTorch weights (model.pt) the parity tests load.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import torch
from torch import nn

from ..model.captioner import Captioner
from ..model.generation import GenerationConfig
from ..model.gpt import GPTConfig
from ..model.vit import ViTConfig
from .hf_config import hf_config, preprocessor_config
from .merge import merge_decoders

OPSET = 14
TOKENIZER_CONFIG = {
    "tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<bos>", "eos_token": "<eos>",
    "pad_token": "<pad>", "unk_token": "<unk>", "model_max_length": 32, "clean_up_tokenization_spaces": True,
}


class _Encoder(nn.Module):
    def __init__(self, m: Captioner):
        super().__init__()
        self.m = m

    def forward(self, pixel_values):
        return self.m.encoder.forward_features(pixel_values)


class _Decoder(nn.Module):
    def __init__(self, m: Captioner, with_past: bool):
        super().__init__()
        self.m, self.with_past = m, with_past

    def forward(self, input_ids, encoder_hidden_states, *past_flat):
        n = self.m.decoder.cfg.num_layers
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(n)] if self.with_past else None
        logits, presents, crosses = self.m.decoder(input_ids, encoder_hidden_states, past)
        return (logits, *[t for kv in presents for t in kv], *crosses)


def export_bundle(model: Captioner, gen: GenerationConfig, tokenizer_json: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    model.eval()
    enc_cfg: ViTConfig = model.encoder.cfg
    dec_cfg: GPTConfig = model.decoder.cfg
    L, H, hs = dec_cfg.num_layers, dec_cfg.num_heads, dec_cfg.hidden_size // dec_cfg.num_heads
    px = torch.randn(2, 3, enc_cfg.image_size, enc_cfg.image_size)
    torch.onnx.export(
        _Encoder(model), (px,), out / "encoder_model.onnx", opset_version=OPSET,
        input_names=["pixel_values"], output_names=["last_hidden_state"],
        dynamic_axes={"pixel_values": {0: "batch_size"}, "last_hidden_state": {0: "batch_size"}},
    )
    enc = model.encoder(px)
    ids = torch.tensor([[gen.decoder_start_token_id, 5], [gen.decoder_start_token_id, 6]])
    present_names = [f"present.{i}.{kv}" for i in range(L) for kv in ("key", "value")]
    cross_names = [f"cross_attentions.{i}" for i in range(L)]
    axes = {
        "input_ids": {0: "batch_size", 1: "decoder_sequence_length"},
        "encoder_hidden_states": {0: "batch_size", 1: "encoder_sequence_length"},
        "logits": {0: "batch_size", 1: "decoder_sequence_length"},
        **{n: {0: "batch_size", 2: "past_decoder_sequence_length + decoder_sequence_length"} for n in present_names},
        **{n: {0: "batch_size", 2: "decoder_sequence_length", 3: "encoder_sequence_length"} for n in cross_names},
    }
    torch.onnx.export(
        _Decoder(model, False), (ids, enc), out / "decoder_model.onnx", opset_version=OPSET,
        input_names=["input_ids", "encoder_hidden_states"], output_names=["logits", *present_names, *cross_names],
        dynamic_axes=axes,
    )
    past_names = [f"past_key_values.{i}.{kv}" for i in range(L) for kv in ("key", "value")]
    past = [torch.randn(2, H, 3, hs) for _ in past_names]
    torch.onnx.export(
        _Decoder(model, True), (ids[:, :1], enc, *past), out / "decoder_with_past_model.onnx", opset_version=OPSET,
        input_names=["input_ids", "encoder_hidden_states", *past_names],
        output_names=["logits", *present_names, *cross_names],
        dynamic_axes={**axes, **{n: {0: "batch_size", 2: "past_decoder_sequence_length"} for n in past_names}},
    )
    merge_decoders(out / "decoder_model.onnx", out / "decoder_with_past_model.onnx", out / "decoder_model_merged.onnx")
    (out / "config.json").write_text(json.dumps(hf_config(enc_cfg, dec_cfg, gen), indent=2) + "\n")
    gen_json = {k: v for k, v in vars(gen).items()}
    (out / "generation_config.json").write_text(json.dumps(gen_json, indent=2) + "\n")
    (out / "preprocessor_config.json").write_text(json.dumps(preprocessor_config(enc_cfg), indent=2) + "\n")
    shutil.copyfile(tokenizer_json, out / "tokenizer.json")
    (out / "tokenizer_config.json").write_text(json.dumps(TOKENIZER_CONFIG, indent=2) + "\n")
    torch.save(model.state_dict(), out / "model.pt")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoint", type=Path)
    p.add_argument("out", type=Path)
    args = p.parse_args(argv)
    ck = torch.load(args.checkpoint, map_location="cpu")
    model = Captioner(ViTConfig(**ck["enc_cfg"]), GPTConfig(**ck["dec_cfg"]))
    model.load_state_dict(ck["model"])
    export_bundle(model, GenerationConfig(**ck["gen"]), args.checkpoint.parent / "tokenizer.json", args.out)
    print(f"exported {args.out}")


if __name__ == "__main__":
    main()
