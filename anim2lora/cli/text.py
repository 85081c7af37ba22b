"""``text FRAMESET``: TextFrameFilter, the frames without burned-in text."""

from .common import TerminalProgress, add_device_option, add_frameset_argument, filtered
from .options import add_options, settings_from


def add_parser(sub) -> None:
    from ..text.settings import TextSettings

    p = sub.add_parser("text", help="TextFrameFilter: frame set -> frames without burned-in text")
    add_frameset_argument(p)
    add_options(p, TextSettings)
    p.add_argument("--models-dir", default=None,
                   help="folder with easyocr's model files (default: easyocr's own ~/.EasyOCR/model)")
    add_device_option(p)
    p.set_defaults(run=run)


def run(args) -> dict:
    from ..frameset import load
    from ..text.report import rejected_sheet, text_report
    from ..text.run import text_filter
    from ..text.settings import TextSettings

    result = text_filter(load(args.frameset), settings_from(args, TextSettings), TerminalProgress(),
                         device=args.device, models_dir=args.models_dir)
    return filtered(args, "text", result, text_report(result), "text_rejected.png", rejected_sheet(result.rejected),
                    "preview of frames with text")
