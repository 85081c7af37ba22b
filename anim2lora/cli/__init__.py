"""``python -m anim2lora STAGE INPUT… --out DIR [--json]``: every stage, headless.

Each stage reads what the previous one wrote (a frame-set manifest) and prints either a report
or, with ``--json``, a machine-readable summary on stdout.  Errors print one line to stderr and
exit with status 2; a cancel (Ctrl-C) exits with 130 and leaves no half-written set behind.
One module per stage; each stage's options come from its settings' one declaration.
"""

import argparse
import json
import sys
from pathlib import Path

from ..errors import Anim2LoRAError, CancelledError
from . import caption, compose, count, demo, extract, groups, lineart, onegroup, sample, text, train, verdict

# in the order the data flows, then the demo's commands
COMMANDS = (extract, text, count, groups, onegroup, compose, lineart, caption, train, sample, verdict, demo)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m anim2lora", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="stage", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    for p in sub.choices.values():
        file_ok = p.get_default("out_may_be_file")
        p.add_argument("--out", required=True, help="folder for results and the cache" + (
            " (train: the LoRA file, or a folder for it)" if file_ok else ""))
        p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    return parser


def _check_out(args) -> None:
    """``--out`` is a folder (train may also name its LoRA file): checked before any work."""
    from ..errors import BadInputError

    out = Path(args.out)
    file_ok = getattr(args, "out_may_be_file", None)
    if out.exists() and not out.is_dir() and not (file_ok and out.suffix == file_ok):
        raise BadInputError(f"--out {out} is a file, not a folder; nothing was written.",
                            hint="Give a folder for --out (it is made when missing).")


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        _check_out(args)
        result = args.run(args)
    except KeyboardInterrupt:
        print("\ncancelled; nothing half-written was kept (finished work stays cached for the next run).",
              file=sys.stderr)
        return 130
    except CancelledError as e:
        print(f"cancelled: {e}", file=sys.stderr)
        return 130
    except Anim2LoRAError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:           # a full disk, a folder without write permission: the system's own words
        where = f"{e.filename}: " if e.filename else ""
        print(f"error: {where}{e.strerror or e}", file=sys.stderr)
        return 2
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if args.json:
        print(json.dumps(result))
    return 0
