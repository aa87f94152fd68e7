"""Decode bytes that Japanese offices produce: BOM, then strict UTF-8, then CP932.

The order matters: UTF-8 bytes often decode "successfully" as CP932 garbage, so UTF-8
is tried first. ``cp932`` (not ``shift_jis``) holds 髙, ①, Ⅳ, ㈱ and ～.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
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
    raise UndecodableError(
        "文字コードを判別できません（UTF-8・Shift_JIS(CP932)・UTF-16 のいずれでもありません）"
    )
