"""PairCompose on generated people scenes: two-character pictures composed from clean solo frames,
every rule held (matched by head height, never enlarged, never overlapping, kept only when the
pack's own counting and naming find exactly the pair, rejects reported with reasons, the same
seed the same pictures), the saved files judged again by the verdict, and the composed pictures
and stills written by the caption stage as subsets of their own with pinned names and a capped
share."""

import json
import random
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from dataclasses import replace

import cv2
import pytest

from anim2lora.compose.checks import REASONS, Judge
from anim2lora.compose.figures import Figure, cut_figure
from anim2lora.compose.layout import plan, render
from anim2lora.compose.run import _in_proportion
from anim2lora.compose.report import compose_report
from anim2lora.compose.run import compose
from anim2lora.compose.settings import ComposeSettings
from anim2lora.dataset.captions import head_tags
from anim2lora.dataset.kohya import split_subset, subset_name
from anim2lora.dataset.report import caption_report
from anim2lora.dataset.run import build_dataset, load_dataset
from anim2lora.dataset.settings import CaptionSettings
from anim2lora.demo.people_scenes import reference_stills, scene
from anim2lora.errors import BadInputError
from anim2lora.lineart.run import prep_lineart
from anim2lora.people.boxes import intersection
from anim2lora.people.detectors import load_detector
from anim2lora.people.export import load_groups, write_groups
from anim2lora.people.groups import group_split, load_references
from anim2lora.people.identity import load_embedder
from anim2lora.people.matching import Matcher
from anim2lora.people.rules import count
from anim2lora.people.run import count_people
from anim2lora.people.settings import CountSettings
from anim2lora.sample.prompts import group_prompts
from anim2lora.text.backends import load_backend
from anim2lora.text.search import TextSearch
from anim2lora.text.settings import TextSettings
from anim2lora.train.data import epoch_batches, items_of, repeats_of
from anim2lora.verdict.run import judge, read_pictures
from framesets import frameset_of
from nodekit import widget_defaults

W, H = 640, 360
COUNT = 8


def _refs(style="line"):
    return {n: [s[..., ::-1].copy() for s in reference_stills(n, 2, W, H, style)] for n in ("A", "B")}


@pytest.fixture(scope="module")
def material(tmp_path_factory):
    """Three solo frames of A, three of B, two real pairs: split by GroupSplit, then composed."""
    root = tmp_path_factory.mktemp("compose")
    specs = [("solo_a", k) for k in range(3)] + [("solo_b", k) for k in range(3)] + [("both", 1), ("both", 2)]
    frames = frameset_of(root / "cache", [(scene(kind, k, W, H, "line")[0], None) for kind, k in specs])
    refs = _refs()
    split = group_split(count_people(frames).kept, refs)
    assert split.summary["groups"] == {"A": [0, 1, 2], "B": [3, 4, 5], "A+B": [6, 7]}
    groups = write_groups(split.groups, split.crops, root / "groups")
    result = compose(groups, refs, root / "composed", ComposeSettings(count=COUNT, partial=0.3))
    return root, groups, refs, result


def test_composed_pictures_pass_their_checks_and_the_verdict_agrees_on_the_saved_files(material):
    _, groups, refs, result = material
    pair = result.pairs["A+B"]
    assert len(pair.kept) == COUNT and pair.pass_rate >= 0.8, pair.rejected
    composed = result.groups.composed["A+B"]
    assert [r["index"] for r in composed.kept] == list(range(COUNT))
    # held out: the verdict reads the files back with its own analyzers and labels who is drawn
    verdict = judge(read_pictures([composed.image_path(r) for r in composed.kept]), refs, "A+B")
    agree = sum(image["drawn"] == "A+B" for image in verdict.images)
    assert agree >= COUNT - 1, [(i["path"], i["drawn"]) for i in verdict.images]
    # the real frames are untouched and apart: the groups are GroupSplit's, the composed set its own folder
    assert {g: [r["index"] for r in s.kept] for g, s in result.groups.groups.items()} == \
        {g: [r["index"] for r in s.kept] for g, s in groups.groups.items()}
    assert composed.path.parent.parent == result.groups.folder / "composed" / "A+B"


def test_heads_match_in_size_nobody_is_enlarged_and_bodies_never_overlap(material):
    _, _, _, result = material
    composed = result.groups.composed["A+B"]
    detector, counting = load_detector("ink"), CountSettings()
    gap = ComposeSettings().min_gap * W
    cuts = set()
    for row in composed.kept:
        layout = row["composed"]
        assert all(s <= 1.0 for s in layout["scale"]), "enlarging thickens lines"
        a, b = layout["head_height"]
        assert abs(a - b) <= 1.0, layout
        cuts.add(layout["cut"])
        (_, _, left), (_, _, right) = sorted(row["characters_named"], key=lambda n: n[2][0])
        assert intersection(left, right) == 0 and right[0] - left[2] >= gap - 2, row["characters_named"]
        # measured again on the file: two characters, two heads of about one height, no overlap
        bgr = cv2.imread(str(composed.image_path(row)))
        found = count(detector.detect(bgr), W, H, counting.rules, (), detector.has_heads, detector.has_faces)
        assert found.n == 2 and not found.overlap
        heads = [j.head[3] - j.head[1] for j in found.characters]
        assert max(heads) / min(heads) < 1.25, heads
    assert "waist" in cuts or "side" in cuts, "some pictures are cut by the frame's edge"


def test_the_same_seed_makes_the_same_pictures(material, tmp_path):
    root, groups, refs, result = material
    again = compose(groups, refs, tmp_path / "again", ComposeSettings(count=3, partial=0.3))
    first = [r["sha256"] for r in result.groups.composed["A+B"].kept[:3]]
    assert [r["sha256"] for r in again.groups.composed["A+B"].kept] == first
    other = compose(groups, refs, tmp_path / "other", ComposeSettings(count=3, partial=0.3, seed=7))
    assert [r["sha256"] for r in other.groups.composed["A+B"].kept] != first


def test_rejects_are_counted_with_their_reasons(material, tmp_path):
    _, groups, refs, _ = material
    swapped = compose(groups, {"A": refs["B"], "B": refs["A"]}, tmp_path / "swapped", ComposeSettings(count=2))
    pair = swapped.pairs["A+B"]
    assert not pair.kept and pair.tries == 2 * 4 and set(pair.rejected) <= set(REASONS)
    assert sum(pair.rejected.values()) == pair.tries and pair.rejected.get("wrong_name", 0) >= 1, pair.rejected
    report = compose_report(swapped)
    assert "named as the other one" in report and "0 of 2 composed pictures passed" in report
    assert "A+B" not in swapped.groups.composed, "no empty composed set"


def test_a_pair_that_cannot_stand_apart_is_not_laid_out():
    detector, counting = load_detector("ink"), CountSettings()
    figures = []
    for kind, name in (("solo_a", "A"), ("solo_b", "B")):
        rgb, truth = scene(kind, 0, W, H, "line")
        bgr = rgb[..., ::-1].copy()
        found = count(detector.detect(bgr), W, H, counting.rules, (), True, detector.has_faces).characters
        figures.append(cut_figure(bgr, found[0].box.rect, name, kind, detector, counting))
    assert all(isinstance(f, Figure) and f.mask.any() for f in figures), figures
    rng = random.Random(0)
    settings = ComposeSettings(min_gap=0.5, max_gap=0.5, partial=0.0)
    assert plan(*figures, (figures[0].pixels.shape[1] * 2, H), settings, rng) == "does not fit the picture"
    layout = plan(*figures, (W, H), settings, rng)
    left, right = (p.box(W, H) for p in layout.placed)
    assert right[0] - left[2] >= 0.5 * W - 2 and not layout.cut
    # a head box that took in the shoulders would scale its character down: it is no source, and a
    # picture whose heads still come out of two sizes fails its own check
    a, b = figures
    big = replace(b, head=(b.head[0], b.head[1], b.head[2], b.head[1] + 1.6 * b.head_height))
    unusable = {}
    assert _in_proportion([b, b, big], unusable) == [b, b] and unusable == {"head out of proportion": 1}
    text = TextSettings()
    judge = Judge(detector, counting, Matcher(load_references(_refs(), detector, counting), load_embedder("features")),
                  0.38, 0.02, TextSearch(load_backend(text.backend), text.min_text_height, text.fast), text)
    fair = plan(a, b, (W, H), ComposeSettings(partial=0.0), random.Random(1))
    assert judge.check(render(fair), [(p.name, p.box(W, H)) for p in fair.placed])[0] is None
    skewed = plan(a, big, (W, H), ComposeSettings(partial=0.0), random.Random(1))
    assert judge.check(render(skewed), [(p.name, p.box(W, H)) for p in skewed.placed])[0] in ("scale", "count")


def test_drawn_stills_are_checked_and_the_stills_kept_apart(material, tmp_path):
    _, groups, refs, _ = material
    drawn = {"A": [reference_stills("A", 3, W, H, "line")[2][..., ::-1].copy(), refs["B"][0]]}
    result = compose(groups, refs, tmp_path / "stills", ComposeSettings(count=0), drawn=drawn)
    assert result.stills["A"] == {"reference": 2, "drawn": 1, "rejected: wrong_name": 1}
    assert result.stills["B"] == {"reference": 2}
    stills = result.groups.stills
    assert [r["still"] for r in stills["A"].kept] == ["reference", "reference", "drawn"]
    assert all(stills["A"].image_path(r).is_file() for r in stills["A"].kept)
    none = compose(groups, refs, tmp_path / "none", ComposeSettings(count=0, reference_stills=False))
    assert not none.groups.stills and not none.groups.composed
    with pytest.raises(BadInputError, match="no reference stills name"):
        compose(groups, refs, tmp_path / "x", drawn={"C": refs["A"]})
    with pytest.raises(BadInputError, match="overlaps its input"):
        compose(groups, refs, groups.folder / "inside")


def test_the_dataset_pins_both_names_caps_the_share_and_counts_steps_by_source(material, tmp_path):
    _, groups, _, result = material
    lines = prep_lineart(result.groups, tmp_path / "lineart")
    assert len(lines.groups.composed["A+B"]) == COUNT and set(lines.groups.stills) == {"A", "B"}
    for row in lines.groups.composed["A+B"].kept:     # shrunk figures keep crisp lines: none comes out thicker
        assert row["lineart"]["stroke_after"] <= row["lineart"]["stroke_before"] + 0.5, row["lineart"]
    d = build_dataset(lines.groups, tmp_path / "ds", CaptionSettings(use_crops=False, stills_repeats=5))
    subsets = {s.group: s for s in d.dataset.subsets}
    assert list(subsets) == ["A", "A~stills", "B", "B~stills", "A+B", "A+B~composed"]
    real, made = subsets["A+B"], subsets["A+B~composed"]
    assert len(made.images) == min(COUNT, 3 * len(real.images)) == 6, "3x the 2 real frames by default"
    assert made.repeats == real.repeats and made.steps <= 3 * real.steps
    assert subsets["A~stills"].repeats == 5 and len(subsets["A~stills"].images) == 2
    head = head_tags("A+B")
    assert head == ["A", "B", "2people"] and made.keep_tokens == len(head)
    for image, caption in zip(made.images, made.captions):
        assert caption.split(", ")[:3] == head and image.with_suffix(".txt").is_file()
        assert image.parent.name == f"{made.repeats}_A+B~composed"
    assert all(c.startswith("A, ") for c in subsets["A~stills"].captions)
    config = tomllib.loads(d.dataset.config.read_text(encoding="utf-8"))
    dirs = {s["image_dir"].rsplit("/", 1)[-1]: s for s in config["datasets"][0]["subsets"]}
    assert dirs[made.folder.name] == {"image_dir": str(made.folder.resolve().as_posix()), "num_repeats": made.repeats,
                                      "keep_tokens": 3}
    by_source = d.dataset.summary["steps_by_source"]
    assert by_source["A"] == {"frames": subsets["A"].steps + real.steps, "composed": made.steps,
                              "stills": subsets["A~stills"].steps}
    report = caption_report(d)
    assert "composed A+B: 6 of 8 used beside 2 real frames" in report and "stills" in report
    # one prompt per group for previews and samplers, whatever the subsets
    back = load_dataset(tmp_path / "ds")
    assert [g for g, _ in group_prompts(back)] == ["A", "B", "A+B"] == back.groups
    assert [s.group for s in back.subsets] == list(subsets)
    # the trainer sees each subset with its own repeats, as kohya reads the config
    items = items_of(back, 512)
    seen = Counter(item.group for batch in epoch_batches(items, repeats_of(back), 1, 0, 0) for item in batch)
    assert seen == {s.group: s.steps for s in back.subsets}
    one = build_dataset(lines.groups, tmp_path / "one", CaptionSettings(use_crops=False, composed_share=1.0))
    assert len({s.group: s for s in one.dataset.subsets}["A+B~composed"].images) == 2
    off = build_dataset(lines.groups, tmp_path / "off", CaptionSettings(use_crops=False, composed_share=0.0))
    assert "A+B~composed" not in {s.group for s in off.dataset.subsets}


def test_a_damaged_index_is_refused_by_name(material, tmp_path):
    _, _, _, result = material
    assert split_subset(subset_name("A+B", "composed")) == ("A+B", "composed")
    index = json.loads((result.groups.folder / "groups.json").read_text())
    assert set(index) == {"groups", "crops", "composed", "stills"}
    index["composed"] = {"../x": index["composed"]["A+B"]}
    bad = tmp_path / "bad"
    shutil.copytree(result.groups.folder, bad)
    (bad / "groups.json").write_text(json.dumps(index))
    with pytest.raises(BadInputError, match="composed set"):
        load_groups(bad)
    ds = tmp_path / "ds"
    build_dataset(result.groups, ds, CaptionSettings(use_crops=False))
    data = json.loads((ds / "dataset.json").read_text())
    data["groups"]["A~evil"] = data["groups"].pop("A")
    (ds / "dataset.json").write_text(json.dumps(data))
    with pytest.raises(BadInputError, match="no kind of subset"):
        load_dataset(ds)


def test_the_command_line_composes_and_checks_again(material, tmp_path):
    root, groups, refs, _ = material
    args = []
    for name, stills in refs.items():
        for k, bgr in enumerate(stills):
            path = tmp_path / f"{name}{k}.png"
            cv2.imwrite(str(path), bgr)
            args += ["--ref", f"{name}={path}"]
    drawn = tmp_path / "drawn"
    drawn.mkdir()
    cv2.imwrite(str(drawn / "a.png"), refs["A"][1])
    out = subprocess.run([sys.executable, "-m", "anim2lora", "compose", str(groups.folder), *args, "--stills",
                          f"A={drawn}", "--count", "3", "--recheck", "--out", str(tmp_path / "out"), "--json"],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["pairs"]["A+B"]["kept"] == 3 and summary["recheck"]["A+B"]["pictures"] == 3
    assert summary["recheck"]["A+B"]["agree"] >= 2 / 3 and summary["stills"]["A"]["drawn"] == 1
    assert (tmp_path / "out" / "compose_report.txt").is_file() and (tmp_path / "out" / "compose_preview.png").is_file()
    bad = subprocess.run([sys.executable, "-m", "anim2lora", "compose", str(groups.folder), *args, "--stills",
                          f"A={tmp_path / 'empty'}", "--out", str(tmp_path / "o2")], capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and "--stills A" in bad.stderr


def test_the_node_composes_under_the_output_folder(pack, host_dirs, material):
    _, groups, refs, _ = material
    node = pack.NODE_CLASS_MAPPINGS["PairCompose"]
    settings = {**widget_defaults(node), "count": 2}
    references = tuple((n, tuple(s)) for n, s in refs.items())
    out = node().compose(groups=groups, references=references, unique_id="3", **settings)
    made, preview, report = out["result"]
    assert made.folder.is_relative_to(host_dirs["output"]) and len(made.composed["A+B"]) == 2
    assert preview.shape[0] == 1 and preview.shape[2] == 1024 and "PairCompose: 2 composed pictures" in report
