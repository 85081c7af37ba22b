"""CaptionWithKeepTokens: tag rules, the pinned head and kohya's per-step caption semantics, the
WD14 tagger path on a tiny ONNX graph with its csv, balanced repeats, the kohya folders and TOML
(checked against the keys kohya's config schema accepts), the command line and the node."""

import json
import random
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import onnx
from anim2lora.dataset.captions import caption_text, head_tags, per_step
from anim2lora.dataset.kohya import balanced_repeats
from anim2lora.dataset.run import build_dataset, load_dataset
from anim2lora.dataset.settings import CaptionSettings
from anim2lora.dataset.tagger import installed, load_tagger
from anim2lora.dataset.tags import DEFAULT_BLACKLIST, Blacklist, drop_overlaps, normalise, split
from anim2lora.demo.people_scenes import reference_stills, scene
from anim2lora.errors import BadInputError, MissingModelError
from anim2lora.people.export import write_groups
from anim2lora.people.groups import group_split
from anim2lora.people.run import count_people
from framesets import frameset_of
from nodekit import widget_defaults

# The keys kohya sd-scripts' config schema (library/config_util.py, ConfigSanitizer) accepts for a
# DreamBooth-style dataset, transcribed as data: general, [[datasets]] and [[datasets.subsets]].
KOHYA_SUBSET = {"color_aug", "face_crop_aug_range", "flip_aug", "num_repeats", "random_crop", "shuffle_caption",
                "keep_tokens", "keep_tokens_separator", "secondary_separator", "enable_wildcard", "token_warmup_min",
                "token_warmup_step", "caption_prefix", "caption_suffix", "caption_dropout_every_n_epochs",
                "caption_dropout_rate", "caption_tag_dropout_rate", "caption_extension", "class_tokens", "cache_info"}
KOHYA_DATASET = {"batch_size", "bucket_no_upscale", "bucket_reso_steps", "enable_bucket", "max_bucket_reso",
                 "min_bucket_reso", "resolution", "network_multiplier"} | KOHYA_SUBSET
KOHYA_SUBSET_OWN = KOHYA_SUBSET | {"image_dir", "is_reg"}
KOHYA_TYPES = {"num_repeats": int, "keep_tokens": int, "batch_size": int, "resolution": int, "bucket_reso_steps": int,
               "min_bucket_reso": int, "max_bucket_reso": int, "shuffle_caption": bool, "enable_bucket": bool,
               "bucket_no_upscale": bool, "image_dir": str, "caption_extension": str, "keep_tokens_separator": str}


# -- tags -----------------------------------------------------------------------------------------
def test_tags_are_normalised_before_matching():
    assert normalise(" Long_Hair ") == "long hair" and normalise("^_^") == "^_^"
    assert split("long_hair, Pink_Hair\nsmile,, ") == ["long hair", "pink hair", "smile"]
    mine = Blacklist(["long_hair"])                                  # a rule written the tagger's way
    assert mine(["long hair", "smile"]) == ["smile"]


def test_the_line_art_blacklist_drops_colour_text_background_and_counts():
    b = Blacklist(DEFAULT_BLACKLIST)
    dropped = ["pink hair", "blue eyes", "red ribbon", "hair between eyes", "english text", "speech bubble",
               "watermark", "signature", "simple background", "pink background", "outdoors", "sky", "1girl",
               "multiple girls", "solo", "multicolored hair", "gradient background"]
    kept = ["white background", "long hair", "smile", "standing", "school uniform", "holding", "lineart",
            "monochrome", "open mouth"]
    assert [t for t in dropped if not b.blocks(t)] == ["hair between eyes"], "no colour in it: kept"
    assert [t for t in kept if b.blocks(t)] == []
    for tag in ("light purple hair", "dark red hair", "black-framed eyewear", "twitter username", "night sky",
                "starry sky", "bedroom", "classroom", "colored inner hair", "sound effects"):
        assert b.blocks(tag), tag
    assert Blacklist(["white background"]).blocks("white background"), "the user's own rule wins over the keep"


def test_overlapping_tags_keep_the_longer_one():
    assert drop_overlaps(["skirt", "pleated skirt", "hair", "long hair", "smile", "open mouth"]) == \
        ["pleated skirt", "long hair", "smile", "open mouth"]


# -- the pinned head and kohya's semantics ------------------------------------------------------
def test_heads_pin_names_count_and_trigger():
    assert head_tags("A") == ["A"] and head_tags("A+B") == ["A", "B", "2people"]
    assert head_tags("A+B+C", "mystyle", "{n} characters") == ["A", "B", "C", "3 characters", "mystyle"]
    assert head_tags("A+B", count_tag="") == ["A", "B"]
    assert caption_text(["A", "B", "2people"], ["smile", "a", "2people"]) == "A, B, 2people, smile"
    assert caption_text(["A"], ["smile", "standing"], "|||") == "A ||| smile, standing"


def test_per_step_captions_follow_kohya():
    caption = "A, B, 2people, smile, standing, open mouth, holding, looking at viewer"
    fixed = ["A", "B", "2people"]
    seen = set()
    for seed in range(200):
        tags = per_step(caption, 3, random.Random(seed), tag_dropout=0.5).split(", ")
        assert tags[:3] == fixed, "keep_tokens tags stay first and are never dropped"
        assert set(tags[3:]) <= set(caption.split(", ")[3:])
        seen.add(tuple(tags[3:]))
    assert len(seen) > 50, "the free tags are shuffled and dropped out"
    assert per_step(caption, 3, random.Random(0), shuffle=False) == caption, "off: the caption as written"
    marked = "A, B, 2people ||| smile, standing, open mouth"
    for seed in range(50):
        tags = per_step(marked, 0, random.Random(seed), keep_tokens_separator="|||").split(", ")
        assert tags[:3] == fixed and sorted(tags[3:]) == ["open mouth", "smile", "standing"]


def test_settings_are_checked_by_name():
    for bad, match in (({"trigger": "a, b"}, "trigger"), ({"keep_tokens_separator": ",,"}, "keep_tokens_separator"),
                       ({"count_tag": "{m}people"}, "count_tag"), ({"balance": 2.0}, "balance"),
                       ({"resolution": 100}, "resolution")):
        with pytest.raises(BadInputError, match=match):
            CaptionSettings(**bad)


# -- repeats ----------------------------------------------------------------------------------------
def test_repeats_balance_the_write_ups_groups():
    """68 / 64 / 9 frames: unbalanced, the 9 together frames would be 6 % of the steps."""
    assert balanced_repeats({"A": 68, "B": 64, "A+B": 9}) == {"A": 1, "B": 1, "A+B": 8}
    assert balanced_repeats({"A": 68, "B": 64, "A+B": 9}, balance=0.0) == {"A": 1, "B": 1, "A+B": 1}
    assert balanced_repeats({"A": 68, "B": 64, "A+B": 9}, balance=0.5) == {"A": 1, "B": 1, "A+B": 3}
    assert balanced_repeats({"A": 200, "A+B": 3}, max_repeats=16) == {"A": 1, "A+B": 16}


def test_toml_strings_escape_what_toml_forbids():
    from anim2lora.dataset.kohya import _toml_value

    for path in ['/data/my "set"/a\\b', "/données/タグ/x y", "/odd\x7fname\t"]:
        assert tomllib.loads("v = " + _toml_value(path))["v"] == path


# -- a dataset from real groups ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def groups(tmp_path_factory):
    root = tmp_path_factory.mktemp("groups")
    specs = [("solo_a", 0), ("solo_a", 1), ("solo_a", 2), ("solo_b", 0), ("solo_b", 1), ("both", 1)]
    frames = frameset_of(root / "cache", [(scene(kind, k, 640, 360, "line")[0], None) for kind, k in specs])
    refs = {n: [s[..., ::-1].copy() for s in reference_stills(n, 2)] for n in ("A", "B")}
    split = group_split(count_people(frames).kept, refs)
    assert split.summary["groups"] == {"A": [0, 1, 2], "B": [3, 4], "A+B": [5]}
    return write_groups(split.groups, split.crops, root / "groups")


def _toml_keys_are_kohyas(config: dict) -> None:
    assert set(config) <= {"general", "datasets"}
    assert set(config["general"]) <= KOHYA_DATASET
    for ds in config["datasets"]:
        assert set(ds) - {"subsets"} <= KOHYA_DATASET
        for sub in ds["subsets"]:
            assert "image_dir" in sub and set(sub) <= KOHYA_SUBSET_OWN
            assert Path(sub["image_dir"]).is_dir()
        for section in (ds, *ds["subsets"]):
            for key, value in section.items():
                if key in KOHYA_TYPES:
                    assert type(value) is KOHYA_TYPES[key], key


def test_the_dataset_is_kohyas_layout_with_pinned_heads(groups, tmp_path):
    result = build_dataset(groups, tmp_path / "ds", CaptionSettings(trigger="myline"))
    d = result.dataset
    crops = {name: len(s) for name, s in groups.crops.items()}
    assert {s.group: len(s.images) for s in d.subsets} == {"A": 3 + crops["A"], "B": 2 + crops["B"], "A+B": 1}
    repeats = {s.group: s.repeats for s in d.subsets}
    assert repeats["A+B"] == round(max(3 + crops["A"], 2 + crops["B"]) / 1) or repeats["A+B"] == 16
    for s in d.subsets:
        assert s.folder.name == f"{s.repeats}_{s.group}" and s.folder.parent == tmp_path / "ds" / "img"
        head = head_tags(s.group, "myline")
        assert s.keep_tokens == len(head)
        for image in s.images:
            text = image.with_suffix(".txt").read_text(encoding="utf-8").strip()
            assert text.split(", ")[:len(head)] == head, text
            assert not any(Blacklist(DEFAULT_BLACKLIST).blocks(t) for t in text.split(", ")[len(head):])
    config = tomllib.loads(d.config.read_text(encoding="utf-8"))
    _toml_keys_are_kohyas(config)
    subsets = {Path(s["image_dir"]).name: s for s in config["datasets"][0]["subsets"]}
    assert subsets[f"{repeats['A+B']}_A+B"]["keep_tokens"] == 4 and subsets[f"{repeats['A']}_A"]["keep_tokens"] == 2
    back = load_dataset(tmp_path / "ds")
    assert [(s.group, s.repeats, s.keep_tokens, len(s.images)) for s in back.subsets] == \
        [(s.group, s.repeats, s.keep_tokens, len(s.images)) for s in d.subsets]
    assert back.tag_frequency == d.tag_frequency and back.keep_tokens == 4


def test_a_separator_is_written_into_captions_and_config(groups, tmp_path):
    d = build_dataset(groups, tmp_path / "ds", CaptionSettings(keep_tokens_separator="|||", use_crops=False)).dataset
    pair = next(s for s in d.subsets if s.group == "A+B")
    assert pair.captions[0].startswith("A, B, 2people ||| ")
    config = tomllib.loads(d.config.read_text(encoding="utf-8"))
    assert all(s["keep_tokens_separator"] == "|||" for s in config["datasets"][0]["subsets"])
    _toml_keys_are_kohyas(config)


def test_a_rerun_replaces_the_image_folders(groups, tmp_path):
    build_dataset(groups, tmp_path / "ds", CaptionSettings())
    again = build_dataset(groups, tmp_path / "ds", CaptionSettings(balance=0.0)).dataset
    assert sorted(p.name for p in (tmp_path / "ds" / "img").iterdir()) == ["1_A", "1_A+B", "1_B"]
    assert all(s.repeats == 1 for s in again.subsets)


def test_no_group_is_a_clear_error(tmp_path, groups):
    from anim2lora.people.export import GroupSets

    with pytest.raises(BadInputError, match="no frame in any group"):
        build_dataset(GroupSets(tmp_path / "g", {}, {}), tmp_path / "ds")
    with pytest.raises(BadInputError, match="overlaps its input"):
        build_dataset(groups, groups.folder / "ds")


def test_a_character_seen_only_with_others_gets_a_solo_group_of_crops(groups, tmp_path):
    from anim2lora.people.export import GroupSets

    pair_only = GroupSets(groups.folder, {"A+B": groups.groups["A+B"]}, groups.crops)
    d = build_dataset(pair_only, tmp_path / "ds").dataset
    assert [s.group for s in d.subsets] == ["A", "B", "A+B"]
    assert {s.group: len(s.images) for s in d.subsets}["B"] == len(groups.crops["B"])
    assert all(c.startswith("B, ") for c in d.subsets[1].captions)


def test_leftovers_of_a_run_cut_off_are_cleared(groups, tmp_path):
    stale = tmp_path / "ds" / "img" / "9_X"
    stale.mkdir(parents=True)
    (stale / "old.png").write_bytes(b"x")
    (stale.parent.parent / "Thumbs.db").write_bytes(b"x")
    build_dataset(groups, tmp_path / "ds", CaptionSettings(use_crops=False))
    names = sorted(p.name for p in (tmp_path / "ds" / "img").iterdir())
    assert len(names) == 3 and "9_X" not in names and names[0] == "1_A"
    (tmp_path / "ds" / "img" / "1_A" / "Thumbs.db").write_bytes(b"x")
    assert len(load_dataset(tmp_path / "ds").subsets[0].images) == 3, "only pictures are pictures"


def test_the_tagger_cache_can_serve_every_dataset(groups, tmp_path):
    models = tmp_path / "wd14_tagger"
    tiny_tagger(models / "wd-v1-4-vit-tagger-v2")
    store = tmp_path / "shared.sqlite"
    first = build_dataset(groups, tmp_path / "one", models_dir=models, scores=store)
    second = build_dataset(groups, tmp_path / "two", CaptionSettings(general_threshold=0.6), models_dir=models,
                           scores=store)
    assert first.tagged > 0 and second.tagged == 0


def test_pinned_parts_are_single_tags_and_the_separator_stays_out_of_free_tags(groups, tmp_path):
    for bad, match in (({"count_tag": "{n}people, group"}, "count_tag"), ({"trigger": "a\nb"}, "trigger"),
                       ({"keep_tokens_separator": " "}, "keep_tokens_separator"),
                       ({"keep_tokens_separator": "|||", "trigger": "x|||y"}, "trigger")):
        with pytest.raises(BadInputError, match=match):
            CaptionSettings(**bad)
    assert head_tags("A+B", trigger="A") == ["A", "B", "2people"]
    models = tmp_path / "wd14_tagger"
    tiny_tagger(models / "wd-v1-4-vit-tagger-v2")
    d = build_dataset(groups, tmp_path / "ds", CaptionSettings(keep_tokens_separator="channel", blacklist=""),
                      models_dir=models).dataset
    assert all(c.count("channel") == 1 for s in d.subsets for c in s.captions), "only the separator itself"
    assert per_step("A ||| b, c ||| z", 0, random.Random(1), keep_tokens_separator="|||").split(", ")[-1] == "z"


# -- the WD14 tagger on a tiny graph --------------------------------------------------------------
def tiny_tagger(folder: Path, name: str = "") -> Path:
    """model.onnx: [N, 448, 448, 3] -> [N, 8]: four ratings at 0.5, then per channel its mean/255
    as the general tags blue_channel, green_channel, red_channel (the input is BGR), and the red
    mean again as the character tag red_character; with ``selected_tags.csv`` in ``folder``, or
    with a ``name``, as ComfyUI-WD14-Tagger keeps them: ``<name>.onnx`` and ``<name>.csv``."""
    folder.mkdir(parents=True, exist_ok=True)
    nodes = [helper.make_node("ReduceMean", ["input"], ["mean"], axes=[1, 2], keepdims=0),
             helper.make_node("Div", ["mean", "full"], ["unit"]),
             helper.make_node("Gather", ["unit", "red_idx"], ["red"], axis=1),
             helper.make_node("Shape", ["input"], ["shape"]),
             helper.make_node("Gather", ["shape", "zero"], ["n"]),
             helper.make_node("Concat", ["n", "four"], ["rshape"], axis=0),
             helper.make_node("ConstantOfShape", ["rshape"], ["ratings"],
                              value=numpy_helper.from_array(np.array([0.5], np.float32))),
             helper.make_node("Concat", ["ratings", "unit", "red"], ["output"], axis=1)]
    inits = {"full": np.float32(255), "red_idx": np.array([2], np.int64), "zero": np.array([0], np.int64),
             "four": np.array([4], np.int64)}
    graph = helper.make_graph(nodes, "tagger", [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                                                              ["N", 448, 448, 3])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 8])],
                              [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(folder / (f"{name}.onnx" if name else "model.onnx")))
    rows = ["tag_id,name,category,count", "1,general,9,1", "2,sensitive,9,1", "3,questionable,9,1",
            "4,explicit,9,1", "5,blue_channel,0,1", "6,green_channel,0,1", "7,red_channel,0,1", "8,red_character,4,1"]
    (folder / (f"{name}.csv" if name else "selected_tags.csv")).write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def test_the_tagger_pads_with_white_feeds_bgr_and_applies_both_thresholds(tmp_path):
    tiny_tagger(tmp_path / "wd14_tagger" / "tiny")
    tagger = load_tagger(tmp_path / "wd14_tagger", "tiny")
    assert tagger.size == 448 and tagger.names[4:] == ["blue_channel", "green_channel", "red_channel", "red_character"]
    red = np.zeros((100, 50, 3), np.uint8)
    red[..., 2] = 255                                      # BGR red, half as wide as tall
    scores = tagger.scores([red])[0]
    # padded to 100 x 100 with white: red everywhere, blue and green on the white half only
    assert scores["red_channel"] == pytest.approx(1.0, abs=0.01)
    assert scores["blue_channel"] == pytest.approx(0.5, abs=0.02) and scores["green_channel"] == pytest.approx(0.5, abs=0.02)
    assert "general" not in scores, "ratings are never tags"
    assert tagger.tags(scores, 0.35, 0.85)[:2] == ["red_channel", "red_character"]
    assert set(tagger.tags(scores, 0.35, 0.85)) == {"red_channel", "red_character", "blue_channel", "green_channel"}
    assert tagger.tags(scores, 0.6, 1.01) == ["red_channel"]


def test_the_tagger_path_captions_and_caches(groups, tmp_path):
    models = tmp_path / "wd14_tagger"
    tiny_tagger(models / "wd-v1-4-vit-tagger-v2")                       # where 'auto' looks
    first = build_dataset(groups, tmp_path / "ds", CaptionSettings(blacklist=""), models_dir=models)
    assert first.dataset.tagger == "wd-v1-4-vit-tagger-v2" and first.tagged == sum(len(s.images) for s in first.dataset.subsets)
    caption = first.dataset.subsets[0].captions[0]
    assert caption.startswith("A, ") and "red channel" in caption, caption    # underscores normalised
    again = build_dataset(groups, tmp_path / "ds", CaptionSettings(general_threshold=0.99, blacklist=""),
                          models_dir=models)
    assert again.tagged == 0, "another threshold re-judges the cached scores"
    assert "red channel" not in again.dataset.subsets[0].captions[0]
    with pytest.raises(Exception, match="not both in"):
        build_dataset(groups, tmp_path / "ds2", CaptionSettings(tagger="missing"), models_dir=models)


def test_comfyui_wd14_taggers_files_are_found_and_used(groups, tmp_path):
    models = tmp_path / "wd14_tagger"
    tiny_tagger(models, "foo")                                      # foo.onnx + foo.csv
    tiny_tagger(models / "bar")                                     # bar/model.onnx + selected_tags.csv
    (models / "lonely.onnx").write_bytes(b"")                       # no csv: not a tagger
    assert installed(models) == ["bar", "foo"]
    tagger = load_tagger(models, "foo")
    assert tagger.name == "foo" and tagger.files.model == models / "foo.onnx"
    assert tagger.identity() == {"tagger": "foo", "model.onnx": str((models / "foo.onnx").stat().st_size),
                                 "selected_tags.csv": str((models / "foo.csv").stat().st_size)}
    red = np.zeros((20, 20, 3), np.uint8)
    red[..., 2] = 255
    assert tagger.tags(tagger.scores([red])[0], 0.35, 0.85)[:2] == ["red_channel", "red_character"]
    d = build_dataset(groups, tmp_path / "ds", CaptionSettings(tagger="foo", blacklist=""), models_dir=models).dataset
    assert d.tagger == "foo" and "red channel" in d.subsets[0].captions[0]
    with pytest.raises(MissingModelError, match="lonely.onnx and lonely.csv"):
        load_tagger(models, "lonely")


def test_a_csv_that_does_not_fit_the_model_is_named(tmp_path):
    folder = tiny_tagger(tmp_path / "t" / "bad")
    (folder / "selected_tags.csv").write_text("tag_id,name,category,count\n1,a,0,1\n", encoding="utf-8")
    tagger = load_tagger(tmp_path / "t", "bad")
    with pytest.raises(Exception, match="selected_tags.csv names 1 tags"):
        tagger.scores([np.zeros((10, 10, 3), np.uint8)])


# -- command line and node -------------------------------------------------------------------------
def test_the_command_line_prints_the_dataset(groups, tmp_path):
    out = subprocess.run([sys.executable, "-m", "anim2lora", "caption", str(groups.folder), "--out", str(tmp_path / "ds"),
                          "--json", "--trigger", "myline"], capture_output=True, text=True, check=True)
    s = json.loads(out.stdout)
    assert s["dataset"] == str(tmp_path / "ds") and s["keep_tokens"] == 4
    assert set(s["groups"]) == {"A", "B", "A+B"} and s["groups"]["A+B"]["keep_tokens"] == 4
    assert all(set(g) >= {"images", "repeats"} for g in s["groups"].values())
    assert (tmp_path / "ds" / "caption_report.txt").is_file()
    bad = subprocess.run([sys.executable, "-m", "anim2lora", "caption", str(tmp_path), "--out", str(tmp_path / "x")],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "groups.json" in bad.stderr


def test_the_node_lists_and_uses_comfyui_wd14_taggers_files(pack, host_dirs, groups, tmp_path):
    bridge = sys.modules[pack.__name__ + ".nodes.bridge"]
    bridge.configure(models_dir=tmp_path / "models")
    tiny_tagger(tmp_path / "models" / "wd14_tagger", "foo")
    node = pack.NODE_CLASS_MAPPINGS["CaptionWithKeepTokens"]
    assert node.INPUT_TYPES()["required"]["tagger"][0] == ["auto", "offline", "foo"]
    out = node().caption(groups=groups, unique_id="3", **{**widget_defaults(node), "tagger": "foo", "blacklist": ""})
    dataset = out["result"][0]
    assert dataset.tagger == "foo" and "red channel" in dataset.subsets[0].captions[0]


def test_the_node_writes_under_the_output_folder(pack, host_dirs, groups):
    node = pack.NODE_CLASS_MAPPINGS["CaptionWithKeepTokens"]
    assert node.INPUT_TYPES()["required"]["tagger"][0][:2] == ["auto", "offline"]
    out = node().caption(groups=groups, unique_id="3", **widget_defaults(node))
    dataset, folder, report = out["result"]
    assert Path(folder).is_relative_to(host_dirs["output"]) and (Path(folder) / "dataset_config.toml").is_file()
    assert {s.group for s in dataset.subsets} == {"A", "B", "A+B"}
    assert report.startswith("CaptionWithKeepTokens:") and out["ui"]["a2l_report"] == [report]
