package store

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Statuses an officer can give a comment, in the order the workspace offers them.
const (
	StatusAdopted   = "adopted"   // 采纳
	StatusPartial   = "partial"   // 部分采纳
	StatusRejected  = "rejected"  // 不予采纳 (a reason is required)
	StatusExplained = "explained" // 已作说明
	StatusDuplicate = "duplicate" // 重复
	StatusInvalid   = "invalid"   // 无效
)

// Statuses lists every status in display order; StatusLabels names them in Chinese.
var (
	Statuses     = []string{StatusPending, StatusAdopted, StatusPartial, StatusRejected, StatusExplained, StatusDuplicate, StatusInvalid}
	StatusLabels = map[string]string{
		StatusPending: "待处理", StatusAdopted: "采纳", StatusPartial: "部分采纳", StatusRejected: "不予采纳",
		StatusExplained: "已作说明", StatusDuplicate: "重复", StatusInvalid: "无效",
	}
)

// Channels comments arrive by; ChannelLabels names them in Chinese.
var (
	Channels      = []string{"web", "letter", "email", "phone"}
	ChannelLabels = map[string]string{"web": "网站", "letter": "信函", "email": "电子邮件", "phone": "电话"}
)

// QueueFilter selects comments for the triage queue. Zero fields match everything.
type QueueFilter struct {
	ConsultationID int64
	Revision       int    // only comments on this revision of the draft (0: every revision)
	Section        string // anchor, or "general"
	Status         string
	Identity       string
	Channel        string
	From, To       time.Time // received in [From, To)
	HasResponse    string    // "yes", "no" or ""
	GroupID        int64     // only this duplicate group
	Collapse       bool      // one row (the first comment) per duplicate group
	Tag            string
	Q              string // search text: every word of two or more characters must occur
	Sort           string // "new" (default), "old", "group" (largest groups first)
	Cursor         string // opaque position from the previous page
	Limit          int
	// Team triage (store/routing.go): the unit routed to, the routing state (RouteNone
	// for 未交办), only overdue routings (due before OverdueAt), the officer assigned.
	Unit       string
	Route      string
	OverdueAt  time.Time
	AssignedTo string
}

// QueueRow is a comment in the queue with its duplicate group's size.
type QueueRow struct {
	Comment
	GroupSize int
}

// ErrShortQuery is returned for a search word of one character.
var ErrShortQuery = fmt.Errorf("store: search words need two or more characters")

// queueWhere builds the WHERE clause shared by counts, bulk updates and exports: the
// filter's conditions and, for search text, membership in the FTS matches.
func (s *Store) queueWhere(ctx context.Context, f QueueFilter) (string, []any, error) {
	conds, args := queueConds(f)
	if strings.TrimSpace(f.Q) != "" {
		match, err := s.ftsQuery(ctx, f.Q)
		if err != nil {
			return "", nil, err
		}
		if match == "" { // a two-character word that occurs nowhere
			conds = append(conds, "0")
		} else {
			conds = append(conds, "c.id IN (SELECT rowid FROM comments_fts WHERE comments_fts MATCH ?)")
			args = append(args, match)
		}
	}
	return strings.Join(conds, " AND "), args, nil
}

// narrowed reports whether the filter selects fewer comments than the whole queue
// (one row per group aside).
func (f QueueFilter) narrowed() bool {
	return f.Revision != 0 || f.Section != "" || f.Status != "" || f.Identity != "" || f.Channel != "" || !f.From.IsZero() ||
		!f.To.IsZero() || f.HasResponse != "" || f.GroupID != 0 || f.Tag != "" ||
		f.Unit != "" || f.Route != "" || !f.OverdueAt.IsZero() || f.AssignedTo != ""
}

// queueConds are the conditions of every filter field but the search text, on the
// comments table called "c".
func queueConds(f QueueFilter) ([]string, []any) {
	conds := []string{"c.consultation_id = ?"}
	args := []any{f.ConsultationID}
	add := func(cond string, v ...any) { conds = append(conds, cond); args = append(args, v...) }
	if f.Revision != 0 {
		add("c.draft_revision = ?", f.Revision)
	}
	if f.Section != "" {
		add("c.section_anchor = ?", f.Section)
	}
	if f.Status != "" {
		add("c.status = ?", f.Status)
	}
	if f.Identity != "" {
		add("c.identity = ?", f.Identity)
	}
	if f.Channel != "" {
		add("c.channel = ?", f.Channel)
	}
	if !f.From.IsZero() {
		add("c.created_at >= ?", f.From.Unix())
	}
	if !f.To.IsZero() {
		add("c.created_at < ?", f.To.Unix())
	}
	switch f.HasResponse {
	case "yes":
		add("c.response != ''")
	case "no":
		add("c.response = ''")
	}
	if f.GroupID != 0 {
		add("c.group_id = ?", f.GroupID)
	}
	if f.Collapse && f.GroupID == 0 {
		add("c.id = c.group_id")
	}
	if f.Tag != "" {
		add("(' ' || c.tags || ' ') LIKE ?", "% "+escapeLike(f.Tag)+" %")
		conds[len(conds)-1] += ` ESCAPE '\'`
	}
	conds, args = teamConds(f, conds, args)
	return conds, args
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// maxExpansion bounds how many trigrams a two-character word expands to.
const maxExpansion = 400

// ftsQuery turns search text into an FTS5 query over the trigram index: each word of
// three or more characters is a phrase; a two-character word becomes the OR of the
// indexed trigrams that start with it (texts are indexed with a trailing sentinel, so
// a word at the very end is found too). Words are ANDed. A word of one character is
// refused with ErrShortQuery, unless a word before it already matches nothing.
func (s *Store) ftsQuery(ctx context.Context, q string) (string, error) {
	var parts []string
	for _, w := range strings.Fields(q) {
		switch n := utf8.RuneCountInString(w); {
		case n < 2:
			return "", ErrShortQuery
		case n >= 3:
			parts = append(parts, quoteFTS(w))
			continue
		}
		e, err := s.expand(ctx, w)
		if err != nil || e == "" {
			return "", err
		}
		parts = append(parts, e)
	}
	return strings.Join(parts, " AND "), nil
}

// expand turns a two-character word into the OR of the indexed trigrams that start with
// it, or "" when there are none. Listing them reads the postings of every such trigram
// (fts5vocab counts documents), so it costs in proportion to how often the word occurs.
func (s *Store) expand(ctx context.Context, w string) (string, error) {
	lw := strings.ToLower(w)
	rows, err := s.r.QueryContext(ctx, `SELECT term FROM comments_fts_vocab WHERE term >= ? AND term < ? LIMIT ?`,
		lw, lw+"\U0010FFFF", maxExpansion)
	if err != nil {
		return "", fmt.Errorf("store: search vocabulary: %w", err)
	}
	defer rows.Close()
	var terms []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return "", fmt.Errorf("store: search vocabulary: %w", err)
		}
		if strings.HasPrefix(t, lw) && utf8.RuneCountInString(t) == 3 {
			terms = append(terms, quoteFTS(t))
		}
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("store: search vocabulary: %w", err)
	}
	if len(terms) == 0 {
		return "", nil
	}
	return "(" + strings.Join(terms, " OR ") + ")", nil
}

func quoteFTS(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// queueCursor is a position in the queue: the group size and id of the last row shown.
type queueCursor struct {
	size, id int64
	set      bool
}

// Queue returns one page of the triage queue and the cursor of the next page ("" at the end).
// Pages are found by keyset (never OFFSET), so page 1,000 costs what page 1 does. With
// search text, newest or oldest first, the page is found from the search index
// (searchPage); the largest groups first, one row each, from the groups (groupPage);
// otherwise by one query down the index that fits the filter (filterPage).
func (s *Store) Queue(ctx context.Context, f QueueFilter) ([]QueueRow, string, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var cur queueCursor
	if f.Cursor != "" {
		if _, err := fmt.Sscanf(f.Cursor, "%d.%d", &cur.size, &cur.id); err != nil {
			return nil, "", fmt.Errorf("store: bad cursor %q", f.Cursor)
		}
		cur.set = true
	}
	var out []QueueRow
	var err error
	search := strings.TrimSpace(f.Q) != ""
	switch {
	case search && f.Sort != "group":
		out, err = s.searchPage(ctx, f, cur)
	case !search && f.Sort == "group" && f.Collapse && f.GroupID == 0:
		out, err = s.groupPage(ctx, f, cur)
	default:
		out, err = s.filterPage(ctx, f, cur)
	}
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		last := out[len(out)-1]
		next = fmt.Sprintf("%d.%d", last.GroupSize, last.ID)
	}
	return out, next, nil
}

// filterPage finds a page down the comments' indexes (and, for search text with the
// largest groups first, among all the matches at once). It selects the ids first and
// then their rows: when the plan sorts (a date range is read down the created_at index,
// then put in id order), only ids go through the sort, not thousands of bodies.
func (s *Store) filterPage(ctx context.Context, f QueueFilter, cur queueCursor) ([]QueueRow, error) {
	where, args, err := s.queueWhere(ctx, f)
	if err != nil {
		return nil, err
	}
	var order string
	if f.Sort == "group" {
		order = "g.size DESC, c.id DESC"
		if cur.set {
			where += " AND (g.size < ? OR (g.size = ? AND c.id < ?))"
			args = append(args, cur.size, cur.size, cur.id)
		}
	} else {
		var conds []string
		order, conds, args = keyset(f, cur, "c.id", nil, args)
		if len(conds) > 0 {
			where += " AND " + conds[0]
		}
	}
	rows, err := s.r.QueryContext(ctx, `SELECT c.id FROM comments c LEFT JOIN dup_groups g ON g.id = c.group_id
		WHERE `+where+` ORDER BY `+order+` LIMIT ?`, append(args, f.Limit+1)...)
	if err != nil {
		return nil, fmt.Errorf("store: queue: %w", err)
	}
	defer rows.Close()
	var ids []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: queue: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: queue: %w", err)
	}
	return s.rowsByID(ctx, ids, order, nil)
}

// groupPage finds a page of the largest groups first, one row (the first comment) per
// group, newest first among groups of one size. It walks dup_groups_size one size at a
// time: within a size the index is in id order, so no page sorts all the groups (a
// million comments make hundreds of thousands of groups of one).
func (s *Store) groupPage(ctx context.Context, f QueueFilter, cur queueCursor) ([]QueueRow, error) {
	conds, args := queueConds(f)
	size, below := int64(math.MaxInt64), int64(math.MaxInt64) // the size being walked, and the id to continue below
	if cur.set {
		size, below = cur.size, cur.id
	} else if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(size), 0) FROM dup_groups WHERE consultation_id = ?`,
		f.ConsultationID).Scan(&size); err != nil {
		return nil, fmt.Errorf("store: queue: %w", err)
	}
	q := `SELECT ` + commentColumnsC + `, g.size FROM dup_groups g CROSS JOIN comments c ON c.id = g.id
		WHERE g.consultation_id = ? AND g.size = ? AND g.id < ? AND ` + strings.Join(conds, " AND ") + ` ORDER BY g.id DESC LIMIT ?`
	var out []QueueRow
	for size > 0 && len(out) <= f.Limit {
		rows, err := s.queueRows(ctx, q, append([]any{f.ConsultationID, size, below}, append(args, f.Limit+1-len(out))...)...)
		if err != nil {
			return nil, err
		}
		if out = append(out, rows...); len(out) > f.Limit {
			break
		}
		below = math.MaxInt64
		if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(size), 0) FROM dup_groups WHERE consultation_id = ? AND size < ?`,
			f.ConsultationID, size).Scan(&size); err != nil {
			return nil, fmt.Errorf("store: queue: %w", err)
		}
	}
	return out, nil
}

// keyset adds the cursor's condition on an id column to conds and returns the order:
// newest first, or oldest first for Sort "old".
func keyset(f QueueFilter, cur queueCursor, col string, conds []string, args []any) (string, []string, []any) {
	conds, args = slices.Clip(conds), slices.Clip(args) // never write into the caller's arrays
	if f.Sort == "old" {
		if cur.set {
			conds, args = append(conds, col+" > ?"), append(args, cur.id)
		}
		return col + " ASC", conds, args
	}
	if cur.set {
		conds, args = append(conds, col+" < ?"), append(args, cur.id)
	}
	return col + " DESC", conds, args
}

// scanPerRow and readPerRow are how many comments a search reads in queue order, and
// how many candidates from the index, per row of the page before it changes approach:
// 10,200 and 5,100 for a page of 50.
const (
	scanPerRow = 200
	readPerRow = 100
)

// maxPrefilter bounds how many of a word's trigrams narrow the candidates.
const maxPrefilter = 8

// searchPage finds a page of the comments that search text matches, newest (or oldest)
// first, without first collecting every match: a word in half of a million comments
// would otherwise be gathered in full before the first fifty are picked.
//
// Words are checked in one of two ways:
//   - a word of caseless characters (Chinese, digits, punctuation; not letters, which
//     the index folds) is checked in the body itself with instr(), which matches where
//     the index's phrase would. The index only narrows the candidates, by the word's
//     trigrams without their positions, which reads several times less than the
//     phrase does (and a campaign text's phrase can be in 100,000 comments);
//   - other words by the index alone, as CountQueue has it: phrases, and for two
//     letters the OR of the trigrams that start with them.
//
// The page is then found in up to three stages, each bounded but the last:
//  1. The comments the filter selects are read in queue order and checked, up to
//     scanPerRow per row of the page: when every word is two caseless characters (the
//     index cannot narrow cheaply: listing the trigrams that start with a word reads
//     all of their postings), and when every word is caseless and the filter narrows
//     the queue (a section, a status…), where the index's candidates might mostly be
//     rejected. A word in one comment of 200 fills the page; for a rarer word the
//     index is cheap, and a quiet section is read to its end.
//  2. Candidates from the index, newest first (FTS5 walks its rowids backwards),
//     checked against the filter, up to readPerRow per row. With one row per group a
//     candidate is first looked up in the small dup_groups table, where only a group's
//     first comment has a row of its own id, so the many copies of a campaign text are
//     passed over cheaply and not counted.
//  3. When the filter rejects most candidates (a word common in the queue but rare in
//     a busy section), the comments the filter selects are walked down their index and
//     each looked up in the set of all the matches, collected once.
func (s *Store) searchPage(ctx context.Context, f QueueFilter, cur queueCursor) ([]QueueRow, error) {
	words := strings.Fields(f.Q)
	for _, w := range words {
		if utf8.RuneCountInString(w) < 2 {
			// Refused, or nothing when a word before it matches nothing: as CountQueue
			// has it (ftsQuery returns no query without an error only then).
			_, err := s.ftsQuery(ctx, f.Q)
			return nil, err
		}
	}
	var match, verify, short []string
	for _, w := range words {
		switch n := utf8.RuneCountInString(w); {
		case caseless(w):
			verify = append(verify, w)
			if n == 2 {
				short = append(short, w)
			} else {
				match = append(match, trigramsOf(w))
			}
		case n >= 3:
			match = append(match, quoteFTS(w))
		default:
			e, err := s.expand(ctx, w)
			if err != nil || e == "" {
				return nil, err
			}
			match = append(match, e)
		}
	}
	filter, fargs := queueConds(f) // the filter's conditions on comments c
	var checks []string            // the words checked in the body
	var cargs []any
	for _, w := range verify {
		checks, cargs = append(checks, "instr(c.body, ?) > 0"), append(cargs, w)
	}
	budget := readPerRow * (f.Limit + 1)
	order, cursor, curArgs := keyset(f, cur, "c.id", nil, nil)
	and := func(parts ...[]string) string { return strings.Join(slices.Concat(parts...), " AND ") }

	// 1. Read the filtered comments in order and check them.
	if len(match) == 0 || (len(verify) == len(words) && f.narrowed()) {
		scan := scanPerRow * (f.Limit + 1)
		ids, done, err := s.firstMatches(ctx, `SELECT c.id, `+and(checks)+` FROM comments c WHERE `+and(filter, cursor)+`
			ORDER BY `+order+` LIMIT ?`, slices.Concat(cargs, fargs, curArgs, []any{scan}), f.Limit, scan)
		if err != nil || done {
			return s.rowsByID(ctx, ids, order, err)
		}
	}
	if len(match) == 0 {
		for _, w := range short {
			e, err := s.expand(ctx, w)
			if err != nil || e == "" {
				return nil, err
			}
			match = append(match, e)
		}
	}
	fts := strings.Join(match, " AND ")

	// 2. Candidates from the index, in order.
	ftsOrder, ftsCursor, ftsArgs := keyset(f, cur, "f.rowid", nil, nil)
	from := `comments_fts f CROSS JOIN comments c ON c.id = f.rowid`
	if f.Collapse && f.GroupID == 0 {
		from = `comments_fts f CROSS JOIN dup_groups g ON g.id = f.rowid CROSS JOIN comments c ON c.id = f.rowid`
	}
	ids, done, err := s.firstMatches(ctx, `SELECT c.id, `+and(filter, checks)+` FROM `+from+`
		WHERE `+and([]string{"f.comments_fts MATCH ?"}, ftsCursor)+` ORDER BY `+ftsOrder+` LIMIT ?`,
		slices.Concat(fargs, cargs, []any{fts}, ftsArgs, []any{budget}), f.Limit, budget)
	if err != nil || done {
		return s.rowsByID(ctx, ids, order, err)
	}

	// 3. The filtered comments, each looked up among all the matches ("+" keeps the
	// planner from walking the matches instead).
	return s.queueRows(ctx, `SELECT `+commentColumnsC+`, COALESCE(g.size, 1) FROM comments c
		LEFT JOIN dup_groups g ON g.id = c.group_id
		WHERE `+and(filter, checks, cursor, []string{"+c.id IN (SELECT rowid FROM comments_fts WHERE comments_fts MATCH ?)"})+`
		ORDER BY `+order+` LIMIT ?`, slices.Concat(fargs, cargs, curArgs, []any{fts, f.Limit + 1})...)
}

// firstMatches runs q, which selects at most budget rows of an id and whether that row
// matches, and returns the ids of the first limit+1 matching rows. done is false when
// it read budget rows without finding them, and more might follow.
func (s *Store) firstMatches(ctx context.Context, q string, args []any, limit, budget int) (ids []any, done bool, err error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, false, fmt.Errorf("store: queue search: %w", err)
	}
	defer rows.Close()
	read := 0
	for rows.Next() {
		var id int64
		var ok bool
		if err := rows.Scan(&id, &ok); err != nil {
			return nil, false, fmt.Errorf("store: queue search: %w", err)
		}
		read++
		if ok {
			if ids = append(ids, id); len(ids) > limit {
				return ids, true, nil
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("store: queue search: %w", err)
	}
	return ids, read < budget, nil
}

// rowsByID returns the queue rows of ids in order (passing on err).
func (s *Store) rowsByID(ctx context.Context, ids []any, order string, err error) ([]QueueRow, error) {
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	return s.queueRows(ctx, `SELECT `+commentColumnsC+`, COALESCE(g.size, 1) FROM comments c
		LEFT JOIN dup_groups g ON g.id = c.group_id WHERE c.id IN (?`+strings.Repeat(",?", len(ids)-1)+`) ORDER BY `+order, ids...)
}

// caseless reports whether no character of w has another case, so that the index's
// case folding cannot make it match anything but itself.
func caseless(w string) bool {
	for _, r := range w {
		if !unicode.IsGraphic(r) || unicode.SimpleFold(r) != r {
			return false
		}
	}
	return true
}

// trigramsOf is the FTS5 query for comments that hold every trigram of w (at most
// maxPrefilter of them, spread over the word), in any place: a superset of those that
// hold w.
func trigramsOf(w string) string {
	r := []rune(w)
	var all []string
	for i := 0; i+3 <= len(r); i++ {
		if t := quoteFTS(string(r[i : i+3])); !slices.Contains(all, t) {
			all = append(all, t)
		}
	}
	if len(all) > maxPrefilter {
		some := make([]string, maxPrefilter)
		for i := range some {
			some[i] = all[i*(len(all)-1)/(maxPrefilter-1)]
		}
		all = some
	}
	return strings.Join(all, " AND ")
}

// queueRows runs a query that selects commentColumnsC and a group size.
func (s *Store) queueRows(ctx context.Context, q string, args ...any) ([]QueueRow, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: queue: %w", err)
	}
	defer rows.Close()
	var out []QueueRow
	for rows.Next() {
		var r QueueRow
		cm, err := scanComment(scanSuffix{rows, []any{&r.GroupSize}})
		if err != nil {
			return nil, fmt.Errorf("store: queue: %w", err)
		}
		r.Comment = *cm
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: queue: %w", err)
	}
	return out, nil
}

// CountQueue counts the comments a filter matches (for the bulk confirmation).
func (s *Store) CountQueue(ctx context.Context, f QueueFilter) (int, error) {
	where, args, err := s.queueWhere(ctx, f)
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM comments c WHERE `+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count queue: %w", err)
	}
	return n, nil
}

type scanSuffix struct {
	row   interface{ Scan(...any) error }
	extra []any
}

func (p scanSuffix) Scan(dest ...any) error { return p.row.Scan(append(dest, p.extra...)...) }
