// Package templates holds the HTML templates, embedded in the binary.
package templates

import "embed"

// FS is the embedded templates: base.html, partials/ and one file per page in pages/.
//
//go:embed base.html partials/*.html pages/*.html
var FS embed.FS
