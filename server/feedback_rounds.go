package main

import (
	"strconv"

	"consult/store"
)

// ID is the section's element id on the feedback page: fb-{anchor}, with the revision
// for a revised draft (the same anchor names another article in each revision).
func (fs feedbackSection) ID() string {
	anchor := "general"
	if fs.Section != nil {
		anchor = fs.Section.Anchor
	}
	if fs.Named {
		return "fb-r" + strconv.Itoa(fs.Revision) + "-" + anchor
	}
	return "fb-" + anchor
}

// RevisionName names the revision the section's comments were written on, for a
// revised draft ("" otherwise).
func (fs feedbackSection) RevisionName() string {
	if !fs.Named {
		return ""
	}
	return store.RevisionName(fs.Revision)
}
