"""LineArtPrep end to end: every grouped frame and crop turned into clean dark lines on pure
white at training resolution, as new group folders beside GroupSplit's (whose raw frames stay as
they are).  Each picture's stroke width is measured before and after, and the method is recorded
in every row, so the dataset says what it was made of."""

import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

from ..errors import BadInputError, MissingModelError
from ..frameset import FrameSet
from ..hashing import bytes_sha256
from ..image.files import read_image, read_or_none
from ..people.export import GroupSets, check_groups_for, load_groups, write_group_folders
from ..png import encode_png
from ..progress import Progress
from ..specs import check_declared, setting
from . import learned
from .strokes import bucket, fit_bucket, ink_of, lines, stroke_width

PAD = 0.04                # paper kept around a character's box when everything else turns white


@dataclass(frozen=True)
class LineArtSettings:
    method: str = setting(
        "auto", "auto: the first ONNX line extractor in models/lineart when there is one, else classical. "
        "classical: lines are what is darker than the paper or paint around them; fills and flat backgrounds "
        "turn white. Or the name of an .onnx file in models/lineart.", choices=("auto", "classical"),
        installed=True)
    resolution: int = setting(
        512, "Pictures are sized to kohya's bucket for this training resolution, never enlarged past their own "
        "size (enlarging thickens lines); 0 keeps their size.", low=0, high=2048, step=64)
    whiten_outside: bool = setting(
        True, "Turn everything outside the named characters' boxes white (scenery lines included).",
        old_flags={"--keep-outside": False})

    def __post_init__(self):
        check_declared(self)
        if 0 < self.resolution < 256:
            raise BadInputError(f"resolution: {self.resolution} is under kohya's smallest bucket side (256); "
                                "use 0 (keep the size) or 256 and up.")


@dataclass
class LineArtResult:
    groups: GroupSets
    method: str
    strokes: Dict[str, List[float]]       # median stroke width per picture, px: "before" and "after"
                                          # extraction at the source size, "trained" at the saved size
    seconds: float


def _extractor(settings: LineArtSettings, models_dir, device: str):
    if settings.method == "classical":
        return None
    files = learned.installed(models_dir)
    if settings.method == "auto":
        return learned.load_lines(models_dir, files[0], device) if files else None
    if settings.method not in files:
        where = Path(models_dir) if models_dir else Path("models") / learned.MODELS_FOLDER
        raise MissingModelError(f"line extractor '{settings.method}' is not in {where}.",
                                hint="Put the .onnx file there, or use method 'classical'.")
    return learned.load_lines(models_dir, settings.method, device)


def _characters(row) -> List[tuple]:
    if row.get("crop_of"):                 # a crop is its character
        return []
    return [tuple(r) for _, _, r in row.get("characters_named", ())]


def _whiten_outside(grey: np.ndarray, rects: List[tuple]) -> np.ndarray:
    if not rects:
        return grey
    h, w = grey.shape
    keep = np.zeros_like(grey, dtype=bool)
    for x0, y0, x1, y1 in rects:
        px, py = PAD * (x1 - x0), PAD * (y1 - y0)
        keep[max(0, int(y0 - py)):min(h, int(y1 + py) + 1), max(0, int(x0 - px)):min(w, int(x1 + px) + 1)] = True
    return np.where(keep, grey, 255).astype(np.uint8)


def _line_set(source: FrameSet, folder: Path, name: str, settings: LineArtSettings, extract, progress: Progress,
              strokes: Dict[str, List[float]]) -> FrameSet:
    import cv2

    method = extract.identity()["method"] if extract else "classical"
    rows = []
    for row in source.kept:
        src = source.image_path(row)
        bgr = read_image(src, cv2.IMREAD_COLOR, f"{name}: picture", hint="Run GroupSplit again.")
        before = stroke_width(ink_of(bgr))
        grey = extract(bgr) if extract else lines(bgr)
        if settings.whiten_outside:
            grey = _whiten_outside(grey, _characters(row))
        after = stroke_width(grey)
        if settings.resolution:
            # kohya's bucket_no_upscale: a small picture gets a bucket of its own size, since
            # enlarging it would thicken its lines (the write-up's "thick, muddy lines")
            h, w = grey.shape
            own = max(256, int((w * h) ** 0.5) // 64 * 64)
            grey = fit_bucket(grey, bucket(w, h, min(settings.resolution, own)))
        trained = stroke_width(grey)
        data = encode_png(grey)
        rel = f"images/{Path(row['file']).stem}.png"
        (folder / "images").mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
        strokes["before"].append(before)
        strokes["after"].append(after)
        strokes["trained"].append(trained)
        rows.append({**row, "file": rel, "sha256": bytes_sha256(data), "width": grey.shape[1], "height": grey.shape[0],
                     "lineart": {"method": method, "source_file": str(src), "stroke_before": round(before, 2),
                                 "stroke_after": round(after, 2), "stroke_trained": round(trained, 2),
                                 "resolution": settings.resolution}})
        progress.update(progress.done + 1)
    return source.made(folder, "lineart", {**asdict(settings), "method": method}, rows)


def prep_lineart(groups: GroupSets, out: os.PathLike, settings: Optional[LineArtSettings] = None,
                 progress: Optional[Progress] = None, *, device: str = "cpu",
                 models_dir: Optional[os.PathLike] = None) -> LineArtResult:
    settings = settings or LineArtSettings()
    progress = progress or Progress()
    started = time.monotonic()
    out = Path(out)
    check_groups_for(groups, out, "LineArtPrep", "draw")
    extract = _extractor(settings, models_dir, device)
    progress.set_total(sum(len(s) for s in groups.all_sets()))
    strokes = {"before": [], "after": [], "trained": []}
    write_group_folders(out, groups.groups, groups.crops, lambda frames, folder, name: _line_set(
        frames, folder, name, settings, extract, progress, strokes), groups.extra)
    progress.update(progress.done, force=True)
    return LineArtResult(load_groups(out), extract.identity()["method"] if extract else "classical", strokes,
                         time.monotonic() - started)


def lineart_report(result: LineArtResult) -> str:
    b, a = result.strokes["before"], result.strokes["after"]
    n = len(a)
    lines_ = [f"LineArtPrep: {n} pictures as lines on white ({result.method}); {result.seconds:.1f} s"]
    if n:
        lines_.append(f"stroke width (median px): before {np.median(b):.1f}, after {np.median(a):.1f} at the source "
                      f"size; {np.median(result.strokes['trained']):.1f} at the training size")
        grown = sum(1 for x, y in zip(b, a) if y > x + 1.0)
        if grown:
            lines_.append(f"WARNING {grown} pictures got strokes more than a pixel thicker: check the preview "
                          "(method 'classical' never thickens; a learned extractor may).")
    lines_.append("groups: " + ", ".join(f"{g}: {len(s)}" for g, s in result.groups.groups.items()))
    for what, sets in (("composed", result.groups.composed), ("stills", result.groups.stills)):
        if sets:
            lines_.append(f"{what}: " + ", ".join(f"{g}: {len(s)}" for g, s in sets.items()))
    lines_.append(f"line-art group folders: {result.groups.folder}")
    return "\n".join(lines_)


def lineart_sheet(result: LineArtResult, count: int = 8, width: int = 1024) -> np.ndarray:
    """Before and after, side by side, for the first pictures of every group: RGB uint8."""
    import cv2

    tiles = []
    for s in result.groups.groups.values():
        for row in s.kept[:max(1, count // max(1, len(result.groups.groups)))]:
            line, raw = read_or_none(s.image_path(row)), read_or_none(row["lineart"]["source_file"])
            if line is None or raw is None:
                continue
            half = width // 2
            pair = [cv2.resize(p, (half, max(1, round(p.shape[0] * half / p.shape[1]))), interpolation=cv2.INTER_AREA)
                    for p in (raw, line)]
            h = max(p.shape[0] for p in pair)
            tiles.append(np.hstack([np.pad(p, ((0, h - p.shape[0]), (0, 0), (0, 0)), constant_values=255) for p in pair]))
    if not tiles:
        return np.full((64, width, 3), 48, np.uint8)
    return cv2.cvtColor(np.vstack(tiles), cv2.COLOR_BGR2RGB)
