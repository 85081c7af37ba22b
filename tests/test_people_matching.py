"""Identity on real framings: heads compared with heads (a close-up against a full-figure still),
mirror- and scale-invariant, one decision per character per shot, and references on any
background."""

import numpy as np
import pytest

from anim2lora.demo.characters import PALETTES, layer
from anim2lora.people.detectors import InkDetector
from anim2lora.people.identity import FeatureEmbedder
from anim2lora.people.matching import HEAD_PAD, Matcher, Reference, Seen, character_crop, reference_crops
from anim2lora.people.settings import CountSettings
from anim2lora.people.tracks import by_shot, pooled, tracks

H = W = 360


def figure(name, x=0.5, scale=1.0, flip=False, fill=True, backdrop=(255, 255, 255)):
    """One demo character on ``backdrop`` (BGR)."""
    on_black, on_white = layer(name, (H, W), x, 0.6, float(H), scale=scale, flip=flip,
                               fill=PALETTES[name] if fill else None)
    through = (on_white.astype(np.float32) - on_black) / 255
    rgb = np.array(backdrop[::-1], np.float32) * through + on_black
    return np.ascontiguousarray(rgb.clip(0, 255).astype(np.uint8)[..., ::-1])


def head_box(bgr, backdrop=(255, 255, 255)):
    """The topmost fifth of the drawn figure: its head."""
    ys, xs = np.nonzero(np.abs(bgr.astype(int) - backdrop).max(axis=2) > 40)
    top, bottom = ys.min(), ys.max()
    cut = top + 0.22 * (bottom - top)
    sel = ys <= cut
    return (float(xs[sel].min()), float(top), float(xs[sel].max() + 1), float(cut))


def test_heads_are_compared_with_heads_mirrored_and_at_any_scale():
    emb = FeatureEmbedder()
    refs = []
    for name in ("A", "B"):
        still = figure(name)
        refs.append(Reference(name, [character_crop(still, (0, 0, W, H))],
                              [character_crop(still, head_box(still), HEAD_PAD)]))
    matcher = Matcher(refs, emb)
    for name in ("A", "B"):
        # a close-up: the head scaled up, mirrored, on a dark wall, cut by the bottom edge
        big = figure(name, scale=2.2, flip=True, backdrop=(40, 30, 35))
        hb = head_box(big, (40, 30, 35))
        seen = [Seen((0.0, hb[1], float(W), float(H)), hb)]
        d = matcher.per_name(big, seen)[0]
        assert d[["A", "B"].index(name)] < d[1 - ["A", "B"].index(name)], (name, d)


def test_a_character_without_a_head_is_compared_with_whole_stills():
    emb = FeatureEmbedder()
    refs = [Reference(n, [character_crop(figure(n), (0, 0, W, H))]) for n in ("A", "B")]
    matcher = Matcher(refs, emb)
    d = matcher.per_name(figure("B"), [Seen((0.0, 0.0, float(W), float(H)))])[0]
    assert d[1] < d[0]


def test_references_on_a_dark_background_are_found_or_refused_by_name():
    dark = figure("A", backdrop=(30, 25, 40))
    refs = reference_crops({"A": [dark]}, InkDetector(), CountSettings())
    assert len(refs[0].crops) == 1
    from anim2lora.errors import BadInputError
    with pytest.raises(BadInputError, match="reference 'B'.*still 1: no character found"):
        reference_crops({"B": [np.full((H, W, 3), 30, np.uint8)]}, InkDetector(), CountSettings())


def test_tracks_follow_a_head_through_a_shot_and_pool_its_distances():
    left, right = (100.0, 50.0, 160.0, 110.0), (400.0, 60.0, 460.0, 120.0)
    moved = (110.0, 52.0, 170.0, 112.0)
    places = [[left, right], [moved, right], [right]]          # the left one walks off in frame 3
    ts = sorted(tracks(places))
    assert ts == [[(0, 0), (1, 0)], [(0, 1), (1, 1), (2, 0)]]
    # frame 1's left character looked like B once (a blink): the track's other frame outvotes it
    d = [np.array([[0.2, 0.5], [0.6, 0.1]]), np.array([[0.45, 0.3], [0.6, 0.1]]), np.array([[0.5, 0.2]])]
    p = pooled(d, places)
    assert p[1][0].argmin() == 0 and np.allclose(p[0][0], [0.325, 0.4])
    assert np.allclose(p[2][0], [0.5666667, 0.1333333])


def test_runs_of_one_shot_are_split_at_every_cut():
    rows = [{"shot": 0}, {"shot": 0}, {"shot": 1}, {}, {"shot": 1}]
    assert list(by_shot(rows).values()) == [[0, 1], [2], [3], [4]]


def test_two_characters_in_one_frame_are_two_people_when_named():
    from anim2lora.names import UNKNOWN
    from anim2lora.people.groups import assign

    names = ["A", "B"]
    # both nearest to A: the surer call (A far ahead of B) takes A, the other is named B
    both = assign(np.array([[0.10, 0.30], [0.20, 0.24]], np.float32), names, 0.38, 0.02)
    assert [w for w, _ in both] == ["A", "B"]
    # a stranger beside A: far from B, and no close call between A and B for either: no pair
    stranger = assign(np.array([[0.10, 0.30], [0.20, 0.60]], np.float32), names, 0.38, 0.02)
    assert sorted(w for w, _ in stranger) == ["A", UNKNOWN]
    # one character alone keeps the margin rule: a tie is unknown
    assert assign(np.array([[0.20, 0.21]], np.float32), names, 0.38, 0.02)[0][0] == UNKNOWN
