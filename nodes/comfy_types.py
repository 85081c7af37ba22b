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


def image_batch(rgb: np.ndarray):
    """An RGB uint8 picture as ComfyUI's IMAGE: float32 [1, H, W, 3] in 0-1."""
    import torch

    return torch.from_numpy(np.ascontiguousarray(rgb)).float().div_(255.0).unsqueeze(0)
