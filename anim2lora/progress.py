"""How long-running core functions report progress and learn that the user cancelled.

The core never imports the host: callers pass a ``Progress``.  ComfyUI's adapter raises the
host's own interrupt exception from ``update``; the command line cancels with Ctrl-C.
"""

import threading
import time

from .errors import CancelledError


class Progress:
    """Throttled progress sink; subclass and override ``report``."""

    def __init__(self, total: int = 0, interval: float = 0.2):
        self.total = max(0, int(total))
        self.done = 0
        self.interval = interval
        self._last = 0.0
        self.cancel_event = threading.Event()

    def set_total(self, total: int) -> None:
        self.total = max(0, int(total))

    def update(self, done: int, *, force: bool = False) -> None:
        """Record ``done`` units; at most every ``interval`` seconds report and check for cancel."""
        self.done = done
        now = time.monotonic()
        if force or now - self._last >= self.interval:
            self._last = now
            self.report(done, max(self.total, done))
            self.check_cancelled()

    def check_cancelled(self) -> None:
        if self.cancel_event.is_set():
            raise CancelledError("Cancelled by the user.")

    def report(self, done: int, total: int) -> None:
        """Show progress; the default shows nothing."""
