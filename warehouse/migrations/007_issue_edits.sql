-- 007: the secretariat's edits to an issue (pin, drop, title/summary override, section
-- order). Edits are inputs of the draft: recompiling applies them, so they survive.
CREATE TABLE issue_edits (
    issue_id    VARCHAR NOT NULL,
    activity_id VARCHAR NOT NULL,            -- '' for issue-wide edits (section order)
    action      VARCHAR NOT NULL,            -- pin | drop | title | summary | order
    value       VARCHAR,
    edited_by   VARCHAR NOT NULL,
    edited_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (issue_id, activity_id, action)
);
