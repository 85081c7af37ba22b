"""PairCompose end to end: GroupSplit's folders and the reference stills in; the same groups out,
each two-character group with a set of composed pictures beside its real frames, and each
character's own stills as a set of their own.

The composed pictures are made from clean solo material: every character cut out of its solo
frames, matched in scale by head height, laid side by side on white (``layout``), and kept only
when GroupSplit's own counting and naming find exactly that pair (``checks``); the rest are
counted per reason.  The real frames stay as they are: the composed set lives in its own folder
(``composed/<group>/``) and CaptionWithKeepTokens writes it as a kohya subset of its own, capped at
a multiple of the real frames.  The same seed and material make the same pictures.
"""

import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence

import numpy as np

from ..errors import BadInputError
from ..frameset import FrameSet
from ..hashing import bytes_sha256
from ..image.files import read_image
from ..image.paper import on_white
from ..names import check_names
from ..people.detectors import load_detector
from ..people.export import GroupSets, check_groups_for, export_set, load_groups, write_group_folders
from ..people.groups import GroupSettings, load_references
from ..people.identity import load_embedder
from ..people.matching import Matcher
from ..people.settings import CountSettings
from ..png import encode_png
from ..progress import Progress
from ..seeds import stream_seed
from ..text.backends import load_backend
from ..text.search import TextSearch
from ..text.settings import TextSettings
from .checks import Judge
from .figures import Figure, cut_figure
from .layout import plan, render
from .settings import ComposeSettings

TRIES = 4             # tries per composed picture asked for, before the group is left short
NEAR = 1.15           # a partner is picked among the other character's cut-outs with a head this close in size
HEAD_SPREAD = 1.5     # a cut-out's head height against its figure's, off the character's usual by more: not used


@dataclass
class PairReport:
    """What composing one two-character group did."""

    group: str
    real: int                                    # its real frames
    kept: List[dict] = field(default_factory=list)       # the composed set's rows
    pictures: List[bytes] = field(default_factory=list)  # their PNGs, written with the set
    rejected: Dict[str, int] = field(default_factory=dict)   # reason -> composed pictures not kept
    tries: int = 0

    @property
    def pass_rate(self) -> float:
        judged = len(self.kept) + sum(n for r, n in self.rejected.items() if r != "layout")
        return len(self.kept) / judged if judged else 0.0


@dataclass
class ComposeResult:
    groups: GroupSets
    pairs: Dict[str, PairReport]
    figures: Dict[str, int]                      # usable solo cut-outs per character
    unusable: Dict[str, Dict[str, int]]          # per character, solo frames that gave none, per reason
    stills: Dict[str, Dict[str, int]]            # per character: kept stills by origin, and rejected
    settings: ComposeSettings
    seconds: float
    warnings: List[str]

    @property
    def summary(self) -> dict:
        return {"folder": str(self.groups.folder),
                "pairs": {g: {"real": p.real, "kept": len(p.kept), "rejected": p.rejected, "tries": p.tries,
                              "pass_rate": round(p.pass_rate, 4)} for g, p in self.pairs.items()},
                "figures": self.figures, "unusable": self.unusable, "stills": self.stills,
                "composed_sets": {g: str(s.path) for g, s in self.groups.composed.items()},
                "stills_sets": {n: str(s.path) for n, s in self.groups.stills.items()},
                "settings": self.settings.to_dict(), "seconds": round(self.seconds, 2), "warnings": self.warnings}


def pictures_key(stills: Mapping[str, Sequence[np.ndarray]]) -> dict:
    """What names a run by its pictures: a digest of each still's pixels (other stills, other output)."""
    return {name: [bytes_sha256(np.ascontiguousarray(p).tobytes() + repr(np.shape(p)).encode()) for p in pictures]
            for name, pictures in stills.items()}


def _split_record(groups: GroupSets) -> dict:
    """How GroupSplit named the characters (its sets' recorded settings): embedder, threshold,
    margin and counting, so the composed pictures are judged exactly as the real frames were."""
    for s in groups.groups.values():
        record = s.manifest.get("settings")
        if s.stage.startswith("group:") and record and "threshold" in record:
            return dict(record)
    return {}


def _counting(record: Mapping) -> CountSettings:
    fields = CountSettings.__dataclass_fields__
    return CountSettings(**{k: v for k, v in dict(record.get("count") or {}).items() if k in fields})


def _figures(frames: FrameSet, name: str, judge: Judge, unusable: Dict[str, int]) -> List[Figure]:
    import cv2

    out = []
    for row in frames.kept:
        named = [r for r in row.get("characters_named", ()) if r[0] == name]
        if len(named) != 1:
            unusable["not one character named"] = unusable.get("not one character named", 0) + 1
            continue
        bgr = read_image(frames.image_path(row), cv2.IMREAD_COLOR, f"group {name}: picture",
                         hint="Run GroupSplit again.")
        fig = cut_figure(bgr, tuple(named[0][2]), name, row["file"], judge.detector, judge.counting)
        if isinstance(fig, str):
            unusable[fig] = unusable.get(fig, 0) + 1
        elif judge.text_rects(_alone(fig, bgr.shape[1])):
            unusable["the text filter reads it as text"] = unusable.get("the text filter reads it as text", 0) + 1
        else:
            out.append(fig)
    return _in_proportion(out, unusable)


def _alone(fig: Figure, width: int) -> np.ndarray:
    """The cut-out alone on white paper of its frame's size, as the text filter would see it."""
    h, w = fig.mask.shape
    H = max(fig.frame_height, h)
    W = max(width, w)
    paper = np.full((H, W, 3), 255, np.uint8)
    x, y = (W - w) // 2, H - h
    paper[y:y + h, x:x + w] = fig.pixels
    return paper


def _in_proportion(figures: List[Figure], unusable: Dict[str, int]) -> List[Figure]:
    """The figures whose head is in proportion with the character's other whole figures: a head
    box that took in the shoulders (or only a hair bump) would scale the pair wrong."""
    ratios = [f.head_height / f.mask.shape[0] for f in figures if not f.bottom_cut]
    if not ratios:
        return figures
    usual = float(np.median(ratios))
    out = []
    for f in figures:
        ratio = f.head_height / f.mask.shape[0]
        if ratio > HEAD_SPREAD * usual or (not f.bottom_cut and ratio < usual / HEAD_SPREAD):
            unusable["head out of proportion"] = unusable.get("head out of proportion", 0) + 1
        else:
            out.append(f)
    return out


def _near_in_size(figures: List[Figure], head: float) -> List[Figure]:
    """The figures whose head is within ``NEAR`` of ``head`` (all of them when none is): the less a
    pair is shrunk to match, the more its lines stay as drawn (shrunk figures also read as text)."""
    near = [f for f in figures if max(f.head_height, head) <= NEAR * min(f.head_height, head)]
    return near or figures


def _frame_size(frames: FrameSet) -> tuple:
    """(width, height) of a group's real frames: the composed pictures are that size."""
    import cv2

    row = frames.kept[0]
    if row.get("width") and row.get("height"):
        return int(row["width"]), int(row["height"])
    h, w = read_image(frames.image_path(row), cv2.IMREAD_COLOR, "pair frame", hint="Run GroupSplit again.").shape[:2]
    return w, h


def compose_pair(group: str, figures: Mapping[str, List[Figure]], size: tuple, real: int, judge: Judge,
                 settings: ComposeSettings, progress: Progress) -> PairReport:
    """Up to ``settings.count`` composed pictures of the two characters of ``group`` that pass the
    checks, trying at most ``TRIES`` times as many."""
    import cv2

    a, b = group.split("+")
    report = PairReport(group, real)
    for k in range(settings.count * TRIES):
        if len(report.kept) >= settings.count:
            break
        report.tries += 1
        rng = random.Random(stream_seed(settings.seed, f"compose:{group}", k))
        fa = rng.choice(figures[a])
        fb = rng.choice(_near_in_size(figures[b], fa.head_height))
        layout = plan(fa, fb, size, settings, rng)
        if isinstance(layout, str):
            report.rejected["layout"] = report.rejected.get("layout", 0) + 1
            continue
        picture = render(layout)
        laid = [(p.name, p.box(*size)) for p in layout.placed]
        reason, named = judge.check(picture, laid)
        if reason:
            report.rejected[reason] = report.rejected.get(reason, 0) + 1
            continue
        data = encode_png(np.ascontiguousarray(cv2.cvtColor(picture, cv2.COLOR_BGR2RGB)))
        n = len(report.kept)
        report.pictures.append(data)
        sources = {fa.name: fa.source, fb.name: fb.source}
        report.kept.append({"index": n, "file": f"images/{group}_composed_{n:04d}.png", "sha256": bytes_sha256(data),
                            "width": size[0], "height": size[1], "group": group, "characters_named": named,
                            "composed": {**layout.describe(), "try": k,
                                         "from": [sources[p.name] for p in layout.placed]}})
        progress.update(progress.done + 1)
    return report


def _still_rows(name: str, pictures: Sequence[np.ndarray], origin: str, start: int) -> tuple:
    """(rows, PNGs) of a character's stills, laid on white."""
    import cv2

    rows, data = [], []
    for k, picture in enumerate(pictures):
        bgr = on_white(np.asarray(picture))
        png = encode_png(np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))
        n = start + k
        rows.append({"index": n, "file": f"images/{name}_{origin}_{n:03d}.png", "sha256": bytes_sha256(png),
                     "width": bgr.shape[1], "height": bgr.shape[0], "character": name, "still": origin})
        data.append(png)
    return rows, data


def _drawn_stills(drawn: Mapping[str, Sequence[np.ndarray]], judge: Judge, counts: Dict[str, Dict[str, int]]):
    """The hand-drawn stills that show their character alone and named right, per character."""
    kept = {}
    for name, pictures in drawn.items():
        into = counts.setdefault(name, {})
        kept[name] = []
        for picture in pictures:
            bgr = on_white(np.asarray(picture))
            h, w = bgr.shape[:2]
            reason, _ = judge.check(bgr, [(name, (0.0, 0.0, float(w), float(h)))])
            if reason:
                into[f"rejected: {reason}"] = into.get(f"rejected: {reason}", 0) + 1
            else:
                kept[name].append(bgr)
    return kept


def _stills(references: Mapping[str, Sequence[np.ndarray]], drawn: Mapping[str, List[np.ndarray]],
            counts: Dict[str, Dict[str, int]]) -> Dict[str, tuple]:
    """Per character, (rows, PNGs) of its stills: the reference stills, then the drawn ones kept."""
    out = {}
    for name in dict.fromkeys([*references, *drawn]):
        rows, data = [], []
        for origin, pictures in (("reference", list(references.get(name, ()))), ("drawn", drawn.get(name, []))):
            r, d = _still_rows(name, pictures, origin, len(rows))
            rows, data = rows + r, data + d
            if r:
                counts.setdefault(name, {})[origin] = len(r)
        if rows:
            out[name] = (rows, data)
    return out


def _judge(record: Mapping, references: Mapping[str, Sequence[np.ndarray]], device: str, detect_models,
           embed_models) -> Judge:
    """GroupSplit's analyzers as its record names them, and TextFrameFilter's, loaded once."""
    counting = _counting(record)
    split = GroupSettings()
    detector = load_detector(counting.detector, device=device, models_dir=detect_models)
    ran = record.get("embedder")                 # the embedder that really ran ('auto' resolved), as recorded
    embedder = load_embedder(ran.get("embedder", split.embedder) if isinstance(ran, Mapping) else split.embedder,
                             device=device, models_dir=embed_models)
    refs = load_references(references, detector, counting)
    text = TextSettings()
    return Judge(detector, counting, Matcher(refs, embedder), record.get("threshold") or embedder.threshold,
                 record.get("min_margin", split.min_margin),
                 TextSearch(load_backend(text.backend, device=device), text.min_text_height, text.fast), text)


def compose(groups: GroupSets, references: Mapping[str, Sequence[np.ndarray]], out: os.PathLike,
            settings: Optional[ComposeSettings] = None, progress: Optional[Progress] = None, *,
            drawn: Optional[Mapping[str, Sequence[np.ndarray]]] = None, device: str = "cpu",
            detect_models: Optional[str] = None, embed_models: Optional[str] = None) -> ComposeResult:
    """``references``: character name -> 1-5 BGR stills (GroupSplit's).  ``drawn``: character
    name -> any number of the artist's own stills of it alone, added to its stills set when they
    pass the same checks."""
    settings = settings or ComposeSettings()
    progress = progress or Progress()
    started = time.monotonic()
    out = Path(out)
    check_groups_for(groups, out, "PairCompose", "compose")
    drawn = dict(drawn or {})
    check_names(list(references))
    strangers = sorted(set(drawn) - set(references))
    if strangers:
        raise BadInputError(f"stills of {', '.join(strangers)}: no reference stills name that character.",
                            hint="Give stills only of characters that have references.")
    record = _split_record(groups)
    judge = _judge(record, references, device, detect_models, embed_models)
    pairs = [g for g in groups.groups if len(g.split("+")) == 2]
    warnings = []
    figures, unusable = {}, {}
    for g in pairs:
        for name in g.split("+"):
            if name in figures:
                continue
            unusable[name] = {}
            if name not in references:
                raise BadInputError(f"group {g}: no reference stills of {name}; the composed pictures could not be "
                                    "checked.", hint="Give the same references as GroupSplit's.")
            solo = groups.groups.get(name)
            figures[name] = _figures(solo, name, judge, unusable[name]) if solo is not None else []
    progress.set_total(settings.count * len(pairs))
    reports = {}
    for g in pairs:
        a, b = g.split("+")
        missing = [n for n in (a, b) if not figures[n]]
        if missing:
            warnings.append(f"group {g}: no usable solo frame of {' or '.join(missing)} to cut out, so nothing is "
                            "composed for it (PairCompose needs each character alone in some frames).")
            continue
        if settings.count:
            reports[g] = compose_pair(g, figures, _frame_size(groups.groups[g]), len(groups.groups[g]), judge,
                                      settings, progress)
            if len(reports[g].kept) < settings.count:
                warnings.append(f"group {g}: {len(reports[g].kept)} of {settings.count} composed pictures passed the "
                                f"checks in {reports[g].tries} tries.")
    stills_counts: Dict[str, Dict[str, int]] = {}
    stills = _stills(references if settings.reference_stills else {}, _drawn_stills(drawn, judge, stills_counts),
                     stills_counts)
    record_key = {"compose": settings.to_dict(), "split": {k: v for k, v in record.items() if k != "references"}}
    parent = next(iter(groups.groups.values()))
    composed_parents = {g: groups.groups[g] for g, r in reports.items() if r.kept}
    stills_parents = {n: groups.groups.get(n, parent) for n in stills}

    def write_set(frames: FrameSet, folder: Path, name: str) -> FrameSet:
        kind, _, key = name.partition("/")
        if kind == "composed":
            rows, data = reports[key].kept, reports[key].pictures
        elif kind == "stills":
            rows, data = stills[key]
        else:
            return export_set(frames, folder)
        (folder / "images").mkdir(parents=True, exist_ok=True)
        for row, png in zip(rows, data):
            (folder / row["file"]).write_bytes(png)
        return frames.made(folder, kind, {**record_key, "set": name}, rows)

    write_group_folders(out, groups.groups, groups.crops, write_set,
                        {"composed": composed_parents, "stills": stills_parents})
    progress.update(progress.done, force=True)
    return ComposeResult(load_groups(out), reports, {n: len(f) for n, f in figures.items()}, unusable,
                         stills_counts, settings, time.monotonic() - started, warnings)
