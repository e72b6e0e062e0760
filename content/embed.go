// Package content holds the published drafts as text. The seed draft is embedded so
// that `consult demo` runs from a single binary, without the repository beside it.
package content

import _ "embed"

// Seed is the seed consultation's draft, content/yinchuan-etdz-reform-2022.txt.
//
//go:embed yinchuan-etdz-reform-2022.txt
var Seed []byte
