"""LineArtSampler: MODEL, CLIP and VAE (with TrainLoRA's LoRA, or one picked here) in; line art
of the dataset's named characters out, sampled in-process with the host's own sampler, cleaned
and raw."""

from ..anim2lora.sample.prompts import line_art_prompt
from ..anim2lora.sample.run import clean_all
from ..anim2lora.sample.settings import SampleSettings
from . import bridge
from .comfy_types import DATASET, image_batch, setting_inputs, uint8_pictures

NO_LORA = "None"


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
        samplers, schedulers = bridge.sampler_names(), bridge.scheduler_names()
        # the host's own choices, each placed before the setting it has always preceded
        host = {"lora_strength": {"lora_name": ([NO_LORA] + bridge.lora_names(), {
                    "default": NO_LORA, "tooltip": "A LoRA from the loras folder to apply as Load LoRA does; None "
                    "when the model already has one."})},
                "width": {"sampler_name": (samplers, {"default": "euler", "tooltip": "The host's sampler, as "
                                                      "KSampler's."}),
                          "scheduler": (schedulers, {"default": "normal", "tooltip": "The host's scheduler, as "
                                                     "KSampler's."})}}
        required = {
            "model": ("MODEL", {"tooltip": "The model (Train LoRA's, with its LoRA applied, or Load Checkpoint's)."}),
            "clip": ("CLIP", {"tooltip": "Its CLIP; clip skip stays as set upstream (Train LoRA sets the one it "
                                         "trained with)."}),
            "vae": ("VAE", {"tooltip": "The VAE that decodes the pictures."})}
        for name, entry in setting_inputs(SampleSettings).items():
            required.update(host.get(name, {}))
            required[name] = entry
        return {"required": required,
                "optional": {"dataset": (DATASET, {"tooltip": "The dataset the LoRA was trained on (Caption With "
                                                   "Keep Tokens): its group names and pinned tokens."})}}

    def sample(self, model, clip, vae, lora_name, sampler_name, scheduler, dataset=None, **settings):
        settings = SampleSettings(**settings)
        positive = line_art_prompt(settings.characters, settings.prompt, dataset)     # refuses unknown names first
        if lora_name != NO_LORA and settings.lora_strength != 0:
            model, clip = bridge.apply_lora(model, clip, bridge.lora_path(lora_name), strength=settings.lora_strength)
        width, height = settings.size(_native_size(model))
        # the host's sampler gives SDXL its size conditioning from the latent's size (as CLIPTextEncode's
        # conditioning leaves it), and its CLIP encodes with both text encoders
        raw = bridge.sample_images(model, vae, bridge.encode_prompt(clip, positive),
                                   bridge.encode_prompt(clip, settings.negative), seed=settings.seed,
                                   steps=settings.steps, cfg=settings.cfg, sampler_name=sampler_name,
                                   scheduler=scheduler, width=width, height=height,
                                   batch_size=settings.batch_size)
        cleaned = image_batch(clean_all(uint8_pictures(raw), settings))
        return (cleaned, raw, positive)


NODE_CLASS_MAPPINGS = {"LineArtSampler": LineArtSampler}
NODE_DISPLAY_NAME_MAPPINGS = {"LineArtSampler": "Line Art Sampler (Anim2LoRA)"}
