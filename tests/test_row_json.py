"""row_json writes, per row, exactly what json.dumps(ensure_ascii=False) writes."""

import json

import polars as pl

from renkei.core.row_json import row_json

TRICKY = ['a"b', "back\\slash", "nl\nx", "tab\tx", "ctl\x01\x1f\x7f", "ユニコード①ｶﾅ",
          "\u2028\u2029", "emoji😀", "/slash", "\r\b\f", None, ""]  # fmt: skip


def test_each_row_is_the_json_dumps_of_its_non_null_cells():
    frame = pl.DataFrame({"title": TRICKY, "備考": list(reversed(TRICKY))})
    expected = [
        json.dumps({k: v for k, v in row.items() if v is not None}, ensure_ascii=False)
        for row in frame.iter_rows(named=True)
    ]
    assert row_json(frame).to_list() == expected


def test_a_row_of_nulls_is_an_empty_object_and_keys_can_be_renamed():
    frame = pl.DataFrame({"c0": [None, "x"]}, schema={"c0": pl.String})
    assert row_json(frame, {"c0": '見出し"1'}).to_list() == ["{}", '{"見出し\\"1": "x"}']
