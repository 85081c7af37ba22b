"""The terminal view of a running prompt: which node runs, how far it is, and for TrainLoRA the
loss and the time left.  On a terminal one line is redrawn; in a log (no tty) a line is written
per node and, during training, at most every ``LOG_EVERY`` seconds."""

import sys
import time
from typing import Callable, Dict, Optional

TRAIN_EVENT = "anim2lora.train"
BAR = 24
LOG_EVERY = 10.0


def duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s" if m else f"{s}s"


class ProgressView:
    def __init__(self, titles: Dict[str, str], stream=None, tty: Optional[bool] = None,
                 clock: Callable[[], float] = time.monotonic):
        self.titles = titles
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.clock = clock
        self.node: Optional[str] = None
        self.value = self.max = 0
        self.train: dict = {}
        self._drawn = 0              # characters of the redrawn line, to blank it fully
        self._logged = -LOG_EVERY

    def handle(self, event: str, data: dict) -> None:
        if event == "executing" and data.get("node") is not None:
            self._start(str(data["node"]))
        elif event == "execution_cached" and data.get("nodes"):
            self._line(f"cached: {', '.join(self.titles.get(str(n), str(n)) for n in data['nodes'])}")
        elif event == "progress" and data.get("node") is not None:
            self._switch(data["node"])
            self.value, self.max = int(data.get("value", 0)), int(data.get("max", 0))
            self._draw()
        elif event == TRAIN_EVENT and "step" in data:
            self._switch(data.get("node"))
            self.train.update(data)
            self.value, self.max = int(data["step"]), int(data.get("total", 0))
            self._draw(log="loss" in data)

    def _switch(self, node) -> None:
        """Progress can arrive for a node whose ``executing`` was not seen (a late connection)."""
        if node is not None and str(node) != self.node:
            self._start(str(node))

    def _start(self, node: str) -> None:
        self.node, self.value, self.max, self.train = node, 0, 0, {}
        if self.tty:
            self.close()             # the finished node's last state stays on screen
            self._draw()
        else:
            self._line(f"#{node} {self.titles.get(node, '')}".rstrip())

    def status_line(self) -> str:
        title = self.titles.get(self.node, "")
        text = f"#{self.node} {title}".rstrip()
        if self.max:
            filled = min(BAR, BAR * self.value // self.max)
            text += f" [{'#' * filled}{'-' * (BAR - filled)}] {self.value}/{self.max}"
        if "loss" in self.train:
            text += f"  loss {self.train['loss']:.4f}"
        if "seconds_left" in self.train:
            text += f"  {duration(self.train['seconds_left'])} left"
        return text

    def _draw(self, log: bool = False) -> None:
        if self.node is None:
            return
        if self.tty:
            text = self.status_line()
            self.stream.write("\r" + text + " " * max(0, self._drawn - len(text)))
            self._drawn = len(text)
            self.stream.flush()
        elif log and (self.clock() - self._logged >= LOG_EVERY or self.value == self.max):
            self._logged = self.clock()
            self._line(self.status_line())

    def _line(self, text: str) -> None:
        if self.tty and self._drawn:
            self.stream.write("\r" + " " * self._drawn + "\r")
            self._drawn = 0
        self.stream.write(text + "\n")
        self.stream.flush()

    def note(self, text: str) -> None:
        """A message between the progress lines (the websocket fell back to polling, …)."""
        self._line(text)

    def close(self) -> None:
        if self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = 0
