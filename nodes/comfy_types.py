"""Translating between the core's values and ComfyUI's socket types."""

import numpy as np

FRAMES = "A2L_FRAMES"   # anim2lora.frameset.FrameSet: a manifest of frames on disk


def setting_inputs(record, installed=None, optional: bool = False) -> dict:
    """The widgets of a core settings record, from its one declaration (anim2lora/specs.py), in
    its field order; ``installed``: setting name -> the installed models listed after its
    choices; ``optional``: the settings declared optional instead of the required ones."""
    from ..anim2lora.specs import declared

    inputs = {}
    for name, spec in declared(record).items():
        if spec.optional != optional:
            continue
        options = {"default": spec.default, **spec.widget, "tooltip": spec.help}
        if spec.choices is not None:
            kind = list(spec.choices) + [c for c in (installed or {}).get(name, ()) if c not in spec.choices]
        elif spec.kind is bool:
            kind = "BOOLEAN"
        elif spec.kind in (int, float):
            kind = "INT" if spec.kind is int else "FLOAT"
            options.update({"min": spec.low, "max": spec.high, "step": spec.step})
        else:
            kind = "STRING"
        inputs[name] = (kind, options)
    return inputs


def filter_inputs(settings: dict, frames_tooltip: str = "A frame set from Video Frame Extract or another filter.") -> dict:
    """INPUT_TYPES of a stage that takes a frame set and its own settings, and shows its progress
    on its own node."""
    return {"required": {"frames": (FRAMES, {"tooltip": frames_tooltip}), **settings},
            "hidden": {"unique_id": "UNIQUE_ID"}}


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
