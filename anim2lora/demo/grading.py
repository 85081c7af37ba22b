"""Grading a generated clip's groups against its truth, and the box tests its promises use.

One place for the rule both labelled clips (people_scenes, real_scenes) are graded by: a frame
is right when GroupSplit put it in the group its truth names (A, B, A+B), or rejected it (the
group None) when the truth names none; a false A+B is any frame put in A+B that is not."""

import json
import os
from pathlib import Path
from typing import Callable, Dict, List, Mapping

Box = List[int]


def separated(a: Box, b: Box, gap: float) -> bool:
    """Boxes [x0, y0, x1, y1] at least ``gap`` pixels apart (across or down)."""
    return a[2] + gap <= b[0] or b[2] + gap <= a[0] or a[3] + gap <= b[1] or b[3] + gap <= a[1]


def overlap_share(a: Box, b: Box) -> float:
    """The share of the smaller box that the two boxes have in common."""
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    return ix * iy / min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))


def grade_frames(truth_path: os.PathLike, frames, counted, split,
                 tallies: Callable[[Mapping], Dict[str, List[str]]], describe: Callable[[Mapping], str]) -> dict:
    """Every frame of the extracted set ``frames`` against ``<truth_path>.truth.json``.

    ``counted`` and ``split``: the PersonCountFilter and GroupSplit results (a frame either
    dropped has the group None).  ``tallies(truth row)`` names the tallies a frame counts in
    ({"kind": ["both"], ...}); ``describe(truth row)`` says what a missed frame was.  Returns
    frames, accuracy, false_AB, misses and one ``per_<tally>`` of "right/frames" per tally."""
    truth = {r["index"]: r for r in json.loads(Path(f"{truth_path}.truth.json").read_text())["frames"]}
    got = {f.index: f.group for f in split.frames}
    why = {f.index: " ".join([f.reason or ""] + [f"{w} {d:.2f}" for w, d, _ in f.names]).strip() for f in split.frames}
    why.update({f.index: f.reason for f in counted.frames if f.reason})
    per: Dict[str, Dict[str, List[int]]] = {}
    misses, right, false_ab = [], 0, 0
    for row in frames.kept:
        t = truth[row["index"]]
        g = got.get(row["index"])
        ok = g == t["group"]
        right += ok
        false_ab += g == "A+B" and t["group"] != "A+B"
        for what, values in tallies(t).items():
            for v in values:
                tally = per.setdefault(what, {}).setdefault(v, [0, 0])
                tally[0] += ok
                tally[1] += 1
        if not ok:
            expected = t["group"] or t.get("reason")
            misses.append(f"#{row['index']} {describe(t)}: truth {expected}, got {g} ({why.get(row['index'])})")
    n = len(frames.kept)
    return {"frames": n, "accuracy": right / max(1, n), "false_AB": false_ab, "misses": misses,
            **{f"per_{what}": {k: f"{a}/{b}" for k, (a, b) in sorted(v.items())} for what, v in per.items()}}
