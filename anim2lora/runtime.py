"""Where models run: the device a caller asks for, and ONNX Runtime sessions placed on it.

Shared by every ONNX-backed stage (OCR, detectors, embedders) so they agree on what "auto" and
"cuda:1" mean and on what to say when ONNX Runtime is missing.
"""

import os
import re
import threading
from typing import Callable, Dict, Hashable, Optional, Tuple, Type, TypeVar

from .errors import Anim2LoRAError, MissingModelError

_DEVICE = re.compile(r"[a-z_]+(:\d+)?")
ORT_INSTALL = ("Install one into ComfyUI's Python: pip install onnxruntime-gpu (Linux/Windows x86-64) "
               "or pip install onnxruntime (macOS, ARM).")


def resolve_device(device: str) -> str:
    """"auto": CUDA when torch sees it, Apple's MPS when present, else the CPU."""
    if not _DEVICE.fullmatch(device or ""):
        raise Anim2LoRAError(f"device: '{device}' is not one of auto, cpu, cuda, cuda:N, mps.")
    if device.startswith(("cuda", "mps", "cpu")):
        return device
    if device != "auto":     # a host's xpu, npu, directml...: no ONNX model here runs there
        return "cpu"
    try:
        import torch
    except ImportError:
        return "cpu"
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    return "mps" if mps is not None and mps.is_available() else "cpu"


def onnxruntime(owner: str, error: Type[Anim2LoRAError] = MissingModelError):
    """The onnxruntime module, or an error naming ``owner`` (the packages that use it do not
    declare it, so that they never overwrite a host's onnxruntime-gpu)."""
    try:
        import onnxruntime as ort
    except ImportError as e:
        raise error(f"{owner}: ONNX Runtime is not installed ({e}).", hint=ORT_INSTALL) from None
    return ort


def cuda_id(device: str) -> Optional[int]:
    """The CUDA device index to run on, or None for the CPU (also when ONNX Runtime has no CUDA)."""
    if not device.startswith("cuda"):
        return None
    import onnxruntime as ort

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        return None
    return int(device.split(":", 1)[1]) if ":" in device else 0


def onnx_session(path: os.PathLike, device: str, owner: str) -> Tuple[object, str]:
    """An inference session for the model file at ``path`` on ``device`` (resolved), and the
    device it really runs on: CUDA when ONNX Runtime has it, else the CPU."""
    ort = onnxruntime(owner)
    gpu = cuda_id(resolve_device(device))
    providers = [("CUDAExecutionProvider", {"device_id": gpu}), "CPUExecutionProvider"] if gpu is not None \
        else ["CPUExecutionProvider"]
    options = ort.SessionOptions()
    options.log_severity_level = 3      # warnings about unused initialisers flood the host console
    try:
        session = ort.InferenceSession(os.fspath(path), sess_options=options, providers=providers)
    except Exception as e:  # noqa: BLE001 - onnxruntime raises its own untyped errors for bad files
        raise MissingModelError(f"{owner}: {path} is not a loadable ONNX model ({type(e).__name__}: {e}).",
                                hint="Delete the file and download it again.") from None
    return session, "cpu" if gpu is None else f"cuda:{gpu}"


T = TypeVar("T")


class Loaded:
    """Models kept for the life of the process, one per key (device, files): ComfyUI runs a node
    again and again, and loading a model costs more than a frame."""

    def __init__(self):
        self._models: Dict[Hashable, object] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        with self._lock:
            if key not in self._models:
                self._models[key] = load()
            return self._models[key]
