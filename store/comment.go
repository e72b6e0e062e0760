package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"consult/store/dedupe"
)

// Comment is one comment on a consultation, on a section or on the draft as a whole.
type Comment struct {
	ID             int64
	ConsultationID int64
	SectionID      int64  // 0: the draft as a whole
	SectionAnchor  string // general / preamble / chapter-N / article-N
	Tracking       string
	SubmissionKey  string // one per rendered form; a replay returns the first comment
	Body           string
	Name           string
	Identity       string
	Organization   string
	Phone          string
	Email          string
	PublishName    bool
	ConsentedAt    time.Time
	Channel        string
	Late           bool
	Status         string
	CreatedAt      time.Time
	Response       string // 处理意见/理由: may be published in the feedback report
	Note           string // internal
	Tags           string // space-separated
	DecidedBy      string
	DecidedAt      time.Time
	ReceivedAt     time.Time // letters and calls: when the office received it
	RecordedBy     string    // letters and calls: the officer who typed it in
	GroupID        int64     // duplicate group: the id of its first comment
	Version        int64     // bumped by every decision (optimistic locking)
	AssignedTo     string    // the officer it is assigned to, "" for nobody
	DraftRevision  int       // the revision of the draft it was written on (0 when creating: the one on show)
}

// Comment statuses as stored; the officer workspace adds decisions.
const (
	StatusPending = "pending"
)

const commentColumns = `id, consultation_id, COALESCE(section_id, 0), section_anchor, tracking,
	COALESCE(submission_key, ''), body, name, identity, organization, phone, email, publish_name,
	consented_at, channel, late, status, created_at, response, note, tags, decided_by, decided_at,
	received_at, recorded_by, group_id, version, assigned_to, draft_revision`

// commentColumnsC is commentColumns for a query that calls the comments table "c".
const commentColumnsC = `c.id, c.consultation_id, COALESCE(c.section_id, 0), c.section_anchor, c.tracking,
	COALESCE(c.submission_key, ''), c.body, c.name, c.identity, c.organization, c.phone, c.email, c.publish_name,
	c.consented_at, c.channel, c.late, c.status, c.created_at, c.response, c.note, c.tags, c.decided_by, c.decided_at,
	c.received_at, c.recorded_by, c.group_id, c.version, c.assigned_to, c.draft_revision`

func scanComment(row interface{ Scan(...any) error }) (*Comment, error) {
	var c Comment
	var consented, created, decided, received int64
	err := row.Scan(&c.ID, &c.ConsultationID, &c.SectionID, &c.SectionAnchor, &c.Tracking, &c.SubmissionKey,
		&c.Body, &c.Name, &c.Identity, &c.Organization, &c.Phone, &c.Email, &c.PublishName,
		&consented, &c.Channel, &c.Late, &c.Status, &created, &c.Response, &c.Note, &c.Tags,
		&c.DecidedBy, &decided, &received, &c.RecordedBy, &c.GroupID, &c.Version, &c.AssignedTo, &c.DraftRevision)
	if err != nil {
		return nil, err
	}
	c.ConsentedAt, c.CreatedAt = time.Unix(consented, 0), time.Unix(created, 0)
	if decided != 0 {
		c.DecidedAt = time.Unix(decided, 0)
	}
	if received != 0 {
		c.ReceivedAt = time.Unix(received, 0)
	}
	return &c, nil
}

// CreateComment stores a comment durably and returns it with its tracking number.
// It returns only after the transaction holding the comment has committed (with
// synchronous=FULL), so an acknowledgement sent after it survives a crash. Concurrent
// calls share commits (group commit). When a comment with the same SubmissionKey
// exists, that one is returned with created == false.
func (s *Store) CreateComment(ctx context.Context, c *Comment) (saved *Comment, created bool, err error) {
	// Fingerprinting is pure CPU and the duplicate look-up a read: do both here, in the
	// caller's goroutine, not in the single committer.
	fp := dedupe.Of(c.Body)
	return s.enqueue(ctx, &commentReq{c: c, fp: fp, hint: s.groupHint(ctx, c.ConsultationID, fp), done: make(chan commentRes, 1)})
}

// CreateCommentWithCaptcha is CreateComment for a comment answered with a captcha:
// the captcha is used up in the same transaction that stores the comment, so the
// comment is saved exactly when its captcha is used. A captcha used already gives
// ErrCaptchaUsed (unless it was used by this same form, whose comment is returned).
func (s *Store) CreateCommentWithCaptcha(ctx context.Context, c *Comment, captchaID string, now time.Time) (saved *Comment, created bool, err error) {
	req := &commentReq{captcha: captchaID, now: now, done: make(chan commentRes, 1)}
	if c != nil {
		req.c, req.fp = c, dedupe.Of(c.Body)
		req.hint = s.groupHint(ctx, c.ConsultationID, req.fp)
	}
	return s.enqueue(ctx, req)
}

// enqueue hands a request to the group committer and waits for its commit.
func (s *Store) enqueue(ctx context.Context, req *commentReq) (saved *Comment, created bool, err error) {
	select {
	case s.commentQ <- req:
	case <-s.quit:
		return nil, false, errors.New("store: closed")
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
	// Once queued the comment will be written: wait for the commit even if the client
	// went away, so "created" is never ambiguous.
	res := <-req.done
	return res.c, res.created, res.err
}

type commentReq struct {
	c       *Comment // nil: only use up the captcha (a wrong answer)
	fp      dedupe.Fingerprint
	hint    groupHint // what a read connection found of its duplicates before it was queued
	captcha string    // captcha id to use up with the comment, if any
	now     time.Time // the caller's clock, for captcha expiry
	done    chan commentRes
}

type commentRes struct {
	c       *Comment
	created bool
	err     error
}

// maxBatch bounds how many comments share one commit.
const maxBatch = 256

// While comments arrive from several people at once (the last batch held more than
// one), a batch of fewer than gatherMin takes in what arrives within gatherWait before
// it is committed: each commit costs the writer about as much again as its comments
// (WAL frames, fsync, the full-text flush), so fewer, larger commits leave more CPU to
// the handlers. Comments/s +11-14 % at 16 clients, +1-9 % at 64 (most with the captcha
// on), unchanged at 1 (bench/cycle.txt, session 8). After a batch of one nothing is
// held, so comments that come one at a time are not delayed; only the first after a
// busy moment can wait, gatherWait at most.
const (
	gatherMin  = 8
	gatherWait = time.Millisecond
)

// gather is the batch that starts with first: what is queued already, and, while the
// last batch held more than one comment and this one is short of gatherMin, what
// arrives within wait (up to maxBatch).
func (s *Store) gather(first *commentReq, last int, wait time.Duration) []*commentReq {
	batch := []*commentReq{first}
fill:
	for len(batch) < maxBatch {
		select {
		case r := <-s.commentQ:
			batch = append(batch, r)
		default:
			break fill
		}
	}
	if !holdBatch(last, len(batch)) {
		return batch
	}
	return s.takeIn(batch, wait)
}

// holdBatch reports whether a batch of n, after one of last, waits for more.
func holdBatch(last, n int) bool { return last > 1 && n < gatherMin }

// takeIn adds to batch what arrives within wait, up to maxBatch.
func (s *Store) takeIn(batch []*commentReq, wait time.Duration) []*commentReq {
	t := time.NewTimer(wait)
	defer t.Stop()
	for len(batch) < maxBatch {
		select {
		case r := <-s.commentQ:
			batch = append(batch, r)
		case <-t.C:
			return batch
		}
	}
	return batch
}

// runCommitter takes queued comments and writes each batch in one transaction.
func (s *Store) runCommitter() {
	defer close(s.committerDone)
	last := 0 // comments in the last batch
	for {
		var first *commentReq
		var lag <-chan time.Time // comments wait for the full-text index (store/fts.go)
		if s.fts.pending > 0 && !s.fts.hold {
			lag = time.After(ftsMaxLag - time.Since(s.fts.since))
		}
		select {
		case first = <-s.commentQ:
		case h := <-s.ftsHold:
			s.fts.hold = h.on
			close(h.done)
			continue
		case <-lag:
			_ = s.flushFTS(context.Background()) // a failure leaves them queued: the next batch or Open
			continue
		case <-s.quit:
			// Write what is already queued, index the rest, then stop.
			for {
				select {
				case r := <-s.commentQ:
					s.commitBatch([]*commentReq{r})
				default:
					_ = s.flushFTS(context.Background())
					return
				}
			}
		}
		batch := s.gather(first, last, gatherWait)
		last = len(batch)
		s.commitBatch(batch)
	}
}

// commitBatch writes a batch in one transaction. A failing row would abort the batch,
// so then each comment is retried in a transaction of its own: the others still land,
// and the failing one gets its own error. (No per-row savepoints: each would make FTS5
// flush its pending index data, about a third of the insert cost.)
func (s *Store) commitBatch(batch []*commentReq) {
	ctx := context.Background()
	results := make([]commentRes, len(batch))
	var mem batchMemory
	var plan ftsPlan
	newIDs := 0
	t0 := time.Now()
	var latest time.Time
	for _, r := range batch {
		if r.captcha != "" && r.now.After(latest) {
			latest = r.now
		}
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if !latest.IsZero() && latest.Sub(s.capPruned) > time.Minute {
			if err := pruneCaptchas(ctx, tx, latest); err != nil {
				return err
			}
		}
		var ids []any
		var next int64 // the next comment's id
		if err := tx.StmtContext(ctx, s.stmts.nextID).QueryRowContext(ctx).Scan(&next); err != nil {
			return fmt.Errorf("store: next comment id: %w", err)
		}
		s.recent.sync(next)
		mem = batchMemory{ring: &s.recent}
		for i, r := range batch {
			results[i] = commentRes{}
			if r.captcha != "" {
				fresh, err := claimCaptcha(ctx, tx, r.captcha)
				if err != nil {
					return err
				}
				if !fresh {
					results[i].err = ErrCaptchaUsed
					if r.c == nil {
						results[i].err = nil // a wrong answer to a captcha used already
					} else if r.c.SubmissionKey != "" { // the same form twice (double click)?
						old, err := scanComment(tx.QueryRowContext(ctx, `SELECT `+commentColumns+` FROM comments WHERE submission_key = ?`, r.c.SubmissionKey))
						if err == nil {
							results[i] = commentRes{old, false, nil}
						} else if !errors.Is(err, sql.ErrNoRows) {
							return err
						}
					}
					continue
				}
			}
			if r.c == nil {
				continue
			}
			c, created, err := s.insertComment(ctx, tx, r.c, r.fp, r.hint, &next, &mem)
			if err != nil {
				return err
			}
			results[i] = commentRes{c, created, nil}
			if created {
				ids = append(ids, c.ID)
			}
		}
		plan = s.fts.planFTS(len(ids), len(s.commentQ) > 0, time.Now())
		if err := indexBatch(ctx, tx, plan, s.fts.pending, ids); err != nil { // store/fts.go
			return err
		}
		newIDs = len(ids)
		return applyRouteRules(ctx, tx, ids) // standing routing rules (store/routing.go)
	})
	if err == nil {
		s.observeCommit(len(batch), time.Since(t0))
		s.recent.add(mem.batch)
		s.fts.applied(plan, newIDs, time.Now())
	}
	if err != nil && len(batch) > 1 {
		for _, r := range batch {
			s.commitBatch([]*commentReq{r})
		}
		return
	}
	if err == nil && !latest.IsZero() && latest.Sub(s.capPruned) > time.Minute {
		s.capPruned = latest
	}
	for i, r := range batch {
		if err != nil {
			r.done <- commentRes{err: err}
			continue
		}
		r.done <- results[i]
	}
}

// insertComment stores a comment with the id *next (read from the table when 0) and
// its duplicate group, so the row is written once, and counts it in the group. mem,
// the group committer's, is nil for a comment stored by a transaction of its own.
func (s *Store) insertComment(ctx context.Context, tx *sql.Tx, in *Comment, fp dedupe.Fingerprint, hint groupHint, next *int64, mem *batchMemory) (*Comment, bool, error) {
	c := *in
	if c.Channel == "" {
		c.Channel = "web"
	}
	if c.Status == "" {
		c.Status = StatusPending
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now()
	}
	var key, section any
	if c.SubmissionKey != "" {
		key = c.SubmissionKey
	}
	if c.SectionID != 0 {
		section = c.SectionID
	}
	var sig any
	if fp.Comparable() {
		sig = fp.SigBytes()
	}
	if *next == 0 {
		if err := tx.StmtContext(ctx, s.stmts.nextID).QueryRowContext(ctx).Scan(next); err != nil {
			return nil, false, fmt.Errorf("store: next comment id: %w", err)
		}
	}
	id := *next
	gid, err := s.groupOf(ctx, tx, c.ConsultationID, fp, hint, mem)
	if err != nil {
		return nil, false, err
	}
	if gid == 0 {
		gid = id
	}
	for attempt := 0; ; attempt++ {
		if c.Tracking == "" || attempt > 0 {
			c.Tracking = NewTrackingNumber()
		}
		err := tx.StmtContext(ctx, s.stmts.insert).QueryRowContext(ctx,
			id, c.ConsultationID, section, c.SectionAnchor, c.Tracking, key, c.Body, c.Name, c.Identity,
			c.Organization, c.Phone, c.Email, c.PublishName, c.ConsentedAt.Unix(), c.Channel, c.Late,
			c.Status, c.CreatedAt.Unix(), unixOrZero(c.ReceivedAt), c.RecordedBy,
			fp.Hash, sig, fp.Bands[0], fp.Bands[1], fp.Bands[2], fp.Bands[3], fp.Bands[4], gid,
			section, c.DraftRevision, c.ConsultationID).Scan(&c.ID, &c.DraftRevision)
		switch {
		case err == nil:
			*next++
			c.CreatedAt = time.Unix(c.CreatedAt.Unix(), 0)
			if err := s.countInGroup(ctx, tx, gid, id, c.ConsultationID); err != nil {
				return nil, false, err
			}
			c.GroupID = gid
			if mem != nil {
				mem.batch = append(mem.batch, recentComment{id: id, consultationID: c.ConsultationID, group: gid, fp: fp})
			}
			return &c, true, nil
		case errors.Is(err, sql.ErrNoRows): // the same form was submitted before
			old, err := scanComment(tx.QueryRowContext(ctx, `SELECT `+commentColumns+` FROM comments WHERE submission_key = ?`, c.SubmissionKey))
			if err != nil {
				return nil, false, fmt.Errorf("store: comment by submission key: %w", err)
			}
			return old, false, nil
		case isUnique(err) && attempt < 3: // tracking number collision: draw again
			continue
		default:
			return nil, false, fmt.Errorf("store: create comment: %w", err)
		}
	}
}

// indexComments adds new comments to the full-text index in one statement, in the
// transaction that stores them (the text ends with a U+0001 sentinel; see store/queue.go).
func indexComments(ctx context.Context, tx *sql.Tx, ids []any) error {
	if len(ids) == 0 {
		return nil
	}
	q := `INSERT INTO comments_fts (rowid, body) SELECT id, body || char(1) FROM comments WHERE id IN (?` +
		strings.Repeat(",?", len(ids)-1) + `)`
	if _, err := tx.ExecContext(ctx, q, ids...); err != nil {
		return fmt.Errorf("store: index comments: %w", err)
	}
	return nil
}

// groupOf returns the duplicate group a new comment joins: of an earlier identical or
// near-identical comment of the same consultation, or 0 for a group of its own.
// hint is what the read connection found among the comments up to hint.upTo, so the
// writer looks only at the few stored since: in the committer's memory of the latest
// comments (store/recent.go) when it covers them, else in one query (sinceSnapshot).
func (s *Store) groupOf(ctx context.Context, tx *sql.Tx, consultationID int64, fp dedupe.Fingerprint, hint groupHint, mem *batchMemory) (int64, error) {
	if hint.exact != 0 {
		return hint.exact, nil
	}
	if !hint.ok {
		return s.stmts.group.find(ctx, tx, consultationID, fp, 0, 0)
	}
	if mem != nil && mem.ring.covers(hint.upTo) {
		if gid := inMemory(mem.ring, mem.batch, consultationID, fp, hint.upTo); gid != 0 {
			return gid, nil
		}
		return hint.near, nil
	}
	gid, complete, err := s.sinceSnapshot(ctx, tx, consultationID, fp, hint.upTo)
	if err == nil && !complete { // far more were stored since: the indexed look-ups
		gid, err = s.stmts.group.find(ctx, tx, consultationID, fp, hint.upTo, 0)
	}
	if gid == 0 && err == nil {
		gid = hint.near
	}
	return gid, err
}

// sinceLimit bounds how many comments stored since a hint's snapshot the writer reads
// one by one; past it (a hint far behind) it uses the indexed look-ups.
const sinceLimit = 512

// sinceSnapshot is find over the comments stored after id upTo, read in one range scan
// of the table: the group of the first with the same normalised text, else of the
// latest that shares a band and is similar enough. complete is false when there were
// more than sinceLimit.
func (s *Store) sinceSnapshot(ctx context.Context, tx *sql.Tx, consultationID int64, fp dedupe.Fingerprint, upTo int64) (gid int64, complete bool, err error) {
	rows, err := tx.StmtContext(ctx, s.stmts.since).QueryContext(ctx, upTo, consultationID, sinceLimit+1)
	if err != nil {
		return 0, false, fmt.Errorf("store: duplicate look-up: %w", err)
	}
	defer rows.Close()
	g := groupScan{fp: fp}
	n := 0
	for rows.Next() {
		n++
		var group int64
		var hash string
		var blob []byte
		var bands [dedupe.NumBands]int64
		if err := rows.Scan(&group, &hash, &blob, &bands[0], &bands[1], &bands[2], &bands[3], &bands[4]); err != nil {
			return 0, false, err
		}
		if g.see(group, hash, bands, func() dedupe.Fingerprint { return dedupe.Fingerprint{Sig: dedupe.SigFromBytes(blob)} }) {
			return g.near, true, nil
		}
	}
	if err := rows.Err(); err != nil {
		return 0, false, err
	}
	return g.near, n <= sinceLimit, nil
}

// nearCandidates is how many of the latest comments sharing a band with a new comment
// are compared with it.
const nearCandidates = 64

// batchMemory is what a group commit's duplicate look-ups know without a query: the
// ring of the latest committed comments and those stored earlier in the same batch.
type batchMemory struct {
	ring  *recentComments
	batch []recentComment
}

// groupHint is the duplicate look-up of a comment about to be queued, done on a read
// connection: the group of the first comment with the same normalised text (exact)
// or else of a near-identical one (near), among the comments up to id upTo.
// The zero hint (the read failed) leaves the whole look-up to the writer.
type groupHint struct {
	ok                bool
	upTo, exact, near int64
}

func (s *Store) groupHint(ctx context.Context, consultationID int64, fp dedupe.Fingerprint) groupHint {
	h := groupHint{ok: true}
	if err := s.rstmts.maxID.QueryRowContext(ctx).Scan(&h.upTo); err != nil {
		return groupHint{}
	}
	exact, err := s.rstmts.group.exact(ctx, nil, consultationID, fp, 0, 0)
	if err != nil {
		return groupHint{}
	}
	if exact != 0 {
		h.exact = exact
		return h
	}
	if h.near, err = s.rstmts.group.near(ctx, nil, consultationID, fp, 0, 0); err != nil {
		return groupHint{}
	}
	return h
}

// findGroup returns the group of an earlier identical or near-identical comment of the
// consultation (other than id), or 0 (the look-up of an import's transaction).
func (s *Store) findGroup(ctx context.Context, tx *sql.Tx, id, consultationID int64, fp dedupe.Fingerprint) (int64, error) {
	return s.stmts.group.find(ctx, tx, consultationID, fp, 0, id)
}

// groupStmts are the duplicate look-ups, prepared on the writer or on the read pool.
type groupStmts struct {
	norm *sql.Stmt
	band [dedupe.NumBands]*sql.Stmt
}

// normLookupSQL and bandLookupSQL are the look-ups of identical and near-identical
// comments (their plans: TestPlansUseTheirIndexes).
const normLookupSQL = `SELECT group_id FROM comments WHERE consultation_id = ? AND norm_hash = ? AND id > ? AND id != ? LIMIT 1`

func bandLookupSQL(b int) string {
	return fmt.Sprintf(`SELECT group_id, minhash FROM comments
			WHERE consultation_id = ? AND band%d = ? AND band%d != 0 AND id > ? AND id != ? ORDER BY id DESC LIMIT %d`, b, b, nearCandidates)
}

func (g *groupStmts) prepare(prep func(string) *sql.Stmt) {
	g.norm = prep(normLookupSQL)
	for b := range g.band {
		g.band[b] = prep(bandLookupSQL(b))
	}
}

// find returns, among the comments of the consultation with ids above after (other
// than exclude), the group of the first with the same normalised text, else of the
// most recent (of up to nearCandidates per band) whose signature is similar enough,
// else 0. tx nil runs the statements on their own pool.
func (g *groupStmts) find(ctx context.Context, tx *sql.Tx, consultationID int64, fp dedupe.Fingerprint, after, exclude int64) (int64, error) {
	gid, err := g.exact(ctx, tx, consultationID, fp, after, exclude)
	if gid != 0 || err != nil {
		return gid, err
	}
	return g.near(ctx, tx, consultationID, fp, after, exclude)
}

func inTx(ctx context.Context, tx *sql.Tx, st *sql.Stmt) *sql.Stmt {
	if tx == nil {
		return st
	}
	return tx.StmtContext(ctx, st)
}

func (g *groupStmts) exact(ctx context.Context, tx *sql.Tx, consultationID int64, fp dedupe.Fingerprint, after, exclude int64) (int64, error) {
	var gid int64
	err := inTx(ctx, tx, g.norm).QueryRowContext(ctx, consultationID, fp.Hash, after, exclude).Scan(&gid)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("store: duplicate look-up: %w", err)
	}
	return gid, nil
}

func (g *groupStmts) near(ctx context.Context, tx *sql.Tx, consultationID int64, fp dedupe.Fingerprint, after, exclude int64) (int64, error) {
	if !fp.Comparable() {
		return 0, nil
	}
	for b := 0; b < dedupe.NumBands; b++ {
		rows, err := inTx(ctx, tx, g.band[b]).QueryContext(ctx, consultationID, fp.Bands[b], after, exclude)
		if err != nil {
			return 0, fmt.Errorf("store: near-duplicate look-up: %w", err)
		}
		for rows.Next() {
			var gid int64
			var blob []byte
			if err := rows.Scan(&gid, &blob); err != nil {
				rows.Close()
				return 0, err
			}
			other := dedupe.Fingerprint{Sig: dedupe.SigFromBytes(blob)}
			if dedupe.Similarity(fp, other) >= dedupe.Threshold {
				rows.Close()
				return gid, nil
			}
		}
		if err := rows.Close(); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// countInGroup records comment id as a member of group gid (a new group when gid == id).
func (s *Store) countInGroup(ctx context.Context, tx *sql.Tx, gid, id, consultationID int64) error {
	if gid == id {
		if _, err := tx.StmtContext(ctx, s.stmts.newGroup).ExecContext(ctx, id, consultationID); err != nil {
			return fmt.Errorf("store: new group: %w", err)
		}
	} else if _, err := tx.StmtContext(ctx, s.stmts.growGroup).ExecContext(ctx, gid); err != nil {
		return fmt.Errorf("store: join group: %w", err)
	}
	return nil
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// CommentByTracking returns the comment with that (normalised) tracking number.
func (s *Store) CommentByTracking(ctx context.Context, tracking string) (*Comment, error) {
	c, err := scanComment(s.r.QueryRowContext(ctx, `SELECT `+commentColumns+` FROM comments WHERE tracking = ?`, tracking))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: comment %q: %w", tracking, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: comment %q: %w", tracking, err)
	}
	return c, nil
}

// SubmittedForm is what a form's POST needs to know of the comment its key stored
// already (the same form sent twice): where the receipt is.
type SubmittedForm struct {
	ConsultationID int64
	Tracking       string
}

// FormSubmitted returns the comment stored with form key key, or ErrNotFound. Every
// comment's POST asks, so it is one prepared look-up of two columns on the read pool.
func (s *Store) FormSubmitted(ctx context.Context, key string) (SubmittedForm, error) {
	var f SubmittedForm
	err := s.rstmts.formKey.QueryRowContext(ctx, key).Scan(&f.ConsultationID, &f.Tracking)
	if errors.Is(err, sql.ErrNoRows) {
		return f, fmt.Errorf("store: comment with key: %w", ErrNotFound)
	}
	if err != nil {
		return f, fmt.Errorf("store: comment with key: %w", err)
	}
	return f, nil
}

func countComments(ctx context.Context, tx *sql.Tx, consultationID int64) (int, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM comments WHERE consultation_id = ?`, consultationID).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count comments of %d: %w", consultationID, err)
	}
	return n, nil
}

// StatusCounts returns how many comments of a consultation have each status.
func (s *Store) StatusCounts(ctx context.Context, consultationID int64) (map[string]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT status, COUNT(*) FROM comments WHERE consultation_id = ? GROUP BY status`, consultationID)
	if err != nil {
		return nil, fmt.Errorf("store: status counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

// commentStmts are the insert path's statements, prepared once on the writer
// connection: preparing them per comment cost about as much as running them.
type commentStmts struct {
	insert, nextID, since, newGroup, growGroup *sql.Stmt
	group                                      groupStmts
}

// readStmts are the look-ups a comment needs before it is queued, on the read pool.
type readStmts struct {
	maxID   *sql.Stmt
	formKey *sql.Stmt
	group   groupStmts
}

func (s *Store) prepareCommentStmts(ctx context.Context) error {
	var err error
	on := func(db *sql.DB) func(string) *sql.Stmt {
		return func(q string) *sql.Stmt {
			if err != nil {
				return nil
			}
			var st *sql.Stmt
			st, err = db.PrepareContext(ctx, q)
			return st
		}
	}
	prep, rprep := on(s.w), on(s.r)
	s.stmts.insert = prep(`INSERT INTO comments (id, consultation_id, section_id, section_anchor,
		tracking, submission_key, body, name, identity, organization, phone, email, publish_name,
		consented_at, channel, late, status, created_at, received_at, recorded_by,
		norm_hash, minhash, band0, band1, band2, band3, band4, group_id, draft_revision)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,` + commentRevision + `)
		ON CONFLICT (submission_key) DO NOTHING RETURNING id, draft_revision`)
	s.stmts.group.prepare(prep)
	s.stmts.newGroup = prep(`INSERT INTO dup_groups (id, consultation_id, size) VALUES (?, ?, 1)`)
	s.stmts.growGroup = prep(`UPDATE dup_groups SET size = size + 1 WHERE id = ?`)
	s.stmts.nextID = prep(`SELECT COALESCE(MAX(id), 0) + 1 FROM comments`)
	s.stmts.since = prep(`SELECT group_id, norm_hash, minhash, band0, band1, band2, band3, band4 FROM comments
		WHERE id > ? AND consultation_id = ? ORDER BY id LIMIT ?`)
	s.rstmts.maxID = rprep(`SELECT COALESCE(MAX(id), 0) FROM comments`)
	s.rstmts.formKey = rprep(`SELECT consultation_id, tracking FROM comments WHERE submission_key = ?`)
	s.rstmts.group.prepare(rprep)
	if err != nil {
		return fmt.Errorf("store: prepare: %w", err)
	}
	return nil
}
