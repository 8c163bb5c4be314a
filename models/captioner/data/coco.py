"""COCO captions data: `images[]` + `annotations[{image_id, caption}]`, decoded once and cached.

Pixels are kept as uint8 (N, 3, H, W) in a `.npy` beside the JSON so epochs after the first cost no
PNG decoding; references stay as normalised strings, tokenised per batch.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .tokenizer import WordTokenizer, normalise


class CocoCaptions:
    def __init__(self, json_path: str | Path, image_size: int):
        self.json_path = Path(json_path)
        data = json.loads(self.json_path.read_text())
        self.images = data["images"]
        by_id: dict[int, list[str]] = {im["id"]: [] for im in self.images}
        for ann in data["annotations"]:
            if ann["image_id"] not in by_id:
                raise ValueError(f"{json_path}: annotation {ann.get('id')} names unknown image {ann['image_id']}")
            by_id[ann["image_id"]].append(normalise(ann["caption"]))
        self.references = [by_id[im["id"]] for im in self.images]
        self.pixels = self._load_pixels(image_size)

    def _load_pixels(self, size: int) -> np.ndarray:
        cache = self.json_path.with_suffix(f".{size}.npy")
        if cache.exists() and cache.stat().st_mtime >= self.json_path.stat().st_mtime:
            arr = np.load(cache)
            if len(arr) == len(self.images):
                return arr
        root = self.json_path.parent
        arr = np.stack([
            np.asarray(Image.open(root / im["file_name"]).convert("RGB").resize((size, size), Image.BILINEAR))
            .transpose(2, 0, 1)
            for im in self.images
        ])
        np.save(cache, arr)
        return arr

    def __len__(self) -> int:
        return len(self.images)

    def batch(self, idx: list[int], tok: WordTokenizer, rng: random.Random | None, max_len: int):
        """pixel_values (B, 3, H, W) normalised to [-1, 1]; input_ids/labels (B, T) padded with pad.

        With rng, the canonical (first) reference half the time, else one of the others at random:
        every phrasing is learnt, and greedy decoding settles on the canonical one instead of
        wavering between phrasings mid-caption. Without rng, always the canonical reference.
        """
        pixel_values = torch.from_numpy(self.pixels[idx]).float().div_(127.5).sub_(1.0)
        seqs = []
        for i in idx:
            refs = self.references[i]
            caption = refs[0] if rng is None or rng.random() < 0.5 or len(refs) == 1 else rng.choice(refs[1:])
            seqs.append([tok.bos_id] + tok.encode(caption)[: max_len - 2] + [tok.eos_id])
        T = max(len(s) for s in seqs) - 1
        input_ids = torch.full((len(idx), T), tok.pad_id, dtype=torch.long)
        labels = torch.full((len(idx), T), tok.pad_id, dtype=torch.long)
        for b, s in enumerate(seqs):
            input_ids[b, : len(s) - 1] = torch.tensor(s[:-1])
            labels[b, : len(s) - 1] = torch.tensor(s[1:])
        return pixel_values, input_ids, labels
