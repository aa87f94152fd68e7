"""transforms.classify: the dictionary, its validation, and classification precedence."""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from transforms.activities import build_activities
from transforms.classify import Rules, classify, rules_from_mapping, rules_from_toml

DICTIONARY = Path(__file__).resolve().parents[1] / "renkei" / "data" / "classification.toml"


@pytest.fixture(scope="module")
def rules() -> Rules:
    return rules_from_toml(DICTIONARY.read_text(encoding="utf-8"))


def _frame(rows: list[dict[str, str | None]]) -> pl.DataFrame:
    defaults = {"title": "", "summary": None, "category_text": None, "source_kind": "csv"}
    return pl.DataFrame([{**defaults, **r} for r in rows], schema={k: pl.String for k in defaults})


def _classified(rules: Rules, dated: bool = False, **row: str | None) -> dict[str, object]:
    frame = _frame([row])
    if dated:
        start = pl.datetime(2026, 12, 8, time_zone="Asia/Tokyo")
        frame = frame.with_columns(starts_at=start)
    out = classify(frame, rules)
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
        ({"phrases": {"受講者募集": "train"}}, "[phrases] の「受講者募集」の分類「train」は未知"),
        ({"phrases": {" ": "event"}}, "[phrases] に空の語句があります"),
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
    assert set(tomllib.loads(text)) == {
        "phrases",
        "categories",
        "member_categories",
        "guidelines",
    }


def test_all_null_text_columns_are_accepted(rules: Rules) -> None:
    df = pl.DataFrame(
        {"title": ["発表会のお知らせ"], "summary": [None], "category_text": [None]}
    ).with_columns(source_kind=pl.lit("feed"))
    out = classify(df, rules)
    assert out.select("category", "category_rule").row(0) == ("event", "keyword:発表会")


# --- 募集: who is being recruited decides the category --------------------------------


@pytest.mark.parametrize(
    ("title", "category", "rule"),
    [
        (
            "社会人向け Rubyプログラミング講座（人材育成）受講者募集",
            "training",
            "keyword:受講者募集",
        ),
        (
            "社会人向け「データサイエンス実践講座」受講生募集（人材育成）",
            "training",
            "keyword:受講生募集",
        ),
        ("ものづくり中核人材講座", "training", "keyword:講座"),
        (
            "ものづくり中核人材育成講座（品質管理コース）受講者募集",
            "training",
            "keyword:受講者募集",
        ),
        ("産学官連携コーディネーター研修 受講者の募集", "training", "keyword:受講者の募集"),
        ("ビジネスフェア2027 来場者募集", "event", "keyword:来場者募集"),
        ("創業塾（全4回）", "training", "keyword:塾"),
        ("研究開発助成 公募のお知らせ", "call", "keyword:公募"),
        ("ビジネスフェア2027 出展者募集", "call", "keyword:出展者募集"),
        ("共同研究講座 設置企業の募集について", "call", "keyword:募集"),
        ("セミナー開催報告", "news", "keyword:開催報告"),
    ],
)
def test_recruitment_titles_are_filed_by_who_is_recruited(
    rules: Rules, title: str, category: str, rule: str
) -> None:
    row = _classified(rules, title=title)
    assert (row["category"], row["category_rule"]) == (category, rule)


def test_title_phrase_wins_over_member_category(rules: Rules) -> None:
    row = _classified(rules, title="データ活用講座 受講生募集", category_text="募集")
    assert (row["category"], row["category_rule"]) == ("training", "keyword:受講生募集")


def test_phrase_in_summary_does_not_beat_title_keyword(rules: Rules) -> None:
    row = _classified(rules, title="ものづくりセミナー", summary="同時開催の展示会の出展者募集も")
    assert (row["category"], row["category_rule"]) == ("event", "keyword:セミナー")


def test_phrase_in_summary_is_tried_before_keywords(rules: Rules) -> None:
    row = _classified(rules, title="ご案内", summary="品質管理講座の受講者募集を始めます")
    assert (row["category"], row["category_rule"]) == ("training", "keyword:受講者募集")


# --- a dated visit or seminar is an event, a report is not -----------------------------


def test_dated_visit_showing_a_success_case_is_an_event(rules: Rules) -> None:
    row = _classified(rules, dated=True, title="実用化事例 見学会", category_text="事例")
    assert (row["category"], row["category_rule"]) == ("event", "dated:見学会")


@pytest.mark.parametrize(
    ("title", "category_text", "rule"),
    [
        ("実用化事例 視察会", None, "dated:視察会"),
        ("成功事例セミナー", None, "dated:セミナー"),
        ("共同研究成果報告会（医工連携分野）", "共同研究の成果", "dated:報告会"),
        ("技術シーズ セミナー", "お知らせ", "dated:セミナー"),
    ],
)
def test_dated_event_word_in_title_turns_success_case_and_news_into_event(
    rules: Rules, title: str, category_text: str | None, rule: str
) -> None:
    row = _classified(rules, dated=True, title=title, category_text=category_text)
    assert (row["category"], row["category_rule"]) == ("event", rule)


@pytest.mark.parametrize(
    ("title", "category_text", "category", "rule"),
    [
        ("実用化事例 見学会", "事例", "success_case", "member:区分=事例"),
        ("実用化事例 見学会", None, "success_case", "keyword:事例"),
        ("【事例紹介】大学発技術の実用化", None, "success_case", "keyword:事例"),
    ],
)
def test_undated_visit_or_case_report_stays_success_case(
    rules: Rules, title: str, category_text: str | None, category: str, rule: str
) -> None:
    row = _classified(rules, title=title, category_text=category_text)
    assert (row["category"], row["category_rule"]) == (category, rule)


@pytest.mark.parametrize(
    ("title", "category_text", "category", "rule"),
    [
        ("見学会 開催報告", "事例", "news", "keyword:開催報告"),
        ("【事例紹介】大学発技術の実用化", "事例", "success_case", "member:区分=事例"),
        ("補助金 説明会", None, "call", "keyword:補助金"),
        ("品質管理ワークショップ", "研修", "training", "member:区分=研修"),
    ],
)
def test_dated_rule_leaves_reports_calls_and_training_alone(
    rules: Rules, title: str, category_text: str | None, category: str, rule: str
) -> None:
    row = _classified(rules, dated=True, title=title, category_text=category_text)
    assert (row["category"], row["category_rule"]) == (category, rule)


def test_event_word_only_in_summary_does_not_make_a_dated_case_an_event(rules: Rules) -> None:
    row = _classified(
        rules, dated=True, title="実用化事例のご紹介", summary="セミナーでも紹介しました"
    )
    assert (row["category"], row["category_rule"]) == ("success_case", "keyword:事例")


def test_build_activities_passes_the_parsed_start_to_the_dated_rule(rules: Rules) -> None:
    text = (
        "stage_id", "raw_sha256", "source_kind", "member_id", "source_ref", "item_key", "title",
        "summary", "url", "published_text", "starts_text", "ends_text", "time_text", "venue",
        "category_text", "deadline_text", "contact", "extra",
    )  # fmt: skip
    rows = [
        {
            **dict.fromkeys(text),
            "stage_id": f"s{i}",
            "raw_sha256": "raw0",
            "position": i,
            "source_kind": "csv",
            "member_id": "m01",
            "source_ref": "inbox/m01/2026-11-report.csv",
            "title": "実用化事例 見学会（宇部市内企業）",
            "category_text": "事例",
            "starts_text": starts,
            "staged_at": datetime(2026, 11, 1, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo")),
        }
        for i, starts in enumerate(["2026-12-08", None])
    ]
    schema = {
        **dict.fromkeys(text, pl.String),
        "position": pl.Int64,
        "staged_at": pl.Datetime("us", "Asia/Tokyo"),
    }
    activities, _ = build_activities(pl.DataFrame(rows, schema=schema), rules)
    assert activities.sort("stage_id").select("category", "category_rule").rows() == [
        ("event", "dated:見学会"),
        ("success_case", "member:区分=事例"),
    ]
