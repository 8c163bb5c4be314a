"""A tiny CLIP with the public ONNX interface, and the CLIPScore reference computed with it.

    /usr/bin/python3 -m scorer.clip OUT

Writes OUT/clip-repo: a bundle laid out like Xenova/clip-vit-base-patch32 — `onnx/text_model.onnx`
(CLIPTextModelWithProjection: `input_ids` [batch, seq] int64 -> `text_embeds` [batch, 512],
`last_hidden_state` [batch, seq, width]), `onnx/vision_model.onnx` (CLIPVisionModelWithProjection:
`pixel_values` [batch, 3, 224, 224] -> `image_embeds` [batch, 512], `last_hidden_state`), their
`_quantized` (int8) copies, `preprocessor_config.json` — with random weights at a tiny width; plus
OUT/clip-images (6 photos of different shapes) and OUT/clip-reference.json: the PIL-preprocessed
pixels (float32 files) and CLIPScore/RefCLIPScore of 6 images x 5 captions computed in PyTorch as
jmhessel/clipscore computes them (Hessel et al., EMNLP 2021).

References: openai/CLIP `clip/model.py` (the towers: pre-LN residual blocks, QuickGELU, causal text
mask, text read at the end token, image at the class token after `ln_post`); HF `CLIPTextModelWithProjection`,
`CLIPVisionModelWithProjection` (the exported names). Embeddings are not normalised, as in the exports.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from captioner.export.variants import quantize_int8  # noqa: E402
from scorer import clip_tokenizer  # noqa: E402

MERGES = Path(__file__).resolve().parents[1] / "fixtures" / "clip" / "bpe_simple_vocab_16e6.txt.gz"
OPSET = 14
PREFIX = "A photo depicts "  # jmhessel/clipscore prefixes every caption and reference
W = 2.5  # CLIPScore's weight
SHARE = 0.4  # text projection += SHARE x image projection: tuned so cosines have both signs (clipping at 0 exercised)
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]


@dataclass
class ClipConfig:
    vocab: int = 49408  # the real vocabulary: ids from the real tokenizer index it
    context: int = 77
    width: int = 32  # tiny (ViT-B/32: 512 text, 768 vision)
    heads: int = 4
    layers: int = 2
    image: int = 224
    patch: int = 32  # ViT-B/32's patch: 7 x 7 patches + the class token
    projection: int = 512  # the public embedding size


class Attention(nn.Module):
    def __init__(self, c: ClipConfig):
        super().__init__()
        self.heads = c.heads
        self.qkv = nn.Linear(c.width, 3 * c.width)
        self.out = nn.Linear(c.width, c.width)

    def forward(self, x, mask=None):
        B, T, C = x.shape  # batch, tokens, width
        q, k, v = self.qkv(x).split(C, dim=-1)
        q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))  # (B, nh, T, hs)
        att = q @ k.transpose(-2, -1) / (C // self.heads) ** 0.5  # (B, nh, T, T)
        if mask is not None:
            att = att + mask
        y = F.softmax(att, dim=-1) @ v  # (B, nh, T, hs)
        return self.out(y.transpose(1, 2).reshape(B, T, C))


class Mlp(nn.Module):
    def __init__(self, c: ClipConfig):
        super().__init__()
        self.fc1 = nn.Linear(c.width, 4 * c.width)
        self.fc2 = nn.Linear(4 * c.width, c.width)

    def forward(self, x):
        h = self.fc1(x)
        return self.fc2(h * torch.sigmoid(1.702 * h))  # QuickGELU, as openai/CLIP


class Block(nn.Module):
    def __init__(self, c: ClipConfig):
        super().__init__()
        self.ln1, self.attn, self.ln2, self.mlp = nn.LayerNorm(c.width), Attention(c), nn.LayerNorm(c.width), Mlp(c)

    def forward(self, x, mask=None):
        x = x + self.attn(self.ln1(x), mask)
        return x + self.mlp(self.ln2(x))


class TextTower(nn.Module):
    def __init__(self, c: ClipConfig):
        super().__init__()
        self.embed = nn.Embedding(c.vocab, c.width)
        self.position = nn.Parameter(torch.randn(c.context, c.width) * 0.1)
        self.blocks = nn.ModuleList(Block(c) for _ in range(c.layers))
        self.ln_final = nn.LayerNorm(c.width)
        self.projection = nn.Linear(c.width, c.projection, bias=False)
        # causal: a token sees itself and what precedes it, so end-token padding changes nothing before it
        self.register_buffer("causal", torch.full((c.context, c.context), float("-inf")).triu(1))

    def forward(self, input_ids):
        B, T = input_ids.shape  # batch, tokens
        x = self.embed(input_ids) + self.position[:T]  # (B, T, C)
        mask = self.causal[:T, :T]
        for b in self.blocks:
            x = b(x, mask)
        x = self.ln_final(x)
        # the end token has the largest id: its first position (argmax returns the first, padding comes after)
        end = input_ids.argmax(-1)  # (B,)
        pooled = torch.gather(x, 1, end[:, None, None].expand(B, 1, x.shape[-1])).squeeze(1)  # (B, C)
        return self.projection(pooled), x


class VisionTower(nn.Module):
    def __init__(self, c: ClipConfig):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, c.width, c.patch, c.patch, bias=False)
        self.class_token = nn.Parameter(torch.randn(c.width) * 0.1)
        self.position = nn.Parameter(torch.randn((c.image // c.patch) ** 2 + 1, c.width) * 0.1)
        self.ln_pre = nn.LayerNorm(c.width)
        self.blocks = nn.ModuleList(Block(c) for _ in range(c.layers))
        self.ln_post = nn.LayerNorm(c.width)
        self.projection = nn.Linear(c.width, c.projection, bias=False)

    def forward(self, pixel_values):
        x = self.patch_embed(pixel_values)  # (B, C, 7, 7)
        B, C = x.shape[:2]
        x = x.flatten(2).transpose(1, 2)  # (B, 49, C)
        x = torch.cat([self.class_token.expand(B, 1, C), x], dim=1) + self.position  # (B, 50, C)
        x = self.ln_pre(x)
        for b in self.blocks:
            x = b(x)
        return self.projection(self.ln_post(x[:, 0])), x


def export(text: TextTower, vision: VisionTower, onnx_dir: Path) -> None:
    onnx_dir.mkdir(parents=True, exist_ok=True)
    ids = torch.tensor([[49406, 320, 1125, 49407, 49407]])
    torch.onnx.export(text, (ids,), onnx_dir / "text_model.onnx", input_names=["input_ids"],
                      output_names=["text_embeds", "last_hidden_state"], opset_version=OPSET,
                      dynamic_axes={"input_ids": {0: "batch_size", 1: "sequence_length"},
                                    "text_embeds": {0: "batch_size"},
                                    "last_hidden_state": {0: "batch_size", 1: "sequence_length"}})
    torch.onnx.export(vision, (torch.zeros(1, 3, 224, 224),), onnx_dir / "vision_model.onnx",
                      input_names=["pixel_values"], output_names=["image_embeds", "last_hidden_state"],
                      opset_version=OPSET, dynamic_axes={"pixel_values": {0: "batch_size"},
                                                         "image_embeds": {0: "batch_size"},
                                                         "last_hidden_state": {0: "batch_size"}})
    for name in ("text_model", "vision_model"):
        quantize_int8(onnx_dir / f"{name}.onnx", onnx_dir / f"{name}_quantized.onnx")


def write_images(out: Path) -> list[Path]:
    """Six photos-like images of different shapes (landscape, portrait, square, small, large)."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(28)
    paths = []
    for i, (w, h) in enumerate([(320, 240), (240, 320), (224, 224), (500, 300), (181, 263), (640, 427)]):
        y, x = np.mgrid[0:h, 0:w]
        base = np.stack([x / w * 255, y / h * 255, (x + y) % 97 * 2.6], axis=-1)
        img = np.clip(base * (0.5 + 0.5 * rng.random(3)) + rng.normal(0, 18, (h, w, 3)), 0, 255).astype(np.uint8)
        p = out / f"clip-{i}.{'png' if i % 2 else 'jpg'}"
        Image.fromarray(img).save(p, quality=92) if p.suffix == ".jpg" else Image.fromarray(img).save(p)
        paths.append(p)
    return paths


def preprocess(path: Path) -> torch.Tensor:
    """As CLIPImageProcessor does it: the shortest edge to 224 (bicubic; the long edge int(224 * long / short),
    as HF and torchvision compute it), centre crop 224 (HF's floor((size - 224) / 2) offsets), RGB, /255,
    CLIP mean/std. (clipscore's torchvision CenterCrop rounds the offset instead: a one-pixel shift when
    the excess is odd.)"""
    im = Image.open(path).convert("RGB")
    w, h = im.size
    short, long = min(w, h), max(w, h)
    new = (224, int(224 * long / short)) if w <= h else (int(224 * long / short), 224)
    im = im.resize(new, Image.BICUBIC)
    left, top = (new[0] - 224) // 2, (new[1] - 224) // 2
    a = np.asarray(im.crop((left, top, left + 224, top + 224)), dtype=np.float32) / np.float32(255.0)
    a = (a - np.array(MEAN, np.float32)) / np.array(STD, np.float32)
    return torch.from_numpy(a.transpose(2, 0, 1).copy())  # (3, 224, 224)


def unit(x: torch.Tensor) -> torch.Tensor:
    return x / x.norm(dim=-1, keepdim=True)


CAPTIONS = [
    ["a cat on a sofa", "two dogs running on the beach", "", "A RED car, parked!", "a bowl of fruit"],
    ["a man riding a horse", "snow-covered mountains at dawn", "a cat on a sofa", "café in Paris 🇫🇷", "x"],
    ["a plate of pasta", "children playing football in a park", "a bridge over a river", "🐶🐶", "night city"],
    [" ".join(["a very long caption about a busy street"] * 12), "a lighthouse", "a train", "boats", "tea"],
    ["a bird on a wire", "a blue sky with clouds", "an old book", "42 balloons", "Ørsted wind farm"],
    ["a red bicycle against a wall", "sunset over the sea", "a cup of coffee", "a dog", "flowers in a vase"],
]
REFERENCES = [
    ["a cat sleeping on a couch", "a grey cat"],
    ["a person on a horse", "a rider in a field", "a horse"],
    ["spaghetti on a plate"],
    ["a crowded street in a city", "people walking"],
    ["a small bird sitting on a power line", "a bird"],
    ["a bicycle leaning on a wall", "a red bike"],
]


def scores(text: TextTower, vision: VisionTower, pixels: torch.Tensor) -> dict:
    """CLIPScore and RefCLIPScore per (image, caption), as jmhessel/clipscore computes them."""
    ids, rank, table = clip_tokenizer.load(MERGES)
    enc = lambda texts: unit(torch.stack([text(torch.tensor([clip_tokenizer.encode(PREFIX + t, ids, rank, table)]))[0][0]
                                           for t in texts]))
    with torch.no_grad():
        images = unit(vision(pixels)[0])  # (6, 512)
        clip_s, ref_clip_s = [], []
        for i, caps in enumerate(CAPTIONS):
            c, r = enc(caps), enc(REFERENCES[i])  # (5, 512), (R, 512)
            s = W * (c @ images[i]).clamp(min=0)  # (5,)
            ref = (c @ r.T).max(dim=1).values  # (5,): the reference side is not clipped in that code
            hm = torch.where(s + ref == 0, torch.zeros_like(s), 2 * s * ref / (s + ref))
            clip_s.append(s.tolist())
            ref_clip_s.append(hm.tolist())
    return {"clip_score": clip_s, "ref_clip_score": ref_clip_s}


def build(out: Path) -> None:
    torch.manual_seed(28)
    c = ClipConfig()
    text, vision = TextTower(c).eval(), VisionTower(c).eval()
    with torch.no_grad():
        text.projection.weight.add_(SHARE * vision.projection.weight)
    repo = out / "clip-repo"
    with torch.no_grad():
        export(text, vision, repo / "onnx")
    pre = {"crop_size": {"height": 224, "width": 224}, "do_center_crop": True, "do_convert_rgb": True,
           "do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": MEAN, "image_std": STD,
           "feature_extractor_type": "CLIPFeatureExtractor", "image_processor_type": "CLIPImageProcessor",
           "resample": 3, "rescale_factor": 1 / 255, "size": {"shortest_edge": 224}}
    (repo / "preprocessor_config.json").write_text(json.dumps(pre, indent=2) + "\n")
    with gzip.open(MERGES, "rt", encoding="utf-8") as f:  # HF's merges.txt: the header line and the merges
        (repo / "merges.txt").write_text("\n".join(["#version: 0.2", *f.read().split("\n")[1: 1 + 49152 - 256 - 2]]) + "\n")
    (repo / "config.json").write_text(json.dumps({"model_type": "clip", "projection_dim": c.projection}) + "\n")
    paths = write_images(out / "clip-images")
    pixels = torch.stack([preprocess(p) for p in paths])
    pixel_files = []
    for p, px in zip(paths, pixels):
        f = p.with_suffix(".pixels.f32")
        f.write_bytes(px.numpy().astype("<f4").tobytes())
        pixel_files.append(f.name)
    ref = {"images": [p.name for p in paths], "pixels": pixel_files, "prefix": PREFIX, "w": W,
           "captions": CAPTIONS, "references": REFERENCES, **scores(text, vision, pixels)}
    (out / "clip-reference.json").write_text(json.dumps(ref) + "\n")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    args = p.parse_args(argv)
    torch.set_num_threads(2)
    for d in ("clip-repo", "clip-images"):
        shutil.rmtree(args.out / d, ignore_errors=True)
    build(args.out)
    print(f"wrote the CLIP fixture to {args.out}")


if __name__ == "__main__":
    main()
