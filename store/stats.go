package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Stats is a consultation's dashboard: how many comments it has, how far their
// triage has come, who sent them, by which channel, on what and when, and the
// largest groups of identical or near-identical copies.
type Stats struct {
	Total      int
	Distinct   int            // comments once each duplicate group counts once
	Triaged    int            // comments whose status is no longer pending
	ByStatus   map[string]int // status → comments
	ByIdentity map[string]int // identity as given ("" when none) → comments
	ByChannel  map[string]int // web, letter, email, phone → comments
	BySection  map[string]int // section anchor ("general": the draft as a whole) → comments
	// ByDay counts comments per Beijing calendar day (UTC+8, by when they were
	// stored), every day from the first comment's to the last's, zeros included.
	ByDay     []DayCount
	TopGroups []GroupStat // the largest duplicate groups of two or more, largest first
}

// DayCount is the number of comments stored on one day.
type DayCount struct {
	Day   time.Time // midnight in Beijing (a fixed UTC+8 zone)
	Count int
}

// GroupStat is a duplicate group: its first comment's id (the group's id), how many
// comments it holds, and the first comment's opening words, status and section.
type GroupStat struct {
	ID            int64
	Size          int
	Excerpt       string // at most ExcerptRunes characters of the first comment, on one line
	Status        string // the first comment's status
	SectionAnchor string
}

// TriagedShare is the share of comments with a status other than pending, in [0, 1]
// (0 when there are none).
func (st *Stats) TriagedShare() float64 {
	if st.Total == 0 {
		return 0
	}
	return float64(st.Triaged) / float64(st.Total)
}

// TopGroupsLimit is how many duplicate groups Stats returns; ExcerptRunes how long
// their excerpts are.
const (
	TopGroupsLimit = 10
	ExcerptRunes   = 120
)

// Beijing has kept UTC+8 all year since 1991; comment days are counted in it.
const beijingOffset = 8 * 3600

var beijingZone = time.FixedZone("UTC+8", beijingOffset)

// The dashboard's queries. Each reads one covering index of comments or dup_groups
// (see TestStatsQueryPlans), except statsPeopleSQL: no index holds identity and
// channel, so it reads the consultation's rows once for both (an index on
// (consultation_id, identity, channel) would make it a covering-index read too).
const (
	statsStatusSQL  = `SELECT status, COUNT(*) FROM comments WHERE consultation_id = ? GROUP BY status`
	statsSectionSQL = `SELECT section_anchor, COUNT(*) FROM comments WHERE consultation_id = ? GROUP BY section_anchor`
	statsPeopleSQL  = `SELECT identity, channel, COUNT(*) FROM comments WHERE consultation_id = ? GROUP BY identity, channel`
	// Two subqueries: SQLite answers a lone MIN or MAX from the index's ends, but reads
	// every entry for both in one SELECT.
	statsSpanSQL = `SELECT (SELECT MIN(created_at) FROM comments WHERE consultation_id = ?1),
		(SELECT MAX(created_at) FROM comments WHERE consultation_id = ?1)`
	// One range count per day on (consultation_id, created_at): no sort of every row,
	// as GROUP BY a computed day would need.
	statsDaysSQL = `WITH RECURSIVE days(d) AS (SELECT ? UNION ALL SELECT d + 1 FROM days WHERE d < ?)
		SELECT d, (SELECT COUNT(*) FROM comments WHERE consultation_id = ?
			AND created_at >= d * 86400 - 28800 AND created_at < (d + 1) * 86400 - 28800) FROM days`
	statsDistinctSQL = `SELECT COUNT(*) FROM dup_groups WHERE consultation_id = ?`
	statsGroupsSQL   = `SELECT g.id, g.size, substr(c.body, 1, ?), c.status, c.section_anchor
		FROM dup_groups g JOIN comments c ON c.id = g.id
		WHERE g.consultation_id = ? AND g.size > 1 ORDER BY g.size DESC, g.id LIMIT ?`
)

// maxStatsDays bounds the per-day series; a span longer than this (which only
// clock trouble could cause) is cut to its last maxStatsDays days.
const maxStatsDays = 3660

// Stats computes a consultation's dashboard in one read transaction, so every number
// comes from the same moment even while comments arrive. An unknown consultation has
// all-zero stats.
func (s *Store) Stats(ctx context.Context, consultationID int64) (*Stats, error) {
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: stats of %d: %w", consultationID, err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to roll back
	st := &Stats{ByStatus: map[string]int{}, ByIdentity: map[string]int{}, ByChannel: map[string]int{}, BySection: map[string]int{}}
	if err := countBy(ctx, tx, statsStatusSQL, consultationID, st.ByStatus); err != nil {
		return nil, fmt.Errorf("store: stats by status: %w", err)
	}
	for status, n := range st.ByStatus {
		st.Total += n
		if status != StatusPending {
			st.Triaged += n
		}
	}
	if err := countBy(ctx, tx, statsSectionSQL, consultationID, st.BySection); err != nil {
		return nil, fmt.Errorf("store: stats by section: %w", err)
	}
	if err := st.people(ctx, tx, consultationID); err != nil {
		return nil, fmt.Errorf("store: stats by identity and channel: %w", err)
	}
	if err := st.days(ctx, tx, consultationID); err != nil {
		return nil, fmt.Errorf("store: stats by day: %w", err)
	}
	if err := tx.QueryRowContext(ctx, statsDistinctSQL, consultationID).Scan(&st.Distinct); err != nil {
		return nil, fmt.Errorf("store: stats distinct: %w", err)
	}
	if err := st.groups(ctx, tx, consultationID); err != nil {
		return nil, fmt.Errorf("store: stats groups: %w", err)
	}
	return st, nil
}

// countBy runs a "key, COUNT(*)" query into out.
func countBy(ctx context.Context, tx *sql.Tx, q string, consultationID int64, out map[string]int) error {
	rows, err := tx.QueryContext(ctx, q, consultationID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return err
		}
		out[k] += n
	}
	return rows.Err()
}

func (st *Stats) people(ctx context.Context, tx *sql.Tx, consultationID int64) error {
	rows, err := tx.QueryContext(ctx, statsPeopleSQL, consultationID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var identity, channel string
		var n int
		if err := rows.Scan(&identity, &channel, &n); err != nil {
			return err
		}
		st.ByIdentity[identity] += n
		st.ByChannel[channel] += n
	}
	return rows.Err()
}

// dayOf is the Beijing day number (days since 1970-01-01 in UTC+8) of a unix time.
func dayOf(unix int64) int64 {
	d := (unix + beijingOffset) / 86400
	if (unix+beijingOffset)%86400 < 0 {
		d-- // floor, for times before 1970
	}
	return d
}

func (st *Stats) days(ctx context.Context, tx *sql.Tx, consultationID int64) error {
	var lo, hi sql.NullInt64
	if err := tx.QueryRowContext(ctx, statsSpanSQL, consultationID).Scan(&lo, &hi); err != nil {
		return err
	}
	if !lo.Valid {
		return nil
	}
	first, last := dayOf(lo.Int64), dayOf(hi.Int64)
	if last-first >= maxStatsDays {
		first = last - maxStatsDays + 1
	}
	rows, err := tx.QueryContext(ctx, statsDaysSQL, first, last, consultationID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var d int64
		var n int
		if err := rows.Scan(&d, &n); err != nil {
			return err
		}
		st.ByDay = append(st.ByDay, DayCount{Day: time.Unix(d*86400-beijingOffset, 0).In(beijingZone), Count: n})
	}
	return rows.Err()
}

func (st *Stats) groups(ctx context.Context, tx *sql.Tx, consultationID int64) error {
	rows, err := tx.QueryContext(ctx, statsGroupsSQL, 4*ExcerptRunes, consultationID, TopGroupsLimit)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var g GroupStat
		if err := rows.Scan(&g.ID, &g.Size, &g.Excerpt, &g.Status, &g.SectionAnchor); err != nil {
			return err
		}
		g.Excerpt = oneLine(g.Excerpt, ExcerptRunes)
		st.TopGroups = append(st.TopGroups, g)
	}
	return rows.Err()
}

// oneLine joins s's words with single spaces and cuts it to n characters with "…".
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
