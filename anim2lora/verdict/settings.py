"""LineArtVerdict's settings, each declared once (anim2lora/specs.py), for the node and the
command line."""

from dataclasses import dataclass

from ..specs import check_declared, setting


@dataclass(frozen=True)
class VerdictSettings:
    ask: str = setting("", "The characters the pictures were asked for, e.g. A+B: the count and fused heads are "
                       "judged against it (empty: not judged).")
    line_width: float = setting(0.0, "The reference stroke width in px; 0 measures it on the dataset's pictures "
                                "(no dataset: the width is not judged).", low=0.0, high=64.0, step=0.5)

    def __post_init__(self):
        check_declared(self)
