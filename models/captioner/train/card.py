"""Write the default bundle's model card (README.md) from the training log and the evaluation.

    /usr/bin/python3 -m captioner.train.card runs/default/ckpt.pt default report.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from ..data.scenes import COLOURS, KINDS, SIZES


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoint", type=Path)
    p.add_argument("bundle", type=Path)
    p.add_argument("report", type=Path)
    args = p.parse_args(argv)
    ck = torch.load(args.checkpoint, map_location="cpu")
    rep = json.loads(args.report.read_text())
    log = ck["log"]
    # minutes restart at each resume: add up the segments
    resumes = sum(1 for a, b in zip(log, log[1:]) if b["minutes"] < a["minutes"])
    total_minutes = sum(e["minutes"] for e, nxt in zip(log, log[1:] + [None]) if nxt is None or nxt["minutes"] < e["minutes"])
    enc, dec = ck["enc_cfg"], ck["dec_cfg"]
    params = sum(v.numel() for k, v in ck["model"].items() if k != "decoder.lm_head.weight")
    size = sum(f.stat().st_size for f in args.bundle.glob("*.onnx")) / 2**20
    m = rep.get("metrics", {})
    bleu = m.get("bleu", [float("nan")] * 4)
    epochs = "\n".join(
        f"| {e['epoch']} | {e['step']} | {e['val_loss']:.4f} | {e.get('val_exact_match', float('nan')):.3f} | {e['minutes']:.1f} |"
        for e in log
    )
    card = f"""# Caption Studio default captioner

A small image captioner trained from scratch on CPU, shipped so captioning works offline out of the
box. Vision Transformer encoder + GPT-style decoder with cross-attention (code: `models/captioner/`),
exported in the Hugging Face ONNX layout for VisionEncoderDecoder models.

## Data

Procedurally generated scenes (`models/captioner/data/scenes.py`), {enc['image_size']} x {enc['image_size']} px: one or two
groups of 1-3 glyphs of one kind, colour and size; two groups stand in a spatial relation (above /
to the left of). {len(KINDS)} object kinds (glyphs of Debian's Symbola font), {len(COLOURS)} colours, 2 sizes
({SIZES['small']} / {SIZES['large']} px), tinted flat/gradient/striped/blotchy backgrounds with pixel noise; objects sit
near the cells of the encoder's patch grid, jittered so they cross patch borders and may touch or
partly cover each other. Five reference captions per image in varied phrasing. Splits are disjoint
ranges of generator seeds: train 60,000 images, validation 1,000, test {rep['images']:,} (seeds 20,000,000+).
No photographs: this model captions scenes like these, not holiday pictures; drop in a public
bundle (e.g. vit-gpt2-image-captioning) for photos.

## Model

| | |
| --- | --- |
| encoder | ViT, patch {enc['patch_size']} ({enc['image_size'] // enc['patch_size']} x {enc['image_size'] // enc['patch_size']} patches + class token), width {enc['hidden_size']}, {enc['num_layers']} layers, {enc['num_heads']} heads |
| decoder | GPT-style, width {dec['hidden_size']}, {dec['num_layers']} layers, {dec['num_heads']} heads, cross-attention in every layer, tied LM head |
| vocabulary | {dec['vocab_size']} word-level tokens (`tokenizer.json`, WordPiece type so JavaScript tokenizers load it) |
| parameters | {params / 1e6:.2f} M |
| ONNX files | {size:.1f} MiB (encoder, decoder, decoder with past, merged decoder); extra outputs `cross_attentions.{{i}}` |

## Training

AdamW (lr 2e-3, warm-up then cosine), batch 64, teacher-forced cross-entropy ignoring padding, on
2 CPU cores (PyTorch 1.13 from Debian, OpenBLAS): {total_minutes:.0f} minutes of training in all ({len(log)} epochs;
the run was resumed {resumes} time(s), each time stretching the cosine schedule to the new epoch
count; other work shared the machine, so an undisturbed run is faster), plus about 3 minutes to
render the data.
`/usr/bin/python3 -m captioner.train` reproduces it (seeded, resumable).

| epoch | step | val loss | val greedy exact match | minutes since (re)start |
| --- | --- | --- | --- | --- |
{epochs}

## Test metrics ({rep['images']:,} test images, greedy decoding)

| metric | value |
| --- | --- |
| exact match (greedy caption equals one of the 5 references) | {rep['exact_match'] * 100:.1f} % |
| BLEU-1 / 2 / 3 / 4 | {bleu[0]:.3f} / {bleu[1]:.3f} / {bleu[2]:.3f} / {bleu[3]:.3f} |
| CIDEr-D | {m.get('cider_d', float('nan')):.3f} |
| ROUGE-L | {m.get('rouge_l', float('nan')):.3f} |
| cross-attention on the object's box (single-object images, noun step, last layer) | {rep['attention_mass_in_box_mean'] * 100:.1f} % of patch attention on average; {rep['attention_share_images_at_least_half'] * 100:.0f} % of {rep['single_object_images_with_noun']} images at 50 % or more |

Metrics by the project's own coco-caption-compatible code (`caption-studio metrics`);
`/usr/bin/python3 -m captioner.train.evaluate default` reproduces this table.
"""
    (args.bundle / "README.md").write_text(card)
    print(card)


if __name__ == "__main__":
    main()
