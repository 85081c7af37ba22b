"""Group sets as folders a person (and the caption stage) can open: ``DIR/<group>/`` holds the
group's images and its manifest, ``DIR/crops/<name>/`` the character crops, ``DIR/groups.json``
the list.  Images are hard links into the cache where the file system allows (no copy)."""

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Mapping

from ..errors import BadInputError
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
    """Remove the group and crop folders an earlier run wrote to ``out`` (its index lists them,
    finished or not): a group this run no longer has must not stay behind to be trained on.
    Nothing else in ``out`` is touched."""
    try:
        index = json.loads((out / INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    names = [*index.get("groups", {}), *(f"crops/{n}" for n in index.get("crops", {})), *index.get("pending", ())]
    for name in names:
        folder = out / name
        if folder.resolve().parent in (out.resolve(), (out / "crops").resolve()) and folder.is_dir() \
                and not folder.is_symlink():
            shutil.rmtree(folder)
    (out / INDEX).unlink()


def begin_writing(out: Path, names) -> None:
    """Clear an earlier run's folders, then list this run's before writing them: a run cut off
    half-way leaves an index that the next run clears by."""
    clear_previous(out)
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / INDEX, {"pending": list(names)})


def refuse_writing_into(source: Path, out: Path, stage: str) -> None:
    """``out`` must neither be nor hold nor sit inside the folder a stage reads from."""
    src, dst = Path(source).resolve(), Path(out).resolve()
    if dst == src or dst.is_relative_to(src) or src.is_relative_to(dst):
        raise BadInputError(f"{stage}: --out {out} overlaps its input {source}; the run would replace what it reads.",
                            hint="Give another folder for --out.")


def export_groups(groups: Mapping[str, FrameSet], crops: Mapping[str, FrameSet], out: Path) -> Dict[str, str]:
    """Write every group and crop set under ``out``; returns group name -> manifest path."""
    out = Path(out)
    begin_writing(out, [*groups, *(f"crops/{n}" for n in crops)])
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
