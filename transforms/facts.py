"""Event facts read from Japanese free text: titles, summaries, feed content.

``read_facts(df, title=, summary=, anchor=)`` adds, per row, the event start and end
(date, time, multi-day ranges, 各日 times), the application deadline, venue, online /
hybrid, fee, capacity and audience, each with a Japanese note saying where it was read
(``_f_*`` columns; transforms.activities decides which win over structured fields).

How it stays fast: each distinct title and summary is read once, and each regex runs only
on texts holding a literal it needs (a digit, 月 or / and a digit for dates; 会場, 定員 …);
Polars regexes cut short *windows* out (a label such as 日時：/締切：/【2/6開催】 and the
date characters after it); each distinct window is read once by transforms.facts_spans
(the date grammar is not an expression); dates are dated per distinct set of windows.
Years are supplied here, as expressions: a written year wins, then a 年度 of the text
(令和8年度 = April 2026 – March 2027), else the next such date on or after ``anchor``
(the publication date). A report (開催報告, 終了しました, 開催しました …) gives no event
date or deadline: its dates are of the past.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from transforms.facts_fields import (
    FIELD_HINT,
    ONLINE_HINT,
    SIDE_FIELDS,
    combine_fields,
    online_fields,
    side_fields,
)
from transforms.facts_spans import KANJI_DIGITS, SPAN_FIELDS, SPAN_INTS, read_span

__all__ = ["FACT_COLUMNS", "KANJI_DIGITS", "prepare_text", "read_facts", "title_core"]

FACT_COLUMNS = (
    "start_at", "start_has_time", "end_at", "end_has_time", "deadline_at", "venue", "online",
    "fee", "capacity", "audience", "report",
)  # fmt: skip


# Characters a date, time or range is written with (after NFKC): a window is a label and
# a run of these, so most windows of a batch are the same few strings.
_DC = r"[0-9年月日/.:~\-()・、,時分半曜火水木金土祝休午前後各両回からまでより \u3000]"
_LEAD = r"(?:(?:令和|平成)[0-9]{1,2}年|20[0-9]{2}[年/.\-]|[RH][0-9]{1,2}\.)?"
_DATE_HEAD = rf"{_LEAD}[0-9]{{1,2}}(?:月|/)[0-9]{{1,2}}"
_WINDOW = rf"{_DATE_HEAD}{_DC}{{0,40}}(?:(?:初回|第[0-9]{{1,2}}回|[0-9]日目)\))?"
_START_LABEL = r"(?:会期|開催日時|開催日程|開催期間|開催日|日時|日程|期日|とき|開催)"
_NOT_START = r"締切|〆切|締め切り|期限|受付|募集|申込|申し込み|応募|提出|公募|更新|掲載|公開"
_START_RE = rf"(?:{_NOT_START})?{_START_LABEL}\s*(?:[】\]]\s*:?|:|\s)\s*{_WINDOW}"
_DEADLINE_LABEL = (
    r"(?:申込締切日?|申込み締切|申し込み締切|応募締切|提出締切|締切日?|締め切り|〆切日?|〆切り"
    r"|申込期限|申込み期限|応募期限|提出期限|受付期限|受付期間|募集期間|申込期間|公募期間|応募期間"
    r"|エントリー期間|エントリー締切)"
)
_DEADLINE_RE = rf"{_DEADLINE_LABEL}\s*(?:[】\]]\s*:?|:|は)?\s*~?\s*{_WINDOW}"
_UNTIL_RE = (
    rf"{_WINDOW}まで[^。]{{0,15}}?(?:申込|申し込|お申込|応募|受付|提出|登録|エントリー|募集)"
)
# a title's date: not one after a deadline/update word, nor one followed by まで/更新/号
_TITLE_RE = rf"(?:(?:{_NOT_START})[^\d]{{0,4}})?{_WINDOW}(?:まで|更新|掲載|公開|号|締切|〆切)?"
_SUMMARY_HELD_RE = rf"{_WINDOW}[^。]{{0,30}}?(?:を|に|にて|で)?(?:開催|実施|行います|開講)"
_REPORT_RE = (
    r"開催報告|実施報告|開催レポート|開催結果|終了しました|開催しました|実施しました|行いました"
    r"|盛況のうち|ご報告|を報告します|報告会を終え"
)
_FY_RE = r"(?:令和|R)\s*(\d{1,2})\s*年度|(20\d{2})\s*年度"


def prepare_text(expr: pl.Expr) -> pl.Expr:
    """NFKC, 〜 as ~, kanji dates as digits: the text every fact is read from."""
    return (
        expr.fill_null("")
        .str.normalize("NFKC")
        .str.replace_all("〜", "~", literal=True)
        .str.replace_many(KANJI_DIGITS)
    )


_TITLE_DECORATIONS = (
    r"【[^】]*\d{1,2}(?:月|/)\d{1,2}[^】]*】",
    r"\([^()]*\d{1,2}(?:月|/)\d{1,2}[^()]*\)",
    rf"^\s*{_DATE_HEAD}日?(?:\([^()]*\))*\s*(?:開催|に|より)?\s*",
    r"\s*(?:を|の)?(?:開催します|開催いたします|開催のお知らせ|開催のご案内|お知らせ|ご案内|開催案内)\s*$",
)


def title_core(expr: pl.Expr) -> pl.Expr:
    """The title without its date decorations (【2/6開催】, （1月22日）, a leading 3月4日(水),
    …を開催します), so one event announced in two title styles gets one match key."""
    core = prepare_text(expr)
    for pattern in _TITLE_DECORATIONS:
        core = core.str.replace_all(pattern, " ")
    core = core.str.strip_chars()
    return pl.coalesce(core.replace("", None), expr)  # `core` once: eager Polars repeats it


# Without one of these no window regex can match: a cheap prefilter (after prepare_text).
_DATE_HINT = r"[0-9](?:月|/)[0-9]"
_KANJI_HINT = r"[〇一二三四五六七八九十元]"
_TITLE_BAD = rf"^(?:{_NOT_START})|(?:まで|更新|掲載|公開|号|締切|〆切)$"


def _on_rows(df: pl.DataFrame, mask: pl.Expr, compute: Any) -> pl.DataFrame:
    """``compute`` only on the rows where ``mask`` holds; its new columns are null elsewhere.

    (``pl.when`` evaluates both branches on every row; filtering first is what saves time.)
    """
    df = df.with_row_index("_r")
    part = compute(df.filter(mask))
    new = [c for c in part.columns if c not in df.columns]
    joined = df.join(part.select("_r", *new), on="_r", how="left", maintain_order="left")
    return joined.drop("_r")


def _first_valid(expr: pl.Expr, pattern: str, excluded: str | None) -> pl.Expr:
    found = expr.str.extract_all(pattern)
    if excluded is not None:
        found = found.list.eval(pl.element().filter(~pl.element().str.contains(excluded)))
    return found.list.first()


def _title_windows(df: pl.DataFrame) -> pl.DataFrame:
    text = pl.col("_p")
    return df.with_columns(
        _w_start_t=_first_valid(text, _TITLE_RE, _TITLE_BAD),
        _w_dl_t=pl.coalesce(
            _first_valid(text, _DEADLINE_RE, None), _first_valid(text, rf"{_WINDOW}まで", None)
        ),
    )


def _summary_windows(df: pl.DataFrame) -> pl.DataFrame:
    text = pl.col("_p")
    return df.with_columns(
        _w_start_s=_first_valid(text, _START_RE, rf"^(?:{_NOT_START})"),
        _w_held_s=text.str.extract(rf"({_SUMMARY_HELD_RE})", 1),
        _w_dl_s=_first_valid(text, _DEADLINE_RE, None),
        _w_dl_u=text.str.extract(rf"({_UNTIL_RE})", 1),
    )


_WINDOW_COLUMNS = ("_w_start_s", "_w_start_t", "_w_held_s", "_w_dl_s", "_w_dl_t", "_w_dl_u")


def _side(values: pl.Series, windows: Any, where: str, out: str) -> pl.DataFrame:
    """Everything read from one side (title or summary) alone, per distinct text.

    Columns: ``_k`` (the raw text, null as ""), ``{out}`` (prepared text), the side's
    windows, ``{out}_*`` fields, ``{out}_report`` and hints for the row-level readings.
    """
    df = pl.DataFrame({"_k": values.fill_null("").unique()})
    df = df.with_columns(
        _p=pl.col("_k").str.normalize("NFKC").str.replace_all("〜", "~", literal=True)
    )
    df = _on_rows(
        df,
        pl.col("_p").str.contains(_KANJI_HINT),
        lambda d: d.with_columns(_p2=pl.col("_p").str.replace_many(KANJI_DIGITS)),
    ).with_columns(_p=pl.coalesce("_p2", "_p"))
    df = _on_rows(df, pl.col("_p").str.contains(_DATE_HINT), windows)
    df = _on_rows(
        df,
        pl.col("_p").str.contains(FIELD_HINT),
        lambda d: side_fields(d, "_p", where, out),
    )
    missing = [f"{out}_{c}" for c in SIDE_FIELDS if f"{out}_{c}" not in df.columns]
    df = df.with_columns(pl.lit(None, pl.String).alias(c) for c in missing)
    return (
        df.drop("_p2")
        .rename({"_p": out})
        .with_columns(
            pl.col(out).str.contains(_REPORT_RE).alias(f"{out}_report"),
            pl.col(out).str.contains("年度").alias(f"{out}_fy_hint"),
            pl.col(out).str.contains(ONLINE_HINT).alias(f"{out}_online_hint"),
        )
    )


def _spans(df: pl.DataFrame) -> pl.DataFrame:
    """Read each distinct window once; join the span fields back as ``{window}_{field}``."""
    keys = pl.concat([df.get_column(c).drop_nulls() for c in _WINDOW_COLUMNS]).unique()
    rows = []
    for key in keys.to_list():
        span = read_span(key)
        if span is not None:
            rows.append((key, *(getattr(span, f) for f in SPAN_FIELDS)))
    schema: dict[str, pl.DataType] = {"key": pl.String()}
    schema |= {f: pl.Int32() if f in SPAN_INTS else pl.String() for f in SPAN_FIELDS}
    table = pl.DataFrame(rows, schema=schema, orient="row")
    for column in _WINDOW_COLUMNS:
        renamed = table.rename({c: f"{column}_{c}" for c in table.columns if c != "key"})
        df = df.join(renamed, left_on=column, right_on="key", how="left", maintain_order="left")
    return df


def _date(y: pl.Expr, m: pl.Expr, d: pl.Expr) -> pl.Expr:
    return pl.format("{}-{}-{}", y, m, d).str.to_date("%Y-%m-%d", strict=False)


def _at(day: pl.Expr, h: pl.Expr, mi: pl.Expr) -> pl.Expr:
    clock = pl.time(h.fill_null(0), mi.fill_null(0))
    return (
        day.dt.combine(clock)
        .dt.replace_time_zone("Asia/Tokyo")
        .cast(pl.Datetime("us", "Asia/Tokyo"))
    )


def _dated(w: str, anchor: pl.Expr, fy: pl.Expr) -> dict[str, pl.Expr]:
    """Start/end date-times of window ``w`` with years supplied; and how the year was set."""
    f = {name: pl.col(f"{w}_{name}") for name in SPAN_FIELDS}
    m, d = f["m"], f["d"]
    a_month, a_day = anchor.dt.month().cast(pl.Int32), anchor.dt.day().cast(pl.Int32)
    after = (m * 100 + d) < (a_month * 100 + a_day)
    next_year = anchor.dt.year().cast(pl.Int32) + after.cast(pl.Int32)
    fy_year = fy + (m < 4).cast(pl.Int32)
    year = pl.coalesce(f["y"], fy_year, next_year)
    start = _date(year, m, d)
    end_month_year = pl.coalesce(f["ey"], year + (f["em"] < m).cast(pl.Int32))
    day_only_base = (
        pl.when(f["ed"] < d)
        .then(start.dt.month_start().dt.offset_by("1mo"))
        .otherwise(start.dt.month_start())
    )
    end = (
        pl.when(f["em"].is_not_null())
        .then(_date(end_month_year, f["em"], f["ed"]))
        .when(f["ed"].is_not_null())
        .then(day_only_base + pl.duration(days=f["ed"] - 1))
    )
    end_day = pl.when(end.is_not_null()).then(end).when(f["eh"].is_not_null()).then(start)
    how = (
        pl.when(f["y"].is_not_null())
        .then(pl.lit(""))
        .when(fy.is_not_null())
        .then(pl.format("（年度の記載から{}年としました）", year))
        .otherwise(pl.format("（年の記載がないため掲載日から{}年としました）", year))
    )
    # separate days with a gap between them (not 6日・7日): the note says it is no range
    count = f["sessions"].str.extract(r"全(\d+)回").cast(pl.Int64)
    gap = (end_day - start).dt.total_days() > count - 1
    many = pl.when(gap).then(
        pl.format(
            "。{}：別々の日の開催で、連続した期間ではありません（終了日時は最終回のもの）",
            f["sessions"],
        )
    )
    first = pl.format("。{}の日時です（ほかの回の日程はこの記載にありません）", f["qual"])
    return {
        "sessions": f["sessions"],
        "more": pl.coalesce(many, first, pl.lit("")),
        "start": _at(start, f["h"], f["mi"]),
        "start_time": f["h"].is_not_null(),
        "end": _at(end_day, f["eh"], f["emi"]),
        "end_time": f["eh"].is_not_null(),
        "how": how,
        "text": f["text"],
    }


_OUTPUT = (
    "start_at", "start_has_time", "end_at", "end_has_time", "start_note", "deadline_at",
    "deadline_note", "report", "report_note", "sessions", "venue", "venue_note", "audience",
    "audience_note", "capacity", "capacity_note", "fee", "fee_note", "online", "online_note",
)  # fmt: skip


def read_facts(
    df: pl.DataFrame, *, title: str, summary: str, anchor: str, prefix: str = "_f"
) -> pl.DataFrame:
    """Add ``{prefix}_{fact}`` for FACT_COLUMNS and ``{prefix}_{fact}_note`` columns.

    ``title``/``summary``: display text columns; ``anchor``: the publication date (Date)
    that completes year-less dates. Work is done per distinct title, per distinct summary
    and per distinct set of date windows, each regex only on texts holding the literal it
    needs; then joined back, so the result is the same as reading every row.
    """
    sides = (
        (title, "_kt", _side(df.get_column(title), _title_windows, "タイトル", "_ft")),
        (summary, "_ks", _side(df.get_column(summary), _summary_windows, "概要", "_fs")),
    )
    rows = df.select(
        _kt=pl.col(title).fill_null(""), _ks=pl.col(summary).fill_null(""), _a=pl.col(anchor)
    )
    for _, key, side in sides:
        rows = rows.join(side.rename({"_k": key}), on=key, how="left", maintain_order="left")

    def fiscal_year(d: pl.DataFrame) -> pl.DataFrame:
        both = pl.concat_str(pl.col("_ft"), pl.col("_fs"), separator=" ")
        m = both.str.extract_groups(_FY_RE)
        return d.with_columns(
            _fy=pl.coalesce(
                m.struct.field("1").cast(pl.Int32, strict=False) + 2018,
                m.struct.field("2").cast(pl.Int32, strict=False),
            )
        )

    rows = _on_rows(rows, pl.col("_ft_fy_hint") | pl.col("_fs_fy_hint"), fiscal_year)
    rows = rows.with_columns(_report=pl.col("_ft_report") | pl.col("_fs_report"))
    keys = [*_WINDOW_COLUMNS, "_a", "_fy", "_report"]
    dates = _dates(_spans(rows.select(keys).unique()), prefix)
    rows = rows.join(dates, on=keys, how="left", nulls_equal=True, maintain_order="left")
    rows = combine_fields(rows, "_ft", "_fs", prefix)
    rows = _on_rows(
        rows,
        pl.col("_ft_online_hint") | pl.col("_fs_online_hint"),
        lambda d: online_fields(d, "_ft", "_fs", prefix),
    )
    return df.hstack(rows.select(f"{prefix}_{c}" for c in _OUTPUT))


def _dates(df: pl.DataFrame, prefix: str) -> pl.DataFrame:
    """Start, end and deadline (with notes) of each distinct set of windows, anchor, 年度."""
    report, fy = pl.col("_report"), pl.col("_fy")
    anchor_d = pl.col("_a")
    sources = [
        ("_w_start_s", "概要"),
        ("_w_start_t", "タイトル"),
        ("_w_held_s", "概要"),
    ]
    starts = [(_dated(w, anchor_d, fy), where) for w, where in sources]
    ok = [
        pl.col(f"{w}_m").is_not_null() & sp["start"].is_not_null()
        for (w, _), (sp, _) in zip(sources, starts, strict=True)
    ]

    def pick(key: str) -> pl.Expr:
        expr: Any = pl.when(report).then(None)
        for cond, (sp, _) in zip(ok, starts, strict=True):
            expr = expr.when(cond).then(sp[key])
        return expr

    def pick_note(fact: str) -> pl.Expr:
        expr: Any = pl.when(report).then(None)
        for cond, (sp, where) in zip(ok, starts, strict=True):
            expr = expr.when(cond).then(
                pl.format(
                    f"{fact}は{where}の『{{}}』から読み取りました{{}}{{}}",
                    sp["text"],
                    sp["how"],
                    sp["more"],
                )
            )
        return expr

    df = df.with_columns(
        _fa_start=pick("start"),
        _fa_start_time=pick("start_time"),
        _fa_end=pick("end"),
        _fa_end_time=pick("end_time"),
        _fa_start_note=pick_note("開催日"),
        _fa_sessions=pick("sessions"),
    )
    end_ok = pl.col("_fa_end").is_not_null() & (pl.col("_fa_end") >= pl.col("_fa_start"))
    deadlines = [
        (_dated(w, anchor_d, fy), w, where)
        for w, where in (("_w_dl_s", "概要"), ("_w_dl_t", "タイトル"), ("_w_dl_u", "概要"))
    ]
    dl: Any = pl.when(report).then(None)
    dl_note: Any = pl.when(report).then(None)
    for sp, w, where in deadlines:
        when = pl.col(f"{w}_m").is_not_null() & sp["start"].is_not_null()
        value = pl.coalesce(
            pl.when(sp["end"].is_not_null() & (sp["end"] >= sp["start"])).then(sp["end"]),
            sp["start"],
        )
        dl = dl.when(when).then(value)
        dl_note = dl_note.when(when).then(
            pl.format(f"申込締切は{where}の『{{}}』から読み取りました{{}}", sp["text"], sp["how"])
        )
    report_note = pl.when(
        report & pl.any_horizontal(pl.col(w).is_not_null() for w in _WINDOW_COLUMNS)
    ).then(
        pl.lit("開催報告・終了のお知らせのため、本文の日付を開催予定・締切としては扱いませんでした")
    )
    df = df.with_columns(
        **{
            f"{prefix}_start_at": pl.col("_fa_start"),
            f"{prefix}_start_has_time": pl.col("_fa_start_time"),
            f"{prefix}_end_at": pl.when(end_ok).then(pl.col("_fa_end")),
            f"{prefix}_end_has_time": pl.when(end_ok).then(pl.col("_fa_end_time")),
            f"{prefix}_start_note": pl.col("_fa_start_note"),
            f"{prefix}_sessions": pl.col("_fa_sessions"),
            f"{prefix}_deadline_at": dl,
            f"{prefix}_deadline_note": dl_note,
            f"{prefix}_report": report,
            f"{prefix}_report_note": report_note,
        }
    )
    facts = [f"{prefix}_{c}" for c in _OUTPUT[:10]]
    return df.select(*_WINDOW_COLUMNS, "_a", "_fy", "_report", *facts)
