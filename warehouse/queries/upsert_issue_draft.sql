INSERT INTO newsletter_issues
    (issue_id, number, period_start, period_end, status, subject, html, text, content_sha256,
     item_count, editorial, created_at, updated_at)
VALUES ($issue_id, $number, $period_start, $period_end, 'draft', $subject, $html, $text,
        $content_sha256, $item_count, $editorial, $now, $now)
ON CONFLICT (issue_id) DO UPDATE SET
    number = excluded.number, status = 'draft', subject = excluded.subject, html = excluded.html,
    text = excluded.text, content_sha256 = excluded.content_sha256,
    item_count = excluded.item_count, editorial = excluded.editorial,
    updated_at = excluded.updated_at, approved_at = NULL, approved_by = NULL,
    approved_sha256 = NULL;
