"""VideoFrameExtract's settings: one validated record shared by the node, the CLI and the cache key."""

from dataclasses import asdict, dataclass, fields

from ..errors import BadInputError

SAMPLING_MODES = ("unique_drawings", "every_nth", "target_fps")


@dataclass(frozen=True)
class ExtractSettings:
    sampling: str = "unique_drawings"
    every_nth: int = 12
    target_fps: float = 2.0
    unique_threshold: float = 0.03
    max_frames: int = 1000
    cut_threshold: float = 0.5
    cut_margin: int = 2
    blur_threshold: float = 0.6

    def __post_init__(self):
        if self.sampling not in SAMPLING_MODES:
            raise BadInputError(f"sampling: '{self.sampling}' is not one of {', '.join(SAMPLING_MODES)}.")
        _check_range("every_nth", self.every_nth, 1, 100000)
        _check_range("target_fps", self.target_fps, 0.01, 240.0)
        _check_range("unique_threshold", self.unique_threshold, 0.0, 1.0)
        _check_range("max_frames", self.max_frames, 0, 1000000)
        _check_range("cut_threshold", self.cut_threshold, 0.05, 1.0)
        _check_range("cut_margin", self.cut_margin, 0, 240)
        _check_range("blur_threshold", self.blur_threshold, 0.0, 1.0)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def names(cls):
        return [f.name for f in fields(cls)]


def _check_range(name, value, low, high):
    if not (low <= value <= high):
        raise BadInputError(f"{name}: {value} is outside {low}–{high}.")
