-- An unsubscribe is final until the person opts in again (`renkei subscribers add`).
UPDATE contacts SET status = 'unsubscribed', consent_source = $via, updated_at = $now
WHERE email = $email;
