"""Who a found character is, compared with what both pictures show.

A reference still may be a full figure on white, a bust cropped from a frame or a whole frame
with its background; a frame may hold a close-up.  Comparing a close-up's crop with a full-body
still compares a face with a figure, so wherever the character and a character's stills both
show a head, heads are compared with heads (the embedders are mirror-invariant and every crop is
scaled to one size, so facing and distance do not matter); a body without a found head is
compared with whole stills.  GroupSplit and the verdict both ask here.
"""

from dataclasses import dataclass, field
from typing import List, Mapping, Optional, Sequence

import numpy as np

from ..errors import BadInputError
from ..image.crops import padded_crop
from .boxes import Rect
from .detectors import Detector
from .rules import CHARACTER, count
from .settings import CountSettings

CROP_PAD = 0.06           # share of the box added around a crop: the outline's own margin
HEAD_PAD = 0.12           # a head crop keeps the hair's edge and a little of the neck


@dataclass
class Reference:
    name: str
    crops: List[np.ndarray]                  # the character cut out of each usable still
    heads: List[np.ndarray] = field(default_factory=list)   # and its head, where one was found
    notes: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class Seen:
    """One character found in a picture: its body's box and its head's, when it has one."""

    rect: Rect
    head: Optional[Rect] = None
    whole: bool = False        # the whole figure is in view, outlined: its body tells too (Judged.uncut)


def character_crop(bgr: np.ndarray, rect, pad: float = CROP_PAD) -> np.ndarray:
    """A character's box cut out with its outline's margin, as GroupSplit and the verdict compare it."""
    return padded_crop(bgr, rect, pad)


def seen_in(judged) -> Seen:
    """A counted character (rules.Judged) as the matcher needs it."""
    return Seen(judged.box.rect, judged.head, judged.uncut)


def reference_crops(stills: Mapping[str, Sequence[np.ndarray]], detector: Detector,
                    settings: CountSettings) -> List[Reference]:
    """The character in each reference still (BGR), found as frames' characters are found, on any
    background.  A still whose character cannot be told apart is left out with a note naming it;
    a character none of whose stills can be used is an error."""
    refs = []
    for name, images in stills.items():
        ref = Reference(name, [])
        for k, bgr in enumerate(images):
            c = count(detector.detect(bgr), bgr.shape[1], bgr.shape[0], settings.rules, (), detector.has_heads,
                      detector.has_faces)
            people = sorted((j for j in c.boxes if j.label == CHARACTER), key=_size, reverse=True)
            if not people:
                ref.notes.append(f"still {k + 1}: no character found in it, so it is not used. Give one where the "
                                 "character's face is visible, cut out or masked on a plain light background")
                continue
            if len(people) > 1 and _size(people[1]) > 0.7 * _size(people[0]):
                ref.notes.append(f"still {k + 1}: {len(people)} characters of about one size, so it is not used "
                                 "(which one is the character?). Crop it to the character alone")
                continue
            ref.crops.append(character_crop(bgr, people[0].box.rect))
            seen = seen_in(people[0])
            if seen.head is not None:
                ref.heads.append(character_crop(bgr, seen.head, HEAD_PAD))
        if not ref.crops:
            raise BadInputError(f"reference '{name}': the character cannot be found in any of its "
                                f"{len(images)} still(s): " + "; ".join(ref.notes) + ".",
                                hint="Give a still where its face is visible: a frame, a crop of one, or the "
                                     "character alone on a plain light background.")
        refs.append(ref)
    return refs


def _size(j) -> float:
    """Characters compare by their heads' size (bodies are cut by the frame as the shot goes)."""
    return max(((h.rect[3] - h.rect[1]) for h in j.heads), default=0.0) or 0.1 * j.box.height


class Matcher:
    """Distances from found characters to each named character's stills, nearest still first."""

    def __init__(self, refs: Sequence[Reference], embedder):
        self.embedder, self.names = embedder, [r.name for r in refs]
        self.owners = np.array([r.name for r in refs for _ in r.crops])
        self.head_owners = np.array([r.name for r in refs for _ in r.heads])
        self.vecs = embedder.embed([c for r in refs for c in r.crops])
        self.head_vecs = embedder.embed_heads([c for r in refs for c in r.heads])

    def per_name(self, bgr: np.ndarray, seen: Sequence[Seen]) -> np.ndarray:
        """[len(seen), names] distances."""
        out = np.ones((len(seen), len(self.names)), np.float32)
        for i, s in enumerate(seen):
            heads = s.head is not None and len(self.head_vecs) > 0
            if heads:
                crop = character_crop(bgr, s.head, HEAD_PAD)
                dist = self.embedder.head_distance(self.embedder.embed_heads([crop]), self.head_vecs)[0]
                owners = self.head_owners
                if s.whole:          # a stranger with a look-alike head has another body
                    body = self.embedder.distance(self.embedder.embed([character_crop(bgr, s.rect)]), self.vecs)[0]
                    dist = np.array([max(d, body[self.owners == o].min()) for d, o in zip(dist, owners)])
            else:
                dist = self.embedder.distance(self.embedder.embed([character_crop(bgr, s.rect)]), self.vecs)[0]
                owners = self.owners
            for k, name in enumerate(self.names):
                mine = dist[owners == name]
                if not mine.size and heads:          # this character's stills show no head: whole stills
                    mine = self.embedder.distance(self.embedder.embed([character_crop(bgr, s.rect)]),
                                                  self.vecs[self.owners == name])[0]
                out[i, k] = float(mine.min()) if mine.size else 1.0
        return out
