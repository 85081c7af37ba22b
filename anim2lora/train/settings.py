"""TrainLoRA's settings, each declared once (anim2lora/specs.py): the node, the command line and
the LoRA's own metadata all read this record.

Defaults are the source write-up's v2 run (dim 32 / alpha 16, clip skip 2, 3 epochs) with
kohya's usual learning rates; what the math means follows kohya (FIELD_NOTES §2).
"""

from dataclasses import asdict, dataclass, fields

from ..errors import BadInputError
from ..specs import check_declared, setting

OPTIMIZERS = ("adamw", "adamw8bit")
SCHEDULERS = ("constant", "constant_with_warmup", "linear", "cosine")
PRECISIONS = ("auto", "no", "fp16", "bf16")
PREDICTIONS = ("auto", "epsilon", "v_prediction", "v_prediction_zsnr")
LATENT_CACHES = ("memory", "disk", "off")


@dataclass(frozen=True)
class TrainSettings:
    name: str = setting("anim2lora", "File name of the LoRA in the loras folder (no extension); also its "
                        "ss_output_name.")
    rank: int = setting(32, "LoRA dim (rank): how much the LoRA can hold. 32 is the write-up's choice.",
                        low=1, high=256, step=1)
    alpha: float = setting(16.0, "LoRA alpha: the update is scaled by alpha/rank (16 with rank 32 = 0.5), as kohya "
                           "and every loader apply it.", low=0.1, high=256.0, step=0.1)
    unet_lr: float = setting(1e-4, "Learning rate of the UNet's LoRA.", low=0.0, high=1.0, step=1e-6)
    text_encoder_lr: float = setting(5e-5, "Learning rate of the text encoder's LoRA; 0 trains the UNet only: "
                                     "with shuffle_caption and tag dropout off, each caption is then encoded once and "
                                     "the text encoders leave the device (kohya's cache_text_encoder_outputs).",
                                     low=0.0, high=1.0, step=1e-6)
    warmup_steps: int = setting(10, "Steps over which the learning rate rises from 0 (constant_with_warmup, "
                                "linear, cosine).", low=0, high=100000, step=1)
    epochs: int = setting(3, "Passes over the dataset; each pass shows every picture as many times as its group's "
                          "repeats.", low=1, high=1000, step=1)
    batch_size: int = setting(1, "Pictures per step (from one aspect bucket at a time, as kohya).",
                              low=1, high=64, step=1)
    gradient_accumulation: int = setting(1, "Steps whose gradients are summed before one optimizer update (a "
                                         "larger batch without the memory).", low=1, high=64, step=1)
    max_grad_norm: float = setting(1.0, "Gradients are clipped to this norm before each update, as kohya's "
                                   "--max_grad_norm (1.0); 0: no clipping.", low=0.0, high=100.0, step=0.1)
    seed: int = setting(42, "Seeds the LoRA's start, the order, the captions' shuffle, noise and timesteps: the "
                        "same seed gives the same LoRA.", low=0, high=2 ** 32 - 1, step=1)
    clip_skip: int = setting(2, "2 = the penultimate CLIP layer (then the final layer norm), as kohya's "
                             "--clip_skip 2 and ComfyUI's CLIP Set Last Layer -2; anime models expect 2.",
                             low=1, high=12, step=1)
    caption_tag_dropout: float = setting(0.0, "Chance each free tag is left out of a step's caption (pinned tags "
                                         "never are).", low=0.0, high=1.0, step=0.01)
    caption_dropout: float = setting(0.0, "Chance a step sees an empty caption.", low=0.0, high=1.0, step=0.01)
    noise_offset: float = setting(0.0, "kohya's noise offset (0.05-0.1 helps pure white and black; 0: off).",
                                  low=0.0, high=1.0, step=0.01)
    min_snr_gamma: float = setting(5.0, "Min-SNR weighting gamma (5 is usual; 0: off).", low=0.0, high=20.0,
                                   step=0.5)
    max_steps: int = setting(0, "Stop after this many optimizer steps (0: run every epoch).", low=0, high=10 ** 7,
                             step=1)
    resolution: int = setting(0, "Training resolution: aspect buckets of 64 px with at most resolution² pixels, "
                              "never enlarging a picture (kohya's bucket_no_upscale). 0: the model's own size "
                              "(SD1.5 512, SDXL 1024).", low=0, high=2048, step=64)
    save_every_n_epochs: int = setting(0, "Also save <name>-<epoch>.safetensors every n epochs (0: only the final "
                                       "LoRA).", low=0, high=1000, step=1)
    sample_every_n_epochs: int = setting(0, "Draw a preview of each group every n epochs (0: none).", low=0,
                                         high=1000, step=1)
    optimizer: str = setting("adamw", "AdamW, or bitsandbytes' 8-bit AdamW on CUDA (less memory; falls back to "
                             "AdamW, with a note in the report, when bitsandbytes is missing or the device is not "
                             "CUDA).", choices=OPTIMIZERS)
    lr_scheduler: str = setting("constant_with_warmup", "How the learning rate moves over the run, after the "
                                "warmup.", choices=SCHEDULERS)
    mixed_precision: str = setting("auto", "Compute type of the frozen model (the LoRA's own weights stay "
                                   "float32). auto: bf16 where the GPU supports it, else fp16 on CUDA, float32 on "
                                   "the CPU.", choices=PRECISIONS)
    prediction: str = setting("auto", "What the model predicts: auto reads the checkpoint (SD1.5, SDXL: epsilon; "
                              "NoobAI's v-pred release: v-prediction with zero-terminal SNR). v_prediction_zsnr: "
                              "v-prediction on the zero-terminal-SNR schedule (kohya's --v_parameterization "
                              "--zero_terminal_snr).", choices=PREDICTIONS)
    cache_latents: str = setting("memory", "Encode each picture once (memory, or disk under the dataset so a re-run "
                                 "skips it) instead of at every step.", choices=LATENT_CACHES)
    gradient_checkpointing: bool = setting(True, "Recompute activations in the backward pass: much less memory, "
                                           "~25% slower.")
    shuffle_caption: bool = setting(True, "Shuffle the free tags at every step, keeping the pinned names first "
                                    "(kohya's shuffle_caption with keep_tokens).")
    score_every_n_steps: int = setting(0, "Every n steps (and at the last), draw each group's line-art prompt at "
                                       "the seed, score resemblance to the references (connect them) and keep the "
                                       "best step's LoRA as <name>_best.safetensors (0: off).", low=0, high=10 ** 6,
                                       step=1, optional=True)

    def __post_init__(self):
        check_declared(self)
        if 0 < self.resolution < 256:
            raise BadInputError(f"resolution {self.resolution}: 0 (the model's own size) or 256 to 2048.")
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
        loose = {"name", "epochs", "max_steps", "save_every_n_epochs", "sample_every_n_epochs", "cache_latents",
                 "score_every_n_steps"}
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in loose}


@dataclass(frozen=True)
class RunOptions:
    """How a run starts, not what it trains: never part of the LoRA's record."""
    resume: bool = setting(True, "Continue a stopped run of the same name, dataset and settings from its saved "
                           "state (cancel keeps one).")
