"""LineArtPrep: drawn pictures with known strokes (thin and thick lines over fills and coloured
backgrounds) come out as the same strokes on pure white; kohya's bucket sizes; a learned
extractor from a tiny ONNX graph; the group folders, the captions that follow and the node."""

from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import onnx
from anim2lora.dataset.run import build_dataset
from anim2lora.demo.people_scenes import reference_stills, scene
from anim2lora.lineart.learned import OnnxLines, fed_size
from anim2lora.lineart.run import LineArtSettings, lineart_report, lineart_sheet, prep_lineart
from anim2lora.lineart.strokes import bucket, fit_bucket, ink_of, lines, stroke_width
from anim2lora.people.export import write_groups
from anim2lora.people.groups import group_split
from anim2lora.people.run import count_people
from framesets import frameset_of
from nodekit import widget_defaults


def drawing(bg=(203, 192, 255), fill=(60, 40, 200)) -> np.ndarray:
    """BGR 640 x 360: a pink wall, a red-filled box outlined 2 px, a 6 px bar, a 3 px circle."""
    import cv2

    img = np.full((360, 640, 3), bg, np.uint8)
    img[100:260, 80:240] = fill
    img[100:102, 80:240] = img[258:260, 80:240] = 20
    img[100:260, 80:82] = img[100:260, 238:240] = 20
    img[40:46, 300:600] = 20                                    # 6 px bar
    cv2.circle(img, (460, 200), 70, (20, 20, 20), 3)
    return img


def test_strokes_keep_their_width_and_everything_else_turns_white():
    img = drawing()
    out = lines(img)
    assert out.shape == img.shape[:2] and out.dtype == np.uint8
    assert (out[150:220, 110:210] == 255).all(), "the red fill is gone"
    assert (out[300:350, 20:600] == 255).all(), "the pink wall is gone"
    assert out[42, 450] < 40, "the bar stays black"
    assert out[101, 150] < 128, "the box's outline stays a stroke (paler: it is judged against the red beside it)"
    bar_before = stroke_width(ink_of(img)[30:60, 300:600])
    bar_after = stroke_width(out[30:60, 300:600])
    assert bar_before == pytest.approx(6, abs=0.5) and bar_after == pytest.approx(6, abs=0.5)
    outline = stroke_width(out[95:265, 70:250])
    assert outline == pytest.approx(2, abs=0.5), "a 2 px outline stays 2 px"
    assert stroke_width(np.full((10, 10), 255, np.uint8)) == 0.0


@pytest.mark.parametrize("width", [1, 2, 3, 5, 8])
def test_the_stroke_measure_is_within_half_a_pixel(width):
    grey = np.full((200, 400), 255, np.uint8)
    grey[50:50 + width, 20:380] = 0
    grey[90:190, 200:200 + width] = 0
    assert abs(stroke_width(grey) - width) <= 0.5


def test_buckets_follow_kohyas_rules():
    assert bucket(1920, 1080, 512) == (640, 384)        # FIELD_NOTES: 1920x1080 -> 640x384 at 512
    assert bucket(512, 512, 512) == (512, 512) and bucket(1080, 1920, 512) == (384, 640)
    w, h = bucket(1000, 300, 768)
    assert w % 64 == 0 and h % 64 == 0 and w * h <= 768 * 768 and 256 <= h
    fitted = fit_bucket(np.zeros((1080, 1920), np.uint8), (640, 384))
    assert fitted.shape == (384, 640)


def line_model(path: Path, gain: float = 1.0, shift: float = 0.0) -> Path:
    """[1, 3, H, W] -> [1, 1, H, W]: ``gain`` x the mean of the channels + ``shift``.  With the
    defaults, an Anime2Sketch stand-in: paper in is paper out in [-1, 1]."""
    nodes = [helper.make_node("ReduceMean", ["input"], ["mean"], axes=[1], keepdims=1),
             helper.make_node("Mul", ["mean", "gain"], ["scaled"]),
             helper.make_node("Add", ["scaled", "shift"], ["output"])]
    inits = [numpy_helper.from_array(np.array(v, np.float32), k) for k, v in (("gain", gain), ("shift", shift))]
    graph = helper.make_graph(nodes, "lines",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, "h", "w"])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, "h", "w"])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def paper_bar_and_grey(w: int = 300, h: int = 170) -> np.ndarray:
    """BGR: white paper, a black bar across rows 60-99, a mid-grey (128) block in the corner."""
    img = np.full((h, w, 3), 255, np.uint8)
    img[60:100] = 0
    img[120:, :100] = 128
    return img


class _Recording:
    """An ONNX session that keeps what it was fed."""

    def __init__(self, session):
        self.session, self.fed = session, []

    def run(self, names, feed):
        self.fed.append(next(iter(feed.values())))
        return self.session.run(names, feed)


def test_the_learned_extractor_is_fed_as_imgutils_feeds_anime2sketch(tmp_path):
    extract = OnnxLines(line_model(tmp_path / "lineart_anime.onnx"))
    extract.session = _Recording(extract.session)
    img = paper_bar_and_grey()
    grey = extract(img)
    (x,) = extract.session.fed
    assert x.shape == (1, 3, 256, 512), "each side up to a multiple of 256, stretched (imgutils' resize_image)"
    assert x.dtype == np.float32 and x.min() == -1.0 and x.max() == 1.0, "ink -1, paper 1"
    assert x[0, :, 200:, :100].mean() == pytest.approx(128 / 127.5 - 1, abs=0.01)
    assert grey.shape == img.shape[:2] and grey.dtype == np.uint8, "sized back to the picture"
    assert (grey[:50] == 255).all() and (grey[65:95] == 0).all()
    assert grey[130:, 10:90].mean() == pytest.approx(128, abs=1)
    assert fed_size(1920, 1080) == (1024, 768) and fed_size(100, 40) == (256, 256) and fed_size(512, 768) == (512, 768)


@pytest.mark.parametrize("gain, shift, paper, ink", [(1, 0, 255, 0), (0, 0, 128, 128), (-1, 0, 0, 255),
                                                     (0, -1, 0, 0)])
def test_the_answer_is_read_in_minus_one_to_one(tmp_path, gain, shift, paper, ink):
    """0 is the middle of [-1, 1] (mid-grey, not black as a 0-1 reading would make it); -1 is ink."""
    grey = OnnxLines(line_model(tmp_path / "m.onnx", gain, shift))(paper_bar_and_grey())
    assert grey[:50].mean() == pytest.approx(paper, abs=0.5) and grey[65:95].mean() == pytest.approx(ink, abs=0.5)


@pytest.fixture(scope="module")
def groups(tmp_path_factory):
    root = tmp_path_factory.mktemp("lineart")
    specs = [("solo_a", 0), ("solo_b", 0), ("both", 1)]
    frames = frameset_of(root / "cache", [(scene(kind, k, 640, 360, "colour")[0], None) for kind, k in specs])
    refs = {n: [s[..., ::-1].copy() for s in reference_stills(n, 2, style="colour")] for n in ("A", "B")}
    split = group_split(count_people(frames).kept, refs)
    assert split.summary["groups"] == {"A": [0], "B": [1], "A+B": [2]}
    return write_groups(split.groups, split.crops, root / "groups")


def test_groups_become_line_art_beside_the_raw_frames(groups, tmp_path):
    result = prep_lineart(groups, tmp_path / "lines")
    assert result.method == "classical" and set(result.groups.groups) == {"A", "B", "A+B"}
    for s in [*result.groups.groups.values(), *result.groups.crops.values()]:
        for row in s.kept:
            path = s.image_path(row)
            assert path.is_relative_to(tmp_path / "lines") and Path(row["lineart"]["source_file"]).is_file()
            import cv2

            grey = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
            assert grey.ndim == 2 and grey.shape[1] % 64 == 0 and grey.shape[0] % 64 == 0
            assert np.mean(grey >= 250) > 0.7, "mostly pure white (dark hair, a narrow dark fill, comes out grey)"
            if not row.get("crop_of"):        # above and below the characters, frames are paper only
                assert (grey[0] == 255).all() and (grey[-1] == 255).all()
            assert row["lineart"]["stroke_after"] <= row["lineart"]["stroke_before"] + 1.0
    report = lineart_report(result)
    assert "stroke width" in report and "WARNING" not in report
    assert lineart_sheet(result).shape[1] == 1024
    dataset = build_dataset(result.groups, tmp_path / "ds").dataset
    assert all("lineart" in c and "white background" in c for s in dataset.subsets for c in s.captions)
    assert '"pictures": "line art: classical"' in (tmp_path / "ds" / "dataset.json").read_text()


def test_a_learned_extractor_from_the_models_folder(groups, tmp_path):
    models = tmp_path / "lineart"
    line_model(models / "tiny.onnx")
    auto = prep_lineart(groups, tmp_path / "auto", LineArtSettings(resolution=0), models_dir=models)
    assert auto.method == "tiny.onnx"
    row = auto.groups.groups["A"].kept[0]
    assert row["lineart"]["method"] == "tiny.onnx" and (row["width"], row["height"]) == (640, 360)
    classical = prep_lineart(groups, tmp_path / "c", LineArtSettings(method="classical", resolution=0), models_dir=models)
    assert classical.method == "classical"
    with pytest.raises(Exception, match="missing.onnx"):
        prep_lineart(groups, tmp_path / "m", LineArtSettings(method="missing.onnx"), models_dir=models)


def test_the_node_writes_line_groups_under_the_output_folder(pack, host_dirs, groups):
    node = pack.NODE_CLASS_MAPPINGS["LineArtPrep"]
    out = node().prep(groups=groups, unique_id="4", **widget_defaults(node))
    line_groups, preview, report = out["result"]
    assert line_groups.folder.is_relative_to(host_dirs["output"]) and set(line_groups.groups) == {"A", "B", "A+B"}
    assert preview.shape[0] == 1 and preview.shape[2] == 1024 and report.startswith("LineArtPrep:")


def test_the_command_line_prints_groups_method_and_strokes(groups, tmp_path):
    import json
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "anim2lora", "lineart", str(groups.folder), "--out", str(tmp_path / "l"),
                          "--json", "--resolution", "0"], capture_output=True, text=True, check=True)
    s = json.loads(out.stdout)
    assert s["groups"] == {"A": [0], "B": [1], "A+B": [2]} and s["method"] == "classical"
    assert s["stroke_width"]["after"] <= s["stroke_width"]["before"] + 1.0
    assert (tmp_path / "l" / "groups.json").is_file() and (tmp_path / "l" / "lineart_preview.png").is_file()


def test_small_pictures_are_not_enlarged_and_the_output_never_overlaps_the_input(groups, tmp_path):
    from anim2lora.errors import BadInputError

    result = prep_lineart(groups, tmp_path / "lines")
    for s in result.groups.crops.values():
        for row in s.kept:
            la = row["lineart"]
            assert la["stroke_trained"] <= la["stroke_after"] * 1.3 + 1.0, la     # no 2.5-4x thicker lines
    assert "at the training size" in lineart_report(result)
    with pytest.raises(BadInputError, match="overlaps its input"):
        prep_lineart(groups, groups.folder)
    assert (groups.folder / "groups.json").is_file(), "the input is untouched"
    with pytest.raises(BadInputError, match="256"):
        LineArtSettings(resolution=128)
