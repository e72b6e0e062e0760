package main

import (
	"github.com/labstack/echo/v4"

	"consult/store"
)

// teamView is what the comment page shows about routing, assignment and who else has
// the comment open.
type teamView struct {
}

func (a *app) teamFor(c echo.Context, d *draftData, cm *store.Comment) (teamView, error) {
	return teamView{}, nil
}
