"""VideoFrameExtract's settings, each declared once (anim2lora/specs.py): the node, the command
line and the cache key all read this record."""

from dataclasses import asdict, dataclass, fields

from ..specs import check_declared, declared, setting

SAMPLING_MODES = ("unique_drawings", "every_nth", "target_fps")


@dataclass(frozen=True)
class ExtractSettings:
    sampling: str = setting(
        "unique_drawings", "unique_drawings: one frame per drawing (held frames collapse, near-identical "
        "drawings too); every_nth: every n-th decoded frame; target_fps: a fixed rate.", choices=SAMPLING_MODES)
    every_nth: int = setting(12, "With sampling = every_nth: keep one frame in this many.",
                             low=1, high=100000, step=1, only_for="every_nth")
    target_fps: float = setting(2.0, "With sampling = target_fps: frames per second of video to keep.",
                                low=0.01, high=240.0, step=0.01, only_for="target_fps")
    unique_threshold: float = setting(
        0.03, "With unique_drawings: share of the picture that must differ from the last kept drawing of the "
        "shot. 0.03 collapses near-identical poses (mouth flaps, small in-betweens); 0 keeps every new drawing.",
        low=0.0, high=1.0, step=0.001, only_for="unique_drawings")
    max_frames: int = setting(
        1000, "Keep at most this many frames (0 = no cap): every shot keeps its first good frame, the rest are "
        "spread evenly in time and then balanced across shots. Frames over the cap are never written.",
        low=0, high=1000000, step=1)
    cut_threshold: float = setting(
        0.5, "How different two drawings must be (0-1) to count as a shot change; it must also stand out "
        "against the motion around it.", low=0.05, high=1.0, step=0.01)
    cut_margin: int = setting(2, "Skip frames this close (in frames) to a cut or transition.", low=0, high=240, step=1)
    blur_threshold: float = setting(
        0.6, "Drop frames less sharp than this share of their shot's typical sharpness (mid-motion smears teach "
        "thick, muddy lines). 0 keeps all.", low=0.0, high=1.0, step=0.01)

    def __post_init__(self):
        check_declared(self)

    def to_dict(self) -> dict:
        return asdict(self)

    def effective(self) -> dict:
        """The settings that can change the result: a mode's own options only count in that mode."""
        specs = declared(self)
        return {k: v for k, v in asdict(self).items() if specs[k].only_for in (None, self.sampling)}

    @classmethod
    def names(cls):
        return [f.name for f in fields(cls)]
