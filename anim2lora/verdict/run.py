"""The verdict end to end: generated pictures in; per picture, the data stages' own measures
(TextFrameFilter's OCR and rules, PersonCountFilter's detector and rules, GroupSplit's identity
embedder, LineArtPrep's stroke width), and the write-up's failures judged on them."""

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Mapping, Optional, Sequence, Tuple

import numpy as np

from ..dataset.captions import group_names
from ..errors import BadInputError
from ..image.files import read_image, read_or_none
from ..image.paper import on_white
from ..image.spread import evenly
from ..lineart.strokes import ink_of, stroke_width
from ..people.groups import check_names, load_references
from ..people.matching import Matcher, seen_in
from ..people.detectors import load_detector
from ..people.identity import load_embedder
from ..people.rules import count
from ..people.settings import CountSettings
from ..progress import Progress
from ..text.backends import load_backend
from ..text.rules import judge as judge_text
from ..text.search import TextSearch
from ..text.settings import TextSettings
from .bleed import confusion, drawn
from .checks import failures, summarise
from .measures import look

DATASET_SAMPLE = 48     # dataset pictures measured for its stroke width: the median settles long before


@dataclass
class Verdict:
    """Per-picture measures and the batch's summary (ComfyUI type ``A2L_VERDICT``)."""

    images: List[dict]
    summary: dict
    pictures: List[np.ndarray]      # the BGR pictures judged, for the annotated grid

    def to_json(self) -> dict:
        return {"images": self.images, "summary": self.summary}


def parse_ask(ask: str, names: Sequence[str]) -> List[str]:
    """``"A+B"`` -> ``["A", "B"]``; every name must have references when any are given."""
    asked = group_names(ask or "")
    check_names(asked, "ask name")
    unknown = [a for a in asked if names and a not in names]
    if unknown:
        raise BadInputError(f"ask: {', '.join(unknown)} has no reference stills (references: {', '.join(names)}).",
                            hint="Ask for characters you gave references of, e.g. 'A+B'.")
    return asked


def dataset_line_width(folder: os.PathLike) -> float:
    """The median stroke width of a caption stage's pictures (its ``dataset.json`` folder),
    measured as generated pictures are: LineArtPrep records widths too, but on its own extracted
    lines with another ink threshold, and a like-for-like comparison needs one measure."""
    from ..dataset.run import load_dataset

    pictures = [p for s in load_dataset(folder).subsets for p in s.images]
    widths = []
    for path in evenly(pictures, DATASET_SAMPLE):
        bgr = read_or_none(path)
        width = stroke_width(ink_of(bgr)) if bgr is not None else 0.0     # look()'s width, and nothing else
        if width > 0:
            widths.append(width)
    if not widths:
        raise BadInputError(f"dataset {folder}: no readable picture to measure the stroke width on.",
                            hint="Run CaptionWithKeepTokens again, or give the reference width (--line-width).")
    return round(float(np.median(widths)), 2)


class _Analyzers:
    """The data stages' models, loaded once for the batch."""

    def __init__(self, references: Mapping[str, Sequence[np.ndarray]], device: str, detect_models, embed_models):
        self.text = TextSettings()
        self.search = TextSearch(load_backend(self.text.backend, device=device), self.text.min_text_height,
                                 self.text.fast)
        self.counting = CountSettings()
        self.detector = load_detector(self.counting.detector, device=device, models_dir=detect_models)
        self.embedder = load_embedder("auto", device=device, models_dir=embed_models)
        refs = load_references(references, self.detector, self.counting) if references else []
        self.names = [r.name for r in refs]
        self.matcher = Matcher(refs, self.embedder)
        self.notes = [f"reference {r.name}: {n}" for r in refs for n in r.notes]

    def text_rects(self, bgr: np.ndarray) -> List[Tuple[float, float, float, float]]:
        """Boxes the text filter would call text; eyes, hatching and window rows are left out."""
        reads = self.search.find(bgr, bgr, None).reads
        return [j.rect for j in judge_text(reads, bgr.shape[0], self.text.rules) if not j.reason]

    def resemblance(self, bgr: np.ndarray, people) -> Tuple[dict, list]:
        """Per named character, 1 - the distance of the found character nearest its reference
        stills; and per found character, the name it resembles most and how much."""
        if not self.names:
            return {}, []
        if not people:              # nobody to compare: unknown, not "looks like no one"
            return {n: None for n in self.names}, []
        per_name = self.matcher.per_name(bgr, [seen_in(j) for j in people])
        by_name = {n: round(float(1.0 - per_name[:, k].min()), 4) for k, n in enumerate(self.names)}
        who = [[self.names[int(np.argmin(row))], round(float(1.0 - row.min()), 4)] for row in per_name]
        return by_name, who

    def measure(self, path: str, bgr: np.ndarray) -> dict:
        text = self.text_rects(bgr)
        h, w = bgr.shape[:2]
        counted = count(self.detector.detect(bgr, text), w, h, self.counting.rules, text, self.detector.has_heads,
                        self.detector.has_faces)
        people = counted.characters
        seen = look(bgr)
        resemblance, who = self.resemblance(bgr, people)
        return {"path": path, "background": round(seen.background, 4), "colour": round(seen.colour, 4),
                "line_width": None if seen.line_width is None else round(seen.line_width, 2), "text_boxes": len(text),
                "characters": counted.n, "heads": sum(len(j.heads) for j in people), "overlap": counted.overlap,
                "resemblance": resemblance, "who": who, "limbs": None,
                "text": [[round(v, 1) for v in r] for r in text],
                "people": [[round(v, 1) for v in j.box.rect] for j in people]}


def judge(pictures: Sequence[Tuple[str, np.ndarray]], references: Optional[Mapping[str, Sequence[np.ndarray]]] = None,
          ask: str = "", reference_width: Optional[float] = None, progress: Optional[Progress] = None, *,
          device: str = "cpu", detect_models: Optional[str] = None, embed_models: Optional[str] = None) -> Verdict:
    """``pictures``: (name or path, BGR uint8) per generated picture.  ``references``: character
    name -> 1-5 stills of it alone.  ``ask``: the characters the pictures were asked for ("A+B").
    ``reference_width``: the dataset's median stroke width, px (None: the width is not judged)."""
    if not pictures:
        raise BadInputError("images: no picture to judge.", hint="Give the sampler's output, or image files.")
    progress = progress or Progress()
    started = time.monotonic()
    analyzers = _Analyzers(dict(references or {}), device, detect_models, embed_models)
    asked = parse_ask(ask, analyzers.names)
    match = 1.0 - analyzers.embedder.threshold
    progress.set_total(len(pictures))
    images, kept = [], []
    for n, (path, picture) in enumerate(pictures):
        bgr = on_white(np.asarray(picture))
        image = analyzers.measure(str(path), bgr)
        image["fails"] = failures(image, asked, analyzers.names, reference_width, match)
        image["drawn"] = drawn(image, analyzers.names, match) if analyzers.names else None
        images.append(image)
        kept.append(bgr)
        progress.update(n + 1)
    progress.update(len(pictures), force=True)
    summary = summarise(images, asked, analyzers.names, reference_width, match)
    summary["bleed"] = confusion(images, asked, analyzers.names)
    summary.update(detector=analyzers.detector.identity(), embedder=analyzers.embedder.identity(),
                   ocr=analyzers.search.backend.identity(), notes=analyzers.notes,
                   seconds=round(time.monotonic() - started, 2))
    return Verdict(images, summary, kept)


def read_pictures(paths: Sequence[os.PathLike]) -> List[Tuple[str, np.ndarray]]:
    """Image files as (path, BGR) for ``judge``."""
    import cv2

    out = []
    for path in paths:
        img = read_image(path, cv2.IMREAD_UNCHANGED, "image", hint="Give PNG or JPEG files.")
        out.append((str(Path(path)), img))
    return out
