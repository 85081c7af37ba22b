"""Ink and background masks of a drawn picture, as the stages find them alike: the flat colours
around its border (its background), what differs from them (bodies, fills), and its dark lines.
The offline person detector, GroupSplit's embedder, LineArtPrep's measures, the offline tagger
and the verdict all read a drawing through these, so a number means the same in each report."""

import numpy as np

BG_TOLERANCE = 40          # colour distance (max over channels) still counted as background
LINE_SPAN = 0.3            # straight runs longer than this share of the frame are scenery lines;
UPRIGHT_SPAN = 0.6         # upright ones this long (a standing body's outline runs half its height)
BROKEN_PIECE = 0.1         # a scenery line a figure stands in front of is cut in pieces at least this long
LINE_WIDTH = 0.01          # when thinner than this share of the height (half-width): wider runs are paint
INK_DARK, INK_LUMA = 80, 0.55  # ink: luma under 80 and under 55 % of the background's
LINE_CONTRAST = 40         # an outline is this much darker (luma) than both its sides,
# or, on a night set (the frame's border at most NIGHT luma: a fifth of full), LINE_RATIO darker
# than them: there every tone is pressed into the bottom few dozen levels, a navy coat's fill
# and its ink line a dozen apart, and the eye sees a line by its contrast relative to its
# surround.  At least LINE_FLOOR levels, above a dark frame's compression noise (a few levels).
# A lit frame keeps the absolute step: its dark fills' shading and a painted set's texture
# would pass a relative one
NIGHT, LINE_RATIO, LINE_FLOOR = 50, 0.3, 8
# Light falls off smoothly (a lamp's glow, a window's bloom, a sky's gradient, a vignette): from
# one pixel to the next its colour changes by a few levels, while a drawn figure's edge is a step
# (its ink line, the fill against the background, a rim light's sharp band).  Pixels joined to
# the background at the frame's border by steps no larger than this (largest channel spread in a
# 3x3 neighbourhood, 8-bit, at the working height) are lit background however bright they are.
# Video compression's noise in a dark scene stays under it; a fill's edge, even antialiased over
# two pixels, rises far above it.
SOFT_STEP = 10


def background_colours(small: np.ndarray, edges: int = 1) -> np.ndarray:
    """The flat colours that cover the frame's border: sky and floor, paper, a painted wall.
    ``edges``: on how many of the four edges a colour must show (a twentieth of the edge) to
    count; 2 keeps out a close-up's hair or coat, which reaches one edge (the bottom) only."""
    sides = [small[0], small[-1], small[:, 0], small[:, -1]]
    border = np.concatenate(sides).astype(np.int32)
    keys, counts = np.unique(border // 16, axis=0, return_counts=True)
    common = keys[counts >= 0.1 * len(border)]
    if edges > 1:
        common = [k for k in common
                  if sum((s.astype(np.int32) // 16 == k).all(axis=1).mean() >= 0.05 for s in sides) >= edges]
    colours = [np.median(border[(border // 16 == k).all(axis=1)], axis=0) for k in common]
    return np.array(colours or [np.median(border, axis=0)], np.int32)


def dark_ink(bgr: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """The dark lines a drawing is made of (uint8 mask): dark in themselves, not only against the
    background colours ``colours``, so that a red dress on a bright wall stays paint."""
    import cv2

    luma = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    paper = min(0.299 * c[2] + 0.587 * c[1] + 0.114 * c[0] for c in colours)
    return ((luma < min(INK_DARK, INK_LUMA * paper)) * 255).astype(np.uint8)


def lines_in_the_dark(bgr: np.ndarray) -> np.ndarray:
    """Outlines dark against what is around them (uint8 mask): on a dark or lit background the
    darkest colour on the frame's border is no paper to measure ink against, but a character's
    outline is still much darker than its own fills beside it."""
    import cv2

    luma = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    k = max(3, (bgr.shape[0] // 40) | 1)
    around = cv2.dilate(luma, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    return ((luma < INK_DARK) & (luma.astype(np.int16) < INK_LUMA * around.astype(np.int16))).astype(np.uint8) * 255


def unlike(bgr: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """Pixels unlike every one of the background ``colours`` (bool)."""
    import cv2

    if bgr.dtype == np.uint8 and bgr.ndim == 3 and bgr.shape[2] == 3 and all(0 <= c <= 255 for c in np.ravel(colours)):
        # the same distances in 8 bits (exact: the colours are 8-bit values): every frame comes
        # through here, and its 32-bit copy cost more than the rest of the ink detector's masks
        out, pix = np.ones(bgr.shape[:2], bool), np.ascontiguousarray(bgr)
        for colour in colours:
            out &= _channel_max(cv2.absdiff(pix, tuple(float(c) for c in colour) + (0.0,))) > BG_TOLERANCE
        return out
    pix = bgr.astype(np.int32)
    out = np.ones(bgr.shape[:2], bool)
    for colour in colours:
        out &= np.abs(pix - colour).max(axis=2) > BG_TOLERANCE
    return out


def foreground(small: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """Pixels unlike every background colour in ``colours``, without thin straight scenery lines."""
    return without_scenery_lines(unlike(small, colours).astype(np.uint8) * 255)


def soft_light(small: np.ndarray, fg: np.ndarray) -> np.ndarray:
    """Pixels of ``small`` (BGR) reached from the border's background (border pixels outside the
    foreground ``fg``) through smooth steps only (SOFT_STEP), as a bool mask: the background with
    its glows and gradients, which ``unlike`` the border's colours would take for a figure's paint.
    A figure is closed off by its edges and stays out of it."""
    import cv2

    kernel = np.ones((3, 3), np.uint8)
    # a dilation is never below the erosion: the 8-bit difference is exact
    spread = cv2.subtract(cv2.dilate(small, kernel), cv2.erode(small, kernel))
    smooth = (_channel_max(spread) <= SOFT_STEP).astype(np.uint8)
    count, labels = cv2.connectedComponents(smooth, connectivity=4)
    border = np.zeros(smooth.shape, bool)
    border[[0, -1]] = border[:, [0, -1]] = True
    seeds = np.zeros(count, bool)
    seeds[labels[border & (fg == 0)]] = True
    seeds[0] = False
    return seeds[labels]


def _channel_max(img: np.ndarray) -> np.ndarray:
    """The largest channel value per pixel of an 8-bit picture (numpy's max over the channel
    axis of a small integer type is many times slower than OpenCV's)."""
    import cv2

    if img.ndim == 2:
        return img
    planes = cv2.split(img)
    out = planes[0]
    for plane in planes[1:]:
        out = cv2.max(out, plane)
    return out


def outlines(small: np.ndarray) -> np.ndarray:
    """Thin dark lines, darker than what lies on both sides of them and dark in themselves (uint8
    mask), without long straight scenery lines: the outlines a cel character is inked with.  A painted, gradient or
    dark background has soft edges and steps between tones, not lines, so on such a background
    these find the characters where no flat background colour sets them apart."""
    import cv2

    h = small.shape[0]
    t = max(2, round(LINE_WIDTH * h))
    luma = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
    # the tones on both sides of a thin line: the closing fills the line in with them
    sides = cv2.morphologyEx(luma, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * t - 1, 2 * t - 1)))
    dark = cv2.subtract(sides, luma)
    line = dark > LINE_CONTRAST
    if night(luma):
        line |= (dark >= LINE_FLOOR) & (dark > LINE_RATIO * sides)
    return without_scenery_lines((line & (luma < INK_DARK)).astype(np.uint8) * 255)


def night(picture: np.ndarray) -> bool:
    """Whether ``picture`` (BGR or luma) is a night set: its border's median luma at most NIGHT."""
    import cv2

    luma = cv2.cvtColor(picture, cv2.COLOR_BGR2GRAY) if picture.ndim == 3 else picture
    return bool(np.median(np.concatenate([luma[0], luma[-1], luma[:, 0], luma[:, -1]])) <= NIGHT)


def without_scenery_lines(mask: np.ndarray) -> np.ndarray:
    """``mask`` (uint8) without its thin straight runs longer than a body: scenery lines, also
    where a figure in front cuts one in pieces (see without_broken_lines)."""
    import cv2

    # a wall's top line that a head cuts in two leaves one piece long enough for a scenery line
    # and one shorter piece in line with it: measured apart, the short piece would stay and join
    # the head's outline to the wall's corner (the head no longer stands out); counted together,
    # before either goes, both go
    mask = without_broken_lines(mask)
    h, w = mask.shape[:2]
    # only thin runs can be scenery lines: a painted body is as tall as one, but solid
    t = max(2, round(LINE_WIDTH * h))
    thin = cv2.subtract(mask, cv2.morphologyEx(mask, cv2.MORPH_OPEN,
                                               cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * t + 1, 2 * t + 1))))
    lines = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(1, int(w * LINE_SPAN)), 1)))
    lines |= cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(1, int(h * UPRIGHT_SPAN)))))
    lines &= thin
    # a character standing on the floor line keeps its feet: only the line's own pixels go
    return cv2.subtract(mask, cv2.dilate(lines, np.ones((3, 3), np.uint8)))


def without_broken_lines(mask: np.ndarray) -> np.ndarray:
    """``mask`` (uint8) without thin level runs whose pieces along one row add up to a scenery
    line: a wall's or a window's edge that a character stands in front of is cut where the figure
    hides it, each piece shorter than a scenery line, yet still joins the figure's outline to the
    room's (its head no longer stands above the wall line as a bump).  A figure's own outline
    has no level runs that long in line with each other."""
    import cv2

    h, w = mask.shape[:2]
    t = max(2, round(LINE_WIDTH * h))
    thin = cv2.subtract(mask, cv2.morphologyEx(mask, cv2.MORPH_OPEN,
                                               cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * t + 1, 2 * t + 1))))
    pieces = cv2.morphologyEx(mask, cv2.MORPH_OPEN,
                              cv2.getStructuringElement(cv2.MORPH_RECT, (max(1, int(w * BROKEN_PIECE)), 1))) & thin
    lines = pieces * ((pieces > 0).sum(axis=1, keepdims=True) >= LINE_SPAN * w)
    return cv2.subtract(mask, cv2.dilate(lines.astype(np.uint8), np.ones((3, 3), np.uint8)))
