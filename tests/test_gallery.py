"""What the filter nodes send the browser to show (ui.a2l_gallery, ui.a2l_groups) and TrainLoRA's
live events: the capped, even choice of frames, the references under the output folder only, and
the payloads of the nodes run as ComfyUI runs them, without a host.  The browser side is in
test_frontend.py."""

import json
import shutil
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from anim2lora.demo.people_scenes import reference_stills, scene
from anim2lora.gallery import PER_SIDE, choose, filter_gallery, gallery
from anim2lora.image.spread import evenly_with_ends as spread
from anim2lora.people.run import count_people
from framesets import frameset_of
from nodekit import widget_defaults


def _bridge(pack):
    return sys.modules[pack.__name__ + ".nodes.bridge"]


def test_spread_keeps_the_ends_and_spaces_evenly():
    assert spread(list(range(10)), 20) == list(range(10))
    assert spread(list(range(101)), 5) == [0, 25, 50, 75, 100]
    assert spread(list(range(7)), 1) == [3] and spread(list(range(7)), 0) == []


def _labelled(counts):
    """(label, row, path) per frame: ``counts`` frames of each label, one label after another."""
    out, index = [], 0
    for label, n in counts.items():
        for _ in range(n):
            out.append((label, {"index": index, "time": index / 24}, Path(f"{index}.png")))
            index += 1
    return out


def test_the_cap_holds_and_every_reason_is_shown_even_a_rare_one():
    chosen = choose(_labelled({"text": 5000, "overlap": 300, "too_many": 1}), 48)
    assert len(chosen) == 48
    by = {k: sum(1 for c in chosen if c[0] == k) for k in ("text", "overlap", "too_many")}
    assert by["too_many"] == 1 and by["overlap"] >= 2 and by["text"] > by["overlap"], by
    assert [c[1]["index"] for c in chosen] == sorted(c[1]["index"] for c in chosen), "in frame order"
    texts = [c[1]["index"] for c in chosen if c[0] == "text"]
    assert texts[0] == 0 and texts[-1] == 4999, "spread over the whole set, not its start"
    gaps = np.diff(texts)
    assert gaps.max() - gaps.min() <= 1


def test_more_reasons_than_places_shows_the_commonest():
    chosen = choose(_labelled({"a": 1, "b": 5, "c": 3}), 2)
    assert sorted(c[0] for c in chosen) == ["b", "c"]


def test_small_sets_are_shown_whole_and_empty_sets_are_empty():
    g = gallery(_labelled({"": 3}), [])
    assert (g["kept"], g["rejected"], g["by_reason"]) == (3, 0, {}) and len(g["frames"]) == 3
    assert all(f["kept"] and f["reason"] == "" for f in g["frames"])
    assert gallery([], []) == {"kept": 0, "rejected": 0, "by_reason": {}, "frames": []}


def test_a_long_video_sends_a_bounded_payload():
    g = gallery(_labelled({"": 200_000}), _labelled({"text": 90_000, "blur": 3}))
    assert len(g["frames"]) == 2 * PER_SIDE and g["by_reason"] == {"text": 90_000, "blur": 3}
    assert len(json.dumps([{**f, "path": None} for f in g["frames"]])) < 20_000
    assert gallery([("", {"index": 0}, None)], [("similar", {"index": 1}, None)])["frames"] == [], \
        "frames without a picture are counted, not shown"


def test_only_files_under_the_output_folder_become_references(pack, host_dirs, tmp_path):
    bridge = _bridge(pack)
    inside = host_dirs["output"] / "anim2lora" / "frames" / "x" / "0000001.png"
    inside.parent.mkdir(parents=True)
    inside.write_bytes(b"png")
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"png")
    assert bridge.view_ref(inside) == {"filename": "0000001.png", "subfolder": "anim2lora/frames/x", "type": "output"}
    assert bridge.view_ref(host_dirs["output"] / "top.png")["subfolder"] == ""
    for path in (outside, host_dirs["output"] / ".." / "secret.png", None):
        assert bridge.view_ref(path) is None, path
    # a cache folder linked to another disk is served by the host (its /view does not follow links): so here too
    elsewhere = tmp_path / "big_disk"
    (elsewhere / "frames").mkdir(parents=True)
    (elsewhere / "frames" / "0000002.png").write_bytes(b"png")
    (host_dirs["output"] / "cache").symlink_to(elsewhere)
    assert bridge.view_ref(host_dirs["output"] / "cache" / "frames" / "0000002.png") == \
        {"filename": "0000002.png", "subfolder": "cache/frames", "type": "output"}
    g = {"kept": 2, "rejected": 0, "by_reason": {}, "frames": [
        {"kept": True, "reason": "", "index": 1, "time": 0.1, "path": inside},
        {"kept": True, "reason": "", "index": 2, "time": 0.2, "path": outside}]}
    (ui,) = bridge.gallery_ui(g)
    assert ui["kept"] == 2 and [f["index"] for f in ui["frames"]] == [1]
    assert "path" not in ui["frames"][0] and ui["frames"][0]["type"] == "output"
    json.dumps(ui)


def _frame_refs(host_dirs, ui):
    """Every frame's reference resolves to a picture file under the output folder."""
    for f in ui["frames"]:
        path = host_dirs["output"] / f["subfolder"] / f["filename"]
        assert f["type"] == "output" and path.is_file(), f
        assert cv2.imread(str(path)) is not None, path


def test_the_demo_pipeline_nodes_send_galleries(pack, host_dirs, demo_clip):
    """VideoFrameExtract -> TextFrameFilter -> PersonCountFilter on the demo clip, as nodes."""
    nodes = pack.NODE_CLASS_MAPPINGS
    shutil.copy(demo_clip, host_dirs["input"] / "demo.mp4")
    extract_node = nodes["VideoFrameExtract"]
    settings = {k: v for k, v in widget_defaults(extract_node).items() if k != "video"}
    out = extract_node().extract(video="demo.mp4", **settings)
    frames = out["result"][0]
    (ui,) = out["ui"]["a2l_gallery"]
    assert ui["kept"] == len(frames.kept) and ui["rejected"] == len(frames.dropped) > 0
    assert set(ui["by_reason"]) == set(frames.dropped_by_reason())
    pictured = {r["dropped"] for r in frames.dropped if frames.thumb_path(r)}
    assert {f["reason"] for f in ui["frames"] if not f["kept"]} == pictured, "every reason with pictures shown"
    assert sum(f["kept"] for f in ui["frames"]) == min(PER_SIDE, ui["kept"])
    _frame_refs(host_dirs, ui)

    out = nodes["TextFrameFilter"]().filter(frames=frames, **widget_defaults(nodes["TextFrameFilter"]))
    (ui,) = out["ui"]["a2l_gallery"]
    kept, rejected = out["result"][0], out["result"][1]
    assert ui["kept"] == len(kept) and ui["rejected"] == len(rejected) > 0 and ui["by_reason"] == {"text": len(rejected)}
    shown = [f for f in ui["frames"] if not f["kept"]]
    assert {f["index"] for f in shown} <= {r["index"] for r in rejected.kept} and all(f["reason"] == "text" for f in shown)
    assert all(isinstance(f["time"], float) for f in ui["frames"])
    _frame_refs(host_dirs, ui)

    out = nodes["PersonCountFilter"]().filter(frames=kept, **widget_defaults(nodes["PersonCountFilter"]))
    (ui,) = out["ui"]["a2l_gallery"]
    assert ui["kept"] == len(out["result"][0]) and ui["rejected"] == len(out["result"][1])
    _frame_refs(host_dirs, ui)
    json.dumps(out["ui"])


W, H = 640, 360


def _image_batch(rgb_list):
    return torch.from_numpy(np.stack(rgb_list).astype(np.float32) / 255.0)


def test_group_split_sends_its_counts_warnings_and_gallery(pack, host_dirs):
    nodes = pack.NODE_CLASS_MAPPINGS
    specs = [("solo_a", 0), ("solo_b", 0), ("both", 1), ("stranger", 0), ("overlap", 0), ("solo_a", 1)]
    pictures = frameset_of(host_dirs["output"] / "anim2lora", [(scene(k, i, W, H, "line")[0], None) for k, i in specs])
    counted = count_people(pictures).kept
    (a,) = nodes["CharacterReference"]().add(name="A", images=_image_batch(reference_stills("A", 2, W, H, "line")))
    (refs,) = nodes["CharacterReference"]().add(name="B", images=_image_batch(reference_stills("B", 2, W, H, "line")),
                                                references=a)
    out = nodes["GroupSplit"]().split(frames=counted, references=refs, **widget_defaults(nodes["GroupSplit"]))
    groups, rejected, _, report = out["result"]
    (counts,) = out["ui"]["a2l_groups"]
    table = {row["group"]: row["frames"] for row in counts["groups"]}
    assert table == {g: len(s) for g, s in groups.groups.items()} == {"A": 2, "B": 1, "A+B": 1}
    assert "GroupSplit: 5 frames in; A: 2, B: 1, A+B: 1" in report
    assert counts["frames"] == 5 and sum(counts["rejected"].values()) == len(rejected) >= 1
    assert all(f"rejected {n:5d}" in report for n in counts["rejected"].values())
    assert all(row["warning"] and "too thin" in row["warning"] for row in counts["groups"])
    assert counts["warnings"] == [line[len("WARNING "):] for line in report.splitlines() if line.startswith("WARNING")]
    (ui,) = out["ui"]["a2l_gallery"]
    assert sorted((f["reason"], f["index"]) for f in ui["frames"] if f["kept"]) == \
        sorted((g, r["index"]) for g, s in groups.groups.items() for r in s.kept)
    assert {f["reason"] for f in ui["frames"] if not f["kept"]} == set(counts["rejected"])
    _frame_refs(host_dirs, ui)
    json.dumps(out["ui"])


def test_train_previews_reach_the_browser_as_temp_images(pack, host_dirs, tmp_path):
    bridge = _bridge(pack)
    bridge.configure(temp_dir=tmp_path / "temp")
    train_module = sys.modules[pack.__name__ + ".nodes.train_lora"]
    step = {"step": 3, "total": 10, "loss": 0.12, "lr": 1e-4, "epoch": 0.3, "seconds_per_step": 0.5,
            "seconds_left": 3.5}
    assert train_module._browser_event(step, "12", "mine") == {"node": "12", "name": "mine", **step}
    picture = np.full((32, 48, 3), 200, np.uint8)
    sent = train_module._browser_event({"preview": "A+B", "epoch": 2, "step": 10, "total": 10, "picture": picture},
                                       "7:12", "mine")
    assert {k: sent[k] for k in ("node", "preview", "epoch", "step")} == {"node": "7:12", "preview": "A+B", "epoch": 2,
                                                                         "step": 10}
    assert "picture" not in sent and sent["image"]["type"] == "temp"
    written = cv2.imread(str(tmp_path / "temp" / sent["image"]["filename"]))
    assert written.shape == (32, 48, 3)
    json.dumps(sent)


@pytest.mark.parametrize("rows", [0, 1])
def test_a_set_with_nothing_dropped_shows_no_rejections(tmp_path, rows):
    s = frameset_of(tmp_path, [(np.zeros((8, 8, 3), np.uint8), None)] * rows)
    g = filter_gallery(s)
    assert (g["kept"], g["rejected"]) == (rows, 0) and all(f["kept"] for f in g["frames"])
