"""The frame set: what every stage passes on (ComfyUI type ``A2L_FRAMES``).

On disk, under one cache root::

    <root>/frames/<extraction id>/<source index>.png   the images, written once
    <root>/sets/<set id>.json                          one manifest per set

(the whole cache root is laid out in cache_layout.py).

A manifest holds a row per frame: source index, timestamp, shot, scores and, for a frame that
did not make it, ``dropped`` with the reason.  Sets are immutable: a filter writes a new manifest
(``derive``) whose rows reference the same image files, so nothing is copied.
"""

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Dict, List, Mapping, Optional, Sequence

from .cache_layout import SETS
from .errors import BadInputError
from .hashing import settings_digest
from .safe_paths import Inside, check_stored

SCHEMA = 1
KIND = "anim2lora.frameset"


def write_text_atomic(path: Path, text: str) -> None:
    """``path`` replaced by ``text`` whole or not at all (a cancel never leaves half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data) -> None:
    write_text_atomic(path, json.dumps(data, indent=1, default=_plain))


def _plain(value):
    """JSON for the read-only views a loaded set hands out."""
    if isinstance(value, MappingProxyType):
        return dict(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _frozen(value):
    if isinstance(value, dict):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


@dataclass(frozen=True)
class FrameSet:
    """An immutable view of one manifest under ``root``.

    ComfyUI hands the same output object to every node wired to it, so nothing in it may be
    changed in place: the manifest is frozen into read-only mappings and tuples.
    """

    root: Path
    manifest: Mapping = field(repr=False)

    def __post_init__(self):
        object.__setattr__(self, "manifest", _frozen(dict(self.manifest)))

    # -- identity -------------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.manifest["id"]

    @property
    def stage(self) -> str:
        return self.manifest["stage"]

    @property
    def source(self) -> Mapping:
        return self.manifest["source"]

    @property
    def path(self) -> Path:
        return manifest_path(self.root, self.id)

    # -- rows -----------------------------------------------------------------------------
    @property
    def rows(self) -> Sequence[Mapping]:
        return self.manifest["frames"]

    @property
    def kept(self) -> List[Mapping]:
        return [r for r in self.rows if not r.get("dropped")]

    @property
    def dropped(self) -> List[Mapping]:
        return [r for r in self.rows if r.get("dropped")]

    def dropped_by_reason(self) -> Dict[str, List[int]]:
        out: Dict[str, List[int]] = {}
        for r in self.dropped:
            out.setdefault(r["dropped"], []).append(r["index"])
        return out

    def image_path(self, row: Mapping) -> Optional[Path]:
        return self.root / row["file"] if row.get("file") else None

    def thumb_path(self, row: Mapping) -> Optional[Path]:
        name = row.get("file") or row.get("thumb")
        return self.root / name if name else None

    def __len__(self) -> int:
        return len(self.kept)

    # -- making new sets ------------------------------------------------------------------
    def derive(self, stage: str, settings: Mapping, decide: Callable[[Mapping], Optional[str]],
               scores: Optional[Mapping[int, Mapping]] = None, extra: Optional[Mapping] = None,
               updates: Optional[Mapping[int, Mapping]] = None) -> "FrameSet":
        """A new set of this set's kept frames, each dropped where ``decide(row)`` gives a reason.

        ``updates`` replaces fields of some rows (an edited image's ``file`` and ``sha256``).

        The new id hashes the parent id, stage and settings, so the same filter with the same
        settings on the same set lands on the same manifest.
        """
        scores, updates = scores or {}, updates or {}
        rows = []
        for row in self.kept:
            new = {**row, **updates.get(row["index"], {})}
            new["scores"] = {**row.get("scores", {}), **scores.get(row["index"], {})}
            new["dropped"] = decide(MappingProxyType(new))
            rows.append(new)
        return self.made(self.root, stage, settings, rows, extra)

    def made(self, root: Path, stage: str, settings: Mapping, rows: List[Mapping],
             extra: Optional[Mapping] = None) -> "FrameSet":
        """A set of ``rows`` a stage made from this one (other pictures, such as crops or line
        drawings, whose files lie under ``root``), named like ``derive``'s sets."""
        manifest = {
            "shots": self.manifest.get("shots", ()), **(extra or {}),
            "schema": SCHEMA, "kind": KIND,
            "id": settings_digest({"parent": self.id, "stage": stage, "settings": dict(settings)}, 20),
            "parent": self.id, "stage": stage, "settings": dict(settings),
            "source": self.source, "frames": list(rows),
        }
        return save(root, manifest)


def read_index(folder: Path, name: str, what: str, stage: str) -> dict:
    """The JSON index ``name`` a stage wrote in ``folder``, or an error saying which folder to pass
    (no index) or what to do about a damaged one."""
    path = Path(folder) / name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise BadInputError(f"{folder}: not a {what} folder ({name}: {e.strerror or e}).",
                            hint=f"Pass the --out folder of `python -m anim2lora {stage}`.") from None
    try:
        return json.loads(text)
    except ValueError as e:
        raise BadInputError(f"{path}: damaged, not JSON ({e}).",
                            hint=f"Delete it and run `python -m anim2lora {stage}` again into {folder}.") from None


def link_or_copy(src: Path, dst: Path) -> None:
    """``dst`` as a hard link to ``src`` where the file system allows (no copy), else a copy.
    ``dst`` must be new: nothing already there is ever replaced."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except FileExistsError:
        raise BadInputError(f"{dst}: two pictures would be written under this one name.",
                            hint="The set lists a picture twice: run the stage that made it again.") from None
    except OSError:       # another drive, or a file system without hard links
        with open(src, "rb") as f, open(dst, "xb") as g:
            shutil.copyfileobj(f, g)


def manifest_path(root: Path, set_id: str) -> Path:
    return Path(root) / SETS / f"{set_id}.json"


def save(root: Path, manifest: Mapping) -> FrameSet:
    root = Path(root)
    write_json_atomic(manifest_path(root, manifest["id"]), manifest)
    return FrameSet(root, manifest)


def load(path: os.PathLike) -> FrameSet:
    """Load a set from its manifest file, or from a cache root holding exactly one set."""
    p = Path(path)
    if p.is_dir():
        candidates = sorted((p / SETS).glob("*.json")) if (p / SETS).is_dir() else []
        if len(candidates) != 1:
            raise BadInputError(f"{p}: expected a frame-set manifest (sets/<id>.json); found {len(candidates)}.",
                                hint="Pass the manifest path printed by the previous stage.")
        p = candidates[0]
    try:
        manifest = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInputError(f"{p}: no such frame-set manifest.",
                            hint="Pass the manifest path printed by the previous stage.") from None
    except (OSError, ValueError) as e:
        raise BadInputError(f"{p}: not a readable frame-set manifest ({e}).", hint=DAMAGED_HINT) from None
    if not isinstance(manifest, dict) or manifest.get("kind") != KIND or manifest.get("schema") != SCHEMA:
        raise BadInputError(f"{p}: not an Anim2LoRA frame-set manifest (schema {SCHEMA}).", hint=DAMAGED_HINT)
    check_manifest(manifest, p)
    return FrameSet(p.parent.parent, manifest)


DAMAGED_HINT = "It is damaged or was edited: delete it and run the stage that wrote it again."
SET_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_TEXT_OR_NONE = ("file", "thumb", "dropped")


def check_manifest(manifest: Mapping, p: Path) -> None:
    """What the stages take from a manifest without looking again: its id (a file name), its rows
    and, for every row, an image path that stays inside the set's folder (``safe_paths``)."""
    def bad(what: str) -> BadInputError:
        return BadInputError(f"{p}: {what}.", hint=DAMAGED_HINT)

    if not isinstance(manifest.get("id"), str) or not SET_ID.fullmatch(manifest["id"]):
        raise bad(f"its id {manifest.get('id')!r} is not a set id (letters, digits, '_', '-')")
    for key, kind in (("frames", list), ("source", dict), ("settings", dict), ("stage", str)):
        if not isinstance(manifest.get(key), kind):
            raise bad(f"its '{key}' is missing or not a {kind.__name__}")
    root = p.parent.parent
    inside = Inside(root)
    for i, row in enumerate(manifest["frames"]):
        if not isinstance(row, dict):
            raise bad(f"row {i} is not an object")
        if not isinstance(row.get("index"), int) or isinstance(row["index"], bool):
            raise bad(f"row {i} has no whole-number 'index'")
        for key in _TEXT_OR_NONE:
            if row.get(key) is not None and not isinstance(row[key], str):
                raise bad(f"row {i}'s '{key}' is {row[key]!r}, not text")
        if not row.get("dropped") and not row.get("file"):
            raise bad(f"row {i} is kept but names no file")
        for key in ("file", "thumb"):
            if row.get(key):
                check_stored(root, row[key], source=p, where=f"row {i}'s {key}", hint=DAMAGED_HINT, inside=inside)
