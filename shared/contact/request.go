package contact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"breakwater/shared/intent"
)

// Limits on what a shopper may send.
const (
	MaxBodyBytes = 16 << 10
	MaxTextRunes = 2000
	maxAttrs     = 32
	maxShortLen  = 128
)

// ErrTooLarge is returned for a request body over MaxBodyBytes.
var ErrTooLarge = errors.New("request body too large")

// FieldError names the field that is wrong and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Problem string `json:"problem"`
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// Request is the body of POST /contacts.
type Request struct {
	Merchant string          `json:"merchant"`
	Shopper  *RequestShopper `json:"shopper"`
	Locale   string          `json:"locale"`
	Channel  string          `json:"channel"`
	Text     *string         `json:"text"`
	Topic    string          `json:"topic"`
	Context  *Context        `json:"context"`
	// Identity is the storefront's signature of the shopper, tier and order (see package storefront); without a
	// valid one the shopper is anonymous: standard tier, and the order's amount raises nothing.
	Identity string `json:"identity"`
}

// maxIdentity bounds the signed identity a storefront may send.
const maxIdentity = 4096

// RequestShopper is the shopper as the storefront sends it.
type RequestShopper struct {
	ID   string `json:"id"`
	Tier string `json:"tier"`
}

var (
	idPattern      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$`)
	channelPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
)

// Decode reads a POST /contacts body strictly: unknown fields, trailing data and wrong types are errors naming the field.
func Decode(body []byte) (Request, error) {
	var r Request
	if len(body) > MaxBodyBytes {
		return r, ErrTooLarge
	}
	return r, DecodeJSON(body, &r)
}

// DecodeJSON reads one JSON object from body into v as the API reads every request body: unknown fields, trailing
// data, wrong types and invalid UTF-8 are *FieldError naming the field (or "body").
func DecodeJSON(body []byte, v any) error {
	if !utf8.Valid(body) {
		return fieldErr("body", "is not valid UTF-8")
	}
	if name, dup := duplicateKey(body); dup {
		// Two values for one field: parsers disagree on which wins, so a check and a use could see different ones.
		return fieldErr(name, "appears twice")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fieldErr("body", "must hold exactly one JSON object")
	}
	return nil
}

func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return fieldErr("body", "must be a JSON object")
	case errors.As(err, &typeErr):
		return fieldErr(typeErr.Field, "must be a %s", typeErr.Type.Kind())
	case errors.As(err, &syntaxErr):
		return fieldErr("body", "is not valid JSON at byte %d", syntaxErr.Offset)
	case errors.Is(err, io.EOF):
		return fieldErr("body", "is empty")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		if name == "" || len(name) > 64 {
			return fieldErr("body", "has a field that is not known")
		}
		return fieldErr(name, "is not a known field")
	default:
		return fieldErr("body", "is not a valid contact: %v", err)
	}
}

// New validates r and makes the contact it describes, received at now.
// The caller sets ID, TokenHash and Recent.
func New(r Request, now time.Time) (Contact, error) {
	var c Contact
	if !idPattern.MatchString(r.Merchant) {
		return c, fieldErr("merchant", "is required: 1-128 letters, digits or . _ : @ -")
	}
	if r.Shopper == nil {
		return c, fieldErr("shopper", "is required")
	}
	if !idPattern.MatchString(r.Shopper.ID) {
		return c, fieldErr("shopper.id", "is required: 1-128 letters, digits or . _ : @ -")
	}
	tier := Tier(strings.ToLower(r.Shopper.Tier))
	if r.Shopper.Tier == "" {
		tier = Standard
	}
	if !validTier(tier) {
		return c, fieldErr("shopper.tier", "must be one of standard, silver, gold, platinum")
	}
	if r.Text == nil {
		return c, fieldErr("text", "is required")
	}
	text, err := cleanText(*r.Text)
	if err != nil {
		return c, err
	}
	loc, err := ParseLocale(r.Locale)
	if err != nil {
		return c, err
	}
	if loc == "" {
		loc = DetectLocale(text)
	}
	channel := r.Channel
	if channel == "" {
		channel = "web"
	}
	if !channelPattern.MatchString(channel) {
		return c, fieldErr("channel", "must be 1-32 lowercase letters, digits, _ or -")
	}
	if r.Topic != "" && !intent.Known(r.Topic) {
		return c, fieldErr("topic", "must be one of the menu topics, such as order.track")
	}
	if err := validContext(r.Context); err != nil {
		return c, err
	}
	if len(r.Identity) > maxIdentity || strings.ContainsFunc(r.Identity, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return c, fieldErr("identity", "must be the storefront's signed token (at most %d printable ASCII characters)", maxIdentity)
	}
	return Contact{
		Merchant:   r.Merchant,
		Shopper:    Shopper{ID: r.Shopper.ID, Tier: tier},
		Locale:     loc,
		Channel:    channel,
		Text:       text,
		Topic:      r.Topic,
		Context:    r.Context,
		ReceivedAt: now.UTC(),
	}, nil
}

func validTier(t Tier) bool {
	for _, known := range Tiers {
		if t == known {
			return true
		}
	}
	return false
}

func cleanText(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fieldErr("text", "is not valid UTF-8")
	}
	s = strings.TrimSpace(s)
	// Zero-width spaces, joiners and direction marks are invisible: a text of them and spaces says nothing.
	if strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) }) == "" {
		return "", fieldErr("text", "is empty")
	}
	if n := utf8.RuneCountInString(s); n > MaxTextRunes {
		return "", fieldErr("text", "has %d characters, at most %d allowed", n, MaxTextRunes)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return "", fieldErr("text", "contains control character %U", r)
		}
	}
	return s, nil
}

// ParseLocale accepts zh-CN or en in common spellings; an empty string means "detect".
func ParseLocale(s string) (Locale, error) {
	switch strings.ToLower(strings.ReplaceAll(s, "_", "-")) {
	case "":
		return "", nil
	case "zh", "zh-cn", "zh-hans", "zh-hans-cn":
		return Chinese, nil
	case "en", "en-us", "en-gb":
		return English, nil
	}
	return "", fieldErr("locale", "must be zh-CN or en")
}

// DetectLocale answers zh-CN when Han characters make up a noticeable share of the letters, en otherwise.
func DetectLocale(text string) Locale {
	var han, letters int
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Han, r):
			han++
			letters++
		case unicode.IsLetter(r):
			letters++
		}
	}
	if han > 0 && han*5 >= letters {
		return Chinese
	}
	return English
}

func validContext(ctx *Context) error {
	if ctx == nil {
		return nil
	}
	if len(ctx.Orders) > MaxOrders {
		return fieldErr("context.orders", "has %d orders, at most %d allowed", len(ctx.Orders), MaxOrders)
	}
	for _, o := range ctx.Orders {
		if err := validOrder("context.orders[].", &o); err != nil {
			return err
		}
	}
	if err := validOrder("context.order.", ctx.Order); err != nil {
		return err
	}
	if p := ctx.Product; p != nil {
		if err := shortText("context.product.sku", p.SKU); err != nil {
			return err
		}
		if err := shortText("context.product.name", p.Name); err != nil {
			return err
		}
		if len(p.Attributes) > maxAttrs {
			return fieldErr("context.product.attributes", "has %d entries, at most %d allowed", len(p.Attributes), maxAttrs)
		}
		for k, v := range p.Attributes {
			if !validAttrKey(k) {
				return fieldErr("context.product.attributes", "key %q must be 1-64 letters, digits or _ -", k)
			}
			if err := shortText("context.product.attributes."+k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

func validOrder(prefix string, o *Order) error {
	if o == nil {
		return nil
	}
	for name, v := range map[string]string{
		"id": o.ID, "status": o.Status, "carrier": o.Carrier, "trackingNumber": o.TrackingNumber,
		"estimatedDelivery": o.EstimatedDelivery, "currency": o.Currency,
	} {
		if err := shortText(prefix+name, v); err != nil {
			return err
		}
	}
	if a := o.Amount; a != nil && (math.IsNaN(*a) || *a < 0 || *a > 1e9) {
		return fieldErr(prefix+"amount", "must be a number from 0 to 1000000000")
	}
	return nil
}

// validAttrKey reports whether k is 1 to 64 letters, digits, _ or -, in any script. (The regular expression
// ^[\p{L}\p{N}_-]{1,64}$ says the same but took 11 ms and 2.6 MB to compile at every cold start.)
func validAttrKey(k string) bool {
	n := 0
	for _, r := range k {
		if n++; n > 64 || !(unicode.IsLetter(r) || unicode.IsNumber(r) || r == '_' || r == '-') {
			return false
		}
	}
	return n > 0
}

func shortText(field, v string) error {
	if utf8.RuneCountInString(v) > maxShortLen {
		return fieldErr(field, "is longer than %d characters", maxShortLen)
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return fieldErr(field, "contains control character %U", r)
		}
	}
	return nil
}

// duplicateKey reports the first object key that appears twice in the same object of body, with its path.
func duplicateKey(body []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		object bool
		keys   map[string]bool
		key    bool   // the next string token is a key
		path   string // of this object or array
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false // malformed JSON is reported by the decoder proper
		}
		top := len(stack) - 1
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				path := ""
				if top >= 0 {
					path = stack[top].path
				}
				stack = append(stack, frame{object: t == '{', keys: map[string]bool{}, key: t == '{', path: path})
				continue
			default:
				stack = stack[:top]
				if top = len(stack) - 1; top >= 0 && stack[top].object {
					stack[top].key = true
				}
				continue
			}
		case string:
			if top >= 0 && stack[top].object && stack[top].key {
				name := t
				if stack[top].path != "" {
					name = stack[top].path + "." + t
				}
				// encoding/json matches a struct field's name case-insensitively (Unicode simple folding: "TIER",
				// "ſhopper"), so keys that fold alike are one field to it and count as the same key here.
				if k := foldKey(t); stack[top].keys[k] {
					return name, true
				} else {
					stack[top].keys[k] = true
				}
				stack[top].key = false
				// The value that follows lives under this key.
				next, err := dec.Token()
				if err != nil {
					return "", false
				}
				if d, ok := next.(json.Delim); ok && (d == '{' || d == '[') {
					stack = append(stack, frame{object: d == '{', keys: map[string]bool{}, key: d == '{', path: name})
				} else {
					stack[top].key = true
				}
				continue
			}
		}
		if top >= 0 && stack[top].object {
			stack[top].key = true
		}
	}
}

// foldKey maps every rune of key to the smallest rune of its Unicode simple case-folding orbit, so two keys have
// the same foldKey exactly when strings.EqualFold (and encoding/json's field matching) holds them equal.
func foldKey(key string) string {
	return strings.Map(func(r rune) rune {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		return m
	}, key)
}
