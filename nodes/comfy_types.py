"""Translating between the core's values and ComfyUI's socket types."""

import numpy as np

FRAMES = "A2L_FRAMES"   # anim2lora.frameset.FrameSet: a manifest of frames on disk


def number_inputs(specs, defaults) -> dict:
    """INT/FLOAT widgets from a core settings table: same defaults, ranges and help as the CLI."""
    inputs = {}
    for name, spec in specs.items():
        default = getattr(defaults, name)
        kind = "INT" if isinstance(default, int) else "FLOAT"
        inputs[name] = (kind, {"default": default, "min": spec.low, "max": spec.high, "step": spec.step,
                               "tooltip": spec.help})
    return inputs


def filter_inputs(settings: dict, frames_tooltip: str = "A frame set from Video Frame Extract or another filter.") -> dict:
    """INPUT_TYPES of a stage that takes a frame set and its own settings, and shows its progress
    on its own node."""
    return {"required": {"frames": (FRAMES, {"tooltip": frames_tooltip}), **settings},
            "hidden": {"unique_id": "UNIQUE_ID"}}


def flag_input(default: bool, tooltip: str) -> tuple:
    return ("BOOLEAN", {"default": default, "tooltip": tooltip})


def image_batch(rgb: np.ndarray):
    """An RGB uint8 picture [H, W, 3], or a stack of them [B, H, W, 3], as ComfyUI's IMAGE:
    float32 [B, H, W, 3] in 0-1."""
    import torch

    batch = torch.from_numpy(np.ascontiguousarray(rgb)).float().div_(255.0)
    return batch if batch.ndim == 4 else batch.unsqueeze(0)


def uint8_pictures(images) -> np.ndarray:
    """ComfyUI's IMAGE batch (float [B, H, W, C] in 0-1) as uint8 [B, H, W, C], channels as they are."""
    return (images.detach().cpu().float().clamp(0, 1).numpy() * 255.0).round().astype(np.uint8)

REFERENCES = "A2L_REFERENCES"   # tuple of (character name, tuple of BGR uint8 stills)
GROUPS = "A2L_GROUPS"           # anim2lora.people.export.GroupSets: the group folders on disk
DATASET = "A2L_DATASET"         # anim2lora.dataset.run.Dataset: the kohya folders and dataset_config.toml
VERDICT = "A2L_VERDICT"         # anim2lora.verdict.run.Verdict: measures per picture and their summary


def bgr_stills(images, mask=None) -> list:
    """ComfyUI's IMAGE batch (float [B, H, W, C] in 0-1) as BGR uint8 pictures.  Transparency (an
    RGBA batch's alpha, or LoadImage's MASK, which is 1 where the PNG was transparent) is laid
    on white by the core, as reference stills are drawn."""
    from ..anim2lora.image.paper import on_white

    arr = uint8_pictures(images)
    if mask is not None and arr.shape[-1] == 3:
        m = mask.detach().cpu().float().clamp(0, 1).numpy()
        m = m[None] if m.ndim == 2 else m
        if m.shape[1:3] == arr.shape[1:3]:
            alpha = ((1.0 - np.broadcast_to(m, arr.shape[:3])) * 255.0).round().astype(np.uint8)
            arr = np.concatenate([arr, alpha[..., None]], axis=-1)
    # RGB(A) -> BGR(A): on_white composites an alpha channel and widens one grey channel
    return [on_white(np.ascontiguousarray(a[..., [2, 1, 0, 3]] if a.shape[-1] == 4 else a[..., ::-1])) for a in arr]
