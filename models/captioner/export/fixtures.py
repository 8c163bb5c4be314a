"""Interface-faithful test bundles of public captioners, generated at test time.

    /usr/bin/python3 -m captioner.export.fixtures OUT

Writes into OUT one bundle folder per layout the studio must load (the real JSON configs and GPT-2
tokenizer of vit-gpt2-image-captioning, from `models/fixtures/`, beside tiny ONNX graphs with the
export's exact input/output names, dtypes and dynamic axes: see `tiny.py`), test images, and
`reference.json`: greedy and beam-5 tokens and scores of the PyTorch reference (`model/generation.py`
over `tiny.TinyCaptioner`, numerics emulating each variant) for every image and every family.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..model.generation import GenerationConfig, beam_search, greedy
from . import florence
from .merge import merge_decoders
from .tiny import TinyCaptioner, TinyConfig
from .variants import io_fp16, quantize_int8, weights_fp16

OPSET = 14
VIT_GPT2 = Path(__file__).resolve().parents[2] / "fixtures" / "vit-gpt2-image-captioning"
CONFIG_FILES = ["config.json", "generation_config.json", "preprocessor_config.json", "tokenizer.json",
                "tokenizer_config.json", "special_tokens_map.json"]
N_IMAGES = 3
# family -> (seq2seq decoder, numerics the variant's files compute with, file-name suffix)
FAMILIES = {
    "gpt2": (False, "fp32", ""),
    "gpt2-int8": (False, "int8", "_quantized"),
    "gpt2-fp16": (False, "fp16-weights", "_fp16"),
    "gpt2-fp16-io": (False, "fp16-io", "_fp16"),
    "seq2seq": (True, "fp32", ""),
}
# bundle -> (family, files: (folder inside the bundle, session base names))
LAYOUTS = {
    "optimum-top-level": ("gpt2", "", ["encoder_model", "decoder_model", "decoder_with_past_model", "decoder_model_merged"]),
    "onnx-folder": ("gpt2", "onnx", ["encoder_model", "decoder_model", "decoder_with_past_model", "decoder_model_merged"]),
    "merged-only": ("gpt2", "onnx", ["encoder_model", "decoder_model_merged"]),
    "split-only": ("gpt2", "onnx", ["encoder_model", "decoder_model", "decoder_with_past_model"]),
    "no-cache": ("gpt2", "onnx", ["encoder_model", "decoder_model"]),
    "quantized-only": ("gpt2-int8", "onnx", ["encoder_model", "decoder_model_merged"]),
    "fp16-only": ("gpt2-fp16", "onnx", ["encoder_model", "decoder_model_merged"]),
    "fp16-io": ("gpt2-fp16-io", "onnx", ["encoder_model", "decoder_model_merged"]),
    "seq2seq-merged": ("seq2seq", "onnx", ["encoder_model", "decoder_model_merged"]),
    "seq2seq-split": ("seq2seq", "onnx", ["encoder_model", "decoder_model", "decoder_with_past_model"]),
}
# Florence-2: one repository with the fp32, q8 and fp16 variants (merged decoders, as
# onnx-community ships them), and the fp32 split decoders alone
FLORENCE_SESSIONS = ["vision_encoder", "embed_tokens", "encoder_model"]
FLORENCE_FAMILIES = {"florence": ("fp32", ""), "florence-int8": ("int8", "_quantized"), "florence-fp16": ("fp16-weights", "_fp16")}
FLORENCE_LAYOUTS = {
    "florence-repo": [(fam, [*FLORENCE_SESSIONS, "decoder_model_merged"]) for fam in FLORENCE_FAMILIES],
    "florence-split": [("florence", [*FLORENCE_SESSIONS, "decoder_model", "decoder_with_past_model"])],
}
FLORENCE_FILES = ["config.json", "generation_config.json", "preprocessor_config.json", "tokenizer.json",
                  "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json"]


class _Encoder(torch.nn.Module):
    def __init__(self, m: TinyCaptioner):
        super().__init__()
        self.m = m

    def forward(self, pixel_values):
        return self.m.encoder(pixel_values)


class _Decoder(torch.nn.Module):
    """The decoder with Optimum's flat inputs and outputs (see `export_decoders`)."""

    def __init__(self, m: TinyCaptioner, with_past: bool):
        super().__init__()
        self.m, self.with_past = m, with_past

    def forward(self, input_ids, *rest):
        dec = self.m.decoder
        L = dec.c.layers
        if dec.seq2seq:
            mask, rest = rest[0], rest[1:]
            enc = None if self.with_past else rest[0]
            flat = rest if self.with_past else ()
            past = [(flat[4 * i], flat[4 * i + 1]) for i in range(L)] if self.with_past else None
            cross = [(flat[4 * i + 2], flat[4 * i + 3]) for i in range(L)] if self.with_past else None
        else:
            mask, enc, flat = None, rest[0], rest[1:]
            past = [(flat[2 * i], flat[2 * i + 1]) for i in range(L)] if self.with_past else None
            cross = None
        logits, presents, crosses = dec(input_ids, enc, past, cross)
        if mask is not None:  # the real graph masks cross-attention with it; all ones here
            logits = logits + 0.0 * mask.float().mean()
        outs = [logits]
        for i in range(L):
            outs += [*presents[i], *([] if self.with_past or not dec.seq2seq else crosses[i])]
        return tuple(outs)


def _names(L: int, seq2seq: bool, prefix: str, with_cross: bool) -> list[str]:
    if not seq2seq:
        return [f"{prefix}.{i}.{kv}" for i in range(L) for kv in ("key", "value")]
    parts = ("decoder", "encoder") if with_cross else ("decoder",)
    return [f"{prefix}.{i}.{p}.{kv}" for i in range(L) for p in parts for kv in ("key", "value")]


def export_family(m: TinyCaptioner, out: Path) -> None:
    """encoder_model, decoder_model, decoder_with_past_model and decoder_model_merged .onnx in fp32."""
    c, seq2seq = m.decoder.c, m.decoder.seq2seq
    px = torch.randn(2, 3, c.image, c.image)
    torch.onnx.export(
        _Encoder(m), (px,), out / "encoder_model.onnx", opset_version=OPSET,
        input_names=["pixel_values"], output_names=["last_hidden_state"],
        dynamic_axes={"pixel_values": {0: "batch_size", 1: "num_channels", 2: "height", 3: "width"},
                      "last_hidden_state": {0: "batch_size", 1: "encoder_sequence_length"}},
    )
    enc = m.encoder(px)
    ids = torch.tensor([[c.eos, 5], [c.eos, 6]])
    mask = torch.ones(2, enc.size(1), dtype=torch.long)
    L, H, hd = c.layers, c.heads, c.head_dim
    presents = _names(L, seq2seq, "present", with_cross=True)
    first_in = (["input_ids", "encoder_attention_mask", "encoder_hidden_states"] if seq2seq
                else ["input_ids", "encoder_hidden_states"])
    axes = {"input_ids": {0: "batch_size", 1: "decoder_sequence_length"},
            "encoder_attention_mask": {0: "batch_size", 1: "encoder_sequence_length"},
            "encoder_hidden_states": {0: "batch_size", 1: "encoder_sequence_length"},
            "logits": {0: "batch_size", 1: "decoder_sequence_length"}}
    for n in presents:
        axes[n] = ({0: "batch_size", 2: "encoder_sequence_length_out"} if ".encoder." in n
                   else {0: "batch_size", 2: "past_decoder_sequence_length + 1"})
    first_args = (ids, mask, enc) if seq2seq else (ids, enc)
    torch.onnx.export(_Decoder(m, False), first_args, out / "decoder_model.onnx", opset_version=OPSET,
                      input_names=first_in, output_names=["logits", *presents], dynamic_axes=axes)
    pasts = _names(L, seq2seq, "past_key_values", with_cross=True)
    past_t = [torch.randn(2, H, enc.size(1) if ".encoder." in n else 3, hd) for n in pasts]
    for n in pasts:
        axes[n] = ({0: "batch_size", 2: "encoder_sequence_length_out"} if ".encoder." in n
                   else {0: "batch_size", 2: "past_decoder_sequence_length"})
    with_past_in = (["input_ids", "encoder_attention_mask", *pasts] if seq2seq
                    else ["input_ids", "encoder_hidden_states", *pasts])
    with_past_args = (ids[:, :1], mask, *past_t) if seq2seq else (ids[:, :1], enc, *past_t)
    torch.onnx.export(_Decoder(m, True), with_past_args, out / "decoder_with_past_model.onnx",
                      opset_version=OPSET, input_names=with_past_in,
                      output_names=["logits", *_names(L, seq2seq, "present", with_cross=False)],
                      dynamic_axes=axes)
    merge_decoders(out / "decoder_model.onnx", out / "decoder_with_past_model.onnx", out / "decoder_model_merged.onnx")


SESSIONS = ["encoder_model", "decoder_model", "decoder_with_past_model"]


def build(out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    work = out / "_files"
    c = TinyConfig()
    images = write_images(out / "images")
    pixels = pixel_values(images, json.loads((VIT_GPT2 / "preprocessor_config.json").read_text()))
    gen = GenerationConfig(decoder_start_token_id=c.eos, bos_token_id=c.eos, eos_token_id=c.eos,
                           pad_token_id=c.eos, max_length=20)
    reference = {"images": [p.name for p in images], "generation": asdict(gen), "families": {}}
    for fam, (seq2seq, numerics, suffix) in FAMILIES.items():
        d = work / fam
        d.mkdir(parents=True, exist_ok=True)
        fp32 = work / ("seq2seq" if seq2seq else "gpt2")
        if fam in ("gpt2", "seq2seq"):
            export_family(TinyCaptioner(c, seq2seq), d)
        else:
            convert = {"int8": quantize_int8, "fp16-weights": weights_fp16, "fp16-io": io_fp16}[numerics]
            for s in SESSIONS:
                convert(fp32 / f"{s}.onnx", d / f"{s}.onnx")
            merge_decoders(d / "decoder_model.onnx", d / "decoder_with_past_model.onnx", d / "decoder_model_merged.onnx")
        if suffix:
            for f in d.glob("*.onnx"):
                f.rename(d / f"{f.stem}{suffix}.onnx")
        reference["families"][fam] = compute_reference(TinyCaptioner(c, seq2seq, numerics), pixels, gen)
    for name, (fam, folder, sessions) in LAYOUTS.items():
        bundle = out / name
        (bundle / folder).mkdir(parents=True, exist_ok=True)
        for f in CONFIG_FILES:
            shutil.copyfile(VIT_GPT2 / f, bundle / f)
        suffix = FAMILIES[fam][2]
        for s in sessions:
            os.link(work / fam / f"{s}{suffix}.onnx", bundle / folder / f"{s}{suffix}.onnx")
        reference["layouts"] = {**reference.get("layouts", {}), name: fam}
    reference["florence"] = build_florence(out, work)
    (out / "reference.json").write_text(json.dumps(reference) + "\n")
    return reference


def build_florence(out: Path, work: Path) -> dict:
    images = write_images(out / "florence-images", side=768)
    pre = json.loads((florence.FIXTURE / "preprocessor_config.json").read_text())
    pixels = pixel_values(images, pre)
    g = json.loads((florence.FIXTURE / "generation_config.json").read_text())
    known = GenerationConfig.__dataclass_fields__
    # transformers.js merges text_config's generation settings, then generation_config.json
    text = json.loads((florence.FIXTURE / "config.json").read_text())["text_config"]
    gen = GenerationConfig(**{**{k: v for k, v in text.items() if k in known}, **{k: v for k, v in g.items() if k in known}})
    greedy_gen = GenerationConfig(**{**asdict(gen), "num_beams": 1})
    beam_gen = GenerationConfig(**{**asdict(gen), "num_return_sequences": 3})
    ref = {"images": [p.name for p in images], "generation": asdict(gen), "families": {}}
    for fam, (numerics, suffix) in FLORENCE_FAMILIES.items():
        d = work / fam
        d.mkdir(parents=True, exist_ok=True)
        if fam == "florence":
            florence.export(florence.TinyFlorence(), d, merge_decoders)
        else:
            convert = {"int8": quantize_int8, "fp16-weights": weights_fp16}[numerics]
            for s in [*FLORENCE_SESSIONS, "decoder_model", "decoder_with_past_model"]:
                convert(work / "florence" / f"{s}.onnx", d / f"{s}.onnx")
            merge_decoders(d / "decoder_model.onnx", d / "decoder_with_past_model.onnx", d / "decoder_model_merged.onnx")
        m = florence.TinyFlorence(numerics).eval()
        hyp = lambda h: {"tokens": h.tokens, "sum": h.sum_logprobs, "score": h.score, "text": florence.post_process(h.tokens)}
        per_task = {}
        with torch.no_grad():
            for task in florence.PROMPTS:
                one = lambda i: m.step(pixels[i: i + 1], task)
                per_task[task] = {
                    "greedy": [hyp(greedy(one(i), 1, greedy_gen)[0]) for i in range(len(images))],
                    "beam3": [[hyp(h) for h in beam_search(one(i), 1, beam_gen)[0]] for i in range(len(images))],
                }
        ref["families"][fam] = {"suffix": suffix, "tasks": per_task}
    for name, parts in FLORENCE_LAYOUTS.items():
        bundle = out / name
        (bundle / "onnx").mkdir(parents=True, exist_ok=True)
        for f in FLORENCE_FILES:
            shutil.copyfile(florence.FIXTURE / f, bundle / f)
        for fam, sessions in parts:
            suffix = FLORENCE_FAMILIES[fam][1]
            for s in sessions:
                os.link(work / fam / f"{s}.onnx", bundle / "onnx" / f"{s}{suffix}.onnx")
    return ref


def write_images(out: Path, side: int = 224) -> list[Path]:
    """side x side RGB test images (the model's input size: no resize on loading), gradients with a bright square."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    yy, xx = np.mgrid[0:side, 0:side]
    for i in range(N_IMAGES):
        img = np.stack([(xx * (i + 1)) % 256, (yy * (3 - i)) % 256, ((xx + yy) * (i + 2) // 3) % 256], -1)
        img[40 + 30 * i: 100 + 30 * i, 60: 140] = [250, 240 - 60 * i, 30 * i]
        p = out / f"fixture-{i}.png"
        Image.fromarray(img.astype(np.uint8)).save(p)
        paths.append(p)
    return paths


def pixel_values(paths: list[Path], pre: dict) -> torch.Tensor:
    """As the studio's preprocessing computes them: u8 * (rescale / std) - mean / std, in float64, to float32."""
    arr = np.stack([np.asarray(Image.open(p).convert("RGB")).transpose(2, 0, 1) for p in paths]).astype(np.float64)
    mean = np.array(pre["image_mean"])[None, :, None, None]
    std = np.array(pre["image_std"])[None, :, None, None]
    return torch.from_numpy((arr * (pre["rescale_factor"] / std) + (-mean / std)).astype(np.float32))


def compute_reference(m: TinyCaptioner, pixels: torch.Tensor, gen: GenerationConfig) -> dict:
    """Greedy and beam-5 per image, one image at a time (int8 scales depend on the rows batched)."""
    m.eval()
    hyp = lambda h: {"tokens": h.tokens, "sum": h.sum_logprobs, "score": h.score}
    beam = GenerationConfig(**{**asdict(gen), "num_beams": 5, "num_return_sequences": 5})
    with torch.no_grad():
        return {
            "greedy": [hyp(greedy(m.step(pixels[i: i + 1]), 1, gen)[0]) for i in range(len(pixels))],
            "beam5": [[hyp(h) for h in beam_search(m.step(pixels[i: i + 1]), 1, beam)[0]] for i in range(len(pixels))],
        }


def build_florence_real(out: Path) -> None:
    """A Florence-2 bundle at Florence-2-base's shapes with random weights (fp32, onnx/ layout), for benchmarks."""
    (out / "onnx").mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        florence.export(florence.TinyFlorence(real=True).eval(), out / "onnx", merge_decoders)
    for f in ("decoder_model.onnx", "decoder_with_past_model.onnx"):
        (out / "onnx" / f).unlink()  # the merged decoder is what both runtimes load
    for f in FLORENCE_FILES:
        shutil.copyfile(florence.FIXTURE / f, out / f)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("--florence-real", action="store_true", help="only a Florence-2-base-shaped bundle (benchmarks)")
    args = p.parse_args(argv)
    torch.set_num_threads(2)
    shutil.rmtree(args.out, ignore_errors=True)
    if args.florence_real:
        build_florence_real(args.out)
        print(f"wrote a Florence-2-base-shaped bundle to {args.out}")
        return
    ref = build(args.out)
    print(f"wrote {len(ref['layouts'])} bundles to {args.out}")


if __name__ == "__main__":
    main()
