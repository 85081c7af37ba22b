"""Ingest benchmark: VideoFrameExtract against plain PyAV decoding of the same file, same run.

    python bench/ingest.py [--minutes 2.1] [--work DIR]

Prints (1) extraction speed as a share of decode-only speed (goal >= 0.85) on a generated
1080p clip of at least two minutes, and (2) peak RSS of extraction at 1x and 4x that length
(goal: growth < 100 MB), each measured in a fresh process.  Clips are cached in --work.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def make_clips(work: Path, minutes: float):
    from anim2lora.demo.clip import write_clip

    one = work / "bench_1x.mp4"
    four = work / "bench_4x.mp4"
    loop_frames = 280  # frames per storyboard pass (shots, dissolve, fade)
    loops = max(1, int(minutes * 60 * 24 / loop_frames + 0.999))
    if not one.is_file():
        t = time.monotonic()
        write_clip(one, 1920, 1080, loops=loops)
        print(f"generated {one.name}: {loops * loop_frames} frames in {time.monotonic() - t:.0f}s", flush=True)
    if not four.is_file():
        _concat(one, four, 4)
    return one, four


def _concat(src: Path, dst: Path, times: int) -> None:
    """dst = src played ``times`` times, by copying packets (no re-encode)."""
    import av

    with av.open(str(src)) as probe:
        stream = probe.streams.video[0]
        span = stream.duration or int(probe.duration / 1e6 / stream.time_base)
    with av.open(str(dst), "w") as out:
        ostream = None
        for k in range(times):
            with av.open(str(src)) as inp:
                istream = inp.streams.video[0]
                if ostream is None:
                    ostream = out.add_stream_from_template(istream)
                for packet in inp.demux(istream):
                    if packet.dts is None:
                        continue
                    packet.pts += k * span
                    packet.dts += k * span
                    packet.stream = ostream
                    out.mux(packet)


def decode_only(path: str) -> dict:
    import av

    t, cpu = time.perf_counter(), _cpu_seconds()
    n = 0
    with av.open(path) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"   # what the extractor uses
        for _ in c.decode(s):
            n += 1
    return {"seconds": time.perf_counter() - t, "cpu": _cpu_seconds() - cpu, "frames": n}


def extraction(path: str, **settings) -> dict:
    from anim2lora.extract.run import extract
    from anim2lora.extract.settings import ExtractSettings

    with tempfile.TemporaryDirectory() as root:
        t, cpu = time.perf_counter(), _cpu_seconds()
        res = extract(path, root, ExtractSettings(**settings))
        return {"seconds": time.perf_counter() - t, "cpu": _cpu_seconds() - cpu,
                "frames": res.frames.source["decoded_frames"],
                "kept": len(res.frames.kept), "shots": len(res.frames.manifest["shots"])}


def _cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def peak_rss_mb() -> float:
    """This process's own high-water mark (ru_maxrss is inherited from the parent at fork)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _child(kind: str, path: str, **kwargs) -> dict:
    """Run one measurement in a fresh interpreter and return its figures plus its peak RSS."""
    extra = "".join(f", {k}={v!r}" for k, v in kwargs.items())
    code = (f"import sys, json; sys.path.insert(0, {str(REPO / 'bench')!r}); import ingest; "
            f"r = ingest.{kind}({path!r}{extra}); r['peak_rss_mb'] = ingest.peak_rss_mb(); print(json.dumps(r))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=2.1)
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "anim2lora-bench"))
    ap.add_argument("--repeat", type=int, default=2, help="alternating runs of each; best time counts")
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    one, four = make_clips(work, args.minutes)

    runs = {"decode": [], "extract": [], "capped": [], "every": []}
    for _ in range(args.repeat):   # alternate so drift on the machine hits all alike
        runs["decode"].append(_child("decode_only", str(one)))
        runs["extract"].append(_child("extraction", str(one)))
        runs["capped"].append(_child("extraction", str(one), max_frames=300))
        runs["every"].append(_child("extraction", str(one), unique_threshold=0.0, max_frames=0))
    dec, ext, capped, every = (min(runs[k], key=lambda r: r["seconds"]) for k in ("decode", "extract", "capped", "every"))
    big = _child("extraction", str(four))
    big_dec = _child("decode_only", str(four))

    n = dec["frames"]
    print(f"\nclip: {one.name}, 1920x1080, {n} frames ({n / 24:.0f} s at 24 fps)")
    print(f"decode only (PyAV, threads AUTO): {dec['seconds']:.2f} s  = {n / dec['seconds']:.0f} fps, "
          f"CPU {dec['cpu']:.1f} s ({dec['cpu'] / dec['seconds']:.2f} of {os.cpu_count()} cores busy)")
    print(f"VideoFrameExtract (defaults):     {ext['seconds']:.2f} s  = {n / ext['seconds']:.0f} fps, "
          f"CPU {ext['cpu']:.1f} s  (kept {ext['kept']} frames, {ext['shots']} shots)")
    print(f"speed ratio extract/decode-only:  {dec['seconds'] / ext['seconds']:.3f}   (goal >= 0.85)")
    for label, r in (("max_frames=300", capped), ("every drawing, no cap", every)):
        print(f"  with {label + ':':24s} {r['seconds']:.2f} s, kept {r['kept']:5d}, ratio {dec['seconds'] / r['seconds']:.3f}")
    print(f"peak RSS extract 1x: {ext['peak_rss_mb']:.0f} MB   4x ({big['frames']} frames): "
          f"{big['peak_rss_mb']:.0f} MB   growth {big['peak_rss_mb'] - ext['peak_rss_mb']:+.0f} MB (goal < 100)")
    print(f"peak RSS decode-only 1x: {dec['peak_rss_mb']:.0f} MB   4x: {big_dec['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
