"""LineArtSampler's settings: one record and one table of ranges and help texts for the node and
headless sampling alike.  The host's own choices (sampler, scheduler, LoRA) stay with the node."""

from dataclasses import dataclass
from typing import Tuple

from ..errors import BadInputError
from ..specs import Spec, check_ranges
from .prompts import NEGATIVE, TEMPLATE

SPECS = {
    "seed": Spec(0, 2 ** 64 - 1, 1, "The noise: the same seed and settings draw the same pictures."),
    "steps": Spec(1, 10000, 1, "Denoising steps."),
    "cfg": Spec(0.0, 100.0, 0.1, "Classifier-free guidance: how strongly the prompt (and the negative) steer."),
    "width": Spec(0, 8192, 8, "Picture width in pixels; 0: the model's own size (SD1.5 512, SDXL-family 1024, "
                  "as its LoRAs are trained)."),
    "height": Spec(0, 8192, 8, "Picture height in pixels; 0: the model's own size (SD1.5 512, SDXL-family 1024)."),
    "batch_size": Spec(1, 64, 1, "Pictures per run, from the one seed (each gets its own noise)."),
    "thin": Spec(0, 32, 1, "Clean-up: take this many pixels off the width of every line (0: leave them); "
                 "a line thinner than that keeps a one-pixel middle."),
}

HELP = {
    "characters": "Who to draw: a group of the dataset ('A', 'B', 'A+B'). The prompt starts with that group's "
                  "pinned tokens, exactly as its captions began. Empty: no character.",
    "prompt": "Your own text, appended after '" + TEMPLATE.format(head="<pinned tokens>") + "'.",
    "negative": "What line art must not have: the source write-up's failures (colour, backgrounds, ghost "
                "text, fused or extra figures, missing arms, thick lines).",
    "white_background": "Clean-up: paper, backgrounds and flat fills pure white (the classical line "
                        "extractor decides what is a line); lines keep their colour unless desaturated.",
    "desaturate": "Clean-up: grey only, no colour bleeding onto the lines.",
    "binarise": "Clean-up: black and white only (Otsu's threshold).",
}


@dataclass(frozen=True)
class SampleSettings:
    characters: str = ""
    prompt: str = ""
    negative: str = NEGATIVE
    seed: int = 0
    steps: int = 20
    cfg: float = 7.0
    width: int = 0                  # 0: the model family's own size
    height: int = 0
    batch_size: int = 1
    white_background: bool = True
    desaturate: bool = True
    binarise: bool = False
    thin: int = 0

    def __post_init__(self):
        check_ranges(self, SPECS)
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
