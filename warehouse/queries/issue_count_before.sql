SELECT count(*) AS n FROM newsletter_issues WHERE period_start < $period_start;
