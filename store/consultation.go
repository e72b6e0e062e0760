package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Consultation is a draft open (or once open) for public comment.
type Consultation struct {
	ID             int64
	Slug           string
	Title          string // title lines joined with "\n"
	Publisher      string
	Category       string
	Source         string
	Call           string
	ContactName    string
	ContactPhone   string
	ContactEmail   string
	Signer         string
	SignedOn       string
	OpensAt        time.Time
	ClosesAt       time.Time
	WindowReason   string
	ConfigOpensAt  time.Time
	ConfigClosesAt time.Time
	DraftSHA256    string
	DraftRevision  int // the revision on show (store/revision.go), 1 until the draft is revised
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Section is the preamble, a chapter or an article of a consultation's draft.
type Section struct {
	ID       int64
	Position int // document order from 0
	Kind     string
	Parent   int // Position of the enclosing chapter, -1 if none
	Ordinal  int
	Label    string
	Heading  string
	Sep      string
	Body     string
	Anchor   string
	OpensAt  *time.Time // per-section window override, nil if none
	ClosesAt *time.Time
}

const consultationColumns = `id, slug, title, publisher, category, source, call_text,
	contact_name, contact_phone, contact_email, signer, signed_on, opens_at, closes_at,
	window_reason, config_opens_at, config_closes_at, draft_sha256, created_at, updated_at, draft_revision`

func scanConsultation(row interface{ Scan(...any) error }) (*Consultation, error) {
	var c Consultation
	var opens, closes, copens, ccloses, created, updated int64
	err := row.Scan(&c.ID, &c.Slug, &c.Title, &c.Publisher, &c.Category, &c.Source, &c.Call,
		&c.ContactName, &c.ContactPhone, &c.ContactEmail, &c.Signer, &c.SignedOn, &opens, &closes,
		&c.WindowReason, &copens, &ccloses, &c.DraftSHA256, &created, &updated, &c.DraftRevision)
	if err != nil {
		return nil, err
	}
	c.OpensAt, c.ClosesAt = time.Unix(opens, 0), time.Unix(closes, 0)
	c.ConfigOpensAt, c.ConfigClosesAt = time.Unix(copens, 0), time.Unix(ccloses, 0)
	c.CreatedAt, c.UpdatedAt = time.Unix(created, 0), time.Unix(updated, 0)
	return &c, nil
}

// ConsultationBySlug returns the consultation with that slug, or ErrNotFound.
func (s *Store) ConsultationBySlug(ctx context.Context, slug string) (*Consultation, error) {
	row := s.r.QueryRowContext(ctx, `SELECT `+consultationColumns+` FROM consultations WHERE slug = ?`, slug)
	c, err := scanConsultation(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: consultation %q: %w", slug, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: consultation %q: %w", slug, err)
	}
	return c, nil
}

// ListConsultations returns every consultation, the most recently opened first.
func (s *Store) ListConsultations(ctx context.Context) ([]Consultation, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+consultationColumns+` FROM consultations ORDER BY opens_at DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: list consultations: %w", err)
	}
	defer rows.Close()
	var out []Consultation
	for rows.Next() {
		c, err := scanConsultation(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list consultations: %w", err)
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

// CreateConsultation imports a consultation declared in config.toml: as
// CreateConsultationAudited (store/window.go), recorded as done by "config.toml".
func (s *Store) CreateConsultation(ctx context.Context, c *Consultation, secs []Section) (int64, error) {
	return s.CreateConsultationAudited(ctx, Actor{Username: "config.toml"}, c, secs)
}

// ReplaceDraft replaces a consultation's text (metadata and sections) after its draft
// file changed. It refuses with ErrHasComments once anyone has commented, since comments
// are keyed to the sections they were written about.
func (s *Store) ReplaceDraft(ctx context.Context, c *Consultation, secs []Section) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		n, err := countComments(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("store: consultation %q has %d comments: %w", c.Slug, n, ErrHasComments)
		}
		var rev int
		if err := tx.QueryRowContext(ctx, `SELECT draft_revision FROM consultations WHERE id = ?`, c.ID).Scan(&rev); err != nil {
			return fmt.Errorf("store: replace draft %q: %w", c.Slug, err)
		}
		if rev > 1 {
			return fmt.Errorf("store: consultation %q is at revision %d: %w", c.Slug, rev, ErrRevised)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE draft_revisions SET title = ?, draft_sha256 = ? WHERE consultation_id = ? AND number = 1`,
			c.Title, c.DraftSHA256, c.ID); err != nil {
			return fmt.Errorf("store: replace draft %q: %w", c.Slug, err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE consultations SET title=?, publisher=?, category=?,
			source=?, call_text=?, contact_name=?, contact_phone=?, contact_email=?, signer=?,
			signed_on=?, draft_sha256=?, updated_at=? WHERE id=?`,
			c.Title, c.Publisher, c.Category, c.Source, c.Call, c.ContactName, c.ContactPhone,
			c.ContactEmail, c.Signer, c.SignedOn, c.DraftSHA256, time.Now().Unix(), c.ID)
		if err != nil {
			return fmt.Errorf("store: replace draft %q: %w", c.Slug, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sections WHERE consultation_id = ?`, c.ID); err != nil {
			return fmt.Errorf("store: replace draft %q: %w", c.Slug, err)
		}
		return insertSections(ctx, tx, c.ID, secs)
	})
}

// ErrHasComments is returned when a change would orphan existing comments.
var ErrHasComments = errors.New("store: consultation already has comments")

// SetWindow sets a consultation's comment window with the reason for it. When fromConfig
// is true the window is also remembered as the one config.toml asked for.
func (s *Store) SetWindow(ctx context.Context, id int64, opens, closes time.Time, reason string, fromConfig bool) error {
	if !closes.After(opens) {
		return fmt.Errorf("store: window closes before it opens")
	}
	q := `UPDATE consultations SET opens_at=?, closes_at=?, window_reason=?, updated_at=? WHERE id=?`
	args := []any{opens.Unix(), closes.Unix(), reason, time.Now().Unix(), id}
	if fromConfig {
		q = `UPDATE consultations SET opens_at=?, closes_at=?, window_reason=?, updated_at=?,
			config_opens_at=?, config_closes_at=? WHERE id=?`
		args = []any{opens.Unix(), closes.Unix(), reason, time.Now().Unix(), opens.Unix(), closes.Unix(), id}
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("store: set window %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: set window %d: %w", id, ErrNotFound)
		}
		return nil
	})
}

func insertSections(ctx context.Context, tx *sql.Tx, consultationID int64, secs []Section) error {
	ids := make(map[int]int64, len(secs))
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO sections (consultation_id, position, kind,
		parent_id, ordinal, label, heading, sep, body, anchor, opens_at, closes_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`)
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
		res, err := stmt.ExecContext(ctx, consultationID, sec.Position, sec.Kind, parent, sec.Ordinal,
			sec.Label, sec.Heading, sec.Sep, sec.Body, sec.Anchor, unixOrNil(sec.OpensAt), unixOrNil(sec.ClosesAt))
		if err != nil {
			return fmt.Errorf("store: insert section %s: %w", sec.Anchor, err)
		}
		if ids[sec.Position], err = res.LastInsertId(); err != nil {
			return err
		}
	}
	return nil
}

// Sections returns the sections of a consultation's revision on show, in document order.
func (s *Store) Sections(ctx context.Context, consultationID int64) ([]Section, error) {
	return s.RevisionSections(ctx, consultationID, 0)
}

// RevisionSections returns the sections of one revision of a consultation's draft
// (0: the one on show), in document order.
func (s *Store) RevisionSections(ctx context.Context, consultationID int64, revision int) ([]Section, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT s.id, s.position, s.kind, COALESCE(p.position, -1),
		s.ordinal, s.label, s.heading, s.sep, s.body, s.anchor, s.opens_at, s.closes_at
		FROM sections s LEFT JOIN sections p ON p.id = s.parent_id
		WHERE s.consultation_id = ? AND s.draft_revision = `+revisionOr+` ORDER BY s.position`,
		consultationID, revision, consultationID)
	if err != nil {
		return nil, fmt.Errorf("store: sections of %d: %w", consultationID, err)
	}
	defer rows.Close()
	var out []Section
	for rows.Next() {
		var sec Section
		var opens, closes sql.NullInt64
		if err := rows.Scan(&sec.ID, &sec.Position, &sec.Kind, &sec.Parent, &sec.Ordinal, &sec.Label,
			&sec.Heading, &sec.Sep, &sec.Body, &sec.Anchor, &opens, &closes); err != nil {
			return nil, fmt.Errorf("store: sections of %d: %w", consultationID, err)
		}
		sec.OpensAt, sec.ClosesAt = timeOrNil(opens), timeOrNil(closes)
		out = append(out, sec)
	}
	return out, rows.Err()
}

func unixOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.Unix()
}

func timeOrNil(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := time.Unix(v.Int64, 0)
	return &t
}

// ConsultationByID returns the consultation with that id, or ErrNotFound.
func (s *Store) ConsultationByID(ctx context.Context, id int64) (*Consultation, error) {
	c, err := scanConsultation(s.r.QueryRowContext(ctx, `SELECT `+consultationColumns+` FROM consultations WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: consultation %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: consultation %d: %w", id, err)
	}
	return c, nil
}

// SetSectionWindow sets or clears (nil) a section's own comment window, which
// overrides its chapter's and the consultation's.
func (s *Store) SetSectionWindow(ctx context.Context, consultationID int64, anchor string, opens, closes *time.Time) error {
	if opens != nil && closes != nil && !closes.After(*opens) {
		return fmt.Errorf("store: window closes before it opens")
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sections SET opens_at = ?, closes_at = ? WHERE consultation_id = ? AND anchor = ?
			AND draft_revision = `+currentRevision,
			unixOrNil(opens), unixOrNil(closes), consultationID, anchor, consultationID)
		if err != nil {
			return fmt.Errorf("store: section window %s: %w", anchor, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: section window %s: %w", anchor, ErrNotFound)
		}
		return nil
	})
}
