"""Errors meant for the user: each says what is wrong, with which file or field, and what to do."""


class Anim2LoRAError(Exception):
    """A problem the user can fix; ``str()`` is the whole message, no traceback needed."""

    def __init__(self, message: str, *, hint: str = ""):
        self.message = message
        self.hint = hint
        super().__init__(f"{message} {hint}".strip())


class BadInputError(Anim2LoRAError):
    """The input file or a field value is unusable (not a video, damaged, outside allowed folders)."""


class CancelledError(Anim2LoRAError):
    """The run was cancelled; partial results were discarded or kept as the message says."""


class MissingModelError(Anim2LoRAError):
    """A package or model file a stage needs is not installed; the message names it and says how
    to get it."""


class TrainingError(Anim2LoRAError):
    """Training stopped (NaN loss, out of memory, …); the message says what was kept and which
    setting to change."""
