package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"consult/store"
)

// runCommand runs a command-line subcommand:
//
//	consult -config FILE user add -role ROLE USERNAME   (password on standard input)
//	consult -config FILE backup PATH
//	consult -config FILE retention [-after DAYS] [-dry-run]
//	consult -config FILE revise -consultation SLUG [-opens RFC3339 -closes RFC3339 -reason TEXT] PATH
func runCommand(ctx context.Context, cfg *Config, st *store.Store, args []string, stdin io.Reader, stdout io.Writer) error {
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
	return fmt.Errorf("unknown command %q (commands: user add, backup, retention, revise)", strings.Join(args, " "))
}

func userAdd(ctx context.Context, st *store.Store, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	role := fs.String("role", "", "admin, officer or committee")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: user add -role ROLE USERNAME (the password is read from standard input)")
	}
	name := strings.TrimSpace(fs.Arg(0))
	if !contains(store.Roles, *role) {
		return fmt.Errorf("-role: want one of %s", strings.Join(store.Roles, ", "))
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
	if _, err := st.CreateUser(ctx, store.Actor{Username: "command-line"}, name, h, *role); err != nil {
		if errors.Is(err, store.ErrExists) {
			return fmt.Errorf("user %q already exists", name)
		}
		return err
	}
	fmt.Fprintf(stdout, "user %s added with role %s\n", name, *role)
	return nil
}
