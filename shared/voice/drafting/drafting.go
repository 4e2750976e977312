// Package drafting turns the voice of the customer's drafts into answer templates: it builds them from a
// reviewer's edit, checks them with templates lint and publishes them through the catalog; and it reads which
// suggested template an agent's reply started from. It is apart from package voice so that what links voice
// (every function, through the DynamoDB adapter) does not link the matcher.
package drafting

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"breakwater/shared/answer"
	"breakwater/shared/catalog"
	"breakwater/shared/contact"
	"breakwater/shared/intent"
	"breakwater/shared/triage"
	"breakwater/shared/voice"
)

// Errors of a review; voice.ErrNotFound and voice.ErrDecided come from the store.
var (
	// ErrInvalid: the reviewer's edit cannot become a template; the message says why.
	ErrInvalid = errors.New("invalid draft")
	// ErrLint: the templates fail `templates lint`; the findings say how.
	ErrLint = errors.New("templates lint failed")
)

// Edit is what a reviewer changes before approving; empty fields keep the draft's.
type Edit struct {
	Answer   string   `json:"answer,omitempty"`
	Intent   string   `json:"intent,omitempty"`
	Examples []string `json:"examples,omitempty"`
	// Days is how long a gap answer stays active; DefaultDraftDays when zero, at most MaxDraftDays.
	Days int `json:"days,omitempty"`
}

// A gap answer is published for a while, not for ever: it answers this peak's problem (a coupon that fails, a
// stuck hub), and a standing answer deserves both languages, which a draft from one language's contacts lacks.
const (
	DefaultDraftDays = 14
	MaxDraftDays     = 90
	minDraftExamples = 3
	maxAnswerRunes   = 2000
)

// TemplateID is the id a gap answer for cluster in locale is published under.
func TemplateID(merchant, cluster, locale string) string {
	return "voice." + merchant + "." + cluster + "." + locale
}

// Templates builds what approving d with edit publishes, given the catalog's current templates: for a gap
// answer, the new template (active for edit.Days from now) and, when the merchant has no template of its own for
// that intent and language, a copy of the platform's with the same window, because a merchant's template hides
// the platform's of its intent and the intent's everyday questions must keep their answer; for more examples,
// the extended template.
func Templates(d voice.Draft, edit Edit, current []answer.Template, now time.Time) ([]answer.Template, error) {
	exs := d.Examples
	if len(edit.Examples) > 0 {
		exs = edit.Examples
	}
	exs = cleanExamples(exs)
	if d.Kind == voice.MoreExamples {
		i := slices.IndexFunc(current, func(t answer.Template) bool { return t.ID == d.Template })
		if i < 0 {
			return nil, fmt.Errorf("%w: template %s is no longer in the catalog", ErrInvalid, d.Template)
		}
		t := current[i]
		t.Examples = slices.Clone(t.Examples)
		seen := map[string]bool{}
		for _, e := range t.Examples {
			seen[answer.Normalize(e)] = true
		}
		added := 0
		for _, e := range exs {
			if k := answer.Normalize(e); k != "" && !seen[k] {
				seen[k] = true
				t.Examples = append(t.Examples, e)
				added++
			}
		}
		if added == 0 {
			return nil, fmt.Errorf("%w: template %s already has every example", ErrInvalid, d.Template)
		}
		return []answer.Template{t}, nil
	}
	text := strings.TrimSpace(d.Answer)
	if strings.TrimSpace(edit.Answer) != "" {
		text = strings.TrimSpace(edit.Answer)
	}
	in := d.Intent
	if edit.Intent != "" {
		in = edit.Intent
	}
	days := edit.Days
	if days == 0 {
		days = DefaultDraftDays
	}
	switch {
	case text == "":
		return nil, fmt.Errorf("%w: answer is empty", ErrInvalid)
	case utf8.RuneCountInString(text) > maxAnswerRunes:
		return nil, fmt.Errorf("%w: answer has more than %d characters", ErrInvalid, maxAnswerRunes)
	case voice.MaskIn(text) != "":
		return nil, fmt.Errorf("%w: answer still holds %s where the agents' replies had personal data: write the value or a {{placeholder}}", ErrInvalid, voice.MaskIn(text))
	case !intent.Known(in):
		return nil, fmt.Errorf("%w: intent %q is not one of the intents; pick the closest", ErrInvalid, in)
	case len(exs) < minDraftExamples:
		return nil, fmt.Errorf("%w: %d example questions, want at least %d", ErrInvalid, len(exs), minDraftExamples)
	case days < 1 || days > MaxDraftDays:
		return nil, fmt.Errorf("%w: days %d, want 1 to %d", ErrInvalid, days, MaxDraftDays)
	}
	from, until := now.UTC().Truncate(time.Second), now.UTC().Truncate(time.Second).Add(time.Duration(days)*24*time.Hour)
	t := answer.Template{ID: TemplateID(d.Merchant, d.Cluster, d.Locale), Intent: in, Locale: d.Locale, Merchant: d.Merchant,
		Examples: exs, Answer: text, ActiveFrom: &from, ActiveUntil: &until}
	out := []answer.Template{t}
	own := slices.ContainsFunc(current, func(c answer.Template) bool {
		return c.Merchant == d.Merchant && c.Intent == in && c.Locale == d.Locale && c.Active(now) && !strings.HasPrefix(c.ID, "voice.")
	})
	if !own {
		for _, c := range current {
			if c.Merchant == answer.Platform && c.Intent == in && c.Locale == d.Locale && c.Active(now) {
				base := c
				base.ID = t.ID + ".base"
				base.Merchant = d.Merchant
				base.ActiveFrom, base.ActiveUntil = &from, &until
				out = append(out, base)
				break
			}
		}
	}
	return out, nil
}

// cleanExamples drops mask placeholders, blank and repeated examples.
func cleanExamples(exs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range exs {
		e = strings.Join(strings.Fields(voice.StripMasks(e)), " ")
		k := answer.Normalize(e)
		if k == "" || seen[k] || utf8.RuneCountInString(e) > 300 {
			continue
		}
		seen[k] = true
		out = append(out, e)
	}
	return out
}

// probeMerchant stands for every other merchant when measuring what an approval changes for them.
const probeMerchant = "voice-probe-other-merchant"

// spillover warns when the new templates' examples change how other merchants' shoppers asking the same thing are
// answered. The matcher's model is shared: a merchant's examples teach their intent for everyone, so after the
// approval the same questions elsewhere may get that intent's platform answer (or lose one). before and after
// are the catalog's triage without and with them (a release's), so it trains nothing.
func spillover(before, after *triage.Triage, ts []answer.Template, now time.Time) []catalog.Finding {
	if before == nil || after == nil || len(ts) == 0 || len(ts[0].Examples) == 0 {
		return nil
	}
	changed := 0
	for _, q := range ts[0].Examples {
		c := contact.Contact{ID: "probe", Merchant: probeMerchant, Locale: contact.Locale(ts[0].Locale), Text: q, ReceivedAt: now}
		x, y := before.Decide(c, now), after.Decide(c, now)
		if x.Auto != y.Auto || (x.Auto && x.Template != y.Template) {
			changed++
		}
	}
	if changed == 0 {
		return nil
	}
	return []catalog.Finding{{Severity: catalog.Warning, Template: ts[0].ID, Message: fmt.Sprintf(
		"for other merchants, %d of these %d example questions would be answered differently after approval (their close calls move when the platform catalog is retrained)",
		changed, len(ts[0].Examples))}}
}

// draftStore is where Reviewer and Publisher read and decide drafts (the voice table, see dynamo.Voice).
type draftStore interface {
	Draft(ctx context.Context, merchant, id string) (voice.Draft, error)
	// DecideDraft stores d if the stored draft is still pending, and returns voice.ErrDecided otherwise.
	DecideDraft(ctx context.Context, d voice.Draft) error
}

// approvals stores an approval: the draft, now voice.Publishing, and the catalog change it stages (key and the
// change's encoding), at once; voice.ErrDecided, storing nothing, when the draft is no longer pending.
type approvals interface {
	StageApproval(ctx context.Context, d voice.Draft, key string, change []byte) error
}

// catalogReader is the part of *catalog.Writer that approving reads.
type catalogReader interface {
	Templates(ctx context.Context) ([]answer.Template, error)
	Staged(ctx context.Context) ([]catalog.Change, error)
}

// Reviewer approves and rejects drafts. Approval is cheap, for an agent's request: it checks the templates with
// templates lint's static checks and stages them in the catalog; Publisher publishes them a few minutes later,
// like `templates push`, with the checks that need the matcher trained.
type Reviewer struct {
	Drafts    draftStore
	Approvals approvals
	Catalog   catalogReader
	Now       func() time.Time
}

// ChangeKey is the key of the catalog change that approving draft id of merchant stages.
func ChangeKey(merchant, id string) string { return merchant + "/" + id }

// draftOf is the merchant and draft id a change key names; false for a change no draft staged.
func draftOf(key string) (merchant, id string, ok bool) {
	return strings.Cut(key, "/")
}

// Approve stages draft id of merchant with edit for publication, after the static checks of `templates lint`
// (catalog.Lint) pass on the whole catalog with it and with what other approvals staged. It returns the draft,
// now voice.Publishing, and lint's findings about its templates (warnings when it passed; with ErrLint, the
// errors too). The catalog's version does not move until the publication.
func (r *Reviewer) Approve(ctx context.Context, merchant, id string, edit Edit, by string) (voice.Draft, []catalog.Finding, error) {
	d, err := r.Drafts.Draft(ctx, merchant, id)
	if err != nil {
		return voice.Draft{}, nil, err
	}
	if d.Status != voice.Pending {
		return d, nil, fmt.Errorf("approve draft %s of %s (%s): %w", id, merchant, d.Status, voice.ErrDecided)
	}
	current, err := r.Catalog.Templates(ctx)
	if err != nil {
		return voice.Draft{}, nil, fmt.Errorf("approve draft %s of %s: read templates: %w", id, merchant, err)
	}
	staged, err := r.Catalog.Staged(ctx)
	if err != nil {
		return voice.Draft{}, nil, fmt.Errorf("approve draft %s of %s: read staged changes: %w", id, merchant, err)
	}
	current = catalog.Overlay(current, staged...)
	now := r.Now()
	ts, err := Templates(d, edit, current, now)
	if err != nil {
		return d, nil, fmt.Errorf("approve draft %s of %s: %w", id, merchant, err)
	}
	findings := catalog.Lint(catalog.Overlay(current, catalog.Change{Templates: ts}))
	// Only what this approval changes is the reviewer's business; the rest of the catalog was pushed before.
	mine := map[string]bool{"": true}
	for _, t := range ts {
		mine[t.ID] = true
	}
	findings = slices.DeleteFunc(findings, func(f catalog.Finding) bool { return !mine[f.Template] })
	if catalog.Errors(findings) > 0 {
		return d, findings, fmt.Errorf("approve draft %s of %s: %w", id, merchant, ErrLint)
	}
	change := catalog.Change{Key: ChangeKey(merchant, id), Templates: ts, StagedAt: now}
	body, err := change.Encode()
	if err != nil {
		return d, findings, fmt.Errorf("approve draft %s of %s: %w", id, merchant, err)
	}
	d.Status, d.DecidedBy, d.DecidedAt, d.UpdatedAt = voice.Publishing, by, now, now
	d.Published, d.PublishedAt, d.Findings = nil, time.Time{}, voiceFindings(findings)
	for _, t := range ts {
		d.Published = append(d.Published, t.ID)
	}
	if d.Kind == voice.GapAnswer {
		d.Template = ts[0].ID
		d.Intent, d.Answer, d.Examples = ts[0].Intent, ts[0].Answer, ts[0].Examples
	}
	if err := r.Approvals.StageApproval(ctx, d, change.Key, body); err != nil {
		return d, findings, fmt.Errorf("approve draft %s of %s: %w", id, merchant, err)
	}
	return d, findings, nil
}

// voiceFindings are fs as a draft keeps them.
func voiceFindings(fs []catalog.Finding) []voice.Finding {
	var out []voice.Finding
	for _, f := range fs {
		out = append(out, voice.Finding{Severity: f.Severity, Template: f.Template, Message: f.Message})
	}
	return out
}

// Reject marks draft id of merchant rejected with a reason; it is not proposed again.
func (r *Reviewer) Reject(ctx context.Context, merchant, id, reason, by string) (voice.Draft, error) {
	d, err := r.Drafts.Draft(ctx, merchant, id)
	if err != nil {
		return voice.Draft{}, err
	}
	if d.Status != voice.Pending {
		return d, fmt.Errorf("reject draft %s of %s (%s): %w", id, merchant, d.Status, voice.ErrDecided)
	}
	now := r.Now()
	d.Status, d.DecidedBy, d.DecidedAt, d.UpdatedAt, d.Reason = voice.Rejected, by, now, now, strings.TrimSpace(reason)
	if err := r.Drafts.DecideDraft(ctx, d); err != nil {
		return d, fmt.Errorf("reject draft %s of %s: %w", id, merchant, err)
	}
	return d, nil
}

// minStarted is how alike (cosine of words and bigrams) a reply and a rendered suggestion must be for the reply
// to count as started from it: agents edit a suggestion a little, not wholly.
const minStarted = 0.6

// StartedFromSuggestions names the suggested template whose answer, rendered for the contact, the agent's reply
// most resembles. The console does not yet say which suggestion an agent clicked; this reads it from the reply.
func StartedFromSuggestions(lookup func(id string) (answer.Template, bool)) voice.StartedFrom {
	return func(r contact.Record) string {
		if r.Answer == "" {
			return ""
		}
		best, top := "", minStarted
		for _, id := range r.Suggested {
			t, ok := lookup(id)
			if !ok {
				continue
			}
			text, err := t.Render(r.Contact)
			if err != nil {
				text = t.Answer
			}
			if s := voice.Similarity(r.Answer, text); s >= top {
				best, top = id, s
			}
		}
		return best
	}
}
