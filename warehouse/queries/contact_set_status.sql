UPDATE contacts SET status = $status, consent_source = $source, updated_at = $now
WHERE email = $email;
