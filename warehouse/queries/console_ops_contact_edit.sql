-- The secretariat changes a contact's language and interests (the opt-in state stays).
UPDATE contacts SET language = $language, interests = $interests, updated_at = $now
WHERE email = $email;
