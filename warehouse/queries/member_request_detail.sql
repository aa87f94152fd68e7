-- One member request with the member's name and the activity's title (NULL when gone):
-- what the mail telling the contact it was handled says.
SELECT r.*, m.name AS member_name, a.title AS activity_title
FROM member_requests r
LEFT JOIN members m USING (member_id)
LEFT JOIN activities a ON a.activity_id = r.activity_id
WHERE r.id = $id;
