"""`renkei preview`: the draft as the secretariat should review it before approving.

One HTML page shows the mail at desktop (600 px) and phone (375 px) widths side by side,
then the plain-text part, with the content hash the approval will be tied to, the status in
Japanese and the next command (approve for a draft, send once approved). Each frame is as
tall as the mail in it, and is scaled down on a narrower screen: the page never scrolls
sideways, even on a 375 px phone.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from renkei.newsletter.render import personalise, public_consult_link
from renkei.newsletter.selection import Exclusion

SAMPLE_RECIPIENT = "（受信者の機関名）"
STATUS_JA = {"draft": "下書き（未承認）", "approved": "承認済み（未送信）", "sent": "配信済み"}
_PAGE = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>プレビュー：{subject}</title>
<style>
 body {{ font-family: "Hiragino Sans", Meiryo, "Yu Gothic", sans-serif; margin: 16px;
        background: #eef1f4; color: #222; overflow-wrap: anywhere; }}
 .meta {{ background: #fff; padding: 12px 16px; border-radius: 6px; margin-bottom: 16px; }}
 .meta code {{ font-size: 12px; word-break: break-all; }}
 .views {{ display: flex; gap: 24px; align-items: flex-start; flex-wrap: wrap; }}
 figure {{ margin: 0; min-width: 0; max-width: 100%; }}
 figcaption {{ font-weight: bold; margin-bottom: 6px; }}
 .frame {{ overflow: hidden; max-width: 100%; }}
 iframe {{ display: block; border: 1px solid #bbb; background: #fff; height: 1400px;
          transform-origin: 0 0; }}
 pre {{ background: #fff; padding: 12px; border: 1px solid #bbb; white-space: pre;
        font-family: "Osaka-Mono", "MS Gothic", monospace; max-width: 100%;
        box-sizing: border-box; overflow: auto; }}
</style></head>
<body>
<div class="meta">
 <div>件名：<strong>{subject}</strong></div>
 <div>状態：<strong id="status">{status}</strong>　号：{issue_id}</div>
 <div>承認の対象（内容ハッシュ）：<code>{sha}</code></div>
{action}</div>
<div class="views">
 <figure><figcaption>パソコン（600 px）</figcaption>
  <div class="frame"><iframe title="desktop" width="600" srcdoc="{doc}"></iframe></div></figure>
 <figure><figcaption>スマートフォン（375 px）</figcaption>
  <div class="frame"><iframe title="phone" width="375" srcdoc="{doc}"></iframe></div></figure>
 <figure><figcaption>テキスト版</figcaption><pre>{text}</pre></figure>
</div>
{excluded}{notes}<script>
// Each mail frame is as tall as its content (srcdoc: same origin) and, on a screen
// narrower than the frame, scaled down whole, so the page never scrolls sideways.
function fit(frame) {{
  var doc = frame.contentDocument;
  if (!doc || !doc.documentElement) return;
  var box = frame.parentNode, width = frame.width * 1 + 2;
  frame.style.height = doc.documentElement.scrollHeight + 2 + "px";
  var room = document.querySelector(".views").clientWidth;
  var scale = Math.min(1, room / width);
  frame.style.transform = scale < 1 ? "scale(" + scale + ")" : "";
  box.style.width = width * scale + "px";
  box.style.height = frame.offsetHeight * scale + "px";
}}
var frames = document.querySelectorAll("iframe");
frames.forEach(function (f) {{
  f.addEventListener("load", function () {{ fit(f); }});
  fit(f);
}});
window.addEventListener("resize", function () {{ frames.forEach(fit); }});
</script>
</body></html>
"""
_EXCLUDED = """<section class="meta" id="excluded">
<h2>載せなかった候補（{count}件）</h2>
<p>この号の対象期間の候補のうち、原稿に載せなかったものとその理由です（送信日 {as_of} 時点）。
載せる場合は <code>renkei edit {issue_id} --by 氏名 --pin 活動ID</code>。</p>
<ul>
{rows}</ul>
{warnings}</section>
"""


@dataclass(frozen=True)
class Draft:
    issue_id: str
    status: str
    subject: str
    html: str
    text: str
    content_sha256: str
    # candidates the draft leaves out (and pinned stale items it keeps: ``included``)
    excluded: tuple[Exclusion, ...] = ()
    as_of: str = ""
    # (activity_id, title, notes): facts read from free text, one note a line; shown to
    # the reviewer below the mail, never in it
    fact_notes: tuple[tuple[str, str, str], ...] = ()


def sample_parts(
    draft: Draft, unsubscribe_url: str, consult_base: str | None = None
) -> tuple[str, str]:
    """The draft's HTML and text with sample values in the per-recipient places (the
    「相談する」 links lead to the public page; a reader's own link is made at send time)."""
    consult = public_consult_link(consult_base) if consult_base else None
    fill = {"recipient_name": SAMPLE_RECIPIENT, "unsubscribe_url": unsubscribe_url}
    return (
        personalise(draft.html, **fill, consult=consult),
        personalise(draft.text, **fill, consult=consult),
    )


def _excluded(draft: Draft) -> str:
    """The 載せなかった候補 section: every candidate left out, with its reason."""
    left = [e for e in draft.excluded if not e.included]
    kept = [e for e in draft.excluded if e.included]
    rows = "".join(f" <li>{html.escape(e.line())}</li>\n" for e in left) or " <li>なし</li>\n"
    warnings = ""
    if kept:
        lines = "".join(f" <li>{html.escape(e.line())}</li>\n" for e in kept)
        warnings = f"<h3>固定表示の注意</h3>\n<ul>\n{lines}</ul>\n"
    return _EXCLUDED.format(
        count=len(left),
        as_of=html.escape(draft.as_of or "-"),
        issue_id=html.escape(draft.issue_id),
        rows=rows,
        warnings=warnings,
    )


def notes_block(fact_notes: tuple[tuple[str, str, str], ...]) -> str:
    """The 本文から読み取った項目 section: each fact read from a title or summary, with
    where it came from, for the reviewer to check (escaped HTML; "" when none)."""
    if not fact_notes:
        return ""
    items = "".join(
        f" <li><strong>{html.escape(title)}</strong>（<code>{html.escape(activity_id)}</code>）"
        + "".join(f"<br>・{html.escape(n.strip())}" for n in notes.splitlines() if n.strip())
        + "</li>\n"
        for activity_id, title, notes in fact_notes
    )
    return (
        '<section class="meta" id="fact-notes">\n<h2>本文から読み取った項目（確認用・'
        f"メールには載りません）</h2>\n<ul>\n{items}</ul>\n</section>\n"
    )


def _action(draft: Draft) -> str:
    """What to do next: the approve command for a draft only (an approved or sent issue
    cannot be approved again)."""
    issue_id = html.escape(draft.issue_id)
    if draft.status == "draft":
        return (
            f" <div>承認：<code>renkei approve {issue_id} --by 氏名 --sha "
            f"{draft.content_sha256[:12]}</code></div>\n"
        )
    if draft.status == "approved":
        return f" <div>送信：<code>renkei send {issue_id}</code></div>\n"
    return ""


def write_preview(
    draft: Draft, folder: Path, unsubscribe_url: str, consult_base: str | None = None
) -> Path:
    mail_html, mail_text = sample_parts(draft, unsubscribe_url, consult_base)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{draft.issue_id}-preview.html"
    target.write_text(
        _PAGE.format(
            subject=html.escape(draft.subject),
            status=html.escape(STATUS_JA.get(draft.status, draft.status)),
            action=_action(draft),
            issue_id=html.escape(draft.issue_id),
            sha=draft.content_sha256,
            doc=html.escape(mail_html, quote=True),
            text=html.escape(mail_text),
            excluded=_excluded(draft),
            notes=notes_block(draft.fact_notes),
        ),
        encoding="utf-8",
    )
    return target
