"""Procedural captioned scenes: the studio's training data and test fixtures.

No photo caption data set or pretrained weights can be fetched where this project is built, so the
default model learns from scenes we render ourselves. Each scene holds one or two groups of
objects; a group is 1-3 glyphs of one kind, colour and size, and two groups stand in a spatial
relation ("two red stars above a small blue square"). Glyphs come from Debian's Symbola font
(fonts-symbola): two dozen kinds of object. Backgrounds are tinted gradients, stripes or blotches,
with pixel noise, and objects may partly occlude each other.

Every scene is a pure function of its seed, so a split is just a range of seeds:
train, val and test never share one (see SPLIT_SEED_BASE).
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageFont, ImageOps

IMAGE_SIZE = 96
FONT_PATH = "/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf"

# (singular, plural, glyph): two dozen kinds whose Symbola glyphs are solid, distinct silhouettes
# (thin-outlined emoji drawings were tried first and were not learnable in the CPU budget).
KINDS = [
    ("circle", "circles", "\u25cf"), ("square", "squares", "\u25a0"), ("triangle", "triangles", "\u25b2"),
    ("star", "stars", "\u2605"), ("heart", "hearts", "\u2665"), ("diamond", "diamonds", "\u25c6"),
    ("cross", "crosses", "\u271a"), ("moon", "moons", "\u263e"), ("hourglass", "hourglasses", "\u231b"),
    ("cloud", "clouds", "\u2601"), ("umbrella", "umbrellas", "\u2602"), ("castle", "castles", "\u265c"),
    ("flower", "flowers", "\u273f"), ("note", "notes", "\u266a"), ("plane", "planes", "\u2708"),
    ("anchor", "anchors", "\u2693"), ("phone", "phones", "\u260e"), ("cup", "cups", "\u2615"),
    ("bolt", "bolts", "\u26a1"), ("flag", "flags", "\u2691"), ("spade", "spades", "\u2660"),
    ("club", "clubs", "\u2663"), ("horse", "horses", "\u265e"), ("crown", "crowns", "\u265b"),
]
COLOURS = {
    "red": (214, 32, 36), "green": (30, 150, 50), "blue": (30, 70, 210), "yellow": (240, 210, 20),
    "purple": (128, 40, 170), "orange": (245, 130, 20), "black": (15, 15, 15), "white": (250, 250, 250),
}
SIZES = {"small": (13, 16), "large": (26, 30)}  # glyph box side in pixels
COUNT_WORDS = {1: "a", 2: "two", 3: "three"}
RELATIONS = {"above": "below", "to the left of": "to the right of"}
SPLIT_SEED_BASE = {"train": 0, "val": 10_000_000, "test": 20_000_000}


@dataclass
class Obj:
    kind: str
    colour: str
    size: str
    bbox: tuple[int, int, int, int]  # x0, y0, x1, y1 of the rendered glyph (exclusive end)


@dataclass
class Group:
    kind: str
    colour: str
    size: str
    count: int

    def phrase(self, one: bool = False) -> str:
        singular, plural, _ = KIND_BY_NAME[self.kind]
        count = "one" if one and self.count == 1 else COUNT_WORDS[self.count]
        return f"{count} {self.size} {self.colour} {singular if self.count == 1 else plural}"


KIND_BY_NAME = {k[0]: k for k in KINDS}


@dataclass
class Scene:
    seed: int
    groups: list[Group]
    relation: str | None  # groups[0] <relation> groups[1]
    objects: list[Obj]

    def references(self) -> list[str]:
        """Five reference captions in varied phrasing; the first is the canonical one."""
        a = self.groups[0]
        be = "is" if a.count == 1 else "are"
        if self.relation is None:
            tail = "one" if a.count == 1 else None
            return [
                a.phrase(),
                f"there {be} {a.phrase()}",
                f"a picture of {a.phrase()}",
                f"an image of {a.phrase()}",
                a.phrase(one=True) if tail else f"{a.phrase()} in the image",
            ]
        b = self.groups[1]
        rel, inv = self.relation, RELATIONS[self.relation]
        return [
            f"{a.phrase()} {rel} {b.phrase()}",
            f"there {be} {a.phrase()} {rel} {b.phrase()}",
            f"{b.phrase()} {inv} {a.phrase()}",
            f"a picture of {a.phrase()} {rel} {b.phrase()}",
            f"{a.phrase()} {be} {rel} {b.phrase()}",
        ]


_glyph_cache: dict[str, Image.Image] = {}


def _glyph_mask(glyph: str, side: int) -> Image.Image:
    """The glyph as an 8-bit mask fitted into a side x side box, aspect kept.

    Rendered once at 64 px and thickened a little (MaxFilter), so thin strokes (the hourglass,
    the note's stem) survive the downscale to the small size.
    """
    base = _glyph_cache.get(glyph)
    if base is None:
        font = ImageFont.truetype(FONT_PATH, 64)
        mask = font.getmask(glyph)
        m = Image.frombytes("L", mask.size, bytes(mask))
        m = ImageOps.expand(m.crop(m.getbbox()), border=3, fill=0).filter(ImageFilter.MaxFilter(3))
        base = _glyph_cache[glyph] = m.crop(m.getbbox())
    w, h = base.size
    scale = side / max(w, h)
    return base.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.BILINEAR)


def _background(rng: random.Random) -> np.ndarray:
    """A desaturated mid-grey texture: flat, gradient, stripes or blotches."""
    s = IMAGE_SIZE
    base = np.array([rng.uniform(90, 200)] * 3) + np.array([rng.uniform(-20, 20) for _ in range(3)])
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) / s
    style = rng.choice(["flat", "gradient", "stripes", "blotches"])
    if style == "flat":
        field = np.zeros((s, s), np.float32)
    elif style == "gradient":
        angle = rng.uniform(0, 2 * np.pi)
        field = (np.cos(angle) * xx + np.sin(angle) * yy) * rng.uniform(20, 50)
    elif style == "stripes":
        angle, period = rng.uniform(0, np.pi), rng.uniform(6, 16)
        field = np.sign(np.sin((np.cos(angle) * xx + np.sin(angle) * yy) * s * 2 * np.pi / period)) * 12
    else:
        field = np.zeros((s, s), np.float32)
        for _ in range(rng.randint(3, 6)):
            cx, cy, r = rng.random(), rng.random(), rng.uniform(0.1, 0.3)
            field += np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r)) * rng.uniform(-30, 30)
    return np.clip(base[None, None, :] + field[:, :, None], 0, 255)


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Fraction of the smaller box covered by the other."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w * h / smaller


CELL = 16  # the layout grid is the encoder's patch grid (96 / 16 = 6 x 6)
FOOTPRINT = {"small": 1, "large": 2}  # cells per side an object takes
JITTER = 3  # px an object may stray from its cells: glyphs cross patch borders and touch or
#             partly cover their neighbours, so the grid is a tendency, not a rule


def _place(rng: random.Random, group: Group, region: tuple[int, int, int, int], placed: list[Obj]) -> list[Obj]:
    """Place a group's glyphs on free cells of the layout grid inside region (x0, y0, x1, y1).

    Objects sit on the patch grid (small: one cell, large: 2 x 2 cells), jittered by a few pixels:
    what a patch sees of an object is consistent enough for a ViT trained on 2 CPU cores to learn
    two dozen kinds in the time budget (free placement was tried first and was not learnt).
    """
    _, _, glyph = KIND_BY_NAME[group.kind]
    lo, hi = SIZES[group.size]
    k = FOOTPRINT[group.size]
    taken = {(cx, cy) for o in placed for cx, cy in o.cells}  # type: ignore[attr-defined]
    spots = [(cx, cy) for cy in range(region[1] // CELL, region[3] // CELL - k + 1)
             for cx in range(region[0] // CELL, region[2] // CELL - k + 1)]
    rng.shuffle(spots)
    out: list[Obj] = []
    for cx, cy in spots:
        if len(out) == group.count:
            break
        cells = {(cx + i, cy + j) for i in range(k) for j in range(k)}
        if cells & taken:
            continue
        mask = _glyph_mask(glyph, rng.randint(lo, hi))
        w, h = mask.size
        x = cx * CELL + (k * CELL - w) // 2 + rng.randint(-JITTER, JITTER)
        y = cy * CELL + (k * CELL - h) // 2 + rng.randint(-JITTER, JITTER)
        x = min(max(x, 0), IMAGE_SIZE - w)
        y = min(max(y, 0), IMAGE_SIZE - h)
        o = Obj(group.kind, group.colour, group.size, (x, y, x + w, y + h))
        o.mask = mask  # type: ignore[attr-defined]  # render-time only, not serialised
        o.cells = cells  # type: ignore[attr-defined]
        taken |= cells
        out.append(o)
    if len(out) < group.count:
        raise _NoRoom
    return out


class _NoRoom(Exception):
    pass


def _layout(rng: random.Random) -> tuple[list[Group], str | None, list[Obj]]:
    s = IMAGE_SIZE
    n_groups = 1 if rng.random() < 0.5 else 2
    groups: list[Group] = []
    while len(groups) < n_groups:
        g = Group(rng.choice(KINDS)[0], rng.choice(list(COLOURS)), rng.choice(list(SIZES)), rng.randint(1, 3))
        if all((g.kind, g.colour) != (o.kind, o.colour) for o in groups):
            groups.append(g)
    relation = None
    if n_groups == 1:
        regions = [(0, 0, s, s)]
    else:
        relation = rng.choice(list(RELATIONS))
        half = s // 2
        if relation == "above":
            regions = [(0, 0, s, half), (0, half, s, s)]
        else:
            regions = [(0, 0, half, s), (half, 0, s, s)]
    objects: list[Obj] = []
    for g, region in zip(groups, regions):
        objects += _place(rng, g, region, objects)

    return groups, relation, objects


def make_scene(seed: int) -> tuple[Scene, Image.Image]:
    rng = random.Random(seed)
    s = IMAGE_SIZE
    for _ in range(50):  # a crowded draw may not fit its region: draw again (still seed-determined)
        try:
            groups, relation, objects = _layout(rng)
            break
        except _NoRoom:
            continue
    else:
        raise RuntimeError(f"scene {seed}: no layout fits")
    canvas = _background(rng)
    rng.shuffle(objects)  # paint order decides who occludes whom
    for o in objects:
        colour = np.array(COLOURS[o.colour], np.float32) + np.array([rng.uniform(-15, 15) for _ in range(3)])
        alpha = np.zeros((s, s), np.float32)
        m = np.asarray(o.mask, np.float32) / 255.0  # type: ignore[attr-defined]
        x0, y0, x1, y1 = o.bbox
        alpha[y0:y1, x0:x1] = m
        canvas = canvas * (1 - alpha[:, :, None]) + colour[None, None, :] * alpha[:, :, None]
    noise = rng.uniform(0, 10)
    nrng = np.random.default_rng(seed)
    canvas = canvas + nrng.normal(0, noise, canvas.shape)
    image = Image.fromarray(np.clip(canvas, 0, 255).round().astype(np.uint8), "RGB")
    for o in objects:
        del o.mask, o.cells  # type: ignore[attr-defined]
    return Scene(seed, groups, relation, objects), image


def split_seed(split: str, index: int) -> int:
    return SPLIT_SEED_BASE[split] + index


def _render(args: tuple[str, int, str]) -> dict:
    split, index, out = args
    seed = split_seed(split, index)
    scene, image = make_scene(seed)
    name = f"{split}/{seed:08d}.png"
    image.save(Path(out) / name)
    return {
        "id": seed, "file_name": name, "width": IMAGE_SIZE, "height": IMAGE_SIZE,
        "scene": {"groups": [asdict(g) for g in scene.groups], "relation": scene.relation,
                  "objects": [asdict(o) for o in scene.objects]},
        "references": scene.references(),
        "pixels": np.asarray(image).transpose(2, 0, 1),
    }


def write_split(out_dir: str | os.PathLike, split: str, count: int, workers: int = 2) -> Path:
    """Render `count` scenes of a split as PNGs plus a COCO captions JSON; returns the JSON path.

    Image records carry our extension `scene` (groups, relation, object boxes) so evaluation can
    check attention against the generator's ground truth. The decoded pixels are cached beside the
    JSON (see coco.py) as they are rendered.
    """
    from multiprocessing import Pool

    out = Path(out_dir)
    (out / split).mkdir(parents=True, exist_ok=True)
    jobs = [(split, i, str(out)) for i in range(count)]
    if workers > 1 and count > 256:
        with Pool(workers) as pool:
            records = pool.map(_render, jobs, chunksize=256)
    else:
        records = [_render(j) for j in jobs]
    pixels = np.stack([r.pop("pixels") for r in records])
    images, annotations = [], []
    for r in records:
        for caption in r.pop("references"):
            annotations.append({"id": len(annotations) + 1, "image_id": r["id"], "caption": caption})
        images.append(r)
    path = out / f"captions_{split}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"info": {"description": f"Caption Studio scenes, {split} split"},
                               "images": images, "annotations": annotations}))
    tmp.replace(path)
    np.save(path.with_suffix(f".{IMAGE_SIZE}.npy"), pixels)
    return path


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out_dir")
    p.add_argument("--split", choices=list(SPLIT_SEED_BASE), required=True)
    p.add_argument("--count", type=int, required=True)
    args = p.parse_args()
    print(write_split(args.out_dir, args.split, args.count))
