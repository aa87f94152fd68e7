-- Contacts from the registry start subscribed; a known address keeps its status
-- (an unsubscribed or bounced address is never re-subscribed by a registry reload).
INSERT INTO contacts BY NAME
SELECT email, member_id, 'subscribed' AS status, 'registry' AS consent_source,
       $now AS consent_at, $now AS updated_at
FROM batch
ON CONFLICT (email) DO NOTHING;
