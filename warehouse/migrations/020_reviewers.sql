-- 020: the saved list of reviewers who get a [TEST] copy of a draft before approval
-- (renkei.delivery.reviewers). Addresses are stored as email_validator normalises them.
CREATE TABLE reviewers (
    email    VARCHAR PRIMARY KEY,
    name     VARCHAR NOT NULL,
    added_by VARCHAR NOT NULL,
    added_at TIMESTAMPTZ NOT NULL
);
