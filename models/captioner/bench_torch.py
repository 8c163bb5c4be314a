"""PyTorch eager baseline for bench/engine.ts: images/s of greedy and beam-5 on the given files.

    /usr/bin/python3 -m captioner.bench_torch <bundle> <threads> <image files...>

Prints one JSON line: {"greedy": img/s, "beam5": img/s}. Decoding of the files is timed too, as
it is for the other contestants.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace

import numpy as np
import torch
from PIL import Image

from .model.captioner import load_captioner


def main() -> None:
    bundle, threads, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    torch.set_num_threads(threads)
    model, gen = load_captioner(bundle)
    size = model.encoder.cfg.image_size

    def load(fs):
        arr = np.stack([np.asarray(Image.open(f).convert("RGB").resize((size, size), Image.BILINEAR)).transpose(2, 0, 1) for f in fs])
        return torch.from_numpy(arr).float().div(127.5).sub(1.0)

    def timed(fn) -> float:
        fn(files[:8])  # warm-up
        t = time.perf_counter()
        for i in range(0, len(files), 16):
            fn(files[i : i + 16])
        return len(files) / (time.perf_counter() - t)

    out = {
        "greedy": timed(lambda fs: model.greedy(load(fs), gen)),
        "beam5": timed(lambda fs: model.beam_search(load(fs), replace(gen, num_beams=5, num_return_sequences=5))),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
