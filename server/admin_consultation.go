package main

import "github.com/labstack/echo/v4"

func (a *app) consultationRoutes(g *echo.Group) {}
