"""Group-split benchmark: does every frame land in the right group, and is no frame a false "A+B"?

    python bench/groups.py [--style line|colour|both] [--width 640 --height 360] [--work DIR]

The clip (anim2lora.demo.people_scenes) holds solo shots of A and B, shots of both, overlapping
bodies, edge fragments, over-the-shoulder shots, far background figures, text beside a
character, empty scenery and a stranger.  It is extracted as a user would (VideoFrameExtract),
counted (PersonCountFilter) and split (GroupSplit, reference stills of A and B drawn in other
poses), with an empty cache, by the offline detector and embedder.

Prints per style: frame-level group accuracy over the extracted frames (truth: A, B, A+B, or
rejected for empty/overlap/stranger frames), the number of false A+B frames, per-kind counting
accuracy, and frames per second of counting + splitting.  Goals: accuracy >= 0.95, 0 false A+B.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def run(style: str, width: int, height: int, work: Path) -> dict:
    import cv2

    from anim2lora.demo.people_scenes import grade_groups, reference_stills, write_people_clip
    from anim2lora.extract.run import extract
    from anim2lora.people.groups import group_split
    from anim2lora.people.run import count_people

    video = work / f"people_{style}.mp4"
    write_people_clip(video, width, height, style=style)
    frames = extract(video, work / f"cache_{style}").frames
    started = time.monotonic()
    counted = count_people(frames)
    refs = {n: [cv2.cvtColor(s, cv2.COLOR_RGB2BGR) for s in reference_stills(n, 3, width, height, style)]
            for n in ("A", "B")}
    split = group_split(counted.kept, refs)
    seconds = time.monotonic() - started
    graded = grade_groups(video, frames, counted, split)
    return {"style": style, **graded, "fps": graded["frames"] / seconds,
            "groups": {g: len(s) for g, s in split.groups.items()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--style", choices=("line", "colour", "both"), default="both")
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=360)
    ap.add_argument("--work", type=Path, default=None)
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="a2l-bench-groups-"))
    styles = ("line", "colour") if args.style == "both" else (args.style,)
    print(f"{'style':8} {'frames':>6} {'accuracy':>9} {'false A+B':>10} {'frames/s':>9}  groups / per kind")
    for style in styles:
        r = run(style, args.width, args.height, work)
        print(f"{r['style']:8} {r['frames']:6d} {r['accuracy']:9.3f} {r['false_AB']:10d} {r['fps']:9.1f}  {r['groups']}")
        print(f"{'':8} per kind (right/frames): {r['per_kind']}")
        for miss in r["misses"]:
            print(f"{'':8} miss {miss}")
    print("goals: accuracy >= 0.95, false A+B = 0")


if __name__ == "__main__":
    main()
