-- 014: activities the secretariat hid from public view (`renkei hide`). A row present =
-- hidden: left out of drafts, every file of the open dataset and the public archive.
-- Kept apart from `activities` so that a rebuild (clear_normalized) never touches it;
-- the audit log keeps every hide and unhide with who, when and why.
CREATE TABLE activity_hidden (
    activity_id VARCHAR PRIMARY KEY,
    hidden_by   VARCHAR NOT NULL,
    hidden_at   TIMESTAMPTZ NOT NULL,
    reason      VARCHAR NOT NULL
);
