"""PersonCountFilter's settings, each declared once (anim2lora/specs.py): the node, the command
line and the cache key all read this record."""

from dataclasses import asdict, dataclass

from ..errors import BadInputError
from ..specs import check_declared, setting
from .detectors import DETECTOR_NAMES
from .rules import FRAMINGS, Rules

# every non-empty combination, widest first: a combo box the canvas saves as one string
FRAMING_CHOICES = ("all", "close-up+medium", "medium+full", "close-up+full", "close-up", "medium", "full")


@dataclass(frozen=True)
class CountSettings:
    detector: str = setting(
        "auto", "auto: the ONNX anime person model (with its head model) when its files are in "
        "models/anime_detect, else ink. ink: no model; finds characters as blobs of ink on a plain or flatly "
        "painted background (line art, cel animation). onnx: require the model files.", choices=DETECTOR_NAMES)
    min_count: int = setting(1, "Fewest characters a kept frame shows.", low=0, high=10, step=1)
    max_count: int = setting(2, "Most characters a kept frame shows.", low=0, high=10, step=1)
    min_score: float = setting(Rules.min_score, "onnx: a body box counts only when the detector is at least "
                               "this sure.", low=0.05, high=1.0, step=0.01)
    min_size: float = setting(Rules.min_size, "A character's box spans at least this share of the frame "
                              "height; smaller boxes are specks.", low=0.01, high=1.0, step=0.01)
    min_visible: float = setting(
        Rules.min_visible, "For a detector that finds no heads: a body cut by the frame edge counts as a "
        "character only when about this share of it is in view. With heads or faces, a visible head is a "
        "character whatever the frame cuts (its framing is reported).", low=0.0, high=1.0, step=0.01)
    body_heads: float = setting(
        Rules.body_heads, "How many heads tall the characters are (chibi ~3, anime teen ~6): how far below a "
        "face found alone its body is taken to run, and when a figure is full.", low=1.0, high=10.0, step=0.5)
    background_scale: float = setting(
        Rules.background_scale, "A figure smaller than this share of the largest character stands far behind: "
        "scenery, not counted.", low=0.0, high=1.0, step=0.01)
    max_overlap: float = setting(
        Rules.max_overlap, "Two bodies whose boxes share more than this share of the smaller one overlap: the "
        "frame is flagged 'overlap'.", low=0.0, high=1.0, step=0.01)
    keep_overlap: bool = setting(
        False, "Keep frames where bodies overlap or fuse (off: they go to the rejected set; a LoRA learns two "
        "overlapping bodies as one fused body).")
    allow_download: bool = setting(
        False, "onnx: download missing model files from Hugging Face (pinned revisions; needs internet).")
    framings: str = setting(
        "all", "The framings a kept frame may show its characters in: close-up (head and shoulders), medium "
        "(bust, waist or thighs up), full (the whole figure). A frame with a character in another framing goes "
        "to the rejected set as 'framing'.", choices=FRAMING_CHOICES, optional=True)

    def __post_init__(self):
        check_declared(self)
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
