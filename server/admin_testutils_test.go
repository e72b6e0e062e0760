package main

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"consult/store"
)

func TestMain(m *testing.M) {
	// Hashing at the production cost would make every login in the tests take 0.2 s.
	bcryptCost = bcrypt.MinCost
	code := m.Run()
	removeConsultBinary()
	if millionCopy.path != "" { // the cycle benchmark's copy of the million (2.6 GB)
		os.RemoveAll(filepath.Dir(millionCopy.path))
	}
	os.Exit(code)
}

const testPassword = "correct horse battery"

// newUser creates an account with testPassword.
func (e *testEnv) newUser(name, role string) *store.User {
	e.t.Helper()
	h, err := hashPassword(testPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	unit := ""
	if role == store.RoleDepartment {
		unit = "测试局" // a department account belongs to a unit
	}
	u, err := e.store.CreateUserInUnit(context.Background(), store.Actor{Username: "test"}, name, h, role, unit)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// loginAs returns a client signed in as a new user with the role.
func (e *testEnv) loginAs(name, role string) *http.Client {
	e.t.Helper()
	e.newUser(name, role)
	client := newClient(e.t)
	if resp := e.login(client, name, testPassword, nil); resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("login %s: status %d", name, resp.StatusCode)
	}
	return client
}

// login posts the login form with a real CSRF token from the login page.
func (e *testEnv) login(client *http.Client, name, pw string, header http.Header) *http.Response {
	e.t.Helper()
	_, page := e.getWith(client, "/admin/login")
	f := url.Values{"_csrf": {csrfFrom(e.t, page)}, "username": {name}, "password": {pw}}
	resp, _ := e.postWith(client, "/admin/login", f, header)
	return resp
}

// getWith and postWith are get and postForm for another client.
func (e *testEnv) getWith(client *http.Client, path string) (int, string) {
	e.t.Helper()
	saved := e.client
	e.client = client
	defer func() { e.client = saved }()
	return e.get(path)
}

func (e *testEnv) postWith(client *http.Client, path string, form url.Values, header http.Header) (*http.Response, string) {
	e.t.Helper()
	saved := e.client
	e.client = client
	defer func() { e.client = saved }()
	return e.postForm(path, form, header)
}
