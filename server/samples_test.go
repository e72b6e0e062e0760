package main

import (
	"context"
	"testing"
)

// templateSamples returns data each page template can be rendered with.
func templateSamples(t *testing.T, e *testEnv) map[string]any {
	t.Helper()
	ctx := context.Background()
	cs, err := e.store.ConsultationBySlug(ctx, seedSlug)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{
		"home":  []homeItem{{*cs, statusAt(e.app.now(), cs.OpensAt, cs.ClosesAt)}},
		"draft": draftView{C: cs, Counts: map[string]int{}},
		"error": errorView{Code: 404, Message: "没有找到"},
	}
}
