INSERT INTO needs_seeds (kind, member_id, email, title, body, anonymous, status, expires_on,
                         created_at)
VALUES ($kind, $member_id, $email, $title, $body, $anonymous, 'pending', $expires_on, $now)
RETURNING need_id;
