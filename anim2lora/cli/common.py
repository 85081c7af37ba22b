"""What every command shares: progress on the terminal, writing a stage's report and preview,
reading reference stills, and the options that are not settings (device, model folders)."""

import argparse
import sys
from pathlib import Path

from ..progress import Progress


class TerminalProgress(Progress):
    def report(self, done: int, total: int) -> None:
        if sys.stderr.isatty():
            pct = f"{100 * done / total:5.1f}%" if total else ""
            print(f"\r  {done}/{total} frames {pct}", end="", file=sys.stderr, flush=True)


def add_device_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps (default: auto)")


def add_frameset_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("frameset", help="a frame-set manifest (sets/<id>.json) printed by the previous stage")


def add_groups_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("groups", help="the --out folder of the groups stage (it holds groups.json)")


def write_rgb(path: Path, rgb) -> None:
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def write_outputs(args, stage: str, report: str, preview_name: str, preview, what: str) -> str:
    """A stage's report (``<stage>_report.txt``) and preview picture in ``--out``; the report is
    printed unless ``--json``.  Returns the preview's path."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stage}_report.txt").write_text(report + "\n", encoding="utf-8")
    write_rgb(out / preview_name, preview)
    if not args.json:
        print(report)
        print(f"{what}: {out / preview_name}")
    return str(out / preview_name)


def filtered(args, stage: str, result, report: str, preview_name: str, preview, what: str) -> dict:
    """A filter stage's summary, with its report and preview written (``write_outputs``)."""
    return {**result.summary, "preview": write_outputs(args, stage, report, preview_name, preview, what)}


def read_refs(pairs, flag: str = "--ref") -> dict:
    """NAME=IMAGE pairs as character name -> BGR stills."""
    import cv2

    from ..errors import BadInputError
    from ..image.files import check_reference, read_image

    stills: dict = {}
    for pair in pairs:
        name, sep, path = pair.partition("=")
        if not sep or not name or not path:
            raise BadInputError(f"{flag} '{pair}': write NAME=IMAGE, e.g. {flag} A=a1.png.")
        img = read_image(path, cv2.IMREAD_UNCHANGED, f"{flag} {name}: the image", hint="Give a PNG or JPEG still.")
        check_reference(img, f"{flag} {name}: {path}")
        stills.setdefault(name.strip(), []).append(img)
    return stills
