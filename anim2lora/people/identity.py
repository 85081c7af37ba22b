"""Who a character is: an embedding per crop, compared with the user's reference stills.

Two embedders behind one interface.  ``features`` needs no model: the outline's shape (HOG of the
crop, and of its mirror image, so facing left or right does not matter) and, for coloured
animation, the colours of the fills (hue-saturation histogram of the pixels that are neither
background nor ink).  It tells apart characters whose silhouettes or colours differ; it fails on
look-alikes, on references much closer or farther than the frames (a face close-up against
full-body stills), and on back views.  ``ccip`` is deepghs' CCIP (a model trained on anime
character identity) on ONNX Runtime: the feature model, the metrics model that turns features
into differences, and the threshold its authors tuned (``metrics.json``).
"""

import json
import os
import threading
from pathlib import Path
from typing import Dict, Optional, Sequence

import numpy as np

from ..errors import BadInputError, MissingModelError
from ..hub import fetch
from ..image.masks import background_colours, dark_ink, unlike
from ..runtime import Loaded, onnx_session, resolve_device

EMBEDDER_NAMES = ("auto", "features", "ccip")
FEATURES_VERSION = "features-8"
CCIP_MODEL = "ccip-caformer-24-randaug-pruned"
CCIP_REPO, CCIP_REVISION = "deepghs/ccip_onnx", "bd55d218b9930a404760378f2627181c1ca48cbb"
CCIP_FILES = ("model_feat.onnx", "model_metrics.onnx", "metrics.json")
MODELS_FOLDER = "ccip"            # under ComfyUI's models/: ccip/<model>/<file>
_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], np.float32)   # CLIP's, as CCIP was trained
_STD = np.array([0.26862954, 0.26130258, 0.27577711], np.float32)


class Embedder:
    name = ""
    threshold = 0.5          # distances at or below it mean "the same character"
    device = "cpu"

    def identity(self) -> Dict[str, str]:
        raise NotImplementedError

    def embed(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """One vector per BGR crop."""
        raise NotImplementedError

    def distance(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """[len(a), len(b)] distances, 0 = same, 1 = unrelated."""
        raise NotImplementedError

    def embed_heads(self, crops: Sequence[np.ndarray], raised: Optional[Sequence[np.ndarray]] = None) -> np.ndarray:
        """One vector per head crop (hair and face, the background at its corners).  ``raised``:
        where given, each head's crop reaching higher above it (RAISE), in case its box stopped
        at the hairline; an embedder may use it or not."""
        return self.embed(crops)

    def head_distance(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return self.distance(a, b)

    def body_tells(self, vec: np.ndarray) -> bool:
        """Whether a whole figure's body vector (``embed``) says who it is across backgrounds."""
        return True


# -- the offline embedder ------------------------------------------------------------------
HOG_SIZE = (64, 128)          # width, height: a standing figure's shape
HEAD_SIZE = (64, 64)          # the top of the figure: head and hair, which poses change least
HEAD_SHARE = 0.35             # of the crop's height taken as the head region
HEAD_WEIGHT = 0.6
HUE_BINS, SAT_BINS = 18, 4
COLOUR_MIN_SHARE = 0.05       # fewer fill pixels than this share: line art, shape alone decides
COLOUR_WEIGHT = 0.5
# head-to-head distances run higher than whole figures' (a head is mostly hair and eyes, which a
# turn of the head changes): on the development set's tune half, with the heads where its truth
# puts them, the right character lay at 0.16-0.49 and the other at 0.61-0.73, so 0.55 is where
# a head match ends; head distances are scaled so that one threshold serves both
HEAD_MATCH = 0.55
HAIR_SHARE = 0.5              # of a head crop's height, from its top: the hair, whose colour is compared
# A head's box is found from its outline, and how much of the head it holds varies: a close-up's box
# may stop at the hairline (the face below read as the body) or take in the shoulders (long hair
# running down to them), a reference still's as much as a frame's.  The hair, which is what tells
# line-art characters apart (every face has the same eyes, nose and mouth strokes), sits at the top
# of every such box, so two heads are compared whole and also each whole against the other's top:
# the HEAD_TOP share of its squared crop's side, from its top, centred (the upper half, where the
# hair is).  Not top against top, which leaves only a hairline to compare (mixed in, it brought the
# stranger's nearest head within A's own spread).  On the development set's tune half, a close-up of
# B lay 0.26 from B's stills (nearer A's, 0.23) and 0.16 from the top of the still whose box had
# taken in B's shoulders; A's heads came nearer B (0.25 to 0.22 at the nearest, 0.29 to 0.27 on
# average), and the stranger's nearest head stayed where it was (0.17 from A, 0.21 from B); 0.4 left
# that close-up nearer A, 0.7 put one of A's heads nearer B.
HEAD_TOP = 0.5
# A scene's light tints every colour of a character by about one factor per channel (a warm key,
# a night grade), which moves the hair's hue across the histogram's bins: a blond stranger under
# a warm night light had the brown-haired A's hue.  Real animation keeps a character's palette
# fixed under such grading, so the hair is compared relative to the face beside it: every
# colour of the head crop is divided, channel by channel, by the white of its face (von Kries):
# the FACE_WHITE percentile of each channel over FACE_BOX (left, right, top, bottom shares of
# the crop), the middle of the crop below the hair, where the skin and the eyes' whites are.
# A global tint then cancels, and the hair's colour against the skin still tells brown hair
# from blond.  A percentile, not the largest value: a rim light's or a highlight's few brighter
# pixels are not the face's paint (the 80th let eyes and hair in, the 95th a rim).  On the
# development set's tune half, with the heads where its truth puts them, the own hair's colour
# distance went from 0.39 (mean; worst 0.79) to 0.34 (0.52), the stranger's nearest from 0.35
# to 0.88 and the other character's from 0.74 to 0.84.
FACE_BOX = (0.25, 0.75, 0.5, 0.9)
FACE_WHITE = 90
# the hair is taken inside the head crop's ellipse of this squared radius (1: touching the crop's
# sides): the crop's padding and a detector's loose box put background beside the hair (sky
# between spikes of hair), and a scene's colours there are no part of the character.  With the
# face's white, 0.6 instead of 0.8 brought the own hair's colour distance (as above) from 0.34
# to 0.27 (worst 0.52 to 0.38), the stranger's nearest to 0.96 and the other character's to 0.90
HAIR_RADIUS = 0.6
# A head's box is found from its outline or its eyes, and on a dark or painted background the
# outline above the eyes is often lost in the scene: the box then runs from the eyes to the chin
# and the hair, which is what tells characters apart in colour, lies above it (the box's top
# half then holds eyes and skin, which tell little).  Every head found in a frame is also
# measured as if its box reached RAISE of its height higher, and its hair is compared both ways,
# the nearer kept: above a box that holds the whole head lies the scene, which is no
# character's hair (RAISED_OWN keeps its colours out).  A reference still's head is a cut-out
# the user chose and is measured as boxed; two frames' raised views are never compared with each
# other (both would hold the same scene).  On the development set's tune and check halves, with
# the heads where their truth puts them, the heads whose box stopped at the hairline came from
# 0.39-0.86 to 0.22-0.42 of their own character's colours, the other character's stayed at 0.62
# or farther; with the heads where counting found them, no stranger's or extra's nearest head
# came nearer than before (0.38, the threshold, at the nearest).
RAISE = 0.5
# Above a box that holds the whole head lies the scene, and a wall or a sky there can have a main
# character's hair colour.  Hair that runs on above a box cut at the hairline also reaches into
# the box (the fringe over the brow, the locks beside the cheeks), so the raised view keeps only
# the colours (hue-saturation bins) that make up at least this share of the fills inside the
# box's own ellipse: the scene's other colours are left out of it.
RAISED_OWN = 0.03
SCENERY_RUN = 0.1             # straight ink runs this long (share of the crop) from its side are scenery


def hog(grey: np.ndarray, cell: int = 8, bins: int = 9) -> np.ndarray:
    """Histogram of oriented gradients (Dalal-Triggs, unsigned, 2x2-cell blocks, L2-Hys).
    Hand-written: OpenCV 5 moved its HOGDescriptor out of the main package."""
    import cv2

    g = grey.astype(np.float32)
    gx, gy = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=1), cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=1)
    mag, ang = cv2.cartToPolar(gx, gy, angleInDegrees=True)
    b = (np.mod(ang, 180.0) / (180.0 / bins)).astype(np.int32) % bins
    ch, cw = g.shape[0] // cell, g.shape[1] // cell
    cells = np.zeros((ch, cw, bins), np.float32)
    rows, cols = np.indices((ch * cell, cw * cell))
    np.add.at(cells, (rows // cell, cols // cell, b[:ch * cell, :cw * cell]), mag[:ch * cell, :cw * cell])
    blocks = np.concatenate([cells[:-1, :-1], cells[1:, :-1], cells[:-1, 1:], cells[1:, 1:]], axis=2)
    blocks /= np.linalg.norm(blocks, axis=2, keepdims=True) + 1e-6
    blocks = np.minimum(blocks, 0.2)
    blocks /= np.linalg.norm(blocks, axis=2, keepdims=True) + 1e-6
    return blocks.ravel()


def _pad_to_aspect(bgr: np.ndarray, aspect: float, fill) -> np.ndarray:
    """Pad (never stretch) to width/height = ``aspect`` so thin and wide poses keep their shape."""
    import cv2

    h, w = bgr.shape[:2]
    if w / h < aspect:
        extra = int(round(h * aspect)) - w
        return cv2.copyMakeBorder(bgr, 0, 0, extra // 2, extra - extra // 2, cv2.BORDER_CONSTANT, value=fill)
    extra = int(round(w / aspect)) - h
    return cv2.copyMakeBorder(bgr, extra // 2, extra - extra // 2, 0, 0, cv2.BORDER_CONSTANT, value=fill)


class FeatureEmbedder(Embedder):
    name = "features"
    threshold = 0.38

    def __init__(self):
        self.body_len = len(hog(np.zeros(HOG_SIZE[::-1], np.uint8)))
        self.head_len = len(hog(np.zeros(HEAD_SIZE[::-1], np.uint8)))
        self.colour_at = 2 * (self.body_len + self.head_len)   # body, head, each straight and mirrored
        self.head_colour_at = 4 * self.head_len                # head, its top, each straight and mirrored

    def identity(self):
        return {"embedder": "features", "version": FEATURES_VERSION}

    def _one(self, bgr: np.ndarray) -> np.ndarray:
        import cv2

        ink, paint = _drawing(bgr)
        top = _tight(ink[:max(1, int(HEAD_SHARE * ink.shape[0]))])
        parts = []
        for part, size in ((ink, HOG_SIZE), (top, HEAD_SIZE)):
            fitted = cv2.resize(_pad_to_aspect(part, size[0] / size[1], 0), size, interpolation=cv2.INTER_AREA)
            fitted = cv2.GaussianBlur(fitted, (5, 5), 0)     # a line drawn 2 px off still matches
            parts += [_unit(hog(fitted)), _unit(hog(np.ascontiguousarray(fitted[:, ::-1])))]
        return np.concatenate([*parts, _fill_colours(bgr, paint)]).astype(np.float32)

    def embed(self, crops):
        width = self.colour_at + HUE_BINS * SAT_BINS
        return np.stack([self._one(c) for c in crops]) if len(crops) else np.zeros((0, width), np.float32)

    def distance(self, a, b):
        def mirrored(start, n):    # best of straight and mirror-image: facing left or right
            straight = a[:, start:start + n] @ b[:, start:start + n].T
            flipped = a[:, start:start + n] @ b[:, start + n:start + 2 * n].T
            return 1.0 - np.maximum(straight, flipped)

        body = mirrored(0, self.body_len)
        head = mirrored(2 * self.body_len, self.head_len)
        shape = HEAD_WEIGHT * head + (1 - HEAD_WEIGHT) * body
        return _with_colour(shape, a[:, self.colour_at:], b[:, self.colour_at:])


    # A head crop is mostly hair, skin and outline: its border says nothing about the paper, so
    # its shape is the gradients of its grey picture (unsigned: a dark or a light background
    # around the hair gives the same edges) and its colour the fills in the top of the head's
    # ellipse, the hair: skin is much the same on every character, and a stranger in the same
    # uniform differs by the hair (on the development set's tune half, the whole ellipse's
    # colours named the blond stranger after the brown-haired A); the hair's colours are taken
    # against the face's white, which a scene's light tints alike (FACE_BOX)
    def _head(self, bgr: np.ndarray) -> np.ndarray:
        import cv2

        side = max(bgr.shape[:2])
        square = cv2.copyMakeBorder(bgr, (side - bgr.shape[0]) // 2, (side - bgr.shape[0] + 1) // 2,
                                    (side - bgr.shape[1]) // 2, (side - bgr.shape[1] + 1) // 2, cv2.BORDER_REPLICATE)
        grey = cv2.cvtColor(square, cv2.COLOR_BGR2GRAY)
        top = max(1, int(round(HEAD_TOP * side)))
        return np.concatenate([_head_shape(grey), _head_shape(grey[:top, (side - top) // 2:(side - top) // 2 + top]),
                               _head_hair(bgr)]).astype(np.float32)

    def embed_heads(self, crops, raised=None):
        width = self.head_colour_at + 2 * HUE_BINS * SAT_BINS      # the hair as boxed, and raised (RAISE)
        if not len(crops):
            return np.zeros((0, width), np.float32)
        above = [_raised_hair(c, r) for c, r in zip(crops, raised)] if raised is not None else [np.zeros(HUE_BINS * SAT_BINS)] * len(crops)
        return np.stack([np.concatenate([self._head(c), a]) for c, a in zip(crops, above)]).astype(np.float32)

    # In colour the body vector does not carry across scenes: its shape is the dark-line mask's,
    # and a dark fill (a navy uniform) is a solid blob on a light still but only its lines on a
    # dark or lit background, while the fills' colours move with the scene's light.  On the
    # development set's tune half the right character's whole figure lay 0.55-0.76 from its own
    # full still and two figures merged into one box 0.64, so the body tells little there (the
    # matcher then lets a very near head name a whole figure: matching.HEAD_ALONE).
    # Line art has no fills and its outline is the same drawing on any background.
    def body_tells(self, vec):
        return not vec[self.colour_at:].any()

    def head_distance(self, a, b):
        n, at = self.head_len, self.head_colour_at

        def mirrored(i, j):        # part i of a against part j of b (0: whole, 1: top), either facing
            mine = a[:, i * 2 * n:i * 2 * n + n]
            return 1.0 - np.maximum(mine @ b[:, j * 2 * n:j * 2 * n + n].T, mine @ b[:, j * 2 * n + n:(j + 1) * 2 * n].T)

        shape = np.minimum(mirrored(0, 0), np.minimum(mirrored(0, 1), mirrored(1, 0)))     # HEAD_TOP
        n_col = HUE_BINS * SAT_BINS
        boxed = [a[:, at:at + n_col], b[:, at:at + n_col]]
        raised = [a[:, at + n_col:], b[:, at + n_col:]]
        mixed = _nearest_colour(shape, [(boxed[0], boxed[1]), (raised[0], boxed[1]), (boxed[0], raised[1])])
        return np.minimum(1.0, mixed * (self.threshold / HEAD_MATCH))


def _nearest_colour(shape: np.ndarray, pairs) -> np.ndarray:
    """``_with_colour`` for the nearest of several (a, b) colour views (RAISE); a pair where one
    side has no fills is left out, and where no pair has them on both sides, shape alone."""
    best = None
    for ca, cb in pairs:
        both = (ca.sum(axis=1)[:, None] > 0) & (cb.sum(axis=1)[None, :] > 0)
        mixed = np.where(both, _with_colour(shape, ca, cb), np.inf)
        best = mixed if best is None else np.minimum(best, mixed)
    return np.where(np.isfinite(best), best, shape)


def _with_colour(shape: np.ndarray, ca: np.ndarray, cb: np.ndarray) -> np.ndarray:
    """Shape distances mixed with the fill colours' Hellinger distance where both sides have fills."""
    both = (ca.sum(axis=1)[:, None] > 0) & (cb.sum(axis=1)[None, :] > 0)
    colour = np.sqrt(np.clip(1.0 - ca @ cb.T, 0.0, 1.0))     # the histograms hold square roots already
    return np.where(both, (1 - COLOUR_WEIGHT) * shape + COLOUR_WEIGHT * colour, shape)


def _drawing(bgr: np.ndarray):
    """(ink, paint) of a crop: the dark lines the character is drawn with (uint8 mask), without
    straight scenery lines running in from the crop's sides (a horizon, a floor line), and the
    coloured pixels inside its outline (bool), without the background showing between its legs
    or arms."""
    import cv2

    colours = background_colours(bgr)
    ink = dark_ink(bgr, colours)
    scenery = np.zeros_like(ink)
    h, w = ink.shape
    for kernel, along in (((max(3, int(SCENERY_RUN * w)), 1), 0), ((1, max(3, int(SCENERY_RUN * h))), 1)):
        runs = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, kernel))
        n, labels, stats, _ = cv2.connectedComponentsWithStats(runs)
        for k in range(1, n):
            start, size = stats[k][along], stats[k][along + 2]
            if start == 0 or start + size == (w, h)[along]:
                scenery[labels == k] = 255
    scenery = cv2.dilate(scenery, np.ones((3, 3), np.uint8))     # and the line's soft edge
    ink[scenery > 0] = 0
    painted = unlike(bgr, colours)
    drawn = ((painted & (scenery == 0)) * 255).astype(np.uint8) | ink
    drawn = cv2.morphologyEx(drawn, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    drawn = cv2.morphologyEx(drawn, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7)))
    contours, _ = cv2.findContours(drawn, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    body = np.zeros_like(ink)
    cv2.drawContours(body, contours, -1, 255, cv2.FILLED)
    return ink, (body > 0) & painted & (ink == 0) & (scenery == 0)


def _head_shape(grey: np.ndarray) -> np.ndarray:
    """HOG of a head's grey picture at HEAD_SIZE, and of its mirror image."""
    import cv2

    fitted = cv2.GaussianBlur(cv2.resize(grey, HEAD_SIZE, interpolation=cv2.INTER_AREA), (3, 3), 0)
    return np.concatenate([_unit(hog(fitted)), _unit(hog(np.ascontiguousarray(fitted[:, ::-1])))])


def _tight(mask: np.ndarray) -> np.ndarray:
    """The mask cut to its ink: arms spread wide below must not move the head off-centre."""
    cols, rows = np.flatnonzero(mask.any(axis=0)), np.flatnonzero(mask.any(axis=1))
    if not len(cols):
        return mask
    return mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def _unit(v: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(v)
    return v / norm if norm > 0 else v


def _head_hair(bgr: np.ndarray) -> np.ndarray:
    """``_hair_colours`` of a head crop's hair: the top of its inner ellipse (HAIR_RADIUS, HAIR_SHARE)."""
    h, w = bgr.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    inner = ((xx + 0.5 - w / 2) / (w / 2)) ** 2 + ((yy + 0.5 - h / 2) / (h / 2)) ** 2 <= HAIR_RADIUS
    return _hair_colours(bgr, inner & (yy < HAIR_SHARE * h))


def _raised_hair(crop: np.ndarray, above: np.ndarray) -> np.ndarray:
    """``_head_hair`` of a head's raised crop (RAISE), only the colours that its own box's
    ellipse holds too (RAISED_OWN); zeros where none is left."""
    hist = _head_hair(above)
    if not hist.any():
        return hist
    h, w = crop.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    inner = ((xx + 0.5 - w / 2) / (w / 2)) ** 2 + ((yy + 0.5 - h / 2) / (h / 2)) ** 2 <= HAIR_RADIUS
    kept = hist * (_hair_colours(crop, inner) ** 2 >= RAISED_OWN)      # the histograms hold square roots
    return np.sqrt(kept ** 2 / (kept ** 2).sum()).astype(np.float32) if kept.any() else np.zeros_like(hist)


def raised(head) -> tuple:
    """A head's box reaching RAISE of its height higher: where its hair is if the box stopped at
    the hairline (clipped to the frame by the crop that cuts it out)."""
    x0, y0, x1, y1 = head
    return (x0, y0 - RAISE * (y1 - y0), x1, y1)


def _hair_colours(bgr: np.ndarray, hair: np.ndarray) -> np.ndarray:
    """``_fill_colours`` of a head crop's ``hair`` pixels, relative to the white of its face
    (FACE_BOX).  Where that leaves no colour (the box held hair only, whose own white makes it
    grey) the crop's colours as drawn: a coloured head never falls back to shape alone."""
    h, w = hair.shape
    x0, x1, y0, y1 = (min(int(np.ceil(share * side)), side - 1) for share, side in zip(FACE_BOX, (w, w, h, h)))
    face = bgr[y0:max(y0 + 1, y1), x0:max(x0 + 1, x1)]
    white = np.maximum(np.percentile(face.reshape(-1, 3).astype(np.float32), FACE_WHITE, axis=0), 1.0)
    balanced = np.clip(bgr.astype(np.float32) * (255.0 / white), 0, 255).astype(np.uint8)
    colours = _fill_colours(balanced, hair)
    return colours if colours.any() else _fill_colours(bgr, hair)


def _fill_colours(bgr: np.ndarray, paint: np.ndarray) -> np.ndarray:
    """Square roots of the hue-saturation histogram of the character's paint (``paint``: the
    pixels inside its outline that are not ink); zeros for line art."""
    import cv2

    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV).reshape(-1, 3)
    fill = paint.reshape(-1) & (hsv[:, 2] > 60) & (hsv[:, 1] > 40)
    if not fill.any() or fill.sum() < COLOUR_MIN_SHARE * paint.sum():
        return np.zeros(HUE_BINS * SAT_BINS, np.float32)
    hist, _, _ = np.histogram2d(hsv[fill, 0], hsv[fill, 1], bins=(HUE_BINS, SAT_BINS), range=((0, 180), (0, 256)))
    return np.sqrt(hist.ravel() / hist.sum()).astype(np.float32)


# -- CCIP ----------------------------------------------------------------------------------
class CcipEmbedder(Embedder):
    name = "ccip"
    SIZE = 384

    def __init__(self, folder: Path, device: str):
        self.folder = folder
        self.feat, self.device = onnx_session(folder / "model_feat.onnx", device, "ccip embedder")
        self.metrics, _ = onnx_session(folder / "model_metrics.onnx", device, "ccip metrics")
        try:
            self.threshold = float(json.loads((folder / "metrics.json").read_text())["threshold"])
        except (OSError, ValueError, KeyError) as e:
            raise MissingModelError(f"ccip embedder: {folder / 'metrics.json'} has no threshold ({e}).",
                                    hint="Download it again with the model files.") from None
        self._lock = threading.Lock()

    def identity(self):
        return {"embedder": "ccip", **{f: str((self.folder / f).stat().st_size) for f in CCIP_FILES}}

    def _input(self, bgr: np.ndarray) -> np.ndarray:
        import cv2

        # imgutils stretches the crop with PIL's bilinear filter, which averages every source pixel
        # along an axis it shrinks (cv2's linear samples two and drops thin lines) and
        # interpolates along one it enlarges: area and linear, one axis at a time
        h, w = bgr.shape[:2]
        along_x, along_y = (cv2.INTER_AREA if side > self.SIZE else cv2.INTER_LINEAR for side in (w, h))
        wide = cv2.resize(bgr.astype(np.float32), (self.SIZE, h), interpolation=along_x)
        rgb = cv2.cvtColor(cv2.resize(wide, (self.SIZE, self.SIZE), interpolation=along_y), cv2.COLOR_BGR2RGB)
        return ((rgb / 255.0 - _MEAN) / _STD).transpose(2, 0, 1)

    def embed(self, crops):
        if not len(crops):
            return np.zeros((0, 768), np.float32)
        data = np.stack([self._input(c) for c in crops]).astype(np.float32)
        name = self.feat.get_inputs()[0].name
        with self._lock:
            return np.asarray(self.feat.run(None, {name: data})[0], np.float32)

    def distance(self, a, b):
        if not len(a) or not len(b):
            return np.zeros((len(a), len(b)), np.float32)
        name = self.metrics.get_inputs()[0].name
        with self._lock:
            full = np.asarray(self.metrics.run(None, {name: np.concatenate([a, b]).astype(np.float32)})[0])
        return full[:len(a), len(a):]


def ccip_folder(models_dir: Optional[os.PathLike], allow_download: bool) -> Optional[Path]:
    if models_dir is None:
        return None
    folder = Path(models_dir) / CCIP_MODEL
    missing = [f for f in CCIP_FILES if not (folder / f).is_file()]
    if missing and allow_download:
        for name in missing:
            fetch(CCIP_REPO, f"{CCIP_MODEL}/{name}", CCIP_REVISION, folder / name, owner="ccip embedder")
        missing = []
    return None if missing else folder


_loaded = Loaded()


def load_embedder(name: str, *, device: str = "cpu", models_dir: Optional[os.PathLike] = None,
                  allow_download: bool = False) -> Embedder:
    """``auto``: CCIP when its files are in ``models_dir``, else the offline features."""
    if name not in EMBEDDER_NAMES:
        raise BadInputError(f"embedder: '{name}' is not one of {', '.join(EMBEDDER_NAMES)}.")
    folder = None if name == "features" else ccip_folder(models_dir, allow_download)
    if folder is None:
        if name == "ccip":
            where = Path(models_dir or Path("models") / MODELS_FOLDER) / CCIP_MODEL
            raise MissingModelError(f"embedder 'ccip': {', '.join(CCIP_FILES)} are not all in {where}.",
                                    hint=f"Download them from {CCIP_REPO} ({CCIP_MODEL}/), turn on "
                                         "allow_download, or use embedder 'features'.")
        return FeatureEmbedder()
    # a file replaced (downloaded again, another version) loads anew
    key = (resolve_device(device), str(folder), tuple((folder / f).stat().st_mtime_ns for f in CCIP_FILES))
    return _loaded.get(key, lambda: CcipEmbedder(folder, key[0]))
