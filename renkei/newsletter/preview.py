"""`renkei preview`: the draft as the secretariat should review it before approving.

One HTML page shows the mail at desktop (600 px) and phone (375 px) widths side by side,
then the plain-text part, with the content hash the approval will be tied to.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from renkei.newsletter.render import personalise

SAMPLE_RECIPIENT = "（受信者の機関名）"
_PAGE = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8">
<title>プレビュー：{subject}</title>
<style>
 body {{ font-family: "Hiragino Sans", Meiryo, "Yu Gothic", sans-serif; margin: 16px;
        background: #eef1f4; color: #222; }}
 .meta {{ background: #fff; padding: 12px 16px; border-radius: 6px; margin-bottom: 16px; }}
 .meta code {{ font-size: 12px; }}
 .views {{ display: flex; gap: 24px; align-items: flex-start; flex-wrap: wrap; }}
 figure {{ margin: 0; }}
 figcaption {{ font-weight: bold; margin-bottom: 6px; }}
 iframe {{ border: 1px solid #bbb; background: #fff; height: 1400px; }}
 pre {{ background: #fff; padding: 12px; border: 1px solid #bbb; white-space: pre;
        font-family: "Osaka-Mono", "MS Gothic", monospace; max-height: 1400px; overflow: auto; }}
</style></head>
<body>
<div class="meta">
 <div>件名：<strong>{subject}</strong></div>
 <div>状態：{status}　号：{issue_id}</div>
 <div>承認の対象（内容ハッシュ）：<code>{sha}</code></div>
 <div>承認：<code>renkei approve {issue_id} --by 氏名 --sha {sha_short}</code></div>
</div>
<div class="views">
 <figure><figcaption>パソコン（600 px）</figcaption>
  <iframe title="desktop" width="600" srcdoc="{doc}"></iframe></figure>
 <figure><figcaption>スマートフォン（375 px）</figcaption>
  <iframe title="phone" width="375" srcdoc="{doc}"></iframe></figure>
 <figure><figcaption>テキスト版</figcaption><pre>{text}</pre></figure>
</div>
</body></html>
"""


@dataclass(frozen=True)
class Draft:
    issue_id: str
    status: str
    subject: str
    html: str
    text: str
    content_sha256: str


def sample_parts(draft: Draft, unsubscribe_url: str) -> tuple[str, str]:
    """The draft's HTML and text with sample values in the per-recipient places."""
    fill = {"recipient_name": SAMPLE_RECIPIENT, "unsubscribe_url": unsubscribe_url}
    return personalise(draft.html, **fill), personalise(draft.text, **fill)


def write_preview(draft: Draft, folder: Path, unsubscribe_url: str) -> Path:
    mail_html, mail_text = sample_parts(draft, unsubscribe_url)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{draft.issue_id}-preview.html"
    target.write_text(
        _PAGE.format(
            subject=html.escape(draft.subject),
            status=html.escape(draft.status),
            issue_id=html.escape(draft.issue_id),
            sha=draft.content_sha256,
            sha_short=draft.content_sha256[:12],
            doc=html.escape(mail_html, quote=True),
            text=html.escape(mail_text),
        ),
        encoding="utf-8",
    )
    return target
