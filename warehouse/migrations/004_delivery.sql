-- 004: delivery. Subscribers carry a language and interests; each delivery row records
-- how far the SMTP transaction got, so a restarted send knows what the server already has.

ALTER TABLE contacts ADD COLUMN language VARCHAR DEFAULT 'ja';
-- Comma-separated tags: sector:academia, prefecture:広島県, category:event.
ALTER TABLE contacts ADD COLUMN interests VARCHAR DEFAULT '';

-- phase: NULL while the envelope is being sent; 'handed_over' once the whole body is on
-- the wire and only the final "." is left (see renkei/mail_send.py for the rule).
ALTER TABLE deliveries ADD COLUMN phase VARCHAR;
ALTER TABLE deliveries ADD COLUMN smtp_code INTEGER;
ALTER TABLE deliveries ADD COLUMN smtp_reply VARCHAR;
ALTER TABLE deliveries ADD COLUMN attempts INTEGER DEFAULT 0;
