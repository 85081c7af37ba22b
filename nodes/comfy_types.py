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


def download_input(default: bool, tooltip: str) -> tuple:
    return ("BOOLEAN", {"default": default, "tooltip": tooltip})


def image_batch(rgb: np.ndarray):
    """An RGB uint8 picture as ComfyUI's IMAGE: float32 [1, H, W, 3] in 0-1."""
    import torch

    return torch.from_numpy(np.ascontiguousarray(rgb)).float().div_(255.0).unsqueeze(0)

REFERENCES = "A2L_REFERENCES"   # tuple of (character name, tuple of BGR uint8 stills)
GROUPS = "A2L_GROUPS"           # anim2lora.people.export.GroupSets: the group folders on disk
DATASET = "A2L_DATASET"         # anim2lora.dataset.run.Dataset: the kohya folders and dataset_config.toml


def bgr_stills(images, mask=None) -> list:
    """ComfyUI's IMAGE batch (float [B, H, W, C] in 0-1) as BGR uint8 pictures.  Transparent
    parts (an RGBA batch's alpha, or LoadImage's MASK, which is 1 where the PNG was transparent)
    are laid on white, as reference stills are drawn: on black their dark lines would vanish."""
    arr = images.detach().cpu().float().clamp(0, 1).numpy()
    if arr.shape[-1] == 1:
        arr = np.repeat(arr, 3, axis=-1)
    clear = None
    if arr.shape[-1] == 4:
        clear = 1.0 - arr[..., 3:4]
    elif mask is not None:
        m = mask.detach().cpu().float().clamp(0, 1).numpy()
        m = m[None] if m.ndim == 2 else m
        if m.shape[1:3] == arr.shape[1:3]:
            clear = np.broadcast_to(m, arr.shape[:3])[..., None]
    rgb = arr[..., :3] if clear is None else arr[..., :3] * (1.0 - clear) + clear
    out = (rgb * 255.0).round().astype(np.uint8)
    return [np.ascontiguousarray(a[..., ::-1]) for a in out]
