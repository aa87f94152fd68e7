"""What an item card says, once: its labelled fact lines and the summary without them.

A card shows, each as a labelled line, 日時, 会場 (with オンライン / オンライン併用),
締切, 参加費, 定員, 対象 — whichever the item has — then 主催 (drawn by the templates).
Facts that were read from the summary (「開催日：2月6日（金）」「会場：…」「締切：…」)
would otherwise be read twice: :func:`summary_without_facts` removes from the summary each
``label：value`` passage whose fact the card already shows. It is conservative: a passage
is removed only when it starts with a known label for a shown fact, followed by ``：`` (or
the label is in brackets such as 【日時】), and its value looks like that fact (a date for
日時/締切; for the others the shown text itself or one word up to the next space or 。).
Anything else in the summary stays.

Pure functions of an :class:`~renkei.newsletter.model.Item`; the HTML and text templates
call them through Jinja filters, so both parts show the same lines.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from renkei.newsletter.dates_ja import jp_datetime_range, jp_deadline
from renkei.newsletter.model import Item

# Labels a summary uses for each fact, longest first within a fact.
FACT_LABELS: dict[str, tuple[str, ...]] = {
    "date": (
        "開催日時", "開催日程", "開催期間", "開催日", "日時", "日程", "期日", "時間",
    ),
    "venue": ("開催場所", "開催会場", "開催地", "会場", "場所"),
    "online": ("開催形式", "開催方法", "実施形式", "形式"),
    "deadline": (
        "申込締切日", "申込締切", "申込締め切り", "申込〆切", "申込み締切", "応募締切",
        "提出締切", "締切日", "締め切り", "締切", "〆切", "申込期限", "申込み期限",
        "応募期限", "提出期限", "受付期間", "募集期間", "申込期間", "応募期間", "公募期間",
    ),
    "fee": ("参加費", "受講料", "参加料", "費用"),
    "capacity": ("定員", "募集人数"),
    "audience": ("参加対象", "対象者", "対象"),
}  # fmt: skip

ONLINE_JA = {"online": "オンライン", "hybrid": "オンライン併用"}

_BULLET = r"[■□●○◆◇・◎▼▽▶▷★☆※*＊\-－]"
_OPEN = r"[【［\[〔《<＜]"
_CLOSE = r"[】］\]〕》>＞]"
_SEP = r"[ \u3000]*[：:][ \u3000]*"
# A date value: digits, date words, weekdays, times, ranges, and a space only before a
# digit or a bracket (「2月6日（金） 13:30～」), so the prose after it is never taken.
_DATE_VALUE = re.compile(
    r"(?:[0-9０-９年月日火水木金土祝曜休()（）:：時分~～〜\-－/／.．,，、・RrHh元]"
    r"|まで|から|より|迄|必着|消印有効|当日|正午|頃|各日|各回|初回|第[0-9０-９一二三四五六七八九十]+回"
    r"|[0-9０-９]+日目|午前|午後|令和|平成|開催"
    r"|[ \u3000](?=[0-9０-９（(]|各日|各回))+"
)
_WORD_VALUE = re.compile(r"[^\s。]+")


def _label_re(labels: tuple[str, ...]) -> re.Pattern[str]:
    alt = "|".join(re.escape(label) for label in labels)
    return re.compile(
        rf"(?:^|(?<=[\s。）)]))[ \u3000]*(?:{_BULLET}[ \u3000]*)?"
        rf"(?:{_OPEN}[ \u3000]*(?:{alt})[ \u3000]*{_CLOSE}(?:{_SEP}|[ \u3000]*)|(?:{alt}){_SEP})",
        re.M,
    )


_LABEL_RES = {fact: _label_re(labels) for fact, labels in FACT_LABELS.items()}


def venue_text(venue: str | None, online: str | None) -> str | None:
    """The 会場 line's value: the venue with its オンライン / オンライン併用 mark.

    >>> venue_text("広島大学", "hybrid")
    '広島大学（オンライン併用）'
    """
    venue = (venue or "").strip() or None
    mark = ONLINE_JA.get(online or "")
    if mark is None:
        return venue
    if venue is None:
        return mark
    if "オンライン" in venue or (
        online == "hybrid" and ("併用" in venue or "ハイブリッド" in venue)
    ):
        return venue  # the venue already says it (「オンライン（Zoom）」)
    if online == "online":
        return f"オンライン（{venue}）"  # e.g. Zoom, Teams
    return f"{venue}（{mark}）"


def card_facts(item: Item) -> list[tuple[str, str]]:
    """(label, value) lines of an item card, in the order shown (主催 is drawn after them)."""
    lines: list[tuple[str, str]] = []
    if item.schedule:  # separate days: never shown as one continuous range
        lines.append(("日時", item.schedule))
    elif item.starts_at:
        lines.append(("日時", jp_datetime_range(item.starts_at, item.ends_at, item.all_day)))
    venue = venue_text(item.venue, item.online)
    if venue:
        lines.append(("会場", venue))
    if item.deadline_at:
        lines.append(("締切", jp_deadline(item.deadline_at)))
    for label, value in (("参加費", item.fee), ("定員", item.capacity), ("対象", item.audience)):
        if value and value.strip():
            lines.append((label, value.strip()))
    return lines


def shown_facts(item: Item) -> dict[str, str]:
    """Fact kind -> the text the card shows for it (for :func:`summary_without_facts`)."""
    shown: dict[str, str] = {}
    if item.starts_at:
        shown["date"] = ""
    if item.venue or item.online:
        shown["venue"] = (item.venue or "").strip()
    if item.online:
        shown["online"] = ""
    if item.deadline_at:
        shown["deadline"] = ""
    for fact, value in (
        ("fee", item.fee),
        ("capacity", item.capacity),
        ("audience", item.audience),
    ):
        if value and value.strip():
            shown[fact] = value.strip()
    return shown


def _value_end(fact: str, text: str, start: int, shown_text: str) -> int:
    """Where the value of a ``label：`` passage starting at ``start`` ends (``start``: none)."""
    if fact in ("date", "deadline"):
        m = _DATE_VALUE.match(text, start)
        if m is None or not re.search(r"[0-9０-９]", m.group()):
            return start
        return start + len(m.group().rstrip(" \u3000、，,・"))
    end = start
    if shown_text and text.startswith(shown_text, start):
        end = start + len(shown_text)  # the shown venue may contain spaces
    m = _WORD_VALUE.match(text, end)
    return m.end() if m else end


def summary_without_facts(summary: str, shown: Mapping[str, str]) -> str:
    """``summary`` without the ``label：value`` passages of the facts in ``shown``.

    ``shown`` maps a fact kind (a key of :data:`FACT_LABELS`) to the text the card shows
    for it ("" when only its presence matters, as for dates). A passage starts at the
    beginning of a line or after a space, 。 or closing bracket, optionally after a bullet
    (■・●…), and is removed with one 。/、 right after it. Whitespace left around a removed
    passage is collapsed; lines that end up empty are dropped.
    """
    if not summary or not shown:
        return summary
    cuts: list[tuple[int, int]] = []
    for fact in shown:
        label_re = _LABEL_RES.get(fact)
        if label_re is None:
            continue
        for m in label_re.finditer(summary):
            end = _value_end(fact, summary, m.end(), shown[fact])
            if end == m.end():
                continue
            if end < len(summary) and summary[end] in "。、":
                end += 1
            cuts.append((m.start(), end))
    if not cuts:
        return summary
    out, last = [], 0
    for start, end in sorted(cuts):
        if start >= last:
            out.append(summary[last:start])
            last = end
        else:
            last = max(last, end)
    out.append(summary[last:])
    lines = [re.sub(r"[ \u3000]{2,}", " ", line).strip() for line in "".join(out).split("\n")]
    return "\n".join(line for line in lines if line)


def card_summary(item: Item) -> str:
    """The summary an item card shows: without the facts the card's lines already show."""
    return summary_without_facts(item.summary or "", shown_facts(item))
