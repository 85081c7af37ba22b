"""VideoFrameExtract's settings: one validated record, and one table of ranges and help texts
that the node, the command line and the cache key all read."""

from dataclasses import asdict, dataclass, fields

from ..specs import Spec, check_choice, check_ranges

SAMPLING_MODES = ("unique_drawings", "every_nth", "target_fps")


SPECS = {
    "every_nth": Spec(1, 100000, 1, "With sampling = every_nth: keep one frame in this many.", "every_nth"),
    "target_fps": Spec(0.01, 240.0, 0.01, "With sampling = target_fps: frames per second of video to keep.",
                       "target_fps"),
    "unique_threshold": Spec(
        0.0, 1.0, 0.001, "With unique_drawings: share of the picture that must differ from the last kept "
        "drawing of the shot. 0.03 collapses near-identical poses (mouth flaps, small in-betweens); "
        "0 keeps every new drawing.", "unique_drawings"),
    "max_frames": Spec(
        0, 1000000, 1, "Keep at most this many frames (0 = no cap): every shot keeps its first good frame, "
        "the rest are spread evenly in time and then balanced across shots. Frames over the cap are "
        "never written."),
    "cut_threshold": Spec(
        0.05, 1.0, 0.01, "How different two drawings must be (0-1) to count as a shot change; it must also "
        "stand out against the motion around it."),
    "cut_margin": Spec(0, 240, 1, "Skip frames this close (in frames) to a cut or transition."),
    "blur_threshold": Spec(
        0.0, 1.0, 0.01, "Drop frames less sharp than this share of their shot's typical sharpness "
        "(mid-motion smears teach thick, muddy lines). 0 keeps all."),
}
SAMPLING_HELP = ("unique_drawings: one frame per drawing (held frames collapse, near-identical drawings "
                 "too); every_nth: every n-th decoded frame; target_fps: a fixed rate.")


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
        check_choice("sampling", self.sampling, SAMPLING_MODES)
        check_ranges(self, SPECS)

    def to_dict(self) -> dict:
        return asdict(self)

    def effective(self) -> dict:
        """The settings that can change the result: a mode's own options only count in that mode."""
        return {k: v for k, v in asdict(self).items()
                if k not in SPECS or SPECS[k].only_for in (None, self.sampling)}

    @classmethod
    def names(cls):
        return [f.name for f in fields(cls)]
