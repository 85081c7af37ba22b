"""Group sets as folders a person (and the caption stage) can open: ``DIR/<group>/`` holds the
group's images and its manifest, ``DIR/crops/<name>/`` the character crops, ``DIR/composed/<group>/``
PairCompose's composed pictures of a group, ``DIR/stills/<name>/`` a character's own stills, and
``DIR/groups.json`` the list.  Images are hard links into the cache where the file system allows
(no copy)."""

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Set

from ..errors import BadInputError
from ..frameset import DAMAGED_HINT, FrameSet, link_or_copy, load, read_index, save, write_json_atomic
from ..names import check_group
from ..safe_paths import stored_path
from ..staging import staging

INDEX = "groups.json"
# the sets kept beside the groups, each in a folder of its own: index key (also the folder), what one is
EXTRA_SETS = (("crops", "crop set"), ("composed", "composed set"), ("stills", "stills set"))


def export_set(frames: FrameSet, folder: Path) -> FrameSet:
    """A self-contained copy of ``frames``' kept rows rooted at ``folder`` (a new, empty folder)."""
    rows = []
    for i, row in enumerate(frames.rows):
        if row.get("dropped"):
            continue
        src = frames.image_path(row)
        if not src.is_file():
            raise BadInputError(f"{frames.path}: row {i}'s picture {row['file']} is missing.",
                                hint="Its files were moved or deleted: run the stage that made the set again.")
        name = Path(row["file"]).name
        link_or_copy(src, folder / "images" / name)
        rows.append({**row, "file": f"images/{name}"})
    return save(folder, {**frames.manifest, "frames": rows})


def _listed(out: Path) -> Set[str]:
    """The folder names an earlier run's index lists (finished or cut off): this stage's own."""
    try:
        index = json.loads((out / INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    if not isinstance(index, dict):
        return set()
    names = []
    for key, prefix in (("groups", ""), *((k, f"{k}/") for k, _ in EXTRA_SETS), ("pending", "")):
        entry = index.get(key)
        names += [f"{prefix}{n}" for n in (entry if isinstance(entry, (dict, list)) else ()) if isinstance(n, str)]
    return set(names)


def _own_folder(out: Path, name: str) -> Optional[Path]:
    """``out/<name>`` when ``name`` is a group, or ``crops/<name>`` (``composed/``, ``stills/``) a
    set of those, by the name check."""
    head, _, rest = name.partition("/")
    group = rest if rest and head in dict(EXTRA_SETS) else name
    try:
        check_group(group, "folder")
    except BadInputError:
        return None
    return out / name


def write_group_folders(out: Path, groups: Mapping[str, FrameSet], crops: Mapping[str, FrameSet],
                        write_set: Callable[[FrameSet, Path, str], FrameSet],
                        extra: Optional[Mapping[str, Mapping[str, FrameSet]]] = None) -> Dict[str, str]:
    """Every group and crop set (and ``extra``'s: ``{"composed": {group: set}, "stills": {name:
    set}}``) written by ``write_set(set, folder, name)`` into staged folders, swapped into ``out``
    only when all are written, then the index: a run that fails leaves the earlier output as it
    was.  A folder in the way that no earlier index lists is not this stage's and is refused, never
    replaced.  Returns the index's group entries (name -> manifest, relative)."""
    out = Path(out)
    kinds = {"groups": groups, "crops": crops, **{k: v for k, v in (extra or {}).items() if v}}
    unknown = set(kinds) - {"groups", *dict(EXTRA_SETS)}
    if unknown:
        raise ValueError(f"no such kind of set: {', '.join(sorted(unknown))}")
    finals = {f"{'' if key == 'groups' else key + '/'}{n}": None for key, sets in kinds.items() for n in sets}
    earlier = _listed(out)
    for name in finals:
        final = out / name
        if (final.exists() or final.is_symlink()) and name not in earlier:
            raise BadInputError(f"{final} is in the way: no earlier run of this stage wrote it, so it is left as it is.",
                                hint="Give another --out folder, or move that one away.")
    index = {key: {} for key in kinds}
    with staging() as stage:
        for key, sets in kinds.items():
            prefix = "" if key == "groups" else f"{key}/"
            for name, frames in sets.items():
                made = write_set(frames, stage.folder(out / f"{prefix}{name}"), f"{prefix}{name}")
                index[key][name] = f"{prefix}{name}/{made.path.relative_to(made.root).as_posix()}"
    write_json_atomic(out / INDEX, index)
    for name in earlier - set(finals):        # a group this run no longer has must not stay to be trained on
        folder = _own_folder(out, name)
        if folder is not None and folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder)
    return index["groups"]


def refuse_writing_into(source: Path, out: Path, stage: str) -> None:
    """``out`` must neither be nor hold nor sit inside the folder a stage reads from."""
    src, dst = Path(source).resolve(), Path(out).resolve()
    if dst == src or dst.is_relative_to(src) or src.is_relative_to(dst):
        raise BadInputError(f"{stage}: --out {out} overlaps its input {source}; the run would replace what it reads.",
                            hint="Give another folder for --out.")


def check_groups_for(groups: "GroupSets", out: Path, stage: str, work: str) -> None:
    """What every stage after GroupSplit checks first: a split with frames in it, and an ``out``
    apart from it (``work``: what the stage would do, for the message)."""
    if not groups.groups:
        raise BadInputError(f"{groups.folder}: GroupSplit put no frame in any group; there is nothing to {work}.",
                            hint="Check GroupSplit's report.")
    refuse_writing_into(groups.folder, out, stage)


def export_groups(groups: Mapping[str, FrameSet], crops: Mapping[str, FrameSet], out: Path) -> Dict[str, str]:
    """Write every group and crop set under ``out``; returns group name -> manifest path."""
    written = write_group_folders(Path(out), groups, crops, lambda frames, folder, _: export_set(frames, folder))
    return {g: str(Path(out) / p) for g, p in written.items()}


@dataclass(frozen=True)
class GroupSets:
    """What GroupSplit hands on (ComfyUI type ``A2L_GROUPS``): the exported folder and its sets;
    PairCompose adds composed pictures per group and each character's own stills."""

    folder: Path
    groups: Mapping[str, FrameSet]
    crops: Mapping[str, FrameSet]
    composed: Mapping[str, FrameSet] = field(default_factory=dict)
    stills: Mapping[str, FrameSet] = field(default_factory=dict)

    @property
    def extra(self) -> Dict[str, Mapping[str, FrameSet]]:
        """The sets beside the groups and crops, as ``write_group_folders`` takes them."""
        return {"composed": self.composed, "stills": self.stills}

    def all_sets(self) -> List[FrameSet]:
        return [*self.groups.values(), *self.crops.values(), *self.composed.values(), *self.stills.values()]


def write_groups(groups: Mapping[str, FrameSet], crops: Mapping[str, FrameSet], out: Path) -> GroupSets:
    export_groups(groups, crops, out)
    return load_groups(out)


def load_groups(folder: os.PathLike) -> GroupSets:
    """The groups a GroupSplit run wrote under ``folder`` (its ``groups.json``), every name and
    path in it checked before anything is read through it."""
    folder = Path(folder)
    index = read_index(folder, INDEX, "GroupSplit output", "groups")
    where = folder / INDEX
    if isinstance(index, dict) and "pending" in index and "groups" not in index:
        raise BadInputError(f"{where}: the run that wrote this folder was cut off before it finished.",
                            hint="Run that stage (groups, onegroup or lineart) again into this folder.")
    if not isinstance(index, dict) or not all(isinstance(index.get(k, {}), dict)
                                              for k in ("groups", *dict(EXTRA_SETS))) \
            or "groups" not in index:
        raise BadInputError(f"{where}: not a GroupSplit index (it needs \"groups\": {{name: manifest}}).",
                            hint=DAMAGED_HINT)
    sets = {}
    for key, what in (("groups", "group"), *EXTRA_SETS):
        sets[key] = {}
        for name, rel in index.get(key, {}).items():
            check_group(name, f"{where}: {what}", hint=DAMAGED_HINT)
            sets[key][name] = load(stored_path(folder, rel, source=where, where=f"{what} {name}'s manifest",
                                               hint=DAMAGED_HINT))
    return GroupSets(folder, sets["groups"], sets["crops"], sets["composed"], sets["stills"])
