package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"
)

// Migration 0030 rebuilds users (for the department role): accounts and signed-in
// sessions of a database made before it survive, with foreign keys on.
func TestMigration0030KeepsUsersAndSessions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite3", "file:"+path+"?_foreign_keys=on&_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	entries, _ := migrationFS.ReadDir("migrations")
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, n := range names {
		if n >= "0030" {
			break
		}
		body, _ := migrationFS.ReadFile("migrations/" + n)
		if _, err := db.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if _, err := db.Exec(`INSERT INTO schema_migrations VALUES (?, 0)`, mustAtoi(t, n[:4])); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO users (id, username, password_hash, role, password_changed_at, created_at) VALUES (7, 'chen', 'h', 'officer', 1, 1)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at) VALUES ('tok', 7, ?, ?)`, time.Now().Unix(), time.Now().Unix()); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("migrating an existing database: %v", err)
	}
	defer s.Close()
	sess, err := s.SessionByToken(ctx, "tok", time.Hour, 12*time.Hour, time.Now())
	if err != nil || sess.User.Username != "chen" || sess.User.Role != RoleOfficer {
		t.Fatalf("session after migration: %+v %v", sess, err)
	}
	var fkErrors int
	if err := s.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_foreign_key_check`).Scan(&fkErrors); err != nil || fkErrors != 0 {
		t.Errorf("foreign key check: %d %v", fkErrors, err)
	}
	// Deleting the user still cascades to the sessions (the rebuilt reference holds).
	if _, err := s.w.ExecContext(ctx, `DELETE FROM users WHERE id = 7`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByToken(ctx, "tok", time.Hour, 12*time.Hour, time.Now()); !errors.Is(err, ErrNotFound) {
		t.Errorf("session outlived its user: %v", err)
	}
	// A department account needs its unit, and only it.
	if _, err := s.CreateUserInUnit(ctx, Actor{}, "cz", "h", RoleDepartment, ""); !errors.Is(err, ErrUnit) {
		t.Errorf("department without unit: %v", err)
	}
	if _, err := s.CreateUserInUnit(ctx, Actor{}, "li", "h", RoleOfficer, "财政局"); !errors.Is(err, ErrUnit) {
		t.Errorf("officer with a unit: %v", err)
	}
	if u, err := s.CreateUserInUnit(ctx, Actor{}, "cz", "h", RoleDepartment, "财政局"); err != nil || u.Unit != "财政局" {
		t.Errorf("department: %+v %v", u, err)
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
