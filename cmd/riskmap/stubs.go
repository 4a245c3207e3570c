package main

import (
	"context"
	"log/slog"
)

func runDemo(ctx context.Context, logger *slog.Logger, args []string) error  { return nil }
func runServe(ctx context.Context, logger *slog.Logger, args []string) error { return nil }
func runUser(ctx context.Context, logger *slog.Logger, args []string) error  { return nil }
