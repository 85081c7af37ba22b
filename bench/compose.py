"""PairCompose's pass rate and a held-out check, on the demo clip and the generated people clips.

    python bench/compose.py [--count 24] [--work DIR] [--sets demo,people-line,people-colour]

Each set goes through the pipeline as a user runs it (extract, text filter for the demo clip,
count, GroupSplit with the drawn reference stills), then PairCompose.  Printed per set: the
composed pictures kept, the share of the pictures laid out that passed their own checks (text,
count, overlap, placement, names), the rejects by reason, and the held-out check: the verdict's
analyzers reading the saved files back, and the share they label as the pair (A+B).  Figures, not
timings: the seconds are printed only to size a run.
"""

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from anim2lora.cli.compose import recheck  # noqa: E402
from anim2lora.compose.run import compose  # noqa: E402
from anim2lora.compose.settings import ComposeSettings  # noqa: E402
from anim2lora.demo.people_scenes import reference_stills, write_people_clip  # noqa: E402
from anim2lora.extract.run import extract  # noqa: E402
from anim2lora.people.export import write_groups  # noqa: E402
from anim2lora.people.groups import group_split  # noqa: E402
from anim2lora.people.run import count_people  # noqa: E402


def _groups(name: str, work: Path):
    """(GroupSets, reference stills) of one set, made as the demo command and the tests make them."""
    if name == "demo":
        from anim2lora.demo.clip import write_clip
        from anim2lora.text.run import text_filter

        video = work / "demo.mp4"
        write_clip(video)
        frames = text_filter(extract(video, work / "cache").frames).kept
        refs = {n: [s[..., ::-1].copy() for s in reference_stills(n, 2)] for n in ("A", "B")}
    else:
        style = name.split("-", 1)[1]
        video = work / "people.mp4"
        write_people_clip(video, style=style)
        frames = extract(video, work / "cache").frames
        refs = {n: [s[..., ::-1].copy() for s in reference_stills(n, 3, 640, 360, style)] for n in ("A", "B")}
    split = group_split(count_people(frames).kept, refs)
    return write_groups(split.groups, split.crops, work / "groups"), refs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=24)
    ap.add_argument("--work", default="/tmp/a2l-bench-compose")
    ap.add_argument("--sets", default="demo,people-line,people-colour")
    args = ap.parse_args()
    rows = []
    for name in args.sets.split(","):
        work = Path(args.work) / name
        work.mkdir(parents=True, exist_ok=True)
        groups, refs = _groups(name, work)
        started = time.monotonic()
        result = compose(groups, refs, work / "composed", ComposeSettings(count=args.count))
        checked = recheck(result.groups, refs, "cpu", None, None)
        for g, p in result.pairs.items():
            laid = len(p.kept) + sum(n for r, n in p.rejected.items() if r != "layout")
            rows.append({"set": name, "group": g, "real": p.real, "kept": len(p.kept), "laid_out": laid,
                         "pass_rate": round(p.pass_rate, 4), "rejected": p.rejected,
                         "recheck": checked.get(g), "seconds": round(time.monotonic() - started, 1)})
            print(json.dumps(rows[-1]), flush=True)
    print(f"{'set':>14} {'group':>6} {'real':>5} {'kept':>5} {'laid out':>9} {'passed':>7} {'re-check':>9}")
    for r in rows:
        c = r["recheck"] or {"agree": 0.0}
        print(f"{r['set']:>14} {r['group']:>6} {r['real']:5d} {r['kept']:5d} {r['laid_out']:9d} "
              f"{r['pass_rate']:7.1%} {c['agree']:9.1%}")


if __name__ == "__main__":
    main()
