"""Bleed between characters on constructed pictures whose answers are known: the demo's A and B
(and C, a stranger to the references) drawn alone, side by side, overlapping, or not at all, each
batch judged as asked for A, B or A+B; the exact confusion table, in the JSON, the report, the
grid, the comparison, on the command line and in the node."""

import json

import numpy as np
import pytest

from anim2lora.verdict.bleed import drawn, merge
from anim2lora.verdict.report import bleed_table, compare, grid, markdown
from anim2lora.verdict.run import judge
from test_verdict import H, W, bgr_scene, figures, stills

BLANK = np.full((H, W, 3), 255, np.uint8)
COLUMNS = ["A", "B", "A+B", "fused", "neither"]


def alone(name: str) -> np.ndarray:
    return figures((name, 0.6))


# per ask: (picture name, picture, the label it must get)
BATCHES = {
    "A": [("A drawn", alone("A"), "A"), ("B drawn", alone("B"), "B"), ("nobody", BLANK, "neither")],
    "B": [("B drawn", alone("B"), "B"), ("A drawn", alone("A"), "A"), ("a stranger", alone("C"), "neither")],
    # asked in the other order: the row is still A+B, as GroupSplit names the group
    "B+A": [("both, apart", bgr_scene("both"), "A+B"), ("A only", alone("A"), "A"),
            ("both, overlapping", bgr_scene("overlap"), "fused"), ("nobody", BLANK, "neither")],
}


@pytest.fixture(scope="module")
def refs():
    return {"A": stills("A"), "B": stills("B")}


@pytest.fixture(scope="module")
def verdicts(refs):
    return {ask: judge([(name, bgr) for name, bgr, _ in batch], refs, ask) for ask, batch in BATCHES.items()}


def row(drawn_counts: dict, as_asked, bleed, neither) -> dict:
    return {"pictures": sum(drawn_counts.values()), "drawn": {c: drawn_counts.get(c, 0) for c in COLUMNS},
            "as_asked": as_asked, "bleed": bleed, "neither": neither}


def test_every_picture_is_labelled_with_who_was_drawn(verdicts):
    for ask, batch in BATCHES.items():
        assert [i["drawn"] for i in verdicts[ask].images] == [label for _, _, label in batch], ask


def test_the_confusion_table_over_the_three_asks_is_exact(verdicts):
    table = merge([verdicts[ask].summary["bleed"] for ask in ("B+A", "B", "A")])
    assert table["names"] == ["A", "B"] and table["columns"] == COLUMNS
    assert table["rows"] == {
        "A": row({"A": 1, "B": 1, "neither": 1}, as_asked=1, bleed=1, neither=1),
        "B": row({"B": 1, "A": 1, "neither": 1}, as_asked=1, bleed=1, neither=1),
        "A+B": row({"A+B": 1, "A": 1, "fused": 1, "neither": 1}, as_asked=1, bleed=0, neither=1),
    }
    assert list(table["rows"]) == ["A", "B", "A+B"], "solo groups first, as GroupSplit orders them"


def test_one_verdict_holds_its_own_row(verdicts):
    alone_a = verdicts["A"].summary["bleed"]
    assert list(alone_a["rows"]) == ["A"] and alone_a["columns"] == ["A", "B", "fused", "neither"]
    assert alone_a["rows"]["A"]["drawn"] == {"A": 1, "B": 1, "fused": 0, "neither": 1}
    data = json.loads(json.dumps(verdicts["A"].to_json()))
    assert data["summary"]["bleed"] == alone_a and [i["drawn"] for i in data["images"]] == ["A", "B", "neither"]


def test_labels_name_every_character_found_in_reference_order():
    names, match = ["A", "B", "C"], 0.6

    def label(*who, overlap=False):
        return drawn({"who": [list(w) for w in who], "overlap": overlap}, names, match)

    assert label(("B", 0.9), ("A", 0.7)) == "A+B"
    assert label(("A", 0.9), ("A", 0.8)) == "A+A", "the same character twice is not a pair"
    assert label(("A", 0.9), ("B", 0.5)) == "A+?", "a stranger beside A"
    assert label(("B", 0.5)) == label() == "neither"
    assert label(("A", 0.9), ("B", 0.9), overlap=True) == "fused"
    assert label(("C", 0.6)) == "C", "the match level itself names"


def test_three_characters_share_one_table(refs):
    """N characters: the table runs over every reference, and asked A, C drawn is bleed as B is."""
    three = {**refs, "C": stills("C")}
    asked_a = judge([("C drawn", alone("C")), ("A drawn", alone("A"))], three, "A").summary["bleed"]
    pair = judge([("A and C", figures(("A", 0.4), ("C", 0.95)))], three, "A+C").summary["bleed"]
    table = merge([asked_a, pair])
    assert table["columns"] == ["A", "B", "C", "A+C", "fused", "neither"]
    assert table["rows"]["A"]["drawn"] == {"A": 1, "B": 0, "C": 1, "A+C": 0, "fused": 0, "neither": 0}
    assert table["rows"]["A"]["bleed"] == 1 and table["rows"]["A+C"]["as_asked"] == 1
    assert table["rows"]["A+C"]["bleed"] == 0
    md = bleed_table(table)
    assert "| A | 2 | 1 | 0 | 1 | 0 | 0 | 0 | 1/2 | 1/2 |" in md
    assert "| A+C | 1 | 0 | 0 | 0 | 1 | 0 | 0 | 1/1 | 0/1 |" in md
    table_cmp = compare({"summary": {**_bare(1), "bleed": asked_a}}, {"summary": {**_bare(1), "bleed": None}})
    assert "| bleed, asked A: B/C drawn (share) | 0.500 | – | – |" in table_cmp


def _bare(n: int) -> dict:
    """A summary with nothing in it but the bleed table under test (every other measure unknown)."""
    checks = {k: {"failed": None} for k in ("fused_heads", "background", "thick_lines", "ghost_text",
                                            "colour_bleed", "count", "stranger", "missing_arms")}
    return {"images": n, "reference_width": None, "background": None, "colour": None, "line_width": None,
            "text_boxes": None, "count_errors": None, "overlap": None, "resemblance": {}, "checks": checks}


def test_without_references_nothing_is_named(verdicts):
    v = judge([("A drawn", alone("A"))], None, "")
    assert v.summary["bleed"] is None and v.images[0]["drawn"] is None
    assert "Bleed between characters" not in markdown(v.to_json())


def test_tables_of_other_characters_do_not_merge(verdicts):
    other = {**verdicts["A"].summary["bleed"], "names": ["A", "C"]}
    with pytest.raises(ValueError, match="same references"):
        merge([verdicts["A"].summary["bleed"], other])


def test_the_report_and_the_grid_show_who_was_drawn(verdicts):
    md = markdown(verdicts["B+A"].to_json())
    assert "| Asked | Pictures | A | B | A+B | fused | neither | As asked | Another character drawn |" in md
    assert "| A+B | 4 | 1 | 0 | 1 | 1 | 1 | 1/4 | 0/4 |" in md
    rows = [line for line in md.splitlines() if line.startswith("| 1 | both, apart |")]
    assert rows[0].endswith("| A+B | – |") and "| A | B | Drawn | Fails |" in md
    sheet = grid(verdicts["A"])
    tile_h = sheet.shape[0]

    def red_last_line(k):      # the tile's last caption line: who was drawn, red where not who was asked
        line = sheet[tile_h - 17:tile_h, k * 256:(k + 1) * 256].astype(int)
        return ((line[..., 0] > 150) & (line[..., 2] < 100)).sum()

    assert red_last_line(0) == 0 and red_last_line(1) > 20 and red_last_line(2) > 20


def test_v1_and_v2_bleed_side_by_side(verdicts):
    v1 = verdicts["A"].to_json()
    v2 = judge([("A drawn", alone("A"))], {"A": stills("A"), "B": stills("B")}, "A").to_json()
    table = compare(v1, v2, ("v1", "v2"))
    assert "| asked A: drawn as asked (share) | 0.333 | 1.000 | v2 |" in table
    assert "| bleed, asked A: B drawn (share) | 0.333 | 0.000 | v2 |" in table
    assert "| asked A: neither drawn (share) | 0.333 | 0.000 | v2 |" in table
    pair = compare(verdicts["B+A"].to_json(), verdicts["B+A"].to_json())
    assert "| asked A+B: both drawn, apart (share) | 0.250 | 0.250 | same |" in pair
    assert "bleed, asked A+B" not in pair, "with two characters nobody else can bleed into a pair"
    # a verdict written before the table compares: its bleed rows are unknown, not zero
    old = json.loads(json.dumps(v1))
    del old["summary"]["bleed"]
    for image in old["images"]:
        del image["drawn"]
    assert "| bleed, asked A: B drawn (share) | – | 0.000 | – |" in compare(old, v2)
    assert "| A | B | Drawn | Fails |" in markdown(old)


def test_the_command_line_compares_bleed_between_runs(tmp_path, capsys):
    import cv2

    from anim2lora.cli import main

    refs = []
    for name in ("A", "B"):
        refs.append(f"{name}={tmp_path / name}.png")
        cv2.imwrite(str(tmp_path / f"{name}.png"), stills(name)[0])
    runs = {"v1": ("A drawn", "B drawn"), "v2": ("A drawn",)}
    for run, pictures in runs.items():
        paths = []
        for picture in pictures:
            paths.append(str(tmp_path / f"{run}_{picture.replace(' ', '_')}.png"))
            cv2.imwrite(paths[-1], alone(picture[0]))
        extra = ["--compare", str(tmp_path / "v1" / "verdict.json")] if run == "v2" else []
        assert main(["verdict", *paths, "--refs", *refs, "--ask", "A", "--out", str(tmp_path / run), "--json",
                     *extra]) == 0
        out = json.loads(capsys.readouterr().out)
    assert out["summary"]["bleed"]["rows"]["A"]["drawn"]["A"] == 1
    assert "| bleed, asked A: B drawn (share) | 0.500 | 0.000 | this run |" in out["compare"]
    assert "| A | 2 | 1 | 1 | 0 | 0 | 1/2 | 1/2 |" in (tmp_path / "v1" / "verdict.md").read_text()


def test_the_node_reports_the_table(pack, host_dirs, refs):
    import torch

    nodes = pack.NODE_CLASS_MAPPINGS
    rgb = lambda bgr: torch.from_numpy(np.ascontiguousarray(bgr[..., ::-1])).float() / 255   # noqa: E731
    references, = nodes["CharacterReference"]().add("A", torch.stack([rgb(s) for s in refs["A"]]))
    references, = nodes["CharacterReference"]().add("B", torch.stack([rgb(s) for s in refs["B"]]), references)
    batch = torch.stack([rgb(alone("A")), rgb(alone("B"))])
    _, report, text, _ = nodes["LineArtVerdict"]().judge(batch, "A", 0.0, references=references)["result"]
    assert json.loads(text)["summary"]["bleed"]["rows"]["A"]["bleed"] == 1
    assert "| A | 2 | 1 | 1 | 0 | 0 | 1/2 | 1/2 |" in report
