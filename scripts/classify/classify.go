package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"breakwater/shared/contact"
	"breakwater/shared/triage"
)

// maxLine bounds one input line; longer lines are reported and skipped.
const maxLine = 1 << 20

type classifier struct {
	triage   *triage.Triage
	merchant string
	now      time.Time
	explain  bool
}

type input struct {
	ID     string  `json:"id"`
	Text   *string `json:"text"`
	Locale string  `json:"locale"`
}

type output struct {
	ID         string      `json:"id"`
	Decision   string      `json:"decision"`
	Intent     string      `json:"intent"`
	Template   string      `json:"template"`
	Confidence float64     `json:"confidence"`
	Priority   string      `json:"priority"`
	Reasons    []string    `json:"reasons"`
	Candidates []candidate `json:"candidates,omitempty"`
	Others     []candidate `json:"others,omitempty"`
	Answer     string      `json:"answer,omitempty"`
}

type candidate struct {
	Template string  `json:"template,omitempty"`
	Intent   string  `json:"intent"`
	Score    float64 `json:"score"`
}

type failure struct {
	ID    string `json:"id"`
	Error string `json:"error"`
}

// explained is how many candidates -explain lists.
const explained = 5

// run classifies every line of in, writing one line to out per input line, in order.
func (c classifier) run(in io.Reader, out io.Writer) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for n := 1; ; n++ {
		if !sc.Scan() {
			err := sc.Err()
			if errors.Is(err, bufio.ErrTooLong) {
				// The scanner cannot resume after an overlong line: report it and stop.
				return enc.Encode(failure{Error: fmt.Sprintf("line %d: longer than %d bytes", n, maxLine)})
			}
			if err != nil {
				return fmt.Errorf("read line %d: %w", n, err)
			}
			return nil
		}
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var v any
		if o, err := c.one(line); err != nil {
			v = failure{ID: o.ID, Error: fmt.Sprintf("line %d: %v", n, err)}
		} else {
			v = o
		}
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("write line %d: %w", n, err)
		}
	}
}

func (c classifier) one(line []byte) (output, error) {
	var in input
	if err := json.Unmarshal(line, &in); err != nil {
		// Salvage the id for the error line when the object is otherwise readable.
		var id struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(line, &id)
		return output{ID: id.ID}, fmt.Errorf("not a JSON object {\"id\",\"text\",\"locale\"?}: %w", err)
	}
	o := output{ID: in.ID}
	switch {
	case in.Text == nil:
		return o, errors.New("text is missing")
	case strings.TrimSpace(*in.Text) == "":
		return o, errors.New("text is empty")
	}
	locale := contact.Locale(in.Locale)
	switch in.Locale {
	case "":
		locale = guessLocale(*in.Text)
	case string(contact.Chinese), string(contact.English):
	default:
		return o, fmt.Errorf("locale %q is not zh-CN or en", in.Locale)
	}
	d := c.triage.Decide(contact.Contact{
		ID: in.ID, Merchant: c.merchant, Shopper: contact.Shopper{ID: "classify", Tier: contact.Standard},
		Locale: locale, Channel: "classify", Text: *in.Text, ReceivedAt: c.now,
	}, c.now)
	o.Decision, o.Intent, o.Template, o.Confidence, o.Reasons = "human", d.Intent, d.Template, round(d.Confidence), d.Reasons
	switch {
	case d.Auto:
		o.Decision = "auto"
	case d.Decline:
		o.Decision = "decline"
	default:
		o.Priority = d.Priority.String()
	}
	if o.Reasons == nil {
		o.Reasons = []string{}
	}
	if c.explain {
		for i, cand := range d.Candidates {
			if i == explained {
				break
			}
			o.Candidates = append(o.Candidates, candidate{Template: cand.Template.ID, Intent: cand.Template.Intent, Score: round(cand.Score)})
		}
		for _, other := range d.Others {
			o.Others = append(o.Others, candidate{Intent: other.Class, Score: round(other.Score)})
		}
		o.Answer = d.Answer
	}
	return o, nil
}

// guessLocale picks zh-CN for text with any Han character, en otherwise.
func guessLocale(text string) contact.Locale {
	for _, r := range text {
		if unicode.Is(unicode.Han, r) {
			return contact.Chinese
		}
	}
	return contact.English
}

func round(x float64) float64 { return float64(int(x*10000+0.5)) / 10000 }
