-- Addresses `send` skips because of a bounce or complaint (an address also subscribed
-- under another member is not skipped), counted per reason.
SELECT CASE WHEN c.status = 'bounced' THEN 'bounced' ELSE 'complaint' END AS suppression,
    count(DISTINCT c.email) AS n
FROM contacts c
WHERE (c.status = 'bounced' OR (c.status = 'unsubscribed' AND c.suppressed_reason IS NOT NULL))
  AND c.email NOT IN (SELECT email FROM contacts WHERE status = 'subscribed')
GROUP BY ALL
ORDER BY suppression;
