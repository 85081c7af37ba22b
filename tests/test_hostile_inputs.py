"""Crafted files handed to the command line, the way a shared or downloaded project folder arrives.

Every case checks the exit status (2), that the message names the file and says what to do, that
nothing outside ``--out`` changed (a snapshot of everything else under the test's folder) and,
where a run is repeated, that the earlier output survived the failed run.
"""

import hashlib
import json
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from anim2lora import cli
from anim2lora.frameset import load
from anim2lora.png import encode_png
from framesets import frameset_of


def _picture(seed: int) -> np.ndarray:
    """A small drawing: dark strokes on white, different per seed."""
    rng = np.random.default_rng(seed)
    rgb = np.full((96, 80, 3), 255, np.uint8)
    for _ in range(6):
        y, x = rng.integers(8, 80), rng.integers(8, 64)
        rgb[y:y + 3, x:x + 14] = 20
        rgb[y:y + 14, x:x + 3] = 20
    return rgb


def snapshot(root: Path, skip: Path) -> dict:
    """Every file and folder under ``root`` except ``skip`` (the run's --out): content hash of
    files, link targets of links."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        if here == skip or skip in here.parents:
            dirnames[:] = []
            continue
        for name in dirnames + filenames:
            p = here / name
            rel = str(p.relative_to(root))
            if p == skip:
                continue
            if p.is_symlink():
                found[rel] = "link:" + os.readlink(p)
            elif p.is_file():
                found[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
            else:
                found[rel] = "dir"
    return found


def tree(folder: Path) -> dict:
    return snapshot(folder, folder / "\0none") if folder.exists() else {}


def run_cli(capsys, *argv) -> tuple:
    code = cli.main([str(a) for a in argv])
    got = capsys.readouterr()
    return code, got.err


def refused(capsys, tmp_path: Path, out: Path, argv, *words):
    """Run ``argv``; it must exit 2, print one error line holding ``words``, and change nothing
    under ``tmp_path`` outside ``out``."""
    before = snapshot(tmp_path, out)
    code, err = run_cli(capsys, *argv)
    assert code == 2, err
    assert err.startswith("error: ") and "Traceback" not in err, err
    for w in words:
        assert w in err, (w, err)
    assert snapshot(tmp_path, out) == before, "a file outside --out changed"
    return err


@pytest.fixture
def sentinel(tmp_path):
    """Files a hostile input aims at: a PNG and a text file outside every folder the run uses."""
    folder = tmp_path / "sentinel"
    folder.mkdir()
    (folder / "secret.png").write_bytes(encode_png(_picture(99)))
    (folder / "victim").write_text("keep me\n")
    return folder


@pytest.fixture
def cache(tmp_path):
    return frameset_of(tmp_path / "cache", [(_picture(i), None) for i in range(3)])


def _edit_manifest(frames, change) -> Path:
    data = json.loads(frames.path.read_text())
    data = change(data)
    frames.path.write_text(data if isinstance(data, str) else json.dumps(data))
    return frames.path


def _row_file(value):
    def change(m):
        m["frames"][1]["file"] = value
        return m
    return change


# -- frame-set rows ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["absolute", "dotdot", "symlink"])
def test_a_row_pointing_outside_its_folder_is_refused(capsys, tmp_path, sentinel, cache, kind):
    target = sentinel / "secret.png"
    if kind == "symlink":
        link = cache.root / "frames" / "link.png"
        link.symlink_to(target)
        value = "frames/link.png"
    else:
        value = str(target) if kind == "absolute" else os.path.relpath(target, cache.root)
    manifest = _edit_manifest(cache, _row_file(value))
    out = tmp_path / "out"
    err = refused(capsys, tmp_path, out, ["onegroup", manifest, "--out", out], str(manifest), "row 1")
    assert "outside" in err
    assert not any(p.is_file() and p.samefile(target) for p in out.rglob("*")) if out.exists() else True


@pytest.mark.parametrize("change, words", [
    (lambda m: [m], ["not an Anim2LoRA frame-set manifest"]),
    (lambda m: {k: v for k, v in m.items() if k != "frames"}, ["frames"]),
    (lambda m: {**m, "frames": {"0": 1}}, ["frames"]),
    (_row_file(123), ["row 1", "file"]),
    (lambda m: {**m, "frames": [*m["frames"][:1], "text"]}, ["row 1"]),
    (lambda m: {**m, "frames": [{k: v for k, v in r.items() if k != "index"} for r in m["frames"]]}, ["index"]),
    (lambda m: {**m, "id": "../../../evil"}, ["id"]),
    (lambda m: json.dumps(m)[:60], ["delete"]),
])
def test_a_malformed_manifest_is_refused(capsys, tmp_path, cache, change, words):
    manifest = _edit_manifest(cache, change)
    out = tmp_path / "out"
    refused(capsys, tmp_path, out, ["onegroup", manifest, "--out", out], str(manifest), *words)
    assert not (tmp_path / "evil").exists() and not (tmp_path / "evil.json").exists()


def test_a_failed_rerun_keeps_the_earlier_output(capsys, tmp_path, cache):
    out = tmp_path / "out"
    assert run_cli(capsys, "onegroup", cache.path, "--out", out)[0] == 0
    good = tree(out)
    (cache.root / cache.kept[2]["file"]).unlink()            # a PNG gone since
    err = refused(capsys, tmp_path, out, ["onegroup", cache.path, "--out", out], "row 2")
    assert tree(out) == good, "the earlier output was replaced or half-written"
    assert run_cli(capsys, "lineart", out, "--out", tmp_path / "la", "--method", "classical")[0] == 0
    assert "cache" in err or str(cache.path) in err


# -- group folders --------------------------------------------------------------------------------
@pytest.fixture
def groups(capsys, tmp_path, cache):
    out = tmp_path / "groups"
    assert run_cli(capsys, "onegroup", cache.path, "--out", out, "--name", "A")[0] == 0
    return out


def _edit_index(folder: Path, change) -> Path:
    index = folder / "groups.json"
    data = change(json.loads(index.read_text()))
    index.write_text(data if isinstance(data, str) else json.dumps(data))
    return index


def _rename_group(to):
    return lambda d: {**d, "groups": {to: d["groups"]["A"]}}


@pytest.mark.parametrize("stage", ["lineart", "caption"])
@pytest.mark.parametrize("name", ["../../evil", "../../../../../sentinel/victim", "/tmp/a2l-evil", "A/../B",
                                  "crops", ".hidden", "A+../x"])
def test_a_group_name_that_is_not_a_name_is_refused(capsys, tmp_path, sentinel, groups, stage, name):
    if name.startswith("/tmp"):
        name = str(tmp_path / "abs-evil")
    index = _edit_index(groups, _rename_group(name))
    out = tmp_path / "o" / "p" / "q"
    extra = ["--method", "classical"] if stage == "lineart" else ["--tagger", "offline"]
    refused(capsys, tmp_path, out, [stage, groups, "--out", out, *extra], str(index), name)
    assert (sentinel / "victim").read_text() == "keep me\n"


@pytest.mark.parametrize("change, words", [
    (lambda d: {}, ["groups"]),
    (lambda d: [], ["groups"]),
    (lambda d: {"groups": ["A"]}, ["groups"]),
    (lambda d: {"groups": {"A": 5}}, ["A"]),
    (lambda d: {"groups": {"A": "../../cache/sets/x.json"}}, ["outside"]),
    (lambda d: {"groups": {"A": "/etc/passwd"}}, ["outside"]),
    (lambda d: {**d, "crops": {"A": None}}, ["crop set A"]),
    (lambda d: {"pending": ["A"]}, ["cut off", "again"]),
    (lambda d: "{\"groups\": {", ["Delete", "again"]),
])
def test_a_malformed_group_index_is_refused(capsys, tmp_path, groups, change, words):
    index = _edit_index(groups, change)
    out = tmp_path / "la"
    refused(capsys, tmp_path, out, ["lineart", groups, "--out", out, "--method", "classical"], str(index), *words)


def test_a_failed_lineart_or_caption_rerun_keeps_the_earlier_output(capsys, tmp_path, groups):
    la, ds = tmp_path / "la", tmp_path / "ds"
    assert run_cli(capsys, "lineart", groups, "--out", la, "--method", "classical")[0] == 0
    assert run_cli(capsys, "caption", la, "--out", ds, "--tagger", "offline")[0] == 0
    good_la, good_ds = tree(la), tree(ds)
    picture = next((groups / "A" / "images").glob("*.png"))
    picture.unlink()
    picture.write_bytes(b"not a png")                       # damaged since: the rerun fails half-way
    refused(capsys, tmp_path, la, ["lineart", groups, "--out", la, "--method", "classical"], picture.name)
    assert tree(la) == good_la
    picture = next((la / "A" / "images").glob("*.png"))
    picture.unlink()
    picture.write_bytes(b"not a png")
    refused(capsys, tmp_path, ds, ["caption", la, "--out", ds, "--tagger", "offline"], picture.name)
    assert tree(ds) == good_ds


# -- --out, the cache, pictures -------------------------------------------------------------------
@pytest.mark.parametrize("stage", ["onegroup", "lineart", "caption", "extract"])
def test_an_out_that_is_a_file_is_refused(capsys, tmp_path, cache, groups, stage):
    out = tmp_path / "taken.txt"
    out.write_text("mine\n")
    source = {"onegroup": cache.path, "lineart": groups, "caption": groups, "extract": tmp_path / "v.mp4"}[stage]
    refused(capsys, tmp_path, out, [stage, source, "--out", out], str(out), "folder")
    assert out.read_text() == "mine\n"


def test_a_damaged_analysis_cache_is_named(capsys, tmp_path, groups):
    ds = tmp_path / "ds"
    ds.mkdir()
    (ds / "analysis.sqlite").write_bytes(os.urandom(4096))
    refused(capsys, tmp_path, ds, ["caption", groups, "--out", ds, "--tagger", "offline"], "analysis.sqlite",
            "Delete")


def _png_header(width: int, height: int) -> bytes:
    """A PNG's signature and IHDR claiming ``width`` x ``height``, then garbage: only a reader that
    decodes before it looks at the size gets past the header."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk + os.urandom(64)


def _refs(tmp_path, picture) -> Path:
    path = tmp_path / "ref.png"
    path.write_bytes(picture if isinstance(picture, bytes) else encode_png(picture))
    return path


@pytest.mark.parametrize("picture, words", [
    (_png_header(12000, 12000), ["12000x12000", "megapixels"]),
    (np.zeros((1, 1, 3), np.uint8), ["1x1", "small"]),
    (np.zeros((64, 64, 4), np.uint8), ["transparent"]),
    (np.full((64, 64, 3), 200, np.uint8), ["one colour"]),
])
def test_a_reference_still_that_shows_no_character_is_refused(capsys, tmp_path, cache, picture, words):
    ref = _refs(tmp_path, picture)
    out = tmp_path / "g"
    refused(capsys, tmp_path, out, ["groups", cache.path, "--ref", f"A={ref}", "--out", out], str(ref), *words)


def test_a_frame_over_the_pixel_limit_is_refused_before_decoding(capsys, tmp_path, groups):
    picture = next((groups / "A" / "images").glob("*.png"))
    picture.unlink()
    picture.write_bytes(_png_header(20000, 9000))
    out = tmp_path / "la"
    refused(capsys, tmp_path, out, ["lineart", groups, "--out", out, "--method", "classical"], picture.name,
            "megapixels")


# -- train ---------------------------------------------------------------------------------------
@pytest.fixture
def dataset(capsys, tmp_path, groups):
    ds = tmp_path / "ds"
    assert run_cli(capsys, "caption", groups, "--out", ds, "--tagger", "offline")[0] == 0
    return ds


def _train(dataset, tmp_path, checkpoint=None):
    ckpt = checkpoint or (tmp_path / "never-read.safetensors")
    if checkpoint is None:
        ckpt.write_bytes(b"\0" * 16)     # would be refused as damaged, were it read before the dataset
    return ["train", dataset, "--checkpoint", ckpt, "--out", tmp_path / "lora", "--device", "cpu"]


@pytest.mark.parametrize("damage, words", [
    (lambda ds: [p.unlink() for p in ds.glob("img/*/*.png")], ["no pictures"]),
    (lambda ds: [p.write_text("  \n\t\n") for p in ds.glob("img/*/*.txt")], ["empty caption"]),
    (lambda ds: [p.unlink() for p in ds.glob("img/*/*.txt")], ["caption"]),
    (lambda ds: (ds / "dataset.json").write_text(json.dumps(
        {**json.loads((ds / "dataset.json").read_text()), "groups": {"A": {"folder": "../../sentinel", "repeats": 1,
                                                                           "keep_tokens": 1}}})), ["not a folder name"]),
    (lambda ds: (ds / "dataset.json").write_text("[1, 2]"), ["dataset.json"]),
])
def test_train_checks_the_dataset_before_the_checkpoint(capsys, tmp_path, sentinel, dataset, damage, words):
    damage(dataset)
    err = refused(capsys, tmp_path, tmp_path / "lora", _train(dataset, tmp_path), *words)
    assert "never-read" not in err


def test_a_pickle_with_code_is_refused_as_such(capsys, tmp_path, dataset):
    torch = pytest.importorskip("torch")
    ckpt = tmp_path / "model.ckpt"

    class Payload:
        def __reduce__(self):
            return (os.getcwd, ())

    torch.save({"state_dict": {"w": torch.zeros(1)}, "x": Payload()}, ckpt)
    err = refused(capsys, tmp_path, tmp_path / "lora", _train(dataset, tmp_path, ckpt), "model.ckpt",
                  "could run code")
    assert "Download it again" not in err


def test_train_help_prints_its_text(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    text = capsys.readouterr().out
    assert "option_strings" not in text and "~25% slower" in text


@pytest.mark.parametrize("tag", ["{n.__class__}", "{n!r}", "{n:>99999}", "{0}", "{}"])
def test_a_count_tag_holds_only_n(capsys, tmp_path, groups, tag):
    out = tmp_path / "ds"
    refused(capsys, tmp_path, out, ["caption", groups, "--out", out, "--count-tag", tag], "count_tag", "{n}")


def test_the_loader_of_a_saved_manifest_reads_it_back(cache):
    """The checks refuse only what is wrong: a set as a stage writes it loads unchanged."""
    again = load(cache.path)
    assert [dict(r) for r in again.rows] == [dict(r) for r in cache.rows]


@pytest.mark.parametrize("stage", ["onegroup", "caption"])
def test_a_folder_in_the_way_that_the_pack_did_not_write_is_left_alone(capsys, tmp_path, cache, groups, stage):
    out = tmp_path / "mine"
    precious = out / ("A" if stage == "onegroup" else "img") / "precious.txt"
    precious.parent.mkdir(parents=True)
    precious.write_text("mine\n")
    argv = ["onegroup", cache.path, "--name", "A"] if stage == "onegroup" else ["caption", groups, "--tagger", "offline"]
    refused(capsys, tmp_path, out, [*argv, "--out", out], str(precious.parent), "in the way")
    assert precious.read_text() == "mine\n"


@pytest.mark.parametrize("earlier", ['{"images": [], "summary": {"background": "x"}}', '[1]',
                                     '{"images": [], "summary": {"images": 0}}'])
def test_an_earlier_verdict_of_another_shape_is_refused_before_judging(capsys, tmp_path, earlier):
    picture, bad = tmp_path / "p.png", tmp_path / "old.json"
    picture.write_bytes(encode_png(_picture(1)))
    bad.write_text(earlier)
    out = tmp_path / "v"
    refused(capsys, tmp_path, out, ["verdict", picture, "--compare", bad, "--out", out], str(bad), "verdict.json")
    assert not out.exists()


@pytest.mark.parametrize("tagger", ["../../sentinel", "/etc", ".."])
def test_a_tagger_name_is_a_folder_name(capsys, tmp_path, sentinel, groups, tagger):
    models = tmp_path / "models"
    models.mkdir()
    out = tmp_path / "ds"
    refused(capsys, tmp_path, out, ["caption", groups, "--out", out, "--tagger", tagger, "--tagger-models", models],
            "tagger", "not a path")


@pytest.mark.parametrize("name", ["../../evil", "/tmp/a2l-evil", "..", "crops"])
def test_a_typed_name_that_is_not_a_name_is_refused(capsys, tmp_path, cache, dataset, name):
    out = tmp_path / "out"
    refused(capsys, tmp_path, out, ["onegroup", cache.path, "--name", name, "--out", out], name)
    if name != "crops":          # a LoRA may be called crops; it is no folder of GroupSplit's
        refused(capsys, tmp_path, tmp_path / "lora", [*_train(dataset, tmp_path), "--name", name], name)
    assert not Path("/tmp/a2l-evil").exists()


@pytest.mark.parametrize("ext", [".png", ".jpg", ".webp", ".bmp"])
@pytest.mark.parametrize("channels", [1, 3])
def test_the_size_is_read_from_every_format_s_header(tmp_path, ext, channels):
    import cv2

    from anim2lora.image.files import header_size

    path = tmp_path / f"p{ext}"
    picture = np.random.default_rng(0).integers(0, 255, (23, 37, channels), np.uint8)
    assert cv2.imwrite(str(path), picture[..., 0] if channels == 1 else picture)
    assert header_size(path) == (37, 23)


def test_an_out_under_a_file_is_the_systems_error_in_one_line(capsys, tmp_path, cache):
    taken = tmp_path / "taken.txt"
    taken.write_text("mine\n")
    out = taken / "sub"
    refused(capsys, tmp_path, taken, ["onegroup", cache.path, "--out", out], "taken.txt", "Not a directory")
    assert taken.read_text() == "mine\n"
