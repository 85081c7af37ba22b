"""The second OCR backend: EasyOCR (CRAFT detector + CRNN recogniser, in torch).

It is optional: its wheel carries no weights, and on first use easyocr would fetch them from
GitHub.  This pack never touches the network unless the user asks (``allow_download``), so the
files are looked for before easyocr is started, and a missing one is reported by name, folder
and address.  Only easyocr's own loader reads them (``easyocr.Reader``), which also checks each
file against the MD5 in its config.
"""

import os
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import Anim2LoRAError
from .backends import MissingBackendError, OcrBackend, Quad, TextBox, as_quad, shrink

INSTALL = "pip install easyocr"
INSTALL_HINT = (f"Install it into ComfyUI's Python: {INSTALL}. torchvision must already be there (ComfyUI "
                "has it): without it pip would pull a CUDA build of torch of several GB over the host's.")
DOWNLOAD_SWITCH = "switch on allow_download (the node's option; --allow-download on the command line)"
DETECTOR = "craft"           # easyocr's default detector, the one its config names craft_mlt_25k.pth


def _package():
    try:
        import easyocr
    except ModuleNotFoundError as e:
        if e.name != "easyocr":
            raise MissingBackendError(f"backend 'easyocr': the package is installed but its dependency "
                                      f"'{e.name}' is not.", hint=INSTALL_HINT) from None
        raise MissingBackendError("backend 'easyocr': the package is not installed.", hint=INSTALL_HINT) from None
    except (ImportError, RuntimeError) as e:
        # seen with a torchvision built for another torch: "operator torchvision::nms does not exist"
        raise MissingBackendError(f"backend 'easyocr': the package does not import ({e}).",
                                  hint="torchvision must be the release built for the installed torch; "
                                       "reinstall the pair ComfyUI's requirements name.") from None
    return easyocr


def _recogniser(languages: Sequence[str]) -> str:
    """easyocr's config key of the recognition model its Reader picks for these languages.

    easyocr chooses one model per script and refuses mixes it has no model for (Japanese goes only
    with English); this pack reads English and Japanese, so only those two sets are offered."""
    wanted = set(languages)
    if wanted == {"en"}:
        return "english_g2"
    if "ja" in wanted and wanted <= {"en", "ja"}:
        return "japanese_g2"
    raise Anim2LoRAError(f"languages: {', '.join(languages) or '(none)'} is not a set the easyocr backend reads.",
                         hint="Use 'en' and 'ja' (easyocr's Japanese model reads English too), or 'en' alone.")


def _gpu(device: str):
    # Reader's gpu: False is the CPU, True its own choice (CUDA, MPS, else CPU), a string a torch device
    return {"cpu": False, "auto": True}.get(device, device)


class EasyOcrBackend(OcrBackend):
    name = "easyocr"

    def __init__(self, device: str = "cpu", models_dir: Optional[str] = None, allow_download: bool = False,
                 languages: Sequence[str] = ("en", "ja")):
        easyocr = _package()
        from easyocr import config

        self.languages = list(dict.fromkeys(languages))      # Reader compares the list with ['en']
        recogniser = config.recognition_models["gen2"][_recogniser(self.languages)]
        models = [config.detection_models[DETECTOR], recogniser]
        self.version = easyocr.__version__
        # Reader's own default, so that files easyocr fetched before are found
        self.folder = os.path.abspath(models_dir or os.path.join(config.MODULE_PATH, "model"))
        self.files = [m["filename"] for m in models]
        missing = [m for m in models if not os.path.isfile(os.path.join(self.folder, m["filename"]))]
        if missing and not allow_download:
            raise MissingBackendError(
                f"backend 'easyocr': model files missing from {self.folder}: "
                f"{', '.join(m['filename'] for m in missing)}.",
                hint=f"Download {' and '.join(m['url'] for m in missing)}, unzip into that folder, "
                     f"or {DOWNLOAD_SWITCH} to let easyocr fetch them once.")
        try:
            self._reader = easyocr.Reader(
                self.languages, gpu=_gpu(device), model_storage_directory=self.folder,
                # no custom networks are used; this keeps easyocr from making ~/.EasyOCR/user_network
                user_network_directory=self.folder if models_dir else None,
                download_enabled=allow_download, verbose=allow_download)
        except OSError as e:
            # downloads off: a file whose MD5 is not the release's ("MD5 mismatch for …");
            # downloads on: the network failed
            raise MissingBackendError(f"backend 'easyocr': cannot load its model files ({e}).",
                                      hint=f"Put easyocr's release files {', '.join(self.files)} into "
                                           f"{self.folder} (unzipped from {' and '.join(m['url'] for m in models)}), "
                                           f"or {DOWNLOAD_SWITCH} to let easyocr replace them.") from None
        self.device = self._reader.device                   # what easyocr settled on, for the report
        # stamped at load: the weights in memory are what the cache key must name
        self._identity = {"backend": self.name, "version": self.version, "languages": ",".join(self.languages),
                          **{name: _stamp(os.path.join(self.folder, name)) for name in self.files}}

    def identity(self) -> Dict[str, str]:
        return dict(self._identity)

    def detect(self, bgr: np.ndarray, max_side: int) -> List[Quad]:
        import cv2

        h, w = bgr.shape[:2]
        scale = min(1.0, max_side / max(h, w))
        small = bgr if scale == 1.0 else shrink(bgr, scale)
        # CRAFT was trained on RGB (easyocr feeds it RGB when it reads a file itself)
        horizontal, free = self._reader.detect(cv2.cvtColor(small, cv2.COLOR_BGR2RGB), reformat=False)
        return _quads(horizontal[0], free[0], max(h, w) / max(small.shape[:2]), w, h)

    def read(self, bgr: np.ndarray) -> List[TextBox]:
        import cv2

        # readtext on an array would take it as the detector's colour image *and* make the grey one
        # with BGR weights, so one channel order is always wrong; its two steps get each right
        horizontal, free = self._reader.detect(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), reformat=False)
        grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        reads = self._reader.recognize(grey, horizontal[0], free[0], reformat=False)
        h, w = bgr.shape[:2]
        return [TextBox(_inside(as_quad(box), w, h), text, float(score)) for box, text, score in reads]

    def read_line(self, crop: np.ndarray) -> Optional[Tuple[str, float]]:
        import cv2

        # given no boxes, easyocr reads the whole (grey) picture as one line
        reads = self._reader.recognize(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY), reformat=False)
        return (reads[0][1], reads[0][2]) if reads else None


def _quads(horizontal, free, scale: float, w: int, h: int) -> List[Quad]:
    """easyocr's two box lists as quads in the input image: ``horizontal`` holds
    ``[x_min, x_max, y_min, y_max]`` lines, ``free`` slanted quads clockwise from top-left."""
    corners = [[(x0, y0), (x1, y0), (x1, y1), (x0, y1)] for x0, x1, y0, y1 in horizontal] + list(free)
    return [_inside(as_quad(c, scale), w, h) for c in corners]


def _inside(quad: Quad, w: int, h: int) -> Quad:
    # easyocr widens boxes by a margin, which can reach past the image edge
    return tuple((min(max(x, 0.0), float(w)), min(max(y, 0.0), float(h))) for x, y in quad)


def _stamp(path: str) -> str:
    st = os.stat(path)
    return f"{st.st_size} bytes, mtime {st.st_mtime_ns}"
