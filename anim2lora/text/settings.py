"""TextFrameFilter's settings: one record, one table of ranges and help texts for the node, the
command line and the cache key."""

from dataclasses import asdict, dataclass

from ..errors import BadInputError
from ..specs import Spec, check_choice, check_ranges
from .backends import BACKEND_NAMES
from .rules import Rules

ACTIONS = ("drop", "crop", "mask")
ACTION_HELP = ("What to do with a frame that shows text. drop: leave it out of the set. crop: cut away "
               "the top or bottom band holding all its text, when that band holds nothing of the "
               "drawing (otherwise the frame is dropped). mask: paint the text out from its surroundings.")
BACKEND_HELP = ("rapidocr: ships its models, works offline (default). easyocr: needs its model files in "
                "models/easyocr (or allow_download).")

SPECS = {
    "min_score": Spec(0.0, 1.0, 0.01, "A box counts as text only when the recogniser is at least this "
                      "confident (eyes and window rows read as 口口口 at lower confidence)."),
    "min_chars": Spec(1, 20, 1, "A box counts as text only when at least this many characters are read."),
    "min_text_height": Spec(0.002, 0.5, 0.001, "Smallest text line to care about, as a share of the frame "
                            "height; smaller boxes are specks of drawing. Also sets how far the quick "
                            "look may shrink the frame, so changing it reads the frames again (every "
                            "other setting re-judges the cached reads)."),
    "max_text_height": Spec(0.01, 0.5, 0.01, "Largest text line, as a share of the frame height; taller "
                            "boxes are drawing."),
    "max_aligned": Spec(1, 50, 1, "A box with more look-alike boxes than this on its row or column is a "
                        "drawn pattern (windows, tiles), not text."),
}
FAST_HELP = ("Quick look at reduced size first, and within a shot look only where the picture changed. "
             "Off: read every full frame (slow; for checking).")
DOWNLOAD_HELP = "easyocr only: download missing model files (needs internet). Off: never touch the network."


@dataclass(frozen=True)
class TextSettings:
    backend: str = "rapidocr"
    action: str = "drop"
    min_score: float = 0.5
    min_chars: int = 2
    min_text_height: float = 0.02
    max_text_height: float = 0.2
    max_aligned: int = 2
    fast: bool = True
    allow_download: bool = False

    def __post_init__(self):
        check_choice("backend", self.backend, BACKEND_NAMES)
        check_choice("action", self.action, ACTIONS)
        check_ranges(self, SPECS)
        if self.min_text_height >= self.max_text_height:
            raise BadInputError("min_text_height must be below max_text_height.")

    @property
    def rules(self) -> Rules:
        return Rules(self.min_score, self.min_chars, self.min_text_height, self.max_text_height, self.max_aligned)

    def search_key(self) -> dict:
        """What changes the OCR reads themselves (the rest is judged from cached reads in seconds)."""
        if not self.fast:
            return {"fast": False}
        return {"fast": True, "min_text_height": self.min_text_height}

    def to_dict(self) -> dict:
        return asdict(self)
