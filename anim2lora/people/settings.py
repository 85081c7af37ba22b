"""PersonCountFilter's settings: one record, one table of ranges and help texts for the node, the
command line and the cache key."""

from dataclasses import asdict, dataclass

from ..errors import BadInputError
from ..specs import Spec, check_choice, check_ranges
from .detectors import DETECTOR_NAMES
from .rules import FRAMINGS, Rules

DETECTOR_HELP = ("auto: the ONNX anime person model (with its head model) when its files are in "
                 "models/anime_detect, else ink. ink: no model; finds characters as blobs of ink on a plain "
                 "or flatly painted background (line art, cel animation). onnx: require the model files.")
OVERLAP_HELP = ("Keep frames where bodies overlap or fuse (off: they go to the rejected set; a LoRA learns "
                "two overlapping bodies as one fused body).")
DOWNLOAD_HELP = "onnx: download missing model files from Hugging Face (pinned revisions; needs internet)."
# every non-empty combination, widest first: a combo box the canvas saves as one string
FRAMING_CHOICES = ("all", "close-up+medium", "medium+full", "close-up+full", "close-up", "medium", "full")
FRAMINGS_HELP = ("The framings a kept frame may show its characters in: close-up (head and shoulders), medium "
                 "(bust, waist or thighs up), full (the whole figure). A frame with a character in another framing "
                 "goes to the rejected set as 'framing'.")

SPECS = {
    "min_count": Spec(0, 10, 1, "Fewest characters a kept frame shows."),
    "max_count": Spec(0, 10, 1, "Most characters a kept frame shows."),
    "min_score": Spec(0.05, 1.0, 0.01, "onnx: a body box counts only when the detector is at least this sure."),
    "min_size": Spec(0.01, 1.0, 0.01, "A character's box spans at least this share of the frame height; "
                     "smaller boxes are specks."),
    "min_visible": Spec(0.0, 1.0, 0.01, "For a detector that finds no heads: a body cut by the frame edge counts "
                        "as a character only when about this share of it is in view. With heads or faces, a "
                        "visible head is a character whatever the frame cuts (its framing is reported)."),
    "body_heads": Spec(1.0, 10.0, 0.5, "How many heads tall the characters are (chibi ~3, anime teen ~6): "
                       "how far below a face found alone its body is taken to run, and when a figure is full."),
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
    framings: str = "all"

    def __post_init__(self):
        check_choice("detector", self.detector, DETECTOR_NAMES)
        check_choice("framings", self.framings, FRAMING_CHOICES)
        check_ranges(self, SPECS)
        if self.min_count > self.max_count:
            raise BadInputError(f"min_count ({self.min_count}) must not exceed max_count ({self.max_count}).")

    @property
    def rules(self) -> Rules:
        return Rules(self.min_score, self.min_size, self.min_visible, self.body_heads, self.background_scale,
                     self.max_overlap)

    @property
    def kept_framings(self) -> tuple:
        return FRAMINGS if self.framings == "all" else tuple(self.framings.split("+"))

    def to_dict(self) -> dict:
        out = asdict(self)
        if self.framings == "all":      # sets counted before framings existed keep their names
            out.pop("framings")
        return out
