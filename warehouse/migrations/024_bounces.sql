-- 024: bounces and complaints read from the bounce mailbox (renkei/delivery/bounce_*.py).
-- One row per message read, keyed by its Message-ID (or a hash of its bytes when it has
-- none), so a message read twice (a crash between the commit and marking it seen) counts once.
CREATE TABLE bounce_events (
    event_key    VARCHAR PRIMARY KEY,
    imap_uid     VARCHAR,                    -- where it was found (informational)
    kind         VARCHAR NOT NULL,           -- hard | soft | delayed | complaint | autoreply | unknown
    recipient    VARCHAR,                    -- the contact it concerns, when known
    issue_id     VARCHAR,                    -- the delivery it answers, when known
    matched_by   VARCHAR,                    -- verp | message-id | address | none
    status_code  VARCHAR,                    -- RFC 3463 status (5.1.1) or the SMTP code
    diagnostic   VARCHAR,                    -- the remote server's words, for the secretariat
    subject      VARCHAR,
    received_at  TIMESTAMPTZ,                -- the bounce's Date (else when it was read)
    recorded_at  TIMESTAMPTZ NOT NULL,
    action       VARCHAR                     -- what the rules did: suppressed | unsubscribed | NULL
);

-- Why and when a contact stopped receiving the bulletin because of a bounce or complaint
-- (status 'bounced', or 'unsubscribed' after a complaint); cleared by `renkei bounces restore`.
ALTER TABLE contacts ADD COLUMN suppressed_reason VARCHAR;
ALTER TABLE contacts ADD COLUMN suppressed_at TIMESTAMPTZ;
