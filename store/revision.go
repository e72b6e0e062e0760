package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// currentRevision is the SQL for the revision on show of the consultation whose id is
// the next argument.
const currentRevision = `(SELECT draft_revision FROM consultations WHERE id = ?)`

// revisionOr is the SQL for the revision in the next argument, or (when it is 0) the
// one on show of the consultation whose id is the argument after it.
const revisionOr = `COALESCE(NULLIF(?, 0), ` + currentRevision + `)`

// commentRevision is the SQL for a new comment's revision, from three arguments
// (section id or NULL, revision or 0, consultation id): the revision of the section it
// is on, so the two always agree; else the revision given; else the one on show.
const commentRevision = `COALESCE((SELECT draft_revision FROM sections WHERE id = ?), NULLIF(?, 0), ` + currentRevision + `)`

// ErrRevised is returned when a change would apply to the first revision of a draft
// that has been revised since.
var ErrRevised = errors.New("store: draft already revised")

// Revision is one published revision of a consultation's draft: 第一稿 is 1, each
// 修改稿 the next number. Each has its own sections; comments keep the revision they
// were written on.
type Revision struct {
	Number      int
	Title       string
	Reason      string // 修改说明
	OpensAt     time.Time
	ClosesAt    time.Time
	DraftSHA256 string
	Pins        []PairPin // officers' corrections of the pairing with the revision before
	PublishedAt time.Time
	PublishedBy string
}

// PairPin is an officer's correction of how sections of two revisions pair, by anchor:
// both set pairs them; Old alone says it was deleted; New alone says it is new.
type PairPin struct {
	Old string `json:"old,omitempty"`
	New string `json:"new,omitempty"`
}

// RevisionName is how a revision is called: 第一稿 for the first, 修改稿 for the
// second, 第N次修改稿 after that.
func RevisionName(n int) string {
	switch {
	case n <= 1:
		return "第一稿"
	case n == 2:
		return "修改稿"
	}
	return fmt.Sprintf("第%d次修改稿", n-1)
}

// Revisions returns every published revision of a consultation, oldest first.
func (s *Store) Revisions(ctx context.Context, consultationID int64) ([]Revision, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT number, title, reason, opens_at, closes_at, draft_sha256,
		pins, published_at, published_by FROM draft_revisions WHERE consultation_id = ? ORDER BY number`, consultationID)
	if err != nil {
		return nil, fmt.Errorf("store: revisions of %d: %w", consultationID, err)
	}
	defer rows.Close()
	var out []Revision
	for rows.Next() {
		var r Revision
		var opens, closes, published int64
		var pins string
		if err := rows.Scan(&r.Number, &r.Title, &r.Reason, &opens, &closes, &r.DraftSHA256, &pins, &published, &r.PublishedBy); err != nil {
			return nil, fmt.Errorf("store: revisions of %d: %w", consultationID, err)
		}
		if err := json.Unmarshal([]byte(pins), &r.Pins); err != nil {
			return nil, fmt.Errorf("store: revision %d of %d: pins: %w", r.Number, consultationID, err)
		}
		r.OpensAt, r.ClosesAt, r.PublishedAt = time.Unix(opens, 0), time.Unix(closes, 0), time.Unix(published, 0)
		out = append(out, r)
	}
	return out, rows.Err()
}

// NewRevision is a revision to publish: its text (metadata and sections, as a draft
// file imports) and, when OpensAt is set, the window of a new round of comment.
type NewRevision struct {
	Draft    *Consultation // Title, Publisher, Call, contacts, Signer, SignedOn, DraftSHA256
	Sections []Section
	Reason   string // 修改说明
	OpensAt  time.Time
	ClosesAt time.Time
	Pins     []PairPin
}

// PublishRevision publishes the next revision of a consultation's draft and makes it
// the one on show, with an audit entry, in one transaction. Comments already made stay
// with the revision and sections they were written on. With a window, the consultation
// opens for a second (or later) round of comment then; without, its window is kept.
// It returns the new revision's number.
func (s *Store) PublishRevision(ctx context.Context, actor Actor, consultationID int64, nr NewRevision) (int, error) {
	if len(nr.Sections) == 0 {
		return 0, errors.New("store: revision without sections")
	}
	round := !nr.OpensAt.IsZero()
	if round && !nr.ClosesAt.After(nr.OpensAt) {
		return 0, fmt.Errorf("store: window closes before it opens")
	}
	pins, err := json.Marshal(nr.Pins)
	if err != nil {
		return 0, err
	}
	if nr.Pins == nil {
		pins = []byte("[]")
	}
	var number int
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var cur int
		var opens, closes int64
		var oldReason string
		err := tx.QueryRowContext(ctx, `SELECT draft_revision, opens_at, closes_at, window_reason FROM consultations WHERE id = ?`,
			consultationID).Scan(&cur, &opens, &closes, &oldReason)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: revise %d: %w", consultationID, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: revise %d: %w", consultationID, err)
		}
		number = cur + 1
		if round {
			opens, closes = nr.OpensAt.Unix(), nr.ClosesAt.Unix()
		}
		now := time.Now().Unix()
		d := nr.Draft
		if _, err := tx.ExecContext(ctx, `INSERT INTO draft_revisions (consultation_id, number, title, reason,
			opens_at, closes_at, draft_sha256, pins, published_at, published_by) VALUES (?,?,?,?,?,?,?,?,?,?)`,
			consultationID, number, d.Title, strings.TrimSpace(nr.Reason), opens, closes, d.DraftSHA256, string(pins),
			now, actor.Username); err != nil {
			return fmt.Errorf("store: revise %d: %w", consultationID, err)
		}
		if err := insertRevisionSections(ctx, tx, consultationID, number, nr.Sections); err != nil {
			return err
		}
		reason := oldReason
		if round {
			reason = strings.TrimSpace(nr.Reason)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE consultations SET draft_revision = ?, title = ?, publisher = ?,
			call_text = ?, contact_name = ?, contact_phone = ?, contact_email = ?, signer = ?, signed_on = ?,
			opens_at = ?, closes_at = ?, window_reason = ?, updated_at = ? WHERE id = ?`,
			number, d.Title, d.Publisher, d.Call, d.ContactName, d.ContactPhone, d.ContactEmail, d.Signer, d.SignedOn,
			opens, closes, reason, now, consultationID); err != nil {
			return fmt.Errorf("store: revise %d: %w", consultationID, err)
		}
		after := map[string]any{"revision": number, "title": d.Title, "reason": strings.TrimSpace(nr.Reason),
			"draft_sha256": d.DraftSHA256, "sections": len(nr.Sections), "pins": nr.Pins}
		if round {
			after["opens_at"], after["closes_at"] = windowPtr(nr.OpensAt), windowPtr(nr.ClosesAt)
		}
		return audit(ctx, tx, actor, AuditEntry{Action: "revise", ConsultationID: consultationID,
			Target: fmt.Sprintf("revision:%d", number), Before: map[string]any{"revision": cur}, After: after})
	})
	if err != nil {
		return 0, err
	}
	return number, nil
}

// insertRevisionSections inserts a revision's sections, each parent before its children.
func insertRevisionSections(ctx context.Context, tx *sql.Tx, consultationID int64, revision int, secs []Section) error {
	ids := make(map[int]int64, len(secs))
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO sections (consultation_id, draft_revision, position, kind,
		parent_id, ordinal, label, heading, sep, body, anchor) VALUES (?,?,?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		return fmt.Errorf("store: insert sections: %w", err)
	}
	defer stmt.Close()
	for _, sec := range secs {
		var parent any
		if sec.Parent >= 0 {
			pid, ok := ids[sec.Parent]
			if !ok {
				return fmt.Errorf("store: section %s: parent %d not inserted before it", sec.Anchor, sec.Parent)
			}
			parent = pid
		}
		res, err := stmt.ExecContext(ctx, consultationID, revision, sec.Position, sec.Kind, parent, sec.Ordinal,
			sec.Label, sec.Heading, sec.Sep, sec.Body, sec.Anchor)
		if err != nil {
			return fmt.Errorf("store: insert section %s of revision %d: %w", sec.Anchor, revision, err)
		}
		if ids[sec.Position], err = res.LastInsertId(); err != nil {
			return err
		}
	}
	return nil
}

// RevisionCommentCounts returns how many comments each section anchor (and "general")
// of one revision received (0: the revision on show).
func (s *Store) RevisionCommentCounts(ctx context.Context, consultationID int64, revision int) (map[string]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT section_anchor, n FROM section_counts
		WHERE consultation_id = ? AND draft_revision = `+revisionOr+` AND n > 0`,
		consultationID, revision, consultationID)
	return scanCounts(rows, err, consultationID)
}

// Adopted is a comment the published feedback report marks as adopted (fully or
// partly), as the public may read it.
type Adopted struct {
	SectionAnchor string
	Status        string
	Body          string
	Response      string
	Count         int // comments of its campaign group with the same decision
}

// AdoptedBySection returns, by section anchor of one revision, the comments written on
// it that the latest published feedback report adopted fully or partly: the public page
// of changes shows them as the comments that led to a change. Nothing is returned
// before a report is published.
func (s *Store) AdoptedBySection(ctx context.Context, consultationID int64, revision int) (map[string][]Adopted, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT i.section_anchor, i.status, i.response, MIN(i.comment_id), COUNT(*)
		FROM feedback_items i JOIN comments c ON c.id = i.comment_id
		WHERE i.report_id = (SELECT id FROM feedback_reports WHERE consultation_id = ? ORDER BY revision DESC LIMIT 1)
		AND c.draft_revision = ? AND i.status IN (?, ?)
		GROUP BY i.group_id, i.section_anchor, i.status, i.response ORDER BY MIN(i.comment_id)`,
		consultationID, revision, StatusAdopted, StatusPartial)
	if err != nil {
		return nil, fmt.Errorf("store: adopted comments of %d: %w", consultationID, err)
	}
	type row struct {
		a     Adopted
		first int64
	}
	var list []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.a.SectionAnchor, &r.a.Status, &r.a.Response, &r.first, &r.a.Count); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: adopted comments of %d: %w", consultationID, err)
		}
		list = append(list, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := map[string][]Adopted{}
	for _, r := range list {
		if err := s.r.QueryRowContext(ctx, `SELECT body FROM comments WHERE id = ?`, r.first).Scan(&r.a.Body); err != nil {
			return nil, fmt.Errorf("store: adopted comment %d: %w", r.first, err)
		}
		out[r.a.SectionAnchor] = append(out[r.a.SectionAnchor], r.a)
	}
	return out, nil
}

// RevisionStats is Stats for the comments written on one revision of the draft (one
// round of comment): the dashboard's revision filter. It reads the revision's rows
// through comments_consultation_revision rather than the covering indexes Stats
// uses, which is fine for a view asked for now and then.
func (s *Store) RevisionStats(ctx context.Context, consultationID int64, revision int) (*Stats, error) {
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: stats of %d: %w", consultationID, err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	st := &Stats{ByStatus: map[string]int{}, ByIdentity: map[string]int{}, ByChannel: map[string]int{}, BySection: map[string]int{}}
	const where = ` FROM comments WHERE consultation_id = ? AND draft_revision = ?`
	rows, err := tx.QueryContext(ctx, `SELECT status, section_anchor, identity, channel, COUNT(*)`+where+
		` GROUP BY status, section_anchor, identity, channel`, consultationID, revision)
	if err != nil {
		return nil, fmt.Errorf("store: revision stats: %w", err)
	}
	for rows.Next() {
		var status, anchor, identity, channel string
		var n int
		if err := rows.Scan(&status, &anchor, &identity, &channel, &n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: revision stats: %w", err)
		}
		st.ByStatus[status] += n
		st.BySection[anchor] += n
		st.ByIdentity[identity] += n
		st.ByChannel[channel] += n
		st.Total += n
		if status != StatusPending {
			st.Triaged += n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var lo, hi sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MIN(created_at), MAX(created_at)`+where, consultationID, revision).Scan(&lo, &hi); err != nil {
		return nil, fmt.Errorf("store: revision stats: %w", err)
	}
	if lo.Valid {
		first, last := dayOf(lo.Int64), dayOf(hi.Int64)
		if last-first >= maxStatsDays {
			first = last - maxStatsDays + 1
		}
		counts := map[int64]int{}
		rows, err := tx.QueryContext(ctx, `SELECT (created_at + ?) / 86400, COUNT(*)`+where+` GROUP BY 1`, beijingOffset, consultationID, revision)
		if err != nil {
			return nil, fmt.Errorf("store: revision stats by day: %w", err)
		}
		for rows.Next() {
			var d int64
			var n int
			if err := rows.Scan(&d, &n); err != nil {
				rows.Close()
				return nil, err
			}
			counts[d] = n
		}
		rows.Close()
		for d := first; d <= last; d++ {
			st.ByDay = append(st.ByDay, DayCount{Day: time.Unix(d*86400-beijingOffset, 0).In(beijingZone), Count: counts[d]})
		}
	}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(DISTINCT group_id)`+where, consultationID, revision).Scan(&st.Distinct); err != nil {
		return nil, fmt.Errorf("store: revision stats: %w", err)
	}
	grows, err := tx.QueryContext(ctx, `SELECT x.gid, x.n, substr(c.body, 1, ?), c.status, c.section_anchor
		FROM (SELECT group_id AS gid, COUNT(*) AS n, MIN(id) AS first`+where+` GROUP BY group_id HAVING COUNT(*) > 1) x
		JOIN comments c ON c.id = x.first ORDER BY x.n DESC, x.gid LIMIT ?`, 4*ExcerptRunes, consultationID, revision, TopGroupsLimit)
	if err != nil {
		return nil, fmt.Errorf("store: revision stats groups: %w", err)
	}
	defer grows.Close()
	for grows.Next() {
		var g GroupStat
		if err := grows.Scan(&g.ID, &g.Size, &g.Excerpt, &g.Status, &g.SectionAnchor); err != nil {
			return nil, err
		}
		g.Excerpt = oneLine(g.Excerpt, ExcerptRunes)
		st.TopGroups = append(st.TopGroups, g)
	}
	return st, grows.Err()
}
