"""TextFrameFilter on real OCR (RapidOCR's shipped models): the demo clip's subtitles, the three
actions, cached re-runs, cancel, empty sets and missing backends."""

import json
import subprocess
import sys

import numpy as np
import pytest

from anim2lora.errors import CancelledError
from anim2lora.progress import Progress
from anim2lora.text.backends import MissingBackendError, TextBox, load_backend
from anim2lora.text.rules import Rules, judge
from anim2lora.text.run import text_filter
from anim2lora.text.search import changed_rects
from anim2lora.text.settings import TextSettings
from framesets import frameset_of

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


@pytest.fixture(scope="session")
def demo_text(demo_extract):
    return text_filter(demo_extract.frames)


def _truth_text(demo_truth, indices):
    return {i for i in indices if demo_truth[i]["subtitle"]}


def test_demo_subtitles_are_found_and_nothing_else(demo_text, demo_truth, demo_extract):
    s = demo_text.summary
    seen = [r["index"] for r in demo_extract.frames.kept]
    assert sorted(s["kept"] + s["dropped"]["text"]) == seen
    assert set(s["dropped"]["text"]) == _truth_text(demo_truth, seen)
    assert len(s["dropped"]["text"]) >= 25
    words = {t for f in demo_text.frames for t in (x["text"] for x in f.text)}
    assert {"Where are you going?", "Together again"} <= words
    rejected = demo_text.rejected
    assert [r["index"] for r in rejected.kept] == sorted(s["dropped"]["text"])
    assert all(r["text"] and r["text_action"] == "drop" for r in rejected.kept)


def test_fast_search_matches_reading_every_full_frame(demo_text, demo_extract):
    full = text_filter(demo_extract.frames, TextSettings(fast=False))
    assert full.summary["dropped"] == demo_text.summary["dropped"]
    looked = [f.looked for f in demo_text.frames if f.how != "cache"]
    assert looked and np.mean(looked) < 0.6, "within a shot only the changed areas are looked at"


def test_changing_a_rule_rejudges_cached_reads(demo_text, demo_extract):
    strict = text_filter(demo_extract.frames, TextSettings(min_score=0.999))
    assert strict.ocr_frames == 0
    assert len(strict.summary["dropped"]["text"]) < len(demo_text.summary["dropped"]["text"])


def test_report_counts_what_was_ignored_as_drawing(demo_text):
    from anim2lora.text.report import rejected_sheet, text_report

    report = text_report(demo_text)
    assert "boxes as drawing" in report and "#54 dropped" in report
    sheet = rejected_sheet(demo_text.rejected)
    red = (sheet[:, :, 0] > 200) & (sheet[:, :, 1] < 60) & (sheet[:, :, 2] < 60)
    assert red.sum() > 100, "text boxes are drawn on the preview"


def _picture(text_y: float = 0.9, figure_bottom: float = 0.7, size=(360, 640)):
    """A white frame with a drawn figure and an outlined subtitle line."""
    import cv2
    from PIL import Image, ImageDraw, ImageFont

    h, w = size
    img = np.full((h, w, 3), 255, np.uint8)
    cv2.circle(img, (w // 2, int(h * 0.3)), int(h * 0.15), (0, 0, 0), 3)
    cv2.line(img, (w // 2, int(h * 0.45)), (w // 2, int(h * figure_bottom)), (0, 0, 0), 3)
    pil = Image.fromarray(img)
    ImageDraw.Draw(pil).text((w / 2, h * text_y), "Where are you going?", font=ImageFont.truetype(DEJAVU, h // 14),
                             fill=(255, 255, 255), stroke_width=2, stroke_fill=(0, 0, 0), anchor="mm")
    return np.asarray(pil)


def _reads(rgb):
    """What the filter would call text in ``rgb``."""
    import cv2

    boxes = load_backend("rapidocr").read(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return [j.box.text for j in judge(boxes, rgb.shape[0], Rules()) if not j.reason]


def test_crop_cuts_a_clean_band_and_drops_when_the_drawing_reaches_it(tmp_path):
    import cv2

    frames = frameset_of(tmp_path, [(_picture(), None), (_picture(figure_bottom=0.97), None)])
    result = text_filter(frames, TextSettings(action="crop"))
    s = result.summary
    assert s["cropped"] == [0] and s["dropped"]["text"] == [1] and s["kept"] == [0]
    row = result.kept.kept[0]
    assert "drawing reaches" in s["frames"]["1"]["why"]
    cropped = cv2.imread(str(result.kept.image_path(row)))
    assert cropped.shape[1] == 640 and 250 < cropped.shape[0] < 330
    assert _reads(cv2.cvtColor(cropped, cv2.COLOR_BGR2RGB)) == []
    assert row["source_file"] == frames.kept[0]["file"], "the original stays for the parent set"


def test_mask_paints_the_text_out_and_leaves_the_rest(tmp_path):
    import cv2

    original = _picture(figure_bottom=0.97)
    frames = frameset_of(tmp_path, [(original, None)])
    result = text_filter(frames, TextSettings(action="mask"))
    assert result.summary["masked"] == [0] and result.summary["kept"] == [0]
    masked = cv2.cvtColor(cv2.imread(str(result.kept.image_path(result.kept.kept[0]))), cv2.COLOR_BGR2RGB)
    assert _reads(masked) == []
    assert np.array_equal(masked[: int(360 * 0.8)], original[: int(360 * 0.8)]), "only the text area changes"


def test_grid_of_lookalike_boxes_is_drawing_and_a_lone_line_is_text():
    def box(x, y, w, h, text, score=0.99):
        return TextBox(((x, y), (x + w, y), (x + w, y + h), (x, y + h)), text, score)

    windows = [box(100 + 60 * k, 200, 40, 30, "AB") for k in range(4)]
    subtitle = box(200, 950, 800, 50, "Where are you going?")
    reasons = [j.reason for j in judge(windows + [subtitle], 1080, Rules())]
    assert reasons == ["grid"] * 4 + [""]
    checks = [box(0, 0, 300, 40, "口口口"), box(0, 500, 300, 40, "8888"), box(0, 100, 300, 40, "Hi", 0.3),
              box(0, 300, 300, 4, "tiny"), box(0, 300, 300, 500, "huge"), box(0, 700, 300, 40, "A")]
    assert [j.reason for j in judge(checks, 1080, Rules())] == [
        "boxlike_glyphs", "boxlike_glyphs", "low_score", "too_small", "too_large", "too_short"]


def test_a_one_pixel_stroke_counts_as_a_change():
    grey = np.full((360, 640), 255, np.uint8)
    other = grey.copy()
    other[200, 300:310] = 0
    rects = changed_rects(other, grey, pad=8)
    assert len(rects) == 1 and rects[0][0] <= 300 and rects[0][2] >= 310 and rects[0][1] <= 200 <= rects[0][3]
    assert changed_rects(grey, grey, pad=8) == []


def test_cancel_keeps_finished_reads_and_a_rerun_resumes(tmp_path):
    frames = frameset_of(tmp_path, [(_picture(text_y=0.1 + 0.2 * k), None) for k in range(4)])

    class CancelAfterTwo(Progress):
        def report(self, done, total):
            if done >= 2:
                self.cancel_event.set()

    progress = CancelAfterTwo(interval=0)
    with pytest.raises(CancelledError):
        text_filter(frames, progress=progress)
    again = text_filter(frames)
    assert again.ocr_frames == 2 and len(again.summary["dropped"]["text"]) == 4


def test_empty_sets_are_reported_not_raised(tmp_path):
    from anim2lora.text.report import text_report

    empty = frameset_of(tmp_path, [])
    result = text_filter(empty)
    assert result.summary["kept"] == [] and "no frames" in text_report(result)
    all_text = text_filter(frameset_of(tmp_path, [(_picture(), None)]))
    assert all_text.summary["kept"] == [] and "nothing is left" in text_report(all_text)


def test_missing_backend_names_the_install_line(monkeypatch):
    import anim2lora.text.backends as backends

    monkeypatch.setitem(sys.modules, "rapidocr", None)      # as if it were not installed
    monkeypatch.setattr(backends, "_loaded", {})
    with pytest.raises(MissingBackendError) as err:
        load_backend("rapidocr")
    assert 'pip install "rapidocr' in str(err.value)
    with pytest.raises(Exception, match="backend: 'tesseract'"):
        load_backend("tesseract")


def test_cli_json_lists_source_indices(demo_extract, demo_text, tmp_path):
    out = subprocess.run([sys.executable, "-m", "anim2lora", "text", str(demo_extract.frames.path),
                          "--out", str(tmp_path), "--json"], capture_output=True, text=True, check=True)
    s = json.loads(out.stdout)
    assert s["dropped"]["text"] == demo_text.summary["dropped"]["text"]
    assert s["kept"] == demo_text.summary["kept"] and s["cropped"] == [] and s["masked"] == []
    assert (tmp_path / "text_rejected.png").is_file() and (tmp_path / "text_report.txt").is_file()
    bad = subprocess.run([sys.executable, "-m", "anim2lora", "text", str(tmp_path / "nope.json"), "--out",
                          str(tmp_path)], capture_output=True, text=True)
    assert bad.returncode == 2 and "nope.json" in bad.stderr


def test_a_subtitle_fading_in_slowly_is_still_looked_at(tmp_path):
    """Each step of the fade is below the change threshold; the steps add up."""
    import cv2
    from PIL import Image, ImageDraw, ImageFont

    h, w = 720, 1280
    pictures = []
    for k in range(12):
        img = np.full((h, w, 3), (235, 206, 135), np.uint8)
        cv2.rectangle(img, (0, 400), (w, h), (60, 140, 60), -1)
        cv2.circle(img, (200 + 40 * k, 250), 80, (0, 0, 0), 3)             # a figure moving
        fill = tuple(int(round(g + (255 - g) * k / 11)) for g in (60, 140, 60))
        pil = Image.fromarray(img)
        ImageDraw.Draw(pil).text((w / 2, h * 0.88), "Where are you going?", font=ImageFont.truetype(DEJAVU, 48),
                                 fill=fill, anchor="mm")
        pictures.append((np.asarray(pil), {"shot": 0}))
    frames = frameset_of(tmp_path, pictures)
    fast = text_filter(frames)
    full = text_filter(frames, TextSettings(fast=False))
    assert 11 in fast.summary["dropped"]["text"], [f.how for f in fast.frames]
    assert set(full.summary["dropped"]["text"]) - set(fast.summary["dropped"]["text"]) <= {1, 2}


@pytest.mark.parametrize("text", ["No...", "I see", "はい……", "ええ…", "Hmm...", "OK!!!"])
def test_short_speech_is_text(text):
    box = TextBox(((0, 900), (400, 900), (400, 960), (0, 960)), text, 0.95)
    assert [j.reason for j in judge([box], 1080, Rules())] == [""]


def test_missing_onnxruntime_names_the_install_line(monkeypatch):
    import anim2lora.text.backends as backends

    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    monkeypatch.setattr(backends, "_loaded", {})
    with pytest.raises(MissingBackendError, match="pip install onnxruntime"):
        load_backend("rapidocr")


@pytest.mark.parametrize("device", ["cuda:x", "", "CUDA 0"])
def test_malformed_devices_are_refused_by_name(device):
    with pytest.raises(Exception, match="device"):
        load_backend("rapidocr", device=device)


def test_a_host_device_no_backend_runs_on_falls_back_to_the_cpu():
    assert load_backend("rapidocr", device="xpu:0").device == "cpu"


def test_text_differing_only_in_hue_is_found(tmp_path):
    """Yellow on a sky of nearly the same brightness, beside a drawn figure."""
    import cv2
    from PIL import Image, ImageDraw, ImageFont

    img = np.full((720, 1280, 3), (200, 220, 255), np.uint8)
    cv2.circle(img, (640, 200), 120, (0, 0, 0), 4)
    pil = Image.fromarray(img)
    ImageDraw.Draw(pil).text((640, 640), "Where are you going?", font=ImageFont.truetype(DEJAVU, 48),
                             fill=(255, 255, 0), anchor="mm")
    frames = frameset_of(tmp_path, [(np.asarray(pil), None)])
    assert text_filter(frames).summary["dropped"]["text"] == [0]
