"""PersonCountFilter end to end: a frame set in; the frames whose character count is in range,
and the rest with the reason, out.

Detections are cached per frame file (its sha256) in the analysis store, keyed by the detector's
identity only: every counting setting re-judges the cached boxes in seconds.
"""

import time
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional

from ..image.files import read_frame
from ..frameset import FrameSet
from ..cache_layout import analysis_path
from ..hashing import settings_digest
from ..progress import Progress
from ..store import CachedAnalysis
from .boxes import Box, Rect
from .detectors import Detector, load_detector
from .rules import COUNTING, Count, count, frame_reason
from .settings import CountSettings

ALGORITHM = "people-1"     # bump when a change alters what is detected
ANALYZER = "people.detect"


@dataclass
class FrameCount:
    index: int
    count: Count
    size: tuple             # (width, height) of the frame
    reason: Optional[str]


@dataclass
class CountResult:
    kept: FrameSet
    rejected: FrameSet
    frames: List[FrameCount]
    settings: CountSettings
    detector: Dict[str, str]
    device: str
    seconds: float
    detected: int            # frames the detector ran on (the rest came from the cache)

    @property
    def summary(self) -> dict:
        return {"set": str(self.kept.path), "rejected_set": str(self.rejected.path),
                "kept": [r["index"] for r in self.kept.kept],
                "dropped": self.kept.dropped_by_reason(),
                "counts": {str(f.index): f.count.n for f in self.frames},
                "detector": {**self.detector, "device": self.device, "detected_frames": self.detected,
                             "seconds": round(self.seconds, 2)}}


def keyed_settings(settings: CountSettings, detector: Detector) -> dict:
    """What a counted set is named by: the settings that change the result and the detector that
    really ran ('auto' is ink one day and ONNX the next) and the rules that judged its boxes, not
    whether a download was allowed."""
    keyed = settings.to_dict()
    keyed.pop("allow_download")
    return {**keyed, "ran": detector.identity(), "rules": COUNTING}


def text_rects(row: Mapping) -> List[Rect]:
    """Burned-in text the text filter found in this frame and left in it (a crop cut it away)."""
    if (row.get("edit") or {}).get("action") == "crop":
        return []
    return [tuple(t["rect"]) for t in row.get("text", ())]


def _detections(frames: FrameSet, detector: Detector) -> CachedAnalysis:
    """The detector's boxes per frame, as cached beside the frames."""
    key = settings_digest({"detector": detector.identity(), "algorithm": ALGORITHM})
    return CachedAnalysis(analysis_path(frames.root), ANALYZER, key)


def _content(row: Mapping) -> str:
    """The frame file, and the text left in it (its ink is not a body's); "" without a sha256."""
    sha, text = row.get("sha256") or "", text_rects(row)
    return sha + (f":{settings_digest(text, 12)}" if sha and text else "")


def _boxes(cache: CachedAnalysis, frames: FrameSet, detector: Detector, row: Mapping) -> tuple:
    """(boxes, (width, height)) of one frame; the size is cached too, so re-judging reads no image."""
    content = _content(row)
    hit = cache.cached(content)
    if hit is not None:
        return [Box.from_json(b) for b in hit["boxes"]], tuple(hit["size"])
    bgr = read_frame(frames, row)
    found = detector.detect(bgr, text_rects(row))
    size = (bgr.shape[1], bgr.shape[0])
    cache.found(content, {"size": size, "boxes": [b.to_json() for b in found]})
    return found, size


def count_frames(frames: FrameSet, settings: CountSettings, progress: Progress, detector: Detector) -> tuple:
    """(FrameCount per kept frame, frames the detector ran on)."""
    rows = frames.kept
    progress.set_total(len(rows))
    results = []
    with _detections(frames, detector) as cache:
        cache.prefetch(_content(r) for r in rows)
        for n, row in enumerate(rows):
            boxes, size = _boxes(cache, frames, detector, row)
            c = count(boxes, size[0], size[1], settings.rules, text_rects(row), detector.has_heads, detector.has_faces)
            results.append(FrameCount(row["index"], c, size,
                                      frame_reason(c, settings.min_count, settings.max_count, settings.keep_overlap,
                                                   settings.kept_framings)))
            progress.update(n + 1)
        progress.update(len(rows), force=True)
    return results, cache.ran


def count_people(frames: FrameSet, settings: Optional[CountSettings] = None, progress: Optional[Progress] = None,
                 *, device: str = "cpu", models_dir: Optional[str] = None) -> CountResult:
    settings = settings or CountSettings()
    progress = progress or Progress()
    started = time.monotonic()
    detector = load_detector(settings.detector, device=device, models_dir=models_dir,
                             allow_download=settings.allow_download)
    results, ran = count_frames(frames, settings, progress, detector)
    by_index = {r.index: r for r in results}
    rows = {r.index: {"people": [j.to_json() for j in r.count.boxes], "overlap": r.count.overlap} for r in results}
    scores = {r.index: {"characters": r.count.n} for r in results}
    settings_dict = keyed_settings(settings, detector)
    kept = frames.derive("count", settings_dict, lambda row: by_index[row["index"]].reason, scores, updates=rows)
    rejected = frames.derive("count_rejected", settings_dict,
                             lambda row: "in_range" if by_index[row["index"]].reason is None else None,
                             scores, updates={i: {**rows[i], "reason": by_index[i].reason} for i in rows})
    return CountResult(kept, rejected, results, settings, detector.identity(), detector.device,
                       time.monotonic() - started, ran)
