package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// FeedbackReport is one published revision of a consultation's feedback report.
type FeedbackReport struct {
	ID             int64
	ConsultationID int64
	Revision       int
	Summary        string
	Participants   int
	Comments       int
	PublishedAt    time.Time
	PublishedBy    string
}

// FeedbackItem is a comment, or a campaign of copies decided alike, as the report shows it.
type FeedbackItem struct {
	GroupID       int64
	SectionAnchor string
	Status        string
	Response      string
	Body          string   // the first comment's text
	Count         int      // how many comments share this decision in the group
	Names         []string // names whose owners agreed to publication (at most a few)
	MoreNames     int      // further consented names not listed
	DraftRevision int      // the revision of the draft the comments were written on
}

// FeedbackDraft returns the summary being written for the next revision.
func (s *Store) FeedbackDraft(ctx context.Context, consultationID int64) (string, error) {
	var sum string
	err := s.r.QueryRowContext(ctx, `SELECT summary FROM feedback_drafts WHERE consultation_id = ?`, consultationID).Scan(&sum)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return sum, err
}

// FeedbackDraftState is the summary being written with who saved it last, when, and
// its version (bumped by every save).
type FeedbackDraftState struct {
	Summary   string
	Version   int64
	UpdatedAt time.Time
	UpdatedBy string
}

// FeedbackDraftFull returns the draft with its version (a zero state before the first save).
func (s *Store) FeedbackDraftFull(ctx context.Context, consultationID int64) (FeedbackDraftState, error) {
	return feedbackDraftState(ctx, s.r, consultationID)
}

func feedbackDraftState(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, consultationID int64) (FeedbackDraftState, error) {
	var st FeedbackDraftState
	var at int64
	err := q.QueryRowContext(ctx, `SELECT summary, version, updated_at, updated_by FROM feedback_drafts WHERE consultation_id = ?`,
		consultationID).Scan(&st.Summary, &st.Version, &at, &st.UpdatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("store: feedback draft: %w", err)
	}
	st.UpdatedAt = time.Unix(at, 0)
	return st, nil
}

// SaveFeedbackDraft stores the summary being written.
func (s *Store) SaveFeedbackDraft(ctx context.Context, actor Actor, consultationID int64, summary string) error {
	return s.SaveFeedbackDraftVersion(ctx, actor, consultationID, summary, -1)
}

// SaveFeedbackDraftVersion stores the summary written on a form shown at version seen;
// if someone saved since, nothing is stored and the error is a *ConflictError with the
// draft as it now is. A negative seen skips the check.
func (s *Store) SaveFeedbackDraftVersion(ctx context.Context, actor Actor, consultationID int64, summary string, seen int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := feedbackDraftState(ctx, tx, consultationID)
		if err != nil {
			return err
		}
		if seen >= 0 && cur.Version != seen {
			return &ConflictError{Draft: &cur}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO feedback_drafts (consultation_id, summary, updated_at, updated_by, version) VALUES (?, ?, ?, ?, 1)
			ON CONFLICT (consultation_id) DO UPDATE SET summary = excluded.summary, updated_at = excluded.updated_at,
			updated_by = excluded.updated_by, version = feedback_drafts.version + 1`,
			consultationID, summary, time.Now().Unix(), actor.Username)
		if err != nil {
			return fmt.Errorf("store: save feedback draft: %w", err)
		}
		return nil
	})
}

// participantsSQL counts distinct commenters: by phone, else e-mail, else each comment.
const participantsSQL = `SELECT COUNT(DISTINCT COALESCE(NULLIF(phone, ''), NULLIF(email, ''), 'c' || id)) FROM comments WHERE consultation_id = ?`

// PublishFeedback publishes a new revision: the summary as drafted and a snapshot of
// every comment's decision, response and (if consented) name.
func (s *Store) PublishFeedback(ctx context.Context, actor Actor, consultationID int64, now time.Time) (*FeedbackReport, error) {
	r := &FeedbackReport{ConsultationID: consultationID, PublishedAt: time.Unix(now.Unix(), 0), PublishedBy: actor.Username}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(revision), 0) + 1 FROM feedback_reports WHERE consultation_id = ?`, consultationID).Scan(&r.Revision); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `SELECT summary FROM feedback_drafts WHERE consultation_id = ?`, consultationID).Scan(&r.Summary)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := tx.QueryRowContext(ctx, participantsSQL, consultationID).Scan(&r.Participants); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM comments WHERE consultation_id = ?`, consultationID).Scan(&r.Comments); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO feedback_reports (consultation_id, revision, summary, participants, comments, published_at, published_by)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, consultationID, r.Revision, r.Summary, r.Participants, r.Comments, r.PublishedAt.Unix(), r.PublishedBy)
		if err != nil {
			return fmt.Errorf("store: publish feedback: %w", err)
		}
		if r.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO feedback_items (report_id, comment_id, group_id, section_anchor, status, response, public_name)
			SELECT ?, id, group_id, section_anchor, status, response, CASE WHEN publish_name THEN name ELSE '' END
			FROM comments WHERE consultation_id = ?`, r.ID, consultationID); err != nil {
			return fmt.Errorf("store: feedback snapshot: %w", err)
		}
		return audit(ctx, tx, actor, AuditEntry{Action: "feedback_publish", ConsultationID: consultationID,
			Target: fmt.Sprintf("feedback:%d", r.Revision), After: map[string]any{"revision": r.Revision, "comments": r.Comments}})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// FeedbackReports returns a consultation's published revisions, the latest first.
func (s *Store) FeedbackReports(ctx context.Context, consultationID int64) ([]FeedbackReport, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, consultation_id, revision, summary, participants, comments, published_at, published_by
		FROM feedback_reports WHERE consultation_id = ? ORDER BY revision DESC`, consultationID)
	if err != nil {
		return nil, fmt.Errorf("store: feedback reports: %w", err)
	}
	defer rows.Close()
	var out []FeedbackReport
	for rows.Next() {
		var r FeedbackReport
		var at int64
		if err := rows.Scan(&r.ID, &r.ConsultationID, &r.Revision, &r.Summary, &r.Participants, &r.Comments, &at, &r.PublishedBy); err != nil {
			return nil, err
		}
		r.PublishedAt = time.Unix(at, 0)
		out = append(out, r)
	}
	return out, rows.Err()
}

// LatestFeedback returns the latest published revision, or ErrNotFound.
func (s *Store) LatestFeedback(ctx context.Context, consultationID int64) (*FeedbackReport, error) {
	list, err := s.FeedbackReports(ctx, consultationID)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("store: feedback of %d: %w", consultationID, ErrNotFound)
	}
	return &list[0], nil
}

// maxNames bounds how many consented names one item lists.
const maxNames = 5

// itemsSQL groups comments (or snapshot rows) that share a campaign group, a section,
// a decision and a response into one item; %s is the source of rows.
const itemsSQL = `SELECT x.group_id, x.section_anchor, x.status, x.response, MIN(x.comment_id), COUNT(*),
	COALESCE(GROUP_CONCAT(NULLIF(x.public_name, ''), char(31)), ''), x.draft_revision
	FROM (%s) x GROUP BY x.draft_revision, x.group_id, x.section_anchor, x.status, x.response ORDER BY MIN(x.comment_id)`

// FeedbackItems returns a published revision's items.
func (s *Store) FeedbackItems(ctx context.Context, reportID int64) ([]FeedbackItem, error) {
	return s.feedbackItems(ctx, fmt.Sprintf(itemsSQL, `SELECT i.comment_id, i.group_id, i.section_anchor, i.status, i.response, i.public_name,
		c.draft_revision FROM feedback_items i JOIN comments c ON c.id = i.comment_id WHERE i.report_id = ?`), reportID)
}

// LiveFeedbackItems returns the items as the next revision would publish them (the
// officers' preview).
func (s *Store) LiveFeedbackItems(ctx context.Context, consultationID int64) ([]FeedbackItem, error) {
	return s.feedbackItems(ctx, fmt.Sprintf(itemsSQL, `SELECT id AS comment_id, group_id, section_anchor, status, response,
		CASE WHEN publish_name THEN name ELSE '' END AS public_name, draft_revision FROM comments WHERE consultation_id = ?`), consultationID)
}

func (s *Store) feedbackItems(ctx context.Context, q string, arg int64) ([]FeedbackItem, error) {
	rows, err := s.r.QueryContext(ctx, q, arg)
	if err != nil {
		return nil, fmt.Errorf("store: feedback items: %w", err)
	}
	type raw struct {
		it    FeedbackItem
		first int64
		names string
	}
	var list []raw
	for rows.Next() {
		var r raw
		if err := rows.Scan(&r.it.GroupID, &r.it.SectionAnchor, &r.it.Status, &r.it.Response, &r.first, &r.it.Count, &r.names, &r.it.DraftRevision); err != nil {
			rows.Close()
			return nil, err
		}
		list = append(list, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	body, err := s.r.PrepareContext(ctx, `SELECT body FROM comments WHERE id = ?`)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	out := make([]FeedbackItem, len(list))
	for i, r := range list {
		if err := body.QueryRowContext(ctx, r.first).Scan(&r.it.Body); err != nil {
			return nil, fmt.Errorf("store: feedback item body: %w", err)
		}
		if r.names != "" {
			names := splitUnit(r.names)
			if len(names) > maxNames {
				r.it.MoreNames = len(names) - maxNames
				names = names[:maxNames]
			}
			r.it.Names = names
		}
		out[i] = r.it
	}
	return out, nil
}

func splitUnit(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == 31 {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// PublishedDecision is what the latest report says about one comment.
type PublishedDecision struct {
	Report   FeedbackReport
	Status   string
	Response string
}

// PublishedDecisionFor returns the latest report's decision on a comment, or ErrNotFound
// when no report including it has been published.
func (s *Store) PublishedDecisionFor(ctx context.Context, consultationID, commentID int64) (*PublishedDecision, error) {
	var d PublishedDecision
	var at int64
	err := s.r.QueryRowContext(ctx, `SELECT r.id, r.consultation_id, r.revision, r.summary, r.participants, r.comments, r.published_at, r.published_by,
		i.status, i.response FROM feedback_reports r JOIN feedback_items i ON i.report_id = r.id
		WHERE r.consultation_id = ? AND i.comment_id = ? ORDER BY r.revision DESC LIMIT 1`, consultationID, commentID).
		Scan(&d.Report.ID, &d.Report.ConsultationID, &d.Report.Revision, &d.Report.Summary, &d.Report.Participants, &d.Report.Comments,
			&at, &d.Report.PublishedBy, &d.Status, &d.Response)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: published decision: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: published decision: %w", err)
	}
	d.Report.PublishedAt = time.Unix(at, 0)
	return &d, nil
}

// Participants counts a consultation's distinct commenters (by phone, else e-mail).
func (s *Store) Participants(ctx context.Context, consultationID int64) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, participantsSQL, consultationID).Scan(&n)
	return n, err
}
