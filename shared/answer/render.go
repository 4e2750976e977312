package answer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"breakwater/shared/contact"
)

// placeholders maps each field a template may use to how it is read from a contact.
var placeholders = map[string]func(c contact.Contact) string{
	"contact.id":              func(c contact.Contact) string { return c.ID },
	"merchant":                func(c contact.Contact) string { return c.Merchant },
	"shopper.id":              func(c contact.Contact) string { return c.Shopper.ID },
	"shopper.tier":            func(c contact.Contact) string { return string(c.Shopper.Tier) },
	"order.id":                func(c contact.Contact) string { return order(c).ID },
	"order.status":            func(c contact.Contact) string { return order(c).Status },
	"order.carrier":           func(c contact.Contact) string { return order(c).Carrier },
	"order.trackingNumber":    func(c contact.Contact) string { return order(c).TrackingNumber },
	"order.estimatedDelivery": func(c contact.Contact) string { return order(c).EstimatedDelivery },
	"order.amount": func(c contact.Contact) string {
		if a := order(c).Amount; a != nil {
			return strconv.FormatFloat(*a, 'f', 2, 64)
		}
		return ""
	},
	"order.currency": func(c contact.Contact) string { return order(c).Currency },
	"product.sku":    func(c contact.Contact) string { return product(c).SKU },
	"product.name":   func(c contact.Contact) string { return product(c).Name },
}

const attrPrefix = "product.attributes."

func isAttr(name string) bool {
	return strings.HasPrefix(name, attrPrefix) && len(name) > len(attrPrefix)
}

var noOrder contact.Order
var noProduct contact.Product

func order(c contact.Contact) *contact.Order {
	if c.Context == nil || c.Context.Order == nil {
		return &noOrder
	}
	return c.Context.Order
}

func product(c contact.Contact) *contact.Product {
	if c.Context == nil || c.Context.Product == nil {
		return &noProduct
	}
	return c.Context.Product
}

// value reads one field from c; ok is false for an unknown field.
func value(c contact.Contact, name string) (string, bool) {
	if f, ok := placeholders[name]; ok {
		return f(c), true
	}
	if isAttr(name) {
		return product(c).Attributes[strings.TrimPrefix(name, attrPrefix)], true
	}
	return "", false
}

// ErrMissing is returned by Render when a field the template requires is empty.
var ErrMissing = errors.New("required field missing")

// MissingError names the required fields the contact lacks.
type MissingError struct{ Fields []string }

func (e *MissingError) Error() string { return "missing " + strings.Join(e.Fields, ", ") }
func (e *MissingError) Unwrap() error { return ErrMissing }

// Missing lists the fields t requires that c lacks.
func (t Template) Missing(c contact.Contact) []string {
	var missing []string
	for _, f := range t.Requires {
		if v, _ := value(c, f); v == "" {
			missing = append(missing, f)
		}
	}
	return missing
}

// Render fills t's answer from c. Values are inserted as they are and never scanned again,
// so text a shopper or storefront supplied is never read as template syntax.
// When a required field is missing it returns the Ask text (if the template asks) or a *MissingError.
func (t Template) Render(c contact.Contact) (string, error) {
	if missing := t.Missing(c); len(missing) > 0 {
		if t.WhenMissing == MissingAsk {
			return fill(t.Ask, c)
		}
		return "", &MissingError{Fields: missing}
	}
	return fill(t.Answer, c)
}

func fill(src string, c contact.Contact) (string, error) {
	var b strings.Builder
	b.Grow(len(src) + 64)
	for {
		i := strings.Index(src, "{{")
		if i < 0 {
			b.WriteString(src)
			return b.String(), nil
		}
		j := strings.Index(src[i:], "}}")
		if j < 0 {
			return "", fmt.Errorf("unclosed {{ at %q", src[i:])
		}
		name := strings.TrimSpace(src[i+2 : i+j])
		v, ok := value(c, name)
		if !ok {
			return "", fmt.Errorf("unknown placeholder {{%s}}", name)
		}
		b.WriteString(src[:i])
		b.WriteString(v)
		src = src[i+j+2:]
	}
}

func checkPlaceholders(src string) error {
	_, err := fill(src, contact.Contact{})
	return err
}
