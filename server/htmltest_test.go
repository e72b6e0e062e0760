package main

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// parseHTML parses a page for structural assertions.
func parseHTML(t *testing.T, page string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// byID finds the element with that id, or nil.
func byID(n *html.Node, id string) *html.Node {
	var found *html.Node
	walk(n, func(x *html.Node) bool {
		if x.Type == html.ElementNode && attr(x, "id") == id {
			found = x
			return false
		}
		return true
	})
	return found
}

// all returns every element with the tag name.
func all(n *html.Node, tag string) []*html.Node {
	var out []*html.Node
	walk(n, func(x *html.Node) bool {
		if x.Type == html.ElementNode && x.Data == tag {
			out = append(out, x)
		}
		return true
	})
	return out
}

func walk(n *html.Node, f func(*html.Node) bool) bool {
	if !f(n) {
		return false
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if !walk(c, f) {
			return false
		}
	}
	return true
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// text is the node's text content.
func text(n *html.Node) string {
	var b strings.Builder
	walk(n, func(x *html.Node) bool {
		if x.Type == html.TextNode {
			b.WriteString(x.Data)
		}
		return true
	})
	return b.String()
}
