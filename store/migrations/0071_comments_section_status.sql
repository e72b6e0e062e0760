-- The triage queue filtered by article and status (issue #9: ≤ 50 ms on a million
-- comments): without it the plan walks one of the two single-column indexes and checks
-- the other column row by row. The rowid ends the key, so a page comes newest first
-- straight off the index. Its keys grow at one place per article and status, so an
-- insert touches pages that stay in the cache.
CREATE INDEX comments_section_status ON comments (consultation_id, section_anchor, status);
