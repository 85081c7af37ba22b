"""TextFrameFilter's settings, each declared once (anim2lora/specs.py): the node, the command
line and the cache key all read this record."""

from dataclasses import asdict, dataclass

from ..errors import BadInputError
from ..specs import check_declared, setting
from .backends import BACKEND_NAMES
from .rules import Rules

ACTIONS = ("drop", "crop", "mask")


@dataclass(frozen=True)
class TextSettings:
    backend: str = setting(
        "rapidocr", "rapidocr: ships its models, works offline (default). easyocr: needs its model files in "
        "models/easyocr (or allow_download).", choices=BACKEND_NAMES)
    action: str = setting(
        "drop", "What to do with a frame that shows text. drop: leave it out of the set. crop: cut away the top "
        "or bottom band holding all its text, when that band holds nothing of the drawing (otherwise the frame "
        "is dropped). mask: paint the text out from its surroundings.", choices=ACTIONS)
    min_score: float = setting(
        0.5, "A box counts as text only when the recogniser is at least this confident (eyes and window rows "
        "read as 口口口 at lower confidence).", low=0.0, high=1.0, step=0.01)
    min_chars: int = setting(2, "A box counts as text only when at least this many characters are read.",
                             low=1, high=20, step=1)
    min_text_height: float = setting(
        0.02, "Smallest text line to care about, as a share of the frame height; smaller boxes are specks of "
        "drawing. Also sets how far the quick look may shrink the frame, so changing it reads the frames again "
        "(every other setting re-judges the cached reads).", low=0.002, high=0.5, step=0.001)
    max_text_height: float = setting(
        0.2, "Largest text line, as a share of the frame height; taller boxes are drawing.",
        low=0.01, high=0.5, step=0.01)
    max_aligned: int = setting(
        2, "A box with more look-alike boxes than this on its row or column is a drawn pattern (windows, "
        "tiles), not text.", low=1, high=50, step=1)
    fast: bool = setting(
        True, "Quick look at reduced size first, and within a shot look only where the picture changed. Off: "
        "read every full frame (slow; for checking).", old_flags={"--full": False})
    allow_download: bool = setting(
        False, "easyocr only: download missing model files (needs internet). Off: never touch the network.")

    def __post_init__(self):
        check_declared(self)
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
