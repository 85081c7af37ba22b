"""What each training step sees, by kohya's rules: aspect buckets, repeats, batches, captions.

Every random choice is a function of (seed, epoch) or (seed, step) alone, never of a generator
carried through the run: a run cancelled at step k and resumed computes steps k+1… exactly as an
uninterrupted run does, and the saved state needs no RNG snapshot beyond the seed and the step.
"""

import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np

from ..dataset.captions import per_step
from ..dataset.run import Dataset
from ..errors import BadInputError
from ..image.files import read_image
from ..image.paper import on_white
from ..seeds import stream_seed

STEP = 64            # kohya's bucket_reso_steps
REWRITE_HINT = "Run Caption With Keep Tokens again to rewrite the dataset."


@dataclass(frozen=True)
class Item:
    """One picture of the dataset, with the bucket it trains at."""

    index: int
    image: Path
    caption: str
    keep_tokens: int
    group: str
    bucket: Tuple[int, int]        # (width, height) trained at
    resized: Tuple[int, int]       # the picture's size before the crop to its bucket
    original: Tuple[int, int] = (0, 0)   # the picture file's own size (SDXL's size conditioning)


def _to_steps(x: float) -> int:
    x = int(x + 0.5)
    return x - x % STEP


def no_upscale_bucket(width: int, height: int, resolution: int) -> Tuple[Tuple[int, int], Tuple[int, int]]:
    """kohya's bucket under ``bucket_no_upscale`` (the dataset config's choice): (bucket, resized).
    A picture over resolution² pixels is scaled down to that area, with whichever side, rounded
    to 64, keeps its aspect better; a smaller one keeps its size (enlarging would thicken
    lines).  The bucket is the resized size cut down to multiples of 64: cropped, never padded."""
    aspect = width / height
    if width * height > resolution * resolution:
        w = math.sqrt(resolution * resolution * aspect)
        h = resolution * resolution / w
        by_width = _to_steps(w)
        by_height = _to_steps(h)
        error_w = abs(by_width / max(STEP, _to_steps(by_width / aspect)) - aspect)
        error_h = abs(max(STEP, _to_steps(by_height * aspect)) / by_height - aspect)
        resized = ((by_width, int(by_width / aspect + 0.5)) if error_w < error_h else
                   (int(by_height * aspect + 0.5), by_height))
    else:
        resized = (width, height)
    bucket = (max(STEP, resized[0] - resized[0] % STEP), max(STEP, resized[1] - resized[1] % STEP))
    return bucket, resized


def items_of(dataset: Dataset, resolution: int) -> List[Item]:
    import cv2

    out = []
    for sub in dataset.subsets:
        for image, caption in zip(sub.images, sub.captions):
            picture = read_image(image, cv2.IMREAD_UNCHANGED, "dataset picture", hint=REWRITE_HINT)
            h, w = picture.shape[:2]
            out.append(Item(len(out), image, caption, sub.keep_tokens, sub.group, *no_upscale_bucket(w, h, resolution),
                            original=(w, h)))
    if not out:
        raise BadInputError(f"dataset {dataset.folder} holds no pictures.",
                            hint="Check the earlier stages' reports: every frame was filtered out.")
    return out


def repeats_of(dataset: Dataset) -> Dict[str, int]:
    return {s.group: s.repeats for s in dataset.subsets}


def epoch_batches(items: Sequence[Item], repeats: Dict[str, int], batch_size: int, seed: int,
                  epoch: int) -> List[List[Item]]:
    """One epoch as kohya builds it: every picture ``repeats`` times, grouped by bucket, each
    bucket shuffled and cut into batches, the batches shuffled."""
    rng = random.Random(stream_seed(seed, "epoch", epoch))
    buckets: Dict[Tuple[int, int], List[Item]] = {}
    for item in items:
        buckets.setdefault(item.bucket, []).extend([item] * repeats[item.group])
    batches = []
    for key in sorted(buckets):
        members = buckets[key]
        rng.shuffle(members)
        batches += [members[i:i + batch_size] for i in range(0, len(members), batch_size)]
    rng.shuffle(batches)
    return batches


def batches_per_epoch(items: Sequence[Item], repeats: Dict[str, int], batch_size: int) -> int:
    counts: Dict[Tuple[int, int], int] = {}
    for item in items:
        counts[item.bucket] = counts.get(item.bucket, 0) + repeats[item.group]
    return sum(math.ceil(n / batch_size) for n in counts.values())


def step_captions(batch: Sequence[Item], seed: int, micro_step: int, *, shuffle: bool, tag_dropout: float,
                  caption_dropout: float, separator: str) -> List[str]:
    """The captions one step's text encoder sees: kohya's per-step shuffle and dropout after the
    pinned head, drawn anew at every step (so the text encoder runs per step, not once)."""
    rng = random.Random(stream_seed(seed, "caption", micro_step))
    out = []
    for item in batch:
        if caption_dropout > 0 and rng.random() < caption_dropout:
            out.append("")
            continue
        out.append(per_step(item.caption, item.keep_tokens, rng, shuffle=shuffle, tag_dropout=tag_dropout,
                            keep_tokens_separator=separator))
    return out


def load_pixels(item: Item) -> np.ndarray:
    """The picture at its bucket as float32 RGB [3, H, W] in -1..1: resized only when kohya
    resizes it (down, to its area), then cut to the bucket around the middle."""
    import cv2

    # transparent line art is drawn on white paper
    bgr = on_white(read_image(item.image, cv2.IMREAD_UNCHANGED, "dataset picture", hint=REWRITE_HINT))
    h, w = bgr.shape[:2]
    if (w, h) != item.resized:
        bgr = cv2.resize(bgr, item.resized, interpolation=cv2.INTER_AREA)
    h, w = bgr.shape[:2]
    bw, bh = min(item.bucket[0], w), min(item.bucket[1], h)
    top, left = (h - bh) // 2, (w - bw) // 2
    rgb = bgr[top:top + bh, left:left + bw, ::-1]
    if rgb.shape[:2] != (item.bucket[1], item.bucket[0]):     # a picture under 64 px: white to the bucket
        rgb = cv2.copyMakeBorder(np.ascontiguousarray(rgb), 0, item.bucket[1] - rgb.shape[0], 0,
                                 item.bucket[0] - rgb.shape[1], cv2.BORDER_CONSTANT, value=(255, 255, 255))
    return (rgb.astype(np.float32).transpose(2, 0, 1) / 127.5) - 1.0
