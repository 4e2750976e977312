// Package intent names what a contact is about and why a contact goes to a person.
package intent

import "slices"

// Routine intents: each answer template declares exactly one.
var Intents = []string{
	"order.track", "order.cancel", "order.change", "order.place",
	"shipping.time", "shipping.options", "shipping.address",
	"return.policy", "refund.status", "refund.request",
	"payment.methods", "invoice.request", "promo.rules", "product.specs",
	"warranty", "account.password", "account.manage", "contact.hours",
	"subscription.manage", "feedback.review",
}

// Hand-off reasons: why a contact went to a person instead of a template.
const (
	HumanRequest   = "human.request"
	Complaint      = "complaint"
	PaymentProblem = "payment.problem"
	Dispute        = "dispute"
	Fraud          = "fraud"
	// ProblemReport is a report that something does not work for the shopper (sign-up, log-in, the app, checkout):
	// a how-to answer would not help.
	ProblemReport = "problem.report"
	NoMatch       = "no.match"
)

// Reasons lists every hand-off reason.
var Reasons = []string{HumanRequest, Complaint, PaymentProblem, Dispute, Fraud, ProblemReport, NoMatch}

// Known reports whether name is one of Intents.
func Known(name string) bool { return slices.Contains(Intents, name) }

// KnownReason reports whether name is one of Reasons.
func KnownReason(name string) bool { return slices.Contains(Reasons, name) }
