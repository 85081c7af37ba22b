"""LineArtSampler's settings, each declared once (anim2lora/specs.py), for the node and headless
sampling alike.  The host's own choices (sampler, scheduler, the LoRA's file) stay with the node."""

from dataclasses import dataclass
from typing import Tuple

from ..errors import BadInputError
from ..specs import check_declared, setting
from .prompts import NEGATIVE, TEMPLATE


@dataclass(frozen=True)
class SampleSettings:
    lora_strength: float = setting(1.0, "Strength of that LoRA on the model and the CLIP.", low=-10.0, high=10.0,
                                   step=0.01)
    characters: str = setting(
        "", "Who to draw: a group of the dataset ('A', 'B', 'A+B'). The prompt starts with that group's pinned "
        "tokens, exactly as its captions began. Empty: no character.", widget={"multiline": False})
    prompt: str = setting("", "Your own text, appended after '" + TEMPLATE.format(head="<pinned tokens>") + "'.",
                          widget={"multiline": True})
    negative: str = setting(NEGATIVE, "What line art must not have: the source write-up's failures (colour, "
                            "backgrounds, ghost text, fused or extra figures, missing arms, thick lines).",
                            widget={"multiline": True})
    seed: int = setting(0, "The noise: the same seed and settings draw the same pictures.", low=0, high=2 ** 64 - 1,
                        step=1, widget={"control_after_generate": True})
    steps: int = setting(20, "Denoising steps.", low=1, high=10000, step=1)
    cfg: float = setting(7.0, "Classifier-free guidance: how strongly the prompt (and the negative) steer.",
                         low=0.0, high=100.0, step=0.1)
    width: int = setting(0, "Picture width in pixels; 0: the model's own size (SD1.5 512, SDXL-family 1024, as "
                         "its LoRAs are trained).", low=0, high=8192, step=8)
    height: int = setting(0, "Picture height in pixels; 0: the model's own size (SD1.5 512, SDXL-family 1024).",
                          low=0, high=8192, step=8)
    batch_size: int = setting(1, "Pictures per run, from the one seed (each gets its own noise).", low=1, high=64,
                              step=1)
    white_background: bool = setting(True, "Clean-up: paper, backgrounds and flat fills pure white (the classical "
                                     "line extractor decides what is a line); lines keep their colour unless "
                                     "desaturated.")
    desaturate: bool = setting(True, "Clean-up: grey only, no colour bleeding onto the lines.")
    binarise: bool = setting(False, "Clean-up: black and white only (Otsu's threshold).")
    thin: int = setting(0, "Clean-up: take this many pixels off the width of every line (0: leave them); a line "
                        "thinner than that keeps a one-pixel middle.", low=0, high=32, step=1)

    def __post_init__(self):
        check_declared(self)
        for side in ("width", "height"):
            if 0 < getattr(self, side) < 16:
                raise BadInputError(f"{side} {getattr(self, side)}: 0 (the model's own size) or 16 to 8192.")

    def size(self, native: int) -> Tuple[int, int]:
        """(width, height) to draw at, a side of 0 being the model's ``native`` one."""
        return self.width or native, self.height or native

    @property
    def cleanup(self) -> dict:
        """The keyword arguments of ``cleanup.clean``."""
        return {"white": self.white_background, "desaturate": self.desaturate, "binarise": self.binarise,
                "thin": self.thin}
