"""SingleGroup: the write-up's v1, every frame as one group, as a node and on the command line;
LineArtPrep and CaptionWithKeepTokens take its folder as they take GroupSplit's."""

import json
import subprocess
import sys

import numpy as np
import pytest

from anim2lora.dataset.run import build_dataset
from anim2lora.dataset.settings import CaptionSettings
from anim2lora.errors import BadInputError
from anim2lora.people.export import load_groups
from anim2lora.people.single_group import single_group
from framesets import frameset_of


def _frames(tmp_path, n=3, dropped=()):
    pictures = []
    for k in range(n):
        img = np.full((64, 96, 3), 255, np.uint8)
        img[10:50, 20 + 10 * k:30 + 10 * k] = 0
        pictures.append((img, {"dropped": "text"} if k in dropped else None))
    return frameset_of(tmp_path / "cache", pictures)


def test_every_kept_frame_goes_to_the_one_group_and_captions_pin_its_name(tmp_path):
    frames = _frames(tmp_path, 4, dropped=(1,))
    groups = single_group(frames, " anim ", tmp_path / "groups")
    assert list(groups.groups) == ["anim"] and not groups.crops
    assert [r["index"] for r in groups.groups["anim"].kept] == [0, 2, 3]
    assert load_groups(tmp_path / "groups").groups["anim"].id == groups.groups["anim"].id
    dataset = build_dataset(groups, tmp_path / "dataset", CaptionSettings(tagger="offline", blacklist="", count_tag=""))
    captions = sorted((tmp_path / "dataset").rglob("*.txt"))
    assert len(captions) == 3 and all(c.read_text().startswith("anim") for c in captions)
    assert dataset.dataset.keep_tokens == 1


def test_an_empty_set_or_a_bad_name_is_refused_with_what_to_do(tmp_path):
    with pytest.raises(BadInputError, match="no kept frames.*Loosen the filter"):
        single_group(_frames(tmp_path, 2, dropped=(0, 1)), "anim", tmp_path / "g")
    with pytest.raises(BadInputError, match="SingleGroup name 'a/b'"):
        single_group(_frames(tmp_path, 2), "a/b", tmp_path / "g")
    assert not (tmp_path / "g").exists()


def test_the_node_writes_under_output_and_reports(pack, host_dirs, tmp_path):
    node = pack.NODE_CLASS_MAPPINGS["SingleGroup"]
    out = node().group(frames=_frames(tmp_path, 3), name="anim")
    groups, report = out["result"]
    assert groups.folder.is_relative_to(host_dirs["output"]) and (groups.folder / "groups.json").is_file()
    assert report.startswith("SingleGroup: 3 frames as one group 'anim'") and out["ui"]["a2l_report"] == [report]


def test_the_command_line_stage(tmp_path):
    frames = _frames(tmp_path, 2)
    run = subprocess.run([sys.executable, "-m", "anim2lora", "onegroup", str(frames.path), "--name", "me",
                          "--out", str(tmp_path / "g"), "--json"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"groups": {"me": 2}, "folder": str(tmp_path / "g")}
