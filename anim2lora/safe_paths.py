"""Keep every file a workflow names, and every path read back from a file the pack wrote, inside
the folder it belongs to.

A workflow downloaded from the internet chooses file names, and a project folder handed over by
someone else chooses what its manifests say; resolving with ``realpath`` before the containment
check means ``..``, absolute paths and symlinks cannot leave the folder.
"""

import os
from pathlib import Path
from typing import Optional

from .errors import BadInputError


def is_within(path: os.PathLike, root: os.PathLike) -> bool:
    real, base = os.path.realpath(path), os.path.realpath(root)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def _is_absolute(name: str) -> bool:
    return os.path.isabs(name) or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":")


def _escape(root: os.PathLike, name) -> Optional[str]:
    """Why ``name`` is not a file inside ``root`` ("absolute", "outside", "empty"), or None."""
    if not isinstance(name, str) or not name or "\x00" in name:
        return "empty"
    if _is_absolute(name):
        return "absolute"
    if not is_within(os.path.join(root, name), root):
        return "outside"
    return None


def resolve_inside(root: os.PathLike, name: str, *, field: str = "file") -> Path:
    """Return the real path of ``name`` under ``root``, refusing anything that escapes it."""
    why = _escape(root, name)
    if why == "empty":
        raise BadInputError(f"{field}: no file name given.", hint="Pick a file from the list.")
    if why == "absolute":
        raise BadInputError(f"{field}: '{name}' is an absolute path; only names inside "
                            f"{root} are accepted.", hint="Put the file in that folder and pick it from the list.")
    if why == "outside":
        raise BadInputError(f"{field}: '{name}' resolves outside {root} and is refused.",
                            hint="Copy the file into that folder instead of linking to it.")
    return Path(os.path.realpath(os.path.join(root, name)))


STORED_HINT = "The file was edited or comes from elsewhere: run the stage that wrote it again."


def stored_path(root: os.PathLike, name, *, source: os.PathLike, where: str, hint: str = STORED_HINT) -> Path:
    """``root / name`` for a relative path read from ``source`` (a manifest, an index) that must
    stay inside ``root`` after links are resolved; ``where`` says which entry held it ("row 3's
    file").  The path is returned as joined, not resolved, so messages show the folder the user knows."""
    why = _escape(root, name)
    if why == "empty":
        raise BadInputError(f"{source}: {where} is {name!r}, not a relative file path.", hint=hint)
    if why is not None:
        raise BadInputError(f"{source}: {where} '{name}' points outside {root} ({why} path or a link out); it "
                            "is refused.", hint=hint)
    return Path(root) / name
