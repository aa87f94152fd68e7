UPDATE console_users SET disabled = $disabled WHERE login = $login;
