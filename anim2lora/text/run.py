"""TextFrameFilter end to end: a frame set in; the frames without text, and the ones with it, out.

OCR reads are cached per frame file (its sha256) in the analysis store, keyed by the backend's
identity and the search settings only: changing a rule threshold or the action re-judges the
cached reads in seconds.  A cancelled run keeps every read it finished, so the next run resumes.
"""

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

import numpy as np

from ..image.files import read_frame
from ..frameset import FrameSet
from ..cache_layout import FRAMES, analysis_path
from ..hashing import bytes_sha256, settings_digest
from ..png import encode_png
from ..progress import Progress
from ..store import CachedAnalysis
from .actions import Edit, mask_text, plan_crop
from .backends import TextBox, load_backend
from .rules import judge
from .search import TextSearch
from .settings import TextSettings

ALGORITHM = "text-7"      # bump when a change alters what the search reads
ANALYZER = "text.ocr"


@dataclass
class FrameText:
    index: int
    text: List[dict] = field(default_factory=list)        # boxes judged text: rect, text, score
    drawing: Dict[str, int] = field(default_factory=dict)  # boxes judged drawing, by reason
    edit: Optional[Edit] = None
    how: str = "cache"
    looked: float = 0.0


@dataclass
class TextResult:
    kept: FrameSet
    rejected: FrameSet
    frames: List[FrameText]
    settings: TextSettings
    backend: Dict[str, str]
    device: str
    seconds: float
    ocr_frames: int                   # frames the OCR ran on (the rest came from the cache)

    @property
    def summary(self) -> dict:
        by_action = {a: [f.index for f in self.frames if f.edit and f.edit.action == a]
                     for a in ("drop", "crop", "mask")}
        dropped = dict(self.kept.dropped_by_reason())
        return {"set": str(self.kept.path), "rejected_set": str(self.rejected.path),
                "kept": [r["index"] for r in self.kept.kept],
                "dropped": {"text": dropped.get("text", [])},
                "cropped": by_action["crop"], "masked": by_action["mask"],
                "frames": {str(f.index): {"action": f.edit.action, "why": f.edit.note,
                                          "text": [t["text"] for t in f.text]}
                           for f in self.frames if f.edit},
                "ocr": {**self.backend, "device": self.device, "ocr_frames": self.ocr_frames,
                        "seconds": round(self.seconds, 2)}}


def _read(frames: FrameSet, row: Mapping) -> Tuple[np.ndarray, bool]:
    """The frame as BGR, and whether its file is one-channel grey (edits are saved the same way)."""
    import cv2

    img = read_frame(frames, row, cv2.IMREAD_UNCHANGED)
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR), True
    return img[:, :, :3], False


def text_filter(frames: FrameSet, settings: Optional[TextSettings] = None, progress: Optional[Progress] = None,
                *, device: str = "cpu", models_dir: Optional[str] = None) -> TextResult:
    settings = settings or TextSettings()
    progress = progress or Progress()
    started = time.monotonic()
    backend = load_backend(settings.backend, device=device, models_dir=models_dir,
                           allow_download=settings.allow_download)
    identity = backend.identity()
    key = settings_digest({"backend": identity, **settings.search_key(), "algorithm": ALGORITHM})
    rows = frames.kept
    edits_dir = f"{FRAMES}/text-{settings_digest({'parent': frames.id, 'settings': settings.to_dict()}, 12)}"
    search = TextSearch(backend, settings.min_text_height, settings.fast)
    progress.set_total(len(rows))
    results: List[FrameText] = []
    updates: Dict[int, dict] = {}
    prev: Optional[Tuple[object, np.ndarray, List[TextBox]]] = None   # (shot, reference picture, reads)
    with CachedAnalysis(analysis_path(frames.root), ANALYZER, key) as reads_cache:
        reads_cache.prefetch(r.get("sha256") or "" for r in rows)
        for n, row in enumerate(rows):
            bgr, grey_file = _read(frames, row)
            hit = reads_cache.cached(row.get("sha256") or "")
            if hit is not None:
                reads, found_how, looked = [TextBox.from_json(b) for b in hit["reads"]], "cache", 0.0
            else:
                same_shot = prev if prev is not None and prev[0] == row.get("shot") else None
                # changes and ink are judged in colour: a subtitle can differ from its
                # background in hue alone
                found = search.find(bgr, bgr, None if same_shot is None else same_shot[1:])
                reads, found_how, looked = found.reads, found.how, found.looked
                reads_cache.found(row.get("sha256") or "", {"reads": [b.to_json() for b in reads],
                                                            "how": found.how, "looked": round(looked, 4)})
            if hit is None:
                prev = (row.get("shot"), found.reference, reads)
            else:   # a frame looked at whole is its own reference; after a carried-over one, look afresh
                prev = (row.get("shot"), bgr, reads) if hit.get("how") in ("quick", "full", "read") else None
            result = _decide(row["index"], reads, bgr, settings)
            result.how, result.looked = found_how, looked
            if result.edit and result.edit.action in ("crop", "mask"):
                updates[row["index"]] = _save_edit(frames.root, edits_dir, row, bgr, grey_file, result)
            results.append(result)
            progress.update(n + 1)
        progress.update(len(rows), force=True)
    return _sets(frames, settings, results, updates, identity, backend.device, started, reads_cache.ran)


def _decide(index: int, reads: List[TextBox], bgr: np.ndarray, settings: TextSettings) -> FrameText:
    result = FrameText(index)
    for j in judge(reads, bgr.shape[0], settings.rules):
        if j.reason:
            result.drawing[j.reason] = result.drawing.get(j.reason, 0) + 1
        else:
            result.text.append({"rect": [round(v, 1) for v in j.rect], "text": j.box.text,
                                "score": round(j.box.score, 3)})
    if not result.text:
        return result
    rects = [t["rect"] for t in result.text]
    if settings.action == "crop":
        result.edit = plan_crop(bgr, rects)
    elif settings.action == "mask":
        result.edit = Edit("mask", f"painted out {len(rects)} text box(es)")
    else:
        result.edit = Edit("drop", "shows text")
    return result


def _save_edit(root: Path, folder: str, row: Mapping, bgr: np.ndarray, grey_file: bool, result: FrameText) -> dict:
    """Write the cropped or painted frame as a new file; the original stays for the parent set."""
    import cv2

    edit = result.edit
    if edit.action == "crop":
        x0, y0, x1, y1 = edit.crop
        out = bgr[y0:y1, x0:x1]
    else:
        out = mask_text(bgr, [t["rect"] for t in result.text])
    out = cv2.cvtColor(out, cv2.COLOR_BGR2GRAY) if grey_file else cv2.cvtColor(out, cv2.COLOR_BGR2RGB)
    data = encode_png(np.ascontiguousarray(out))
    name = f"{folder}/{row['index']:07d}.png"
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return {"file": name, "sha256": bytes_sha256(data), "source_file": row.get("source_file") or row.get("file"),
            "edit": {"action": edit.action, "crop": list(edit.crop) if edit.crop else None}}


def _sets(frames, settings, results, updates, identity, device, started, ocr_frames) -> TextResult:
    by_index = {r.index: r for r in results}
    text_rows = {r.index: {"text": r.text, "text_action": r.edit.action, "text_note": r.edit.note}
                 for r in results if r.edit}
    scores = {r.index: {"text_boxes": len(r.text), "drawing_boxes": sum(r.drawing.values())} for r in results}
    settings_dict = settings.to_dict()

    def kept_reason(row):
        r = by_index.get(row["index"])
        return "text" if r is not None and r.edit is not None and r.edit.action == "drop" else None

    kept = frames.derive("text", settings_dict, kept_reason, scores,
                         updates={i: {**text_rows[i], **updates.get(i, {})} for i in text_rows})
    rejected = frames.derive("text_rejected", settings_dict,
                             lambda row: None if row["index"] in text_rows else "no_text", scores,
                             updates=text_rows)
    return TextResult(kept, rejected, results, settings, identity, device, time.monotonic() - started, ocr_frames)
