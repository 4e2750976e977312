// Package answer holds answer templates, finds the ones that fit a shopper's question, and renders them.
package answer

import (
	"fmt"
	"time"

	"breakwater/shared/contact"
	"breakwater/shared/intent"
)

// Platform is the merchant id of the default templates every merchant gets unless it overrides them.
const Platform = "*"

// What a template does when a field it requires is missing from the contact's context.
const (
	MissingAsk     = "ask"     // answer with Ask, which asks the shopper for what is missing
	MissingHandoff = "handoff" // give the contact to a person
)

// Template answers one intent in one locale, for one merchant or for the platform.
type Template struct {
	ID       string   `json:"id"`
	Intent   string   `json:"intent"`
	Locale   string   `json:"locale"`
	Merchant string   `json:"merchant"`
	Examples []string `json:"examples"`
	// Answer is plain text with {{placeholder}} fields; see Placeholders.
	Answer      string     `json:"answer"`
	Requires    []string   `json:"requires,omitempty"`
	WhenMissing string     `json:"whenMissing,omitempty"`
	Ask         string     `json:"ask,omitempty"`
	ActiveFrom  *time.Time `json:"activeFrom,omitempty"`
	ActiveUntil *time.Time `json:"activeUntil,omitempty"`
}

// Active reports whether t may answer at now (promotional templates have windows).
func (t Template) Active(now time.Time) bool {
	if t.ActiveFrom != nil && now.Before(*t.ActiveFrom) {
		return false
	}
	if t.ActiveUntil != nil && !now.Before(*t.ActiveUntil) {
		return false
	}
	return true
}

// Validate reports the first thing wrong with t that would stop it from being served.
func (t Template) Validate() error {
	switch {
	case t.ID == "":
		return fmt.Errorf("template has no id")
	case !intent.Known(t.Intent):
		return fmt.Errorf("template %s: unknown intent %q", t.ID, t.Intent)
	case t.Locale != string(contact.Chinese) && t.Locale != string(contact.English):
		return fmt.Errorf("template %s: locale %q is not zh-CN or en", t.ID, t.Locale)
	case t.Merchant == "":
		return fmt.Errorf("template %s: merchant is empty (use %q for the platform default)", t.ID, Platform)
	case t.Answer == "":
		return fmt.Errorf("template %s: answer is empty", t.ID)
	case t.WhenMissing != "" && t.WhenMissing != MissingAsk && t.WhenMissing != MissingHandoff:
		return fmt.Errorf("template %s: whenMissing %q is not ask or handoff", t.ID, t.WhenMissing)
	case t.WhenMissing == MissingAsk && t.Ask == "":
		return fmt.Errorf("template %s: whenMissing is ask but ask is empty", t.ID)
	}
	if err := checkPlaceholders(t.Answer); err != nil {
		return fmt.Errorf("template %s answer: %w", t.ID, err)
	}
	if err := checkPlaceholders(t.Ask); err != nil {
		return fmt.Errorf("template %s ask: %w", t.ID, err)
	}
	for _, f := range t.Requires {
		if _, ok := placeholders[f]; !ok && !isAttr(f) {
			return fmt.Errorf("template %s: requires unknown field %q", t.ID, f)
		}
	}
	return nil
}
