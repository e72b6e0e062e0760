package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"consult/server/draft"
	"consult/store"
)

// syncConsultations brings the database in line with the [[consultation]] entries of
// config.toml, by these rules (documented in the README):
//   - a slug not yet in the database is imported from its draft file;
//   - a draft file whose content changed is re-imported while the consultation has no
//     comments; once it has comments the published text is kept and a warning logged;
//   - a window that differs from the one config.toml asked for last time is applied
//     (so editing config.toml and restarting changes the window), while a window
//     changed since by other means is left alone as long as config.toml is unchanged.
//
// Consultations in the database but not in config.toml are kept.
func syncConsultations(ctx context.Context, st *store.Store, cfg *Config, logger *slog.Logger) error {
	for i, cc := range cfg.Consultations {
		raw, err := os.ReadFile(cc.Draft)
		if err != nil {
			return fmt.Errorf("consultation[%d].draft: %w", i, err)
		}
		sum := sha256.Sum256(raw)
		c, secs, err := importDraft(string(raw))
		if err != nil {
			return fmt.Errorf("consultation[%d].draft: %s: %w", i, cc.Draft, err)
		}
		c.Slug = cc.Slug
		c.DraftSHA256 = hex.EncodeToString(sum[:])
		c.OpensAt, c.ClosesAt = cc.OpensAt, cc.ClosesAt
		c.ConfigOpensAt, c.ConfigClosesAt = cc.OpensAt, cc.ClosesAt
		c.WindowReason = cc.WindowReason

		old, err := st.ConsultationBySlug(ctx, cc.Slug)
		if errors.Is(err, store.ErrNotFound) {
			if _, err := st.CreateConsultation(ctx, c, secs); err != nil {
				return err
			}
			logger.Info("consultation imported", "slug", cc.Slug, "sections", len(secs))
			continue
		}
		if err != nil {
			return err
		}
		c.ID = old.ID
		if old.DraftSHA256 != c.DraftSHA256 {
			err := st.ReplaceDraft(ctx, c, secs)
			switch {
			case errors.Is(err, store.ErrHasComments):
				logger.Warn("draft file changed but the consultation already has comments; the published text is kept",
					"slug", cc.Slug, "draft", cc.Draft)
			case errors.Is(err, store.ErrRevised):
				logger.Warn("draft file changed but the draft has been revised since (revise command); the published revisions are kept",
					"slug", cc.Slug, "draft", cc.Draft)
			case err != nil:
				return err
			default:
				logger.Info("draft re-imported", "slug", cc.Slug, "sections", len(secs))
			}
		}
		if !old.ConfigOpensAt.Equal(cc.OpensAt) || !old.ConfigClosesAt.Equal(cc.ClosesAt) {
			if err := st.SetWindow(ctx, old.ID, cc.OpensAt, cc.ClosesAt, cc.WindowReason, true); err != nil {
				return err
			}
			logger.Info("window set from config.toml", "slug", cc.Slug, "opens_at", cc.OpensAt, "closes_at", cc.ClosesAt)
		}
	}
	return nil
}

// importDraft parses a draft file into the store's types.
func importDraft(text string) (*store.Consultation, []store.Section, error) {
	d, err := draft.Parse(text)
	if err != nil {
		return nil, nil, err
	}
	c := &store.Consultation{
		Title:        strings.Join(d.Title, "\n"),
		Publisher:    d.Meta.Publisher,
		Category:     d.Meta.Category,
		Call:         d.Call,
		ContactName:  d.Meta.ContactName,
		ContactPhone: d.Meta.ContactPhone,
		ContactEmail: d.Meta.ContactEmail,
		Signer:       d.Meta.Signer,
		SignedOn:     d.Meta.SignedOn,
	}
	if c.Title == "" {
		return nil, nil, errors.New("draft has no title")
	}
	secs := make([]store.Section, len(d.Sections))
	for i, s := range d.Sections {
		secs[i] = store.Section{
			Position: i, Kind: string(s.Kind), Parent: s.Parent, Ordinal: s.Ordinal,
			Label: s.Label, Heading: s.Heading, Sep: s.Sep, Body: s.Body, Anchor: s.Anchor,
		}
	}
	return c, secs, nil
}
