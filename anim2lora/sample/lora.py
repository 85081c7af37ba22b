"""A kohya LoRA file merged into a trainer backend's weights, so a LoRA trained earlier (or
anyone's kohya LoRA of the same family) can be sampled without a host."""

import os
from pathlib import Path

from ..errors import BadInputError


def merge_lora(backend, path: os.PathLike, strength: float = 1.0) -> int:
    """Add ``strength * alpha/rank * up @ down`` of every module in the file to the backend's
    UNet and text encoders, as LoraLoader applies it; the number of modules merged.  A file
    whose modules the checkpoint lacks (another family's LoRA) is refused, naming one."""
    import torch
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    try:
        tensors = load_file(str(path))
    except (OSError, SafetensorError) as e:
        raise BadInputError(f"lora {path}: cannot read it as a safetensors LoRA ({e}).",
                            hint="Give the .safetensors file Train LoRA (or kohya) wrote.") from None
    where = {name: (backend.unet, p) for name, p in backend.unet_targets().items()}
    for model, paths in backend.text_encoders():
        where.update({name: (model, p) for name, p in paths.items()})
    names = sorted({k[: -len(".lora_down.weight")] for k in tensors if k.endswith(".lora_down.weight")})
    if not names:
        raise BadInputError(f"lora {path}: no kohya LoRA module in it (no <name>.lora_down.weight).",
                            hint="Give the .safetensors file Train LoRA (or kohya) wrote.")
    foreign = [n for n in names if n not in where]
    if foreign:
        raise BadInputError(f"lora {path}: {len(foreign)} of its {len(names)} modules are not in this checkpoint "
                            f"(e.g. {foreign[0]}).", hint="Give the checkpoint of the family the LoRA was trained on.")
    with torch.no_grad():
        for name in names:
            model, module_path = where[name]
            weight = model.get_submodule(module_path).weight
            down = tensors[f"{name}.lora_down.weight"].float()
            up = tensors[f"{name}.lora_up.weight"].float()
            rank = down.shape[0]
            alpha = float(tensors[f"{name}.alpha"]) if f"{name}.alpha" in tensors else float(rank)
            delta = (up.flatten(1) @ down.flatten(1)) * (strength * alpha / rank)
            weight.add_(delta.reshape(weight.shape).to(weight.device, weight.dtype))
    return len(names)
