-- The latest fetch of each member's feed; broken ones first.
SELECT member_id, feed_url, fetched_at, status_code, item_count, bozo, error
FROM fetch_log
QUALIFY row_number() OVER (PARTITION BY member_id ORDER BY fetch_id DESC) = 1
ORDER BY error IS NULL, member_id;
