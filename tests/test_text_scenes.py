"""The text-scene generator: its truth must be right, or every TextFrameFilter figure measured on
it is wrong.  Boxes must hold the text's ink and nothing but the text may differ from the bare
drawing; variants must move the drawing and leave the text alone; the clip must decode to as
many frames as it has truth rows, and the frame extractor must keep drawings with and without
text from it."""

import json

import numpy as np
import pytest

from anim2lora.demo import text_scenes as ts
from anim2lora.demo.text_scenes import NEGATIVE, POSITIVE, drawing, scene, text_layer

W, H = 480, 270          # small enough to be quick, large enough for legible CJK


def _inside(mask, boxes):
    """``mask`` with every pixel inside one of ``boxes`` cleared."""
    out = mask.copy()
    for x0, y0, x1, y1 in boxes:
        out[y0:y1, x0:x1] = False
    return out


def _changed(a, b):
    return np.any(a != b, axis=2)


def _shows_layer(img, rgba):
    """Every text pixel of ``img`` is the layer's colour, give or take what its coverage leaves
    to the drawing below: fully covered pixels are exactly the text, whatever was drawn under."""
    alpha = rgba[..., 3].astype(int)
    text = alpha > 0
    slack = 256 - alpha[text]
    return bool((np.abs(img[text].astype(int) - rgba[..., :3][text]) <= slack[:, None]).all())


@pytest.mark.parametrize("kind", POSITIVE + NEGATIVE)
def test_same_arguments_same_pixels(kind):
    a, ta = scene(kind, 1, W, H, variant=2)
    b, tb = scene(kind, 1, W, H, variant=2)
    assert a.shape == (H, W, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b) and ta == tb


@pytest.mark.parametrize("kind", POSITIVE)
@pytest.mark.parametrize("k", range(5))
def test_boxes_hold_all_the_text_ink_and_only_text_changes_the_drawing(kind, k):
    img, truth = scene(kind, k, W, H)
    assert truth["kind"] == kind and truth["positive"] and truth["text"]
    assert len(truth["boxes"]) == 1
    x0, y0, x1, y1 = truth["boxes"][0]
    assert 0 <= x0 < x1 <= W and 0 <= y0 < y1 <= H
    text_pixels = _changed(img, drawing(kind, k, W, H))
    assert text_pixels.any()
    assert not _inside(text_pixels, truth["boxes"]).any(), "text ink outside its box"
    ys, xs = np.nonzero(text_pixels)
    # the box is tight: the ink reaches (almost) to every side of it
    assert xs.min() - x0 <= 2 and x1 - 1 - xs.max() <= 2 and ys.min() - y0 <= 2 and y1 - 1 - ys.max() <= 2
    # and the box shows the text in its own colour, mostly-covered pixels on a fair share of it
    rgba = text_layer(kind, k, W, H)[0]
    assert (rgba[y0:y1, x0:x1, 3] >= 128).mean() > 0.05
    assert _shows_layer(img, rgba)


@pytest.mark.parametrize("kind", NEGATIVE)
def test_negatives_have_no_text(kind):
    img, truth = scene(kind, 0, W, H)
    assert truth == {"kind": kind, "positive": False, "boxes": [], "text": ""}
    assert (img < 128).any(), "a negative must have ink for a detector to be tempted by"


@pytest.mark.parametrize("kind", [k for k in POSITIVE if k != "title"] + list(NEGATIVE))
def test_variants_move_the_drawing_but_not_the_text(kind):
    base, truth = scene(kind, 2, W, H, variant=0)
    rgba = text_layer(kind, 2, W, H)[0] if truth["positive"] else None
    for v in (1, 2):
        other, t = scene(kind, 2, W, H, variant=v)
        assert t == truth
        moved = _inside(_changed(base, other), truth["boxes"])
        assert moved.mean() > 0.01, f"variant {v} of {kind} barely differs"
        if rgba is not None:
            assert _shows_layer(other, rgba), "the text moved or changed"
            solid = rgba[..., 3] == 255
            assert np.array_equal(base[solid], other[solid])


def test_a_title_card_is_a_still():
    a, ta = scene("title", 0, W, H, variant=0)
    b, tb = scene("title", 0, W, H, variant=3)
    assert np.array_equal(a, b) and ta == tb
    x0, y0, x1, y1 = ta["boxes"][0]
    assert not _inside(a.any(axis=2), ta["boxes"]).any(), "a title card is black outside its text"
    assert (a[y0:y1, x0:x1] == 255).all(axis=2).any()


def test_boxes_scale_with_the_picture():
    small = scene("en_sub", 0, W, H)[1]["boxes"][0]
    large = scene("en_sub", 0, 2 * W, 2 * H)[1]["boxes"][0]
    for a, b in zip(small, large):
        assert abs(2 * a - b) <= 6, (small, large)


def test_a_missing_font_says_which_file_and_which_packages(monkeypatch):
    monkeypatch.setitem(ts.FONTS, "sans", "/nonexistent/DejaVuSans.ttf")
    ts.font.cache_clear()
    try:
        with pytest.raises(ts.Anim2LoRAError) as err:
            ts.font("sans", 20)
    finally:
        ts.font.cache_clear()
    assert "/nonexistent/DejaVuSans.ttf" in str(err.value)
    assert "apt-get install fonts-dejavu-core fonts-noto-cjk" in str(err.value)


def test_each_shot_moves_like_animation_and_never_like_a_cut():
    """Consecutive drawings of a shot must change enough for the extractor to call them new
    drawings (over two steps) and keep their lines near where they were (no false cut)."""
    from anim2lora.extract import measures
    from anim2lora.extract.settings import ExtractSettings

    limits = ExtractSettings()
    for shot in ts.TEXT_STORYBOARD:
        if shot.drawings < 3:
            continue
        looks = [measures.look(_luma(drawing(shot.kind, shot.k, 960, 540, v))) for v in range(3)]
        assert measures.change(looks[0].thumb, looks[2].thumb) > limits.unique_threshold, shot
        for a, b in zip(looks, looks[1:]):
            assert measures.structure_change(a, b) < limits.cut_threshold / 2, shot


def _luma(rgb):
    return (rgb @ np.array([0.299, 0.587, 0.114])).round().astype(np.uint8)


def test_storyboard_has_every_case():
    board = ts.TEXT_STORYBOARD
    kinds = {s.kind for s in board}
    assert kinds == set(POSITIVE) | set(NEGATIVE)
    assert any(s.kind in POSITIVE and 0 < s.text_from < s.drawings for s in board), "no subtitle appears mid-shot"
    assert all(2 <= s.hold <= 3 and s.drawings >= 6 for s in board if s.kind != "title")


@pytest.fixture(scope="module")
def text_clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("text") / "text.mp4"
    return path, ts.write_text_clip(path)


def test_clip_decodes_to_its_truth(text_clip):
    import av

    path, rows = text_clip
    meta = json.loads(path.with_name(path.name + ".truth.json").read_text())
    assert (meta["fps"], meta["width"], meta["height"]) == (24, 960, 540)
    assert meta["frames"] == rows
    checked = (rows[0], next(r for r in rows if r["kind"] == "ja_vert" and r["positive"]))
    decoded, count = {}, 0
    with av.open(str(path)) as container:
        for count, frame in enumerate(container.decode(video=0), 1):
            if any(r["index"] == count - 1 for r in checked):
                decoded[count - 1] = frame.to_ndarray(format="rgb24")
    assert count == len(rows)
    assert [r["index"] for r in rows] == list(range(len(rows)))
    assert 250 <= len(rows) <= 400
    assert 0.35 <= np.mean([r["positive"] for r in rows]) <= 0.5
    # held frames repeat their drawing; each new drawing opens a hold
    for prev, row in zip(rows, rows[1:]):
        assert row["held"] == (row["drawing"] == prev["drawing"])
        assert row["shot"] >= prev["shot"]
    # the decoded picture is the generated one (codec noise aside), text and all
    for row in checked:
        shot, variant = map(int, row["drawing"].split(":"))
        want, truth = scene(row["kind"], row["k"], 960, 540, variant)
        assert truth["boxes"] == row["boxes"]
        assert np.abs(decoded[row["index"]].astype(int) - want).mean() < 3


def test_extractor_keeps_drawings_with_and_without_text(text_clip, tmp_path):
    from anim2lora.extract.run import extract

    path, rows = text_clip
    summary = extract(path, tmp_path).summary
    shots = {}
    for r in rows:
        shots.setdefault(r["shot"], [r["index"], r["index"]])[1] = r["index"]
    assert summary["shots"] == list(shots.values()), "the extractor should find every cut, and only those"
    kept = [rows[i] for i in summary["kept"]]
    assert len({r["drawing"] for r in kept}) >= 0.75 * len({r["drawing"] for r in rows})
    assert sum(r["positive"] for r in kept) >= 25 and sum(not r["positive"] for r in kept) >= 40
