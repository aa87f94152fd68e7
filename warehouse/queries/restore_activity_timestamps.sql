-- Rebuild: an activity whose content is unchanged keeps its timestamps.
UPDATE activities SET first_seen_at = least(activities.first_seen_at, before.first_seen_at),
    updated_at = before.updated_at
FROM batch AS before
WHERE activities.activity_id = before.activity_id
  AND activities.content_sha256 = before.content_sha256;
