"""Tiny random SD1.5-shaped models and a drawn dataset, for training tests on the CPU in seconds.

The shapes keep what the trainer depends on (cross-attention transformer blocks with kohya's
targets, a VAE that divides by 8, a 12-layer-style CLIP with the real tokenizer) at a width of
8-32 channels."""

import json
from pathlib import Path

import numpy as np
import torch

from anim2lora.dataset.kohya import Subset
from anim2lora.dataset.run import INDEX, Dataset
from anim2lora.train.backend import DiffusersBackend

TINY_UNET = dict(sample_size=8, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(32, 64),
                 down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
                 up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"), cross_attention_dim=32, attention_head_dim=8,
                 norm_num_groups=8)
TINY_VAE = dict(in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(8, 8, 8, 8),
                down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
                layers_per_block=1, norm_num_groups=4, sample_size=64)
TINY_CLIP = dict(vocab_size=49408, hidden_size=32, intermediate_size=37, num_hidden_layers=3, num_attention_heads=4,
                 max_position_embeddings=77, bos_token_id=49406, eos_token_id=49407, pad_token_id=49407)


# SDXL's shape: no attention at the first level, two transformer layers deeper, a `text_time`
# added embedding of 6 size values + CLIP-G's pooled output, context = CLIP-L ⊕ CLIP-G widths
TINY_SDXL_UNET = dict(sample_size=8, in_channels=4, out_channels=4, layers_per_block=2, block_out_channels=(32, 64),
                      down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                      up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), transformer_layers_per_block=(1, 2),
                      cross_attention_dim=64, attention_head_dim=8, norm_num_groups=8, use_linear_projection=True,
                      addition_embed_type="text_time", addition_time_embed_dim=8,
                      projection_class_embeddings_input_dim=6 * 8 + 32)
TINY_CLIP_G = dict(TINY_CLIP, hidden_act="gelu", projection_dim=32, pad_token_id=0)


def tiny_sdxl_backend(seed: int = 0, prediction_type: str = "epsilon", attention_first: bool = False):
    """``attention_first``: cross-attention at the first level too (SDXL has none there), so a
    LoRA reaches the full-resolution path of a model this small."""
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    from anim2lora.train.sdxl import SdxlDiffusersBackend

    torch.manual_seed(seed)
    first = dict(down_block_types=("CrossAttnDownBlock2D",) * 2, up_block_types=("CrossAttnUpBlock2D",) * 2)
    unet = UNet2DConditionModel(**{**TINY_SDXL_UNET, **(first if attention_first else {})})
    vae = AutoencoderKL(**TINY_VAE, scaling_factor=0.13025)
    te1 = CLIPTextModel(CLIPTextConfig(**TINY_CLIP))
    te2 = CLIPTextModelWithProjection(CLIPTextConfig(**TINY_CLIP_G))
    return SdxlDiffusersBackend(unet, vae, te1, te2, prediction_type=prediction_type, identity=f"tinyxl{seed}")


def tiny_backend(seed: int = 0, prediction_type: str = "epsilon") -> DiffusersBackend:
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from anim2lora.train.sd15 import clip_tokenizer

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(**TINY_UNET)
    vae = AutoencoderKL(**TINY_VAE)
    te = CLIPTextModel(CLIPTextConfig(**TINY_CLIP))
    return DiffusersBackend(unet, vae, te, clip_tokenizer(), prediction_type=prediction_type, identity=f"tiny{seed}")


def _figure(size, seed: int, colour) -> np.ndarray:
    """A line drawing: a round head and a body outline in dark ink on white (BGR)."""
    import cv2

    rng = np.random.default_rng(seed)
    w, h = size
    img = np.full((h, w, 3), 255, np.uint8)
    cx, cy = w // 2 + int(rng.integers(-4, 5)), h // 3
    cv2.circle(img, (cx, cy), max(4, w // 8), colour, 2)
    cv2.rectangle(img, (cx - w // 8, cy + w // 8), (cx + w // 8, h - 6), colour, 2)
    return img


def drawn_dataset(root: Path, sizes=((64, 64), (64, 64), (128, 64)), repeats=(1, 2),
                  separator: str = "") -> Dataset:
    """Two groups (A; A+B) of drawn pictures with pinned-head captions."""
    import cv2

    subsets = []
    for g, (group, rep) in enumerate(zip(("A", "A+B"), repeats)):
        folder = root / "img" / f"{rep}_{group}"
        folder.mkdir(parents=True)
        head = "A" if group == "A" else "A, B, 2people"
        sub = Subset(group, folder, rep, len(head.split(",")))
        for i, size in enumerate(sizes):
            path = folder / f"{i:03d}.png"
            cv2.imwrite(str(path), _figure(size, 10 * g + i, (20, 20, 20) if g == 0 else (60, 30, 10)))
            free = "monochrome, lineart, white background, full body"
            caption = f"{head} {separator} {free}" if separator else f"{head}, {free}"
            path.with_suffix(".txt").write_text(caption, encoding="utf-8")
            sub.images.append(path)
            sub.captions.append(caption)
        subsets.append(sub)
    frequency = {f"{s.repeats}_{s.group}": {"A": len(s.images)} for s in subsets}
    # the dataset.json a caption run writes, so load_dataset reads the folder as a user's
    (root / INDEX).write_text(json.dumps({
        "stage": "caption", "kind": "dataset", "settings": {"resolution": 256, "keep_tokens_separator": separator},
        "tagger": "offline", "tag_frequency": frequency,
        "groups": {s.group: {"folder": s.folder.name, "repeats": s.repeats, "keep_tokens": s.keep_tokens}
                   for s in subsets}}))
    return Dataset(root, root / "dataset_config.toml", subsets, 64, separator, "offline", frequency)
