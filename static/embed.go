// Package static holds the CSS, JavaScript and images the pages use, embedded in the binary.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"sort"
)

// FS is the embedded static files.
//
//go:embed *.css *.js
var FS embed.FS

// Version is a short hash of every static file, appended to their URLs (?v=) so
// browsers may cache them for a year and still see a new release at once.
func Version() (string, error) {
	names, err := fs.Glob(FS, "*")
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		b, err := FS.ReadFile(n)
		if err != nil {
			return "", err
		}
		h.Write([]byte(n))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:10], nil
}

// Handler serves the files; versioned URLs are cached for a year.
func Handler() http.Handler {
	files := http.FileServer(http.FS(FS))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("v") != "" {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=300")
		}
		files.ServeHTTP(w, r)
	})
}
