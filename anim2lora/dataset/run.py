"""CaptionWithKeepTokens end to end: GroupSplit's folders in, a kohya dataset out.

Every picture gets its group's pinned head and its own tags (a WD14 tagger's, or measured
offline), cleaned by the blacklist; each group becomes a ``<repeats>_<group>/`` folder with
balanced repeats; ``dataset_config.toml`` and ``dataset.json`` describe it all.  Tagger scores
are cached per picture, so another threshold or blacklist writes captions again in seconds.
"""

import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional


from ..cache_layout import analysis_path
from ..errors import BadInputError, MissingModelError
from ..frameset import DAMAGED_HINT, link_or_copy, read_index, write_json_atomic, write_text_atomic
from ..image.files import check_size, read_image
from ..image.spread import evenly
from ..names import check_group
from ..hashing import settings_digest
from ..people.export import GroupSets, refuse_writing_into
from ..progress import Progress
from ..safe_paths import stored_path
from ..staging import staging
from ..store import CachedAnalysis
from .captions import caption_text, head_tags
from .kohya import (COMPOSED, FRAMES, KINDS, STILLS, Subset, balanced_repeats, dataset_toml, folder_name,
                    split_subset, step_shares, steps_by_source, subset_name, thin_warnings)
from .offline import measured_tags
from .settings import CaptionSettings
from .tagger import DEFAULT_TAGGER, Wd14Tagger, load_tagger
from .tags import Blacklist, drop_overlaps, split, unique

INDEX = "dataset.json"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
CONFIG = "dataset_config.toml"
ANALYZER = "dataset.tagger"


@dataclass
class Dataset:
    """What TrainLoRA trains on (ComfyUI type ``A2L_DATASET``): the kohya folders and config."""

    folder: Path
    config: Path
    subsets: List[Subset]
    resolution: int
    keep_tokens_separator: str
    tagger: str
    tag_frequency: Dict[str, Dict[str, int]]

    @property
    def keep_tokens(self) -> int:
        return max((s.keep_tokens for s in self.subsets), default=0)

    @property
    def groups(self) -> List[str]:
        """The groups of characters the subsets show, once each, in the subsets' order (``A``,
        ``B``, ``A+B``): a group's composed pictures and stills are no group of their own."""
        return list(dict.fromkeys(s.characters for s in self.subsets))

    @property
    def summary(self) -> dict:
        shares = step_shares(self.subsets)
        return {"dataset": str(self.folder), "config": str(self.config), "keep_tokens": self.keep_tokens,
                "groups": {s.group: {"images": len(s.images), "repeats": s.repeats, "keep_tokens": s.keep_tokens,
                                     "folder": s.folder.name, "share": round(shares[s.group], 3),
                                     "characters": s.characters, "kind": s.kind}
                           for s in self.subsets},
                "steps_by_source": steps_by_source(self.subsets),
                "tagger": self.tagger}


@dataclass
class CaptionResult:
    dataset: Dataset
    settings: CaptionSettings
    warnings: List[str]
    seconds: float
    tagged: int            # pictures the tagger ran on (the rest came from the cache or offline)
    composed: Dict[str, Dict[str, int]] = field(default_factory=dict)   # group -> made, used, real frames


def _plan(groups: GroupSets, settings: CaptionSettings) -> tuple:
    """The subsets to write, in order, as (subset name, group, [(frame set, row)]), and per group
    the composed pictures made and used.  Each group's frames (with its crops), then its stills,
    then its composed pictures, capped at ``composed_share`` times the group's real frames."""
    order = list(groups.groups)
    if settings.use_crops:
        order[:0] = [n for n in groups.crops if n not in groups.groups]      # solo groups first, as GroupSplit orders
    order[:0] = [n for n in groups.stills if n not in order]                 # a character known from stills alone
    plan, composed = [], {}
    for g in order:
        plan.append((subset_name(g, FRAMES), g, _pictures(groups, g, settings.use_crops)))
        if g in groups.stills:
            plan.append((subset_name(g, STILLS), g, [(groups.stills[g], r) for r in groups.stills[g].kept]))
        if g in groups.composed:
            real = len(groups.groups[g]) if g in groups.groups else 0
            made = groups.composed[g].kept
            used = evenly(made, min(len(made), int(settings.composed_share * real + 1e-9)))
            composed[g] = {"made": len(made), "used": len(used), "real": real}
            plan.append((subset_name(g, COMPOSED), g, [(groups.composed[g], r) for r in used]))
    return [p for p in plan if p[2]], composed


def _subset_repeats(plan, settings: CaptionSettings) -> Dict[str, int]:
    """Repeats per subset: groups balanced on their frames and used composed pictures together,
    every subset of a group repeated as its frames are (so the composed pictures' steps keep the
    cap), stills at ``stills_repeats`` (0: as the group's frames)."""
    counts: Dict[str, int] = {}
    for name, g, items in plan:
        counts[g] = counts.get(g, 0) + (0 if split_subset(name)[1] == STILLS else len(items))
    for name, g, items in plan:           # a character with nothing but stills is balanced on them
        if not counts[g]:
            counts[g] = len(items)
    by_group = balanced_repeats(counts, settings.balance, settings.max_repeats)
    return {name: (settings.stills_repeats or by_group[g]) if split_subset(name)[1] == STILLS else by_group[g]
            for name, g, _ in plan}


def _pictures(groups: GroupSets, group: str, use_crops: bool) -> List[tuple]:
    """(frame set, row) of every picture of a group: its frames, and for a solo group the crops
    of that character when asked for (a character seen only together with others has a solo
    group of crops alone)."""
    items = [(groups.groups[group], r) for r in groups.groups[group].kept] if group in groups.groups else []
    if use_crops and group in groups.crops:
        items += [(groups.crops[group], r) for r in groups.crops[group].kept]
    return items


def _tags(tagger: Optional[Wd14Tagger], scores: CachedAnalysis, settings: CaptionSettings, bgr, sha: str) -> List[str]:
    """A picture's tags: the tagger's (its scores cached by the picture's sha256) or measured offline."""
    if tagger is None:
        return measured_tags(bgr)
    found = scores.cached(sha)
    if found is None:
        found = tagger.scores([bgr])[0]
        scores.found(sha, found)
    return tagger.tags(found, settings.general_threshold, settings.character_threshold)


def _choose_tagger(settings: CaptionSettings, models_dir, device: str) -> Optional[Wd14Tagger]:
    if settings.tagger == "offline":
        return None
    name = DEFAULT_TAGGER.name if settings.tagger == "auto" else settings.tagger
    try:
        return load_tagger(models_dir, name, device=device, allow_download=settings.allow_download)
    except MissingModelError:
        if settings.tagger == "auto":
            return None
        raise


def build_dataset(groups: GroupSets, out: os.PathLike, settings: Optional[CaptionSettings] = None,
                  progress: Optional[Progress] = None, *, device: str = "cpu",
                  models_dir: Optional[os.PathLike] = None, scores: Optional[os.PathLike] = None) -> CaptionResult:
    """``scores``: where tagger scores are cached (default ``out``'s analysis.sqlite); the node
    keeps one store for every dataset, so a new threshold never tags a picture again."""
    import cv2

    settings = settings or CaptionSettings()
    progress = progress or Progress()
    started = time.monotonic()
    out = Path(out)
    refuse_writing_into(groups.folder, out, "CaptionWithKeepTokens")
    plan, composed = _plan(groups, settings)
    if not plan:
        raise BadInputError(f"{groups.folder}: GroupSplit put no frame in any group; there is nothing to caption.",
                            hint="Check GroupSplit's report: its reference stills, or its rejected frames.")
    tagger = _choose_tagger(settings, models_dir, device)
    blacklist = Blacklist(split(settings.blacklist))
    order = [name for name, _, _ in plan]
    items = {name: pictures for name, _, pictures in plan}
    repeats = _subset_repeats(plan, settings)
    img = out / "img"
    if img.exists() and not _written_here(out):
        raise BadInputError(f"{img} is in the way: no earlier caption run wrote it, so it is left as it is.",
                            hint="Give another --out folder, or move that folder away.")
    progress.set_total(sum(len(v) for v in items.values()))
    subsets, frequency, done = [], {}, 0
    key = settings_digest(tagger.identity() if tagger else {"offline": 1}, 16)
    with CachedAnalysis(Path(scores) if scores else analysis_path(out), ANALYZER, key) as cache:
        with staging() as stage:
            staged = stage.folder(img)
            for g in order:
                head = head_tags(g, settings.trigger, settings.count_tag)
                folder = img / folder_name(g, repeats[g])
                subset = Subset(g, folder, repeats[g], len(head))
                counted: Counter = Counter()
                for frames, row in items[g]:
                    src = frames.image_path(row)
                    bgr = read_image(src, cv2.IMREAD_COLOR, f"group {g}: picture", hint="Run GroupSplit again.")
                    found = (_tags(tagger, cache, settings, bgr, row.get("sha256") or "")
                             + (["lineart"] if row.get("lineart") else []))
                    free = drop_overlaps(blacklist(unique(found)))
                    if settings.keep_tokens_separator:     # kohya would read it as the end of the head
                        free = [t for t in free if settings.keep_tokens_separator not in t]
                    caption = caption_text(head, free, settings.keep_tokens_separator)
                    image = folder / Path(row["file"]).name
                    written = staged / folder.name / image.name
                    link_or_copy(src, written)
                    written.with_suffix(".txt").write_text(caption + "\n", encoding="utf-8")
                    subset.images.append(image)
                    subset.captions.append(caption)
                    counted.update([*head, *free])
                    done += 1
                    progress.update(done)
                frequency[folder.name] = dict(counted.most_common())
                subsets.append(subset)
    progress.update(done, force=True)
    config = out / CONFIG
    write_text_atomic(config, dataset_toml(subsets, settings.resolution,
                                           keep_tokens_separator=settings.keep_tokens_separator))
    dataset = Dataset(out, config, subsets, settings.resolution, settings.keep_tokens_separator,
                      tagger.name if tagger else "offline", frequency)
    lineart = sorted({r["lineart"]["method"] for items_ in items.values() for _, r in items_ if r.get("lineart")})
    write_json_atomic(out / INDEX, {**dataset.summary, "settings": settings.to_dict(), "tag_frequency": frequency,
                                    "pictures": "line art: " + ", ".join(lineart) if lineart else "raw frames",
                                    "sources": {g: [str(fs.path) for fs in {id(f): f for f, _ in items[g]}.values()]
                                                for g in order},
                                    "composed": composed})
    warnings = thin_warnings(subsets, settings.max_repeats)
    sized = {r["lineart"].get("resolution") for items_ in items.values() for _, r in items_ if r.get("lineart")}
    if sized - {0, settings.resolution}:
        warnings.append(f"the line art was sized for resolution {', '.join(map(str, sorted(sized - {0})))} but the "
                        f"dataset trains at {settings.resolution}: kohya will size the pictures again. Use one "
                        "resolution in both nodes.")
    for g, c in composed.items():
        if not c["real"] and c["made"]:
            warnings.append(f"group {g}: {c['made']} composed pictures but no real frame of {g}; composed pictures are "
                            f"used up to composed_share ({settings.composed_share:g}) times the real frames, so none is.")
    return CaptionResult(dataset, settings, warnings, time.monotonic() - started, cache.ran, composed)


def _written_here(out: Path) -> bool:
    """Whether ``out/img`` is this stage's: its index or config beside it, or (a run cut off by an
    older version, which removed those first) nothing in it but kohya's ``<repeats>_<group>`` folders."""
    img = out / "img"
    if (out / INDEX).is_file() or (out / CONFIG).is_file():
        return True
    return img.is_dir() and not img.is_symlink() and all(
        p.is_dir() and not p.is_symlink() and re.fullmatch(r"\d+_.+", p.name) for p in img.iterdir())


def load_dataset(folder: os.PathLike) -> Dataset:
    """The dataset a caption run wrote under ``folder`` (its ``dataset.json``), checked through:
    group names, folders inside ``img/``, every picture's size (from its header) and a caption
    that is not blank, so training stops here, before any model is loaded."""
    folder = Path(folder)
    index = read_index(folder, INDEX, "dataset", "caption")
    where = folder / INDEX

    def bad(what: str) -> BadInputError:
        return BadInputError(f"{where}: {what}.", hint=DAMAGED_HINT)

    if not isinstance(index, dict) or not isinstance(index.get("groups"), dict):
        raise bad('not a dataset index (it needs "groups": {name: {folder, repeats, keep_tokens}})')
    subsets = []
    for g, entry in index["groups"].items():
        group, kind = split_subset(g) if isinstance(g, str) else (g, FRAMES)
        check_group(group, f"{where}: group", hint=DAMAGED_HINT)
        if kind not in KINDS:
            raise bad(f"subset {g}: '{kind}' is no kind of subset ({', '.join(KINDS)})")
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), int) and not isinstance(entry[k], bool)
                                                  for k in ("repeats", "keep_tokens")):
            raise bad(f"group {g} needs whole-number repeats and keep_tokens")
        name = entry.get("folder")
        if name != folder_name(g, entry["repeats"]):        # the name the caption stage gives it, nothing else
            raise bad(f"group {g}'s folder {name!r} is not a folder name of this stage's "
                      f"('{folder_name(g, entry['repeats'])}')")
        sub = Subset(g, stored_path(folder / "img", name, source=where, where=f"group {g}'s folder", hint=DAMAGED_HINT),
                     entry["repeats"], entry["keep_tokens"])
        if not sub.folder.is_dir():
            raise BadInputError(f"{where}: group {g}'s folder {sub.folder} is missing.",
                                hint=f"Run `python -m anim2lora caption` again into {folder}.")
        for image in sorted(p for p in sub.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
            check_size(image, "dataset picture", hint="Run the caption stage again.")
            caption = image.with_suffix(".txt")
            try:
                text = caption.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as e:
                raise BadInputError(f"{caption}: the picture's caption cannot be read ({e}).",
                                    hint="Every picture needs a caption file of the same name: run the caption "
                                         "stage again.") from None
            if not text:
                raise BadInputError(f"{caption}: an empty caption (blank or only spaces); the picture would train "
                                    "with no name pinned.", hint="Write its tags, or run the caption stage again.")
            sub.images.append(image)
            sub.captions.append(text)
        subsets.append(sub)
    if not any(s.images for s in subsets):
        raise BadInputError(f"dataset {folder} holds no pictures.", hint="Run the caption stage again.")
    settings = index.get("settings") if isinstance(index.get("settings"), dict) else {}
    return Dataset(folder, folder / CONFIG, subsets, settings.get("resolution", 512),
                   settings.get("keep_tokens_separator", ""), index.get("tagger", "offline"),
                   index.get("tag_frequency", {}))
