"""GroupSplit: every counted character named after the nearest reference still, every frame put
in the group of the characters it shows (``A``, ``B``, ``A+B``), and per-character crops as extra
solo data.

A frame whose characters are not all recognised, or whose bodies overlap, goes to the rejected
set with the reason: a wrong name in a caption teaches the LoRA a stranger.  So does a frame
named as one character where the drawing beside it in its shot fused two bodies (FUSED), and a
smaller figure behind a character is named only on a close match (BEHIND_SIZE).  Once every shot is
named, the clip is looked at as a whole: a name given short of a sure call to a drawing that
looks like a character the clip leaves unnamed shot after shot is taken back (RECUR), and a lone
character left unknown that lies as near a name's sure drawings as they lie to one another, and
nearer them than the characters the clip leaves unknown, is named (CONFIRM_NEAR, CONFIRM_APART).
"""

import heapq
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from ..cache_layout import FRAMES
from ..errors import BadInputError
from ..frameset import FrameSet
from ..hashing import bytes_sha256, settings_digest
from ..image.files import read_frame
from ..image.paper import on_white
from ..names import UNKNOWN, check_names
from ..png import encode_png
from ..progress import Progress
from ..specs import check_declared, setting
from .detectors import Detector, load_detector
from .boxes import Rect, area
from .identity import EMBEDDER_NAMES, load_embedder
from .matching import Look, Looks, Matcher, Reference, Seen, character_crop, reference_crops, seen_in
from .rules import CHARACTER, OVERLAP
from .run import count_frames
from .settings import CountSettings
from .tracks import LOOK, by_shot, lost, pooled, tracks

MAX_CROP_AREA = 0.5       # crops under half the frame: a crop as big as the frame adds nothing
THIN_GROUP = 20           # fewer frames than this: too thin to train on its own
CLEAR = 0.5               # beyond a name's own spread: named only when the runner-up is twice as far
LOST = "lost_character"   # a character found just before and after, in one place, is not found here
# Two bodies fused in one drawing of a shot do not come apart in the next: within a shot the
# characters stay about where they were.  A frame that names one character standing where the
# drawing just before or after it in the shot was left out as two fused bodies (FUSED_PLACE or
# more of its width across the fused box's) shows that pair too, one of them missed this time
# (hidden behind the other's hair, its outline merged into the other's): it leaves the single
# groups.  A pair that stands apart there is named as two characters and stays.  Only a fusion
# whose heads stand side by side (their middles farther apart across than up and down) counts:
# two people stand with their heads at about one height, while two heads found one above the
# other in one outline are as often one character's hair and face found twice.
FUSED = "fused_in_shot"
FUSED_PLACE = 0.5
# The pair stands there at the size it had: from one drawing to the next (a twelfth of a second
# on twos) the camera does not move in or out by much.  A character whose head is under
# FUSED_SIZE of the width of every head in the fused box (or over 1/FUSED_SIZE of it) stands in
# another shot, one the extraction did not cut off from the fused pair's (sweep half, line art: a
# close two-shot of A and B, fused, then a full shot of A, its head 0.56 of B's across, with no
# cut found between them).  Widths: a head box found on an outline can run down long hair.
FUSED_SIZE = 0.67
# A figure whose head is under BEHIND_SIZE of another character's in the frame, its box reaching
# into that character's, stands behind it, farther from the camera: most often an extra (a
# classmate, a passer-by) drawn in the show's palette, small and partly hidden, so its drawing
# tells less and a middling match (a third of the way to nothing alike) is chance.  Named as the
# other main character it would turn a solo frame into a false A+B, the worst error there is.
# Such a figure is named only on a close match, nearer than BEHIND_NEAR times the threshold (as
# near as HEAD_ALONE asks of a head that names a body alone).  Two main characters side by side
# stand apart or at one size; one staged deep behind the other is left unknown unless it is close.
BEHIND_SIZE = 0.75
BEHIND_NEAR = 0.6
# A name given short of a sure call (the nearest still within the name's limit and the runner-up
# at least 1/CLEAR as far) may be a stranger who comes back.  Real footage shows its side
# characters again and again, and one character's drawings in one clip (its light, its line)
# lie nearer one another than to the user's stills or to another character's drawings: a
# character the clip leaves unnamed in shot after shot is one of its own.  Such a call is left
# unknown when characters left unknown in RECUR other shots lie nearer to it than RECUR_NEAR
# times the name's nearest sure drawing in another shot.  On the development set's tune half,
# colour: the stranger named A lay 0.54-0.65 of that distance from the stranger left unknown in
# three other shots; of the right calls, the second-nearest other shot lay at 0.91 (line art)
# and 1.0 (colour) or farther.  One shot alone is not enough: the main character's own hard
# drawings (a dark, small full shot) are left unknown too, and lie near its calls there.
# The name's stills count as its drawings too: the unknown ones must lie nearer the call than
# RECUR_NEAR times its distance to them as well.  A character's sure drawings can be few and
# unlike the call (a close-up and a pan, while the call is a medium shot: the user's bust still
# spreads her stills so wide that her medium shots are rarely clear calls), and a stranger's
# full figure, in line art where every head lies about 0.2 from every other, can then lie nearer
# the call than they do; a stranger who comes back lies nearer its own drawings in the clip (one
# light, one line) than the user's stills, while a call nearer the stills than the unknown ones
# is not theirs.  Each drawing of the track is judged by its own distances, not the track's
# pooled ones, and one that reads as the stranger withdraws the call: a cut the shot detection
# missed joins a stranger standing where the name stood to the name's track, and pooled with the
# name's close drawings its own distances no longer show.  On the development set's spot half,
# line art: B's medium shots lay 0.13-0.15 from B's stills (pooled), 0.27-0.28 from her sure
# drawings and 0.18-0.20 from the stranger left unknown in two shots: drawing by drawing 0.7
# times as far as her sure drawings, 1.2 or more times as far as her stills (B in a full
# two-shot 0.85 or more).  A stranger after a missed cut, pooled 0.14 from B's stills with B's
# drawings before the cut (each 0.05 from them), lay 0.23 from them on its own and 0.09-0.20 from
# the unknown ones (0.4-0.9).  The stranger named A that RECUR was made for (tune half, colour,
# as first found) lay 0.35 from A's stills and 0.31 from A's sure drawings, its unknown
# look-alikes at 0.18 (0.6): still withdrawn.
RECUR = 2
RECUR_NEAR = 0.75
# The mirror of RECUR: a lone character the stills leave unknown, nearest one name by the margin
# and within the threshold, is named after it when its drawings lie as near that name's sure
# drawings in other shots as those lie to one another (the farthest of the name's sure shots
# from its nearest other one, each the mean over its drawings), nearer than CONFIRM_NEAR times
# the characters left unknown in the RECUR-th nearest other shot, and nearer than CONFIRM_APART
# times the other names' sure drawings.  A clip draws its main character alike from shot to
# shot, in its own line and light, while the user's stills may be drawn otherwise: a full shot
# of A whose body lay far from A's full still (0.31, where A's head lay 0.06 from A's sure
# drawings).  The clip's own spread is what tells: on the development set's tune and check
# halves a name's sure shots lay 0.02-0.11 from their nearest other one, the stranger 0.155 or
# more from A's; A's hard close-ups lay 0.17 from them, as far as the stranger, and stay unknown
# (a stranger seen once would be named with them: its unknown look-alikes, which RECUR counts,
# are then missing).  CONFIRM_NEAR 1: nearer the name's drawings than the clip's unknown ones
# (A's full shot 0.36, the strangers 1.5 or more).  CONFIRM_APART: between the two names the
# clip does not decide: B's dark medium shot (0.22 and 0.23 from the stills) lay 0.17 from A's
# drawings and 0.19 from B's (0.9); A's full shot 0.24.  Only a lone character: beside another,
# a wrong name puts the frame in the pair's group.
CONFIRM_NEAR = 1.0
CONFIRM_APART = 0.8
SURE_LOOKS = 256          # per name, the surest kept: enough to cover a clip's scenes, bounded memory
SHOT_LOOKS = 8            # per track and shot: one character's drawings in one shot look alike
NAMING = "naming-17"      # bump when the naming rules change what a split holds (the set's id covers it)


@dataclass(frozen=True)
class GroupSettings:
    embedder: str = setting(
        "auto", "auto: CCIP (deepghs' anime character identity model) when its files are in models/ccip, else "
        "features. features: no model; outline shape and fill colours. ccip: require the model files.",
        choices=EMBEDDER_NAMES)
    threshold: float = setting(
        0.0, "Largest distance to a character's nearest reference still that still names it; 0 uses the "
        "embedder's own tuned value (features 0.38, ccip its metrics.json).", low=0.0, high=1.0, step=0.01)
    min_margin: float = setting(
        0.02, "The nearest character must be nearer than the next one by at least this much; closer calls are "
        "'unknown'.", low=0.0, high=1.0, step=0.01)
    crops: bool = setting(True, "Also cut every named character out to its own still (under half the frame) as "
                          "extra solo training data.")
    allow_download: bool = setting(False, "ccip: download the model files from Hugging Face (pinned revision; "
                                   "needs internet).")

    def __post_init__(self):
        check_declared(self)


@dataclass
class FrameGroup:
    index: int
    group: Optional[str]                      # None: rejected, see reason
    reason: Optional[str]
    names: List[Tuple[str, float, list]]      # (name or unknown, distance, rect) per character


@dataclass
class GroupResult:
    groups: Dict[str, FrameSet]
    crops: Dict[str, FrameSet]
    rejected: FrameSet
    frames: List[FrameGroup]
    references: List[Reference]
    embedder: Dict[str, str]
    threshold: float
    seconds: float
    warnings: List[str]

    @property
    def dropped(self) -> Dict[str, List[int]]:
        """Source frame indices per reason a frame went to no group."""
        out: Dict[str, List[int]] = {}
        for f in self.frames:
            if f.reason:
                out.setdefault(f.reason, []).append(f.index)
        return out

    @property
    def summary(self) -> dict:
        return {"groups": {g: [r["index"] for r in s.kept] for g, s in self.groups.items()},
                "dropped": self.dropped,
                "crops": {n: len(s) for n, s in self.crops.items()},
                "sets": {g: str(s.path) for g, s in self.groups.items()},
                "crop_sets": {n: str(s.path) for n, s in self.crops.items()},
                "rejected_set": str(self.rejected.path),
                "embedder": {**self.embedder, "threshold": round(self.threshold, 4), "seconds": round(self.seconds, 2)},
                "warnings": self.warnings}


def load_references(stills: Mapping[str, Sequence[np.ndarray]], detector: Detector,
                    settings: CountSettings) -> List[Reference]:
    """The named characters cut out of their stills (any file's pixels: grey, BGRA, 16 bit)."""
    check_names(list(stills))
    for name, images in stills.items():
        if not 1 <= len(images) <= 5:
            raise BadInputError(f"reference '{name}': give 1 to 5 stills (got {len(images)}).")
    return reference_crops({n: [on_white(np.asarray(i)) for i in images] for n, images in stills.items()},
                           detector, settings)


def assign(per_name: np.ndarray, names: Sequence[str], threshold: float, margin: float,
           near: Optional[np.ndarray] = None) -> List[Tuple[str, float]]:
    """A name per row of ``per_name`` ([characters, names] distances): its nearest one, if within
    ``threshold`` and nearer by ``margin`` than every other name, else unknown.  ``near``
    ([characters, names], Matcher.limits): how near each name's own stills say its drawings lie;
    a character farther than that from its nearest name is named only on a clear call (its
    runner-up at least 1/CLEAR as far), since a stranger is near one name and not far from the
    others.  Two characters in one frame are two people: when both are nearest to one name, the
    surer call (its nearest name ahead of its second by more) takes it and the other is unknown.
    No name is given by elimination: a stranger beside A is about as far from B as from A (in line
    art every head is about 0.2 from every still), so "the other name" would name a stranger.
    PairCompose names its composed pictures' characters the same way, by the threshold alone
    (no ``near``: its pictures are the split's own crops, rescaled)."""
    out: List[Tuple[str, float]] = [(UNKNOWN, float(row.min()) if row.size else 1.0) for row in per_name]
    near = np.broadcast_to(np.float32(threshold) if near is None else near, np.shape(per_name))
    taken: set = set()
    # surest first: the character whose nearest name leads its second by the most takes it
    ranked = [np.sort(row) for row in per_name]
    lead = [float(r[1] - r[0]) if r.size > 1 else 1.0 for r in ranked]
    for i in sorted(range(len(per_name)), key=lambda i: (-lead[i], float(per_name[i].min()))):
        row = per_name[i]
        if not row.size:
            continue
        k = int(row.argmin())
        best, second = float(row[k]), float(ranked[i][1]) if row.size > 1 else 1.0
        clear = best <= near[i, k] or best <= CLEAR * second
        if names[k] not in taken and best <= threshold and clear and lead[i] >= margin:
            out[i] = (names[k], best)
            taken.add(names[k])
    return out


@dataclass
class _Judged:
    """One frame as counting judged it: why it left (None: it counts), its characters' boxes."""

    index: int
    reason: Optional[str]
    characters: List[Seen]
    fused: List[Tuple[Rect, List[Rect]]] = field(default_factory=list)   # bodies fused side by side, their heads (FUSED)


def _judged(frames: FrameSet, count_settings: Optional[CountSettings], progress: Progress,
            detector: Detector) -> List[_Judged]:
    """The count stage's own judgement when ``frames`` came from it (so the split sees exactly the
    characters it counted), else a count with ``count_settings`` (defaults when None)."""
    if count_settings is None and frames.stage == "count":
        return [_Judged(r["index"], "overlap" if r.get("overlap") else None,
                        [Seen(tuple(p["rect"]), tuple(p["head"]) if p.get("head") else None, bool(p.get("uncut")),
                              bool(p.get("hair_guessed")))
                         for p in r.get("people", ()) if p["label"] in (CHARACTER, OVERLAP)], _fused_in(r))
                for r in frames.kept]
    counted, _ = count_frames(frames, count_settings or CountSettings(), progress, detector)
    return [_Judged(f.index, f.reason or ("overlap" if f.count.overlap else None),
                    [seen_in(j) for j in f.count.characters],
                    _side_by_side([(j.box.rect, [h.rect for h in j.heads]) for j in f.count.boxes if j.label == OVERLAP]))
            for f in counted]


def _fused_in(row: Mapping) -> List[Tuple[Rect, List[Rect]]]:
    """A counted row's boxes of bodies fused side by side, with their heads (FUSED)."""
    return _side_by_side([(tuple(p["rect"]), [tuple(h) for h in p.get("heads", ())])
                          for p in row.get("people", ()) if p["label"] == OVERLAP])


def _side_by_side(fused: Sequence[Tuple[Rect, Sequence[Rect]]]) -> List[Tuple[Rect, List[Rect]]]:
    """The boxes of a frame's overlap, (box, its heads) each, when two of their heads stand side
    by side (FUSED); else none."""
    heads = [h for _, hs in fused for h in hs]
    apart = any(_across(a, b) for i, a in enumerate(heads) for b in heads[i + 1:])
    return [(rect, list(hs)) for rect, hs in fused] if apart else []


def _across(a: Rect, b: Rect) -> bool:
    """Two heads farther apart across than up and down, by their middles or by their tops: a
    face box lies inside its head, below the hair's top, and a head box found on an outline can
    run down long hair to the shoulders, its middle far below the head's."""
    dx = abs((a[0] + a[2]) - (b[0] + b[2])) / 2
    return dx > abs((a[1] + a[3]) - (b[1] + b[3])) / 2 or dx > abs(a[1] - b[1])


def group_split(frames: FrameSet, stills: Mapping[str, Sequence[np.ndarray]], settings: Optional[GroupSettings] = None,
                count_settings: Optional[CountSettings] = None, progress: Optional[Progress] = None, *,
                device: str = "cpu", detect_models: Optional[str] = None,
                embed_models: Optional[str] = None) -> GroupResult:
    """``stills``: character name -> 1-5 BGR reference pictures of that character alone.
    ``count_settings``: count again with these instead of taking PersonCountFilter's judgement."""
    settings = settings or GroupSettings()
    progress = progress or Progress()
    started = time.monotonic()
    counting = count_settings or _count_settings_of(frames)
    detector = load_detector(counting.detector, device=device, models_dir=detect_models,
                             allow_download=counting.allow_download)
    embedder = load_embedder(settings.embedder, device=device, models_dir=embed_models,
                             allow_download=settings.allow_download)
    threshold = settings.threshold or embedder.threshold
    refs = load_references(stills, detector, counting)
    names = [r.name for r in refs]
    matcher = Matcher(refs, embedder)
    judged = _judged(frames, count_settings, progress, detector)
    key = _keyed(settings, counting, count_settings is not None, stills, detector, embedder, threshold)
    progress.set_total(len(judged))
    rows = {r["index"]: r for r in frames.kept}
    crop_dir = f"{FRAMES}/crops-{settings_digest({'parent': frames.id, **key}, 16)}"
    results: Dict[int, FrameGroup] = {}
    crop_rows: Dict[str, List[dict]] = {n: [] for n in names}
    clip = _Clip(names)
    fused = _fused_neighbours(frames, judged)
    lost_frames: set = set()
    done = 0
    for run in by_shot([rows[j.index] for j in judged]).values():
        shown = [judged[i] for i in run if not judged[i].reason and judged[i].characters]
        for i in run:
            j = judged[i]
            if j.reason or not j.characters:
                results[j.index] = FrameGroup(j.index, None, j.reason or "no_character", [])
        distances, looks, cut = [], [], []
        for j in shown:        # one frame in memory at a time: a shot can be long and 4K
            bgr = read_frame(frames, rows[j.index])
            d, look = matcher.judge(bgr, j.characters)
            distances.append(d)
            looks.append(look)
            limit = MAX_CROP_AREA * bgr.shape[0] * bgr.shape[1]
            cut.append([character_crop(bgr, c.rect) if settings.crops and area(c.rect) < limit else None
                        for c in j.characters])
        # one decision per character per shot: its distances pooled along where it stands,
        # looking like itself
        places = [[c.head or c.rect for c in j.characters] for j in shown]
        limits_of = [matcher.limits(threshold, look) for look in looks]
        alone = [[who for who, _ in assign(d, names, threshold, settings.min_margin, lim)]
                 for d, lim in zip(distances, limits_of)]
        same = _same_look(matcher, looks, LOOK * threshold, _settled(alone))
        missed = set(lost(places, same))
        lost_frames.update(shown[f].index for f in missed)
        track_of = {fc: t for t, members in enumerate(tracks(places, same)) for fc in members}
        for f, (j, crops, per_name, look, limits) in enumerate(zip(shown, cut, pooled(distances, places, same), looks,
                                                                    limits_of)):
            called = assign(per_name, names, threshold, settings.min_margin, limits)
            called = _close_behind(called, j.characters, threshold)
            named = [(who, round(d, 4), [round(v, 1) for v in c.rect]) for (who, d), c in zip(called, j.characters)]
            results[j.index] = _frame_group(j.index, named, names, f in missed)
            if _fused_beside(results[j.index], j.characters, fused.get(j.index, ())):
                results[j.index] = FrameGroup(j.index, None, FUSED, named)
            clip.add(done, j.index, per_name, limits, called, look, [track_of[(f, c)] for c in range(len(look))],
                     results[j.index].group is not None, distances[f])
            if results[j.index].group is not None:
                for (who, _, _), crop in zip(named, crops):
                    if crop is not None:
                        crop_rows[who].append(_save_crop(frames.root, crop_dir, rows[j.index], who, crop))
        done += len(run)
        progress.update(done)
    for index, c in clip.recurring(matcher):
        _withdraw(results, crop_rows, frames.root, index, c, names)
    # named after the clip is seen: the frame joins its group, without a crop (its pixels are gone)
    for index, c, who in clip.confirmed(matcher, threshold, settings.min_margin):
        results[index] = _renamed(results[index], c, who, names, index in lost_frames)
    progress.update(len(judged), force=True)
    ordered = [results[j.index] for j in judged]
    return _sets(frames, key, ordered, crop_rows, refs, embedder, threshold, started)


def _close_behind(called: Sequence[Tuple[str, float]], characters: Sequence[Seen],
                  threshold: float) -> List[Tuple[str, float]]:
    """``called`` with every name of a character standing behind another left unknown unless
    it is a close match (BEHIND_NEAR)."""
    return [(UNKNOWN, d) if back and d > BEHIND_NEAR * threshold else (who, d)
            for (who, d), back in zip(called, _behind(characters))]


def _behind(characters: Sequence[Seen]) -> List[bool]:
    """Per character, whether it stands behind another one (BEHIND_SIZE): a head under that
    share of the other's, its box reaching into the other's box."""
    def tall(r: Rect) -> float:
        return r[3] - r[1]

    def into(a: Rect, b: Rect) -> bool:
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

    return [c.head is not None and any(o is not c and o.head is not None and into(c.rect, o.rect)
                                       and tall(c.head) < BEHIND_SIZE * tall(o.head) for o in characters)
            for c in characters]


def _fused_neighbours(frames: FrameSet, judged: Sequence[_Judged]) -> Dict[int, List[Tuple[Rect, List[Rect]]]]:
    """Per frame index, the boxes of two bodies fused side by side in the drawings just before
    and after it in its shot, with their heads (FUSED)."""
    fused = {j.index: j.fused for j in judged if j.reason == "overlap"}
    if frames.stage == "count":         # the count's own overlaps are rows it dropped
        fused.update({r["index"]: _fused_in(r) for r in frames.dropped if r["dropped"] == "overlap"})
    rows = sorted(frames.rows, key=lambda r: r["index"])
    out: Dict[int, List[Tuple[Rect, List[Rect]]]] = {}
    for a, b in zip(rows, rows[1:]):
        if a.get("shot") is None or a.get("shot") != b.get("shot"):
            continue
        for here, there in ((a, b), (b, a)):
            out.setdefault(here["index"], []).extend(fused.get(there["index"], ()))
    return out


def _fused_beside(group: FrameGroup, characters: Sequence[Seen], fused: Sequence[Tuple[Rect, List[Rect]]]) -> bool:
    """Whether a frame named as one character has it standing where a neighbouring drawing of
    its shot fused two bodies (FUSED_PLACE), at their size (FUSED_SIZE)."""
    if group.group is None or "+" in group.group or len(characters) != 1:
        return False
    x0, y0, x1, y1 = characters[0].rect
    # across only: how far down an outline is found (a body lost in the dark) varies from one
    # drawing to the next, where the character stands does not
    return any(b[1] < y1 and y0 < b[3] and min(x1, b[2]) - max(x0, b[0]) >= FUSED_PLACE * (x1 - x0)
               and _fused_size(characters[0].head, heads) for b, heads in fused)


def _fused_size(head: Optional[Rect], heads: Sequence[Rect]) -> bool:
    """Whether ``head`` is about as wide as one of a fused box's ``heads`` (FUSED_SIZE; yes when
    either is unknown)."""
    if head is None or not heads:
        return True
    return any(FUSED_SIZE <= (head[2] - head[0]) / max(1e-6, h[2] - h[0]) <= 1 / FUSED_SIZE for h in heads)


class _Clip:
    """What the clip shows: each name's surest drawings, the characters it left unknown, and the
    names given short of sure, as looks (small vectors, never pixels), each with its shot."""

    def __init__(self, names: Sequence[str]):
        self.names = list(names)
        self.sure: Dict[str, list] = {n: [] for n in names}     # heaps of (-distance, n, shot, look)
        self.unknown: Dict[Tuple[int, int], List[Look]] = {}    # (shot, track) -> looks
        # (shot, track, name) -> calls, (look, its own distance to the name's stills) pairs
        self.doubts: Dict[Tuple[int, int, str], Tuple[list, list]] = {}
        self.lone: Dict[Tuple[int, int], Tuple[list, list]] = {}   # unknown, alone in its frames: calls, rows
        self._crowded: set = set()          # (shot, track) left unknown beside another character
        self._n = 0
        self._stack: Optional[dict] = None

    def add(self, shot: int, index: int, per_name: np.ndarray, limits: np.ndarray, called, looks: Sequence[Look],
            tracks_: Sequence[int], grouped: bool, drawn: Optional[np.ndarray] = None) -> None:
        """One frame's calls (``per_name`` pooled along tracks, as named; ``drawn``: the frame's own
        distances, unpooled, ``per_name`` when None)."""
        drawn = per_name if drawn is None else drawn
        self._stack = None
        for c, (row, drawing, limit, (who, best), look, t) in enumerate(zip(per_name, drawn, limits, called, looks,
                                                                              tracks_)):
            if who == UNKNOWN:
                _bounded(self.unknown.setdefault((shot, t), []), look)
                if len(looks) > 1:
                    self._crowded.add((shot, t))
                calls, rows = self.lone.setdefault((shot, t), ([], []))
                calls.append((index, c))
                rows.append(row)
            elif grouped:       # no overlap, nobody lost or unknown beside it
                k = self.names.index(who)
                second = float(np.delete(row, k).min()) if row.size > 1 else 1.0
                if best <= limit[k] and best <= CLEAR * second:
                    self._n += 1
                    heap, entry = self.sure[who], (-best, self._n, shot, look)
                    (heapq.heappush if len(heap) < SURE_LOOKS else heapq.heappushpop)(heap, entry)
                else:
                    calls, seen = self.doubts.setdefault((shot, t, who), ([], []))
                    calls.append((index, c))
                    _bounded(seen, (look, float(drawing[k])))

    def recurring(self, matcher: Matcher) -> List[Tuple[int, int]]:
        """(frame index, character) of every doubtful call (its whole track in its shot) with a
        drawing nearer to characters left unknown in RECUR other shots than RECUR_NEAR times to
        its name's sure drawings and to its name's stills."""
        out = []
        for (shot, _, who), (calls, drawn) in self.doubts.items():
            mine = Looks([look for look, _ in drawn])
            own, recur = self._own_each(matcher, mine, shot, who), self._recur_each(matcher, mine, shot)
            to_stills = np.array([d for _, d in drawn])
            # no sure drawing of the name to compare with, or too few unknown shots: the call stands
            if recur is not None and np.any(np.isfinite(own) & (recur <= RECUR_NEAR * np.minimum(own, to_stills))):
                out.extend(calls)
        return out

    def confirmed(self, matcher: Matcher, threshold: float, margin: float) -> List[Tuple[int, int, str]]:
        """(frame index, character, name) of every lone character left unknown whose drawings the
        clip's own sure drawings of its nearest name claim (CONFIRM_NEAR, CONFIRM_APART)."""
        out = []
        for key, (calls, rows) in self.lone.items():
            if key in self._crowded:
                continue
            row = np.mean(rows, axis=0)
            k = int(row.argmin())
            second = float(np.delete(row, k).min()) if row.size > 1 else 1.0
            if row[k] > threshold or second - row[k] < margin:
                continue
            mine = Looks(self.unknown[key])
            own = {n: self._own(matcher, mine, key[0], n) for n in self.names}
            recur = self._recur(matcher, mine, key[0])
            rival = min((d for n, d in own.items() if n != self.names[k]), default=np.inf)
            near = own[self.names[k]]
            if recur is not None and near <= min(CONFIRM_NEAR * recur, CONFIRM_APART * rival,
                                                 self._spread(matcher, self.names[k])):
                out.extend((index, c, self.names[k]) for index, c in calls)
        return out

    def _own(self, matcher: Matcher, mine: Looks, shot: int, who: str) -> float:
        """Mean over ``mine`` (one track's looks in ``shot``) of the distance to ``who``'s nearest
        sure drawing in another shot (inf: none)."""
        return float(self._own_each(matcher, mine, shot, who).mean())

    def _own_each(self, matcher: Matcher, mine: Looks, shot: int, who: str) -> np.ndarray:
        """Per look of ``mine``, the distance to ``who``'s nearest sure drawing in another shot
        (inf: none)."""
        if not self.sure.get(who):
            return np.full(len(mine.heads), np.inf)
        sure, shots = self._stacked()["sure"][who]
        return matcher.apart(mine, sure)[:, shots != shot].min(axis=1, initial=np.inf)

    def _spread(self, matcher: Matcher, who: str) -> float:
        """How far apart the clip's sure drawings of ``who`` lie: the largest, over its shots, of
        the mean distance from a shot's drawings to the nearest in another shot, heads with heads
        and bodies with bodies (0: no two shots to compare)."""
        if not self.sure.get(who):
            return 0.0
        sure, shots = self._stacked()["sure"][who]
        d = matcher.apart(sure, sure)
        d[shots[:, None] == shots[None, :]] = np.inf
        nearest = d.min(axis=1)
        apart = [nearest[(shots == s) & np.isfinite(nearest)] for s in np.unique(shots)]
        return max((float(a.mean()) for a in apart if a.size), default=0.0)

    def _stacked(self) -> dict:
        """The sure looks per name and the unknown ones (with each shot's first), stacked once the
        clip is complete."""
        if self._stack is None:
            unknown = sorted(((s, look) for (s, _), looks in self.unknown.items() for look in looks),
                             key=lambda u: u[0])
            shots, starts = np.unique([s for s, _ in unknown], return_index=True)
            self._stack = {"unknown": (Looks([look for _, look in unknown]) if unknown else None, shots, starts),
                           "sure": {n: (Looks([look for _, _, _, look in heap]), np.array([s for _, _, s, _ in heap]))
                                    for n, heap in self.sure.items() if heap}}
        return self._stack

    def _recur(self, matcher: Matcher, mine: Looks, shot: int) -> Optional[float]:
        """Mean over ``mine`` of the distance to the characters left unknown in the RECUR-th nearest
        other shot (None: fewer than RECUR other shots left anyone unknown)."""
        near = self._recur_each(matcher, mine, shot)
        return None if near is None else float(near.mean())

    def _recur_each(self, matcher: Matcher, mine: Looks, shot: int) -> Optional[np.ndarray]:
        """Per look of ``mine``, the distance to the characters left unknown in the RECUR-th nearest
        other shot (None: fewer than RECUR other shots left anyone unknown)."""
        if not self.unknown:
            return None
        others, shots, starts = self._stacked()["unknown"]
        near = np.minimum.reduceat(matcher.apart(mine, others), starts, axis=1)[:, shots != shot]      # per shot
        if near.shape[1] < RECUR:
            return None
        return np.partition(near, RECUR - 1, axis=1)[:, RECUR - 1]


def _bounded(looks: list, look) -> None:
    """Add ``look`` (alone, or with what goes with it) to a track's looks, at most SHOT_LOOKS kept:
    every other one dropped when full."""
    looks.append(look)
    if len(looks) > SHOT_LOOKS:
        del looks[1::2]


def _withdraw(results: Dict[int, FrameGroup], crop_rows: Dict[str, List[dict]], root: Path, index: int, c: int,
              names: Sequence[str]) -> None:
    """Character ``c`` of frame ``index`` unnamed after all: the frame leaves its group, its crops too."""
    results[index] = _renamed(results[index], c, UNKNOWN, names)
    for rows in crop_rows.values():
        for row in [r for r in rows if r["index"] == index]:
            rows.remove(row)
            (root / row["file"]).unlink(missing_ok=True)


def _renamed(frame: FrameGroup, c: int, who: str, names: Sequence[str], missed: bool = False) -> FrameGroup:
    """``frame`` with its character ``c`` named ``who``, grouped anew."""
    named = list(frame.names)
    named[c] = (who, *named[c][1:])
    return _frame_group(frame.index, named, names, missed)


def _settled(alone: Sequence[Sequence[str]]) -> List[List[str]]:
    """Per frame of a shot, the name of a lone character's own drawing (``alone``) where the frame
    before or after, also showing one character, gives the same; unknown elsewhere.  A missed cut
    shows each side for more than one drawing, while a call that flickers from one drawing to the
    next is one character's hard drawings (or a stranger's), which pooling is there to outvote;
    and beside another character a name is left to the tracks, as a wrong one there makes a pair."""
    out = []
    for f, here in enumerate(alone):
        beside = [alone[g] for g in (f - 1, f + 1) if 0 <= g < len(alone)]
        out.append([here[0]] if len(here) == 1 and [here[0]] in beside else [UNKNOWN] * len(here))
    return out


def _same_look(matcher: Matcher, looks: Sequence[Sequence[Look]], limit: float,
               alone: Optional[Sequence[Sequence[str]]] = None):
    """Whether two found characters of a shot, each a (frame, character) position, look alike.
    ``alone``: per frame, the name each character gets from its own drawing (``_settled``).  Two
    drawings that their own distances name after two different characters are not one: in line
    art every head lies about 0.2 from every other, within ``limit``, so a cut the shot detection
    missed between two close-ups in one place (over the shoulder: A's face, then B's) would pool
    A's drawings with B's and leave both unknown.  One character named after another on its own
    drawing's call is rarer than a missed cut: a name's call is within its own stills' spread or
    twice as near as the runner-up (on the development set's check half, the drawings of a
    missed cut lay 0.12-0.14 from A's stills against 0.25 from B's, then 0.18 from B's against
    0.26 from A's; pooled, 0.20 against 0.21)."""
    def same(a: Tuple[int, int], b: Tuple[int, int]) -> bool:
        if alone is not None and UNKNOWN not in (alone[a[0]][a[1]], alone[b[0]][b[1]]) \
                and alone[a[0]][a[1]] != alone[b[0]][b[1]]:
            return False
        d = matcher.alike(looks[a[0]][a[1]], looks[b[0]][b[1]])
        return d is None or d <= limit
    return same


def _keyed(settings: GroupSettings, counting: CountSettings, recount: bool, stills, detector: Detector,
           embedder, threshold: float) -> dict:
    """What a split's sets and crops are named by: everything that changes them, the reference
    pictures themselves included (same names, other stills: other groups)."""
    own = {k: v for k, v in settings.__dict__.items() if k != "allow_download"}
    pictures = {name: [bytes_sha256(np.ascontiguousarray(img).tobytes() + repr(img.shape).encode()) for img in imgs]
                for name, imgs in stills.items()}
    return {**own, "naming": NAMING, "count": {k: v for k, v in counting.to_dict().items() if k != "allow_download"},
            "recount": recount, "references": pictures, "detector": detector.identity(),
            "embedder": embedder.identity(), "threshold": threshold}


def _count_settings_of(frames: FrameSet) -> CountSettings:
    """The counting settings the set was made with, when it came out of PersonCountFilter."""
    s = frames.manifest.get("settings") if frames.stage == "count" else None
    fields = CountSettings.__dataclass_fields__
    return CountSettings(**{k: v for k, v in dict(s).items() if k in fields}) if s else CountSettings()


def _frame_group(index: int, named, order: Sequence[str], missed: bool = False) -> FrameGroup:
    who = [w for w, _, _ in named]
    if UNKNOWN in who:
        return FrameGroup(index, None, UNKNOWN, named)
    if missed:               # someone in view goes unnamed: the group would be wrong
        return FrameGroup(index, None, LOST, named)
    if len(set(who)) < len(who):
        return FrameGroup(index, None, "same_character_twice", named)
    return FrameGroup(index, "+".join(n for n in order if n in who), None, named)


def _save_crop(root: Path, folder: str, row: Mapping, name: str, bgr: np.ndarray) -> dict:
    import cv2

    data = encode_png(np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))
    rel = f"{folder}/{row['index']:07d}_{name}.png"
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    keep = {k: row[k] for k in ("index", "time", "shot") if k in row}
    return {**keep, "file": rel, "sha256": bytes_sha256(data), "crop_of": row.get("file"), "character": name,
            "width": bgr.shape[1], "height": bgr.shape[0]}


def _sets(frames, base, results, crop_rows, refs, embedder, threshold, started) -> GroupResult:
    by_index = {r.index: r for r in results}
    updates = {r.index: {"characters_named": [list(x) for x in r.names], "group": r.group} for r in results}
    order = _group_order([r.name for r in refs], {r.group for r in results if r.group})
    groups = {}
    for g in order:
        groups[g] = frames.derive(f"group:{g}", base, lambda row, g=g: None if by_index[row["index"]].group == g
                                  else "other_group", updates=updates)
    # like PersonCountFilter's: the rejected frames are this set's kept rows, each with its reason
    rejected = frames.derive("group_rejected", base, lambda row: None if by_index[row["index"]].reason else "grouped",
                             updates={i: {**u, "reason": by_index[i].reason} for i, u in updates.items()})
    crops = {}
    for name, rows in crop_rows.items():
        if rows:
            crops[name] = frames.made(frames.root, f"crops:{name}", base, rows)
    warnings = _warnings(groups, crops, refs)
    return GroupResult(groups, crops, rejected, results, refs, embedder.identity(), threshold,
                       time.monotonic() - started, warnings)


def _group_order(names: Sequence[str], present) -> List[str]:
    """Solo groups in reference order, then the together groups: A, B, A+B."""
    return sorted(present, key=lambda g: (g.count("+"), [names.index(n) for n in g.split("+")]))


def _warnings(groups: Dict[str, FrameSet], crops: Dict[str, FrameSet], refs: List[Reference]) -> List[str]:
    out = []
    for r in refs:
        out.extend(f"reference {r.name}: {note}" for note in r.notes)
    for r in refs:
        if r.name not in groups and r.name not in crops:
            out.append(f"group {r.name}: no frame shows {r.name} alone. Add solo shots, or check the "
                       "reference stills (the report lists the distances).")
    for g, s in groups.items():
        if len(s) < THIN_GROUP:
            solo = " Crops of each character from these frames are kept as extra solo data." if "+" in g else ""
            out.append(f"group {g}: only {len(s)} frames, too thin to train on its own (the write-up's 'both' "
                       f"group had 9). Extract more (a lower unique_threshold, more footage) or give it more repeats "
                       f"in the dataset; expect it to learn less than the others.{solo}")
    return out
