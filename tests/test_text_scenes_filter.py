"""TextFrameFilter on generated scenes with known truth: every kind of text is found, the hard
negatives (faces with eyes, hatching, window rows, speed lines) are not, and on a labelled clip
the frame-level decisions match the truth after extraction."""

import json

import pytest

from anim2lora.demo.text_scenes import NEGATIVE, POSITIVE, scene, write_text_clip
from anim2lora.text.run import text_filter
from framesets import frameset_of


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    pictures, truth = [], []
    for kind in POSITIVE + NEGATIVE:
        for k in (0, 3):
            rgb, t = scene(kind, k, 1920, 1080)
            pictures.append((rgb, None))
            truth.append(t)
    frames = frameset_of(tmp_path_factory.mktemp("scenes"), pictures, "scenes")
    return frames, truth, text_filter(frames)


def test_every_kind_of_text_is_found(scenes):
    _, truth, result = scenes
    found = set(result.summary["dropped"]["text"])
    missed = [(truth[i]["kind"], truth[i]["text"]) for i, t in enumerate(truth) if t["positive"] and i not in found]
    assert not missed


def test_drawings_are_not_taken_for_text(scenes):
    _, truth, result = scenes
    false = [truth[i]["kind"] for i in result.summary["dropped"]["text"] if not truth[i]["positive"]]
    assert not false
    ignored = sum(sum(f.drawing.values()) for f, t in zip(result.frames, truth) if not t["positive"])
    assert ignored > 0, "the hard negatives do fool the detector; the rules must be what rejects them"


def test_found_boxes_cover_the_true_text(scenes):
    _, truth, result = scenes
    for f, t in zip(result.frames, truth):
        for x0, y0, x1, y1 in t["boxes"]:
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            if t["positive"]:
                assert any(r[0] <= cx <= r[2] and r[1] <= cy <= r[3] for r in (b["rect"] for b in f.text)), t


def test_labelled_clip_after_extraction(tmp_path):
    from anim2lora.extract.run import extract

    clip = tmp_path / "text.mp4"
    write_text_clip(clip, 960, 540)
    truth = {r["index"]: r for r in json.loads((tmp_path / "text.mp4.truth.json").read_text())["frames"]}
    frames = extract(clip, tmp_path / "cache").frames
    result = text_filter(frames)
    seen = [r["index"] for r in frames.kept]
    found = set(result.summary["dropped"]["text"])
    positives = {i for i in seen if truth[i]["positive"]}
    recall = len(found & positives) / len(positives)
    precision = len(found & positives) / max(1, len(found))
    assert len(positives) >= 25 and len(seen) - len(positives) >= 40
    assert recall >= 0.97 and precision >= 0.95, (sorted(positives - found), sorted(found - positives))
    reused = [f for f in result.frames if f.how in ("changes", "same")]
    assert reused, "frames within a shot reuse what the shot's previous frame showed"
