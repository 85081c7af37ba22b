"""Outputs written beside their final place and swapped in whole, so that a run that fails or is
cancelled half-way leaves the previous output as it was (the extractor's frames were always
written this way; every stage's folders now are).

A staged folder is a hidden sibling, ``.<name>.partial-<random>``: on the same file system (so
the swap is a rename), and skipped by every reader, which only follows the names an index lists.
"""

import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Tuple


def partial_name(final: Path) -> Path:
    return final.with_name(f".{final.name}.partial-{uuid.uuid4().hex[:8]}")


def swap_in(staged: Path, final: Path) -> None:
    """``staged`` becomes ``final``; whatever ``final`` was is removed only after the rename."""
    old = None
    if final.exists() or final.is_symlink():
        old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
        os.replace(final, old)       # a rename: the old content stays whole until the new is in place
    os.replace(staged, final)
    if old is not None:
        remove(old)


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


class Staging:
    """Folders staged for one run: ``folder(final)`` gives the place to write ``final``'s new
    content; ``commit()`` swaps them all in, leaving the run's failure (any exception inside the
    ``with``) to remove them and touch nothing else."""

    def __init__(self):
        self.pairs: List[Tuple[Path, Path]] = []

    def folder(self, final: Path) -> Path:
        final.parent.mkdir(parents=True, exist_ok=True)
        staged = partial_name(final)
        staged.mkdir()
        self.pairs.append((staged, final))
        return staged

    def commit(self) -> None:
        for staged, final in self.pairs:
            swap_in(staged, final)
        self.pairs = []

    def discard(self) -> None:
        for staged, _ in self.pairs:
            remove(staged)
        self.pairs = []


@contextmanager
def staging() -> Iterator[Staging]:
    stage = Staging()
    try:
        yield stage
    except BaseException:          # an error, a cancel, Ctrl-C: nothing half-written stays
        stage.discard()
        raise
    stage.commit()
