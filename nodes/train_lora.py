"""TrainLoRA: a dataset and the checkpoint loader's MODEL/CLIP/VAE in; a kohya LoRA in the loras
folder and the MODEL/CLIP with it applied out.  Training runs here, in the host's process and
on its device."""

from ..anim2lora.errors import BadInputError
from ..anim2lora.train.lora_file import existing_owner
from ..anim2lora.train.settings import CHOICES, HELP, SPECS, TrainSettings
from . import bridge
from .comfy_types import DATASET, image_batch, number_inputs

EVENT = "anim2lora.train"


def _setting_inputs() -> dict:
    d = TrainSettings()
    inputs = {"name": ("STRING", {"default": d.name, "tooltip": HELP["name"]})}
    inputs.update(number_inputs(SPECS, d))
    for name, allowed in CHOICES.items():
        inputs[name] = (list(allowed), {"default": getattr(d, name), "tooltip": HELP[name]})
    for name in ("gradient_checkpointing", "shuffle_caption"):
        inputs[name] = ("BOOLEAN", {"default": getattr(d, name), "tooltip": HELP[name]})
    inputs["resume"] = ("BOOLEAN", {"default": True, "tooltip": "Continue a stopped run of the same name, "
                                    "dataset and settings from its saved state (cancel keeps one)."})
    return inputs


class TrainLoRA:
    DESCRIPTION = ("Trains a LoRA on a Caption With Keep Tokens dataset with kohya's semantics (per-step caption "
                   "shuffle after the pinned names, clip skip, buckets, min-SNR), inside ComfyUI on its device, "
                   "and saves it in kohya's format to the loras folder. Cancel keeps a usable LoRA and a state "
                   "to resume from.")
    CATEGORY = "anim2lora/train"
    FUNCTION = "train"
    OUTPUT_NODE = True          # the LoRA file is a result in itself
    RETURN_TYPES = ("MODEL", "CLIP", "STRING", "IMAGE", "STRING")
    RETURN_NAMES = ("model", "clip", "lora_name", "loss", "report")
    OUTPUT_TOOLTIPS = (
        "The model with the trained LoRA applied (as LoraLoader would), for Line Art Sampler.",
        "The CLIP with the trained LoRA applied.",
        "The LoRA's file name in the loras folder (for LoraLoader in other workflows).",
        "The loss curve.",
        "Steps, time per step, loss, the file and any notes.",
    )

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"model": ("MODEL", {"tooltip": "The base model (Load Checkpoint's MODEL)."}),
                             "clip": ("CLIP", {"tooltip": "Its CLIP (clip skip is set here, not with CLIP Set Last "
                                                          "Layer)."}),
                             "vae": ("VAE", {"tooltip": "Its VAE, to encode the dataset's pictures."}),
                             "dataset": (DATASET, {"tooltip": "The dataset from Caption With Keep Tokens."}),
                             **_setting_inputs()},
                "hidden": {"unique_id": "UNIQUE_ID"}}

    def train(self, model, clip, vae, dataset, resume=True, unique_id=None, **settings):
        import torch       # torch and the trainer load when a run starts, not when ComfyUI lists nodes

        from ..anim2lora.train.comfy_backend import ComfyBackend, module_identity
        from ..anim2lora.train.curve import loss_picture
        from ..anim2lora.train.loop import train
        from ..anim2lora.train.report import train_report

        settings = TrainSettings(**settings)
        lora_path = bridge.loras_dir() / f"{settings.name}.safetensors"
        owner = existing_owner(lora_path)
        if owner is not None and owner != "anim2lora":
            raise BadInputError(f"name: {lora_path} exists and was not made by Anim2LoRA.",
                                hint="Choose another name; the file is left as it is.")
        backend = ComfyBackend(model, clip, vae, bridge.host_memory(), train_text_encoder=settings.train_text_encoder,
                               identity=module_identity(getattr(vae, "first_stage_model", None)))
        state_dir = bridge.cache_root() / "train_state" / settings.name
        progress = bridge.progress(0, unique_id)

        def on_event(event):
            bridge.send_event(EVENT, {"node": unique_id, "name": settings.name, **event})

        with torch.inference_mode(False):        # ComfyUI runs nodes under inference_mode
            result = train(backend, dataset, settings, lora_path, state_dir=state_dir,
                           latent_dir=bridge.cache_root() / "latents", progress=progress, on_event=on_event,
                           resume=resume)
        trained_model, trained_clip = bridge.apply_lora(model, clip, result.lora)
        report = train_report(result, settings)
        loss = image_batch(loss_picture(result.losses, f"{settings.name} loss"))
        ui = {"a2l_report": [report], "a2l_losses": result.losses}
        if result.previews:
            ui["images"] = bridge.temp_images([p for _, _, p in result.previews], f"a2l_{settings.name}_preview")
        return {"ui": ui,
                "result": (trained_model, trained_clip, result.lora.name, loss, report)}


NODE_CLASS_MAPPINGS = {"TrainLoRA": TrainLoRA}
NODE_DISPLAY_NAME_MAPPINGS = {"TrainLoRA": "Train LoRA (Anim2LoRA)"}
