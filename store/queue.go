package store

import (
	"context"
	"fmt"
	"strings"
	"time"
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
}

// QueueRow is a comment in the queue with its duplicate group's size.
type QueueRow struct {
	Comment
	GroupSize int
}

// ErrShortQuery is returned for a search word of one character.
var ErrShortQuery = fmt.Errorf("store: search words need two or more characters")

// where builds the WHERE clause shared by the queue, counts and bulk updates.
func (s *Store) queueWhere(ctx context.Context, f QueueFilter) (string, []any, error) {
	conds := []string{"c.consultation_id = ?"}
	args := []any{f.ConsultationID}
	add := func(cond string, v ...any) { conds = append(conds, cond); args = append(args, v...) }
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
	if strings.TrimSpace(f.Q) != "" {
		match, err := s.ftsQuery(ctx, f.Q)
		if err != nil {
			return "", nil, err
		}
		if match == "" { // a two-character word that occurs nowhere
			add("0")
		} else {
			add("c.id IN (SELECT rowid FROM comments_fts WHERE comments_fts MATCH ?)", match)
		}
	}
	return strings.Join(conds, " AND "), args, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// maxExpansion bounds how many trigrams a two-character word expands to.
const maxExpansion = 400

// ftsQuery turns search text into an FTS5 query over the trigram index: each word of
// three or more characters is a phrase; a two-character word becomes the OR of the
// indexed trigrams that start with it (texts are indexed with a trailing sentinel, so
// a word at the very end is found too). Words are ANDed.
func (s *Store) ftsQuery(ctx context.Context, q string) (string, error) {
	var parts []string
	for _, w := range strings.Fields(q) {
		switch n := utf8.RuneCountInString(w); {
		case n < 2:
			return "", ErrShortQuery
		case n >= 3:
			parts = append(parts, quoteFTS(w))
		default:
			lw := strings.ToLower(w)
			rows, err := s.r.QueryContext(ctx, `SELECT term FROM comments_fts_vocab WHERE term >= ? AND term < ? LIMIT ?`,
				lw, lw+"\U0010FFFF", maxExpansion)
			if err != nil {
				return "", fmt.Errorf("store: search vocabulary: %w", err)
			}
			var terms []string
			for rows.Next() {
				var t string
				if err := rows.Scan(&t); err != nil {
					rows.Close()
					return "", err
				}
				if strings.HasPrefix(t, lw) && utf8.RuneCountInString(t) == 3 {
					terms = append(terms, quoteFTS(t))
				}
			}
			rows.Close()
			if len(terms) == 0 {
				return "", nil
			}
			parts = append(parts, "("+strings.Join(terms, " OR ")+")")
		}
	}
	return strings.Join(parts, " AND "), nil
}

func quoteFTS(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// Queue returns one page of the triage queue and the cursor of the next page ("" at the end).
// Pages are found by keyset (never OFFSET), so page 1,000 costs what page 1 does.
func (s *Store) Queue(ctx context.Context, f QueueFilter) ([]QueueRow, string, error) {
	where, args, err := s.queueWhere(ctx, f)
	if err != nil {
		return nil, "", err
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	order := "c.id DESC"
	var cursorSize, cursorID int64
	if f.Cursor != "" {
		if _, err := fmt.Sscanf(f.Cursor, "%d.%d", &cursorSize, &cursorID); err != nil {
			return nil, "", fmt.Errorf("store: bad cursor %q", f.Cursor)
		}
	}
	switch f.Sort {
	case "old":
		order = "c.id ASC"
		if f.Cursor != "" {
			where += " AND c.id > ?"
			args = append(args, cursorID)
		}
	case "group":
		order = "g.size DESC, c.id DESC"
		if f.Cursor != "" {
			where += " AND (g.size < ? OR (g.size = ? AND c.id < ?))"
			args = append(args, cursorSize, cursorSize, cursorID)
		}
	default:
		if f.Cursor != "" {
			where += " AND c.id < ?"
			args = append(args, cursorID)
		}
	}
	q := `SELECT ` + commentColumnsC + `, COALESCE(g.size, 1) FROM comments c
		LEFT JOIN dup_groups g ON g.id = c.group_id WHERE ` + where + ` ORDER BY ` + order + ` LIMIT ?`
	args = append(args, f.Limit+1)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("store: queue: %w", err)
	}
	defer rows.Close()
	var out []QueueRow
	for rows.Next() {
		var r QueueRow
		cm, err := scanComment(scanSuffix{rows, []any{&r.GroupSize}})
		if err != nil {
			return nil, "", fmt.Errorf("store: queue: %w", err)
		}
		r.Comment = *cm
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
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
