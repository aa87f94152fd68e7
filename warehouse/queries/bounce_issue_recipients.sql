-- The addresses one issue went to: the candidates a return-path token is checked against.
SELECT recipient FROM deliveries WHERE issue_id = $issue_id;
