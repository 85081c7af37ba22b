"""Where characters are: one interface over the offline ink detector and the ONNX models.

``auto`` picks the ONNX person model when its file is in the models folder, else the ink
detector, and says which in the report.  Loaded detectors are kept per process: ComfyUI runs the
node again and again, and a model load costs more than a frame.
"""

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..errors import BadInputError, MissingModelError
from ..hub import fetch
from ..runtime import Loaded, resolve_device
from .boxes import Box, Rect
from .ink import detect_ink, two_hair_masses
from .yolo import SCORE_FLOOR

DETECTOR_NAMES = ("auto", "ink", "onnx")
MODELS_FOLDER = "anime_detect"      # under ComfyUI's models/
INK_VERSION = "ink-54"             # bump when a change alters what the ink detector finds
# AnimeFace faces kept from this likelihood up: on the realistic set's tune half (coloured, one
# frame a shot) 0.6 kept 10 of its 58 heads and no false face, 0.5 found 14 with one false
FACE_LIKELIHOOD = 0.6
_face_lock = threading.Lock()


@dataclass(frozen=True)
class KnownModel:
    kind: str          # person | head | face
    repo: str          # Hugging Face repository
    file: str          # path in the repository
    revision: str      # pinned commit: a download always gets the same bytes
    conf: float        # score threshold the model's authors use
    iou: float         # NMS threshold they use
    sha256: str = ""   # checked after a download, where published

    @property
    def local(self) -> str:
        """The file name under models/anime_detect/."""
        return self.file.replace("/model.onnx", "") + ".onnx"


# imgutils' defaults (dghs-imgutils 0.19); the person model is the small v1.3 (the 'm' v1.1 is 100 MB)
KNOWN = {
    "person": KnownModel("person", "deepghs/anime_person_detection", "person_detect_v1.3_s/model.onnx",
                         "e39c744c22432ad01f91dd254fe2b02c8d878b8c", 0.3, 0.5,
                         "6da88929438cd442e31e45ff4f934dd2d7eb9cf7a423c22885d650ee52550f90"),
    "head": KnownModel("head", "deepghs/anime_head_detection", "head_detect_v2.0_s/model.onnx",
                       "06604feee81983792a57c21081e539c0ae229833", 0.4, 0.7,
                       "6679f9b71192298bbf174d82e9e5581c3237b0c3dc67deace7cdbf686b070a00"),
    "face": KnownModel("face", "deepghs/anime_face_detection", "face_detect_v1.4_s/model.onnx",
                       "2f9ecf137de0b62f318f7a8dc4d817b9c2d63ae3", 0.25, 0.7),
}


class Detector:
    name = ""
    has_heads = False
    has_faces = False         # it looks for faces: a head without one is seen from behind
    device = "cpu"

    def identity(self) -> Dict[str, str]:
        """What identifies the boxes it finds; part of the cache key."""
        raise NotImplementedError

    def detect(self, bgr: np.ndarray, ignore: Sequence[Rect] = ()) -> List[Box]:
        raise NotImplementedError


class InkDetector(Detector):
    """Ink blobs and their heads, and, when the ``animeface`` package is installed, the faces its
    model finds: they find characters on painted, dark and rendered backgrounds, where no blob
    stands out."""

    name = "ink"
    has_heads = True

    def __init__(self, faces: bool = True):
        from .animeface import VERSION, load_animeface

        self.faces = load_animeface() if faces else None
        self.has_faces = self.faces is not None
        self._faces_version = VERSION if self.faces else "none"

    def identity(self) -> Dict[str, str]:
        return {"detector": "ink", "version": INK_VERSION, "faces": self._faces_version}

    def detect(self, bgr, ignore=()):
        if self.faces is None or min(bgr.shape[:2]) < 16:
            return two_hair_masses(bgr, detect_ink(bgr, ignore))
        # the face search costs several times the ink's and runs in its library outside Python's
        # lock: started first on a thread of its own, it searches while the ink is traced
        searching = _face_thread().submit(self.faces.faces, bgr)
        found = detect_ink(bgr, ignore)
        found += [f for f in searching.result()
                  if f.score >= FACE_LIKELIHOOD and not any(_inside(f.rect, r) for r in ignore)]
        # every face found, by either search, is there to tell a head box's two hair masses apart
        return two_hair_masses(bgr, found)


_face_pool: list = []


def _face_thread():
    """The one worker thread face searches run on (the library serialises them anyway)."""
    from concurrent.futures import ThreadPoolExecutor

    with _face_lock:
        if not _face_pool:
            _face_pool.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="animeface"))
        return _face_pool[0]


def _inside(face: Rect, text: Rect) -> bool:
    from .boxes import inside_share

    return inside_share(face, text) > 0.5


class OnnxDetector(Detector):
    """The person model, plus the head or face model when present (a body counts only with one)."""

    name = "onnx"

    def __init__(self, files: Dict[str, Path], device: str):
        from .yolo import YoloModel

        self.files = files
        # bodies are kept down to a low floor so min_score re-judges cached boxes; heads and faces
        # only confirm bodies, at the threshold their authors tuned
        self.models = [YoloModel(path, kind, device, iou=KNOWN[kind].iou,
                                 conf=SCORE_FLOOR if kind == "person" else KNOWN[kind].conf)
                       for kind, path in files.items()]
        self.device = self.models[0].device
        self.has_heads = any(m.kind in ("head", "face") for m in self.models)
        self.has_faces = any(m.kind == "face" for m in self.models)

    def identity(self) -> Dict[str, str]:
        return {"detector": "onnx", **{kind: f"{p.name}:{p.stat().st_size}" for kind, p in self.files.items()}}

    def detect(self, bgr, ignore=()):
        return [b for m in self.models for b in m.detect(bgr)]


def model_files(models_dir: Optional[os.PathLike], allow_download: bool = False) -> Dict[str, Path]:
    """The known model files present in ``models_dir`` (downloading missing ones if allowed)."""
    if models_dir is None:
        return {}
    folder = Path(models_dir)
    found = {}
    for kind, known in KNOWN.items():
        path = folder / known.local
        if not path.is_file() and allow_download:
            path = download(known, folder)
        if path.is_file():
            found[kind] = path
    return found


def download(known: KnownModel, folder: Path) -> Path:
    return fetch(known.repo, known.file, known.revision, folder / known.local, owner=f"{known.kind} detector",
                 sha256=known.sha256)


_loaded = Loaded()


def load_detector(name: str, *, device: str = "cpu", models_dir: Optional[os.PathLike] = None,
                  allow_download: bool = False) -> Detector:
    if name not in DETECTOR_NAMES:
        raise BadInputError(f"detector: '{name}' is not one of {', '.join(DETECTOR_NAMES)}.")
    if name == "ink":
        return InkDetector()
    files = model_files(models_dir, allow_download)
    if "person" not in files:
        if name == "auto":
            return InkDetector()
        where = Path(models_dir) if models_dir is not None else Path("models") / MODELS_FOLDER
        raise MissingModelError(
            f"detector 'onnx': {where / KNOWN['person'].local} is missing.",
            hint=f"Download {KNOWN['person'].repo}/{KNOWN['person'].file} (and the head model "
                 f"{KNOWN['head'].repo}/{KNOWN['head'].file}) into that folder under the names in the "
                 "pack's docs/models.md, turn on allow_download, or use detector 'ink'.")
    device = resolve_device(device)
    key = (device, tuple((k, str(p), p.stat().st_mtime_ns) for k, p in sorted(files.items())))
    return _loaded.get(key, lambda: OnnxDetector(files, device))
