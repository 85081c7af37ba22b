"""The easyocr backend through easyocr's real loader and networks, on weights made here.

easyocr's release weights come from GitHub, which tests cannot reach, so the fixture saves
randomly initialised models of easyocr's own classes (CRAFT, and the generation-2 recogniser sized
for japanese_g2's characters) under the file names easyocr expects.  Reads are then nonsense;
what is tested is the loading, the refusals and the coordinate frames.
"""

import importlib
import os
import socket
import sys

import numpy as np
import pytest

from anim2lora.errors import Anim2LoRAError
from anim2lora.text.backends import MissingBackendError, TextBox
from anim2lora.text.easy import EasyOcrBackend, _quads

RELEASE = "https://github.com/JaidedAI/EasyOCR/releases/download/"


def _save(module, path):
    import torch

    # the release files were saved from DataParallel: every key starts with "module."
    torch.save({f"module.{k}": v for k, v in module.state_dict().items()}, path)


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    import torch
    from easyocr.config import detection_models, recognition_models
    from easyocr.craft import CRAFT
    from easyocr.model.vgg_model import Model
    from easyocr.utils import CTCLabelConverter

    folder = tmp_path_factory.mktemp("easyocr-models")
    torch.manual_seed(0)
    craft = CRAFT()
    # a fully random detector may find nothing, which would test nothing: its last 1x1 layer is
    # set to score every pixel as text and link, so it must find the whole picture
    last = craft.conv_cls[-1]
    torch.nn.init.zeros_(last.weight)
    torch.nn.init.constant_(last.bias, 1.0)
    _save(craft, folder / detection_models["craft"]["filename"])
    # the network and size easyocr's Reader builds for a generation-2 model
    characters = recognition_models["gen2"]["japanese_g2"]["characters"]
    recogniser = Model(num_class=len(CTCLabelConverter(characters).character),
                       input_channel=1, output_channel=256, hidden_size=256)
    _save(recogniser, folder / recognition_models["gen2"]["japanese_g2"]["filename"])
    return folder


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Downloads are off in every test here: any connection attempt fails the test."""
    def refuse(sock, address):
        raise AssertionError(f"network use: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture
def release_md5(monkeypatch):
    """easyocr checks every file against the release MD5 even with downloads off; the fixture's
    files pass as the release for this one test."""
    from easyocr.config import detection_models, recognition_models

    reader_module = importlib.import_module("easyocr.easyocr")
    known = {m["filename"]: m["md5sum"] for m in [detection_models["craft"], *recognition_models["gen2"].values()]}
    monkeypatch.setattr(reader_module, "calculate_md5", lambda path: known[os.path.basename(path)])


def test_missing_files_are_named_with_folder_and_source(tmp_path):
    with pytest.raises(MissingBackendError) as e:
        EasyOcrBackend(models_dir=str(tmp_path), allow_download=False)
    message = str(e.value)
    for part in ("craft_mlt_25k.pth", "japanese_g2.pth", str(tmp_path), "allow_download",
                 RELEASE + "pre-v1.1.6/craft_mlt_25k.zip", RELEASE + "v1.3/japanese_g2.zip"):
        assert part in message
    assert not any(tmp_path.iterdir())              # nothing fetched, nothing made


def test_only_the_missing_file_is_named(tmp_path, models_dir):
    (tmp_path / "japanese_g2.pth").symlink_to(models_dir / "japanese_g2.pth")
    with pytest.raises(MissingBackendError) as e:
        EasyOcrBackend(models_dir=str(tmp_path))
    assert "craft_mlt_25k.pth" in str(e.value) and "japanese_g2.pth" not in str(e.value)


def test_allow_download_asks_easyocr_to_fetch_and_reports_failure(tmp_path, monkeypatch):
    fetched = []

    def offline(url, filename, folder, verbose=True):
        fetched.append((url, filename, folder))
        raise OSError("no route to host")

    monkeypatch.setattr(importlib.import_module("easyocr.easyocr"), "download_and_unzip", offline)
    with pytest.raises(MissingBackendError, match="no route to host") as e:
        EasyOcrBackend(models_dir=str(tmp_path), allow_download=True)
    assert fetched == [(RELEASE + "pre-v1.1.6/craft_mlt_25k.zip", "craft_mlt_25k.pth", str(tmp_path))]
    assert str(tmp_path) in str(e.value)


def test_foreign_files_are_refused_without_network(models_dir):
    # not the release's bytes: easyocr's MD5 check refuses them, and with downloads off it must
    # neither fetch nor replace them
    before = {p.name: p.stat().st_mtime_ns for p in models_dir.iterdir()}
    with pytest.raises(MissingBackendError, match="MD5 mismatch"):
        EasyOcrBackend(models_dir=str(models_dir), allow_download=False)
    assert {p.name: p.stat().st_mtime_ns for p in models_dir.iterdir()} == before


def test_languages_outside_easyocr_pairs_are_refused(models_dir):
    with pytest.raises(Anim2LoRAError, match="languages: ja, ko"):
        EasyOcrBackend(models_dir=str(models_dir), languages=("ja", "ko"))


def test_missing_package_names_the_install_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "easyocr", None)       # what `import easyocr` meets when absent
    with pytest.raises(MissingBackendError, match="pip install easyocr") as e:
        EasyOcrBackend()
    assert "torchvision" in str(e.value)


def test_box_lists_become_quads_in_the_input_frame():
    horizontal = [[-3, 50, 10, 30]]                          # x_min, x_max, y_min, y_max, margin past 0
    free = [[[10, 10], [40, 12], [39, 30], [9, 28]]]
    quads = _quads(horizontal, free, 2.0, 90, 56)
    assert len(quads) == 2
    assert quads[0] == ((0.0, 20.0), (90.0, 20.0), (90.0, 56.0), (0.0, 56.0))
    assert quads[1] == ((20.0, 20.0), (80.0, 24.0), (78.0, 56.0), (18.0, 56.0))


def _record_first_argument(monkeypatch, obj, name, calls):
    real = getattr(obj, name)

    def spy(img, *args, **kwargs):
        calls.append(img)
        return real(img, *args, **kwargs)

    monkeypatch.setattr(obj, name, spy)


def test_real_load_detect_and_read(models_dir, release_md5, monkeypatch):
    backend = EasyOcrBackend(models_dir=str(models_dir), allow_download=False)
    identity = backend.identity()
    import easyocr

    assert identity["backend"] == "easyocr" and identity["version"] == easyocr.__version__
    assert identity["languages"] == "en,ja" and backend.device == "cpu"
    size = (models_dir / "craft_mlt_25k.pth").stat().st_size
    assert identity["craft_mlt_25k.pth"].startswith(f"{size} bytes") and "japanese_g2.pth" in identity

    seen = []                                               # the images easyocr's two steps are given
    for step in ("detect", "recognize"):
        _record_first_argument(monkeypatch, backend._reader, step, seen)

    h, w = 120, 200
    bgr = np.zeros((h, w, 3), np.uint8)
    bgr[..., 2] = 255                                       # pure red
    whole = ((0.0, 0.0), (float(w), 0.0), (float(w), float(h)), (0.0, float(h)))
    # the detector scores every pixel as text: one box, the whole picture, in input coordinates
    # even when it looked at a 64-pixel copy
    assert backend.detect(bgr, 64) == [whole]
    assert seen[-1].shape == (38, 64, 3)
    assert (seen[-1][..., 0] == 255).all() and (seen[-1][..., 2] == 0).all()     # RGB, as CRAFT was trained
    assert backend.detect(bgr, 1000) == [whole] and seen[-1].shape == (h, w, 3)

    reads = backend.read(bgr)
    detected, grey = seen[-2:]
    assert detected.shape == (h, w, 3) and (detected[..., 0] == 255).all()
    assert grey.shape == (h, w) and (grey == 76).all()      # luminance of red: 0.299 * 255
    assert len(reads) == 1
    box = reads[0]
    assert isinstance(box, TextBox) and isinstance(box.text, str) and 0.0 <= box.score <= 1.0
    assert box.quad == whole

    # reading boxes found before: one read per line, on the grey crop, a degenerate box skipped
    line = ((20.0, 30.0), (180.0, 30.0), (180.0, 60.0), (20.0, 60.0))
    speck = ((5.0, 5.0), (6.0, 5.0), (6.0, 6.0), (5.0, 6.0))
    again = backend.recognize(bgr, [line, speck])
    assert [b.quad for b in again] == [line] and isinstance(again[0].text, str) and 0.0 <= again[0].score <= 1.0
    assert seen[-1].shape == (30, 160) and (seen[-1] == 76).all()
