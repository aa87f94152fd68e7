-- quarantine keyed by member as well. One file may be sent by two members (a shared
-- template filled in once): that is two submissions, and each keeps its own rejected rows.
-- Keyed by (raw_sha256, position, stage) alone, the second member's rows overwrote the
-- first's (keeping the first member_id), and the first member's correction then deleted
-- both. Quarantine rows always carry a member (a submission's, or a staged row's).
CREATE TABLE quarantine_by_member (
    stage_id       VARCHAR,
    raw_sha256     VARCHAR NOT NULL,
    position       BIGINT NOT NULL,
    member_id      VARCHAR NOT NULL,
    stage          VARCHAR NOT NULL,         -- submission | normalize
    reason         VARCHAR NOT NULL,
    detail         VARCHAR,
    quarantined_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (raw_sha256, member_id, position, stage)
);
INSERT INTO quarantine_by_member BY NAME
SELECT * REPLACE (coalesce(member_id, '') AS member_id) FROM quarantine;
DROP TABLE quarantine;
ALTER TABLE quarantine_by_member RENAME TO quarantine;
