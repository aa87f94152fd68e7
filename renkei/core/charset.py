"""Decode bytes that Japanese offices produce: BOM, then strict UTF-8, then CP932.

The order matters: UTF-8 bytes often decode "successfully" as CP932 garbage, so UTF-8
is tried first. ``cp932`` (not ``shift_jis``) holds 髙, ①, Ⅳ, ㈱ and ～.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


_UNDECODABLE = (
    "文字コードを判別できません（UTF-8・Shift_JIS(CP932)・UTF-16 のいずれでもありません）"
)


class UndecodableError(ValueError):
    """The bytes are in none of the encodings we accept."""


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str


def decode_bytes(data: bytes) -> Decoded:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return Decoded(data.decode(name), name)
    for name in ("utf-8", "cp932"):
        try:
            return Decoded(data.decode(name), name)
        except UnicodeDecodeError:
            continue
    try:  # EUC-JP appears in older systems' exports
        return Decoded(data.decode("euc_jp"), "euc_jp")
    except UnicodeDecodeError:
        pass
    raise UndecodableError(_UNDECODABLE)


_PIECE = 1 << 20  # bytes per piece: ~5 ms of CP932 decoding, Python's GIL switch interval


def _pieces(data: bytes) -> Iterator[memoryview]:
    """``data`` cut after a line end about every _PIECE bytes (no UTF-8, CP932 or EUC-JP
    character contains the byte \\n, so each piece decodes on its own)."""
    view, start = memoryview(data), 0
    while start < len(data):
        end = data.find(b"\n", start + _PIECE)
        end = len(data) if end < 0 else end + 1
        yield view[start:end]
        start = end


def utf8_bytes(data: bytes) -> tuple[bytes, str]:
    """The bytes as UTF-8 without a BOM, and the encoding decode_bytes finds them in.

    Converted in pieces, never as one str of the whole file: between pieces the GIL is let
    go (the intake's writer thread hashes the bytes and opens the warehouse meanwhile), and
    UTF-8 input is only checked, not copied."""
    try:
        if data.startswith(codecs.BOM_UTF8):
            out, name = _check_utf8(data[len(codecs.BOM_UTF8) :]), "utf-8-sig"
        elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            out, name = data.decode("utf-16").encode("utf-8"), "utf-16"
        else:
            out, name = _first_of(data, ("utf-8", "cp932", "euc_jp"))
    except UnicodeDecodeError:
        raise UndecodableError(_UNDECODABLE) from None
    while out.startswith(codecs.BOM_UTF8):  # a second BOM (a file saved twice over)
        out = out[len(codecs.BOM_UTF8) :]
    return out, name


def _check_utf8(data: bytes) -> bytes:
    for piece in _pieces(data):
        str(piece, "utf-8")
    return data


def _first_of(data: bytes, names: tuple[str, ...]) -> tuple[bytes, str]:
    for name in names:
        try:
            if name == "utf-8":
                return _check_utf8(data), name
            return b"".join(str(p, name).encode("utf-8") for p in _pieces(data)), name
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("renkei", data[:1], 0, 1, "none of " + ", ".join(names))
