"""PairCompose's settings, each declared once (anim2lora/specs.py): the node, the command line
and the composed sets' own record all read this record."""

from dataclasses import asdict, dataclass

from ..errors import BadInputError
from ..specs import check_declared, setting


@dataclass(frozen=True)
class ComposeSettings:
    count: int = setting(24, "Composed pictures to keep per two-character group (A+B). CaptionWithKeepTokens uses "
                         "at most composed_share times the group's real frames of them.", low=0, high=500, step=1)
    min_gap: float = setting(0.03, "Least paper between the two characters, as a share of the picture's width "
                             "(they never overlap).", low=0.0, high=0.5, step=0.01)
    max_gap: float = setting(0.3, "Most paper between them, as a share of the width.", low=0.0, high=0.9, step=0.01)
    height_shift: float = setting(0.06, "How far one character may stand higher than the other, as a share of "
                                  "the picture's height.", low=0.0, high=0.3, step=0.01)
    mirror: bool = setting(True, "Mirror each character at random, so the pair faces both ways.")
    partial: float = setting(0.2, "Share of the composed pictures with a character cut by the frame's edge (waist "
                             "up, or one side out of view), as real frames have.", low=0.0, high=1.0, step=0.05)
    seed: int = setting(0, "The same seed and material make the same pictures.", low=0, high=2 ** 31 - 1, step=1)
    reference_stills: bool = setting(True, "Also add each character's reference stills as its own stills subset (trained "
                           "with their own repeats, CaptionWithKeepTokens' stills_repeats).")

    def __post_init__(self):
        check_declared(self)
        if self.min_gap > self.max_gap:
            raise BadInputError(f"min_gap ({self.min_gap}) must not exceed max_gap ({self.max_gap}).")

    def to_dict(self) -> dict:
        return asdict(self)
