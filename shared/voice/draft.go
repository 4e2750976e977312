package voice

import (
	"cmp"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Errors of the store that reviews and owners' decisions meet.
var (
	ErrNotFound = errors.New("not found")
	// ErrDecided: the draft was already approved or rejected (or a problem changed under a decision).
	ErrDecided = errors.New("already decided")
)

// DraftKind is what approving a draft publishes.
type DraftKind string

// Kinds of draft.
const (
	// GapAnswer is a new template for a problem the bot could not answer but agents answered alike.
	GapAnswer DraftKind = "answer"
	// MoreExamples adds to a template the questions agents answered by starting from it.
	MoreExamples DraftKind = "examples"
)

// DraftStatus is where a draft stands in review.
type DraftStatus string

// Statuses of a draft.
const (
	Pending DraftStatus = "pending"
	// Publishing: approved and staged in the catalog; the voice function's next publication (every few minutes)
	// publishes it and makes it Approved, or returns it to Pending with the findings that stopped it.
	Publishing DraftStatus = "publishing"
	// Approved: approved and published.
	Approved DraftStatus = "approved"
	Rejected DraftStatus = "rejected"
	// Withdrawn: voice itself took back a pending draft the latest contacts no longer support.
	Withdrawn DraftStatus = "withdrawn"
)

// rank orders statuses for review: pending first, then approved (published or not yet), then rejected.
func (s DraftStatus) rank() int {
	switch s {
	case Pending:
		return 0
	case Publishing, Approved:
		return 1
	case Rejected:
		return 2
	}
	return 3
}

// Draft is a suggested change to the answer catalog, waiting for a person to approve or reject it.
type Draft struct {
	ID       string    `json:"id"`
	Merchant string    `json:"merchant"`
	Kind     DraftKind `json:"kind"`
	Cluster  string    `json:"cluster,omitempty"`
	Label    string    `json:"label,omitempty"`
	Locale   string    `json:"locale"`
	// Intent is the matcher's commonest guess for the cluster's messages; the reviewer may change it.
	Intent string `json:"intent,omitempty"`
	// Template is, for MoreExamples, the template to extend; once approved, the template published.
	Template string   `json:"template,omitempty"`
	Examples []string `json:"examples"`
	// Answer is the agents' commonest reply, masked: a reviewer replaces what the mask hid before approving.
	Answer string `json:"answer,omitempty"`
	// AnsweredAs counts, by intent, the bot's answers to this problem's messages (about it by what they say,
	// answered from a template of another purpose): where a draft belongs, and answers that may not have helped.
	AnsweredAs map[string]int `json:"answeredAs,omitempty"`
	// Impact counts the contacts in the lookback the draft is about; Agreement is the share of the agents'
	// replies that said the same as Answer.
	Impact    int         `json:"impact"`
	Agreement float64     `json:"agreement,omitempty"`
	Status    DraftStatus `json:"status"`
	CreatedAt time.Time   `json:"createdAt"`
	UpdatedAt time.Time   `json:"updatedAt"`
	DecidedBy string      `json:"decidedBy,omitempty"`
	DecidedAt time.Time   `json:"decidedAt,omitzero"`
	Reason    string      `json:"reason,omitempty"`
	// Published are the template ids approval staged, published at PublishedAt; Answered counts the bot's answers
	// from them since, and HandedOff the cluster's contacts that still went to a person without a template (both
	// added hourly).
	Published   []string  `json:"published,omitempty"`
	PublishedAt time.Time `json:"publishedAt,omitzero"`
	Answered    int       `json:"answered,omitempty"`
	HandedOff   int       `json:"handedOff,omitempty"`
	// Findings are what templates lint and the publication's checks found about the templates: warnings once
	// published (a draft's examples read as another intent, other merchants answered differently), errors when
	// the publication refused it and returned it to Pending.
	Findings []Finding `json:"findings,omitempty"`
}

// Finding is one thing a check found about a draft's templates (see catalog.Finding, which voice does not link).
type Finding struct {
	Severity string `json:"severity"`
	Template string `json:"template,omitempty"`
	Message  string `json:"message"`
}

// Gaps are the settings that turn a cluster into a draft.
type Gaps struct {
	// MinGap is the fewest contacts without a template a cluster needs in one language.
	MinGap int
	// MinReplies is the fewest of those an agent must have answered, and Agree the share of those replies
	// that must say the same (cosine Same between replies).
	MinReplies int
	Agree      float64
	Same       float64
	// MaxExamples bounds a draft's example questions.
	MaxExamples int
	// Generic is how many problems may share an answer before it counts as a stock reply ("let me check"),
	// which answers nothing: agents said it about three different problems, so it is not this one's answer.
	Generic int
}

// DefaultGaps: five contacts the bot missed, three agent replies, two thirds of them alike, and an answer
// given to at most two problems.
var DefaultGaps = Gaps{MinGap: 5, MinReplies: 3, Agree: 0.6, Same: 0.7, MaxExamples: 20, Generic: 2}

// DraftID names the draft for a cluster in a language.
func DraftID(cluster, locale string) string { return cluster + "." + locale }

// ProposeDrafts looks at vs (a merchant's voices over the lookback) grouped by gr, and returns the drafts to
// store: new ones, pending ones refreshed with the latest examples and replies, and pending ones withdrawn
// because the lookback has enough of their problem's contacts and no longer supports them (the replies stopped
// agreeing, or turned out to be a stock reply). Drafts a person already decided are left alone. answeredAs counts, per cluster and locale ("k1.en"), the bot's answers by
// intent to messages about the cluster's problem (see Grouper.Near); the commonest is the draft's intent, which
// otherwise is the matcher's commonest guess for the messages it could not answer.
func (g Gaps) ProposeDrafts(merchant string, gr Grouping, vs []Voice, existing []Draft, answeredAs map[string]map[string]int, now time.Time) []Draft {
	have := map[string]Draft{}
	for _, d := range existing {
		have[d.ID] = d
	}
	var out []Draft
	var gaps []Draft
	keep := func(d Draft) {
		if old, ok := have[d.ID]; ok {
			if old.Status != Pending {
				return
			}
			d.CreatedAt = old.CreatedAt
		}
		out = append(out, d)
	}
	// Every text problem's commonest reply per language, drafts or not: a stock reply shows up in many.
	var replies []vec
	evaluated := map[string]bool{} // drafts whose problem and language had enough contacts to judge
	for ci, c := range gr.Clusters {
		if c.Lane != LaneText {
			continue
		}
		byLocale := map[string][]int{}
		for _, i := range gr.Members[ci] {
			if vs[i].NoMatch() {
				byLocale[vs[i].Locale] = append(byLocale[vs[i].Locale], i)
			}
		}
		for _, loc := range slices.Sorted(mapKeys(byLocale)) {
			var replied []int
			for _, i := range byLocale[loc] {
				if vs[i].AgentAnswered() {
					replied = append(replied, i)
				}
			}
			if len(byLocale[loc]) >= g.MinGap {
				evaluated[DraftID(c.ID, loc)] = true
			}
			if len(replied) >= g.MinReplies {
				answer, _ := commonReply(replied, vs, g.Same)
				replies = append(replies, features(answer, defaultLexicon(), Weights{Word: 1, Bigram: 1}, nil).unit())
			}
			if d, ok := g.gapDraft(merchant, c, loc, byLocale[loc], vs, now); ok {
				if as := answeredAs[DraftID(c.ID, loc)]; len(as) > 0 {
					d.AnsweredAs = as
					d.Intent = commonest(as, d.Intent)
				}
				gaps = append(gaps, d)
			}
		}
	}
	// Stock replies: an answer that is the commonest reply to more than Generic problems answers none of them.
	supported := map[string]bool{}
	for _, d := range gaps {
		a := features(d.Answer, defaultLexicon(), Weights{Word: 1, Bigram: 1}, nil).unit()
		same := 0
		for _, r := range replies {
			if dot(a, r) >= g.Same {
				same++
			}
		}
		if same <= g.Generic {
			keep(d)
			supported[d.ID] = true
		}
	}
	for _, old := range existing {
		if old.Status == Pending && old.Kind == GapAnswer && evaluated[old.ID] && !supported[old.ID] {
			old.Status, old.DecidedBy, old.DecidedAt, old.UpdatedAt = Withdrawn, "voice", now, now
			old.Reason = "the latest contacts no longer support it: agents' replies differ, or it is a reply given to many problems"
			out = append(out, old)
		}
	}
	// Questions agents answered by starting from a suggested template: more examples for that template.
	byTemplate := map[string][]int{}
	for i, v := range vs {
		if v.AgentAnswered() && v.NoMatch() && v.Template != "" {
			byTemplate[v.Template] = append(byTemplate[v.Template], i)
		}
	}
	for _, id := range slices.Sorted(mapKeys(byTemplate)) {
		ms := byTemplate[id]
		exs := exampleQuestions(ms, vs, g.MaxExamples)
		if len(exs) < g.MinReplies {
			continue
		}
		keep(Draft{ID: "ex." + id, Merchant: merchant, Kind: MoreExamples, Template: id, Locale: vs[ms[0]].Locale,
			Intent: vs[ms[0]].Intent, Examples: exs, Impact: len(ms), Status: Pending, CreatedAt: now, UpdatedAt: now})
	}
	slices.SortStableFunc(out, func(a, b Draft) int {
		if c := cmp.Compare(b.Impact, a.Impact); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

func (g Gaps) gapDraft(merchant string, c Cluster, locale string, gap []int, vs []Voice, now time.Time) (Draft, bool) {
	if len(gap) < g.MinGap {
		return Draft{}, false
	}
	var replied []int
	for _, i := range gap {
		if vs[i].AgentAnswered() {
			replied = append(replied, i)
		}
	}
	if len(replied) < g.MinReplies {
		return Draft{}, false
	}
	answer, agree := commonReply(replied, vs, g.Same)
	if agree < g.Agree {
		return Draft{}, false
	}
	intents := map[string]int{}
	for _, i := range gap {
		if vs[i].Intent != "" {
			intents[vs[i].Intent]++
		}
	}
	return Draft{ID: DraftID(c.ID, locale), Merchant: merchant, Kind: GapAnswer, Cluster: c.ID, Label: c.Label, Locale: locale,
		Intent: commonest(intents, ""), Examples: exampleQuestions(gap, vs, g.MaxExamples), Answer: answer,
		Impact: len(gap), Agreement: agree, Status: Pending, CreatedAt: now, UpdatedAt: now}, true
}

// commonReply groups the agents' replies by similarity (cosine at least same, on plain word and bigram
// counts) and returns the most typical reply of the biggest group, with the share of replies in it.
func commonReply(replied []int, vs []Voice, same float64) (string, float64) {
	type group struct {
		sum     vec
		members []int
	}
	var groups []*group
	vecs := map[int]vec{}
	for _, i := range replied {
		v := features(vs[i].Reply, defaultLexicon(), Weights{Word: 1, Bigram: 1}, nil).unit()
		vecs[i] = v
		var best *group
		top := same
		for _, gp := range groups {
			if s := dot(v, cloneVec(gp.sum).unit()); s >= top {
				best, top = gp, s
			}
		}
		if best == nil {
			best = &group{sum: vec{}}
			groups = append(groups, best)
		}
		for k, x := range v {
			best.sum[k] += x
		}
		best.members = append(best.members, i)
	}
	if len(groups) == 0 {
		return "", 0
	}
	big := slices.MaxFunc(groups, func(a, b *group) int { return cmp.Compare(len(a.members), len(b.members)) })
	cent := cloneVec(big.sum).unit()
	answer, top := "", -1.0
	for _, i := range big.members {
		s := dot(vecs[i], cent)
		if s > top+1e-9 || (s > top-1e-9 && utf8.RuneCountInString(vs[i].Reply) < utf8.RuneCountInString(answer)) {
			answer, top = vs[i].Reply, s
		}
	}
	return answer, float64(len(big.members)) / float64(len(replied))
}

// exampleQuestions are up to n distinct questions of ms, without the mask placeholders, shortest first: the
// matcher learns from short questions best.
func exampleQuestions(ms []int, vs []Voice, n int) []string {
	seen := map[string]bool{}
	var out []string
	for _, i := range ms {
		q := strings.Join(strings.Fields(stripMasks(vs[i].Text)), " ")
		k := normalizedKey(q)
		if utf8.RuneCountInString(k) < 2 || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, q)
	}
	slices.SortStableFunc(out, func(a, b string) int {
		return cmp.Compare(utf8.RuneCountInString(a), utf8.RuneCountInString(b))
	})
	return out[:min(n, len(out))]
}
