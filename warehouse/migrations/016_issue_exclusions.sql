-- 016: what a draft leaves out, and why (renkei.newsletter.selection): the candidates of
-- the period not in the draft, each with its reason (終了済み, 締切済み, 第N号に掲載済み,
-- 上限超過, 非表示, 編集で除外, 重複…), and pinned items kept although stale (included).
-- Rewritten with the draft on every compile, read by the preview page.
CREATE TABLE issue_exclusions (
    issue_id    VARCHAR NOT NULL,
    position    INTEGER NOT NULL,
    activity_id VARCHAR NOT NULL,
    title       VARCHAR NOT NULL,
    member_name VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL,
    included    BOOLEAN NOT NULL,            -- true: pinned, in the draft despite the reason
    PRIMARY KEY (issue_id, position)
);

-- The send date (JST) the draft's selection was made for (`renkei draft --as-of`).
ALTER TABLE newsletter_issues ADD COLUMN selected_as_of DATE;
