import pytest

from renkei.charset import UndecodableError, decode_bytes

TEXT = "髙島屋①～ｺﾗﾎﾞ㈱"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8-sig"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16"),
        (TEXT.encode("utf-8"), "utf-8"),
        (TEXT.encode("cp932"), "cp932"),
    ],
)
def test_detection_order_bom_utf8_cp932(data: bytes, encoding: str) -> None:
    decoded = decode_bytes(data)
    assert decoded.text == TEXT
    assert decoded.encoding == encoding


def test_bytes_in_no_accepted_encoding_are_refused() -> None:
    with pytest.raises(UndecodableError, match="文字コードを判別できません"):
        decode_bytes(b"\x81\x00\xff\xfe\x80\x80\xa0")
