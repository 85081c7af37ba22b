"""Group sets as folders a person (and the caption stage) can open: ``DIR/<group>/`` holds the
group's images and its manifest, ``DIR/crops/<name>/`` the character crops, ``DIR/groups.json``
the list.  Images are hard links into the cache where the file system allows (no copy)."""

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Mapping

from ..frameset import FrameSet, link_or_copy, load, read_index, save, write_json_atomic

INDEX = "groups.json"


def export_set(frames: FrameSet, folder: Path) -> FrameSet:
    """A self-contained copy of ``frames``' kept rows rooted at ``folder``."""
    if folder.is_dir():   # a re-run replaces the folder's contents, never mixes two runs
        shutil.rmtree(folder)
    rows = []
    for row in frames.kept:
        name = Path(row["file"]).name
        link_or_copy(frames.image_path(row), folder / "images" / name)
        rows.append({**row, "file": f"images/{name}"})
    return save(folder, {**frames.manifest, "frames": rows})


def clear_previous(out: Path) -> None:
    """Remove the group and crop folders an earlier split wrote to ``out`` (its index lists them):
    a group this run no longer has must not stay behind to be trained on.  Nothing else in
    ``out`` is touched."""
    try:
        index = json.loads((out / INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    (out / INDEX).unlink()
    for kind, base in (("groups", out), ("crops", out / "crops")):
        for name in index.get(kind, {}):
            folder = base / name
            if folder.parent == base and folder.is_dir() and not folder.is_symlink():
                shutil.rmtree(folder)


def export_groups(groups: Mapping[str, FrameSet], crops: Mapping[str, FrameSet], out: Path) -> Dict[str, str]:
    """Write every group and crop set under ``out``; returns group name -> manifest path."""
    out = Path(out)
    clear_previous(out)
    index = {"groups": {}, "crops": {}}
    for g, s in groups.items():
        index["groups"][g] = str(export_set(s, out / g).path.relative_to(out))
    for name, s in crops.items():
        index["crops"][name] = str(export_set(s, out / "crops" / name).path.relative_to(out))
    write_json_atomic(out / INDEX, index)
    return {g: str(out / p) for g, p in index["groups"].items()}


@dataclass(frozen=True)
class GroupSets:
    """What GroupSplit hands on (ComfyUI type ``A2L_GROUPS``): the exported folder and its sets."""

    folder: Path
    groups: Mapping[str, FrameSet]
    crops: Mapping[str, FrameSet]


def write_groups(groups: Mapping[str, FrameSet], crops: Mapping[str, FrameSet], out: Path) -> GroupSets:
    export_groups(groups, crops, out)
    return load_groups(out)


def load_groups(folder: os.PathLike) -> GroupSets:
    """The groups a GroupSplit run wrote under ``folder`` (its ``groups.json``)."""
    folder = Path(folder)
    index = read_index(folder, INDEX, "GroupSplit output", "groups")
    return GroupSets(folder, {g: load(folder / p) for g, p in index["groups"].items()},
                     {n: load(folder / p) for n, p in index.get("crops", {}).items()})
