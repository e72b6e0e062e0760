package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// CaptchaTTL is how long a captcha may be answered.
const CaptchaTTL = 20 * time.Minute

// CaptchaMaxRows bounds the table: beyond it the oldest captchas are dropped.
const CaptchaMaxRows = 100_000

// CreateCaptcha stores a captcha's answer and prunes expired and excess rows.
func (s *Store) CreateCaptcha(ctx context.Context, id, digits string, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM captchas WHERE created_at < ?`, now.Add(-CaptchaTTL).Unix()); err != nil {
			return fmt.Errorf("store: prune captchas: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM captchas WHERE id IN (SELECT id FROM captchas
			ORDER BY created_at DESC LIMIT -1 OFFSET ?)`, CaptchaMaxRows-1); err != nil {
			return fmt.Errorf("store: cap captchas: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO captchas (id, digits, created_at) VALUES (?, ?, ?)`, id, digits, now.Unix()); err != nil {
			return fmt.Errorf("store: create captcha: %w", err)
		}
		return nil
	})
}

// CaptchaDigits returns a live captcha's answer without using it up (to draw its
// image or audio), or ErrNotFound.
func (s *Store) CaptchaDigits(ctx context.Context, id string, now time.Time) (string, error) {
	var d string
	err := s.r.QueryRowContext(ctx, `SELECT digits FROM captchas WHERE id = ? AND created_at >= ?`, id, now.Add(-CaptchaTTL).Unix()).Scan(&d)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store: captcha %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("store: captcha %q: %w", id, err)
	}
	return d, nil
}

// UseCaptcha deletes a captcha and reports whether answer matched it: each captcha
// can be tried once, right or wrong.
func (s *Store) UseCaptcha(ctx context.Context, id, answer string, now time.Time) (bool, error) {
	var digits string
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `DELETE FROM captchas WHERE id = ? AND created_at >= ? RETURNING digits`,
			id, now.Add(-CaptchaTTL).Unix()).Scan(&digits)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: use captcha %q: %w", id, err)
	}
	return digits != "" && digits == answer, nil
}
