"""LineArtSampler: MODEL, CLIP and VAE (with TrainLoRA's LoRA, or one picked here) in; line art
of the dataset's named characters out, sampled in-process with the host's own sampler, cleaned
and raw."""

from ..anim2lora.sample.prompts import line_art_prompt
from ..anim2lora.sample.run import clean_all
from ..anim2lora.sample.settings import HELP, SPECS, SampleSettings
from . import bridge
from .comfy_types import DATASET, flag_input, image_batch, number_inputs, uint8_pictures

NO_LORA = "None"


def _text(default: str, tooltip: str, multiline: bool = False) -> tuple:
    return ("STRING", {"default": default, "multiline": multiline, "tooltip": tooltip})


def _native_size(model) -> int:
    """The side the MODEL's family draws at (SDXL-family 1024); 512, ComfyUI's Empty Latent Image
    default, for one Anim2LoRA does not know."""
    from ..anim2lora.train.family import of_host_model

    family = of_host_model(model)
    return family.resolution if family else 512


class LineArtSampler:
    DESCRIPTION = ("Draws line art of the characters a LoRA was trained on: the prompt starts with the dataset "
                   "group's pinned tokens, a line-art template and your text follow, and a negative names the "
                   "source write-up's failures. Samples with ComfyUI's own sampler, then optionally whitens the "
                   "background, desaturates, binarises and thins the lines; the raw pictures come out too.")
    CATEGORY = "anim2lora/sample"
    FUNCTION = "sample"
    RETURN_TYPES = ("IMAGE", "IMAGE", "STRING")
    RETURN_NAMES = ("images", "raw", "positive")
    OUTPUT_TOOLTIPS = ("The pictures after the chosen clean-up (for Line Art Verdict or Save Image).",
                       "The same pictures straight from the VAE, before clean-up.",
                       "The positive prompt as sampled.")

    @classmethod
    def INPUT_TYPES(cls):
        d = SampleSettings()
        numbers = number_inputs(SPECS, d)
        numbers["seed"][1]["control_after_generate"] = True
        samplers, schedulers = bridge.sampler_names(), bridge.scheduler_names()
        return {"required": {
            "model": ("MODEL", {"tooltip": "The model (Train LoRA's, with its LoRA applied, or Load Checkpoint's)."}),
            "clip": ("CLIP", {"tooltip": "Its CLIP; clip skip stays as set upstream (Train LoRA sets the one it "
                                         "trained with)."}),
            "vae": ("VAE", {"tooltip": "The VAE that decodes the pictures."}),
            "lora_name": ([NO_LORA] + bridge.lora_names(), {"default": NO_LORA, "tooltip": "A LoRA from the "
                          "loras folder to apply as Load LoRA does; None when the model already has one."}),
            "lora_strength": ("FLOAT", {"default": 1.0, "min": -10.0, "max": 10.0, "step": 0.01,
                                        "tooltip": "Strength of that LoRA on the model and the CLIP."}),
            "characters": _text(d.characters, HELP["characters"]),
            "prompt": _text(d.prompt, HELP["prompt"], multiline=True),
            "negative": _text(d.negative, HELP["negative"], multiline=True),
            "seed": numbers["seed"], "steps": numbers["steps"], "cfg": numbers["cfg"],
            "sampler_name": (samplers, {"default": "euler", "tooltip": "The host's sampler, as KSampler's."}),
            "scheduler": (schedulers, {"default": "normal", "tooltip": "The host's scheduler, as KSampler's."}),
            "width": numbers["width"], "height": numbers["height"], "batch_size": numbers["batch_size"],
            "white_background": flag_input(d.white_background, HELP["white_background"]),
            "desaturate": flag_input(d.desaturate, HELP["desaturate"]),
            "binarise": flag_input(d.binarise, HELP["binarise"]),
            "thin": numbers["thin"]},
            "optional": {"dataset": (DATASET, {"tooltip": "The dataset the LoRA was trained on (Caption With Keep "
                                               "Tokens): its group names and pinned tokens."})}}

    def sample(self, model, clip, vae, lora_name, lora_strength, sampler_name, scheduler, dataset=None, **settings):
        settings = SampleSettings(**settings)
        positive = line_art_prompt(settings.characters, settings.prompt, dataset)     # refuses unknown names first
        if lora_name != NO_LORA and lora_strength != 0:
            model, clip = bridge.apply_lora(model, clip, bridge.lora_path(lora_name), strength=lora_strength)
        width, height = settings.size(_native_size(model))
        # the host's sampler gives SDXL its size conditioning from the latent's size (as CLIPTextEncode's
        # conditioning leaves it), and its CLIP encodes with both text encoders
        raw = bridge.sample_images(model, vae, bridge.encode_prompt(clip, positive),
                                   bridge.encode_prompt(clip, settings.negative), seed=settings.seed,
                                   steps=settings.steps, cfg=settings.cfg, sampler_name=sampler_name,
                                   scheduler=scheduler, width=width, height=height, batch_size=settings.batch_size)
        cleaned = image_batch(clean_all(uint8_pictures(raw), settings))
        return (cleaned, raw, positive)


NODE_CLASS_MAPPINGS = {"LineArtSampler": LineArtSampler}
NODE_DISPLAY_NAME_MAPPINGS = {"LineArtSampler": "Line Art Sampler (Anim2LoRA)"}
