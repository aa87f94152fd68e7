-- Submissions whose sha256 starts with a prefix (renkei requeue --sha256 PREFIX).
SELECT * FROM submissions WHERE starts_with(sha256, $prefix) ORDER BY received_at;
