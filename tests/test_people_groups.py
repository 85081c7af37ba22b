"""GroupSplit on the offline path: the labelled people clip (solo and together shots, overlapping
bodies, edge fragments, text beside a character, far figures, a stranger) extracted, counted and
split as a user would, graded frame by frame against its truth; reference checks; the folders the
command line writes; the nodes loaded the way ComfyUI loads them."""

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

from anim2lora.demo.people_scenes import grade_groups, reference_stills, scene, write_people_clip
from anim2lora.errors import BadInputError
from anim2lora.extract.run import extract
from anim2lora.frameset import load
from anim2lora.hashing import bytes_sha256
from anim2lora.people.export import load_groups
from anim2lora.people.groups import GroupSettings, check_names, group_split
from anim2lora.people.run import count_people
from anim2lora.people.settings import CountSettings
from framesets import frameset_of
from nodekit import widget_defaults

W, H = 640, 360


def bgr_refs(style="line", n=3):
    return {name: [cv2.cvtColor(s, cv2.COLOR_RGB2BGR) for s in reference_stills(name, n, W, H, style)]
            for name in ("A", "B")}


@pytest.fixture(scope="module", params=["line", "colour"])
def clip_split(request, tmp_path_factory):
    style = request.param
    work = tmp_path_factory.mktemp(f"people_{style}")
    video = work / "people.mp4"
    write_people_clip(video, W, H, style=style)
    frames = extract(video, work / "cache").frames
    counted = count_people(frames)
    split = group_split(counted.kept, bgr_refs(style))
    return video, frames, counted, split


def test_every_frame_lands_in_its_group_and_no_false_pair(clip_split):
    video, frames, counted, split = clip_split
    graded = grade_groups(video, frames, counted, split)
    assert graded["frames"] >= 50
    assert graded["accuracy"] >= 0.95, graded["misses"]
    assert graded["false_AB"] == 0, graded["misses"]
    assert set(split.groups) == {"A", "B", "A+B"}


def test_groups_carry_names_crops_and_thin_group_warnings(clip_split):
    _, frames, _, split = clip_split
    for g, s in split.groups.items():
        for row in s.kept:
            assert row["group"] == g and sorted(w for w, _, _ in row["characters_named"]) == sorted(g.split("+"))
    area = W * H
    for name, s in split.crops.items():
        assert len(s) >= len(split.groups[name]), "every solo frame gives a crop, and pairs give more"
        for row in s.kept:
            assert row["character"] == name and row["width"] * row["height"] < 0.5 * area
            assert s.image_path(row).is_file()
    thin = [w for w in split.warnings if "too thin" in w]
    assert any(w.startswith("group A+B") and "repeats" in w for w in thin), split.warnings
    assert "unknown" in split.summary["dropped"], "the stranger's frames are rejected as unknown"
    assert sorted(r["index"] for r in split.rejected.kept) == sorted(i for v in split.dropped.values() for i in v)
    assert all(r["reason"] in split.dropped for r in split.rejected.kept)


def test_reference_names_and_still_counts_are_checked():
    check_names(["A", "B", "Mika_2"])
    for names, match in ((["A", "a"], "used twice"), (["unknown"], "reserved"), (["Crops"], "reserved"),
                         (["groups.json"], "reserved"), (["A/B"], "letters"), ([""], "letters")):
        with pytest.raises(BadInputError, match=match):
            check_names(names)
    blank = np.full((H, W, 3), 255, np.uint8)
    with pytest.raises(BadInputError, match="1 to 5 stills"):
        group_split(_tiny_set(), {"A": [blank] * 6})
    with pytest.raises(BadInputError, match="threshold"):
        GroupSettings(threshold=2.0)


def _tiny_set(root=None, style="line"):
    import tempfile
    from pathlib import Path

    specs = [("solo_a", 0), ("solo_b", 0), ("both", 1), ("stranger", 0), ("overlap", 0)]
    root = Path(root or tempfile.mkdtemp(prefix="a2l-groups-"))
    return frameset_of(root, [(scene(kind, k, W, H, style)[0], None) for kind, k in specs])


def test_another_set_of_stills_never_overwrites_a_split(tmp_path):
    counted = count_people(_tiny_set(tmp_path)).kept
    refs = bgr_refs()
    first = group_split(counted, refs)
    swapped = group_split(counted, {"A": refs["B"], "B": refs["A"]})
    assert first.summary["groups"]["A"] == [0] and swapped.summary["groups"]["A"] == [1]
    assert first.groups["A"].path != swapped.groups["A"].path
    assert {r["index"] for r in load(first.groups["A"].path).kept} == {0}, "the first split is on disk as it was"
    for name, s in first.crops.items():
        for row in s.kept:
            assert bytes_sha256(s.image_path(row).read_bytes()) == row["sha256"], "crops are not overwritten"


def test_recounting_rejects_frames_outside_the_range(tmp_path):
    frames = _tiny_set(tmp_path)
    split = group_split(frames, bgr_refs(), count_settings=CountSettings(max_count=1))
    assert 2 in split.summary["dropped"]["too_many"] and "A+B" not in split.groups
    taken = group_split(count_people(frames, CountSettings(max_count=1)).kept, bgr_refs())
    assert "A+B" not in taken.groups and 2 not in [f.index for f in taken.frames], "the count stage dropped it"


def test_stills_with_transparency_are_laid_on_white(tmp_path):
    """A reference saved as RGBA whose transparent pixels are black would hide its dark lines."""
    counted = count_people(_tiny_set(tmp_path)).kept
    refs = {}
    for name, stills in bgr_refs().items():
        refs[name] = []
        for still in stills:
            alpha = np.where((still < 250).any(axis=2), 255, 0).astype(np.uint8)
            refs[name].append(np.dstack([np.where(alpha[..., None] > 0, still, 0), alpha]))
    split = group_split(counted, refs)
    assert split.summary["groups"] == {"A": [0], "B": [1], "A+B": [2]}, split.summary


def test_a_still_without_a_character_is_left_out_with_a_note_naming_it(tmp_path):
    # before issue 15 such a still was used whole, background and all, with a note; now it is left
    # out, the note names it and what to do, and a character with no usable still is an error
    refs = bgr_refs()
    refs["A"].append(np.full((H, W, 3), 255, np.uint8))
    split = group_split(count_people(_tiny_set(tmp_path)).kept, refs)
    note = next(w for w in split.warnings if "reference A: still 4" in w)
    assert "no character found" in note and "not used" in note and "plain light background" in note
    assert split.summary["groups"]["A"] == [0] and split.summary["groups"]["B"] == [1]
    refs["A"] = [np.full((H, W, 3), 255, np.uint8)]
    with pytest.raises(BadInputError, match="reference 'A': the character cannot be found in any of its 1 still"):
        group_split(count_people(_tiny_set(tmp_path / "again")).kept, refs)


def test_the_command_line_writes_one_folder_per_group(tmp_path):
    frames = _tiny_set(tmp_path / "cache")
    counted = count_people(frames)
    refs = []
    for name, stills in bgr_refs(n=2).items():
        for k, still in enumerate(stills):
            path = tmp_path / f"{name}{k}.png"
            cv2.imwrite(str(path), still)
            refs += ["--ref", f"{name}={path}"]
    out = tmp_path / "groups"
    run = subprocess.run([sys.executable, "-m", "anim2lora", "groups", str(counted.kept.path), *refs, "--out", str(out),
                          "--json"], capture_output=True, text=True, check=True)
    s = json.loads(run.stdout)
    assert s["groups"] == {"A": [0], "B": [1], "A+B": [2]}, s
    assert s["dropped"] == {"unknown": [3]}, "the overlap (#4) never reached the split: counting dropped it"
    for g in ("A", "B", "A+B"):
        images = list((out / g / "images").iterdir())
        assert len(images) == len(s["groups"][g]) and (out / g / "sets").is_dir()
    assert (out / "crops" / "A").is_dir() and (out / "groups_preview.png").is_file()
    back = load_groups(out)
    assert [r["index"] for r in back.groups["A+B"].kept] == [2] and set(back.crops) == {"A", "B"}
    bad = subprocess.run([sys.executable, "-m", "anim2lora", "groups", str(counted.kept.path), "--ref", "A",
                          "--out", str(out)], capture_output=True, text=True)
    assert bad.returncode == 2 and "NAME=IMAGE" in bad.stderr
    reserved = subprocess.run([sys.executable, "-m", "anim2lora", "groups", str(counted.kept.path), "--ref",
                               f"crops={tmp_path / 'A0.png'}", "--out", str(out)], capture_output=True, text=True)
    assert reserved.returncode == 2 and "reserved" in reserved.stderr
    # the same folder again with A alone: B's frames are unknown now, and no B or A+B folder stays behind
    again = subprocess.run([sys.executable, "-m", "anim2lora", "groups", str(counted.kept.path), "--ref",
                            f"A={tmp_path / 'A0.png'}", "--out", str(out), "--json"],
                           capture_output=True, text=True, check=True)
    assert json.loads(again.stdout)["groups"] == {"A": [0]}
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["A", "crops"]
    assert sorted(p.name for p in (out / "crops").iterdir()) == ["A"]
    with pytest.raises(BadInputError, match="groups.json"):
        load_groups(tmp_path)


def _image_batch(bgr_list):
    rgb = np.stack([b[..., ::-1] for b in bgr_list]).astype(np.float32) / 255.0
    return torch.from_numpy(rgb)


def test_the_nodes_name_characters_and_write_group_folders(pack, host_dirs, tmp_path):
    reference = pack.NODE_CLASS_MAPPINGS["CharacterReference"]
    split_node = pack.NODE_CLASS_MAPPINGS["GroupSplit"]
    for node in (reference, split_node):
        specs = {**node.INPUT_TYPES()["required"], **node.INPUT_TYPES().get("optional", {})}
        assert all("tooltip" in spec[1] for spec in specs.values()), node.__name__
    refs = bgr_refs(n=2)
    (a,) = reference().add(name="A", images=_image_batch(refs["A"]))
    (both,) = reference().add(name=" B ", images=_image_batch(refs["B"]), references=a)
    assert [n for n, _ in both] == ["A", "B"] and len(both[1][1]) == 2
    # a still loaded from a transparent PNG: ComfyUI's LoadImage gives black pixels and a MASK of 1 there
    still = _image_batch(refs["A"][:1])
    clear = (still.max(dim=-1).values > 0.98).float()
    (masked,) = reference().add(name="A", images=still * (1 - clear[..., None]), mask=clear)
    got, was, where = masked[0][1][0], refs["A"][0], clear[0].numpy().astype(bool)
    assert (got[where] == 255).all() and np.array_equal(got[~where], was[~where])
    with pytest.raises(Exception, match="used twice") as err:      # the pack's own BadInputError
        reference().add(name="A", images=_image_batch(refs["A"]), references=both)
    assert type(err.value).__name__ == "BadInputError"
    frames = count_people(_tiny_set(tmp_path)).kept
    out = split_node().split(frames=frames, references=both, unique_id="9", **widget_defaults(split_node))
    groups, rejected, preview, report = out["result"]
    assert {g: [r["index"] for r in s.kept] for g, s in groups.groups.items()} == {"A": [0], "B": [1], "A+B": [2]}
    assert groups.folder.is_relative_to(host_dirs["output"]) and (groups.folder / "groups.json").is_file()
    assert 3 in [r["index"] for r in rejected.kept]
    assert preview.shape[0] == 1 and preview.shape[2] == 1024 and preview.shape[3] == 3
    assert "GroupSplit: 4 frames in; A: 1, B: 1, A+B: 1" in report and "too thin" in report


def test_a_character_at_another_size_than_the_fused_pair_beside_it_stays():
    """Sweep half, line art: a close two-shot of A and B (fused: two heads side by side in one
    outline) and then a full shot of A with no cut found between them.  A, its head half as wide
    as the fused heads, stands in another shot and is not left out as one of that pair
    (groups.FUSED_SIZE); a head about as wide as one of them still is."""
    from anim2lora.people.groups import FrameGroup, _fused_beside
    from anim2lora.people.matching import Seen

    fused = [((139, 22, 412, 360), [(140, 24, 284, 182), (283, 24, 369, 118)])]
    single = FrameGroup(64, "A", None, [])
    assert not _fused_beside(single, [Seen((187, 44, 291, 338), (213, 45, 261, 97))], fused)
    assert _fused_beside(single, [Seen((187, 30, 380, 360), (280, 30, 370, 120))], fused)
