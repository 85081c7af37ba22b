"""A model family (SD1.5, SDXL …) behind one interface: the trainer, the LoRA file and the command
line ask the family instead of knowing each one, so a later family (SD3.5, Anima) is one added
module with a ``Family`` subclass, listed in ``MODULES``, not edits across the trainer.

What a family decides:
- checks: whether a checkpoint's keys are its own (``owns``) and how its single file loads
  offline into a ``Backend`` (``load``);
- key naming: its kohya text-encoder prefixes, the UNet layout kohya names modules after
  (``kohya_unet_layout``), ``ss_base_model_version`` and ``modelspec.architecture``;
- conditioning: the per-picture size conditioning (``item_sizes``, ``picture_sizes``), if any,
  and in ComfyUI the class label ``y`` the host's model takes (``host_label``);
- in ComfyUI: its model config classes (``host_configs``) and its CLIP's encoders
  (``host_encoders``), so the host backend (``comfy_backend``) trains it without knowing it;
- noise schedule: its training ``alphas_cumprod``; zero-terminal SNR is applied over any
  family's schedule by ``zero_terminal_snr`` (kohya's formula);
- defaults: its native resolution (the side of the default buckets).
"""

import importlib
import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import torch

from ..errors import BadInputError

MODULES = ("sd15", "sdxl")           # anim2lora.train.<module>.FAMILY, in the order they are asked
SUPPORTED = "SD1.5 and SDXL-family checkpoints (SDXL 1.0, Illustrious, NoobAI, Pony)"


class Family:
    name = ""                     # short id ("sd15", "sdxl")
    label = ""                    # as users say it
    base_model_version = ""       # kohya's ss_base_model_version
    architecture = ""             # modelspec.architecture, without "/lora"
    resolution = 512              # native training side
    te_prefixes: Tuple[str, ...] = ("lora_te",)
    uses_clip_skip = True         # False: the family fixes which layers condition (SDXL: penultimate)
    host_configs: Tuple[str, ...] = ()   # ComfyUI's model config classes of it (comfy/supported_models.py)
    host_encoders: Tuple[str, ...] = ("clip_l",)   # its ComfyUI CLIP model's encoders, in te_prefixes' order
    kohya_unet_layout = "diffusers"   # the UNet paths kohya names its modules after: "diffusers"
                                      # (down_blocks.1.attentions.0…) or "sgm" (input_blocks.4.1…)

    def owns(self, shapes: Dict[str, tuple]) -> bool:
        """Whether a single-file checkpoint with these tensor shapes is this family's."""
        raise NotImplementedError

    def load(self, path: Path, tensors, *, device, dtype, prediction_type: str, identity: str):
        """The Backend of an opened single-file checkpoint (``sd15._Tensors``)."""
        raise NotImplementedError

    def alphas_cumprod(self) -> torch.Tensor:
        """The training schedule: DDPM scaled_linear 0.00085 -> 0.012 over 1000 steps (SD1.x and
        SDXL), computed as diffusers' DDPMScheduler does in float32."""
        from .sd15 import alphas_cumprod

        return alphas_cumprod()

    def item_sizes(self, items: Sequence) -> Optional[List[Tuple[int, ...]]]:
        """Per training picture, the size conditioning the UNet takes (None: it takes none)."""
        return None

    def picture_sizes(self, width: int, height: int, count: int) -> Optional[List[Tuple[int, ...]]]:
        """The size conditioning of ``count`` pictures drawn at width x height."""
        return None

    def host_label(self, model, pooled: torch.Tensor, sizes: torch.Tensor) -> Optional[torch.Tensor]:
        """The class label ``y`` a ComfyUI model of this family takes beside the text (None: it
        takes none), from the pooled text embedding and the size conditioning of each picture;
        ``model`` is the host's model object (``MODEL.model``), whose own methods build it."""
        return None


def families() -> List[Family]:
    return [importlib.import_module(f".{m}", __package__).FAMILY for m in MODULES]


def by_name(name: str) -> Family:
    for family in families():
        if family.name == name:
            return family
    raise BadInputError(f"model family {name!r} is not one of {', '.join(f.name for f in families())}.")


def of_host_model(model) -> Optional[Family]:
    """The family of a ComfyUI MODEL, read from its model config's class (None: one Anim2LoRA
    does not know).  Reads attributes of the object handed in; imports nothing of the host."""
    return of_host_config(host_config_name(model))


def host_config_name(model) -> str:
    """The class name of a ComfyUI MODEL's model config ("SD15", "SDXL", "SD3" …)."""
    return type(getattr(getattr(model, "model", None), "model_config", None)).__name__


def of_host_config(config: str) -> Optional[Family]:
    """The family whose ComfyUI model config class is named ``config`` (None: none is)."""
    return next((f for f in families() if config in f.host_configs), None)


def zero_terminal_snr(alphas_cumprod: torch.Tensor) -> torch.Tensor:
    """kohya's --zero_terminal_snr (Lin et al. 2023, arXiv 2305.08891): sqrt(alphas_cumprod)
    shifted so the last step is 0 and scaled so the first keeps its value, then turned into
    betas and back, as kohya's fix_noise_scheduler_betas_for_zero_terminal_snr does."""
    ab = alphas_cumprod.float()
    root = ab.sqrt()
    first, last = root[0].clone(), root[-1].clone()
    root = (root - last) * (first / (first - last))
    ab = root ** 2
    alphas = torch.cat([ab[0:1], ab[1:] / ab[:-1]])
    return torch.cumprod(alphas, dim=0)


def detect(path: Path, shapes: Dict[str, tuple]) -> Family:
    """The family of a checkpoint, or a BadInputError naming what it is instead."""
    from .sd15 import other_model

    for family in families():
        if family.owns(shapes):
            return family
    what = other_model(shapes) or "not a checkpoint of a model family Anim2LoRA knows"
    raise BadInputError(f"{path.name} is {what}; Anim2LoRA trains {SUPPORTED}.",
                        hint="Pick an SD1.5 or SDXL-family checkpoint (.safetensors or .ckpt) from ComfyUI's "
                             "models/checkpoints; other families are not supported yet.")


def load_backend(checkpoint: os.PathLike, *, device="cpu", dtype=torch.float32, prediction_type="auto"):
    """A single-file checkpoint of any supported family, as a ready ``Backend``."""
    from .sd15 import open_checkpoint

    path = Path(checkpoint)
    with open_checkpoint(path) as tensors:
        family = detect(path, tensors.shapes)
        return family.load(path, tensors, device=device, dtype=dtype, prediction_type=prediction_type,
                           identity=path.name)
