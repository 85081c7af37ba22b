"""Keep every file a workflow names inside the folder it is allowed to use.

A workflow downloaded from the internet chooses file names; resolving them with ``realpath``
before the containment check means ``..``, absolute paths and symlinks cannot leave the folder.
"""

import os
from pathlib import Path

from .errors import BadInputError


def is_within(path: os.PathLike, root: os.PathLike) -> bool:
    real, base = os.path.realpath(path), os.path.realpath(root)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def resolve_inside(root: os.PathLike, name: str, *, field: str = "file") -> Path:
    """Return the real path of ``name`` under ``root``, refusing anything that escapes it."""
    if not name or "\x00" in name:
        raise BadInputError(f"{field}: no file name given.", hint="Pick a file from the list.")
    if os.path.isabs(name) or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise BadInputError(f"{field}: '{name}' is an absolute path; only names inside "
                            f"{root} are accepted.", hint="Put the file in that folder and pick it from the list.")
    candidate = os.path.join(root, name)
    if not is_within(candidate, root):
        raise BadInputError(f"{field}: '{name}' resolves outside {root} and is refused.",
                            hint="Copy the file into that folder instead of linking to it.")
    return Path(os.path.realpath(candidate))
