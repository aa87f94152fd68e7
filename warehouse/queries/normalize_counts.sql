-- Incremental normalise's report: staged rows, activities, quarantined rows, merges.
SELECT (SELECT count(*) FROM stg_items) AS staged,
       (SELECT count(*) FROM activities) AS activities,
       (SELECT count(*) FROM normalize_rows WHERE activity_id IS NULL) AS quarantined,
       (SELECT count(*) FROM activity_merges) AS merged;
