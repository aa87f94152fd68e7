-- 030: suppression reasons written in English before 2026-12-05 ("hard 5.1.1 issue 2026-11:
-- 550 user unknown", "3 of the last 5 deliveries: soft 4.2.2 issue 2026-11: …",
-- "complaint issue 2026-11") read as renkei.delivery.bounce_rules.reason_ja writes them
-- now: 恒久的な不達（5.1.1・2026-11号）：550 user unknown, 直近5通のうち3通が届かず：一時的な
-- 不達（4.2.2・2026-11号）：…, 苦情（2026-11号）. The console's contacts page shows them to the
-- secretariat. The server's own words after the head are kept as they were; a reason of any
-- other form is left alone.
UPDATE contacts AS c SET suppressed_reason = t.ja
FROM (
    WITH old AS (
        SELECT email, suppressed_reason AS r,
               regexp_extract(suppressed_reason, '^(\d+) of the last (\d+) deliveries: ', 1) AS had,
               regexp_extract(suppressed_reason, '^(\d+) of the last (\d+) deliveries: ', 2) AS sent,
               regexp_replace(suppressed_reason, '^\d+ of the last \d+ deliveries: ', '') AS rest
        FROM contacts
        WHERE regexp_matches(suppressed_reason,
              '^(\d+ of the last \d+ deliveries: )?(hard|soft|complaint)( |:|$)')
    ),
    parts AS (
        SELECT email, had, sent,
               regexp_extract(rest, '^(hard|soft|complaint)', 1) AS kind,
               regexp_extract(rest, '^(?:hard|soft|complaint) (\d\.\d{1,3}\.\d{1,3})(?: |:|$)', 1)
                   AS status,
               regexp_extract(rest,
                   '^(?:hard|soft|complaint)(?: \d\.\d{1,3}\.\d{1,3})? issue ([^\s:]+)(?::|$)', 1)
                   AS issue,
               regexp_extract(rest,
                   '(?s)^(?:hard|soft|complaint)(?: \d\.\d{1,3}\.\d{1,3})?(?: issue [^\s:]+)?: (.*)$', 1)
                   AS words
        FROM old
    ),
    heads AS (
        SELECT email, had, sent, words,
               CASE kind WHEN 'hard' THEN '恒久的な不達' WHEN 'soft' THEN '一時的な不達'
                         ELSE '苦情' END
               || CASE WHEN status = '' AND issue = '' THEN ''
                       ELSE '（' || concat_ws('・', nullif(status, ''),
                                             CASE WHEN issue <> '' THEN issue || '号' END) || '）'
                  END AS head
        FROM parts
    )
    SELECT email,
           CASE WHEN had <> '' THEN '直近' || sent || '通のうち' || had || '通が届かず：' ELSE '' END
           || head || CASE WHEN words <> '' THEN '：' || words ELSE '' END AS ja
    FROM heads
) AS t
WHERE c.email = t.email;
