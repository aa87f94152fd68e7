INSERT INTO bounce_events (event_key, imap_uid, kind, recipient, issue_id, matched_by,
    status_code, diagnostic, subject, received_at, recorded_at, action)
VALUES ($event_key, $imap_uid, $kind, $recipient, $issue_id, $matched_by, $status_code,
    $diagnostic, $subject, $received_at, $recorded_at, $action)
ON CONFLICT (event_key) DO NOTHING;
