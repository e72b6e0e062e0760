package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// CaptchaTTL is how long a captcha may be answered.
const CaptchaTTL = 20 * time.Minute

// CaptchaLen is the number of digits to read: enough with one try per captcha and
// per-client limits, short enough for older eyes.
const CaptchaLen = 5

// captchaSkew is how far in the future an id's issue time may lie (clocks of several
// instances differ a little).
const captchaSkew = time.Minute

// ErrCaptchaUsed is returned when a comment comes with a captcha that was used up
// already (by another comment, or by a wrong answer).
var ErrCaptchaUsed = errors.New("store: captcha already used")

// A captcha id is 12 bytes in unpadded base32 (20 characters): the issue time in unix
// seconds (4 bytes) and 8 random bytes. Nothing is stored when it is issued.
const captchaIDBytes = 12

// NewCaptchaID issues a captcha id at now. It writes nothing.
func (s *Store) NewCaptchaID(now time.Time) string {
	var raw [captchaIDBytes]byte
	binary.BigEndian.PutUint32(raw[:4], uint32(now.Unix()))
	if _, err := rand.Read(raw[4:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base32.StdEncoding.EncodeToString(raw[:])[:20]
}

// captchaIssued decodes an id's issue time, refusing ids that are not exactly what
// NewCaptchaID produces.
func captchaIssued(id string) (time.Time, bool) {
	if len(id) != 20 {
		return time.Time{}, false
	}
	raw, err := base32.StdEncoding.DecodeString(id + "====")
	if err != nil || len(raw) != captchaIDBytes || base32.StdEncoding.EncodeToString(raw)[:20] != id {
		return time.Time{}, false
	}
	return time.Unix(int64(binary.BigEndian.Uint32(raw[:4])), 0), true
}

// CaptchaDigits returns the answer of a live captcha (to draw its image or audio, or
// to check an answer), computed from the id and the secret without reading the
// database; ErrNotFound for an id that is malformed, expired or from the future.
// Whether it was used up already is known only to the committer.
func (s *Store) CaptchaDigits(id string, now time.Time) (string, error) {
	issued, ok := captchaIssued(id)
	if !ok || now.Sub(issued) > CaptchaTTL || issued.Sub(now) > captchaSkew {
		return "", fmt.Errorf("store: captcha %q: %w", id, ErrNotFound)
	}
	m := hmac.New(sha256.New, s.captchaSecret)
	m.Write([]byte("captcha:" + id))
	n := binary.BigEndian.Uint64(m.Sum(nil)[:8]) % 100_000
	return fmt.Sprintf("%0*d", CaptchaLen, n), nil
}

// CaptchaImageKey is the key that seeds the drawing of captcha images
// (server/captchaimage). It is derived from the database's secret, so every instance
// and every restart draws the same picture of a captcha; it is not the key of the
// answers ("captcha:" + id above), from which it cannot be told.
func (s *Store) CaptchaImageKey() []byte {
	m := hmac.New(sha256.New, s.captchaSecret)
	m.Write([]byte("captcha-image"))
	return m.Sum(nil)
}

// BurnCaptcha uses a captcha up without a comment (a wrong answer: each captcha can be
// tried once). It goes through the group committer, so it shares a commit with the
// comments arriving at the same time.
func (s *Store) BurnCaptcha(ctx context.Context, id string, now time.Time) error {
	_, _, err := s.enqueue(ctx, &commentReq{captcha: id, now: now, done: make(chan commentRes, 1)})
	return err
}

// claimCaptcha records a captcha as used in the committer's transaction and reports
// whether it was still unused.
func claimCaptcha(ctx context.Context, tx *sql.Tx, id string) (bool, error) {
	issued, ok := captchaIssued(id)
	if !ok {
		return false, nil
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO used_captchas (id, issued_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`, id, issued.Unix())
	if err != nil {
		return false, fmt.Errorf("store: use captcha: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// pruneCaptchas drops used captchas that could no longer be answered anyway.
func pruneCaptchas(ctx context.Context, tx *sql.Tx, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM used_captchas WHERE issued_at < ?`, now.Add(-CaptchaTTL-captchaSkew).Unix()); err != nil {
		return fmt.Errorf("store: prune captchas: %w", err)
	}
	return nil
}

// loadCaptchaSecret reads the captcha secret, making it on the first start.
func (s *Store) loadCaptchaSecret(ctx context.Context) error {
	err := s.w.QueryRowContext(ctx, `SELECT secret FROM captcha_secret WHERE id = 1`).Scan(&s.captchaSecret)
	if err == nil {
		return nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: captcha secret: %w", err)
	}
	var secret [32]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return err
	}
	// Another instance starting at the same moment may win: both then read its secret.
	if _, err := s.w.ExecContext(ctx, `INSERT INTO captcha_secret (id, secret) VALUES (1, ?) ON CONFLICT (id) DO NOTHING`, secret[:]); err != nil {
		return fmt.Errorf("store: captcha secret: %w", err)
	}
	if err := s.w.QueryRowContext(ctx, `SELECT secret FROM captcha_secret WHERE id = 1`).Scan(&s.captchaSecret); err != nil {
		return fmt.Errorf("store: captcha secret: %w", err)
	}
	if len(s.captchaSecret) < 32 {
		return errors.New("store: captcha secret too short")
	}
	return nil
}
