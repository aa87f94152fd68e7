-- 022: requests from a member's contact to the secretariat, sent from the member portal:
-- a correction or withdrawal of one of the member's activities, or a colleague to add as
-- a contact. The member never changes published data directly; the secretariat reads the
-- request in the console, acts on it, and marks it done (who, when, an optional note).
CREATE SEQUENCE member_request_seq;
CREATE TABLE member_requests (
    id              BIGINT PRIMARY KEY DEFAULT nextval('member_request_seq'),
    member_id       VARCHAR NOT NULL,
    email           VARCHAR NOT NULL,            -- the contact who sent it
    kind            VARCHAR NOT NULL,            -- correction | withdrawal | colleague
    activity_id     VARCHAR,                     -- correction | withdrawal: the member's own
    message         VARCHAR NOT NULL,
    colleague_email VARCHAR,                     -- colleague: the address to add
    colleague_name  VARCHAR,
    created_at      TIMESTAMPTZ NOT NULL,
    status          VARCHAR NOT NULL DEFAULT 'open',  -- open | done
    handled_by      VARCHAR,
    handled_at      TIMESTAMPTZ,
    note            VARCHAR
);
