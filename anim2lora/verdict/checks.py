"""The source write-up's failures as pass/fail rules on the measured numbers.

Thresholds, and why:
- background > 5 % of the paper not white: a LoRA trained on pure-white line art leaves a few
  per cent (a shadow, grain); a backdrop that stuck covers most of it.
- colour > 0.08 mean chroma of strokes and fills: black lines measure about 0, even a pale skin
  fill about 0.25, so a tenth of the drawing in colour fails.
- stroke width over 1.5 times the dataset's: one pixel either way is the measure's own jitter on
  2-3 px lines; half as wide again is the "thick, muddy" look.
- any OCR box the text filter would call text is ghost text.
- overlapping bodies, or more heads than characters asked, are fused heads.
- an asked character whose best resemblance is under the embedder's own match level (the one
  GroupSplit names characters with), or a character found who resembles nobody that well, is a
  stranger.
Checks that cannot be measured (no dataset width, no references, no ``ask``, no limb detector)
say so instead of passing.
"""

from typing import Dict, List, Optional, Sequence

MAX_BACKGROUND = 0.05
MAX_COLOUR = 0.08
MAX_WIDTH_RATIO = 1.5
LIMBS_NOTE = "not measured: no pose or part detector ships with the pack"

# key, the write-up's name, the rule as the report prints it
CHECKS = (
    ("fused_heads", "Fused heads", "bodies overlap, or more heads than characters asked"),
    ("background", "Backgrounds that stick", f"background > {MAX_BACKGROUND:.2f}"),
    ("thick_lines", "Thick, muddy lines", f"line width > {MAX_WIDTH_RATIO} x the dataset's"),
    ("ghost_text", "Ghost text", "any text box"),
    ("colour_bleed", "Colour bleed", f"colour > {MAX_COLOUR:.2f}"),
    ("count", "Wrong character count", "characters != characters asked"),
    ("stranger", "A stranger", "an asked or found character's resemblance < the embedder's match level"),
    ("missing_arms", "Missing arms", LIMBS_NOTE),
)


def measured(key: str, asked: Sequence[str], names: Sequence[str], reference_width: Optional[float]) -> bool:
    """Whether a check has what it needs."""
    return {"thick_lines": bool(reference_width), "count": bool(asked), "stranger": bool(names),
            "missing_arms": False}.get(key, True)


def failures(image: dict, asked: Sequence[str], names: Sequence[str], reference_width: Optional[float],
             match: float) -> List[str]:
    """The checks one picture's numbers fail."""
    fails = {
        "fused_heads": image["overlap"] or (bool(asked) and image["heads"] > len(asked)),
        "background": image["background"] > MAX_BACKGROUND,
        "thick_lines": image["line_width"] is not None and image["line_width"] > MAX_WIDTH_RATIO * (reference_width or 0),
        "ghost_text": image["text_boxes"] > 0,
        "colour_bleed": image["colour"] > MAX_COLOUR,
        "count": image["characters"] != len(asked),
        # judged on the characters found; none found is the count check's failure, not this one's
        "stranger": bool(image["who"]) and (
            any((image["resemblance"].get(n) or 0.0) < match for n in asked)
            or any(similarity < match for _, similarity in image["who"])),
    }
    return [key for key, _, _ in CHECKS if measured(key, asked, names, reference_width) and fails.get(key)]


def summarise(images: List[dict], asked: Sequence[str], names: Sequence[str], reference_width: Optional[float],
              match: float) -> dict:
    n = len(images)

    def mean(key: str) -> float:
        return round(sum(i[key] for i in images) / n, 4) if n else 0.0

    widths = sorted(i["line_width"] for i in images if i["line_width"] is not None)

    def found_mean(name: str):
        values = [i["resemblance"][name] for i in images if i["resemblance"].get(name) is not None]
        return round(sum(values) / len(values), 4) if values else None

    checks: Dict[str, dict] = {}
    for key, name, rule in CHECKS:
        ok = measured(key, asked, names, reference_width)
        failed = sum(key in i["fails"] for i in images)
        checks[key] = {"name": name, "rule": rule, "measured": ok, "failed": failed if ok else None,
                       "pass": (failed == 0) if ok else None}
    return {"images": n, "asked": list(asked), "reference_width": reference_width, "match_level": round(match, 4),
            "background": mean("background"), "colour": mean("colour"),
            "line_width": widths[len(widths) // 2] if widths else None, "text_boxes": sum(i["text_boxes"] for i in images),
            "characters": mean("characters"), "overlap": sum(i["overlap"] for i in images),
            "count_errors": sum(abs(i["characters"] - len(asked)) for i in images) if asked else None,
            "resemblance": {m: found_mean(m) for m in names},
            "limbs": None, "checks": checks,
            "pass": all(c["pass"] is not False for c in checks.values())}
