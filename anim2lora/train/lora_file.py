"""The LoRA file every loader accepts: kohya's safetensors layout and metadata.

Keys ``<kohya name>.lora_down.weight`` (rank x in), ``.lora_up.weight`` (out x rank) and
``.alpha`` (a 0-d tensor), saved in fp16; the forward pass adds ``up(down(x)) * alpha / rank``.
ComfyUI, A1111 and diffusers all read this; peft's own ``lora_A``/``lora_B`` names are silently
dropped by ComfyUI (FIELD_NOTES §1), and diffusers' converter writes alpha = rank (a dim 32 /
alpha 16 LoRA would load at twice its strength), so the file is written here.  The header
carries kohya's ``ss_*`` metadata and the modelspec keys that WebUIs read.
"""

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Dict, Mapping

ADAPTER = "default"


def kohya_tensors(targets: Mapping[str, object], alpha: float, adapter: str = ADAPTER) -> Dict[str, object]:
    """The file's tensors from peft-wrapped modules (``targets``: kohya name -> LoraLayer):
    down = lora_A, up = lora_B, alpha as given, all fp16 and contiguous on the CPU."""
    import torch

    out = {}
    for name, layer in targets.items():
        down = layer.lora_A[adapter].weight.detach()
        up = layer.lora_B[adapter].weight.detach()
        out[f"{name}.lora_down.weight"] = down.to("cpu", torch.float16).contiguous()
        out[f"{name}.lora_up.weight"] = up.to("cpu", torch.float16).contiguous()
        out[f"{name}.alpha"] = torch.tensor(float(alpha), dtype=torch.float16)
    return out


def model_hash(tensors: Mapping[str, object]) -> str:
    """sshs_model_hash: sha256 of the tensors' bytes in key order (what the file holds, not its header)."""
    h = hashlib.sha256()
    for key in sorted(tensors):
        h.update(key.encode())
        h.update(tensors[key].numpy().tobytes())
    return h.hexdigest()


def kohya_metadata(*, rank: int, alpha: float, name: str, clip_skip, keep_tokens: int, resolution: int,
                   num_train_images: int, tag_frequency: Mapping[str, Mapping[str, int]], train_text_encoder: bool,
                   network_args: Mapping[str, str] = None, extra: Mapping[str, str] = None,
                   family=None) -> Dict[str, str]:
    """The header's ``ss_*`` and ``modelspec.*`` entries (every value a string, as safetensors wants);
    ``family`` (SD1.5 by default) gives the base model version and architecture, and a
    ``clip_skip`` of None (SDXL, where kohya ignores it) is written as kohya writes it, "None"."""
    version = family.base_model_version if family else "sd_v1"
    architecture = family.architecture if family else "stable-diffusion-v1"
    meta = {
        "ss_network_module": "networks.lora",
        "ss_network_dim": str(rank),
        "ss_network_alpha": str(float(alpha)),
        "ss_network_args": json.dumps(dict(network_args or {})),
        "ss_base_model_version": version,
        "ss_v2": "False",
        "ss_clip_skip": str(clip_skip),
        "ss_keep_tokens": str(keep_tokens),
        "ss_num_train_images": str(num_train_images),
        "ss_tag_frequency": json.dumps({k: dict(v) for k, v in tag_frequency.items()}),
        "ss_output_name": name,
        "ss_resolution": f"({resolution}, {resolution})",
        "ss_network_train_unet_only": str(not train_text_encoder),
        "ss_training_finished_at": str(time.time()),
        "modelspec.sai_model_spec": "1.0.0",
        "modelspec.architecture": f"{architecture}/lora",
        "modelspec.implementation": "https://github.com/Stability-AI/generative-models",
        "modelspec.title": name,
        "modelspec.resolution": f"{resolution}x{resolution}",
    }
    meta.update({k: str(v) for k, v in (extra or {}).items()})
    return meta


def existing_owner(path: os.PathLike):
    """None when ``path`` does not exist; "anim2lora" when this pack wrote it (so a new run may
    replace it); else "other" (someone's own LoRA, never overwritten)."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        from safetensors import safe_open

        with safe_open(str(path), "pt") as f:
            meta = f.metadata() or {}
    except Exception:  # noqa: BLE001 - unreadable: certainly not ours to replace
        return "other"
    return "anim2lora" if meta.get("ss_training_comment", "").endswith("Anim2LoRA") else "other"


def refuse_foreign(path: os.PathLike) -> None:
    """Stop before training when the LoRA's name belongs to a file Anim2LoRA did not write."""
    if existing_owner(path) == "other":
        from ..errors import BadInputError

        raise BadInputError(f"name: {path} exists and was not made by Anim2LoRA.",
                            hint="Choose another name; the file is left as it is.")


def save_lora(path: os.PathLike, tensors: Mapping[str, object], metadata: Mapping[str, str]) -> Path:
    """Write the file whole or not at all (a cancel or a full disk never leaves half a LoRA)."""
    from safetensors.torch import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {**metadata, "sshs_model_hash": model_hash(tensors)}
    tmp = path.with_name(f".{path.name}.part")
    try:
        save_file(dict(tensors), os.fspath(tmp), metadata=meta)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
