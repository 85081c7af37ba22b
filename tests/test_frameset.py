"""Frame sets are immutable and content-addressed; analysis is cached by content + settings."""

import json

import pytest

from anim2lora.errors import BadInputError
from anim2lora.frameset import load
from anim2lora.store import AnalysisStore


def test_derive_makes_a_new_set_over_the_same_files(demo_extract):
    parent = demo_extract.frames
    before = parent.path.read_text()
    def decide(row):
        return "odd" if row["index"] % 4 else None

    scores = {parent.kept[0]["index"]: {"ink": 0.5}}
    child = parent.derive("test-filter", {"every": 2}, decide, scores=scores)
    assert child.id != parent.id and child.manifest["parent"] == parent.id
    assert parent.path.read_text() == before, "the parent manifest must not change"
    assert len(child.rows) == len(parent.kept)
    assert {r["file"] for r in child.rows} == {r["file"] for r in parent.kept}
    assert child.rows[0]["scores"]["ink"] == 0.5 and "sharpness" in child.rows[0]["scores"]
    assert all(r["index"] % 4 == 0 for r in child.kept) and child.dropped_by_reason()["odd"]
    assert load(child.path).rows == child.rows
    again = parent.derive("test-filter", {"every": 2}, decide, scores=scores)
    assert again.id == child.id and again.rows == child.rows, "same parent, stage and settings: same set"
    other = parent.derive("test-filter", {"every": 3}, decide)
    assert other.id != child.id


def test_kept_frames_are_hashed_for_the_analysis_cache(demo_extract):
    import hashlib

    fs = demo_extract.frames
    for row in fs.kept[:5]:
        assert row["sha256"] == hashlib.sha256(fs.image_path(row).read_bytes()).hexdigest()


def test_store_reuses_results_by_content_and_settings(tmp_path):
    store = AnalysisStore(tmp_path / "analysis.sqlite")
    calls = []

    def analyse(contents, settings):
        cached = store.get_many("toy", settings, contents)
        todo = [c for c in contents if c not in cached]
        calls.extend(todo)
        fresh = {c: {"score": len(c)} for c in todo}
        store.put_many("toy", settings, fresh)
        return {**cached, **fresh}

    contents = [f"sha{i}" for i in range(1200)]   # more than one SQLite statement's worth
    first = analyse(contents, "s1")
    assert len(calls) == 1200
    assert analyse(contents, "s1") == first and len(calls) == 1200, "second run must hit the cache"
    analyse(contents[:10], "s2")
    assert len(calls) == 1210, "other settings are another cache entry"
    reopened = AnalysisStore(tmp_path / "analysis.sqlite")
    assert reopened.get("toy", "s1", "sha5") == {"score": 4}


def test_load_refuses_what_is_not_a_manifest(tmp_path):
    (tmp_path / "x.json").write_text(json.dumps({"kind": "something else"}))
    with pytest.raises(BadInputError, match="not an Anim2LoRA frame-set manifest"):
        load(tmp_path / "x.json")
    with pytest.raises(BadInputError, match="no such frame-set manifest"):
        load(tmp_path / "missing.json")


def test_cap_shares():
    from anim2lora.extract.cap import spread

    rows = [{"index": i, "shot": 0} for i in range(50)] + [{"index": 100 + i, "shot": 1} for i in range(3)] \
        + [{"index": 200 + i, "shot": 2} for i in range(20)]
    keep = spread(rows, 20)
    per_shot = [sum(1 for i in keep if lo <= i < hi) for lo, hi in ((0, 50), (100, 103), (200, 220))]
    assert sum(per_shot) == 20 and per_shot[1] == 3 and abs(per_shot[0] - per_shot[2]) <= 1
    assert len(spread(rows, 2)) == 2 and len(spread(rows, 500)) == len(rows)


def test_a_video_with_nothing_to_keep_is_reported_not_raised(tmp_path):
    import numpy as np
    from videos import encode

    from anim2lora.extract.report import text_report
    from anim2lora.extract.run import extract

    video = encode(tmp_path / "black.mp4", [np.zeros((90, 160, 3), np.uint8)] * 30)
    res = extract(video, tmp_path / "cache")
    assert res.summary["kept"] == [] and res.summary["dropped"]["black"] == [0]
    assert "no frame was kept" in text_report(res.frames)


def test_a_loaded_set_cannot_be_changed_in_place(demo_extract):
    fs = demo_extract.frames
    with pytest.raises(TypeError):
        fs.rows[0]["dropped"] = "mine"
    with pytest.raises(TypeError):
        fs.rows[0]["scores"]["sharpness"] = 0
    with pytest.raises((TypeError, AttributeError)):
        fs.manifest["frames"].append({})
