"""Progress of long work (training, preparing a data set, rendering, feature extraction): a Keras
progress bar on a terminal; otherwise plain lines with the rate and the time left, at most one
every `every_seconds` unless forced (log files, pipes, tests)."""

from __future__ import annotations

import sys
import time


def duration(seconds: float) -> str:
    if seconds == float("inf"):
        return "?"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min {rest % 60} s" if rest >= 60 else f"{rest} s"


class Progress:
    def __init__(self, total: int, unit: str, log=print, *, start: int = 0, every_seconds: float = 10.0,
                 stateful: tuple[str, ...] = ()):
        """total units of work, of which `start` were done before; `unit` names one (step, frame);
        log None: no progress is shown."""
        self.total, self.unit, self.log_fn, self.start = total, unit, log, start
        self.every_seconds = every_seconds
        self.began = self.last_line = time.time()
        self.bar = None
        if log is not None and sys.stdout.isatty():
            import keras  # here, so that work without TensorFlow (cropping videos) starts without it

            self.bar = keras.utils.Progbar(total, stateful_metrics=list(stateful), unit_name=unit)
        if self.bar:
            self.bar.update(start)

    def elapsed(self) -> float:
        return time.time() - self.began

    def update(self, done: int, values: dict | None = None, force: bool = False):
        """`done` units are done; `values` (name: number) are shown with them."""
        if self.log_fn is None:
            return
        if self.bar:
            self.bar.update(done, values=list((values or {}).items()))
            return
        now = time.time()
        if not (force or done >= self.total or now - self.last_line >= self.every_seconds):
            return
        self.last_line = now
        rate = (done - self.start) / max(now - self.began, 1e-9)
        speed = f"{rate:,.0f} {self.unit}s/s" if rate >= 1 else f"{1 / rate:.2f} s/{self.unit}" if rate else "?"
        left = (self.total - done) / rate if rate else float("inf")
        shown = "".join(f" {name}={value:.4g}" for name, value in (values or {}).items())
        self.log_fn(f"{self.unit} {done}/{self.total}{shown} ({speed}, {duration(left)} left)")

    def log(self, line: str):
        """A line of its own, below the bar on a terminal."""
        if self.log_fn is not None:
            self.log_fn(("\n" if self.bar else "") + line)
