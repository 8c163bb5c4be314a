"""The tiny fixtures' cross-attention probabilities, for checking attention read out of ONNX graphs.

    echo '[{"image": PATH, "tokens": [...]}, ...]' | /usr/bin/python3 -m captioner.export.attention_reference FAMILY

FAMILY is a key of `fixtures.FAMILIES` (vit-gpt2 layouts, seq2seq) or `fixtures.FLORENCE_FAMILIES`
(then `--task` names the Florence-2 task); per fixture image, the decoder's input tokens, start
token first. The decoder runs one token per step with its cache, as the ONNX files and the engine
do (dynamic int8 takes its scales per call, so the steps' calls must be the same). Prints JSON: per
image `[layer][head][step][encoder position]`, each layer's cross-attention Softmax.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from . import florence
from .fixtures import FAMILIES, FLORENCE_FAMILIES, VIT_GPT2, pixel_values
from .tiny import TinyCaptioner, TinyConfig


def attention_probs(family: str, image: Path, tokens: list[int], task: str = "caption") -> list:
    """-> [layer][head][step][position] cross-attention probabilities of the family's tiny model."""
    if family in FLORENCE_FAMILIES:
        m = florence.TinyFlorence(FLORENCE_FAMILIES[family][0]).eval()
        pre, blocks = florence.FIXTURE / "preprocessor_config.json", m.blocks
        step = lambda px: m.step(px, task)
    else:
        seq2seq, numerics, _ = FAMILIES[family]
        m = TinyCaptioner(TinyConfig(), seq2seq, numerics).eval()
        pre, blocks = VIT_GPT2 / "preprocessor_config.json", m.decoder.blocks
        step = m.step
    px = pixel_values([image], json.loads(pre.read_text()))
    steps = []
    with torch.no_grad():
        run = step(px)
        for t in tokens:
            run(torch.tensor([[t]]), torch.tensor([0]))
            steps.append([blk.cross.probs[0, :, -1, :] for blk in blocks])  # per layer (heads, S)
    # (steps, layers, heads, S) -> [layer][head][step][S]
    return torch.stack([torch.stack(s) for s in steps]).permute(1, 2, 0, 3).tolist()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("family")
    p.add_argument("--task", default="caption")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    runs = json.load(sys.stdin)
    json.dump([attention_probs(args.family, Path(r["image"]), r["tokens"], args.task) for r in runs], sys.stdout)


if __name__ == "__main__":
    main()
