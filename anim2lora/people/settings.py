"""PersonCountFilter's settings: one record, one table of ranges and help texts for the node, the
command line and the cache key."""

from dataclasses import asdict, dataclass

from ..errors import BadInputError
from ..specs import Spec, check_choice, check_ranges
from .detectors import DETECTOR_NAMES
from .rules import Rules

DETECTOR_HELP = ("auto: the ONNX anime person model (with its head model) when its files are in "
                 "models/anime_detect, else ink. ink: no model; finds characters as blobs of ink on a plain "
                 "or flatly painted background (line art, cel animation). onnx: require the model files.")
OVERLAP_HELP = ("Keep frames where bodies overlap or fuse (off: they go to the rejected set; a LoRA learns "
                "two overlapping bodies as one fused body).")
DOWNLOAD_HELP = "onnx: download missing model files from Hugging Face (pinned revisions; needs internet)."

SPECS = {
    "min_count": Spec(0, 10, 1, "Fewest characters a kept frame shows."),
    "max_count": Spec(0, 10, 1, "Most characters a kept frame shows."),
    "min_score": Spec(0.05, 1.0, 0.01, "onnx: a body box counts only when the detector is at least this sure."),
    "min_size": Spec(0.01, 1.0, 0.01, "A character's box spans at least this share of the frame height; "
                     "smaller boxes are specks."),
    "min_visible": Spec(0.0, 1.0, 0.01, "A body cut by the frame edge counts as a character only when about "
                        "this share of it is in view; less is a fragment (over-the-shoulder shots)."),
    "body_heads": Spec(1.0, 10.0, 0.5, "How many heads tall the characters are (chibi ~3, anime teen ~6): "
                       "estimates how much of a cut body is in view."),
    "background_scale": Spec(0.0, 1.0, 0.01, "A figure smaller than this share of the largest character "
                             "stands far behind: scenery, not counted."),
    "max_overlap": Spec(0.0, 1.0, 0.01, "Two bodies whose boxes share more than this share of the smaller "
                        "one overlap: the frame is flagged 'overlap'."),
}


@dataclass(frozen=True)
class CountSettings:
    detector: str = "auto"
    min_count: int = 1
    max_count: int = 2
    min_score: float = Rules.min_score
    min_size: float = Rules.min_size
    min_visible: float = Rules.min_visible
    body_heads: float = Rules.body_heads
    background_scale: float = Rules.background_scale
    max_overlap: float = Rules.max_overlap
    keep_overlap: bool = False
    allow_download: bool = False

    def __post_init__(self):
        check_choice("detector", self.detector, DETECTOR_NAMES)
        check_ranges(self, SPECS)
        if self.min_count > self.max_count:
            raise BadInputError(f"min_count ({self.min_count}) must not exceed max_count ({self.max_count}).")

    @property
    def rules(self) -> Rules:
        return Rules(self.min_score, self.min_size, self.min_visible, self.body_heads, self.background_scale,
                     self.max_overlap)

    def to_dict(self) -> dict:
        return asdict(self)
