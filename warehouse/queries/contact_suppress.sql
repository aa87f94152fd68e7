-- A bounce or complaint stops the bulletin to a subscribed contact; the reason is kept.
UPDATE contacts SET status = $status, suppressed_reason = $reason, suppressed_at = $now,
    updated_at = $now
WHERE email = $email AND status = 'subscribed'
RETURNING email;
