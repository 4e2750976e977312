// Package voice is the voice of the customer: it gathers what happened to every contact, masks personal data,
// groups the contacts of each merchant into problems with ids that stay stable from hour to hour, finds spikes
// against the same hour of the last seven days, routes each problem to the owner its rules name, writes the
// owners' digests, and turns problems the bot could not answer, but agents answered alike, into draft templates.
package voice
