"""Golden outputs of the PyTorch reference for the parity tests of the ONNX export and the
TypeScript engine.

    /usr/bin/python3 -m captioner.export.parity ../models/default

Writes `<bundle>/parity/`: test-split scene PNGs and `golden.json` with the encoder output of two
images, 10 cached decoder steps of logits, greedy tokens, and beam-search n-best lists under several
decoding settings. `tests/test_parity.py` checks the file still matches the PyTorch model, and
`electron/core/inference/parity.test.ts` checks ONNX Runtime and the TypeScript loop against it.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..data.scenes import make_scene, split_seed
from ..data.tokenizer import WordTokenizer
from ..model.captioner import Captioner, load_captioner
from ..model.generation import GenerationConfig

N_IMAGES = 8
DECODER_STEPS = 10
# Each setting exercises a decoding option; together they cover the ones the engine offers.
BEAM_SETTINGS = [
    {"num_beams": 4, "num_return_sequences": 4},
    {"num_beams": 3, "num_return_sequences": 3, "length_penalty": 0.0},
    {"num_beams": 3, "num_return_sequences": 2, "length_penalty": 2.0, "early_stopping": True},
    {"num_beams": 4, "num_return_sequences": 2, "early_stopping": "never"},
    {"num_beams": 3, "num_return_sequences": 3, "no_repeat_ngram_size": 1},
    {"num_beams": 3, "num_return_sequences": 3, "repetition_penalty": 1.8},
    {"num_beams": 2, "num_return_sequences": 2, "min_length": 18, "max_length": 22},
    {"num_beams": 3, "num_return_sequences": 3, "max_length": 6},
    # On the flat image, the stopping bound of transformers >= 4.50 (best running beam) and of
    # 4.38-4.48 (best of all candidates, EOS included) give different n-best lists.
    {"num_beams": 3, "num_return_sequences": 3, "length_penalty": 2.0, "no_repeat_ngram_size": 2},
]
GREEDY_SETTINGS = [{}, {"no_repeat_ngram_size": 1}, {"repetition_penalty": 3.0}, {"min_length": 18}, {"max_length": 5}]


def fixture_images(out: Path) -> list[Path]:
    (out / "images").mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(N_IMAGES):
        scene, image = make_scene(split_seed("test", i))
        p = out / "images" / f"test-{i:02d}.png"
        image.save(p)
        paths.append(p)
    flat = out / "images" / "flat-008000.png"  # out of the training distribution: long searches
    Image.new("RGB", (96, 96), (0, 128, 0)).save(flat)
    return paths + [flat]


def pixels(paths: list[Path]) -> torch.Tensor:
    arr = np.stack([np.asarray(Image.open(p).convert("RGB")).transpose(2, 0, 1) for p in paths])
    return torch.from_numpy(arr).float().div(127.5).sub(1.0)


def hyp_json(h) -> dict:
    return {"tokens": h.tokens, "sum": h.sum_logprobs, "score": h.score}


@torch.no_grad()
def compute(model: Captioner, gen: GenerationConfig, tok: WordTokenizer, paths: list[Path]) -> dict:
    px = pixels(paths)
    enc = model.encoder(px)
    # 10 decoder steps with the cache, teacher-forced on image 0's greedy caption padded by its own tokens
    greedy0 = model.greedy(px[:1], gen)[0].tokens
    forced = ([gen.decoder_start_token_id] + greedy0 + greedy0)[:DECODER_STEPS]
    past, step_logits = None, []
    for t in forced:
        logits, past, _ = model.decoder(torch.tensor([[t]]), enc[:1], past)
        step_logits.append(logits[0, -1].tolist())
    return {
        "images": [p.name for p in paths],
        "encoder": {"images": 2, "shape": list(enc[:2].shape), "last_hidden_state": enc[:2].flatten().tolist()},
        "decoder_steps": {"input_ids": forced, "logits": step_logits},
        "greedy": [
            {"settings": s, "results": [hyp_json(h) for h in model.greedy(px, replace(gen, **s))]}
            for s in GREEDY_SETTINGS
        ],
        "beam": [
            {"settings": s, "results": [[hyp_json(h) for h in nbest] for nbest in model.beam_search(px, replace(gen, **s))]}
            for s in BEAM_SETTINGS
        ],
        "generation_config": asdict(gen),
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("bundle", type=Path)
    args = p.parse_args(argv)
    torch.set_num_threads(2)
    model, gen = load_captioner(args.bundle)
    tok = WordTokenizer.load(args.bundle / "tokenizer.json")
    out = args.bundle / "parity"
    golden = compute(model, gen, tok, fixture_images(out))
    (out / "golden.json").write_text(json.dumps(golden))
    print(f"wrote {out / 'golden.json'}")


if __name__ == "__main__":
    main()
