DELETE FROM reviewers WHERE email = $email;
