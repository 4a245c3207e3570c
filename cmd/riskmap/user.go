package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"riskmap/auth"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func runUser(ctx context.Context, logger *slog.Logger, args []string, stdin io.Reader) error {
	if len(args) == 0 || args[0] != "add" {
		return fmt.Errorf("usage: riskmap user add --username U --role ROLE [--area CODE]... [--grid CODE]... --password-stdin")
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	var spec auth.UserSpec
	var areas, grids multiFlag
	fs.StringVar(&spec.Username, "username", "", "login name")
	fs.StringVar(&spec.DisplayName, "name", "", "display name")
	fs.StringVar(&spec.Role, "role", "", "admin, city, county, township, worker or planner")
	fs.Var(&areas, "area", "12-digit area code of the user's scope (repeatable)")
	fs.Var(&grids, "grid", "15-digit grid code of a worker's scope (repeatable)")
	pwStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if spec.Username == "" || spec.Role == "" {
		return fmt.Errorf("--username and --role are required")
	}
	if *pwStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("read password from stdin: %w", err)
		}
		spec.Password = strings.TrimRight(line, "\r\n")
	}
	spec.Areas, spec.Grids = areas, grids
	pool, err := openMigrated(ctx, logger)
	if err != nil {
		return err
	}
	defer pool.Close()
	svc := auth.NewService(pool, time.Hour, auth.NewLimiter(10, time.Minute))
	u, err := svc.SaveUser(ctx, spec)
	if err != nil {
		return err
	}
	fmt.Printf("user %s (id %d, role %s) saved\n", u.Username, u.ID, u.Role)
	return nil
}
