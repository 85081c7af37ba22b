"""Anime faces found offline by AnimeFace (nagadomi's nvxs), the model the PyPI package
``animeface`` ships compiled into its library.

The package's own Python entry point reads pixels through Pillow's private C structure and finds
nothing under current Pillow releases (it returns an empty list at once), so its library is
called directly: the same calls, thresholds and window sizes as the package's wrapper, on a numpy
frame.  The library's five functions and four network tables used here have not changed since
nvxs 1.0.2 (2009), which the wheel bundles.

Faces are searched at a fixed working height: the detector's smallest window is 42.6 px, so at
540 px it finds faces from 8 % of the frame height up (a medium shot's face is 10-20 %, a
close-up's 30-60 %), and a 1080p frame costs what a 540p one does.
"""

import ctypes
import glob
import importlib.util
import os
import threading
from typing import List, Optional

import numpy as np

from .boxes import Box

WORK_HEIGHT = 540
# the package wrapper's search: window step, scale step, smallest window (pixels)
STEP, SCALE_FACTOR, MIN_WINDOW = 4.0, 1.095, 42.592
MAX_FACES = 64
VERSION = "animeface-nvxs-1.0.2"


class _Matrix(ctypes.Structure):
    _fields_ = [("list", ctypes.c_int), ("list_step", ctypes.c_uint), ("n", ctypes.c_int), ("m", ctypes.c_int),
                ("rows", ctypes.c_int), ("cols", ctypes.c_int), ("step", ctypes.c_int), ("alias", ctypes.c_int),
                ("v", ctypes.POINTER(ctypes.c_float))]


class _Rect(ctypes.Structure):
    _fields_ = [("x", ctypes.c_int), ("y", ctypes.c_int), ("width", ctypes.c_int), ("height", ctypes.c_int)]


class _Face(ctypes.Structure):
    _fields_ = [("likelihood", ctypes.c_float), ("face", _Rect), ("left_eye", _Rect), ("right_eye", _Rect),
                ("nose", _Rect), ("mouth", _Rect), ("chin", _Rect)]


_M = ctypes.POINTER(_Matrix)


def _library_path() -> Optional[str]:
    spec = importlib.util.find_spec("animeface")
    if spec is None or not spec.origin:
        return None
    site = os.path.dirname(os.path.dirname(spec.origin))
    # auditwheel (Linux) puts it beside the package, delocate (macOS) inside it
    here = os.path.dirname(spec.origin)
    found = [p for pattern in (os.path.join(site, "animeface.libs", "libnvxs*"), os.path.join(here, ".dylibs", "libnvxs*"),
                               os.path.join(here, "libnvxs*")) for p in sorted(glob.glob(pattern))]
    return found[0] if found else None


class AnimeFace:
    """One loaded library; calls are serialised (nvxs keeps scratch state of its own)."""

    def __init__(self, path: str):
        lib = ctypes.CDLL(path)
        lib.nv_matrix3d_alloc.restype, lib.nv_matrix3d_alloc.argtypes = _M, [ctypes.c_int] * 3
        lib.nv_matrix_free.argtypes = [ctypes.POINTER(_M)]
        lib.nv_matrix_zero.argtypes = [_M]
        lib.nv_gray.argtypes = [_M, _M]
        lib.nv_gaussian5x5.argtypes = [_M, ctypes.c_int, _M, ctypes.c_int]
        lib.nv_laplacian1.argtypes = [_M, _M, ctypes.c_float]
        lib.nv_integral.argtypes = [_M, _M, ctypes.c_int]
        lib.nv_face_detect.restype = ctypes.c_int
        lib.nv_face_detect.argtypes = [ctypes.POINTER(_Face), ctypes.c_int, _M, _M, ctypes.POINTER(_Rect),
                                       ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p), ctypes.c_int,
                                       ctypes.c_void_p, ctypes.c_float, ctypes.c_float, ctypes.c_float]
        table = {n: ctypes.addressof(ctypes.c_char.in_dll(lib, f"nv_face_mlp_{n}"))
                 for n in ("dir", "face_00", "face_01", "face_02", "parts")}
        self._lib, self._table = lib, table
        self._bagging = (ctypes.c_void_p * 3)(table["face_01"], table["face_02"], None)
        self._lock = threading.Lock()

    def _alloc(self, n: int, rows: int, cols: int):
        m = self._lib.nv_matrix3d_alloc(n, rows, cols)
        if not m:
            raise MemoryError("animeface: nv_matrix3d_alloc failed")
        self._lib.nv_matrix_zero(m)
        return m

    def faces(self, bgr: np.ndarray) -> List[Box]:
        """Face boxes (frame pixels), scored by the detector's likelihood."""
        import cv2

        if bgr.ndim == 2 or bgr.shape[2] == 1:
            bgr = cv2.cvtColor(bgr, cv2.COLOR_GRAY2BGR)
        h, w = bgr.shape[:2]
        scale = WORK_HEIGHT / h
        work = cv2.resize(bgr, (max(1, round(w * scale)), WORK_HEIGHT),
                          interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        wh, ww = work.shape[:2]
        with self._lock:
            return [b.scaled(1 / scale, 1 / scale) for b in self._detect(work, ww, wh)]

    def _detect(self, bgr: np.ndarray, w: int, h: int) -> List[Box]:
        lib = self._lib
        mats = [self._alloc(3, h, w), self._alloc(1, h, w), self._alloc(1, h, w), self._alloc(1, h, w),
                self._alloc(1, h + 1, w + 1), self._alloc(1, h + 1, w + 1)]
        colour, grey, smooth, edge, grey_sum, edge_sum = mats
        try:
            step = colour.contents.step
            data = np.zeros((h * w, step), np.float32)
            data[:, :3] = bgr.reshape(-1, 3)          # nvxs stores channels B, G, R like OpenCV
            ctypes.memmove(colour.contents.v, data.ctypes.data, data.nbytes)
            lib.nv_gray(grey, colour)
            lib.nv_gaussian5x5(smooth, 0, grey, 0)
            lib.nv_laplacian1(edge, smooth, 4.0)
            lib.nv_integral(grey_sum, grey, 0)
            lib.nv_integral(edge_sum, edge, 0)
            size, out = _Rect(0, 0, w, h), (_Face * MAX_FACES)()
            t = self._table
            n = lib.nv_face_detect(out, MAX_FACES, grey_sum, edge_sum, ctypes.byref(size), t["dir"], t["face_00"],
                                   self._bagging, 2, t["parts"], STEP, SCALE_FACTOR, MIN_WINDOW)
            return [Box("face", (float(f.face.x), float(f.face.y), float(f.face.x + f.face.width),
                                 float(f.face.y + f.face.height)), float(f.likelihood)) for f in out[:n]]
        finally:
            for m in mats:
                lib.nv_matrix_free(ctypes.byref(m))


_lock = threading.Lock()
_loaded: dict = {}


def load_animeface() -> Optional[AnimeFace]:
    """The face finder, or None when the ``animeface`` package (or its library) is not installed."""
    with _lock:
        if "finder" not in _loaded:
            path = _library_path()
            try:
                _loaded["finder"] = AnimeFace(path) if path else None
            except (OSError, AttributeError, ValueError):     # a library build without these symbols
                _loaded["finder"] = None
        return _loaded["finder"]
