"""Export a trained captioner as a Hugging Face-layout ONNX bundle.

    /usr/bin/python3 -m captioner.export runs/default/ckpt.pt default
    /usr/bin/python3 -m captioner.export default default     # the same weights, exported again

Writes `encoder_model.onnx` (pixel_values -> last_hidden_state) and the decoder in the layout of
Optimum's seq2seq exports, which cache the cross-attention keys and values of the image once:
`decoder_model.onnx` (first step: input_ids, encoder_hidden_states -> logits,
present.{i}.decoder.key/value and present.{i}.encoder.key/value) and `decoder_with_past_model.onnx`
(input_ids, past_key_values.{i}.decoder.* and past_key_values.{i}.encoder.* -> logits,
present.{i}.decoder.*), both with an extra `cross_attentions.{i}` output (B, heads, T, S) for the
studio's heat-maps, and `decoder_model_merged.onnx` (the two behind `use_cache_branch`, as Optimum
and transformers.js use); plus config.json, tokenizer_config.json, generation_config.json, preprocessor_config.json,
tokenizer.json and the PyTorch weights (model.pt) the parity tests load.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import torch
from torch import nn

from ..model.captioner import Captioner, load_captioner
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


class _FirstDecoder(nn.Module):
    """First step: the image's cross-attention keys and values are computed and returned."""

    def __init__(self, m: Captioner):
        super().__init__()
        self.m = m

    def forward(self, input_ids, encoder_hidden_states):
        cross = self.m.decoder.cross_kv(encoder_hidden_states)
        logits, presents, crosses = self.m.decoder(input_ids, None, None, cross)
        return (logits, *[t for own, img in zip(presents, cross) for t in (*own, *img)], *crosses)


class _GPT2Decoder(nn.Module):
    """The public vit-gpt2 export's layout: the encoder states go in at every step and the
    cross-attention keys and values are computed again each time; only self-attention is cached
    (past_key_values.{i}.key/value). For comparing with runtimes that expect that layout."""

    def __init__(self, m: Captioner, with_past: bool):
        super().__init__()
        self.m, self.with_past = m, with_past

    def forward(self, input_ids, encoder_hidden_states, *past_flat):
        n = self.m.decoder.cfg.num_layers
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(n)] if self.with_past else None
        logits, presents, crosses = self.m.decoder(input_ids, encoder_hidden_states, past)
        return (logits, *[t for kv in presents for t in kv], *crosses)


class _PastDecoder(nn.Module):
    """Later steps: per layer the self-attention past and the image's keys and values come in."""

    def __init__(self, m: Captioner):
        super().__init__()
        self.m = m

    def forward(self, input_ids, *past_flat):
        n = self.m.decoder.cfg.num_layers
        past = [(past_flat[4 * i], past_flat[4 * i + 1]) for i in range(n)]
        cross = [(past_flat[4 * i + 2], past_flat[4 * i + 3]) for i in range(n)]
        logits, presents, crosses = self.m.decoder(input_ids, None, past, cross)
        return (logits, *[t for kv in presents for t in kv], *crosses)


def export_bundle(
    model: Captioner, gen: GenerationConfig, tokenizer_json: Path, out: Path, layout: str = "seq2seq"
) -> None:
    """`layout`: "seq2seq" (ours, the cross-attention cached) or "vit-gpt2" (the public export's)."""
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
    S = enc.size(1)
    own = [f"{i}.decoder.{kv}" for i in range(L) for kv in ("key", "value")]
    both = [f"{i}.{part}.{kv}" for i in range(L) for part in ("decoder", "encoder") for kv in ("key", "value")]
    cross_names = [f"cross_attentions.{i}" for i in range(L)]
    batch = {0: "batch_size"}
    axes = {
        "input_ids": {0: "batch_size", 1: "decoder_sequence_length"},
        "encoder_hidden_states": {0: "batch_size", 1: "encoder_sequence_length"},
        "logits": {0: "batch_size", 1: "decoder_sequence_length"},
        **{f"present.{n}": {**batch, 2: "past_decoder_sequence_length + decoder_sequence_length"} for n in own},
        **{f"present.{i}.encoder.{kv}": {**batch, 2: "encoder_sequence_length_out"} for i in range(L) for kv in ("key", "value")},
        **{n: {**batch, 2: "decoder_sequence_length", 3: "encoder_sequence_length"} for n in cross_names},
        **{f"past_key_values.{n}": {**batch, 2: "past_decoder_sequence_length"} for n in own},
        **{f"past_key_values.{i}.encoder.{kv}": {**batch, 2: "encoder_sequence_length_out"} for i in range(L) for kv in ("key", "value")},
    }
    if layout == "vit-gpt2":
        _export_gpt2_layout(model, ids, enc, out, axes, cross_names, own, (2, H, 3, hs))
    else:
        first_out = ["logits", *[f"present.{n}" for n in both], *cross_names]
        torch.onnx.export(
            _FirstDecoder(model), (ids, enc), out / "decoder_model.onnx", opset_version=OPSET,
            input_names=["input_ids", "encoder_hidden_states"], output_names=first_out,
            dynamic_axes={k: v for k, v in axes.items() if k in {"input_ids", "encoder_hidden_states", *first_out}},
        )
        past_in = [f"past_key_values.{n}" for n in both]
        past = [torch.randn(2, H, 3 if ".decoder." in n else S, hs) for n in past_in]
        past_out = ["logits", *[f"present.{n}" for n in own], *cross_names]
        torch.onnx.export(
            _PastDecoder(model), (ids[:, :1], *past), out / "decoder_with_past_model.onnx", opset_version=OPSET,
            input_names=["input_ids", *past_in], output_names=past_out,
            dynamic_axes={k: v for k, v in axes.items() if k in {"input_ids", *past_in, *past_out}},
        )
    merge_decoders(out / "decoder_model.onnx", out / "decoder_with_past_model.onnx", out / "decoder_model_merged.onnx")
    (out / "config.json").write_text(json.dumps(hf_config(enc_cfg, dec_cfg, gen), indent=2) + "\n")
    gen_json = {k: v for k, v in vars(gen).items()}
    (out / "generation_config.json").write_text(json.dumps(gen_json, indent=2) + "\n")
    (out / "preprocessor_config.json").write_text(json.dumps(preprocessor_config(enc_cfg), indent=2) + "\n")
    if tokenizer_json.resolve() != (out / "tokenizer.json").resolve():
        shutil.copyfile(tokenizer_json, out / "tokenizer.json")
    (out / "tokenizer_config.json").write_text(json.dumps(TOKENIZER_CONFIG, indent=2) + "\n")
    torch.save(model.state_dict(), out / "model.pt")


def _export_gpt2_layout(model, ids, enc, out: Path, axes: dict, cross_names: list[str], own: list[str], past_shape) -> None:
    plain = {f"present.{n}": f"present.{n.replace('.decoder', '')}" for n in own}
    plain_past = {f"past_key_values.{n}": f"past_key_values.{n.replace('.decoder', '')}" for n in own}
    presents, pasts = list(plain.values()), list(plain_past.values())
    ax = {plain.get(k, plain_past.get(k, k)): v for k, v in axes.items() if ".encoder." not in k}
    for m, args, path, inputs in (
        (_GPT2Decoder(model, False), (ids, enc), "decoder_model.onnx", ["input_ids", "encoder_hidden_states"]),
        (_GPT2Decoder(model, True), (ids[:, :1], enc, *[torch.randn(*past_shape) for _ in pasts]),
         "decoder_with_past_model.onnx", ["input_ids", "encoder_hidden_states", *pasts]),
    ):
        outputs = ["logits", *presents, *cross_names]
        torch.onnx.export(m, args, out / path, opset_version=OPSET, input_names=inputs, output_names=outputs,
                          dynamic_axes={k: v for k, v in ax.items() if k in {*inputs, *outputs}})


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoint", type=Path, help="a training checkpoint, or a bundle folder to export again")
    p.add_argument("out", type=Path)
    p.add_argument("--layout", choices=["seq2seq", "vit-gpt2"], default="seq2seq",
                   help="seq2seq: ours, cross-attention cached; vit-gpt2: the public export's layout")
    args = p.parse_args(argv)
    if args.checkpoint.is_dir():  # the same weights again (model.pt), e.g. after an export change
        model, gen = load_captioner(args.checkpoint)
        export_bundle(model, gen, args.checkpoint / "tokenizer.json", args.out, layout=args.layout)
    else:
        ck = torch.load(args.checkpoint, map_location="cpu")
        model = Captioner(ViTConfig(**ck["enc_cfg"]), GPTConfig(**ck["dec_cfg"]))
        model.load_state_dict(ck["model"])
        export_bundle(model, GenerationConfig(**ck["gen"]), args.checkpoint.parent / "tokenizer.json", args.out,
                      layout=args.layout)
    print(f"exported {args.out}")


if __name__ == "__main__":
    main()
