"""Contact sheets: a bounded picture of a frame set, never one tile per frame of a long video."""

from typing import Callable, Mapping, Optional, Sequence, Tuple

import numpy as np

from .frameset import FrameSet
from .image.files import read_or_none
from .image.spread import evenly


def contact_sheet(frames: FrameSet, rows: Optional[Sequence[Mapping]] = None, *, max_tiles: int = 24,
                  width: int = 1024, label: bool = True,
                  overlay: Optional[Callable[[np.ndarray, Mapping, float, float], None]] = None) -> np.ndarray:
    """An RGB uint8 sheet of up to ``max_tiles`` frames spread over ``rows`` (default: kept).

    ``overlay(tile, row, sx, sy)`` may draw on each BGR tile; ``sx, sy`` map frame pixels to it.
    """
    import cv2

    rows = evenly(frames.kept if rows is None else rows, max_tiles)
    cols = max(1, min(6, int(np.ceil(np.sqrt(max(1, len(rows)) * 16 / 9)))))
    tile_w = width // cols
    aspect = (frames.source.get("height") or 9) / max(1, frames.source.get("width") or 16)
    tile_h = max(1, int(round(tile_w * aspect)))
    tiles = []
    for row in rows:
        img = read_or_none(frames.thumb_path(row))
        if img is None:
            tiles.append(None)
            continue
        tile = cv2.resize(img, (tile_w, tile_h), interpolation=cv2.INTER_AREA)
        if overlay is not None:
            overlay(tile, row, tile_w / img.shape[1], tile_h / img.shape[0])
        if label:
            text = f"#{row['index']}" + (f" {row['dropped']}" if row.get("dropped") else "")
            cv2.putText(tile, text, (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 3, cv2.LINE_AA)
            cv2.putText(tile, text, (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1, cv2.LINE_AA)
        tiles.append(tile)
    return cv2.cvtColor(tile_grid(tiles, cols, (tile_h, tile_w)), cv2.COLOR_BGR2RGB)


def tile_grid(tiles: Sequence[Optional[np.ndarray]], cols: int, size: Tuple[int, int], fill: int = 32) -> np.ndarray:
    """Equal-sized tiles (``size``: height, width; None leaves a gap) row by row, ``cols`` to a row,
    on a dark ground; at least one row."""
    tile_h, tile_w = size
    n_rows = max(1, int(np.ceil(len(tiles) / cols)))
    sheet = np.full((n_rows * tile_h, cols * tile_w, 3), fill, np.uint8)
    for k, tile in enumerate(tiles):
        if tile is not None:
            r, c = divmod(k, cols)
            sheet[r * tile_h:(r + 1) * tile_h, c * tile_w:(c + 1) * tile_w] = tile
    return sheet


def title_bar(text: str, width: int) -> np.ndarray:
    """A dark bar with ``text`` in white, ``width`` wide: a section title on a sheet (RGB or BGR alike)."""
    import cv2

    bar = np.full((28, width, 3), 48, np.uint8)
    cv2.putText(bar, text, (8, 19), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (255, 255, 255), 1, cv2.LINE_AA)
    return bar


def stack(parts: Sequence[np.ndarray], width: int) -> np.ndarray:
    """Sheets and title bars one under the other, each cut or padded (dark) to ``width``."""
    return np.concatenate([p[:, :width] if p.shape[1] >= width else
                           np.pad(p, ((0, 0), (0, width - p.shape[1]), (0, 0))) for p in parts])
