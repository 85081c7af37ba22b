"""Resemblance as one number per training step: the verdict's analyzers on the pictures a run
draws of each group, against the reference stills.

A group's score is the mean resemblance of the characters it asks for (each one's nearest found
character; 0 when nobody is found), less a penalty of ``PENALTY`` for each of these faults:
- ``count``: not exactly as many characters as asked;
- ``fused``: bodies overlap, or more heads than characters asked;
- ``bleed``: a character who was not asked is drawn (asked A, the picture resembles B more);
- ``stranger``: a character found resembles no reference at the match level GroupSplit names with.
It is kept between 0 and 1.  The step's score is the mean over the groups whose every character
has references (a group of other names cannot be judged and is left out, with a note).
"""

from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from ..dataset.captions import group_names
from ..image.paper import on_white
from .bleed import FUSED, NEITHER, STRANGER, drawn
from .run import _Analyzers

PENALTY = 0.25
FAULTS = ("count", "fused", "bleed", "stranger")


def group_score(image: dict, asked: Sequence[str], match: float) -> dict:
    """One picture's score and its pieces (see the module's docstring); ``image``: a verdict's
    per-picture measures, its ``drawn`` label set."""
    resemblance = {n: image["resemblance"].get(n) for n in asked}
    mean = sum(min(1.0, max(0.0, v or 0.0)) for v in resemblance.values()) / max(1, len(asked))
    label = image["drawn"]
    faults = {
        "count": image["characters"] != len(asked),
        "fused": bool(image["overlap"]) or image["heads"] > len(asked),
        "bleed": label not in (FUSED, NEITHER) and any(p != STRANGER and p not in asked for p in label.split("+")),
        "stranger": any(similarity < match for _, similarity in image["who"]),
    }
    found = [key for key in FAULTS if faults[key]]
    return {"score": round(max(0.0, mean - PENALTY * len(found)), 4), "resemblance": resemblance,
            "characters": image["characters"], "drawn": label, "faults": found}


class ResemblanceScorer:
    """The analyzers loaded once for a run; called with (group, RGB picture) pairs, it returns
    ``{"score": mean over the judged groups or None, "groups": {group: pieces}}``."""

    def __init__(self, references: Mapping[str, Sequence[np.ndarray]], *, device: str = "cpu",
                 detect_models: Optional[str] = None, embed_models: Optional[str] = None):
        self.analyzers = _Analyzers(dict(references), device, detect_models, embed_models)
        self.names = list(self.analyzers.names)
        self.match = 1.0 - self.analyzers.embedder.threshold
        self.notes = list(self.analyzers.notes)

    def judged(self, group: str) -> bool:
        """Whether a group can be scored: it names characters, each of whom has references."""
        asked = group_names(group)
        return bool(asked) and all(n in self.names for n in asked)

    def identity(self) -> Dict[str, str]:
        return {"detector": self.analyzers.detector.identity(), "embedder": self.analyzers.embedder.identity()}

    def __call__(self, pictures: Sequence[Tuple[str, np.ndarray]]) -> dict:
        groups = {}
        for group, rgb in pictures:
            if not self.judged(group):
                continue
            bgr = on_white(np.ascontiguousarray(np.asarray(rgb)[..., ::-1]))
            image = self.analyzers.measure(group, bgr)
            image["drawn"] = drawn(image, self.names, self.match)
            groups[group] = group_score(image, group_names(group), self.match)
        scores = [g["score"] for g in groups.values()]
        return {"score": round(sum(scores) / len(scores), 4) if scores else None, "groups": groups}


def unjudged(groups: Sequence[str], scorer: ResemblanceScorer) -> List[str]:
    """The groups a scorer leaves out (names without references, or no names)."""
    return [g for g in groups if not scorer.judged(g)]
