-- 023: related activities across members (renkei.normalize.related, transforms/related.py):
-- for each activity up to three activities of OTHER members whose text is similar above the
-- measured threshold, ranked with a preference for other sectors and prefectures. Derived
-- from activities on every normalise and replaced whole (never edited).
CREATE TABLE related_activities (
    activity_id    VARCHAR NOT NULL,
    related_id     VARCHAR NOT NULL,
    rank           INTEGER NOT NULL,           -- 1 = shown under the item in the bulletin
    similarity     DOUBLE NOT NULL,            -- cosine of the character n-gram TF-IDF
    sector         VARCHAR NOT NULL,           -- the activity's member's sector
    related_sector VARCHAR NOT NULL,           -- the related activity's member's sector
    PRIMARY KEY (activity_id, rank)
);
