"""transforms.classify: the dictionary, its validation, and classification precedence."""

from __future__ import annotations

import tomllib
from pathlib import Path

import polars as pl
import pytest

from transforms.classify import Rules, classify, rules_from_mapping, rules_from_toml

DICTIONARY = Path(__file__).resolve().parents[1] / "renkei" / "data" / "classification.toml"


@pytest.fixture(scope="module")
def rules() -> Rules:
    return rules_from_toml(DICTIONARY.read_text(encoding="utf-8"))


def _frame(rows: list[dict[str, str | None]]) -> pl.DataFrame:
    defaults = {"title": "", "summary": None, "category_text": None, "source_kind": "csv"}
    return pl.DataFrame([{**defaults, **r} for r in rows], schema={k: pl.String for k in defaults})


def _classified(rules: Rules, **row: str | None) -> dict[str, object]:
    out = classify(_frame([row]), rules)
    return out.select("category", "category_rule", "guideline", "guideline_rule").row(0, named=True)


def test_default_dictionary_loads_in_priority_order(rules: Rules) -> None:
    assert rules.categories[0] == ("call", "公募")
    assert [c for c, _ in rules.categories][-1] == "news"
    assert ("event", "セミナー") in rules.categories
    assert dict(rules.member_categories)["公募"] == "call"
    assert dict(rules.member_categories)["セミナー"] == "event"
    assert rules.guidelines[0] == (1, "連携")
    assert {g for g, _ in rules.guidelines} == {1, 2, 3}


def test_member_category_wins_over_keywords(rules: Rules) -> None:
    assert _classified(rules, title="成果報告セミナー", category_text="公募") == {
        "category": "call",
        "category_rule": "member:区分=公募",
        "guideline": 3,
        "guideline_rule": "keyword:成果",
    }


def test_member_category_matches_half_width_and_compound_words(rules: Rules) -> None:
    row = _classified(rules, title="ご案内", category_text="ｾﾐﾅｰ・ｲﾍﾞﾝﾄ")
    assert (row["category"], row["category_rule"]) == ("event", "member:区分=セミナー・イベント")


def test_unmapped_member_category_falls_back_to_keywords(rules: Rules) -> None:
    row = _classified(rules, title="ものづくりセミナー", category_text="その他")
    assert (row["category"], row["category_rule"]) == ("event", "keyword:セミナー")


def test_keyword_priority_follows_rule_order_not_position_in_title(rules: Rules) -> None:
    # 「セミナー」 comes first in the title, but call keywords have priority.
    row = _classified(rules, title="セミナー参加者の募集")
    assert (row["category"], row["category_rule"]) == ("call", "keyword:募集")


def test_title_is_searched_before_summary(rules: Rules) -> None:
    row = _classified(rules, title="ものづくりフォーラム", summary="補助金の公募もあります")
    assert (row["category"], row["category_rule"]) == ("event", "keyword:フォーラム")


def test_summary_used_when_title_has_no_keyword(rules: Rules) -> None:
    row = _classified(rules, title="ご案内", summary="製品化までの道のりを紹介します")
    assert (row["category"], row["category_rule"]) == ("success_case", "keyword:製品化")


def test_keywords_match_half_width_and_full_width_variants(rules: Rules) -> None:
    row = _classified(rules, title="ｲﾝﾀｰﾝｼｯﾌﾟ 参加校")
    assert (row["category"], row["category_rule"]) == ("training", "keyword:インターン")


@pytest.mark.parametrize(("kind", "expected"), [("feed", "news"), ("csv", "other")])
def test_default_category_depends_on_source(rules: Rules, kind: str, expected: str) -> None:
    assert _classified(rules, title="ご案内", source_kind=kind) == {
        "category": expected,
        "category_rule": "default",
        "guideline": None,
        "guideline_rule": None,
    }


@pytest.mark.parametrize(
    ("title", "summary", "guideline", "rule"),
    [
        ("広域連携協議会の設立", None, 1, "keyword:連携"),
        ("共同研究のお知らせ", None, 2, "keyword:共同研究"),
        ("表彰式", None, 3, "keyword:表彰"),
        ("ご案内", "試験機器の共用を始めます", 2, "keyword:共用"),
        ("ご案内", "特になし", None, None),
    ],
)
def test_guideline_keywords(
    rules: Rules, title: str, summary: str | None, guideline: int | None, rule: str | None
) -> None:
    row = _classified(rules, title=title, summary=summary)
    assert (row["guideline"], row["guideline_rule"]) == (guideline, rule)


def test_classify_output_types_and_row_count(rules: Rules) -> None:
    df = _frame([{"title": "セミナー"}, {"title": "ご案内", "source_kind": "feed"}])
    out = classify(df, rules)
    assert out.height == 2
    assert out.schema["category"] == pl.String
    assert out.schema["guideline"] == pl.Int8
    assert out["category"].to_list() == ["event", "news"]


def test_classify_with_empty_rules_gives_defaults() -> None:
    out = classify(_frame([{"title": "セミナー"}]), rules_from_mapping({}))
    assert out.select("category", "category_rule", "guideline").row(0) == ("other", "default", None)


def test_rules_normalise_keywords_with_nfkc() -> None:
    rules = rules_from_mapping({"categories": {"event": ["ｾﾐﾅｰ"]}})
    assert rules.categories == (("event", "セミナー"),)


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"categories": {"evnt": ["セミナー"]}}, "「evnt」は未知の分類です"),
        ({"member_categories": {"公募": "cal"}}, "「公募」の分類「cal」は未知の分類です"),
        ({"guidelines": {"4": ["連携"]}}, "[guidelines] の「4」は指針番号"),
        ({"guidelines": {"x": ["連携"]}}, "[guidelines] の「x」は指針番号"),
        ({"categories": {"event": "セミナー"}}, "[categories] の「event」は文字列のリスト"),
        ({"categories": {"event": ["セミナー", " "]}}, "「event」に空のキーワード"),
        ({"category": {}}, "未知の項目があります：category"),
    ],
)
def test_rules_from_mapping_rejects_bad_dictionary(
    mapping: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        rules_from_mapping(mapping)


def test_default_dictionary_is_valid_toml_with_documentation() -> None:
    text = DICTIONARY.read_text(encoding="utf-8")
    assert text.startswith("#")
    assert set(tomllib.loads(text)) == {"categories", "member_categories", "guidelines"}


def test_all_null_text_columns_are_accepted(rules: Rules) -> None:
    df = pl.DataFrame(
        {"title": ["発表会のお知らせ"], "summary": [None], "category_text": [None]}
    ).with_columns(source_kind=pl.lit("feed"))
    out = classify(df, rules)
    assert out.select("category", "category_rule").row(0) == ("event", "keyword:発表会")
