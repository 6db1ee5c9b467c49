"""A one-line progress bar on stderr for long renders (no dependencies).

Shown only when stderr is a terminal and the caller did not ask for quiet;
otherwise :func:`progress_bar` returns None and nothing is printed.
"""
from __future__ import annotations

import sys
import time
from typing import Callable, TextIO

__all__ = ["progress_bar"]


def progress_bar(label: str = "render", *, quiet: bool = False, stream: TextIO | None = None,
                 force: bool = False) -> Callable[[int, int], None] | None:
    """A ``callback(done, total)`` drawing ``label [#####.....] 3/10 0.8 s/frame`` on ``stream`` (stderr).

    None when ``quiet`` or the stream is not a TTY (unless ``force``).
    """
    out = stream if stream is not None else sys.stderr
    if quiet or not (force or (hasattr(out, "isatty") and out.isatty())):
        return None
    start = time.perf_counter()

    def update(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        rate = (time.perf_counter() - start) / max(done, 1)
        end = "\n" if done >= total else ""
        out.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {rate:.2f} s/frame{end}")
        out.flush()

    return update
