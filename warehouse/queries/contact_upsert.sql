-- Added or imported by the secretariat: an explicit opt-in, so the status is set even for a
-- known address (re-subscribing someone who asked to be removed needs their new consent).
INSERT INTO contacts
    (email, member_id, status, consent_source, consent_at, updated_at, language, interests)
VALUES ($email, $member_id, 'subscribed', $source, $now, $now, $language, $interests)
ON CONFLICT (email) DO UPDATE SET member_id = excluded.member_id, status = 'subscribed',
    consent_source = excluded.consent_source, consent_at = excluded.consent_at,
    updated_at = excluded.updated_at, language = excluded.language,
    interests = excluded.interests;
