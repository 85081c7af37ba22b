"""Text-filter benchmark: accuracy and speed of TextFrameFilter on a generated labelled clip.

    python bench/text_filter.py [--width 1920 --height 1080] [--work DIR]

The clip (anim2lora.demo.text_scenes) has English and Japanese subtitles, vertical Japanese,
title cards on black and signs in the scene, between hard-negative shots: line-art faces,
hatching, window grids, speed lines.  It is extracted as a user would (VideoFrameExtract), then
the kept frames are filtered twice in one run, each time with an empty cache:

- fast: the filter as shipped (quick look, only what changed within a shot);
- full: the reader on every full frame (the detector on every full frame, the baseline).

Prints frame-level recall and precision of "shows text" against the truth for both, seconds
per frame for both and their ratio.  Goals: recall >= 0.97, precision >= 0.95, >= 3x faster.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def score(found, truth, seen):
    positives = {i for i in seen if truth[i]["positive"]}
    hit = positives & found
    recall = len(hit) / max(1, len(positives))
    precision = len(hit) / max(1, len(found))
    return recall, precision, sorted(positives - found), sorted(found - positives)


def run(frames, fast: bool):
    import shutil

    from anim2lora.frameset import load
    from anim2lora.text.run import text_filter
    from anim2lora.text.settings import TextSettings

    # an empty analysis cache for each run: copy the set's files to a fresh root
    root = Path(tempfile.mkdtemp(prefix=f"a2l-text-{'fast' if fast else 'full'}-"))
    shutil.copytree(frames.root / "frames", root / "frames")
    shutil.copytree(frames.root / "sets", root / "sets")
    copy = load(root / "sets" / f"{frames.id}.json")
    started = time.perf_counter()
    result = text_filter(copy, TextSettings(fast=fast))
    seconds = time.perf_counter() - started
    shutil.rmtree(root, ignore_errors=True)
    return result, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--work", default=None, help="folder to keep the clip in between runs")
    args = parser.parse_args()
    from anim2lora.demo.text_scenes import write_text_clip
    from anim2lora.extract.run import extract
    from anim2lora.text.backends import load_backend

    work = Path(args.work or tempfile.mkdtemp(prefix="a2l-bench-text-"))
    clip = work / f"text_{args.width}x{args.height}.mp4"
    if not clip.is_file():
        write_text_clip(clip, args.width, args.height)
    truth = {r["index"]: r for r in json.loads(Path(f"{clip}.truth.json").read_text())["frames"]}
    frames = extract(clip, work / "cache").frames
    seen = [r["index"] for r in frames.kept]
    load_backend("rapidocr")          # model loading is not part of either timing
    print(f"clip {clip.name}: {len(truth)} frames, {len(seen)} kept by extraction, "
          f"{sum(truth[i]['positive'] for i in seen)} of them with text", flush=True)
    rows = {}
    for fast in (True, False):
        result, seconds = run(frames, fast)
        found = set(result.summary["dropped"]["text"])
        recall, precision, missed, false = score(found, truth, seen)
        name = "fast" if fast else "full"
        rows[name] = seconds / max(1, len(seen))
        print(f"{name}: recall {recall:.3f}  precision {precision:.3f}  {rows[name]:.3f} s/frame"
              + (f"  missed {missed}" if missed else "") + (f"  false {false}" if false else ""), flush=True)
        if missed or false:
            for i in missed + false:
                print(f"    #{i} {truth[i]['kind']}: truth {truth[i]['text']!r}")
    print(f"speed-up fast vs full: {rows['full'] / rows['fast']:.2f}x")


if __name__ == "__main__":
    main()
