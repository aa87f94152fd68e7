"""Realistic sample newsletter issues (Japanese), built by hand, for tests and previews.

    from newsletter_samples import sample_issue, bulk_issue   # tests/ is on sys.path
    sample_issue()          # 4 sections, 10 items: every card feature at least once
    bulk_issue(30)          # a typical issue: 30 items spread over 4 sections
    bulk_issue(200, sections=1)  # one over-full section

Organisations are real council members (data/members.csv); contacts and URLs are made up
on example domains.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from renkei.newsletter.model import Issue, Issuer, Item, Organiser, Section

JST = ZoneInfo("Asia/Tokyo")

ISSUER = Issuer(
    name="中国地域産学官コラボレーションセンター",
    postal_address="〒730-0041 広島県広島市中区小町4-33 中電ビル2号館",
    contact_email="info@collabo-center.example.jp",
    website="https://www.collabo-center.example.jp/",
    unsubscribe_url="https://www.collabo-center.example.jp/mail/unsubscribe",
)

HIROSHIMA_U = Organiser(
    "aca-13", "国立大学法人広島大学", "academia", "広島県", "sangaku@hiroshima-u.example.jp"
)
CHUKEIREN = Organiser("ind-01", "中国経済連合会", "industry", "広島県", "082-000-0000")
OKAYAMA_PREF = Organiser(
    "gov-04", "岡山県", "government", "岡山県", "https://www.pref.okayama.example.jp/sangyo/"
)
SANIN_BANK = Organiser("fin-02", "株式会社山陰合同銀行", "finance", "島根県")
TOTTORI_U = Organiser("aca-01", "国立大学法人鳥取大学", "academia", "鳥取県")
UBE_KOSEN = Organiser(
    "aca-30", "宇部工業高等専門学校", "academia", "山口県", "chiiki@ube-k.example.jp"
)
CHUGOKU_SANGYO = Organiser("ind-12", "(公財)ちゅうごく産業創造センター", "industry", "広島県", None)


def _jst(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=JST)


def sample_items() -> dict[str, tuple[Item, ...]]:
    events = (
        Item(
            activity_id="ev-0001",
            title="産学官連携フォーラム2026 ～地域発イノベーションの創出に向けて～",
            summary=(
                "大学の研究シーズと地域企業のニーズをつなぐフォーラムです。基調講演のほか、"
                "共同研究から事業化に至った事例を、その過程も含めて紹介します。参加無料・要申込。"
            ),
            url="https://www.hiroshima-u.example.jp/news/forum2026",
            category="event",
            organisers=(HIROSHIMA_U, CHUKEIREN),
            starts_at=_jst(2026, 12, 5, 13, 30),
            ends_at=_jst(2026, 12, 5, 16, 0),
            all_day=False,
            venue="広島大学東千田キャンパス 未来創生センター",
            deadline_at=_jst(2026, 11, 28),
        ),
        Item(
            activity_id="ev-0002",
            title="ものづくり技術展示商談会 in 岡山",
            summary="県内中小企業の技術・製品を展示し、大手メーカーとの個別商談を行います。",
            url="https://www.pref.okayama.example.jp/event/monodukuri",
            category="event",
            organisers=(OKAYAMA_PREF,),
            starts_at=_jst(2026, 12, 10),
            ends_at=_jst(2026, 12, 11),
            all_day=True,
            venue="コンベックス岡山",
            is_reminder=True,
        ),
        Item(
            activity_id="ev-0003",
            title="高専生による地域課題解決アイデアコンテスト 最終審査会",
            summary="山口県内の企業から寄せられた課題に、高専生チームが解決策を提案します。",
            url="https://www.ube-k.example.jp/contest/final",
            category="event",
            organisers=(UBE_KOSEN,),
            starts_at=_jst(2027, 1, 23, 10, 0),
            ends_at=_jst(2027, 1, 23, 12, 0),
            all_day=False,
            venue="オンライン（Zoom）",
        ),
    )
    calls = (
        Item(
            activity_id="call-0001",
            title="令和8年度 地域企業との共同研究支援事業（第2次公募）",
            summary=(
                "地域企業と大学・高専等との共同研究に対し、1件あたり上限300万円を助成します。"
                "対象経費、申請様式などの詳細は募集要項をご確認ください。"
            ),
            url="https://www.chugoku-sangyo.example.jp/koubo/r8-2",
            category="call",
            organisers=(CHUGOKU_SANGYO,),
            deadline_at=_jst(2026, 12, 20, 17, 0),
        ),
        Item(
            activity_id="call-0002",
            title="創業・第二創業チャレンジ補助金",
            summary="県内で新たに創業する方、新分野に進出する中小企業を支援します。",
            url="https://www.sanin-bank.example.jp/support/challenge",
            category="call",
            organisers=(SANIN_BANK,),
            deadline_at=_jst(2027, 1, 15),
        ),
    )
    news = (
        Item(
            activity_id="news-0001",
            title="鳥取大学発ベンチャーが乾燥地農業向けセンサーを製品化",
            summary="共同研究の開始から製品化までの3年間の歩みを、担当者のインタビューで紹介します。",
            url="https://www.tottori-u.example.jp/news/2026/sensor",
            category="success_case",
            organisers=(TOTTORI_U,),
            published_at=_jst(2026, 11, 12, 9, 0),
        ),
        Item(
            activity_id="news-0002",
            title="中国地域の産学官連携に関する実態調査結果を公表しました",
            summary="会員機関へのアンケート結果（回答率78％）をまとめました。",
            url="https://www.chukeiren.example.jp/report/2026-survey",
            category="news",
            organisers=(CHUKEIREN,),
            published_at=_jst(2026, 11, 20, 9, 0),
        ),
    )
    training = (
        Item(
            activity_id="tr-0001",
            title="知的財産セミナー 特許出願の基礎（全3回）",
            summary="企業の技術者・大学の研究者を対象に、特許出願の基礎を実習形式で学びます。",
            url="https://www.hiroshima-u.example.jp/ip/seminar",
            category="training",
            organisers=(HIROSHIMA_U,),
            starts_at=_jst(2027, 1, 14),
            ends_at=_jst(2027, 1, 28),
            all_day=True,
            venue="広島大学東広島キャンパス",
            deadline_at=_jst(2027, 1, 7),
        ),
        Item(
            activity_id="tr-0002",
            title="金融機関職員向け 目利き力向上研修",
            summary="",
            url=None,
            category="training",
            organisers=(SANIN_BANK, OKAYAMA_PREF),
            starts_at=_jst(2026, 12, 24, 14, 0),
            all_day=False,
            venue="松江市内",
        ),
        Item(
            activity_id="tr-0003",
            title="年末年始の相談窓口について",
            summary="12月28日から1月4日までは窓口を休止します。",
            url="https://www.collabo-center.example.jp/info/holidays",
            category="other",
            organisers=(),
        ),
    )
    return {"events": events, "calls": calls, "news": news, "training": training}


def sample_issue(**changes: object) -> Issue:
    """A realistic November issue: 4 sections, 10 items, editorial, one "ほか N 件"."""
    items = sample_items()
    issue = Issue(
        issue_id="2026-11",
        number=12,
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        title="中国地域産学官連携通信",
        subject="【中国地域産学官連携通信】第12号 2026年11月号",
        preheader="産学官連携フォーラム2026、共同研究支援事業の第2次公募ほか10件",
        issuer=ISSUER,
        sections=(
            Section(
                "events",
                "開催予定のイベント",
                items["events"],
                more_count=4,
                more_url="https://www.collabo-center.example.jp/data/events?issue=2026-11",
            ),
            Section("calls", "公募・助成", items["calls"]),
            Section("news", "お知らせ・成果", items["news"]),
            Section("training", "人材育成・研修ほか", items["training"]),
        ),
        editorial=(
            "今号から、会員機関の成功事例を「その過程」まで含めてご紹介します。\n"
            "共同研究のきっかけや苦労した点など、水平展開のヒントとしてご活用ください。"
        ),
        generated_at=_jst(2026, 12, 1, 6, 0),
    )
    if changes:
        from dataclasses import replace

        issue = replace(issue, **changes)  # type: ignore[arg-type]
    return issue


def bulk_issue(n_items: int, sections: int = 4, summary_chars: int = 80) -> Issue:
    """An issue with ``n_items`` realistic items spread round-robin over ``sections``."""
    base = [it for group in sample_items().values() for it in group if it.url]
    titles = [("events", "開催予定のイベント"), ("calls", "公募・助成"), ("news", "お知らせ・成果")]
    titles += [(f"extra{i}", f"その他の情報{i}") for i in range(max(0, sections - 3))]
    buckets: list[list[Item]] = [[] for _ in range(sections)]
    filler = "地域企業と大学の連携による新たな価値創造を目指します。"
    for i in range(n_items):
        src = base[i % len(base)]
        summary = (src.summary + filler * 10)[:summary_chars]
        item = Item(
            activity_id=f"bulk-{i:04d}",
            title=f"{src.title}（{i + 1}）",
            summary=summary,
            url=f"{src.url}?n={i}",
            category=src.category,
            organisers=src.organisers,
            starts_at=src.starts_at,
            ends_at=src.ends_at,
            all_day=src.all_day,
            venue=src.venue,
            deadline_at=src.deadline_at,
            is_reminder=src.is_reminder,
        )
        buckets[i % sections].append(item)
    return sample_issue(
        sections=tuple(
            Section(key, title, tuple(bucket))
            for (key, title), bucket in zip(titles[:sections], buckets, strict=True)
        )
    )
