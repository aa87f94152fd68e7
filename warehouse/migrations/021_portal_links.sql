-- 021: sign-in links of the member portal. A link is a random token (only its SHA-256 is
-- kept), bound to one contact address and its member, usable once, until expires_at.
CREATE TABLE portal_links (
    token_sha256 VARCHAR PRIMARY KEY,
    email        VARCHAR NOT NULL,
    member_id    VARCHAR NOT NULL,
    purpose      VARCHAR NOT NULL,            -- signin | receipt | bulletin
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    used_at      TIMESTAMPTZ
);
