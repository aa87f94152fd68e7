-- The secretariat's queue: newest first, open ones (no outcome yet) before the rest; the
-- item (an activity, or a need/seed 'need-<id>'), both parties and their sectors and
-- prefectures.
SELECT c.*, coalesce(a.title, ns.title) AS title,
       coalesce(a.member_id, ns.member_id) AS organiser_member,
       ns.email AS need_email, ns.anonymous AS need_anonymous,
       om.name AS organiser_name, om.sector AS organiser_sector,
       om.prefecture AS organiser_prefecture,
       rm.name AS requester_member_name, rm.sector AS requester_sector,
       rm.prefecture AS requester_prefecture
FROM consultations c
LEFT JOIN activities a USING (activity_id)
LEFT JOIN needs_seeds ns ON 'need-' || ns.need_id = c.activity_id
LEFT JOIN members om ON om.member_id = coalesce(a.member_id, ns.member_id)
LEFT JOIN members rm ON rm.member_id = c.requester_member
WHERE ($consultation_id IS NULL OR c.consultation_id = $consultation_id)
ORDER BY (c.outcome IS NOT NULL AND c.outcome <> '紹介済') OR c.status = 'declined',
         c.created_at DESC;
