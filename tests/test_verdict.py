"""The verdict on constructed pictures whose answers are known: clean lines on white, the same on
a coloured backdrop, with a burned-in caption, with coloured fills, thin and thick strokes, one
figure, two, and two overlapping; through the core, the command line and the node."""

import json
import sys

import numpy as np
import pytest

from anim2lora.demo.characters import PALETTES, layer
from anim2lora.demo.people_scenes import reference_stills, scene
from anim2lora.errors import BadInputError
from anim2lora.verdict.checks import MAX_BACKGROUND, MAX_COLOUR
from anim2lora.verdict.report import compare, grid, markdown
from anim2lora.verdict.run import dataset_line_width, judge

H, W = 360, 480
PINK = (250, 200, 210)       # RGB


def figures(*placed, backdrop=(255, 255, 255), fill=False) -> np.ndarray:
    """BGR: characters (name, x in height units) laid over a flat backdrop, anti-aliased."""
    img = np.empty((H, W, 3), np.float32)
    img[:] = backdrop
    for name, x in placed:
        on_black, on_white = (a.astype(np.float32) for a in
                              layer(name, (H, W), x, 0.6, float(H), fill=PALETTES[name] if fill else None))
        img = on_black + (on_white - on_black) * img / 255
    return np.ascontiguousarray(img.round().clip(0, 255).astype(np.uint8)[..., ::-1])


def captioned(bgr: np.ndarray, words: str = "SEE YOU SOON") -> np.ndarray:
    import cv2

    out = bgr.copy()
    cv2.putText(out, words, (60, 345), cv2.FONT_HERSHEY_DUPLEX, 0.9, (0, 0, 0), 2, cv2.LINE_AA)
    return out


def frames_of_width(px: int) -> np.ndarray:
    """Black rectangle outlines exactly ``px`` wide on white."""
    img = np.full((H, W, 3), 255, np.uint8)
    for k in range(4):
        x0, y0, x1, y1 = 40 + 105 * k, 60, 120 + 105 * k, 300
        img[y0:y1, x0:x0 + px] = img[y0:y1, x1 - px:x1] = 0
        img[y0:y0 + px, x0:x1] = img[y1 - px:y1, x0:x1] = 0
    return img


def bgr_scene(kind: str, k: int = 0) -> np.ndarray:
    return np.ascontiguousarray(scene(kind, k)[0][..., ::-1])


def stills(name: str):
    return [np.ascontiguousarray(rgb[..., ::-1]) for rgb in reference_stills(name, 2)]


PICTURES = {
    "clean": lambda: figures(("A", 0.6)),
    "backdrop": lambda: figures(("A", 0.6), backdrop=PINK),
    "text": lambda: captioned(figures(("A", 0.6))),
    "fill": lambda: figures(("A", 0.6), fill=True),
    "b": lambda: figures(("B", 0.6)),
    "two": lambda: bgr_scene("both"),
    "overlap": lambda: bgr_scene("overlap"),
}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """A caption stage's folder holding clean line art of A: the reference stroke width."""
    import cv2

    folder = tmp_path_factory.mktemp("dataset")
    (folder / "img" / "10_A").mkdir(parents=True)
    for k, bgr in enumerate(stills("A")):
        cv2.imwrite(str(folder / "img" / "10_A" / f"{k}.png"), bgr)
        (folder / "img" / "10_A" / f"{k}.txt").write_text("A, lineart")
    (folder / "dataset.json").write_text(json.dumps({"groups": {"A": {"folder": "10_A", "repeats": 10,
                                                                      "keep_tokens": 1}}}))
    return folder


@pytest.fixture(scope="module")
def verdict(dataset):
    refs = {"A": stills("A"), "B": stills("B")}
    return judge([(k, make()) for k, make in PICTURES.items()], refs, "A", dataset_line_width(dataset))


@pytest.fixture(scope="module")
def by_name(verdict):
    return {i["path"]: i for i in verdict.images}


def test_clean_line_art_of_the_asked_character_passes_everything(by_name, verdict):
    clean = by_name["clean"]
    assert clean["background"] < 0.01 and clean["colour"] < 0.02
    assert clean["text_boxes"] == 0 and clean["characters"] == 1 and clean["overlap"] is False
    assert clean["limbs"] is None and clean["fails"] == []
    # the dataset was drawn with the same pen, so its width is the picture's
    assert abs(clean["line_width"] - verdict.summary["reference_width"]) <= 1.0


def test_a_coloured_backdrop_sticks_but_is_not_colour(by_name):
    back = by_name["backdrop"]
    assert back["background"] > 0.9 > MAX_BACKGROUND and back["colour"] < 0.02
    assert back["fails"] == ["background"] and back["characters"] == 1


def test_coloured_fills_are_colour_bleed_not_background(by_name):
    fill = by_name["fill"]
    assert fill["colour"] > MAX_COLOUR and fill["background"] < 0.01
    assert fill["fails"] == ["colour_bleed"]


def test_a_burned_in_caption_is_ghost_text_and_the_eyes_are_not(by_name):
    text = by_name["text"]
    assert text["text_boxes"] == 1 and text["text"][0][1] > 0.85 * H
    assert text["fails"] == ["ghost_text"] and text["characters"] == 1
    assert by_name["clean"]["text_boxes"] == 0


def test_counts_heads_and_overlap_against_what_was_asked(by_name):
    two, overlap = by_name["two"], by_name["overlap"]
    assert two["characters"] == 2 and not two["overlap"]
    assert set(two["fails"]) == {"fused_heads", "count"}, "two heads where one character was asked"
    assert overlap["overlap"] is True and "fused_heads" in overlap["fails"]


def test_resemblance_names_the_character_drawn(by_name, verdict):
    a, b, two = by_name["clean"]["resemblance"], by_name["b"]["resemblance"], by_name["two"]["resemblance"]
    assert a["A"] > a["B"] + 0.2 and b["B"] > b["A"] + 0.2
    assert min(two.values()) >= verdict.summary["match_level"], "both characters found in the pair"
    assert "stranger" in by_name["b"]["fails"], "B drawn where A was asked"
    assert by_name["b"]["who"][0][0] == "B" and "stranger" not in by_name["clean"]["fails"]


def test_a_character_who_resembles_no_reference_is_a_stranger():
    refs = {"A": stills("A"), "B": stills("B")}
    v = judge([("c", figures(("C", 0.6))), ("a", figures(("A", 0.6)))], refs)
    c, a = v.images
    assert c["characters"] == 1 and c["who"][0][1] < v.summary["match_level"] <= a["who"][0][1]
    assert c["fails"] == ["stranger"] and a["fails"] == [], "nothing asked: only strangers fail"


def test_thick_strokes_measured_against_the_reference_width():
    v = judge([("thin", frames_of_width(2)), ("thick", frames_of_width(8))], reference_width=2.0)
    thin, thick = v.images
    assert abs(thin["line_width"] - 2) <= 0.5 and abs(thick["line_width"] - 8) <= 0.5
    assert "thick_lines" in thick["fails"] and "thick_lines" not in thin["fails"]
    checks = v.summary["checks"]
    assert checks["thick_lines"]["failed"] == 1 and checks["thick_lines"]["pass"] is False
    assert checks["stranger"]["pass"] is None and checks["count"]["pass"] is None, "nothing to judge them on"


def test_summary_report_and_grid(verdict):
    s = verdict.summary
    assert s["images"] == len(PICTURES) and s["asked"] == ["A"] and s["limbs"] is None
    assert s["checks"]["missing_arms"]["measured"] is False and s["checks"]["missing_arms"]["pass"] is None
    assert s["checks"]["ghost_text"]["failed"] == 1 and s["checks"]["background"]["failed"] == 1
    assert s["pass"] is False
    md = markdown(verdict.to_json())
    for name in ("Fused heads", "Backgrounds that stick", "Thick, muddy lines", "Ghost text", "Colour bleed",
                 "Missing arms", "A stranger"):
        assert f"| {name} |" in md
    assert "| 2 | backdrop | 1.000 |" in md
    sheet = grid(verdict)
    assert sheet.dtype == np.uint8 and sheet.shape[1] == 4 * 256 and sheet.shape[2] == 3
    tile_h = sheet.shape[0] // 2

    def red_caption(k):      # numbers of failing checks are drawn in red under the picture
        r, c = divmod(k, 4)
        cap = sheet[r * tile_h + 192:(r + 1) * tile_h, c * 256:(c + 1) * 256].astype(int)
        return ((cap[..., 0] > 150) & (cap[..., 2] < 100)).sum()

    assert red_caption(0) == 0 and red_caption(1) > 20


def test_two_verdicts_side_by_side(verdict):
    data = verdict.to_json()
    clean = {"images": [data["images"][0]], "summary": {**data["summary"], "images": 1, "background": 0.0,
                                                        "text_boxes": 0}}
    table = compare(data, clean, ("v1", "v2"))
    assert table.splitlines()[0] == f"| Measure | v1 ({len(PICTURES)} pictures) | v2 (1 pictures) | Better |"
    assert "| background (mean) |" in table and "| v2 |" in table.split("background (mean)")[1].split("\n")[0]
    assert "| resemblance A (mean) |" in table


def test_asking_for_a_character_without_references_is_refused():
    with pytest.raises(BadInputError, match="ask: C"):
        judge([("clean", figures(("A", 0.6)))], {"A": stills("A")}, "A+C")


def test_the_command_line_prints_the_verdict_and_compares(tmp_path, capsys):
    import cv2

    from anim2lora.cli import main

    paths = []
    for name in ("clean", "text"):
        paths.append(str(tmp_path / f"{name}.png"))
        cv2.imwrite(paths[-1], PICTURES[name]())
    ref = tmp_path / "a.png"
    cv2.imwrite(str(ref), stills("A")[0])
    args = ["verdict", *paths, "--refs", f"A={ref}", "--ask", "A", "--line-width", "5", "--json"]
    assert main([*args, "--out", str(tmp_path / "v1")]) == 0
    out = json.loads(capsys.readouterr().out)
    first = out["images"][0]
    assert set(first) >= {"path", "background", "colour", "line_width", "text_boxes", "characters", "overlap",
                          "resemblance"}
    assert first["path"] == paths[0] and set(first["resemblance"]) == {"A"} and out["images"][1]["text_boxes"] == 1
    assert out["summary"]["checks"]["ghost_text"]["failed"] == 1
    for name in ("verdict.json", "verdict.md", "verdict.png"):
        assert (tmp_path / "v1" / name).is_file()
    assert main([*args[:2], *args[3:], "--out", str(tmp_path / "v2"), "--compare",
                 str(tmp_path / "v1" / "verdict.json")]) == 0
    again = json.loads(capsys.readouterr().out)
    assert "| text boxes per picture | 0.500 | 0.000 | this run |" in again["compare"]
    assert "| Measure | v1 (2 pictures) | this run (1 pictures) | Better |" in again["compare"], "the earlier run is named by its folder"
    from pathlib import Path

    from anim2lora.cli.verdict import run_label as _run_label

    assert [_run_label(Path(p)) for p in ("v1/verdict/verdict.json", "runs/v1_naive.json")] == ["v1", "v1_naive"]
    assert main(["verdict", paths[0], "--refs", "A", "--out", str(tmp_path / "v3")]) == 2
    assert "--refs 'A': write NAME=IMAGE" in capsys.readouterr().err


def test_the_node_judges_a_batch_and_compares_with_the_previous(pack, host_dirs):
    import torch

    nodes = pack.NODE_CLASS_MAPPINGS
    node = nodes["LineArtVerdict"]
    assert node.CATEGORY == "anim2lora/verdict" and node.OUTPUT_NODE
    rgb = lambda bgr: torch.from_numpy(np.ascontiguousarray(bgr[..., ::-1])).float() / 255   # noqa: E731
    refs, = nodes["CharacterReference"]().add("A", torch.stack([rgb(s) for s in stills("A")]))
    batch = torch.stack([rgb(PICTURES["clean"]()), rgb(PICTURES["backdrop"]())])
    first = node().judge(batch, "A", 0.0, references=refs)
    sheet, report, text, verdict = first["result"]
    data = json.loads(text)
    assert [i["path"] for i in data["images"]] == ["#1", "#2"]
    assert data["images"][1]["fails"] == ["background"] and data["images"][0]["fails"] == []
    assert tuple(sheet.shape[::3]) == (1, 3) and first["ui"]["a2l_report"] == [report]
    assert data["summary"]["checks"]["thick_lines"]["pass"] is None, "no dataset, no width given"
    second = node().judge(batch[:1], "A", 0.0, references=refs, previous=verdict)
    assert "| background (mean) | 0.500 | 0.000 | this |" in second["result"][1]
    assert sys.modules[pack.__name__ + ".nodes"].IMPORT_FAILURES == {}


def test_the_demo_samples_every_group_with_the_trained_lora_and_judges_it(tmp_path):
    """`demo --checkpoint`'s last step on the trainer's backend: two cleaned samples per group and
    a verdict per group, written beside them."""
    from anim2lora.cli.demo import demo_verdict as _demo_verdict
    from anim2lora.demo.people_scenes import reference_stills
    from trainkit import drawn_dataset, tiny_backend

    stills = {name: [rgb[..., ::-1].copy() for rgb in reference_stills(name, 1)] for name in ("A", "B")}
    verdicts, report = _demo_verdict(tiny_backend(), drawn_dataset(tmp_path / "d"), stills, tmp_path / "v")
    assert set(verdicts) == {"A", "A+B"} and all(len(v["images"]) == 2 for v in verdicts.values())
    assert (tmp_path / "v" / "verdict.md").read_text().count("###") == 2
    assert "| A+B | 2 |" in report.split("All groups together.")[1], "every group's bleed row in one table"
    assert (tmp_path / "v" / "verdict_A+B.png").is_file() and (tmp_path / "v" / "A+B_2.png").is_file()
    saved = json.loads((tmp_path / "v" / "verdict_A+B.json").read_text())
    assert saved == verdicts["A+B"], "one file per group, in the shape `verdict --compare` reads"
    from anim2lora.verdict.report import compare

    assert "| Measure |" in compare(saved, json.loads((tmp_path / "v" / "verdict_A.json").read_text()))


def test_off_white_paper_and_pale_fills_are_not_a_background_that_sticks():
    """Generated paper is rarely 255: grey 224 paper, or a pale-grey fill, is within the ink
    detector's background tolerance and passes; a pink backdrop does not."""
    from anim2lora.verdict.measures import look

    assert look(figures(("A", 0.6), backdrop=(224, 224, 224))).background <= MAX_BACKGROUND
    assert look(figures(("A", 0.6), backdrop=(230, 238, 246))).background <= MAX_BACKGROUND   # cream
    assert look(figures(("A", 0.6), backdrop=PINK)).background > MAX_BACKGROUND


def test_a_picture_with_nobody_in_it_fails_the_count_not_the_resemblance():
    blank = np.full((H, W, 3), 255, np.uint8)
    verdict = judge([("blank", blank), ("a", figures(("A", 0.6)))], {"A": stills("A"), "B": stills("B")}, "A",
                    5.5).to_json()
    first = verdict["images"][0]
    assert first["resemblance"] == {"A": None, "B": None} and first["line_width"] is None
    assert "count" in first["fails"] and "stranger" not in first["fails"]
    # the mean resemblance is over pictures where someone was found: the blank one does not halve it
    assert verdict["summary"]["resemblance"]["A"] == verdict["images"][1]["resemblance"]["A"]
    assert verdict["summary"]["line_width"] == verdict["images"][1]["line_width"]
