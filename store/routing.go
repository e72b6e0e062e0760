package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Routing states of a comment routed (交办) to a unit. A comment with no routing is 未交办.
const (
	RouteNone     = "none"     // 未交办 (a filter value; never stored)
	RouteRouted   = "routed"   // 待回复: waiting for the unit's proposal
	RouteAnswered = "answered" // 已回复待审: the unit proposed, the officer checks
	RouteReturned = "returned" // 已退回: the officer sent the proposal back with a note
	RouteAccepted = "accepted" // 已采纳: the officer took the proposal as the decision
)

// RouteStates lists the routing states in workflow order; RouteLabels names them.
var (
	RouteStates = []string{RouteNone, RouteRouted, RouteAnswered, RouteReturned, RouteAccepted}
	RouteLabels = map[string]string{RouteNone: "未交办", RouteRouted: "待回复", RouteAnswered: "已回复待审",
		RouteReturned: "已退回", RouteAccepted: "已采纳"}
)

// Routing is a comment routed to a unit, with the unit's proposed answer (拟处理意见).
type Routing struct {
	CommentID        int64
	ConsultationID   int64
	Unit             string
	State            string
	DueAt            time.Time // zero: no due date
	ProposedStatus   string
	ProposedResponse string
	ReturnNote       string
	RoutedBy         string
	RoutedAt         time.Time
	AnsweredBy       string
	AnsweredAt       time.Time
	Version          int64
}

// Overdue reports whether the unit's answer is late at now: due, and still waited for.
func (r *Routing) Overdue(now time.Time) bool {
	return r != nil && !r.DueAt.IsZero() && now.After(r.DueAt) && (r.State == RouteRouted || r.State == RouteReturned)
}

// ErrNotRouted is returned when a unit acts on a comment not routed to it, or an
// officer accepts or returns a proposal that is not waiting for review.
var ErrNotRouted = errors.New("store: not routed to this unit, or not in that state")

// ErrNoUnit is returned for an empty unit name.
var ErrNoUnit = errors.New("store: a unit is required")

const routingColumns = `comment_id, consultation_id, unit, state, due_at, proposed_status, proposed_response,
	return_note, routed_by, routed_at, answered_by, answered_at, version`

func scanRouting(row interface{ Scan(...any) error }) (*Routing, error) {
	var r Routing
	var due, routed, answered int64
	if err := row.Scan(&r.CommentID, &r.ConsultationID, &r.Unit, &r.State, &due, &r.ProposedStatus, &r.ProposedResponse,
		&r.ReturnNote, &r.RoutedBy, &routed, &r.AnsweredBy, &answered, &r.Version); err != nil {
		return nil, err
	}
	if due != 0 {
		r.DueAt = time.Unix(due, 0)
	}
	if routed != 0 {
		r.RoutedAt = time.Unix(routed, 0)
	}
	if answered != 0 {
		r.AnsweredAt = time.Unix(answered, 0)
	}
	return &r, nil
}

// RoutingFor returns a comment's routing, or ErrNotFound when it was never routed.
func (s *Store) RoutingFor(ctx context.Context, commentID int64) (*Routing, error) {
	r, err := scanRouting(s.r.QueryRowContext(ctx, `SELECT `+routingColumns+` FROM routings WHERE comment_id = ?`, commentID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: routing of %d: %w", commentID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: routing of %d: %w", commentID, err)
	}
	return r, nil
}

// RoutingsFor returns the routings of the listed comments (those routed), by comment id.
func (s *Store) RoutingsFor(ctx context.Context, ids []int64) (map[int64]*Routing, error) {
	out := map[int64]*Routing{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+routingColumns+` FROM routings WHERE comment_id IN (?`+strings.Repeat(",?", len(ids)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: routings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRouting(rows)
		if err != nil {
			return nil, fmt.Errorf("store: routings: %w", err)
		}
		out[r.CommentID] = r
	}
	return out, rows.Err()
}

// Route routes comments of a consultation to a unit with a due date (zero: none),
// replacing an earlier routing that is not yet accepted; each gets an audit entry. It
// returns how many were routed.
func (s *Store) Route(ctx context.Context, actor Actor, consultationID int64, ids []int64, unit string, due time.Time) (int, error) {
	unit = strings.TrimSpace(unit)
	if unit == "" {
		return 0, ErrNoUnit
	}
	n := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = routeIDs(ctx, tx, actor, consultationID, ids, unit, unixOrZero(due), "route")
		return err
	})
	return n, err
}

func routeIDs(ctx context.Context, tx *sql.Tx, actor Actor, consultationID int64, ids []int64, unit string, due int64, action string) (int, error) {
	now := time.Now().Unix()
	n := 0
	for _, id := range ids {
		var before sql.NullString
		var beforeState sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT r.unit, r.state FROM comments c LEFT JOIN routings r ON r.comment_id = c.id
			WHERE c.id = ? AND c.consultation_id = ?`, id, consultationID).Scan(&before, &beforeState)
		if errors.Is(err, sql.ErrNoRows) {
			continue // not a comment of this consultation
		}
		if err != nil {
			return 0, fmt.Errorf("store: route %d: %w", id, err)
		}
		if beforeState.String == RouteAccepted {
			continue // decided on the unit's proposal: routing it again would reopen a closed item
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO routings (comment_id, consultation_id, unit, state, due_at, routed_by, routed_at)
			VALUES (?, ?, ?, 'routed', ?, ?, ?)
			ON CONFLICT (comment_id) DO UPDATE SET unit = excluded.unit, state = 'routed', due_at = excluded.due_at,
			proposed_status = '', proposed_response = '', return_note = '', answered_by = '', answered_at = 0,
			routed_by = excluded.routed_by, routed_at = excluded.routed_at, version = routings.version + 1`,
			id, consultationID, unit, due, actor.Username, now)
		if err != nil {
			return 0, fmt.Errorf("store: route %d: %w", id, err)
		}
		var b any
		if before.Valid {
			b = map[string]any{"unit": before.String, "state": beforeState.String}
		}
		if err := audit(ctx, tx, actor, AuditEntry{Action: action, ConsultationID: consultationID, Target: fmt.Sprintf("comment:%d", id),
			Before: b, After: map[string]any{"unit": unit, "due_at": due}}); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// RouteRule is a standing rule: comments on a section go to a unit.
type RouteRule struct {
	ConsultationID int64
	SectionAnchor  string
	Unit           string
	DueDays        int // the due date is this many days after routing; 0: none
	CreatedBy      string
	CreatedAt      time.Time
}

// SetRouteRule makes (or replaces) the standing rule for a section and routes the
// section's comments not yet routed; comments arriving later are routed as they are
// stored. It returns how many existing comments it routed.
func (s *Store) SetRouteRule(ctx context.Context, actor Actor, r RouteRule) (int, error) {
	r.Unit = strings.TrimSpace(r.Unit)
	if r.Unit == "" {
		return 0, ErrNoUnit
	}
	now := time.Now()
	n := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO route_rules (consultation_id, section_anchor, unit, due_days, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (consultation_id, section_anchor) DO UPDATE SET unit = excluded.unit,
			due_days = excluded.due_days, created_by = excluded.created_by, created_at = excluded.created_at`,
			r.ConsultationID, r.SectionAnchor, r.Unit, r.DueDays, actor.Username, now.Unix()); err != nil {
			return fmt.Errorf("store: route rule: %w", err)
		}
		if err := audit(ctx, tx, actor, AuditEntry{Action: "route_rule", ConsultationID: r.ConsultationID, Target: "section:" + r.SectionAnchor,
			After: map[string]any{"unit": r.Unit, "due_days": r.DueDays}}); err != nil {
			return err
		}
		ids, err := queryIDs(ctx, tx, `SELECT c.id FROM comments c WHERE c.consultation_id = ? AND c.section_anchor = ?
			AND NOT EXISTS (SELECT 1 FROM routings r WHERE r.comment_id = c.id) ORDER BY c.id`, r.ConsultationID, r.SectionAnchor)
		if err != nil {
			return err
		}
		n, err = routeIDs(ctx, tx, actor, r.ConsultationID, ids, r.Unit, dueFrom(now, r.DueDays), "route")
		return err
	})
	return n, err
}

func dueFrom(now time.Time, days int) int64 {
	if days <= 0 {
		return 0
	}
	return now.AddDate(0, 0, days).Unix()
}

// DeleteRouteRule removes a section's standing rule (comments already routed stay so).
func (s *Store) DeleteRouteRule(ctx context.Context, actor Actor, consultationID int64, anchor string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM route_rules WHERE consultation_id = ? AND section_anchor = ?`, consultationID, anchor)
		if err != nil {
			return fmt.Errorf("store: delete route rule: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: route rule %s: %w", anchor, ErrNotFound)
		}
		return audit(ctx, tx, actor, AuditEntry{Action: "route_rule_delete", ConsultationID: consultationID, Target: "section:" + anchor})
	})
}

// RouteRules returns a consultation's standing rules in section order.
func (s *Store) RouteRules(ctx context.Context, consultationID int64) ([]RouteRule, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT r.consultation_id, r.section_anchor, r.unit, r.due_days, r.created_by, r.created_at
		FROM route_rules r LEFT JOIN sections s ON s.consultation_id = r.consultation_id AND s.anchor = r.section_anchor
		WHERE r.consultation_id = ? ORDER BY COALESCE(s.position, -1)`, consultationID)
	if err != nil {
		return nil, fmt.Errorf("store: route rules: %w", err)
	}
	defer rows.Close()
	var out []RouteRule
	for rows.Next() {
		var r RouteRule
		var at int64
		if err := rows.Scan(&r.ConsultationID, &r.SectionAnchor, &r.Unit, &r.DueDays, &r.CreatedBy, &at); err != nil {
			return nil, fmt.Errorf("store: route rules: %w", err)
		}
		r.CreatedAt = time.Unix(at, 0)
		out = append(out, r)
	}
	return out, rows.Err()
}

// applyRouteRules routes newly stored comments by the standing rules of their
// sections, in the transaction that stores them (the group committer's): two
// statements per batch whatever its size, the second only when a rule matched.
func applyRouteRules(ctx context.Context, tx *sql.Tx, ids []any) error {
	if len(ids) == 0 {
		return nil
	}
	now := time.Now().Unix()
	in := `(?` + strings.Repeat(",?", len(ids)-1) + `)`
	from := ` FROM comments c JOIN route_rules r ON r.consultation_id = c.consultation_id AND r.section_anchor = c.section_anchor
		WHERE c.id IN ` + in
	due := `CASE WHEN r.due_days > 0 THEN ? + r.due_days * 86400 ELSE 0 END`
	res, err := tx.ExecContext(ctx, `INSERT INTO routings (comment_id, consultation_id, unit, state, due_at, routed_by, routed_at)
		SELECT c.id, c.consultation_id, r.unit, 'routed', `+due+`, 'system', ?`+from, append([]any{now, now}, ids...)...)
	if err != nil {
		return fmt.Errorf("store: route by rules: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, user_id, username, ip, action, consultation_id, target, before, after)
		SELECT ?, 0, 'system', '', 'route_auto', c.consultation_id, 'comment:' || c.id, '',
		json_object('due_at', `+due+`, 'unit', r.unit)`+from, append([]any{now, now}, ids...)...); err != nil {
		return fmt.Errorf("store: audit route by rules: %w", err)
	}
	return nil
}

// ProposeAnswer records a unit's proposed status and response (拟处理意见) for a
// comment routed to it and waiting for its answer (or returned to it). seen is the
// routing version the form was shown at (negative: not checked); a mismatch is a
// conflict and nothing is saved.
func (s *Store) ProposeAnswer(ctx context.Context, actor Actor, consultationID, commentID int64, unit string, d Decision, seen int64) error {
	if err := d.check(); err != nil {
		return err
	}
	if d.Status == StatusPending {
		return ErrBadStatus
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		r, err := scanRouting(tx.QueryRowContext(ctx, `SELECT `+routingColumns+` FROM routings WHERE comment_id = ? AND consultation_id = ?`,
			commentID, consultationID))
		if errors.Is(err, sql.ErrNoRows) || (err == nil && r.Unit != unit) {
			return fmt.Errorf("store: propose on %d: %w", commentID, ErrNotRouted)
		}
		if err != nil {
			return err
		}
		if seen >= 0 && r.Version != seen {
			return fmt.Errorf("store: propose on %d: %w", commentID, ErrConflict)
		}
		if r.State != RouteRouted && r.State != RouteReturned && r.State != RouteAnswered {
			return fmt.Errorf("store: propose on %d: %w", commentID, ErrNotRouted)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE routings SET state = 'answered', proposed_status = ?, proposed_response = ?,
			answered_by = ?, answered_at = ?, version = version + 1 WHERE comment_id = ?`,
			d.Status, d.Response, actor.Username, time.Now().Unix(), commentID); err != nil {
			return fmt.Errorf("store: propose on %d: %w", commentID, err)
		}
		return audit(ctx, tx, actor, AuditEntry{Action: "route_answer", ConsultationID: consultationID, Target: fmt.Sprintf("comment:%d", commentID),
			Before: map[string]any{"state": r.State, "status": r.ProposedStatus, "response": r.ProposedResponse},
			After:  map[string]any{"unit": unit, "state": RouteAnswered, "status": d.Status, "response": d.Response}})
	})
}

// AcceptAnswer takes a unit's proposal as the comment's decision (keeping the
// officer's note and tags). seen is the routing version the officer reviewed: if the
// unit changed its proposal since, it is a conflict and nothing is saved.
func (s *Store) AcceptAnswer(ctx context.Context, actor Actor, consultationID, commentID, seen int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		r, err := s.reviewable(ctx, tx, consultationID, commentID, seen)
		if err != nil {
			return err
		}
		c, err := scanComment(tx.QueryRowContext(ctx, `SELECT `+commentColumns+` FROM comments WHERE id = ?`, commentID))
		if err != nil {
			return fmt.Errorf("store: accept on %d: %w", commentID, err)
		}
		d := Decision{Status: r.ProposedStatus, Response: r.ProposedResponse, Note: c.Note, Tags: c.Tags}
		if err := d.check(); err != nil {
			return err
		}
		if _, err := decideIDs(ctx, tx, actor, consultationID, []int64{commentID}, d, "decide", commentID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE routings SET state = 'accepted', version = version + 1 WHERE comment_id = ?`, commentID); err != nil {
			return fmt.Errorf("store: accept on %d: %w", commentID, err)
		}
		return audit(ctx, tx, actor, AuditEntry{Action: "route_accept", ConsultationID: consultationID, Target: fmt.Sprintf("comment:%d", commentID),
			After: map[string]any{"unit": r.Unit, "status": d.Status, "response": d.Response}})
	})
}

// ReturnAnswer sends a unit's proposal back with a note saying what to change.
func (s *Store) ReturnAnswer(ctx context.Context, actor Actor, consultationID, commentID, seen int64, note string) error {
	if strings.TrimSpace(note) == "" {
		return ErrReasonRequired
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		r, err := s.reviewable(ctx, tx, consultationID, commentID, seen)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE routings SET state = 'returned', return_note = ?, version = version + 1 WHERE comment_id = ?`,
			note, commentID); err != nil {
			return fmt.Errorf("store: return on %d: %w", commentID, err)
		}
		return audit(ctx, tx, actor, AuditEntry{Action: "route_return", ConsultationID: consultationID, Target: fmt.Sprintf("comment:%d", commentID),
			After: map[string]any{"unit": r.Unit, "note": note}})
	})
}

func (s *Store) reviewable(ctx context.Context, tx *sql.Tx, consultationID, commentID, seen int64) (*Routing, error) {
	r, err := scanRouting(tx.QueryRowContext(ctx, `SELECT `+routingColumns+` FROM routings WHERE comment_id = ? AND consultation_id = ?`,
		commentID, consultationID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: review %d: %w", commentID, ErrNotRouted)
	}
	if err != nil {
		return nil, err
	}
	if seen >= 0 && r.Version != seen {
		return nil, fmt.Errorf("store: review %d: %w", commentID, ErrConflict)
	}
	if r.State != RouteAnswered {
		return nil, fmt.Errorf("store: review %d: %w", commentID, ErrNotRouted)
	}
	return r, nil
}

// UnitBacklog is one unit's routed comments by state, and how many are overdue.
type UnitBacklog struct {
	Unit    string
	Counts  map[string]int
	Open    int // waiting for the unit (routed or returned)
	Overdue int
}

// Backlog returns each unit's routed comments of a consultation, units by name.
func (s *Store) Backlog(ctx context.Context, consultationID int64, now time.Time) ([]UnitBacklog, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT unit, state, COUNT(*),
		SUM(CASE WHEN due_at != 0 AND due_at < ? AND state IN ('routed', 'returned') THEN 1 ELSE 0 END)
		FROM routings WHERE consultation_id = ? GROUP BY unit, state`, now.Unix(), consultationID)
	if err != nil {
		return nil, fmt.Errorf("store: backlog: %w", err)
	}
	defer rows.Close()
	by := map[string]*UnitBacklog{}
	for rows.Next() {
		var unit, state string
		var n, late int
		if err := rows.Scan(&unit, &state, &n, &late); err != nil {
			return nil, fmt.Errorf("store: backlog: %w", err)
		}
		b := by[unit]
		if b == nil {
			b = &UnitBacklog{Unit: unit, Counts: map[string]int{}}
			by[unit] = b
		}
		b.Counts[state] += n
		b.Overdue += late
		if state == RouteRouted || state == RouteReturned {
			b.Open += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]UnitBacklog, 0, len(by))
	for _, b := range by {
		out = append(out, *b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Unit < out[j].Unit })
	return out, nil
}

// Units returns the units known: those of department accounts and those comments were
// routed to, by name.
func (s *Store) Units(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT unit FROM users WHERE unit != '' UNION SELECT DISTINCT unit FROM routings ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("store: units: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// teamConds adds the routing and assignment filters to the queue's conditions.
func teamConds(f QueueFilter, conds []string, args []any) ([]string, []any) {
	add := func(cond string, v ...any) { conds = append(conds, cond); args = append(args, v...) }
	// Routed comments are found from routings (by unit and state, routings_unit and
	// routings_state), not by probing every comment: a unit's share may be small.
	if f.Unit != "" {
		add("c.id IN (SELECT r.comment_id FROM routings r WHERE r.consultation_id = ? AND r.unit = ?)", f.ConsultationID, f.Unit)
	}
	switch f.Route {
	case "":
	case RouteNone:
		add("NOT EXISTS (SELECT 1 FROM routings r WHERE r.comment_id = c.id)")
	default:
		add("c.id IN (SELECT r.comment_id FROM routings r WHERE r.consultation_id = ? AND r.state = ?)", f.ConsultationID, f.Route)
	}
	if !f.OverdueAt.IsZero() {
		add(`c.id IN (SELECT r.comment_id FROM routings r WHERE r.consultation_id = ? AND r.state IN ('routed', 'returned')
			AND r.due_at != 0 AND r.due_at < ?)`, f.ConsultationID, f.OverdueAt.Unix())
	}
	if f.AssignedTo != "" {
		add("c.assigned_to = ?", f.AssignedTo)
	}
	return conds, args
}

// RoutingOf returns a comment's routing as of the export's snapshot, or nil when it
// was never routed. Workbooks call it row by row (a primary-key look-up) rather than
// holding every routing in memory; when the snapshot has no routings at all it
// answers without a query.
func (x *ExportReader) RoutingOf(ctx context.Context, commentID int64) (*Routing, error) {
	x.prepareRouting(ctx)
	if x.routeErr != nil {
		return nil, fmt.Errorf("store: routing of %d: %w", commentID, x.routeErr)
	}
	if x.routeStmt == nil {
		return nil, nil
	}
	r, err := scanRouting(x.routeStmt.QueryRowContext(ctx, commentID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: routing of %d: %w", commentID, err)
	}
	return r, nil
}

// AnyRouted reports whether any comment in the snapshot was routed at all.
func (x *ExportReader) AnyRouted(ctx context.Context) (bool, error) {
	x.prepareRouting(ctx)
	return x.routeStmt != nil, x.routeErr
}

func (x *ExportReader) prepareRouting(ctx context.Context) {
	x.routeOnce.Do(func() {
		var any int
		if x.routeErr = x.tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM routings)`).Scan(&any); x.routeErr != nil || any == 0 {
			return
		}
		x.routeStmt, x.routeErr = x.tx.PrepareContext(ctx, `SELECT `+routingColumns+` FROM routings WHERE comment_id = ?`)
	})
}
