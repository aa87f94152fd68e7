SELECT 'raw_payloads' AS stage, count(*) AS n FROM raw_payloads
UNION ALL SELECT 'stg_items', count(*) FROM stg_items
UNION ALL SELECT 'quarantine', count(*) FROM quarantine
UNION ALL SELECT 'activities', count(*) FROM activities
UNION ALL SELECT 'newsletter_issues', count(*) FROM newsletter_issues
UNION ALL SELECT 'deliveries_sent', count(*) FROM deliveries WHERE status = 'sent'
UNION ALL SELECT 'contacts_subscribed', count(*) FROM contacts WHERE status = 'subscribed';
