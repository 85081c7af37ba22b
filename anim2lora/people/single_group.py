"""All of a frame set as one group, nobody named: the write-up's v1 ("~300 lumped together"),
kept runnable so its failures can be measured against v2's, or one character's own animation."""

from dataclasses import dataclass
from pathlib import Path

from ..errors import BadInputError
from ..frameset import FrameSet
from ..specs import setting
from .export import GroupSets, write_groups
from .groups import check_names


@dataclass(frozen=True)
class SingleGroupSettings:
    name: str = setting("anim", "The group's name: the tag pinned first in every caption (letters, digits, space, "
                        "'_', '.', '-').")


def single_group(frames: FrameSet, name: str, out: Path) -> GroupSets:
    """``frames``' kept frames as the one group ``name``, written under ``out`` as GroupSplit
    writes its groups (so LineArtPrep and CaptionWithKeepTokens take it as they take those)."""
    name = name.strip()
    check_names([name], "SingleGroup name")
    if not len(frames):
        raise BadInputError(f"{frames.path}: the frame set has no kept frames, so the group '{name}' would be empty.",
                            hint="Loosen the filter before this node, or extract more frames.")
    return write_groups({name: frames}, {}, Path(out))


def single_group_report(groups: GroupSets) -> str:
    (name, frames), = groups.groups.items()
    return (f"SingleGroup: {len(frames)} frames as one group '{name}' (no one is named, no frame is rejected)\n"
            f"group folders: {groups.folder}")
