"""Every container, codec and oddity the extractor promises, and every way a file can be bad."""


import cv2
import numpy as np
import pytest

from anim2lora.errors import BadInputError
from anim2lora.extract.run import extract
from videos import demo_pictures, encode

CODECS = [
    ("h264.mp4", "libx264", "yuv420p", {"preset": "ultrafast"}),
    ("h265.mkv", "libx265", "yuv420p", {"preset": "ultrafast", "x265-params": "log-level=error"}),
    ("h265-10bit.mkv", "libx265", "yuv420p10le", {"preset": "ultrafast", "x265-params": "log-level=error"}),
    ("vp9.webm", "libvpx-vp9", "yuv420p", {"deadline": "realtime", "cpu-used": "8"}),
    ("av1.mkv", "libsvtav1", "yuv420p", {"preset": "12"}),
    ("mjpeg.avi", "mjpeg", "yuvj420p", {"q:v": "3"}),
    ("prores.mov", "prores_ks", "yuv422p10le", {}),
    ("anim.gif", "gif", "rgb8", {}),
]


@pytest.fixture(scope="module")
def pictures():
    return demo_pictures(140)   # shots 1-3 with the cut and the dissolve


@pytest.mark.parametrize("name, codec, pix_fmt, options", CODECS, ids=[c[0] for c in CODECS])
def test_containers_and_codecs(tmp_path, pictures, name, codec, pix_fmt, options):
    if codec == "gif":   # a GIF holds palette colours: quantise first, as GIF makers do
        pictures = [_rgb332(p) for p in pictures]
    video = encode(tmp_path / name, pictures, codec, pix_fmt, options=options)
    res = extract(video, tmp_path / "cache")
    src = res.frames.source
    assert (src["width"], src["height"], src["decoded_frames"]) == (320, 180, 140)
    assert res.summary["shots"][:2] == [[0, 47], [48, 83]], name
    if codec != "gif":   # a 256-colour dissolve steps instead of blending (a known miss)
        assert set(res.summary["dropped"]["dissolve"]) == set(range(84, 96)), name
    first = res.frames.kept[0]
    img = cv2.cvtColor(cv2.imread(str(res.frames.image_path(first))), cv2.COLOR_BGR2RGB)
    assert cv2.PSNR(img, pictures[first["index"]]) > 28, name


def _rgb332(rgb):
    levels = np.array([7, 7, 3], np.float32)
    return (np.round(rgb.astype(np.float32) / 255 * levels) / levels * 255).round().astype(np.uint8)


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotation_metadata_is_honoured(tmp_path, pictures, rotation):
    # what a phone records: the sensor's picture plus "turn it this way for display"
    # (display matrix: counter-clockwise degrees; the frames we keep must come out upright)
    stored = [np.ascontiguousarray(np.rot90(p, k=-rotation // 90)) for p in pictures[:60]]
    video = encode(tmp_path / f"rot{rotation}.mp4", stored, rotation=rotation)
    res = extract(video, tmp_path / "cache")
    upright_h, upright_w = pictures[0].shape[:2]
    assert (res.frames.source["width"], res.frames.source["height"]) == (upright_w, upright_h)
    row = res.frames.kept[0]
    img = cv2.cvtColor(cv2.imread(str(res.frames.image_path(row))), cv2.COLOR_BGR2RGB)
    assert img.shape[:2] == (upright_h, upright_w)
    assert cv2.PSNR(img, pictures[row["index"]]) > 28


def test_variable_frame_rate_timestamps(tmp_path, pictures):
    pts = [0, 40, 80, 100, 300, 310, 320, 1000, 1033, 1066] + [1100 + 41 * k for k in range(50)]
    video = encode(tmp_path / "vfr.mkv", pictures[:60], pts_ms=pts, options={"preset": "ultrafast"})
    res = extract(video, tmp_path / "cache", )
    for row in res.frames.rows:
        assert row["time"] == pytest.approx(pts[row["index"]] / 1000, abs=0.002)


def test_target_fps_follows_timestamps_not_frame_counts(tmp_path, pictures):
    from anim2lora.extract.settings import ExtractSettings

    pts = [k * 100 for k in range(20)] + [2000 + k * 20 for k in range(40)]   # 10 fps, then 50 fps
    video = encode(tmp_path / "vfr2.mkv", pictures[:60], pts_ms=pts, options={"preset": "ultrafast"})
    res = extract(video, tmp_path / "cache", ExtractSettings(sampling="target_fps", target_fps=2.0))
    assert [r["time"] for r in res.frames.rows] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]


# -- bad input --------------------------------------------------------------------------------


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    with pytest.raises(BadInputError, match=r"empty\.mp4: the file is empty"):
        extract(path, tmp_path / "cache")


def test_not_a_video(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("these are my notes, not a video\n" * 100)
    with pytest.raises(BadInputError, match=r"notes\.mp4: not a readable video"):
        extract(path, tmp_path / "cache")


def test_missing_file(tmp_path):
    with pytest.raises(BadInputError, match=r"nope\.mp4: no such file"):
        extract(tmp_path / "nope.mp4", tmp_path / "cache")


def test_truncated_mp4_without_index(tmp_path, pictures):
    video = encode(tmp_path / "full.mp4", pictures[:60])
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(video.read_bytes()[: video.stat().st_size // 2])
    with pytest.raises(BadInputError, match=r"cut\.mp4: not a readable video"):
        extract(cut, tmp_path / "cache")
    assert not (tmp_path / "cache").exists(), "nothing is written for a file that cannot be opened"


def test_truncated_mkv_keeps_what_decodes(tmp_path, pictures):
    video = encode(tmp_path / "full.mkv", pictures, options={"preset": "ultrafast", "g": "24"})
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(video.read_bytes()[: int(video.stat().st_size * 0.6)])
    res = extract(cut, tmp_path / "cache")
    assert 40 < res.frames.source["decoded_frames"] < 140
    assert res.summary["kept"]


def test_damage_mid_stream_is_reported_and_the_rest_kept(tmp_path, pictures):
    video = encode(tmp_path / "src.mkv", pictures, options={"preset": "ultrafast", "g": "12"})
    data = bytearray(video.read_bytes())
    start = int(len(data) * 0.4)
    data[start:start + 3000] = np.random.default_rng(0).integers(0, 256, 3000, dtype=np.uint8).tobytes()
    bad = tmp_path / "damaged.mkv"
    bad.write_bytes(bytes(data))
    res = extract(bad, tmp_path / "cache")
    kept = res.summary["kept"]
    assert min(kept) < 40 and max(kept) > 100, "frames on both sides of the damage survive"
    assert res.summary["damage"], "the stream errors are reported with their time"
    runs = res.summary["damaged"]
    assert runs, "the smeared frames after the damage are found"
    for run in runs:
        smeared = set(range(run["first"], run["last"] + 1))
        assert not smeared & set(kept)
        assert run["last"] - run["first"] < 12, "smearing ends at the next key frame (g=12)"
    from anim2lora.extract.report import text_report

    report = text_report(res.frames)
    assert f"DAMAGED frames {runs[0]['first']}-{runs[0]['last']}" in report and "DAMAGED stream at" in report


def test_no_partial_set_is_left_after_a_failure(tmp_path, pictures, monkeypatch):
    from anim2lora.extract import writer

    video = encode(tmp_path / "ok.mp4", pictures[:60])

    def boom(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(writer, "encode_png", boom)
    with pytest.raises(OSError, match="disk full"):
        extract(video, tmp_path / "cache")
    leftovers = [p for p in (tmp_path / "cache" / "frames").iterdir()]
    assert leftovers == []
    assert not (tmp_path / "cache" / "sets").exists()


def test_a_still_shot_keeps_its_drawing_past_the_cut_margin(tmp_path, pictures):
    # shot 1 walks, then a single drawing held for two seconds (a still), then shot 1 again
    still = pictures[60]                       # a frame of B on pink
    clip = pictures[:24] + [still] * 48 + pictures[24:48]
    video = encode(tmp_path / "still.mp4", clip)
    res = extract(video, tmp_path / "cache")
    assert res.summary["shots"] == [[0, 23], [24, 71], [72, 95]]
    still_rows = [r for r in res.frames.kept if r["shot"] == 1]
    assert len(still_rows) == 1 and 24 + 2 <= still_rows[0]["index"] <= 71


def test_a_long_hold_under_every_nth_keeps_one_picture(tmp_path, pictures):
    from anim2lora.extract.settings import ExtractSettings

    video = encode(tmp_path / "hold.mp4", [pictures[60]] * 240)
    res = extract(video, tmp_path / "cache", ExtractSettings(sampling="every_nth", every_nth=12))
    assert [r["index"] for r in res.frames.rows] == list(range(0, 240, 12))
    assert len(res.frames.kept) == 1
    assert res.summary["dropped"]["held"] == list(range(12, 240, 12)), "repeats of one picture hold no frame"


@pytest.mark.parametrize("settings", [{}, {"sampling": "every_nth", "every_nth": 1},
                                      {"sampling": "every_nth", "every_nth": 2},
                                      {"sampling": "target_fps", "target_fps": 6.0}],
                         ids=["unique", "nth1", "nth2", "fps6"])
def test_every_mode_keeps_one_frame_of_a_still_shot_and_rows_stay_in_order(tmp_path, pictures, settings):
    from anim2lora.extract.settings import ExtractSettings

    clip = pictures[:24] + [pictures[60]] * 48 + pictures[24:48]
    res = extract(encode(tmp_path / "still.mp4", clip), tmp_path / "cache", ExtractSettings(**settings))
    indices = [r["index"] for r in res.frames.rows]
    assert indices == sorted(set(indices)), "one row per frame, in source order"
    assert not set(res.summary["kept"]) & set(res.summary["dropped"].get("held", []))
    still = [r["index"] for r in res.frames.kept if 24 <= r["index"] <= 71]
    assert len(still) == 1 and still[0] >= 24 + 2


def test_a_replacement_frame_is_not_taken_from_the_next_cuts_margin(tmp_path, pictures):
    from anim2lora.extract.settings import ExtractSettings

    # a 7-frame still between two cuts: with a 4-frame margin no frame of it is clear of both
    clip = pictures[:24] + [pictures[60]] * 7 + pictures[24:48]
    res = extract(encode(tmp_path / "short.mp4", clip), tmp_path / "cache", ExtractSettings(cut_margin=4))
    assert [24, 30] in res.summary["shots"]
    assert not [i for i in res.summary["kept"] if 20 <= i <= 34]
