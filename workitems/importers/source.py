"""Opening an upload: its encoding (UTF-8 with or without a BOM; UTF-16 with a BOM) and the
first bytes for detection. Every stream here reads the file in chunks; none holds it whole."""

from __future__ import annotations

import codecs
import io
import re
from typing import IO, Any, BinaryIO

from workitems.importers.rows import Opener

HEAD_BYTES = 64 * 1024  # what detection looks at
_CHUNK = 64 * 1024
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

# Bytes that are not valid in the file's encoding decode to this lone surrogate, which no
# valid text holds, so a reader can find the line they are on (`INVALID in line`).
INVALID = "\udcff"
_INVALID_HANDLER = "workitems.importers.invalid"


def _mark_invalid(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return INVALID, error.end


codecs.register_error(_INVALID_HANDLER, _mark_invalid)


class _Prefixed(io.RawIOBase):
    """`prefix` then the rest of `stream`: the bytes read to sniff a BOM, put back."""

    def __init__(self, prefix: bytes, stream: BinaryIO) -> None:
        self._prefix = prefix
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._prefix:
            count = min(len(buffer), len(self._prefix))
            buffer[:count] = self._prefix[:count]
            self._prefix = self._prefix[count:]
            return count
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()


class _Utf8FromText(io.RawIOBase):
    """UTF-8 bytes of a text stream (a UTF-16 file re-encoded for the JSON parser)."""

    def __init__(self, text: IO[str]) -> None:
        self._text = text
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = self._text.read(_CHUNK)
            if not chunk:
                return 0
            # INVALID becomes an invalid UTF-8 byte, which the JSON parser reports.
            self._pending = chunk.encode("utf-8", "surrogateescape")
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count

    def close(self) -> None:
        self._text.close()
        super().close()


def read_head(opener: Opener, size: int = HEAD_BYTES) -> bytes:
    """The first `size` bytes of the file (fewer if it is shorter)."""
    with opener() as stream:
        parts: list[bytes] = []
        remaining = size
        while remaining > 0:
            data = stream.read(remaining)
            if not data:
                break
            parts.append(data)
            remaining -= len(data)
    return b"".join(parts)


def _sniff(opener: Opener) -> tuple[str, BinaryIO]:
    """The file's encoding (`utf-8` or `utf-16`) and a stream past its BOM (if any)."""
    stream = opener()
    start = stream.read(3)
    while len(start) < 3:
        more = stream.read(3 - len(start))
        if not more:
            break
        start += more
    if start.startswith(codecs.BOM_UTF8):
        return "utf-8", io.BufferedReader(_Prefixed(b"", stream), _CHUNK)
    if start[:2] in _UTF16_BOMS:
        # The utf-16 codec reads the BOM itself to learn the byte order.
        return "utf-16", io.BufferedReader(_Prefixed(start, stream), _CHUNK)
    return "utf-8", io.BufferedReader(_Prefixed(start, stream), _CHUNK)


def open_text(opener: Opener) -> IO[str]:
    """The file as text for the csv module: lines end as they were (`newline=""`), a BOM is
    skipped, and bytes that are not valid in the encoding come through as INVALID so the
    reader can say which line holds them."""
    encoding, stream = _sniff(opener)
    return io.TextIOWrapper(stream, encoding=encoding, errors=_INVALID_HANDLER, newline="")


def open_utf8(opener: Opener) -> BinaryIO:
    """The file as UTF-8 bytes without a BOM, for the JSON parser (which reads only UTF-8)."""
    encoding, stream = _sniff(opener)
    if encoding == "utf-8":
        return stream
    text = io.TextIOWrapper(stream, encoding=encoding, errors=_INVALID_HANDLER, newline="")
    return io.BufferedReader(_Utf8FromText(text), _CHUNK)


def head_text(head: bytes) -> str | None:
    """The text of a file's first bytes (a character cut at the end is dropped), or None
    when they do not look like text: NUL bytes, or more than 1 % of the characters invalid
    in the encoding or control characters (binary). A few invalid bytes are kept as lone
    surrogates, so detection still works and the parser can name their line."""
    if head.startswith(codecs.BOM_UTF8):
        head = head[3:]
        encoding = "utf-8"
    elif head[:2] in _UTF16_BOMS:
        encoding = "utf-16"
    else:
        encoding = "utf-8"
    decoder = codecs.getincrementaldecoder(encoding)(_INVALID_HANDLER)
    text = decoder.decode(head, final=False)
    if "\x00" in text:
        return None
    odd = len(_ODD.findall(text))
    if odd > len(text) / 100:
        return None
    return text


_ODD = re.compile("[\udc80-\udcff\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")
