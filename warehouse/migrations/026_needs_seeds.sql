-- 026: technical needs and seeds (技術ニーズ・シーズ) posted by members through the portal.
-- The secretariat reviews each; an approved one appears in the next bulletin's section and
-- in the open dataset until expires_on — without the poster when posted anonymously.
CREATE SEQUENCE need_seq;
CREATE TABLE needs_seeds (
    need_id      BIGINT PRIMARY KEY DEFAULT nextval('need_seq'),
    kind         VARCHAR NOT NULL,            -- need | seed
    member_id    VARCHAR NOT NULL,
    email        VARCHAR NOT NULL,            -- the contact who posted it (never published)
    title        VARCHAR NOT NULL,
    body         VARCHAR NOT NULL,
    anonymous    BOOLEAN NOT NULL,            -- true: published without the member's name
    status       VARCHAR NOT NULL,            -- pending | approved | rejected
    expires_on   DATE NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    reviewed_by  VARCHAR,
    reviewed_at  TIMESTAMPTZ,
    review_note  VARCHAR
);
