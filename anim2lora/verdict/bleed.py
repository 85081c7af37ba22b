"""Bleed between characters: asked for A, did the LoRA draw A, B, both, or nobody it was taught?

Each picture gets one label from the characters found in it, each named after the reference it
resembles most when that resemblance reaches the embedder's match level (the level GroupSplit
names characters at):
- ``A``, ``B``, ``A+B``: exactly the characters found, in reference order; a name twice is
  written twice (``A+A``), so ``A+B`` means two characters, one named A and one named B;
- ``?`` stands in a label for a character who resembles nobody well enough (``A+?``);
- ``fused``: bodies overlap (PersonCountFilter's flag), so who is who cannot be told;
- ``neither``: nobody found, or nobody found resembles any reference.

The confusion table counts labels per asked group (one verdict is one row; ``merge`` joins the
verdicts of A, B and A+B into the whole table).  Per row: ``as_asked`` (the label is the ask: for
A+B, both present and apart), ``bleed`` (a character who was not asked is drawn: asked A, the
picture resembles B more than A) and ``neither``.
"""

from typing import Dict, List, Optional, Sequence

STRANGER, FUSED, NEITHER = "?", "fused", "neither"
NOT_ASKED = ""          # the row of pictures judged without an ask


def drawn(image: dict, names: Sequence[str], match: float) -> str:
    """One picture's label (see the module's docstring).  ``image``: a verdict's per-picture
    measures (``who``: [nearest name, similarity] per character found; ``overlap``)."""
    if image["overlap"]:
        return FUSED
    called = [name if similarity >= match else STRANGER for name, similarity in image["who"]]
    if all(c == STRANGER for c in called):
        return NEITHER
    return group_label(called, names)


def group_label(parts: Sequence[str], names: Sequence[str]) -> str:
    """``parts`` joined in reference order, as GroupSplit names its groups (B+A is A+B)."""
    order = {n: k for k, n in enumerate(names)}
    return "+".join(sorted(parts, key=lambda p: order.get(p, len(order))))


def _order(label: str, names: Sequence[str]) -> tuple:
    """Columns as GroupSplit orders groups (A, B, then A+B), strangers' labels after, then fused
    and neither."""
    if label in (FUSED, NEITHER):
        return (1, (FUSED, NEITHER).index(label), ())
    order = {n: k for k, n in enumerate(names)}
    parts = label.split("+")
    return (0, len(parts), tuple(order.get(p, len(order)) for p in parts))


def confusion(images: Sequence[dict], asked: Sequence[str], names: Sequence[str]) -> Optional[dict]:
    """One verdict's row of the table (its ask's), from each image's ``drawn``; None without
    references (nobody can be named)."""
    if not names:
        return None
    drawn_here: Dict[str, int] = {}
    for image in images:
        drawn_here[image["drawn"]] = drawn_here.get(image["drawn"], 0) + 1
    row = group_label(asked, names) if asked else NOT_ASKED
    return _table(list(names), {row: drawn_here})


def merge(tables: Sequence[Optional[dict]]) -> Optional[dict]:
    """Several verdicts' tables (say those of A, B and A+B) as one; the same ask twice adds up.
    Every table must name the same characters."""
    tables = [t for t in tables if t]
    if not tables:
        return None
    names = tables[0]["names"]
    for t in tables[1:]:
        if t["names"] != names:
            raise ValueError(f"bleed tables name other characters ({', '.join(t['names'])} against "
                             f"{', '.join(names)}): judge every batch against the same references")
    rows: Dict[str, Dict[str, int]] = {}
    for t in tables:
        for ask, row in t["rows"].items():
            into = rows.setdefault(ask, {})
            for label, n in row["drawn"].items():
                into[label] = into.get(label, 0) + n
    return _table(names, rows)


def _table(names: List[str], counts: Dict[str, Dict[str, int]]) -> dict:
    labels = {*names, FUSED, NEITHER, *(a for a in counts if a), *(d for row in counts.values() for d in row)}
    columns = sorted(labels, key=lambda label: _order(label, names))
    rows = {}
    for ask in sorted(counts, key=lambda a: _order(a, names) if a else (2,)):
        here = counts[ask]
        n = sum(here.values())
        wanted = set(ask.split("+")) if ask else set()
        bleed = sum(k for label, k in here.items() if label not in (FUSED, NEITHER)
                    and any(p in names and p not in wanted for p in label.split("+"))) if ask else None
        rows[ask] = {"pictures": n, "drawn": {c: here.get(c, 0) for c in columns},
                     "as_asked": here.get(ask, 0) if ask else None, "bleed": bleed,
                     "neither": here.get(NEITHER, 0)}
    return {"names": names, "columns": columns, "rows": rows}


def share(count: Optional[int], row: dict) -> Optional[float]:
    return None if count is None else count / max(1, row["pictures"])
