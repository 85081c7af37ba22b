"""The ONNX paths of PersonCountFilter and GroupSplit on real, tiny ONNX graphs built here with
onnx.helper: a YOLOv8-layout detector whose anchors are known, a CCIP-like embedder pair, the
loaders that find them in a models folder, and the opt-in download (a stand-in for
huggingface_hub that hands back real files)."""

import dataclasses
import hashlib
import json
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from anim2lora.errors import MissingModelError
from anim2lora.people import detectors, identity
from anim2lora.people.boxes import Box
from anim2lora.people.detectors import KNOWN, InkDetector, OnnxDetector, load_detector, model_files
from anim2lora.people.identity import CCIP_FILES, CCIP_MODEL, CCIP_REPO, CCIP_REVISION, CcipEmbedder, \
    FeatureEmbedder, load_embedder
from anim2lora.people.yolo import SCORE_FLOOR, YoloModel, decode
from anim2lora.runtime import ORT_INSTALL, onnx_session
from framesets import frameset_of
from onnx import TensorProto, helper, numpy_helper

import onnx

OPSET = 17


# -- building tiny models -------------------------------------------------------------------
def _save(nodes, inputs, outputs, inits, path: Path, meta=None) -> Path:
    graph = helper.make_graph(nodes, path.stem.replace(".", "_"), inputs, outputs,
                              [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="anim2lora-tests")
    model.ir_version = 8
    if meta:
        helper.set_model_props(model, meta)
    onnx.checker.check_model(model, full_check=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def anchors(*rows) -> np.ndarray:
    """[1, 4 + C, N] from rows of (cx, cy, w, h, score per class...)."""
    return np.asarray(rows, np.float32).T[None]


def yolo_file(path: Path, out: np.ndarray, names: str = "{0: 'person'}", size=(640, 640), imgsz=None,
              whole_box_score=None) -> Path:
    """A YOLOv8-layout graph: ``images`` [1, 3, H, W] -> ``output0`` = ``out`` (plus, when
    ``whole_box_score`` is given, one more anchor computed from the input's own size: a box over the
    whole input).  ``size``: (height, width) of a fixed input, None for dynamic."""
    h, w = size if size else ("height", "width")
    nodes = [helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=0),
             helper.make_node("Mul", ["mean", "zero"], ["nothing"])]       # the output depends on the input
    inits = {"zero": np.float32(0), "anchors": out.astype(np.float32)}
    last = "anchors"
    if whole_box_score is not None:
        nodes += [helper.make_node("Shape", ["images"], ["shape"]),
                  helper.make_node("Cast", ["shape"], ["shape_f"], to=TensorProto.FLOAT),
                  helper.make_node("Gather", ["shape_f", "whwh_idx"], ["whwh"]),
                  helper.make_node("Mul", ["whwh", "half"], ["box"]),
                  helper.make_node("Concat", ["box", "score"], ["col"], axis=0),
                  helper.make_node("Reshape", ["col", "col_shape"], ["col3"]),
                  helper.make_node("Concat", ["anchors", "col3"], ["all"], axis=2)]
        inits.update(whwh_idx=np.array([3, 2, 3, 2], np.int64), half=np.array([0.5, 0.5, 1, 1], np.float32),
                     score=np.array([whole_box_score], np.float32), col_shape=np.array([1, 5, 1], np.int64))
        last = "all"
    nodes.append(helper.make_node("Add", [last, "nothing"], ["output0"]))
    meta = {"names": names} if names is not None else {}
    if imgsz is not None:
        meta["imgsz"] = imgsz
    return _save(nodes, [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, h, w])],
                 [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, "attrs", "anchors"])], inits, path, meta)


# Person anchors in the 640 x 640 input: a body, a weaker near-copy of it (NMS removes it), a second
# body, one under the score floor and one above the floor but under the authors' 0.3.
BODY = (320, 320, 100, 200, 0.9)
BODY_COPY = (330, 325, 100, 200, 0.6)
OTHER = (100, 500, 60, 80, 0.4)
FAINT = (500, 100, 50, 50, 0.04)
WEAK = (500, 500, 50, 50, 0.1)
PERSONS = anchors(BODY, BODY_COPY, OTHER, FAINT, WEAK)
# Heads: one on BODY's top; one too unsure for the head model's threshold (KNOWN["head"].conf).
HEADS = anchors((320, 250, 50, 50, 0.8), (100, 470, 20, 20, 0.35))


def _rect(anchor, sx, sy):
    cx, cy, w, h = anchor[:4]
    return ((cx - w / 2) * sx, (cy - h / 2) * sy, (cx + w / 2) * sx, (cy + h / 2) * sy)


def _frame(w=1280, h=720, colour=(255, 255, 255)) -> np.ndarray:
    return np.full((h, w, 3), colour, np.uint8)


def _close(rect, expected, tol=1e-3):
    return all(abs(a - b) <= tol for a, b in zip(rect, expected))


@pytest.fixture
def person_onnx(tmp_path):
    return yolo_file(tmp_path / "yolo" / "person.onnx", PERSONS)


# -- YoloModel and decode --------------------------------------------------------------------
def test_fixed_size_model_stretches_back_per_axis_keeps_the_best_of_overlaps(person_onnx):
    model = YoloModel(person_onnx, "person")
    assert model.size == (640, 640) and model.labels == ("person",) and model.device == "cpu"
    boxes = model.detect(_frame(1280, 720))
    sx, sy = 1280 / 640, 720 / 640
    assert [b.kind for b in boxes] == ["person"] * 3
    assert [round(b.score, 3) for b in boxes] == [0.9, 0.4, 0.1], "best first; the 0.6 copy and the 0.04 anchor go"
    assert _close(boxes[0].rect, _rect(BODY, sx, sy))
    assert _close(boxes[0].rect, (540, 247.5, 740, 472.5))
    assert _close(boxes[1].rect, _rect(OTHER, sx, sy)) and _close(boxes[2].rect, _rect(WEAK, sx, sy))
    # a square frame of another size scales both axes alike
    square = model.detect(_frame(320, 320))
    assert _close(square[0].rect, _rect(BODY, 0.5, 0.5))


def test_score_floor_and_nms_threshold_are_the_models(person_onnx):
    strict = YoloModel(person_onnx, "person", conf=0.2)
    assert [round(b.score, 3) for b in strict.detect(_frame())] == [0.9, 0.4]
    loose_nms = YoloModel(person_onnx, "person", iou=0.95)       # the copy overlaps BODY by IoU 0.78
    assert [round(b.score, 3) for b in loose_nms.detect(_frame())] == [0.9, 0.6, 0.4, 0.1]
    assert SCORE_FLOOR == 0.05


def test_labels_from_metadata_pick_the_class_count(tmp_path):
    two = anchors((320, 320, 100, 100, 0.1, 0.7), (100, 100, 40, 40, 0.5, 0.02))
    model = YoloModel(yolo_file(tmp_path / "two.onnx", two, names="{0: 'person', 1: 'dog'}"), "person")
    assert model.labels == ("person", "dog")
    boxes = model.detect(_frame(640, 640))
    assert [round(b.score, 3) for b in boxes] == [0.7, 0.5], "a box scores its best class"
    as_list = YoloModel(yolo_file(tmp_path / "list.onnx", PERSONS, names="['person']"), "person")
    assert as_list.labels == ("person",)
    unnamed = YoloModel(yolo_file(tmp_path / "unnamed.onnx", PERSONS, names="not python {"), "person")
    assert unnamed.labels == () and len(unnamed.detect(_frame())) == 3


@pytest.mark.parametrize("imgsz, size", [("[320, 480]", (480, 320)), ("512", (512, 512)), ("[384]", (384, 384)),
                                         (None, (640, 640))])
def test_a_free_input_size_comes_from_the_metadata(tmp_path, imgsz, size):
    w, h = size
    # an anchor at a known place in that input, and one over the whole input the graph was fed
    path = yolo_file(tmp_path / "free.onnx", anchors((w / 2, h / 2, w / 10, h / 5, 0.7)), size=None, imgsz=imgsz,
                     whole_box_score=0.5)
    model = YoloModel(path, "person")
    assert model.size == size
    boxes = model.detect(_frame(1280, 720))
    assert [round(b.score, 3) for b in boxes] == [0.7, 0.5]
    assert _close(boxes[0].rect, _rect((w / 2, h / 2, w / 10, h / 5), 1280 / w, 720 / h))
    assert _close(boxes[1].rect, (0, 0, 1280, 720)), "the graph saw the frame at exactly the size it scales back by"


def test_decode_handles_both_layouts_and_refuses_others():
    out = anchors(BODY, BODY_COPY, OTHER, FAINT)
    plain = decode(out, "head", 2.0, 0.5, 0.5, classes=1)
    assert [b.kind for b in plain] == ["head", "head"] and [round(b.score, 2) for b in plain] == [0.9, 0.4]
    assert _close(plain[0].rect, _rect(BODY, 2.0, 0.5))
    transposed = decode(np.ascontiguousarray(out.transpose(0, 2, 1)), "head", 2.0, 0.5, 0.5, classes=1)
    assert transposed == plain
    assert decode(out[0], "head", 2.0, 0.5, 0.5) == plain, "a batch-less [4 + C, N] array too"
    assert decode(out, "head", 1, 1, 0.5, floor=0.95) == []
    with pytest.raises(ValueError, match="not \\[1, 4 \\+ classes, anchors\\]"):
        decode(np.zeros((1, 4, 10), np.float32), "head", 1, 1, 0.5)


# -- the detectors loader --------------------------------------------------------------------
def _models_dir(root: Path, heads: bool = True) -> Path:
    folder = root / "anime_detect"
    yolo_file(folder / KNOWN["person"].local, PERSONS)
    if heads:
        yolo_file(folder / KNOWN["head"].local, HEADS, names="{0: 'head'}")
    return folder


def test_onnx_detector_finds_bodies_and_heads_from_the_models_folder(tmp_path):
    folder = _models_dir(tmp_path)
    det = load_detector("onnx", models_dir=folder)
    assert isinstance(det, OnnxDetector) and det.has_heads and det.device == "cpu"
    person, head = folder / KNOWN["person"].local, folder / KNOWN["head"].local
    assert det.identity() == {"detector": "onnx", "person": f"{person.name}:{person.stat().st_size}",
                              "head": f"{head.name}:{head.stat().st_size}"}
    boxes = det.detect(_frame(1280, 720))
    persons = [b for b in boxes if b.kind == "person"]
    heads = [b for b in boxes if b.kind == "head"]
    # bodies are kept down to the floor (min_score re-judges them); heads at the head model's own 0.4
    assert [round(b.score, 2) for b in persons] == [0.9, 0.4, 0.1]
    assert [round(b.score, 2) for b in heads] == [0.8] and KNOWN["head"].conf == 0.4
    assert _close(heads[0].rect, (590, 253.125, 690, 309.375))
    assert load_detector("auto", models_dir=folder) is det, "loaded once per process"


def test_without_a_head_model_bodies_need_no_head(tmp_path):
    det = load_detector("auto", models_dir=_models_dir(tmp_path, heads=False))
    assert isinstance(det, OnnxDetector) and not det.has_heads and set(det.identity()) == {"detector", "person"}


def test_auto_without_model_files_is_the_ink_detector(tmp_path):
    assert isinstance(load_detector("auto", models_dir=tmp_path), InkDetector)
    assert isinstance(load_detector("auto"), InkDetector)
    assert isinstance(load_detector("ink", models_dir=_models_dir(tmp_path)), InkDetector)


def test_onnx_without_model_files_names_the_file_and_the_repository(tmp_path):
    with pytest.raises(MissingModelError) as err:
        load_detector("onnx", models_dir=tmp_path)
    text = str(err.value)
    assert str(tmp_path / KNOWN["person"].local) in text
    assert KNOWN["person"].repo in text and KNOWN["person"].file in text and KNOWN["head"].repo in text
    assert "allow_download" in err.value.hint


def test_a_corrupt_model_file_is_named(tmp_path):
    folder = tmp_path / "anime_detect"
    folder.mkdir()
    bad = folder / KNOWN["person"].local
    bad.write_bytes(b"this is not a protobuf" * 10)
    with pytest.raises(MissingModelError) as err:
        load_detector("onnx", models_dir=folder)
    assert str(bad) in str(err.value) and "not a loadable ONNX model" in str(err.value)
    assert "download it again" in err.value.hint
    with pytest.raises(MissingModelError, match="ccip metrics"):
        onnx_session(bad, "cpu", "ccip metrics")


def test_missing_onnxruntime_gives_the_install_line(tmp_path, monkeypatch):
    folder = _models_dir(tmp_path)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(MissingModelError) as err:
        load_detector("onnx", models_dir=folder)
    assert "person detector: ONNX Runtime is not installed" in str(err.value)
    assert err.value.hint == ORT_INSTALL and "pip install onnxruntime" in str(err.value)


def test_the_onnx_detector_counts_through_the_run_and_its_cache(tmp_path):
    """PersonCountFilter on the ONNX path: a body with a head, and two heads in one body."""
    from anim2lora.people.run import count_people
    from anim2lora.people.settings import CountSettings

    folder = tmp_path / "anime_detect"
    # one body (score 0.25) in every frame; its head, and a second head beside it on white frames only
    yolo_file(folder / KNOWN["person"].local, anchors((320, 320, 160, 480, 0.25)))
    _two_head_model(folder / KNOWN["head"].local)
    frames = frameset_of(tmp_path / "cache", [(_frame(640, 360, (0, 0, 0)), None), (_frame(640, 360), None)])
    first = count_people(frames, CountSettings(detector="onnx", min_score=0.2), models_dir=folder)
    assert first.detected == 2 and first.summary["counts"] == {"0": 1, "1": 2}
    assert first.summary["kept"] == [0] and first.summary["dropped"] == {"overlap": [1]}
    assert first.summary["detector"]["detector"] == "onnx"
    # the body's 0.25 is under the default 0.3: re-judged from the cache, nothing detected again
    strict = count_people(frames, CountSettings(detector="onnx"), models_dir=folder)
    assert strict.detected == 0 and strict.summary["dropped"] == {"no_character": [0, 1]}
    kept = count_people(frames, CountSettings(detector="onnx", min_score=0.2, keep_overlap=True), models_dir=folder)
    assert kept.detected == 0 and kept.summary["kept"] == [0, 1]
    # 'auto' is the ONNX models here and the ink detector without them: two sets, neither overwritten
    auto = count_people(frames, CountSettings(min_score=0.2), models_dir=folder)
    ink = count_people(frames, CountSettings(min_score=0.2), models_dir=tmp_path / "nothing")
    assert auto.summary["detector"]["detector"] == "onnx" and ink.summary["detector"]["detector"] == "ink"
    assert auto.kept.path != ink.kept.path and auto.kept.path == first.kept.path.parent / auto.kept.path.name
    from anim2lora.frameset import load

    assert [r["index"] for r in load(auto.kept.path).kept] == [0], "the ONNX count is still on disk as it was"


def _two_head_model(path: Path) -> None:
    """A head model computed from its input: one head always, and a second one beside it whose
    score is 0.9 times the input's mean brightness (a black frame shows one head, a white two)."""
    out = anchors((320, 160, 60, 60, 0.9), (380, 160, 60, 60, 0.0))
    nodes = [helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=0),
             helper.make_node("Mul", ["mean", "mask"], ["extra"]),
             helper.make_node("Add", ["anchors", "extra"], ["output0"])]
    mask = np.zeros_like(out)
    mask[0, 4, 1] = 0.9
    _save(nodes, [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 640, 640])],
          [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, "attrs", "anchors"])],
          {"anchors": out, "mask": mask}, path, {"names": "{0: 'head'}"})


# -- the opt-in download ---------------------------------------------------------------------
class FakeHub:
    """huggingface_hub's hf_hub_download, handing back real files from a folder (its "cache")."""

    def __init__(self, files, error: Exception = None):
        self.files, self.error, self.calls = files, error, []

    def hf_hub_download(self, repo_id, filename, *, revision=None):
        self.calls.append((repo_id, filename, revision))
        if self.error is not None:
            raise self.error
        return str(self.files[filename])

    def install(self, monkeypatch):
        module = types.ModuleType("huggingface_hub")
        module.hf_hub_download = self.hf_hub_download
        monkeypatch.setitem(sys.modules, "huggingface_hub", module)
        return self


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _hub_detector_files(tmp_path) -> dict:
    cache = tmp_path / "hub-cache"
    return {KNOWN["person"].file: yolo_file(cache / "person.onnx", PERSONS),
            KNOWN["head"].file: yolo_file(cache / "head.onnx", HEADS, names="{0: 'head'}"),
            KNOWN["face"].file: yolo_file(cache / "face.onnx", HEADS, names="{0: 'face'}")}


def test_download_fetches_the_pinned_revision_under_the_local_name(tmp_path, monkeypatch):
    files = _hub_detector_files(tmp_path)
    # the pinned sha256 is the real model's; pin this test's files instead, the check stays on
    for kind in ("person", "head"):
        monkeypatch.setitem(KNOWN, kind, dataclasses.replace(KNOWN[kind], sha256=_sha(files[KNOWN[kind].file])))
    hub = FakeHub(files).install(monkeypatch)
    folder = tmp_path / "anime_detect"
    found = model_files(folder, allow_download=True)
    assert hub.calls == [(KNOWN[k].repo, KNOWN[k].file, KNOWN[k].revision) for k in ("person", "head", "face")]
    assert KNOWN["person"].revision == "e39c744c22432ad01f91dd254fe2b02c8d878b8c"
    assert found == {k: folder / KNOWN[k].local for k in ("person", "head", "face")}
    assert sorted(p.name for p in folder.iterdir()) == sorted(KNOWN[k].local for k in KNOWN), "no .part left"
    assert all(_sha(found[k]) == _sha(files[KNOWN[k].file]) for k in found)
    det = load_detector("onnx", models_dir=folder, allow_download=True)
    assert hub.calls[3:] == [], "files already there are not fetched again"
    assert det.has_heads and {m.kind for m in det.models} == {"person", "head", "face"}
    assert model_files(folder) == found and model_files(None, allow_download=True) == {}


def test_a_download_whose_sha256_differs_leaves_nothing_behind(tmp_path, monkeypatch):
    FakeHub(_hub_detector_files(tmp_path)).install(monkeypatch)
    folder = tmp_path / "anime_detect"
    with pytest.raises(MissingModelError, match="sha256 differs") as err:
        load_detector("onnx", models_dir=folder, allow_download=True)
    assert KNOWN["person"].repo in str(err.value)
    assert not folder.exists() or list(folder.iterdir()) == []


def test_a_network_error_is_a_missing_model_with_a_hint(tmp_path, monkeypatch):
    hub = FakeHub({}, error=OSError("Network is unreachable")).install(monkeypatch)
    folder = tmp_path / "anime_detect"
    with pytest.raises(MissingModelError) as err:
        detectors.download(KNOWN["head"], folder)
    assert "download of deepghs/anime_head_detection/head_detect_v2.0_s/model.onnx failed" in str(err.value)
    assert "OSError: Network is unreachable" in str(err.value)
    assert str(folder / KNOWN["head"].local) in err.value.hint
    assert hub.calls == [(KNOWN["head"].repo, KNOWN["head"].file, KNOWN["head"].revision)]
    assert not folder.exists() or list(folder.iterdir()) == []
    with pytest.raises(MissingModelError, match="download of"):
        load_embedder("ccip", models_dir=tmp_path / "ccip", allow_download=True)


def test_without_huggingface_hub_the_message_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    with pytest.raises(MissingModelError) as err:
        load_detector("onnx", models_dir=tmp_path, allow_download=True)
    assert "pip install huggingface_hub" in str(err.value) and "person detector" in str(err.value)
    with pytest.raises(MissingModelError, match="pip install huggingface_hub"):
        load_embedder("auto", models_dir=tmp_path, allow_download=True)


# -- the CCIP-like embedder ------------------------------------------------------------------
DIM = 8


def ccip_files(folder: Path, threshold: float = 0.2) -> Path:
    """model_feat.onnx: [N, 3, 384, 384] -> [N, DIM], the darkest value per channel (the ink's
    colour: a line drawing's background is the same white for everyone) through a fixed
    orthonormal projection; model_metrics.onnx: [N, DIM] -> [N, N] cosine distances clipped to 0-1;
    metrics.json: the threshold."""
    q, _ = np.linalg.qr(np.random.default_rng(7).normal(size=(DIM, DIM)))
    project = q[:3].astype(np.float32)            # orthonormal rows: cosines are the colours' own
    _save([helper.make_node("Neg", ["input"], ["neg"]),
           helper.make_node("GlobalMaxPool", ["neg"], ["pooled"]),
           helper.make_node("Neg", ["pooled"], ["darkest"]),
           helper.make_node("Flatten", ["darkest"], ["flat"], axis=1),
           helper.make_node("MatMul", ["flat", "project"], ["output"])],
          [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 384, 384])],
          [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", DIM])],
          {"project": project}, folder / "model_feat.onnx")
    _save([helper.make_node("LpNormalization", ["input"], ["unit"], axis=1, p=2),
           helper.make_node("Transpose", ["unit"], ["unit_t"], perm=[1, 0]),
           helper.make_node("MatMul", ["unit", "unit_t"], ["cos"]),
           helper.make_node("Sub", ["one", "cos"], ["dist"]),
           helper.make_node("Clip", ["dist", "zero", "one"], ["output"])],
          [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", DIM])],
          [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", "N"])],
          {"one": np.float32(1), "zero": np.float32(0)}, folder / "model_metrics.onnx")
    (folder / "metrics.json").write_text(json.dumps({"threshold": threshold}))
    return folder


RED, BLUE, GREEN = (150, 0, 0), (0, 0, 150), (0, 120, 0)      # RGB


def _patch(rgb, size=(200, 120)) -> np.ndarray:
    """A BGR crop: white with a flat patch of ``rgb``."""
    img = np.full((size[0], size[1], 3), 255, np.uint8)
    img[30:-30, 20:-20] = rgb[::-1]
    return img


def test_ccip_loads_its_threshold_and_measures_distances(tmp_path):
    models = tmp_path / "ccip"
    ccip_files(models / CCIP_MODEL)
    emb = load_embedder("ccip", models_dir=models)
    assert isinstance(emb, CcipEmbedder) and emb.threshold == pytest.approx(0.2) and emb.device == "cpu"
    assert load_embedder("auto", models_dir=models) is emb
    assert set(emb.identity()) == {"embedder", *CCIP_FILES}
    refs = emb.embed([_patch(RED), _patch(BLUE)])
    crops = emb.embed([_patch(RED, (300, 90)), _patch(BLUE, (90, 300)), _patch(GREEN)])
    assert refs.shape == (2, DIM) and refs.dtype == np.float32
    d = emb.distance(crops, refs)
    assert d.shape == (3, 2)
    assert d[0, 0] < 0.01 < emb.threshold < d[0, 1], "a red crop is the red reference, not the blue one"
    assert d[1, 1] < 0.01 < emb.threshold < d[1, 0]
    assert d[2].min() > emb.threshold, "green is neither"
    assert emb.distance(crops[:0], refs).shape == (0, 2) and emb.embed([]).shape[0] == 0


def test_ccip_without_its_files_names_the_folder(tmp_path):
    assert isinstance(load_embedder("auto", models_dir=tmp_path), FeatureEmbedder)
    assert isinstance(load_embedder("auto"), FeatureEmbedder)
    partial = tmp_path / "partial"
    ccip_files(partial / CCIP_MODEL)
    (partial / CCIP_MODEL / "metrics.json").unlink()
    assert isinstance(load_embedder("auto", models_dir=partial), FeatureEmbedder)
    with pytest.raises(MissingModelError) as err:
        load_embedder("ccip", models_dir=partial)
    assert str(partial / CCIP_MODEL) in str(err.value) and "metrics.json" in str(err.value)
    assert CCIP_REPO in err.value.hint
    assert isinstance(load_embedder("features", models_dir=tmp_path), FeatureEmbedder)


def test_ccip_metrics_without_a_threshold_is_named(tmp_path):
    folder = ccip_files(tmp_path / "m" / CCIP_MODEL)
    (folder / "metrics.json").write_text("{}")
    with pytest.raises(MissingModelError, match="metrics.json has no threshold"):
        load_embedder("ccip", models_dir=tmp_path / "m")


def test_ccip_download_fetches_only_the_missing_files_at_the_pinned_revision(tmp_path, monkeypatch):
    cache = ccip_files(tmp_path / "hub-cache")
    hub = FakeHub({f"{CCIP_MODEL}/{f}": cache / f for f in CCIP_FILES}).install(monkeypatch)
    models = tmp_path / "ccip"
    (models / CCIP_MODEL).mkdir(parents=True)
    (models / CCIP_MODEL / "metrics.json").write_text(json.dumps({"threshold": 0.3}))     # already there
    emb = load_embedder("ccip", models_dir=models, allow_download=True)
    assert hub.calls == [(CCIP_REPO, f"{CCIP_MODEL}/model_feat.onnx", CCIP_REVISION),
                         (CCIP_REPO, f"{CCIP_MODEL}/model_metrics.onnx", CCIP_REVISION)]
    assert sorted(p.name for p in (models / CCIP_MODEL).iterdir()) == sorted(CCIP_FILES)
    assert emb.threshold == pytest.approx(0.3), "the file already there is kept"
    assert identity.ccip_folder(models, allow_download=True) == models / CCIP_MODEL and len(hub.calls) == 2


def _hatched(w: int, h: int) -> np.ndarray:
    """A BGR crop of 1-3 px lines in many colours on white: what a shrinking filter can lose."""
    import cv2

    rng = np.random.default_rng(3)
    img = np.full((h, w, 3), 255, np.uint8)
    for _ in range(80):
        ends = [tuple(int(v) for v in rng.integers(0, (w, h))) for _ in range(2)]
        cv2.line(img, *ends, tuple(int(c) for c in rng.integers(0, 256, 3)), int(rng.integers(1, 4)))
    return img


def _clip_normalised(rgb: np.ndarray) -> np.ndarray:
    """imgutils' CCIP normalisation (CLIP's mean and std), [3, H, W]."""
    mean, std = np.array([0.48145466, 0.4578275, 0.40821073]), np.array([0.26862954, 0.26130258, 0.27577711])
    return ((np.asarray(rgb, np.float32) / 255.0 - mean) / std).transpose(2, 0, 1)


@pytest.mark.parametrize("w, h", [(900, 1300), (1000, 300), (200, 600)])
def test_ccip_crops_are_resized_as_imgutils_resizes_them(tmp_path, w, h):
    """imgutils stretches a crop to 384 x 384 with PIL's bilinear filter, which averages when it
    shrinks: cv2's area interpolation along a shrinking side, linear along an enlarging one."""
    import cv2
    from PIL import Image

    emb = CcipEmbedder(ccip_files(tmp_path / CCIP_MODEL), "cpu")
    crop = _hatched(w, h)
    got = emb._input(crop)
    assert got.shape == (3, 384, 384)
    rgb = crop[..., ::-1]
    pil = _clip_normalised(Image.fromarray(np.ascontiguousarray(rgb)).resize((384, 384), resample=Image.BILINEAR))
    area, linear = (_clip_normalised(cv2.resize(rgb, (384, 384), interpolation=m))
                    for m in (cv2.INTER_AREA, cv2.INTER_LINEAR))
    if w > 384 and h > 384:
        assert np.abs(got - area).max() < 0.01, "shrunk on both sides: cv2's area interpolation (to uint8 rounding)"
    # off imgutils' input: ours, cv2's area alone, cv2's linear alone (what was fed before)
    off = {name: float(np.abs(x - pil).mean()) for name, x in (("ours", got), ("area", area), ("linear", linear))}
    assert off["ours"] < 0.5 * off["linear"] and off["ours"] <= off["area"] + 1e-4, off


# -- GroupSplit with the CCIP-like embedder --------------------------------------------------
def _inked(chars, h=360, w=640) -> np.ndarray:
    """Line-art characters on white, each drawn in its own ink colour: (name, x, phase, rgb, kw)."""
    from anim2lora.demo.characters import DRAW, INK

    out = np.full((h, w, 3), 255.0, np.float32)
    for name, x, phase, rgb, kw in chars:
        img = np.full((h, w, 3), 255, np.uint8)
        DRAW[name](img, x, phase, h, **kw)
        alpha = np.clip((255.0 - img.mean(axis=2)) / (255.0 - INK[0]), 0, 1)[..., None]
        out = out * (1 - alpha) + np.asarray(rgb, np.float32) * alpha
    return np.round(out).astype(np.uint8)


def test_group_split_names_characters_with_the_ccip_embedder(tmp_path):
    import cv2

    from anim2lora.people.groups import GroupSettings, group_split

    models = tmp_path / "ccip"
    ccip_files(models / CCIP_MODEL)
    frames = frameset_of(tmp_path / "cache", [
        (_inked([("A", 0.9, 0.3, RED, {})]), None),
        (_inked([("B", 0.8, 1.1, BLUE, {})]), None),
        (_inked([("A", 0.5, 2.0, RED, {}), ("B", 1.3, 0.4, BLUE, {"flip": True})]), None),
        (_inked([("C", 0.9, 0.6, GREEN, {})]), None),
        (_inked([]), None)])
    stills = {name: [cv2.cvtColor(_inked([(name, 1.3, 3.0, rgb, {"flip": True})]), cv2.COLOR_RGB2BGR)]
              for name, rgb in (("A", RED), ("B", BLUE))}
    result = group_split(frames, stills, GroupSettings(embedder="ccip"), embed_models=models)
    s = result.summary
    assert s["embedder"]["embedder"] == "ccip" and result.threshold == pytest.approx(0.2)
    assert s["groups"] == {"A": [0], "B": [1], "A+B": [2]}
    assert s["dropped"]["unknown"] == [3] and s["dropped"]["no_character"] == [4]
    named = {f.index: sorted(n for n, _, _ in f.names) for f in result.frames}
    assert named == {0: ["A"], 1: ["B"], 2: ["A", "B"], 3: ["unknown"], 4: []}
    assert all(d < 0.05 for f in result.frames if f.group for _, d, _ in f.names)
    assert s["crops"] == {"A": 2, "B": 2}
    # a looser threshold than the file's names the stranger after the nearest colour (blue is nearer green)
    loose = group_split(frames, stills, GroupSettings(embedder="ccip", threshold=1.0), embed_models=models)
    assert loose.threshold == 1.0 and loose.summary["groups"] == {"A": [0], "B": [1, 3], "A+B": [2]}


def test_ccip_stand_in_finds_boxes_like_the_ink_detector_does():
    """The inked frames above are plain line art to the ink detector (its colour does not matter)."""
    import cv2

    boxes = InkDetector().detect(cv2.cvtColor(_inked([("A", 0.5, 2.0, RED, {}), ("B", 1.3, 0.4, BLUE, {})]),
                                              cv2.COLOR_RGB2BGR))
    assert sum(b.kind == "person" for b in boxes) == 2 and sum(b.kind == "head" for b in boxes) == 2
    assert all(isinstance(b, Box) for b in boxes)
