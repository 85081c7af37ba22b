"""One pass over the decoded frames: holds, shots, transitions, and a verdict for every candidate.

Hand-drawn animation holds each drawing for two or three frames, which fools cut detectors, so
frames first collapse into *drawings* (one per hold).  Cuts and transitions are found between
drawings:

* a hard cut is a drawing whose cut score is high both in absolute terms and against the
  drawings around it (a shot full of fast motion has uniformly high scores, a cut stands out);
* a dissolve or fade is a run of drawings each of which is a cross-fade of its neighbours,
  joining two pictures that differ like a cut does (``measures.blend_residual``).

Candidates (every drawing, or every n-th frame, or a target rate) are judged once enough of the
future is known: a cut within ``cut_margin`` frames, the sharpness of the shot around them, and
novelty against the last kept drawing.  Only a bounded window of frames is ever held in memory.
"""

import bisect
from collections import deque
from itertools import islice
from dataclasses import dataclass, field
from statistics import median
from typing import Deque, Dict, List, Optional, Tuple

from ..video.frames import luma_plane
from . import measures
from .settings import ExtractSettings

BLACK_MEAN = 28.0      # a frame darker than this on average, with little contrast, is black
DARK_STD = 14.0
BLANK_STD = 3.0        # any flat colour (white title background, colour card) is blank
BLEND_RESIDUAL = 0.35  # a drawing within this residual of its neighbours' mix, and not a near copy
                       # of either (weight 0.2-0.8), is cross-fading
MAX_RUN = 48           # a "cross-fade" longer than this is slow motion, not a transition
NEIGHBOURS = 4         # drawings each side that a hard cut must stand out against
ADAPTIVE_RATIO = 2.0
SHARP_WINDOW = 6       # candidates each side that set a frame's reference sharpness
CAP_SLACK = 1.2        # the streaming cap admits this much more than max_frames (plus 5%
                       # up front), so the final balance across shots has frames to choose from


@dataclass(eq=False)
class Drawing:
    seq: int
    index: int
    last_index: int
    look: measures.Look
    dark: Optional[str]
    score: float = 0.0
    blend: bool = False
    blend_known: bool = False
    transition: Optional[str] = None
    cut: bool = False
    shot: int = -1
    final: bool = False
    candidate: Optional["Candidate"] = None   # its first sampled frame, while undecided


@dataclass(eq=False)
class Candidate:
    index: int
    time: float
    frame: object
    drawing: Drawing
    verdict: Optional[str] = None   # known on arrival: "damaged", or "held" for a repeat picture
    sharp: float = 0.0
    scores: Dict[str, float] = field(default_factory=dict)
    # the same picture later in its hold, for when this frame sits on a cut's margin: a frame
    # (unique_drawings, where held frames have no rows) or the next sampled row (fixed rates)
    alternative: Optional[Tuple[int, float, object]] = None
    backup: Optional["Candidate"] = None


@dataclass
class Decision:
    candidate: Candidate
    reason: Optional[str]


# what a frame damaged before any clean drawing belongs to: no shot, nothing to wait for
_NO_DRAWING = Drawing(seq=-1, index=-1, last_index=-1, look=None, dark=None, final=True)


def _darkness(look: measures.Look) -> Optional[str]:
    if look.mean < BLACK_MEAN and look.std < DARK_STD:
        return "black"
    if look.std < BLANK_STD:
        return "blank"
    return None


class Scanner:
    def __init__(self, settings: ExtractSettings, duration: float = 0.0):
        self.s = settings
        # With a cap and a known length the cap streams: a frame is kept (and written) only while
        # the count stays within a budget that grows evenly with time, so sparse stretches cost
        # nothing and dense ones are thinned evenly; the final balance across shots trims the rest.
        self.cap_rate = CAP_SLACK * settings.max_frames / duration if settings.max_frames and duration > 0 else 0.0
        self.cap_burst = max(1.0, 0.05 * settings.max_frames)
        self.kept = 0
        self._start: Optional[float] = None       # first timestamp: streams need not start at 0
        self.unique = settings.sampling == "unique_drawings"
        self.held: List[List[int]] = []           # [first, last] runs of collapsed held frames
        self.cuts: List[int] = []                 # frame indices where a shot or transition edge starts
        self.shots: List[List[int]] = []          # [first, last] frame index per shot
        self._drawings: Deque[Drawing] = deque()  # not yet final, plus a little history
        self._history: Deque[Drawing] = deque(maxlen=2 * NEIGHBOURS + MAX_RUN + 2)
        self._pending: Deque[Candidate] = deque()
        self._past_sharp: Deque[Tuple[int, float]] = deque(maxlen=SHARP_WINDOW)
        self._last_kept: Optional[Tuple[int, float, measures.Look]] = None   # (shot, time, look)
        self._prev_key = None
        self._seq = 0
        self._shot = -1
        self._final_index = -1                    # frame index of the last final drawing
        self._settled: Optional[Drawing] = None   # drawings settle in order: the one before
        self._next_tick = 0.0

    # -- input ----------------------------------------------------------------------------
    def push(self, index: int, time: float, frame, damaged: bool) -> List[Decision]:
        if self._start is None:
            self._start = time
        sampled = self._sampled(index, time)
        if damaged:
            # a picture smeared by stream damage says nothing about drawings or cuts: record it
            # against the drawing it interrupts and compare the next clean frame afresh
            self._prev_key = None
            drawing = self._history[-1] if self._history else _NO_DRAWING
            self._pending.append(Candidate(index, time, None, drawing, verdict="damaged"))
            return self._step()
        y = luma_plane(frame)
        key = measures.hold_key(y)
        held = self._prev_key is not None and measures.same_picture(self._prev_key, key)
        self._prev_key = key
        if held:
            drawing = self._history[-1]
            drawing.last_index = index
            first = drawing.candidate
            spare = first is not None and index >= first.index + self.s.cut_margin
            if self.unique:
                self._hold(index)
                if spare and first.alternative is None:
                    first.alternative = (index, time, frame)
            elif sampled and first is not None:
                # the same picture sampled again: a row, but no frame to keep, except one spare
                # that takes over if the first frame turns out to sit on a cut's margin
                repeat = Candidate(index, time, None, drawing, verdict="held")
                if spare and first.backup is None:
                    repeat.frame, repeat.sharp, first.backup = frame, first.sharp, repeat
                self._pending.append(repeat)
            elif sampled:
                self._add_candidate(index, time, frame, drawing)
        else:
            look = measures.look(y)
            drawing = Drawing(self._seq, index, index, look, _darkness(look))
            self._seq += 1
            self._add_drawing(drawing)
            if self.unique or sampled:
                self._add_candidate(index, time, frame, drawing)
        return self._step()

    def _hold(self, index: int) -> None:
        """Add ``index`` to the held runs (kept sorted; new indices are nearly always last)."""
        runs = self.held
        k = len(runs)
        while k > 0 and runs[k - 1][0] > index:
            k -= 1
        if k > 0 and runs[k - 1][1] >= index - 1:
            runs[k - 1][1] = max(runs[k - 1][1], index)
        else:
            runs.insert(k, [index, index])
            k += 1
        if k < len(runs) and runs[k][0] <= runs[k - 1][1] + 1:   # join the run that follows
            runs[k - 1][1] = max(runs[k - 1][1], runs.pop(k)[1])

    def _unhold(self, index: int) -> None:
        runs = self.held
        for k in range(len(runs) - 1, -1, -1):
            first, last = runs[k]
            if first <= index <= last:
                pieces = [r for r in ([first, index - 1], [index + 1, last]) if r[0] <= r[1]]
                runs[k:k + 1] = pieces
                return

    def _step(self) -> List[Decision]:
        self._finalize(end=False)
        return self._decide(end=False)

    def finish(self) -> List[Decision]:
        for i in range(max(0, len(self._history) - 2), len(self._history)):
            self._judge_blend(i)
        self._finalize(end=True)
        return self._decide(end=True)

    def _sampled(self, index: int, time: float) -> bool:
        if self.s.sampling == "every_nth":
            return index % self.s.every_nth == 0
        if self.s.sampling == "target_fps":
            if time + 1e-6 >= self._next_tick:
                self._next_tick = (int(time * self.s.target_fps + 1e-6) + 1) / self.s.target_fps
                return True
            return False
        return True

    def _add_candidate(self, index, time, frame, drawing):
        cand = Candidate(index, time, frame, drawing)
        if not drawing.dark:
            cand.sharp = measures.sharpness(drawing.look.thumb)
        drawing.candidate = cand
        self._pending.append(cand)

    def _add_drawing(self, d: Drawing) -> None:
        if self._history:
            d.score = measures.cut_score(self._history[-1].look, d.look, pan=True)
        self._history.append(d)
        self._drawings.append(d)
        if len(self._history) >= 3:
            self._judge_blend(len(self._history) - 3)

    def _judge_blend(self, i: int) -> None:
        """Is drawing ``i`` of the history a cross-fade of its neighbours, one or two drawings
        away?  The wider pair keeps coarse steps (a 256-colour dissolve, heavy compression)
        from hiding the blend in quantisation noise."""
        hist = self._history
        d = hist[i]
        d.blend_known = True
        if d.dark:
            return
        for span in (1, 2):
            if i - span < 0 or i + span >= len(hist):
                continue
            before, after = hist[i - span], hist[i + span]
            resid, alpha = measures.blend_residual(before.look, d.look, after.look)
            if resid < BLEND_RESIDUAL and 0.2 < alpha < 0.8 \
                    and measures.mean_abs_diff(before.look.thumb, after.look.thumb) > 2.0:
                d.blend = True
                return

    # -- drawings: cuts, transitions, shots -----------------------------------------------
    def _finalize(self, end: bool) -> None:
        while self._drawings:
            d = self._drawings[0]
            ahead = self._history[-1].seq - d.seq
            if not end and (ahead < NEIGHBOURS or not d.blend_known):
                return
            if d.blend and d.transition is None and not self._resolve_run(d, end):
                return
            self._drawings.popleft()
            self._settle(d)

    def _resolve_run(self, first: Drawing, end: bool) -> bool:
        """Decide whether the cross-fade run starting at ``first`` is a transition; False: wait."""
        hist = list(self._history)
        start = hist.index(first)
        stop = start
        while stop < len(hist) and hist[stop].blend:
            stop += 1
        run = hist[start:stop]
        if stop >= len(hist) or not hist[stop].blend_known:
            if len(run) < MAX_RUN and not end:
                return False
        before = hist[start - 1] if start > 0 else None
        after = hist[stop] if stop < len(hist) else None
        kind = None
        if len(run) < MAX_RUN and before is not None and after is not None:
            if before.dark or after.dark:
                kind = "fade"
            elif measures.cut_score(before.look, after.look) >= self.s.cut_threshold:
                kind = "dissolve"
        for d in run:
            d.blend = kind is not None
            d.transition = kind or "none"
        if kind:
            bisect.insort(self.cuts, run[0].index)
            if after is not None:
                after.cut = True
        return True

    def _settle(self, d: Drawing) -> None:
        if d.transition == "none":
            d.transition = None
        if not d.dark and not d.transition:
            prev = self._settled
            if prev is None or prev.dark or prev.transition or self._is_hard_cut(d):
                d.cut = True
            if d.cut:
                self._shot += 1
                self.shots.append([d.index, d.last_index])
                if prev is not None:
                    bisect.insort(self.cuts, d.index)
            d.shot = self._shot
            self.shots[-1][1] = max(self.shots[-1][1], d.last_index)
        d.final = True
        self._final_index = d.index
        self._settled = d

    def _is_hard_cut(self, d: Drawing) -> bool:
        if d.cut:
            return True
        if d.score < self.s.cut_threshold:
            return False
        hist = list(self._history)
        i = hist.index(d)
        around = [x.score for x in hist[max(1, i - NEIGHBOURS):i] + hist[i + 1:i + 1 + NEIGHBOURS]
                  if not x.dark and not x.transition]
        return not around or d.score >= ADAPTIVE_RATIO * median(around)

    # -- candidates -----------------------------------------------------------------------
    def _decide(self, end: bool) -> List[Decision]:
        out = []
        while self._pending:
            c = self._pending[0]
            if not end and not self._ready(c):
                break
            self._pending.popleft()
            reason = c.verdict or self._judge(c)
            if c.drawing.candidate is c:
                c.drawing.candidate = None
            c.alternative = c.backup = None
            if reason is None:
                self._last_kept = (c.drawing.shot, c.time, c.drawing.look)
                self.kept += 1
            if not c.verdict and not c.drawing.dark and not c.drawing.transition:
                self._past_sharp.append((c.drawing.shot, c.sharp))
            out.append(Decision(c, reason))
        return out

    def _ready(self, c: Candidate) -> bool:
        last = c.alternative[0] if c.alternative else c.index   # cuts near either must be known
        if not c.drawing.final or self._final_index <= last + self.s.cut_margin:
            return False
        if self._shot > c.drawing.shot:
            return True
        same = 0
        for p in self._pending:
            if p is c or not p.drawing.final:
                continue
            if p.drawing.shot > c.drawing.shot:
                return True
            if p.drawing.shot == c.drawing.shot:
                same += 1
                if same >= SHARP_WINDOW:
                    return True
        return False

    def _near_cut(self, index: int) -> bool:
        margin = self.s.cut_margin
        nearest = bisect.bisect_right(self.cuts, index - margin)
        return margin > 0 and nearest < len(self.cuts) and self.cuts[nearest] <= index + margin

    def _judge(self, c: Candidate) -> Optional[str]:
        d = c.drawing
        if d.dark:
            return d.dark
        if d.transition:
            return d.transition
        if self._near_cut(c.index):
            # a drawing held past the margin is still usable: take it from later in its hold
            if c.backup is not None and not self._near_cut(c.backup.index):
                c.backup.verdict = None          # judged in its own turn, as a sampled frame
                return "near_cut"
            if c.alternative is None or self._near_cut(c.alternative[0]):
                return "near_cut"
            self._unhold(c.alternative[0])       # the row moves to the later frame of the hold;
            self._hold(c.index)                  # the first one counts as held instead
            c.index, c.time, c.frame = c.alternative
        c.alternative = None
        ref = self._reference_sharpness(c)
        c.scores["sharpness"] = round(c.sharp, 2)
        c.scores["sharpness_rel"] = round(c.sharp / ref, 3) if ref > 0 else 1.0
        if ref > 0 and c.sharp < self.s.blur_threshold * ref:
            return "blurred"
        if not self._last_kept or self._last_kept[0] != d.shot:
            return None                          # the first good frame of a shot is always kept
        if self.unique:
            novelty = measures.change(self._last_kept[2].thumb, d.look.thumb)
            c.scores["novelty"] = round(novelty, 4)
            if novelty < self.s.unique_threshold:
                return "similar"
        if self.cap_rate and self.kept >= self.cap_rate * (c.time - self._start) + self.cap_burst:
            return "cap"
        return None

    def _reference_sharpness(self, c: Candidate) -> float:
        shot = c.drawing.shot
        values = [s for sh, s in self._past_sharp if sh == shot]
        values += [p.sharp for p in islice(self._pending, SHARP_WINDOW)
                   if not p.verdict and p.drawing.final and p.drawing.shot == shot and not p.drawing.transition]
        values.append(c.sharp)
        return median(values)
