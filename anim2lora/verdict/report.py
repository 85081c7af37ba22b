"""The verdict as people read it: the write-up's failure table in numbers (markdown), one row
per picture, the bleed between characters, two verdicts side by side, and the pictures with their
numbers drawn on them."""

from typing import List, Optional

import numpy as np

from ..preview import tile_grid
from .bleed import FUSED, NEITHER, NOT_ASKED, STRANGER, group_label, share
from .checks import CHECKS

TILE = 256          # grid tile width, px
COLS = 4
LINE_PX = 15        # caption line height under each tile
CAPTION_LINES = 5
RED, DARK = (40, 40, 220), (30, 30, 30)     # BGR


def _verdict(check: dict) -> str:
    return "not measured" if check["pass"] is None else ("pass" if check["pass"] else "FAIL")


def _num(value, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def markdown(verdict: dict) -> str:
    """``verdict``: a ``Verdict.to_json()``."""
    s, images = verdict["summary"], verdict["images"]
    n = s["images"]
    asked = "+".join(s["asked"]) or "(not given)"
    width = f"{s['reference_width']:.2f} px" if s["reference_width"] else "(no dataset)"
    out = [f"## Verdict: {n} pictures, asked {asked}, dataset stroke width {width}", "",
           "| Failure (write-up) | Rule | Pictures failing | Verdict |", "|---|---|---|---|"]
    for key, name, _ in CHECKS:
        c = s["checks"][key]
        failed = "–" if c["failed"] is None else f"{c['failed']}/{n}"
        out.append(f"| {name} | {c['rule']} | {failed} | {_verdict(c)} |")
    names = list(s["resemblance"])
    out += ["", f"Means: background {s['background']:.3f}, colour {s['colour']:.3f}, median line width "
            f"{_num(s['line_width'], 2)} px, {s['text_boxes']} text boxes, {s['characters']:.2f} characters a picture, "
            f"{s['overlap']} with overlapping bodies" + "".join(f", resemblance {m} {_num(v, 3)}"
                                                                 for m, v in s["resemblance"].items()) + ".", "",
            "| # | Picture | Background | Colour | Line width | Text boxes | Characters | Heads | Overlap | "
            + "".join(f"{m} | " for m in names) + "Drawn | Fails |",
            "|---" * (11 + len(names)) + "|"]
    for k, i in enumerate(images, 1):
        out.append(f"| {k} | {i['path']} | {i['background']:.3f} | {i['colour']:.3f} | {_num(i['line_width'], 2)} | "
                   f"{i['text_boxes']} | {i['characters']} | {i['heads']} | {'yes' if i['overlap'] else 'no'} | "
                   + "".join(f"{_num(i['resemblance'].get(m), 3)} | " for m in names)
                   + f"{i.get('drawn') or '–'} | " + (", ".join(i["fails"]) or "–") + " |")
    if s.get("bleed"):
        out += ["", bleed_table(s["bleed"])]
    out.extend(f"- {note}" for note in s.get("notes", ()))
    return "\n".join(out)


def bleed_table(table: dict) -> str:
    """The confusion table (``bleed.confusion`` or ``bleed.merge``) as markdown: one row per
    asked group, one column per label drawn."""
    columns = table["columns"]
    out = ["Bleed between characters: per group asked, who was drawn (each character found named after the "
           f"reference it resembles most, at the match level or above; {STRANGER}: a character like nobody; "
           f"{FUSED}: bodies overlap; {NEITHER}: nobody found, or nobody like a reference). As asked, for a pair: "
           "both found, apart.", "",
           "| Asked | Pictures | " + "".join(f"{c} | " for c in columns) + "As asked | Another character drawn |",
           "|---" * (4 + len(columns)) + "|"]
    for ask, row in table["rows"].items():
        n = row["pictures"]
        out.append(f"| {ask or '(not given)'} | {n} | " + "".join(f"{row['drawn'][c]} | " for c in columns)
                   + ("–" if row["as_asked"] is None else f"{row['as_asked']}/{n}") + " | "
                   + ("–" if row["bleed"] is None else f"{row['bleed']}/{n}") + " |")
    return "\n".join(out)


def _per_picture(value, s: dict):
    return None if value is None else value / max(1, s["images"])


# (label, how to read it from a summary, which way is better); counts are per picture, so
# batches of different sizes compare
def _rows(a: dict, b: dict, ref: Optional[float]) -> List[tuple]:
    rows = [("background (mean)", lambda s: s["background"], "lower"),
            ("colour (mean)", lambda s: s["colour"], "lower"),
            (f"line width (median px; dataset {ref:.2f})" if ref else "line width (median px)",
             lambda s: s["line_width"], "closer" if ref else "lower"),
            ("text boxes per picture", lambda s: _per_picture(s["text_boxes"], s), "lower"),
            ("count errors per picture", lambda s: _per_picture(s["count_errors"], s), "lower"),
            ("share with overlapping bodies", lambda s: _per_picture(s["overlap"], s), "lower")]
    for m in dict.fromkeys([*a["resemblance"], *b["resemblance"]]):
        rows.append((f"resemblance {m} (mean)", lambda s, m=m: s["resemblance"].get(m), "higher"))
    for key, name, _ in CHECKS:
        rows.append((f"{name}: share failing", lambda s, key=key: _per_picture(s["checks"][key]["failed"], s),
                     "lower"))
    return rows + _bleed_rows(a, b)


def _bleed_share(s: dict, ask: str, key: str) -> Optional[float]:
    """A share of one asked group's pictures; None where the verdict has no such row (another
    group asked, no references, or a verdict from before the table)."""
    row = ((s.get("bleed") or {}).get("rows") or {}).get(ask)
    return None if row is None else share(row[key], row)


def _bleed_rows(a: dict, b: dict) -> List[tuple]:
    """Per group asked in either verdict: how often it was drawn as asked, with someone else in it,
    and with nobody it was taught; shares, so batches of different sizes compare."""
    tables = [s["bleed"] for s in (a, b) if s.get("bleed")]
    names = list(dict.fromkeys(n for t in tables for n in t["names"]))
    rows = []
    for ask in dict.fromkeys(k for t in tables for k in t["rows"] if k != NOT_ASKED):
        wanted = ask.split("+")
        others = [n for n in names if n not in wanted]
        rows.append((f"asked {ask}: {'both drawn, apart' if len(wanted) > 1 else 'drawn as asked'} (share)",
                     lambda s, ask=ask: _bleed_share(s, ask, "as_asked"), "higher"))
        if others:
            rows.append((f"bleed, asked {ask}: {'/'.join(others)} drawn (share)",
                         lambda s, ask=ask: _bleed_share(s, ask, "bleed"), "lower"))
        rows.append((f"asked {ask}: {NEITHER} drawn (share)", lambda s, ask=ask: _bleed_share(s, ask, "neither"),
                     "lower"))
    return rows


def _better(x, y, way: str, ref: Optional[float], names) -> str:
    if x is None or y is None or x == y:
        return "–" if x is None or y is None else "same"
    if way == "closer":
        x, y = abs(x - ref), abs(y - ref)
        if x == y:
            return "same"
    first = x > y if way == "higher" else x < y
    return names[0] if first else names[1]


def compare(a: dict, b: dict, names=("v1", "v2")) -> str:
    """Two verdicts (``Verdict.to_json()``) side by side: both numbers and which is better."""
    sa, sb = a["summary"], b["summary"]
    ref = sa["reference_width"] or sb["reference_width"]
    out = [f"| Measure | {names[0]} ({sa['images']} pictures) | {names[1]} ({sb['images']} pictures) | Better |",
           "|---|---|---|---|"]
    for label, get, way in _rows(sa, sb, ref):
        x, y = get(sa), get(sb)
        out.append(f"| {label} | {_num(x, 3)} | {_num(y, 3)} | {_better(x, y, way, ref, names)} |")
    return "\n".join(out)


def _caption(k: int, image: dict, asked: str) -> List[tuple]:
    """(text, colour) lines under a tile: the numbers, each red where it fails its check, and who
    was drawn, red where that is not who was asked."""
    fails = set(image["fails"])
    res = " ".join(f"{m} {_num(v, 2)}" for m, v in image["resemblance"].items())
    return [(f"#{k}  bg {image['background']:.2f}  col {image['colour']:.2f}",
             RED if fails & {"background", "colour_bleed"} else DARK),
            (f"line {_num(image['line_width'], 1)}px  text {image['text_boxes']}", RED if fails & {"thick_lines", "ghost_text"}
             else DARK),
            (f"chars {image['characters']} heads {image['heads']}{' OVERLAP' if image['overlap'] else ''}",
             RED if fails & {"fused_heads", "count"} else DARK),
            (res or "no references", RED if "stranger" in fails else DARK),
            _drawn_line(image.get("drawn"), asked)]


def _drawn_line(label: Optional[str], asked: str) -> tuple:
    if label is None:
        return "", DARK
    return (f"drawn {label}" + (f" (asked {asked})" if asked else ""),
            RED if asked and label != asked else DARK)


def grid(verdict, width: int = TILE) -> np.ndarray:
    """RGB uint8: every picture judged (a ``Verdict``) with its boxes (text red, characters
    green) and its numbers under it."""
    import cv2

    tiles = []
    table = verdict.summary.get("bleed")
    asked = group_label(verdict.summary["asked"], table["names"]) if table else ""
    aspect = max(p.shape[0] / p.shape[1] for p in verdict.pictures)
    pic_h = max(1, round(width * aspect))
    for n, (picture, image) in enumerate(zip(verdict.pictures, verdict.images), 1):
        scale = width / picture.shape[1]
        tile = np.full((pic_h + CAPTION_LINES * LINE_PX + 6, width, 3), 255, np.uint8)
        tile[:round(picture.shape[0] * scale)] = cv2.resize(picture, (width, round(picture.shape[0] * scale)),
                                                           interpolation=cv2.INTER_AREA)
        for rects, colour in ((image["people"], (60, 170, 60)), (image["text"], RED)):
            for x0, y0, x1, y1 in rects:
                cv2.rectangle(tile, (int(x0 * scale), int(y0 * scale)), (int(x1 * scale), int(y1 * scale)), colour, 1)
        for k, (text, colour) in enumerate(_caption(n, image, asked)):
            cv2.putText(tile, text, (4, pic_h + (k + 1) * LINE_PX), cv2.FONT_HERSHEY_SIMPLEX, 0.4, colour, 1,
                        cv2.LINE_AA)
        tiles.append(tile)
    cols = min(COLS, len(tiles))
    return cv2.cvtColor(tile_grid(tiles, cols, tiles[0].shape[:2]), cv2.COLOR_BGR2RGB)
