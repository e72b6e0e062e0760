package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"consult/store"
)

// runCommand runs a command-line subcommand:
//
//	consult -config FILE user add -role ROLE [-unit UNIT] USERNAME   (password on standard input)
//	consult -config FILE backup PATH
//	consult -config FILE retention [-after DAYS] [-dry-run]
//	consult -config FILE revise -consultation SLUG [-opens RFC3339 -closes RFC3339 -reason TEXT] PATH
//	consult -config FILE import -consultation SLUG [-dry-run] PATH
//	consult generate [-n N] [-seed S]   (main.go: needs no config)
//
// (consult -config FILE restore [-o PATH] [-timestamp RFC3339] runs before the
// database is opened: see restoreCommand.)
func runCommand(ctx context.Context, cfg *Config, st *store.Store, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) >= 1 && args[0] == "import" {
		return runCommandWith(ctx, cfg, st, args, stdout, os.Stderr)
	}
	switch {
	case len(args) >= 2 && args[0] == "user" && args[1] == "add":
		return userAdd(ctx, st, args[2:], stdin, stdout)
	case len(args) >= 1 && args[0] == "backup":
		return backupCommand(ctx, st, args[1:], stdout)
	case len(args) >= 1 && args[0] == "retention":
		return retentionCommand(ctx, st, args[1:], stdout)
	case len(args) >= 1 && args[0] == "revise":
		return reviseCommand(ctx, st, args[1:], stdout)
	}
	return fmt.Errorf("unknown command %q (commands: user add, backup, retention, restore, import, generate, revise)", strings.Join(args, " "))
}

func userAdd(ctx context.Context, st *store.Store, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	role := fs.String("role", "", "admin, officer, committee or department")
	unit := fs.String("unit", "", "the department's unit (财政局 …); required with -role department, refused otherwise")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: user add -role ROLE [-unit UNIT] USERNAME (the password is read from standard input)")
	}
	name := strings.TrimSpace(fs.Arg(0))
	if !contains(store.Roles, *role) {
		return fmt.Errorf("-role: want one of %s", strings.Join(store.Roles, ", "))
	}
	*unit = strings.TrimSpace(*unit)
	if (*role == store.RoleDepartment) != (*unit != "") {
		return errors.New("-unit: give the unit (e.g. -unit 财政局) with -role department, and only then")
	}
	if utf8.RuneCountInString(*unit) > maxUnitRunes {
		return fmt.Errorf("-unit: at most %d characters", maxUnitRunes)
	}
	if name == "" || utf8.RuneCountInString(name) > 64 || strings.ContainsAny(name, " \t\r\n") {
		return errors.New("USERNAME: 1 to 64 characters without spaces")
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("reading the password: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if utf8.RuneCountInString(pw) < minPasswordRunes {
		return fmt.Errorf("password: at least %d characters", minPasswordRunes)
	}
	h, err := hashPassword(pw)
	if err != nil {
		return err
	}
	if _, err := st.CreateUserInUnit(ctx, store.Actor{Username: "command-line"}, name, h, *role, *unit); err != nil {
		if errors.Is(err, store.ErrExists) {
			return fmt.Errorf("user %q already exists", name)
		}
		return err
	}
	if *unit != "" {
		fmt.Fprintf(stdout, "user %s added with role %s, unit %s\n", name, *role, *unit)
		return nil
	}
	fmt.Fprintf(stdout, "user %s added with role %s\n", name, *role)
	return nil
}

// runCommandWith runs the commands that report progress on stderr (import).
func runCommandWith(ctx context.Context, cfg *Config, st *store.Store, args []string, stdout, stderr io.Writer) error {
	return importCommand(ctx, cfg, st, args[1:], stdout, stderr)
}
