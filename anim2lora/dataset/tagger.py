"""WD14-style taggers (SmilingWolf's ONNX models) on ONNX Runtime, fed exactly as kohya's
tagger script feeds them: RGB to BGR, padded to a square with white, resized to the model's side
(448), float32 0-255, NHWC.  ``selected_tags.csv`` (``tag_id,name,category,count``) names the
outputs in order; category 9 is a rating, 0 a general tag, 4 a character.

A model lives under ComfyUI's ``models/wd14_tagger/`` in either of two layouts: a folder of its
own holding ``model.onnx`` and ``selected_tags.csv`` (as Hugging Face serves them), or
``<name>.onnx`` beside ``<name>.csv`` (ComfyUI-WD14-Tagger's layout: the same two files renamed).
One session serves every frame of every run.
"""

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..errors import BadInputError, MissingModelError
from ..hub import fetch
from ..runtime import Loaded, onnx_session, resolve_device

MODELS_FOLDER = "wd14_tagger"
FILES = ("model.onnx", "selected_tags.csv")
GENERAL, CHARACTER, RATING = "0", "4", "9"
SCORE_FLOOR = 0.1          # scores kept (and cached) down to this; the thresholds apply later


@dataclass(frozen=True)
class KnownTagger:
    name: str          # the folder under models/wd14_tagger/
    repo: str
    revision: str      # pinned commit: a download always gets the same files


DEFAULT_TAGGER = KnownTagger("wd-v1-4-vit-tagger-v2", "SmilingWolf/wd-v1-4-vit-tagger-v2",
                             "1f3f3e8ae769634e31e1ef696df11ec37493e4f2")


@dataclass(frozen=True)
class TaggerFiles:
    name: str          # the folder, or the files' stem
    model: Path        # model.onnx or <name>.onnx
    tags: Path         # selected_tags.csv or <name>.csv

    @property
    def paths(self):
        return self.model, self.tags


class Wd14Tagger:
    def __init__(self, files: TaggerFiles, device: str = "cpu"):
        self.files, self.name = files, files.name
        self.session, self.device = onnx_session(files.model, device, "wd14 tagger")
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        side = inp.shape[1] if len(inp.shape) == 4 else None
        self.size = side if isinstance(side, int) and side > 0 else 448
        self.names, self.categories = _read_tags(files.tags)

    def identity(self) -> Dict[str, str]:
        # the same keys in both layouts, so scores cached before the second layout stay valid
        return {"tagger": self.name, **{f: str(p.stat().st_size) for f, p in zip(FILES, self.files.paths)}}

    def preprocess(self, bgr: np.ndarray) -> np.ndarray:
        import cv2

        h, w = bgr.shape[:2]
        side = max(h, w)
        top, left = (side - h) // 2, (side - w) // 2
        square = cv2.copyMakeBorder(bgr, top, side - h - top, left, side - w - left, cv2.BORDER_CONSTANT,
                                    value=(255, 255, 255))
        method = cv2.INTER_AREA if side > self.size else cv2.INTER_LANCZOS4
        return cv2.resize(square, (self.size, self.size), interpolation=method).astype(np.float32)

    def scores(self, pictures: Sequence[np.ndarray]) -> List[Dict[str, float]]:
        """Per BGR picture: tag -> score for the general and character tags at or over the floor."""
        if not len(pictures):
            return []
        batch = np.stack([self.preprocess(p) for p in pictures])
        probs = np.asarray(self.session.run(None, {self.input_name: batch})[0], np.float32)
        if probs.shape[1] != len(self.names):
            raise MissingModelError(f"wd14 tagger {self.files.model}: the model gives {probs.shape[1]} scores but "
                                    f"{self.files.tags.name} names {len(self.names)} tags.",
                                    hint="Use the csv that came with this model.")
        out = []
        for row in probs:
            keep = np.flatnonzero((row >= SCORE_FLOOR) & (self.categories != RATING))
            out.append({self.names[i]: round(float(row[i]), 4) for i in keep})
        return out

    def tags(self, scores: Dict[str, float], general: float, character: float) -> List[str]:
        """The tags over their category's threshold, surest first."""
        kind = dict(zip(self.names, self.categories))
        chosen = [(s, t) for t, s in scores.items()
                  if s >= (character if kind.get(t) == CHARACTER else general)]
        return [t for _, t in sorted(chosen, key=lambda x: -x[0])]


def _read_tags(path: Path):
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except OSError as e:
        raise MissingModelError(f"wd14 tagger: cannot read {path} ({e}).") from None
    if not rows or rows[0][:3] != ["tag_id", "name", "category"]:
        raise MissingModelError(f"wd14 tagger: {path} is not a selected_tags.csv (header tag_id,name,category,...).",
                                hint="Download it again with the model.")
    return [r[1] for r in rows[1:]], np.array([r[2] for r in rows[1:]])


def _layouts(root: Path, name: str):
    yield TaggerFiles(name, *(root / name / f for f in FILES))
    yield TaggerFiles(name, root / f"{name}.onnx", root / f"{name}.csv")


def tagger_files(models_dir: Optional[os.PathLike], name: str = DEFAULT_TAGGER.name,
                 allow_download: bool = False) -> Optional[TaggerFiles]:
    """The tagger's two files in either layout (its own folder first), downloading the default
    model's into its folder if allowed; else None."""
    if models_dir is None:
        return None
    if name in ("", ".", "..") or Path(name).name != name or "\\" in name:   # a folder's name, never a path
        raise BadInputError(f"tagger '{name}': the name of a folder in {models_dir}, not a path.",
                            hint="Give the tagger folder's name, or 'auto' or 'offline'.")
    found = next((f for f in _layouts(Path(models_dir), name) if all(p.is_file() for p in f.paths)), None)
    if found is None and allow_download and name == DEFAULT_TAGGER.name:
        found = next(_layouts(Path(models_dir), name))
        for file, path in zip(FILES, found.paths):
            if not path.is_file():
                fetch(DEFAULT_TAGGER.repo, file, DEFAULT_TAGGER.revision, path, owner="wd14 tagger")
    return found


def installed(models_dir: Optional[os.PathLike]) -> List[str]:
    """The taggers under ``models_dir`` with both files, in either layout, for the node's list."""
    if models_dir is None or not Path(models_dir).is_dir():
        return []
    root = Path(models_dir)
    names = {p.name if p.is_dir() else p.stem for p in root.iterdir()}
    return sorted(n for n in names if tagger_files(root, n))


_loaded = Loaded()


def load_tagger(models_dir: Optional[os.PathLike], name: str = DEFAULT_TAGGER.name, *, device: str = "cpu",
                allow_download: bool = False) -> Wd14Tagger:
    files = tagger_files(models_dir, name, allow_download)
    if files is None:
        root = Path(models_dir or Path("models") / MODELS_FOLDER)
        raise MissingModelError(f"wd14 tagger: {' and '.join(FILES)} are not both in {root / name}, nor are "
                                f"{name}.onnx and {name}.csv both in {root}.",
                                hint=f"Download them from {DEFAULT_TAGGER.repo} into that folder, turn on "
                                     "allow_download, or caption with tagger 'offline'.")
    key = (resolve_device(device), str(files.model), tuple(p.stat().st_mtime_ns for p in files.paths))
    return _loaded.get(key, lambda: Wd14Tagger(files, key[0]))
