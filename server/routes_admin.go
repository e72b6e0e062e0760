package main

import "github.com/labstack/echo/v4"

// adminRoutes adds the workspace's remaining pages; each group of pages keeps its
// routes next to its handlers.
func (a *app) adminRoutes(g *echo.Group) {
	a.dashboardRoutes(g)
	a.windowRoutes(g)
	a.userRoutes(g)
	a.auditRoutes(g)
	a.consultationRoutes(g)
	a.exportRoutes(g)
	a.teamRoutes(g)
	a.reviseRoutes(g)
}
