INSERT INTO fetch_log
    (member_id, feed_url, fetched_at, status_code, bytes, elapsed_ms, sha256, item_count, bozo, error)
VALUES ($member_id, $feed_url, $fetched_at, $status_code, $bytes, $elapsed_ms, $sha256,
        $item_count, $bozo, $error);
