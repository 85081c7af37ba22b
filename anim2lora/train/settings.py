"""TrainLoRA's settings: one record and one table of ranges and help texts for the node, the
command line and the LoRA's own metadata.

Defaults are the source write-up's v2 run (dim 32 / alpha 16, clip skip 2, 3 epochs) with
kohya's usual learning rates; what the math means follows kohya (FIELD_NOTES §2).
"""

from dataclasses import asdict, dataclass, fields

from ..errors import BadInputError
from ..specs import Spec, check_choice, check_ranges

OPTIMIZERS = ("adamw", "adamw8bit")
SCHEDULERS = ("constant", "constant_with_warmup", "linear", "cosine")
PRECISIONS = ("auto", "no", "fp16", "bf16")
PREDICTIONS = ("auto", "epsilon", "v_prediction", "v_prediction_zsnr")
LATENT_CACHES = ("memory", "disk", "off")

SPECS = {
    "rank": Spec(1, 256, 1, "LoRA dim (rank): how much the LoRA can hold. 32 is the write-up's choice."),
    "alpha": Spec(0.1, 256.0, 0.1, "LoRA alpha: the update is scaled by alpha/rank (16 with rank 32 = 0.5), "
                  "as kohya and every loader apply it."),
    "unet_lr": Spec(0.0, 1.0, 1e-6, "Learning rate of the UNet's LoRA."),
    "text_encoder_lr": Spec(0.0, 1.0, 1e-6, "Learning rate of the text encoder's LoRA; 0 trains the UNet only: "
                            "with shuffle_caption and tag dropout off, each caption is then encoded once and the "
                            "text encoders leave the device (kohya's cache_text_encoder_outputs)."),
    "warmup_steps": Spec(0, 100000, 1, "Steps over which the learning rate rises from 0 (constant_with_warmup, "
                         "linear, cosine)."),
    "epochs": Spec(1, 1000, 1, "Passes over the dataset; each pass shows every picture as many times as its "
                   "group's repeats."),
    "batch_size": Spec(1, 64, 1, "Pictures per step (from one aspect bucket at a time, as kohya)."),
    "gradient_accumulation": Spec(1, 64, 1, "Steps whose gradients are summed before one optimizer update "
                                  "(a larger batch without the memory)."),
    "max_grad_norm": Spec(0.0, 100.0, 0.1, "Gradients are clipped to this norm before each update, as kohya's "
                          "--max_grad_norm (1.0); 0: no clipping."),
    "seed": Spec(0, 2 ** 32 - 1, 1, "Seeds the LoRA's start, the order, the captions' shuffle, noise and "
                 "timesteps: the same seed gives the same LoRA."),
    "clip_skip": Spec(1, 12, 1, "2 = the penultimate CLIP layer (then the final layer norm), as kohya's "
                      "--clip_skip 2 and ComfyUI's CLIP Set Last Layer -2; anime models expect 2."),
    "caption_tag_dropout": Spec(0.0, 1.0, 0.01, "Chance each free tag is left out of a step's caption (pinned "
                                "tags never are)."),
    "caption_dropout": Spec(0.0, 1.0, 0.01, "Chance a step sees an empty caption."),
    "noise_offset": Spec(0.0, 1.0, 0.01, "kohya's noise offset (0.05-0.1 helps pure white and black; 0: off)."),
    "min_snr_gamma": Spec(0.0, 20.0, 0.5, "Min-SNR weighting gamma (5 is usual; 0: off)."),
    "max_steps": Spec(0, 10 ** 7, 1, "Stop after this many optimizer steps (0: run every epoch)."),
    "resolution": Spec(0, 2048, 64, "Training resolution: aspect buckets of 64 px with at most "
                       "resolution² pixels, never enlarging a picture (kohya's bucket_no_upscale). 0: the "
                       "model's own size (SD1.5 512, SDXL 1024)."),
    "save_every_n_epochs": Spec(0, 1000, 1, "Also save <name>-<epoch>.safetensors every n epochs (0: only "
                                "the final LoRA)."),
    "sample_every_n_epochs": Spec(0, 1000, 1, "Draw a preview of each group every n epochs (0: none)."),
}

CHOICES = {"optimizer": OPTIMIZERS, "lr_scheduler": SCHEDULERS, "mixed_precision": PRECISIONS,
           "prediction": PREDICTIONS, "cache_latents": LATENT_CACHES}

HELP = {
    "optimizer": "AdamW, or bitsandbytes' 8-bit AdamW on CUDA (less memory; falls back to AdamW, with a "
                 "note in the report, when bitsandbytes is missing or the device is not CUDA).",
    "lr_scheduler": "How the learning rate moves over the run, after the warmup.",
    "mixed_precision": "Compute type of the frozen model (the LoRA's own weights stay float32). auto: bf16 "
                       "where the GPU supports it, else fp16 on CUDA, float32 on the CPU.",
    "prediction": "What the model predicts: auto reads the checkpoint (SD1.5, SDXL: epsilon; NoobAI's v-pred "
                  "release: v-prediction with zero-terminal SNR). v_prediction_zsnr: v-prediction on the "
                  "zero-terminal-SNR schedule (kohya's --v_parameterization --zero_terminal_snr).",
    "cache_latents": "Encode each picture once (memory, or disk under the dataset so a re-run skips it) "
                     "instead of at every step.",
    "gradient_checkpointing": "Recompute activations in the backward pass: much less memory, ~25% slower.",
    "shuffle_caption": "Shuffle the free tags at every step, keeping the pinned names first (kohya's "
                       "shuffle_caption with keep_tokens).",
    "name": "File name of the LoRA in the loras folder (no extension); also its ss_output_name.",
}


@dataclass(frozen=True)
class TrainSettings:
    name: str = "anim2lora"
    rank: int = 32
    alpha: float = 16.0
    unet_lr: float = 1e-4
    text_encoder_lr: float = 5e-5
    optimizer: str = "adamw"
    lr_scheduler: str = "constant_with_warmup"
    warmup_steps: int = 10
    epochs: int = 3
    batch_size: int = 1
    gradient_accumulation: int = 1
    max_grad_norm: float = 1.0
    gradient_checkpointing: bool = True
    mixed_precision: str = "auto"
    seed: int = 42
    clip_skip: int = 2
    shuffle_caption: bool = True
    caption_tag_dropout: float = 0.0
    caption_dropout: float = 0.0
    noise_offset: float = 0.0
    min_snr_gamma: float = 5.0
    prediction: str = "auto"
    cache_latents: str = "memory"
    max_steps: int = 0
    resolution: int = 0                 # 0: the family's own (SD1.5 512, SDXL 1024)
    save_every_n_epochs: int = 0
    sample_every_n_epochs: int = 0

    def __post_init__(self):
        check_ranges(self, SPECS)
        if 0 < self.resolution < 256:
            raise BadInputError(f"resolution {self.resolution}: 0 (the model's own size) or 256 to 2048.")
        for name, allowed in CHOICES.items():
            check_choice(name, getattr(self, name), allowed)
        if not self.name.strip() or any(c in self.name for c in '/\\:*?"<>|') or self.name.startswith("."):
            raise BadInputError(f"name '{self.name}': a plain file name is needed (no folders or special "
                                "characters).")

    @property
    def train_text_encoder(self) -> bool:
        return self.text_encoder_lr > 0

    def to_dict(self) -> dict:
        return asdict(self)

    def math(self) -> dict:
        """The settings that decide the weights step by step: a saved state resumes only under these
        (epochs, max_steps and saving can change between a cancel and its resume)."""
        loose = {"name", "epochs", "max_steps", "save_every_n_epochs", "sample_every_n_epochs", "cache_latents"}
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in loose}
