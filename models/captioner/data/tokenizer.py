"""Word-level tokenizer saved as a Hugging Face `tokenizer.json`.

Our captions use a closed vocabulary, so every word is one token. The file uses the `WordPiece`
model type (every word is a whole-word piece) because both Hugging Face `tokenizers` and the
JavaScript `@huggingface/tokenizers` load it; the latter has no `WordLevel` model. Encoding here
mirrors what that file tells them: lower-case, split on white space and punctuation, look up.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS = [PAD, BOS, EOS, UNK]
_SPLIT = re.compile(r"\w+|[^\w\s]+")  # the `Whitespace` pre-tokenizer's pattern


def normalise(caption: str) -> str:
    """Caption normalisation for training and references: lower-case, words only, single spaces."""
    return " ".join(re.findall(r"[a-z0-9]+", caption.lower()))


class WordTokenizer:
    def __init__(self, vocab: list[str]):
        if vocab[: len(SPECIALS)] != SPECIALS:
            raise ValueError(f"vocabulary must start with {SPECIALS}")
        self.vocab = vocab
        self.ids = {w: i for i, w in enumerate(vocab)}
        self.pad_id, self.bos_id, self.eos_id, self.unk_id = (self.ids[s] for s in SPECIALS)

    @classmethod
    def build(cls, captions: list[str]) -> "WordTokenizer":
        words = sorted({w for c in captions for w in _SPLIT.findall(c.lower())})
        return cls(SPECIALS + words)

    def encode(self, text: str) -> list[int]:
        return [self.ids.get(w, self.unk_id) for w in _SPLIT.findall(text.lower())]

    def decode(self, ids: list[int]) -> str:
        specials = {self.pad_id, self.bos_id, self.eos_id}
        return " ".join(self.vocab[i] for i in ids if i not in specials)

    def to_hf_json(self) -> dict:
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [
                {"id": self.ids[s], "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                 "normalized": False, "special": True}
                for s in SPECIALS
            ],
            "normalizer": {"type": "Lowercase"},
            "pre_tokenizer": {"type": "Whitespace"},
            "post_processor": None,
            "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
            "model": {"type": "WordPiece", "unk_token": UNK, "continuing_subword_prefix": "##",
                      "max_input_chars_per_word": 100, "vocab": self.ids},
        }

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_hf_json(), indent=1, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> "WordTokenizer":
        vocab = json.loads(Path(path).read_text())["model"]["vocab"]
        return cls([w for w, _ in sorted(vocab.items(), key=lambda kv: kv[1])])
