INSERT INTO newsletter_issues
    (issue_id, number, period_start, period_end, status, subject, html, text, content_sha256,
     item_count, editorial, created_at, updated_at)
VALUES ($issue_id, $number, $period_start, $period_end, 'draft', $subject, $html, $text,
        $content_sha256, $item_count, $editorial, $now, $now)
-- Recompiling to identical content keeps an approval; any change returns it to draft.
ON CONFLICT (issue_id) DO UPDATE SET
    number = excluded.number, subject = excluded.subject, html = excluded.html,
    text = excluded.text, item_count = excluded.item_count, editorial = excluded.editorial,
    updated_at = excluded.updated_at,
    status = CASE WHEN newsletter_issues.content_sha256 = excluded.content_sha256
                  THEN newsletter_issues.status ELSE 'draft' END,
    approved_at = CASE WHEN newsletter_issues.content_sha256 = excluded.content_sha256
                       THEN newsletter_issues.approved_at END,
    approved_by = CASE WHEN newsletter_issues.content_sha256 = excluded.content_sha256
                       THEN newsletter_issues.approved_by END,
    approved_sha256 = CASE WHEN newsletter_issues.content_sha256 = excluded.content_sha256
                           THEN newsletter_issues.approved_sha256 END,
    content_sha256 = excluded.content_sha256;
