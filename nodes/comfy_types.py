"""Translating between the core's values and ComfyUI's socket types."""

import numpy as np

FRAMES = "A2L_FRAMES"   # anim2lora.frameset.FrameSet: a manifest of frames on disk


def image_batch(rgb: np.ndarray):
    """An RGB uint8 picture as ComfyUI's IMAGE: float32 [1, H, W, 3] in 0-1."""
    import torch

    return torch.from_numpy(np.ascontiguousarray(rgb)).float().div_(255.0).unsqueeze(0)
