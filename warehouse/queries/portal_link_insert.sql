INSERT INTO portal_links (token_sha256, email, member_id, purpose, created_at, expires_at)
VALUES ($token_sha256, $email, $member_id, $purpose, $now, $expires_at);
