"""``python -m anim2lora STAGE INPUT… --out DIR [--json]``: every stage, headless.

Each stage reads what the previous one wrote (a frame-set manifest) and prints either a report
or, with ``--json``, a machine-readable summary on stdout.  Errors print one line to stderr and
exit with status 2; a cancel (Ctrl-C) exits with 130 and leaves no half-written set behind.
"""

import argparse
import json
import sys
from dataclasses import fields
from pathlib import Path

from .errors import Anim2LoRAError, CancelledError
from .progress import Progress


class _TerminalProgress(Progress):
    def report(self, done: int, total: int) -> None:
        if sys.stderr.isatty():
            pct = f"{100 * done / total:5.1f}%" if total else ""
            print(f"\r  {done}/{total} frames {pct}", end="", file=sys.stderr, flush=True)


def _add_extract_options(p: argparse.ArgumentParser) -> None:
    from .extract.settings import SAMPLING_HELP, SAMPLING_MODES, SPECS, ExtractSettings

    defaults = ExtractSettings()
    for f in fields(ExtractSettings):
        default = getattr(defaults, f.name)
        kw = {"choices": SAMPLING_MODES} if f.name == "sampling" else {"type": type(default)}
        text = SAMPLING_HELP if f.name == "sampling" else SPECS[f.name].help
        p.add_argument(f"--{f.name.replace('_', '-')}", dest=f.name, default=default,
                       help=f"{text} (default: {default})".replace("%", "%%"), **kw)


def _extract_settings(args):
    from .extract.settings import ExtractSettings

    return ExtractSettings(**{f.name: getattr(args, f.name) for f in fields(ExtractSettings)})


def cmd_extract(args) -> dict:
    from .extract.report import text_report
    from .extract.run import extract

    result = extract(Path(args.video), Path(args.out), _extract_settings(args), _TerminalProgress())
    if not args.json:
        print(text_report(result.frames, result.cached))
    return result.summary


def cmd_democlip(args) -> dict:
    from .demo.clip import write_clip

    out = Path(args.out) / "demo.mp4"
    truth = write_clip(out, args.width, args.height, args.loops)
    if not args.json:
        print(f"demo clip: {out} ({len(truth)} frames), truth: {out}.truth.json")
    return {"video": str(out), "truth": f"{out}.truth.json", "frames": len(truth)}


def cmd_demo(args) -> dict:
    """The whole pipeline on the demo clip, with every stage that exists so far."""
    from .demo.clip import write_clip
    from .extract.report import text_report
    from .extract.run import extract
    from .extract.settings import ExtractSettings
    from .preview import contact_sheet

    out = Path(args.out)
    video = out / "demo.mp4"
    if not video.is_file():
        write_clip(video)
    result = extract(video, out / "cache", ExtractSettings(), _TerminalProgress())
    sheet = out / "extract_preview.png"
    import cv2

    cv2.imwrite(str(sheet), cv2.cvtColor(contact_sheet(result.frames), cv2.COLOR_RGB2BGR))
    if not args.json:
        print(text_report(result.frames, result.cached))
        print(f"preview: {sheet}")
    return {"video": str(video), "extract": result.summary, "preview": str(sheet)}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m anim2lora", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="stage", required=True)

    p = sub.add_parser("extract", help="VideoFrameExtract: video -> frame set")
    p.add_argument("video", help="the video file (mp4, mkv, webm, mov, avi, gif)")
    _add_extract_options(p)
    p.set_defaults(run=cmd_extract)

    p = sub.add_parser("democlip", help="write the demo clip and its per-frame truth")
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=360)
    p.add_argument("--loops", type=int, default=1)
    p.set_defaults(run=cmd_democlip)

    p = sub.add_parser("demo", help="run every stage on the demo clip")
    p.set_defaults(run=cmd_demo)

    for p in sub.choices.values():
        p.add_argument("--out", required=True, help="folder for results and the cache")
        p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = args.run(args)
    except KeyboardInterrupt:
        print("\ncancelled; nothing half-written was kept.", file=sys.stderr)
        return 130
    except CancelledError as e:
        print(f"cancelled: {e}", file=sys.stderr)
        return 130
    except Anim2LoRAError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if args.json:
        print(json.dumps(result))
    return 0
