"""The dataset as kohya sd-scripts reads it: ``<repeats>_<group>/`` folders of images with a
``.txt`` caption of the same stem, and a ``dataset_config.toml`` (``--dataset_config``) with one
``[[datasets.subsets]]`` per group, each with its own repeats and ``keep_tokens``.

Repeats are balanced so a thin group is not drowned: the write-up's 9 "both" frames beside 68
and 64 solo frames would otherwise be 7 % of the steps.
"""

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Tuple

from .captions import KIND_MARK, characters_of

WARN_REPEATS = 8           # past this, a group is mostly the same few pictures again and again
# where a subset's pictures come from: the video (frames and crops), PairCompose's composed
# pictures, the artist's own stills; each kind but frames is a subset of its own, "<group>~<kind>"
FRAMES, COMPOSED, STILLS = "frames", "composed", "stills"
KINDS = (FRAMES, COMPOSED, STILLS)


def subset_name(group: str, kind: str = FRAMES) -> str:
    """The name a group's subset of ``kind`` goes by (its folder is ``<repeats>_<name>``)."""
    if kind not in KINDS:
        raise ValueError(f"no such kind of subset: {kind}")
    return group if kind == FRAMES else f"{group}{KIND_MARK}{kind}"


def split_subset(name: str) -> Tuple[str, str]:
    """``"A+B~composed"`` -> ``("A+B", "composed")``; ``"A"`` -> ``("A", "frames")``; the kind
    may be one no version wrote (the caller checks it against ``KINDS``)."""
    group, mark, kind = name.partition(KIND_MARK)
    return group, (kind if mark else FRAMES)


@dataclass
class Subset:
    """One kohya subset.  ``group`` is the subset's own name (what its repeats are keyed by):
    the group for its frames, ``<group>~composed`` or ``<group>~stills`` beside it."""

    group: str
    folder: Path
    repeats: int
    keep_tokens: int
    images: List[Path] = field(default_factory=list)
    captions: List[str] = field(default_factory=list)

    @property
    def steps(self) -> int:
        return self.repeats * len(self.images)

    @property
    def characters(self) -> str:
        """The group its pictures show (``A+B``), whatever their kind."""
        return characters_of(self.group)

    @property
    def kind(self) -> str:
        return split_subset(self.group)[1]


def steps_by_source(subsets: List[Subset]) -> Dict[str, Dict[str, int]]:
    """Per character, the steps of an epoch that show it, by where the pictures come from
    (frames, composed, stills): a pair's picture counts for both of its characters."""
    out: Dict[str, Dict[str, int]] = {}
    for s in subsets:
        for name in s.characters.split("+"):
            into = out.setdefault(name, {k: 0 for k in KINDS})
            into[s.kind] = into.get(s.kind, 0) + s.steps
    return out


def balanced_repeats(counts: Mapping[str, int], balance: float = 1.0, max_repeats: int = 16) -> Dict[str, int]:
    """Repeats per group so each group's share of the steps (images x repeats) moves towards an
    equal share: ``balance`` 1 equalises, 0 leaves every group at 1 repeat.  Capped at
    ``max_repeats``."""
    largest = max(counts.values(), default=0)
    return {g: max(1, min(max_repeats, round((largest / n) ** balance))) if n else 0 for g, n in counts.items()}


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    # a TOML basic string: quotes and backslashes escaped, control characters (DEL too) as \uXXXX
    body = "".join(f"\\u{ord(c):04X}" if ord(c) < 32 or ord(c) == 127 else
                   ("\\" + c if c in '"\\' else c) for c in str(value))
    return f'"{body}"'


def dataset_toml(subsets: List[Subset], resolution: int, batch_size: int = 1, keep_tokens_separator: str = "",
                 shuffle_caption: bool = True) -> str:
    """kohya's ``--dataset_config`` for these subsets (absolute paths: kohya reads them from its
    own working folder)."""
    lines = ["# Written by Anim2LoRA for kohya sd-scripts: train_network.py --dataset_config <this file>", "",
             "[general]", f"shuffle_caption = {_toml_value(shuffle_caption)}", 'caption_extension = ".txt"', "",
             "[[datasets]]", f"resolution = {resolution}", f"batch_size = {batch_size}", "enable_bucket = true",
             f"min_bucket_reso = {max(64, min(256, resolution // 2) // 64 * 64)}",
             f"max_bucket_reso = {max(resolution, 1024 if resolution >= 512 else resolution * 2)}",
             "bucket_reso_steps = 64", "bucket_no_upscale = true"]
    for s in subsets:
        lines += ["", "  [[datasets.subsets]]", f"  image_dir = {_toml_value(s.folder.resolve().as_posix())}",
                  f"  num_repeats = {s.repeats}", f"  keep_tokens = {s.keep_tokens}"]
        if keep_tokens_separator:
            lines.append(f"  keep_tokens_separator = {_toml_value(keep_tokens_separator)}")
    return "\n".join(lines) + "\n"


def step_shares(subsets: List[Subset]) -> Dict[str, float]:
    total = sum(s.steps for s in subsets)
    return {s.group: (s.steps / total if total else 0.0) for s in subsets}


def folder_name(group: str, repeats: int) -> str:
    return f"{repeats}_{group}"


def thin_warnings(subsets: List[Subset], max_repeats: int) -> List[str]:
    out = []
    shares = step_shares(subsets)
    largest = max((len(s.images) for s in subsets), default=0)
    for s in subsets:
        if s.kind != FRAMES:       # stills and composed pictures take their repeats from settings, on purpose
            continue
        if s.repeats > WARN_REPEATS:
            out.append(f"group {s.group}: {s.repeats} repeats of {len(s.images)} pictures: it will be learned from "
                       "few pictures seen very often (it may be copied rather than learned). Add frames or crops.")
        if len(s.images) and round(largest / len(s.images)) > max_repeats:
            out.append(f"group {s.group}: capped at {max_repeats} repeats, {shares[s.group]:.0%} of the steps.")
    return out


def steps_per_epoch(subsets: List[Subset], batch_size: int = 1) -> int:
    return math.ceil(sum(s.steps for s in subsets) / max(1, batch_size))
