-- 018: an organiser named in a report's 機関名 column that matches no member, kept as written
-- (a name that matches a member is an activity_organisers row, rule report:機関名).
-- Recomputed by normalize from staging, like activity_organisers, so a rebuild reproduces it.
CREATE TABLE activity_organiser_names (
    activity_id VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,            -- as written (trimmed)
    rule        VARCHAR NOT NULL,            -- report:機関名
    PRIMARY KEY (activity_id, name)
);
