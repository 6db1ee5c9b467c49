"""A linear pre-scan of USD text layers (``.usda``, or a ``.usd``/usdz entry starting ``#usda``).

usd-core's text parser backtracks: a stray ``[`` inside a large array (``[0, 1, [2, 3, ...]``)
makes it re-parse the array many times over, seconds for a few tens of kilobytes, before it
reports the error.  Such text is never valid, and its brackets never balance.  So before usd-core
sees a text layer, :func:`check_usda_text` walks its tokens once, skipping what may hold any
character (comments ``#``, ``//`` and ``/* */``; strings in single, double and triple quotes;
asset paths ``@...@`` and ``@@@...@@@``; scene paths ``<...>``), and refuses with a FormatError
naming the line and column:

- a closing ``]``, ``)`` or ``}`` that does not close the innermost open bracket, or closes none;
- a bracket still open at the end of the text;
- a string, asset path, scene path or comment that is not closed;
- nesting deeper than :data:`MAX_USDA_DEPTH`.

It checks nothing else (usd-core reports all other errors, quickly); valid text always passes.

>>> check_usda_text(b'#usda 1.0\\ndef "A" {\\n    int[] a = [1, 2, 3]  # [ in a comment\\n}\\n', "a.usda")
>>> try:
...     check_usda_text(b'#usda 1.0\\ndef "A" {\\n    int[] a = [1, [2, 3]\\n}\\n', "a.usda")
... except Exception as exc:
...     print(exc)
a.usda: line 4, column 1: '}' does not close the '[' opened on line 3, column 15 (not valid USD text)
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

from scenegraph.errors import FormatError

__all__ = ["check_usda_text", "check_usda_file", "MAX_USDA_DEPTH", "TEXT_MAGIC"]

TEXT_MAGIC = b"#usda"
#: brackets one text layer may nest (prims in prims, dictionaries in metadata: real files use tens)
MAX_USDA_DEPTH = 1000

_TOKEN = re.compile(
    rb"""
      (?P<skip>\#[^\r\n]*|//[^\r\n]*|/\*.*?\*/
        |\"\"\"(?:\\.|[^\\])*?\"\"\"|'''(?:\\.|[^\\])*?'''|@@@(?:\\@@@|[^@]|@{1,2}[^@])*+@{0,2}@@@)
    | (?P<bad>\"\"\"|'''|@@@|/\*)
    | (?P<skip1>"(?:\\.|[^"\\\r\n])*"|'(?:\\.|[^'\\\r\n])*'|@[^@\r\n]*@|<[^<>\r\n]*>)
    | (?P<flat>\[(?:[^\[\](){}"'@<\#/]++|\([^\[\](){}"'@<\#/]*+\))*+\]|\([^\[\](){}"'@<\#/]*+\))
    | (?P<open>[\[({])
    | (?P<close>[\])}])
    | (?P<bad1>["'@<])
    """,
    re.S | re.X,
)
_PAIRS = {ord("]"): ord("["), ord(")"): ord("("), ord("}"): ord("{")}
_UNCLOSED = {b'"': "string", b"'": "string", b'"""': "string", b"'''": "string", b"@": "asset path", b"@@@": "asset path",
             b"<": "scene path", b"/*": "comment"}


class _Lines:
    """Line and column (1-based) of byte offsets, computed only when an error is reported."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def at(self, offset: int) -> str:
        line = self.data.count(b"\n", 0, offset) + 1
        column = offset - (self.data.rfind(b"\n", 0, offset) + 1) + 1
        return f"line {line}, column {column}"


def check_usda_text(data: bytes, where: str) -> None:
    """FormatError naming ``where`` and the line unless the brackets, strings, asset and scene paths
    and comments of the USD text ``data`` are closed and properly nested (see the module docstring)."""
    stack: list[tuple[int, int]] = []  # (opening byte, offset)
    lines = _Lines(data)
    for m in _TOKEN.finditer(data):
        kind = m.lastgroup
        if kind == "open":
            stack.append((data[m.start()], m.start()))
            if len(stack) > MAX_USDA_DEPTH:
                raise FormatError(f"{where}: {lines.at(m.start())}: brackets nested more than {MAX_USDA_DEPTH} deep (not valid USD text)")
        elif kind == "close":
            want = _PAIRS[data[m.start()]]
            closer = chr(data[m.start()])
            if not stack:
                raise FormatError(f"{where}: {lines.at(m.start())}: {closer!r} closes nothing (not valid USD text)")
            opener, at = stack.pop()
            if opener != want:
                raise FormatError(f"{where}: {lines.at(m.start())}: {closer!r} does not close the {chr(opener)!r} opened on "
                                  f"{lines.at(at)} (not valid USD text)")
        elif kind in ("bad", "bad1"):
            what = _UNCLOSED.get(m.group(), "token")
            raise FormatError(f"{where}: {lines.at(m.start())}: a {what} that is not closed (not valid USD text)")
    if stack:
        opener, at = stack[-1]
        raise FormatError(f"{where}: {lines.at(at)}: {chr(opener)!r} is never closed (not valid USD text)")


def check_usda_file(path: Path) -> None:
    """:func:`check_usda_text` on ``path`` if it is a text layer, and on every text layer inside a ``.usdz``
    (FormatError first if ``path`` is not a regular file: a FIFO would block usd-core, a device never end)."""
    from scenegraph.model.files import regular_file

    regular_file(path, "a USD layer")
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(TEXT_MAGIC))
            if head == TEXT_MAGIC:
                fh.seek(0)
                check_usda_text(fh.read(), str(path))
                return
    except OSError as exc:
        raise FormatError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if path.suffix.lower() == ".usdz":
        try:
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    if info.compress_type != zipfile.ZIP_STORED:
                        continue  # usdz entries are stored; check_usdz refuses compressed ones
                    with zf.open(info) as entry:
                        if entry.read(len(TEXT_MAGIC)) == TEXT_MAGIC:
                            check_usda_text(TEXT_MAGIC + entry.read(), f"{path}[{info.filename}]")
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise FormatError(f"{path}: not a usdz package ({exc})") from None
