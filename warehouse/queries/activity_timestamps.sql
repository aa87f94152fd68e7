-- What a rebuild must keep: when each activity was first seen and last changed.
SELECT activity_id, content_sha256, first_seen_at, updated_at FROM activities;
