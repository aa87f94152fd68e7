-- Every secretariat override, applied over the rules by normalize and rebuild.
SELECT activity_id, category, set_by FROM activity_overrides ORDER BY activity_id;
