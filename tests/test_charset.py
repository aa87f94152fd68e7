import codecs

import pytest

from renkei.core import charset
from renkei.core.charset import UndecodableError, decode_bytes, utf8_bytes

TEXT = "髙島屋①～ｺﾗﾎﾞ㈱"


ENCODED = pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8-sig"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16"),
        (TEXT.encode("utf-8"), "utf-8"),
        (TEXT.encode("cp932"), "cp932"),
    ],
)


@ENCODED
def test_detection_order_bom_utf8_cp932(data: bytes, encoding: str) -> None:
    decoded = decode_bytes(data)
    assert decoded.text == TEXT
    assert decoded.encoding == encoding


def test_bytes_in_no_accepted_encoding_are_refused() -> None:
    with pytest.raises(UndecodableError, match="文字コードを判別できません"):
        decode_bytes(b"\x81\x00\xff\xfe\x80\x80\xa0")


@ENCODED
def test_utf8_bytes_finds_what_decode_bytes_finds(data: bytes, encoding: str) -> None:
    assert utf8_bytes(data) == (decode_bytes(data).text.encode("utf-8"), encoding)


def test_utf8_bytes_converts_a_big_file_in_pieces_cut_at_line_ends(monkeypatch) -> None:
    """Pieces of 64 bytes: CP932 lines of two-byte characters cut only after \\n."""
    monkeypatch.setattr(charset, "_PIECE", 64)
    lines = "".join(f"{i},髙島屋ｺﾗﾎﾞ①～第{i}回,令和8年12月{i % 28 + 1}日\r\n" for i in range(500))
    data = lines.encode("cp932")
    assert utf8_bytes(data) == (lines.encode("utf-8"), "cp932")
    assert utf8_bytes(codecs.BOM_UTF8 * 2 + lines.encode()) == (lines.encode(), "utf-8-sig")


def test_utf8_bytes_refuses_what_no_accepted_encoding_reads() -> None:
    with pytest.raises(UndecodableError, match="文字コードを判別できません"):
        utf8_bytes(b"\x81\x00\xff\xfe\x80\x80\xa0")
    with pytest.raises(UndecodableError):  # a UTF-8 BOM before bytes that are not UTF-8
        utf8_bytes(codecs.BOM_UTF8 + "髙島屋".encode("cp932"))
