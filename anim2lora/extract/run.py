"""VideoFrameExtract end to end: video file in, cached frame set out."""

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

from .. import __version__
from ..errors import BadInputError
from ..frameset import KIND, SCHEMA, FrameSet, load, manifest_path, save
from ..hashing import file_sha256, settings_digest
from ..progress import Progress
from ..staging import partial_name, remove, swap_in
from ..cache_layout import FRAMES, analysis_path
from ..store import AnalysisStore
from ..video.frames import DamageLog, decode, frame_rotation
from ..video.source import describe, open_video
from . import cap
from .scan import Scanner
from .settings import ExtractSettings
from .writer import THUMBS, FrameWriter

ALGORITHM = "extract-2"          # bump when a change alters which frames are chosen
# dropped frames that get a small preview (the others repeat a kept picture, or show none)
THUMB_REASONS = {"black", "blank", "fade", "dissolve", "near_cut", "blurred"}


@dataclass
class ExtractResult:
    frames: FrameSet
    cached: bool

    @property
    def summary(self) -> dict:
        return summary(self.frames)


def video_sha256(path: Path, store: AnalysisStore, progress: Progress) -> str:
    """The file's sha256, remembered by path, size and mtime so a re-run does not re-read hours of video."""
    st = path.stat()
    key = f"{st.st_size}:{st.st_mtime_ns}"
    known = store.get("file.sha256", key, os.fspath(path))
    if known:
        return known
    digest = file_sha256(path, on_chunk=lambda: progress.update(0))   # a cancel point while reading
    store.put("file.sha256", key, os.fspath(path), digest)
    return digest


def extract(video: os.PathLike, root: os.PathLike, settings: Optional[ExtractSettings] = None,
            progress: Optional[Progress] = None) -> ExtractResult:
    video, root = Path(video), Path(root)
    settings = settings or ExtractSettings()
    progress = progress or Progress()
    container, stream = open_video(video)
    store = AnalysisStore(analysis_path(root))
    try:
        sha = video_sha256(video, store, progress)
        set_id = settings_digest({"video": sha, "settings": settings.effective(), "algorithm": ALGORITHM}, 20)
        if manifest_path(root, set_id).is_file() and (root / FRAMES / set_id).is_dir():
            return ExtractResult(load(manifest_path(root, set_id)), cached=True)
        started = time.monotonic()
        manifest = _scan(video, container, stream, root, set_id, settings, progress, store, sha)
        manifest["seconds"] = round(time.monotonic() - started, 3)
    finally:
        container.close()
        store.close()
    return ExtractResult(save(root, manifest), cached=False)


def _scan(video, container, stream, root, set_id, settings, progress, store, sha) -> dict:
    info = describe(video, container, stream)
    progress.set_total(info.frames_estimate)
    final = root / FRAMES / set_id
    staging = partial_name(final)
    damage = DamageLog()
    rows: List[dict] = []
    writer: Optional[FrameWriter] = None
    decoded = 0
    frames = decode(container, stream, damage)
    try:
        scanner = Scanner(settings, info.duration)
        for item in frames:
            if writer is None:
                info = info.rotated(frame_rotation(item.frame))
                writer = FrameWriter(staging, info.rotation)
            for decision in scanner.push(item.index, item.time, item.frame, item.damaged):
                rows.append(_record(decision, writer, set_id))
            decoded = item.index + 1
            progress.update(decoded)
        for decision in scanner.finish():
            rows.append(_record(decision, writer, set_id))
        progress.update(decoded, force=True)
        if writer is None:
            raise BadInputError(f"{video.name}: no frame could be decoded.",
                                hint=f"The stream is damaged from the start ({_first_error(damage)}).")
        writer.close()
        writer = None
        _apply_cap(rows, settings.max_frames, staging)
        _resolve_hashes(rows)
        if final.exists():            # a concurrent run finished first: its files are identical
            remove(staging)
        else:
            swap_in(staging, final)
    except BaseException:             # cancel (host interrupt is a BaseException), error, Ctrl-C
        frames.close()                # restores FFmpeg's log settings now, not at garbage collection
        if writer is not None:
            writer.close(cancel=True)
        remove(staging)
        raise
    store.put_many("extract.scores", settings_digest({"settings": settings.effective(), "a": ALGORITHM}),
                   {f"video:{sha}:{r['index']}": r["scores"] for r in rows})
    return {
        "schema": SCHEMA, "kind": KIND, "id": set_id, "parent": None, "stage": "extract",
        "settings": settings.to_dict(), "anim2lora": __version__,
        "source": {**info.to_dict(), "name": video.name, "sha256": sha, "decoded_frames": decoded},
        "shots": scanner.shots, "held": scanner.held, "damage": damage.events,
        "damaged": _damaged_ranges(rows),
        "frames": rows,
    }


def _record(decision, writer: FrameWriter, set_id: str) -> dict:
    c, reason = decision.candidate, decision.reason
    row = {"index": c.index, "time": round(c.time, 4), "shot": c.drawing.shot,
           "scores": c.scores, "dropped": reason, "file": None}
    if reason is None:
        name = f"{c.index:07d}.png"
        row["file"] = f"{FRAMES}/{set_id}/{name}"
        row["_sha"] = writer.submit(c.frame, name)
    elif reason in THUMB_REASONS:
        name = f"{c.index:07d}.jpg"
        row["thumb"] = f"{FRAMES}/{set_id}/{THUMBS}/{name}"
        writer.submit_thumbnail(c.drawing.look.thumb, name)
    c.frame = None   # let the decoder reuse the buffer
    return row


def _apply_cap(rows: List[dict], max_frames: int, staging: Path) -> None:
    kept = [r for r in rows if not r["dropped"]]
    if not max_frames or len(kept) <= max_frames:
        return
    keep = cap.spread(kept, max_frames)
    for r in kept:
        if r["index"] not in keep:
            r["dropped"] = "cap"
            (staging / Path(r.pop("file")).name).unlink(missing_ok=True)
            r["file"] = None
            r.pop("_sha", None)


def _resolve_hashes(rows: List[dict]) -> None:
    for r in rows:
        fut = r.pop("_sha", None)
        if fut is not None:
            r["sha256"] = fut.result()


def _damaged_ranges(rows: List[dict]) -> List[dict]:
    """Runs of frames smeared by stream damage, as source indices and times."""
    out: List[dict] = []
    for r in rows:
        if r["dropped"] != "damaged":
            continue
        if out and out[-1]["last"] == r["index"] - 1:
            out[-1].update(last=r["index"], last_time=r["time"])
        else:
            out.append({"first": r["index"], "last": r["index"], "first_time": r["time"], "last_time": r["time"]})
    return out


def _first_error(damage: DamageLog) -> str:
    return damage.events[0]["message"] if damage.events else "no frames"


def summary(frames: FrameSet) -> Dict:
    """The ``--json`` shape: kept and dropped source indices, shots, and where the file was damaged."""
    dropped = frames.dropped_by_reason()
    held = [i for a, b in frames.manifest.get("held", []) for i in range(a, b + 1)]
    if held:
        dropped["held"] = held
    return {"set": str(frames.path), "kept": [r["index"] for r in frames.kept], "dropped": dropped,
            "shots": [list(s) for s in frames.manifest.get("shots", [])],
            "damaged": [dict(d) for d in frames.manifest.get("damaged", [])],
            "damage": [dict(e) for e in frames.manifest.get("damage", [])]}
