"""Evaluate a bundle on the held-out test split: exact match, BLEU/CIDEr-D/ROUGE-L, attention.

    /usr/bin/python3 -m captioner.train.evaluate default --count 1000 [--data data]

* exact match: the greedy caption equals one of the image's five references (normalised);
* BLEU-1..4, CIDEr-D, ROUGE-L: computed by the project's own metric code (`caption-studio
  metrics`, the TypeScript implementation tested against coco-caption) on greedy captions;
* attention: for test images of a single object, the share of the last decoder layer's
  cross-attention (averaged over heads, over the patch tokens) that the step producing the object's
  noun puts on patches overlapping the object's box.
Prints a JSON report.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import torch

from ..model.captioner import load_captioner
from ..data.coco import CocoCaptions
from ..data.scenes import KIND_BY_NAME
from ..data.tokenizer import WordTokenizer
from .train import ensure_split

REPO = Path(__file__).resolve().parents[2]


def patch_box_mask(bbox, grid: int, patch: int) -> torch.Tensor:
    """(grid*grid,) bool: patches whose square overlaps the box."""
    x0, y0, x1, y1 = bbox
    m = torch.zeros(grid, grid, dtype=torch.bool)
    m[y0 // patch : (y1 - 1) // patch + 1, x0 // patch : (x1 - 1) // patch + 1] = True
    return m.flatten()


@torch.no_grad()
def attention_mass(model, px, tokens: list[int], noun_id: int, bbox, start_id: int) -> float | None:
    """Mass on the box at the step that generated `noun_id` (None if the caption lacks it)."""
    if noun_id not in tokens:
        return None
    step = tokens.index(noun_id)
    enc = model.encoder(px)
    ids = torch.tensor([[start_id] + tokens[:step]])
    _, _, crosses = model.decoder(ids, enc)
    att = crosses[-1][0, :, -1, :].mean(0)  # (S,): heads averaged, at the noun's step
    cfg = model.encoder.cfg
    patches = att[1:]  # drop the class token
    patches = patches / patches.sum()
    return float(patches[patch_box_mask(bbox, cfg.grid, cfg.patch_size)].sum())


def corpus_metrics(refs: list[list[str]], hyps: list[str]) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"items": [{"references": r, "hypothesis": h} for r, h in zip(refs, hyps)]}, f)
    out = subprocess.run(["node", str(REPO / "bin/caption-studio.mjs"), "metrics", f.name],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("bundle", type=Path)
    p.add_argument("--data", type=Path, default=Path("data"))
    p.add_argument("--split", default="test")
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--no-metrics", action="store_true")
    args = p.parse_args(argv)
    torch.set_num_threads(2)
    model, gen = load_captioner(args.bundle)
    tok = WordTokenizer.load(args.bundle / "tokenizer.json")
    path = ensure_split(args.data, args.split, args.count)
    ds = CocoCaptions(path, model.encoder.cfg.image_size)
    hyps, exact, masses = [], 0, []
    for i in range(0, len(ds), 64):
        idx = list(range(i, min(i + 64, len(ds))))
        px, _, _ = ds.batch(idx, tok, None, 32)
        for j, h in zip(idx, model.greedy(px, gen)):
            text = tok.decode(h.tokens)
            hyps.append(text)
            exact += text in ds.references[j]
            scene = ds.images[j]["scene"]
            if len(scene["objects"]) == 1:
                o = scene["objects"][0]
                noun = tok.ids[KIND_BY_NAME[o["kind"]][0]]
                m = attention_mass(model, px[idx.index(j) : idx.index(j) + 1], h.tokens, noun, o["bbox"], gen.decoder_start_token_id)
                if m is not None:
                    masses.append(m)
    report = {
        "split": args.split, "images": len(ds), "exact_match": exact / len(ds),
        "single_object_images_with_noun": len(masses),
        "attention_mass_in_box_mean": sum(masses) / max(1, len(masses)),
        "attention_share_images_at_least_half": sum(m >= 0.5 for m in masses) / max(1, len(masses)),
    }
    if not args.no_metrics:
        report["metrics"] = corpus_metrics(ds.references, hyps)
    report["samples"] = [{"greedy": h, "reference": r[0]} for h, r in list(zip(hyps, ds.references))[:8]]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
