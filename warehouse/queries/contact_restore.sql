-- `renkei bounces restore`: a bounced address receives the bulletin again.
UPDATE contacts SET status = 'subscribed', suppressed_reason = NULL, suppressed_at = NULL,
    consent_source = $source, updated_at = $now
WHERE email = $email AND status = 'bounced'
RETURNING email;
