SELECT strftime(max(published_at), '%Y-%m') AS period FROM activities;
