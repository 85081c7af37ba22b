"""Which frames a filter node shows in the browser: a capped, even sample of its kept and its
rejected frames, every reason represented, so an hours-long video never floods the websocket.

Host-free: it picks rows and their picture files; the node adapter turns each file into a
reference the browser can fetch (``nodes.bridge.view_ref``)."""

from pathlib import Path
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Tuple

from .frameset import FrameSet
from .image.spread import evenly_with_ends

PER_SIDE = 48        # frames shown per side (kept, rejected)

Labelled = Tuple[str, Mapping, Optional[Path]]      # (reason or group, row, picture file)


def _quotas(sizes: Mapping[str, int], cap: int) -> Dict[str, int]:
    """Frames per label within ``cap``: one for every label first (the largest labels first when
    there are more labels than places), the rest in proportion to each label's size."""
    order = sorted(sizes, key=lambda k: (-sizes[k], k))
    quota = {k: 0 for k in sizes}
    for k in order[:cap]:
        quota[k] = 1
    left = cap - sum(quota.values())
    while left > 0:
        open_ = [k for k in order if quota[k] < sizes[k]]
        if not open_:
            break
        # the label furthest below its share of the places gets the next one
        k = min(open_, key=lambda k: (quota[k] / sizes[k], -sizes[k]))
        quota[k] += 1
        left -= 1
    return quota


def choose(labelled: Iterable[Labelled], cap: int = PER_SIDE) -> List[Labelled]:
    """At most ``cap`` of ``labelled``, every label represented, each label's frames spread evenly
    over the set; in frame order."""
    by_label: Dict[str, List[Labelled]] = {}
    for item in labelled:
        by_label.setdefault(item[0], []).append(item)
    quota = _quotas({k: len(v) for k, v in by_label.items()}, cap)
    picked = [item for k, items in by_label.items() for item in evenly_with_ends(items, quota[k])]
    return sorted(picked, key=lambda item: (item[1].get("index", 0), item[0]))


def _entry(kept: bool, item: Labelled) -> dict:
    label, row, path = item
    time = row.get("time")
    return {"kept": kept, "reason": label, "index": row.get("index"),
            "time": round(float(time), 3) if time is not None else None, "path": path}


def gallery(kept: Iterable[Labelled], rejected: Iterable[Labelled], cap: int = PER_SIDE) -> dict:
    """The sample to show: totals per side and per reason, and the chosen frames among those with
    a picture (extraction keeps none of a frame dropped as 'similar'), each with ``kept``,
    ``reason``, ``index``, ``time`` and ``path``."""
    kept, rejected = list(kept), list(rejected)
    by_reason: Dict[str, int] = {}
    for label, _, _ in rejected:
        by_reason[label] = by_reason.get(label, 0) + 1
    shown = [_entry(side, i) for side, items in ((True, kept), (False, rejected))
             for i in choose([i for i in items if i[2] is not None], cap)]
    return {"kept": len(kept), "rejected": len(rejected), "by_reason": by_reason, "frames": shown}


def _rows(frames: FrameSet, rows: Iterable[Mapping], label: Callable[[Mapping], str]) -> List[Labelled]:
    return [(label(r), r, frames.thumb_path(r)) for r in rows]


def framing_label(row: Mapping) -> str:
    """The framings of a counted frame's characters ("close-up + medium"); empty before counting."""
    return " + ".join(p["framing"] for p in row.get("people", ()) if p.get("framing"))


def filter_gallery(frames: FrameSet, cap: int = PER_SIDE) -> dict:
    """A filter's output set (its kept rows, labelled with their characters' framings once
    counted, and its dropped rows with ``dropped`` the reason)."""
    return gallery(_rows(frames, frames.kept, framing_label), _rows(frames, frames.dropped, lambda r: r["dropped"]), cap)


def split_gallery(groups: Mapping[str, FrameSet], rejected: FrameSet, cap: int = PER_SIDE) -> dict:
    """GroupSplit's: the grouped frames labelled with their group, the rejected with their reason."""
    kept = [item for g, s in groups.items() for item in _rows(s, s.kept, lambda r, g=g: g)]
    return gallery(kept, _rows(rejected, rejected.kept, lambda r: r.get("reason") or "rejected"), cap)
