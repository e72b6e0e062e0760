-- How the full-text index merges its segments (FTS5's own settings, kept in
-- comments_fts_config). FTS5 merges the segments of a level once automerge of them pile
-- up (default 4), and at once, inside the insert, at crisismerge (default 16). On an
-- index of a million comments the default made each web comment pay for merges into
-- the big segments an import left: 16 and 32 merge a quarter as often, raised the
-- comment cycle on the million by about 15 % and left the empty database as it was
-- (bench/cycle.txt, session 7); a search reads a few more segments.
INSERT INTO comments_fts (comments_fts, rank) VALUES ('automerge', 16);
INSERT INTO comments_fts (comments_fts, rank) VALUES ('crisismerge', 32);
