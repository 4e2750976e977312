package voice

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// OwnerKind is how an owner is reached.
type OwnerKind string

// Ways to reach an owner.
const (
	SNS     OwnerKind = "sns"     // an SNS topic, by ARN (its subscribers get alerts and digests)
	Email   OwnerKind = "email"   // an e-mail address, through SES
	Webhook OwnerKind = "webhook" // an https URL that gets a JSON POST
)

// Owner is whoever answers for a kind of problem: a team, reached one way, reading one language in one time zone.
type Owner struct {
	ID     string    `json:"id"`
	Kind   OwnerKind `json:"kind"`
	Target string    `json:"target"`
	// Locale is the digest's language, "en" or "zh-CN"; TimeZone an IANA name, for the 09:00 digest.
	Locale   string `json:"locale,omitempty"`
	TimeZone string `json:"timezone,omitempty"`
}

// Location is the owner's time zone, UTC when unset or unknown.
func (o Owner) Location() *time.Location {
	if o.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(o.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Match says which voices a rule takes: every field that is set must match (any of its values), so a rule on
// intent and carrier takes only that carrier's voices of that intent. Keywords match the masked text or, for a
// whole cluster, its label and examples, ignoring case. A SKU ending in * matches by prefix.
type Match struct {
	Intents  []string `json:"intents,omitempty"`
	Reasons  []string `json:"reasons,omitempty"`
	SKUs     []string `json:"skus,omitempty"`
	Carriers []string `json:"carriers,omitempty"`
	Keywords []string `json:"keywords,omitempty"`
}

func (m Match) empty() bool {
	return len(m.Intents)+len(m.Reasons)+len(m.SKUs)+len(m.Carriers)+len(m.Keywords) == 0
}

// Rule sends what it matches to an owner.
type Rule struct {
	Name  string `json:"name,omitempty"`
	When  Match  `json:"when"`
	Owner string `json:"owner"`
}

// Routing is one merchant's owners and rules, kept as data (merchant × intent or reason × SKU × carrier ×
// keyword → owner). Rules are tried in order; what no rule takes goes to Default.
type Routing struct {
	Merchant string  `json:"merchant"`
	Owners   []Owner `json:"owners"`
	Rules    []Rule  `json:"rules,omitempty"`
	Default  string  `json:"default"`
	// Thresholds override the spike rule for this merchant when set.
	Thresholds *Thresholds `json:"thresholds,omitempty"`
}

var ownerID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
var snsARN = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$`)

// Validate reports the first thing wrong with r, naming it.
func (r Routing) Validate() error {
	if r.Merchant == "" {
		return errors.New("routing: merchant is empty")
	}
	ids := map[string]bool{}
	for i, o := range r.Owners {
		if !ownerID.MatchString(o.ID) {
			return fmt.Errorf("routing of %s: owners[%d].id %q: want letters, digits, . _ -", r.Merchant, i, o.ID)
		}
		if ids[o.ID] {
			return fmt.Errorf("routing of %s: owner %s appears twice", r.Merchant, o.ID)
		}
		ids[o.ID] = true
		if err := o.validate(); err != nil {
			return fmt.Errorf("routing of %s: owner %s: %w", r.Merchant, o.ID, err)
		}
	}
	if !ids[r.Default] {
		return fmt.Errorf("routing of %s: default owner %q is not one of the owners", r.Merchant, r.Default)
	}
	for i, rule := range r.Rules {
		if !ids[rule.Owner] {
			return fmt.Errorf("routing of %s: rules[%d] sends to %q, which is not one of the owners", r.Merchant, i, rule.Owner)
		}
		if rule.When.empty() {
			return fmt.Errorf("routing of %s: rules[%d] matches nothing in particular; use default instead", r.Merchant, i)
		}
	}
	if t := r.Thresholds; t != nil && (t.Factor < 1 || t.MinCount < 1 || t.Regression < 1) {
		return fmt.Errorf("routing of %s: thresholds want factor >= 1, minCount >= 1 and regression >= 1", r.Merchant)
	}
	return nil
}

func (o Owner) validate() error {
	switch o.Kind {
	case SNS:
		if !snsARN.MatchString(o.Target) {
			return fmt.Errorf("target %q is not an SNS topic ARN", o.Target)
		}
	case Email:
		if a, err := mail.ParseAddress(o.Target); err != nil || a.Address != o.Target {
			return fmt.Errorf("target %q is not an e-mail address", o.Target)
		}
	case Webhook:
		u, err := url.Parse(o.Target)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
			return fmt.Errorf("target %q is not an https URL without credentials", o.Target)
		}
	default:
		return fmt.Errorf("kind %q is not sns, email or webhook", o.Kind)
	}
	if o.Locale != "" && o.Locale != "en" && o.Locale != "zh-CN" {
		return fmt.Errorf("locale %q is not en or zh-CN", o.Locale)
	}
	if o.TimeZone != "" {
		if _, err := time.LoadLocation(o.TimeZone); err != nil {
			return fmt.Errorf("time zone %q: %w", o.TimeZone, err)
		}
	}
	return nil
}

// Owner returns the owner with id, and whether there is one.
func (r Routing) Owner(id string) (Owner, bool) {
	for _, o := range r.Owners {
		if o.ID == id {
			return o, true
		}
	}
	return Owner{}, false
}

// matches reports whether m takes a voice; text is what keywords are looked for in.
func (m Match) matches(intent string, reasons []string, sku, carrier, text string) bool {
	if len(m.Intents) > 0 && !slices.Contains(m.Intents, intent) {
		return false
	}
	if len(m.Reasons) > 0 && !slices.ContainsFunc(reasons, func(r string) bool { return slices.Contains(m.Reasons, r) }) {
		return false
	}
	if len(m.SKUs) > 0 && !slices.ContainsFunc(m.SKUs, func(p string) bool {
		if pre, ok := strings.CutSuffix(p, "*"); ok {
			return sku != "" && strings.HasPrefix(sku, pre)
		}
		return sku == p
	}) {
		return false
	}
	if len(m.Carriers) > 0 && !slices.ContainsFunc(m.Carriers, func(c string) bool { return carrier != "" && strings.EqualFold(c, carrier) }) {
		return false
	}
	if len(m.Keywords) > 0 {
		lower := strings.ToLower(text)
		if !slices.ContainsFunc(m.Keywords, func(k string) bool { return containsKeyword(lower, strings.ToLower(k)) }) {
			return false
		}
	}
	return true
}

// containsKeyword finds k in text: a Latin keyword as whole words ("app" is not in "apply"), Chinese anywhere.
func containsKeyword(text, k string) bool {
	if k == "" {
		return false
	}
	for from := 0; ; {
		i := strings.Index(text[from:], k)
		if i < 0 {
			return false
		}
		i += from
		before, _ := utf8.DecodeLastRuneInString(text[:i])
		after, _ := utf8.DecodeRuneInString(text[i+len(k):])
		first, _ := utf8.DecodeRuneInString(k)
		last, _ := utf8.DecodeLastRuneInString(k)
		if (isHan(first) || !isWordRune(before)) && (isHan(last) || !isWordRune(after)) {
			return true
		}
		from = i + 1
	}
}

func isWordRune(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r)) && !isHan(r)
}

// ruleFor is the index of the first rule that takes v, or -1.
func (r Routing) ruleFor(v Voice) int {
	for i, rule := range r.Rules {
		if rule.When.matches(v.Intent, v.Reasons, v.SKU, v.Carrier, v.Text) {
			return i
		}
	}
	return -1
}

// minRuled is the share of a cluster's voices a rule must take for the cluster to be its owner's.
const minRuled = 0.2

// OwnerOf picks the owner of cluster c from its members: the owner whose rules take most of them, if rules take
// at least a fifth (the storefront attaches an order or a product to only some contacts); otherwise the first
// rule that takes the cluster as a whole (its intent, label and examples); otherwise the default.
func (r Routing) OwnerOf(c Cluster, members []Voice) string {
	votes := map[string]int{}
	first := map[string]int{}
	ruled := 0
	for _, v := range members {
		if i := r.ruleFor(v); i >= 0 {
			o := r.Rules[i].Owner
			votes[o]++
			if _, ok := first[o]; !ok {
				first[o] = i
			}
			ruled++
		}
	}
	if ruled > 0 && float64(ruled) >= minRuled*float64(len(members)) {
		best := ""
		for o, n := range votes {
			if best == "" || n > votes[best] || (n == votes[best] && first[o] < first[best]) {
				best = o
			}
		}
		return best
	}
	in, _ := strings.CutPrefix(c.Lane, "intent:")
	whole := c.Label + "\n" + strings.Join(c.Examples, "\n")
	var reasons []string
	for _, v := range members {
		reasons = append(reasons, v.Reasons...)
	}
	for _, rule := range r.Rules {
		m := rule.When
		m.SKUs, m.Carriers = nil, nil // a cluster has no single SKU or carrier
		if !m.empty() && m.matches(in, reasons, "", "", whole) {
			return rule.Owner
		}
	}
	return r.Default
}
