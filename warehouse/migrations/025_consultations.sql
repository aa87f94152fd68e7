-- 025: consultation requests (「この取組について相談する」) and what became of them. A request
-- is about one activity; the secretariat introduces both parties, asks for more or declines,
-- then records the outcome over time. consultation_events keeps every step with its date.
CREATE SEQUENCE consultation_seq;
CREATE TABLE consultations (
    consultation_id BIGINT PRIMARY KEY DEFAULT nextval('consultation_seq'),
    activity_id       VARCHAR NOT NULL,
    issue_id          VARCHAR,                 -- the bulletin the link came from, if any
    requester_email   VARCHAR NOT NULL,
    requester_member  VARCHAR NOT NULL,
    requester_name    VARCHAR,                 -- as the reader wrote it (editable on the form)
    purpose           VARCHAR NOT NULL,        -- 共同研究 | 技術相談 | 施設利用 | 参加・出展 | 資金・融資 | その他
    message           VARCHAR NOT NULL,
    consent_share     BOOLEAN NOT NULL,        -- may the organiser get the requester's contact
    created_at        TIMESTAMPTZ NOT NULL,
    status            VARCHAR NOT NULL,        -- new | more_info | introduced | declined
    outcome           VARCHAR,                 -- 紹介済 | 面談・打合せ | 共同研究・事業化に進展 | 見送り
    outcome_at        DATE,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE SEQUENCE consultation_event_seq;
CREATE TABLE consultation_events (
    event_id        BIGINT PRIMARY KEY DEFAULT nextval('consultation_event_seq'),
    consultation_id BIGINT NOT NULL,
    event_at        TIMESTAMPTZ NOT NULL,
    actor           VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL,          -- requested | introduced | asked | declined | outcome
    note            VARCHAR
);
