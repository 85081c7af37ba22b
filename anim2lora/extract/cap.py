"""Cap the number of kept frames, spreading the survivors evenly across shots."""

from collections import defaultdict
from typing import Dict, List, Mapping, Sequence, Set

from ..image.spread import evenly


def spread(rows: Sequence[Mapping], cap: int) -> Set[int]:
    """Source indices to keep: every shot gets an equal share, unused shares go to bigger shots."""
    by_shot: Dict[int, List[int]] = defaultdict(list)
    for r in rows:
        by_shot[r["shot"]].append(r["index"])
    shots = sorted(by_shot)
    if len(rows) <= cap:
        return {r["index"] for r in rows}
    if len(shots) >= cap:   # more shots than frames allowed: one frame from evenly spaced shots
        chosen = evenly(shots, cap)
        return {evenly(by_shot[s], 1)[0] for s in chosen}
    quota = {s: 0 for s in shots}
    left = cap
    open_shots = list(shots)
    while left > 0 and open_shots:   # water-filling: small shots give their unused share away
        share = max(1, left // len(open_shots))
        for s in list(open_shots):
            take = min(share, len(by_shot[s]) - quota[s], left)
            quota[s] += take
            left -= take
            if quota[s] >= len(by_shot[s]):
                open_shots.remove(s)
            if left == 0:
                break
    return {i for s in shots for i in evenly(by_shot[s], quota[s])}
