"""The shipped model's quality on the held-out test split (a sample of it, to keep `npm test` quick;
the model card has the full-split numbers from `python -m captioner.evaluate`)."""

from pathlib import Path

import pytest
import torch

from captioner.model import load_captioner
from captioner.data.coco import CocoCaptions
from captioner.train.evaluate import attention_mass
from captioner.data.scenes import KIND_BY_NAME, write_split
from captioner.data.tokenizer import WordTokenizer

BUNDLE = Path(__file__).parents[1] / "default"
SAMPLE = 300
EXACT_MATCH_AT_LEAST = 0.55  # regression guard: measured 0.600 on the full 1,000-image test split (model card)
ATTENTION_IN_BOX_AT_LEAST = 0.45  # regression guard: measured 0.509 on the full test split (model card)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    model, gen = load_captioner(BUNDLE)
    tok = WordTokenizer.load(BUNDLE / "tokenizer.json")
    ds = CocoCaptions(write_split(tmp_path_factory.mktemp("test-split"), "test", SAMPLE), model.encoder.cfg.image_size)
    exact, masses = 0, []
    for i in range(0, len(ds), 100):
        idx = list(range(i, min(i + 100, len(ds))))
        px, _, _ = ds.batch(idx, tok, None, 32)
        with torch.no_grad():
            hyps = model.greedy(px, gen)
        for k, (j, h) in enumerate(zip(idx, hyps)):
            exact += tok.decode(h.tokens) in ds.references[j]
            objects = ds.images[j]["scene"]["objects"]
            if len(objects) == 1:
                o = objects[0]
                m = attention_mass(model, px[k : k + 1], h.tokens, tok.ids[KIND_BY_NAME[o["kind"]][0]], o["bbox"],
                                   gen.decoder_start_token_id)
                if m is not None:
                    masses.append(m)
    return exact / len(ds), masses


def test_greedy_exact_match(results):
    exact, _ = results
    assert exact >= EXACT_MATCH_AT_LEAST, f"exact match {exact:.3f}"
    print(f"exact match on {SAMPLE} test images: {exact:.3f}")


def test_noun_attention_falls_on_the_object(results):
    _, masses = results
    assert len(masses) >= 20
    assert sum(masses) / len(masses) >= ATTENTION_IN_BOX_AT_LEAST, f"mean attention in box {sum(masses) / len(masses):.3f}"
