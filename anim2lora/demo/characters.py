"""Two line-art characters that no detector could confuse, drawn with OpenCV strokes.

A: round head, spiky hair, short, shorts.   B: oval head, long hair with a bow, tall, long dress.
Positions and sizes are in units of the picture height, so any resolution draws the same scene.
"""

import math

import numpy as np

INK = (20, 20, 20)


def _pt(x, y, u):
    return int(round(x * u)), int(round(y * u))


def _limb(img, start, angle, length, u, width):
    import cv2

    end = (start[0] + math.sin(angle) * length, start[1] + math.cos(angle) * length)
    cv2.line(img, _pt(*start, u), _pt(*end, u), INK, width, cv2.LINE_AA)


def draw_a(img: np.ndarray, x: float, phase: float, u: float) -> None:
    """Character A standing at ``x`` (height units), walk cycle ``phase`` in radians."""
    import cv2

    w = max(1, round(u * 0.009))
    head = (x, 0.36)
    cv2.circle(img, _pt(*head, u), round(0.085 * u), INK, w, cv2.LINE_AA)
    spikes = [(head[0] - 0.085 + 0.034 * i, 0.30 - (0.06 if i % 2 else 0.0)) for i in range(6)]
    cv2.polylines(img, [np.array([_pt(*p, u) for p in spikes], np.int32)], False, INK, w, cv2.LINE_AA)
    for dx in (-0.03, 0.03):
        cv2.circle(img, _pt(head[0] + dx, 0.35, u), max(1, round(0.008 * u)), INK, -1, cv2.LINE_AA)
    cv2.ellipse(img, _pt(head[0], 0.385, u), (round(0.025 * u), round(0.012 * u)), 0, 10, 170, INK, w, cv2.LINE_AA)
    torso = np.array([_pt(x - 0.05, 0.46, u), _pt(x + 0.05, 0.46, u), _pt(x + 0.06, 0.64, u), _pt(x - 0.06, 0.64, u)])
    cv2.polylines(img, [torso.astype(np.int32)], True, INK, w, cv2.LINE_AA)
    swing = 0.5 * math.sin(phase)
    _limb(img, (x - 0.05, 0.48), -0.4 + swing, 0.15, u, w)
    _limb(img, (x + 0.05, 0.48), 0.4 - swing, 0.15, u, w)
    _limb(img, (x - 0.03, 0.64), swing, 0.2, u, w)
    _limb(img, (x + 0.03, 0.64), -swing, 0.2, u, w)


def draw_b(img: np.ndarray, x: float, phase: float, u: float) -> None:
    """Character B: taller, oval face, long hair and a bow, a long dress."""
    import cv2

    w = max(1, round(u * 0.009))
    cv2.ellipse(img, _pt(x, 0.27, u), (round(0.065 * u), round(0.09 * u)), 0, 0, 360, INK, w, cv2.LINE_AA)
    for side in (-1, 1):
        hair = [(x + side * 0.07, 0.22), (x + side * 0.1, 0.32), (x + side * 0.11, 0.45)]
        cv2.polylines(img, [np.array([_pt(*p, u) for p in hair], np.int32)], False, INK, w, cv2.LINE_AA)
        bow = np.array([_pt(x + side * 0.005, 0.17, u), _pt(x + side * 0.06, 0.14, u), _pt(x + side * 0.06, 0.2, u)])
        cv2.polylines(img, [bow.astype(np.int32)], True, INK, w, cv2.LINE_AA)
        cv2.line(img, _pt(x + side * 0.025, 0.26, u), _pt(x + side * 0.04, 0.27, u), INK, w, cv2.LINE_AA)
    dress = np.array([_pt(x - 0.04, 0.38, u), _pt(x + 0.04, 0.38, u), _pt(x + 0.13, 0.8, u), _pt(x - 0.13, 0.8, u)])
    cv2.polylines(img, [dress.astype(np.int32)], True, INK, w, cv2.LINE_AA)
    swing = 0.35 * math.sin(phase)
    _limb(img, (x - 0.04, 0.42), -0.5 + swing, 0.17, u, w)
    _limb(img, (x + 0.04, 0.42), 0.5 - swing, 0.17, u, w)
    _limb(img, (x - 0.04, 0.8), swing * 0.5, 0.12, u, w)
    _limb(img, (x + 0.04, 0.8), -swing * 0.5, 0.12, u, w)


DRAW = {"A": draw_a, "B": draw_b}
