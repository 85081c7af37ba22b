"""``extract VIDEO``: VideoFrameExtract, a video into a frame set."""

from pathlib import Path

from .common import TerminalProgress
from .options import add_options, settings_from


def add_parser(sub) -> None:
    from ..extract.settings import ExtractSettings

    p = sub.add_parser("extract", help="VideoFrameExtract: video -> frame set")
    p.add_argument("video", help="the video file (mp4, mkv, webm, mov, avi, gif)")
    add_options(p, ExtractSettings)
    p.set_defaults(run=run)


def run(args) -> dict:
    from ..extract.report import text_report
    from ..extract.run import extract
    from ..extract.settings import ExtractSettings

    result = extract(Path(args.video), Path(args.out), settings_from(args, ExtractSettings), TerminalProgress())
    if not args.json:
        print(text_report(result.frames, result.cached))
    return result.summary
