"""VideoFrameExtract on the demo clip, checked against the clip's per-frame truth."""

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from conftest import REPO


def _truth_shots(truth):
    shots = {}
    for row in truth:
        if row["shot"] is not None:
            shots.setdefault(row["shot"], [row["index"], row["index"]])[1] = row["index"]
    return [shots[k] for k in sorted(shots)]


def test_shots_are_found_where_the_storyboard_cuts(demo_extract, demo_truth):
    assert demo_extract.summary["shots"] == _truth_shots(demo_truth)


def test_every_kept_frame_is_a_clean_distinct_drawing(demo_extract, demo_truth):
    truth = {r["index"]: r for r in demo_truth}
    kept = demo_extract.summary["kept"]
    assert len(kept) >= 60
    for i in kept:
        row = truth[i]
        assert row["shot"] is not None and not row["blurred"], row
        assert not row["black"] and row["transition"] is None, row
    # a held drawing counts as a new picture only where the subtitle over it changed
    pictures = [(truth[i]["drawing"], truth[i]["subtitle"]) for i in kept]
    assert len(pictures) == len(set(pictures)), "a picture was kept twice"


def test_drop_reasons_match_the_truth(demo_extract, demo_truth):
    truth = {r["index"]: r for r in demo_truth}
    dropped = demo_extract.summary["dropped"]
    # every held frame repeats a picture that has its own row (a held frame may stand in for
    # the first frame of its hold when that one sits on a cut's margin)
    pictures = {(truth[r["index"]]["drawing"], truth[r["index"]]["subtitle"]) for r in demo_extract.frames.rows}
    assert all((truth[i]["drawing"], truth[i]["subtitle"]) in pictures or truth[i]["black"] for i in dropped["held"])
    assert not set(dropped["held"]) & set(demo_extract.summary["kept"])
    assert {i for i in dropped["dissolve"]} == {r["index"] for r in demo_truth if r["transition"] == "dissolve"}
    fades = {r["index"] for r in demo_truth if r["transition"] == "fade"}
    dark = set(dropped["fade"]) | set(dropped.get("black", [])) | set(dropped.get("blank", []))
    assert fades <= dark
    blurred_drawings = {r["index"] for r in demo_truth if r["blurred"] and not r["held"]}
    found = set(dropped["blurred"])
    assert len(found & blurred_drawings) >= 0.8 * len(blurred_drawings)
    assert found <= blurred_drawings, "sharp frames dropped as blurred"


def test_kept_files_are_the_source_pictures(demo_extract, demo_truth):
    from anim2lora.demo.clip import STORYBOARD, render_shot_frame

    fs = demo_extract.frames
    by_name = {s.name: s for s in STORYBOARD}
    truth = {r["index"]: r for r in demo_truth}
    first_of_shot = {}
    for r in demo_truth:
        if r["shot"] is not None:
            first_of_shot.setdefault(r["shot"], r["index"])
    for row in fs.kept[::7]:
        img = cv2.cvtColor(cv2.imread(str(fs.image_path(row))), cv2.COLOR_BGR2RGB)
        t = truth[row["index"]]
        expected = render_shot_frame(by_name[t["shot_name"]], row["index"] - first_of_shot[t["shot"]], 640, 360)
        psnr = cv2.PSNR(img, expected)
        assert img.shape == (360, 640, 3) and psnr > 30, (row["index"], psnr)


def test_rerun_is_served_from_the_cache(demo_clip, demo_extract):
    from anim2lora.extract.run import extract

    again = extract(demo_clip, demo_extract.frames.root)
    assert again.cached and again.frames.id == demo_extract.frames.id
    assert again.summary == demo_extract.summary


def test_cap_spreads_frames_over_every_shot(demo_clip, tmp_path, monkeypatch):
    from anim2lora.extract import writer
    from anim2lora.extract.run import extract
    from anim2lora.extract.settings import ExtractSettings

    written = []
    submit = writer.FrameWriter.submit
    monkeypatch.setattr(writer.FrameWriter, "submit", lambda self, frame, name: written.append(name) or submit(self, frame, name))
    capped = extract(demo_clip, tmp_path, ExtractSettings(max_frames=12))
    # the streaming budget: 1.2 x the cap, 5% (at least one) up front, and each shot's first frame
    assert len(written) <= int(1.2 * 12 + 1 + 6), "frames over the cap must not be encoded"
    kept = capped.frames.kept
    assert len(kept) == 12
    per_shot = np.bincount([r["shot"] for r in kept])
    assert per_shot.min() == 2 and per_shot.max() == 2
    assert all(capped.frames.image_path(r).is_file() for r in kept)
    for r in capped.frames.rows:
        if r["dropped"] == "cap":
            assert r["file"] is None
    files = list((tmp_path / "frames" / capped.frames.id).glob("*.png"))
    assert len(files) == 12, "capped frames' files must be removed"


@pytest.mark.parametrize("sampling, extra", [("every_nth", {"every_nth": 10}), ("target_fps", {"target_fps": 2.0})])
def test_fixed_rate_sampling(demo_clip, tmp_path, sampling, extra):
    from anim2lora.extract.run import extract
    from anim2lora.extract.settings import ExtractSettings

    res = extract(demo_clip, tmp_path, ExtractSettings(sampling=sampling, **extra))
    rows = res.frames.rows
    if sampling == "every_nth":
        assert [r["index"] for r in rows] == list(range(0, 280, 10))
    else:   # one frame every half second; one on a cut's margin may move later in its hold
        assert len(rows) == 24
        assert all(0 <= r["time"] - k / 2 <= 3 / 24 for k, r in enumerate(rows))
    assert "held" not in res.summary["dropped"]


def test_cli_json_output(demo_clip, tmp_path):
    out = subprocess.run([sys.executable, "-m", "anim2lora", "extract", str(demo_clip), "--out", str(tmp_path),
                          "--json"], capture_output=True, text=True, cwd=REPO, check=True)
    data = json.loads(out.stdout)
    assert set(data) >= {"kept", "dropped", "shots", "set"}
    assert data["kept"] and all(isinstance(i, int) for i in data["kept"])
    assert {"held", "dissolve", "fade", "blurred"} <= set(data["dropped"])
    from anim2lora.frameset import load

    assert [r["index"] for r in load(data["set"]).kept] == data["kept"]


def test_preview_is_bounded(demo_extract):
    from anim2lora.preview import contact_sheet

    sheet = contact_sheet(demo_extract.frames, max_tiles=24, width=1024)
    assert sheet.dtype == np.uint8 and sheet.shape[1] <= 1024
    assert sheet.shape[0] <= 1024 and sheet.mean() > 100  # mostly white drawings, not empty tiles


def test_a_pan_is_no_new_structure_but_a_cut_after_it_is():
    """A camera pan moves every line by one shift, which replaces much of the edge structure
    like a cut does: a pan's drawings scored about a third each, and the cut that ended the pan
    stood out against them too little to be found.  Between consecutive drawings a pan is taken
    out; a cut to another picture still scores high, and so do a transition's two ends."""
    from anim2lora.extract import measures

    rng = np.random.default_rng(7)
    plate = np.full((400, 1200), 245, np.uint8)
    for _ in range(60):                      # a room's lines and props, line art on white
        x, y = int(rng.integers(0, 1150)), int(rng.integers(0, 350))
        cv2.rectangle(plate, (x, y), (x + int(rng.integers(20, 90)), y + int(rng.integers(20, 90))), 30, 2)
    other = np.full((400, 640), 245, np.uint8)
    for _ in range(30):
        cv2.circle(other, (int(rng.integers(0, 640)), int(rng.integers(0, 400))), int(rng.integers(10, 60)), 30, 2)
    looks = [measures.look(np.ascontiguousarray(plate[:, x:x + 640])) for x in (0, 20)]
    cut = measures.look(other)
    assert measures.cut_score(looks[0], looks[1]) > 0.3                  # the pan, judged as before
    assert measures.cut_score(looks[0], looks[1], pan=True) < 0.1
    assert measures.cut_score(looks[1], cut, pan=True) > 0.5
