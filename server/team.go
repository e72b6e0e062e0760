package main

import (
	"github.com/labstack/echo/v4"

	"consult/store"
)

func init() {
	funcs["sub"] = func(a, b int) int { return a - b }
}

// teamView is what the comment page shows about routing, assignment and who else has
// the comment open.
type teamView struct {
}

// queueTeam is what the queue shows about routing and assignment.
type queueTeam struct {
}

func (a *app) teamFor(c echo.Context, d *draftData, cm *store.Comment) (teamView, error) {
	return teamView{}, nil
}
