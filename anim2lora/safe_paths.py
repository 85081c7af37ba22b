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


class Inside:
    """Containment checks of many names under one root, each directory resolved and listed once
    (a manifest lists thousands of frames in a few folders; a ``realpath`` per row took seconds)."""

    def __init__(self, root: os.PathLike):
        self.root = os.fspath(root)
        self.base = os.path.realpath(root).rstrip(os.sep)
        self._dirs: dict = {}       # folder as written -> (its real path, names of the links in it)

    def _folder(self, head: str):
        if head not in self._dirs:
            try:
                with os.scandir(head) as entries:
                    links = {e.name for e in entries if e.is_symlink()}
            except OSError:
                links = set()
            self._dirs[head] = (os.path.realpath(head), links)
        return self._dirs[head]

    def why_not(self, name) -> Optional[str]:
        """Why ``name`` is not a file inside the root ("empty", "absolute", "outside"), or None."""
        if not isinstance(name, str) or not name or "\x00" in name:
            return "empty"
        if _is_absolute(name):
            return "absolute"
        head, tail = os.path.split(os.path.join(self.root, name))
        real_head, links = self._folder(head)
        if tail in ("", ".", "..") or tail in links:
            real = os.path.realpath(os.path.join(head, tail))
        else:
            real = os.path.join(real_head, tail)
        return None if real == self.base or real.startswith(self.base + os.sep) else "outside"


def resolve_inside(root: os.PathLike, name: str, *, field: str = "file") -> Path:
    """Return the real path of ``name`` under ``root``, refusing anything that escapes it."""
    why = Inside(root).why_not(name)
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


def check_stored(root: os.PathLike, name, *, source: os.PathLike, where: str, hint: str = STORED_HINT,
                 inside: Optional[Inside] = None) -> None:
    """Refuse a relative path read from ``source`` (a manifest, an index) that does not stay inside
    ``root`` once links are resolved; ``where`` says which entry held it ("row 3's file").
    ``inside``: an ``Inside(root)`` shared by the rows of one file."""
    why = (inside or Inside(root)).why_not(name)
    if why == "empty":
        raise BadInputError(f"{source}: {where} is {name!r}, not a relative file path.", hint=hint)
    if why is not None:
        raise BadInputError(f"{source}: {where} '{name}' points outside {root} ({why} path or a link out); it "
                            "is refused.", hint=hint)


def stored_path(root: os.PathLike, name, *, source: os.PathLike, where: str, hint: str = STORED_HINT) -> Path:
    """``root / name`` once ``check_stored`` passes: joined, not resolved, so messages show the
    folder the user knows."""
    check_stored(root, name, source=source, where=where, hint=hint)
    return Path(root) / name
