package main

import "github.com/labstack/echo/v4"

func (a *app) dashboardRoutes(g *echo.Group) {}
