"""TrainLoRA: a dataset and the checkpoint loader's MODEL/CLIP/VAE in; a kohya LoRA in the loras
folder and the MODEL/CLIP with it applied out.  Training runs here, in the host's process and
on its device."""

import logging
import time

from ..anim2lora import cache_layout
from ..anim2lora.train.lora_file import refuse_foreign
from ..anim2lora.train.settings import RunOptions, TrainSettings
from . import bridge
from .comfy_types import DATASET, REFERENCES, image_batch, setting_inputs

log = logging.getLogger("anim2lora")
EVENT = "anim2lora.train"
LOG_EVERY = 5.0          # seconds between step lines in ComfyUI's console


def _browser_event(event: dict, unique_id, name: str) -> dict:
    """A training loop event as the browser gets it (JSON): a sample preview's picture written
    to the temp folder and sent as its image reference."""
    out = {"node": unique_id, "name": name, **{k: v for k, v in event.items() if k != "picture"}}
    if event.get("picture") is not None:
        prefix = f"a2l_{name}_live_{event['epoch']:03d}_{event['preview']}"
        out["image"] = bridge.temp_images([event["picture"]], prefix)[0]
    return out


def _base_model(prompt, unique_id, model, identity) -> str:
    """The checkpoint's file name as the graph loaded it (for the LoRA's ss_sd_model_name), and
    its weights' identity, so a stopped run never resumes on another model."""
    name = ""
    try:
        source = prompt[str(unique_id)]["inputs"]["model"][0]
        inputs = prompt[str(source)]["inputs"]
        name = inputs.get("ckpt_name") or inputs.get("unet_name") or ""
    except (KeyError, IndexError, TypeError):
        pass
    weights = identity(getattr(getattr(model, "model", None), "diffusion_model", None))
    return f"{name} ({weights})" if name else weights


def _scorer(references):
    """The verdict's analyzers on the references, for scoring during the run (None without them)."""
    if not references:
        return None
    from ..anim2lora.people import identity
    from ..anim2lora.people.detectors import MODELS_FOLDER
    from ..anim2lora.verdict.score import ResemblanceScorer

    return ResemblanceScorer({name: list(stills) for name, stills in references}, device=bridge.torch_device(),
                             detect_models=bridge.models_dir(MODELS_FOLDER),
                             embed_models=bridge.models_dir(identity.MODELS_FOLDER))


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
                             **setting_inputs(TrainSettings), **setting_inputs(RunOptions)},
                # optional, after every older widget: saved workflows and API prompts keep loading
                "optional": {**setting_inputs(TrainSettings, optional=True),
                             "references": (REFERENCES, {"tooltip": "The characters, from Character Reference "
                                                         "nodes: score_every_n_steps scores resemblance to their "
                                                         "stills (without them nothing is scored)."})},
                "hidden": {"unique_id": "UNIQUE_ID", "prompt": "PROMPT"}}

    def train(self, model, clip, vae, dataset, resume=True, references=(), unique_id=None, prompt=None, **settings):
        import torch       # torch and the trainer load when a run starts, not when ComfyUI lists nodes

        from ..anim2lora.train.comfy_backend import ComfyBackend, module_identity
        from ..anim2lora.train.curve import loss_picture
        from ..anim2lora.train.loop import train
        from ..anim2lora.train.report import train_report

        settings = TrainSettings(**settings)
        lora_path = bridge.loras_dir() / f"{settings.name}.safetensors"
        refuse_foreign(lora_path)          # before any model is touched
        backend = ComfyBackend(model, clip, vae, bridge.host_memory(), train_text_encoder=settings.train_text_encoder,
                               identity=module_identity(getattr(vae, "first_stage_model", None)))
        state_dir = bridge.cache_root() / cache_layout.TRAIN_STATE / settings.name
        progress = bridge.progress(0, unique_id)

        logged = [0.0]

        def on_event(event):
            if bridge.has_host():
                bridge.send_event(EVENT, _browser_event(event, unique_id, settings.name))
            now = time.monotonic()
            if "loss" in event and (now - logged[0] >= LOG_EVERY or event["step"] == event["total"]):
                logged[0] = now          # for headless hosts: the console shows where the run is
                log.info("TrainLoRA %s: step %d/%d, loss %.4f, %.2f s/step, %.0f s left", settings.name,
                         event["step"], event["total"], event["loss"], event["seconds_per_step"],
                         event["seconds_left"])
            if event.get("score") is not None:
                log.info("TrainLoRA %s: step %d, resemblance %.3f (best %.3f at step %d)", settings.name,
                         event["step"], event["score"], event["best"]["score"], event["best"]["step"])

        scorer = _scorer(references) if settings.score_every_n_steps else None
        with torch.inference_mode(False):        # ComfyUI runs nodes under inference_mode
            result = train(backend, dataset, settings, lora_path, state_dir=state_dir,
                           latent_dir=bridge.cache_root() / cache_layout.LATENTS, progress=progress, on_event=on_event,
                           resume=resume, base_model=_base_model(prompt, unique_id, model, module_identity),
                           scorer=scorer)
        # SDXL conditions on fixed layers (kohya ignores clip skip there): the CLIP is left at them
        clip_skip = settings.clip_skip if backend.family.uses_clip_skip else None
        trained_model, trained_clip = bridge.apply_lora(model, clip, result.lora, clip_skip)
        report = train_report(result, settings)
        loss = image_batch(loss_picture(result.losses, f"{settings.name} loss"))
        ui = {"a2l_report": [report], "a2l_losses": result.losses,
              "a2l_scores": [{"step": e["step"], "score": e["score"]} for e in result.scores]}
        if result.previews:
            ui["images"] = bridge.temp_images([p for _, _, p in result.previews], f"a2l_{settings.name}_preview")
        return {"ui": ui,
                "result": (trained_model, trained_clip, result.lora.name, loss, report)}


NODE_CLASS_MAPPINGS = {"TrainLoRA": TrainLoRA}
NODE_DISPLAY_NAME_MAPPINGS = {"TrainLoRA": "Train LoRA (Anim2LoRA)"}
