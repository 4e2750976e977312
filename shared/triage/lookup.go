package triage

import "breakwater/shared/answer"

// Template returns the template with id, if the current catalog has it.
func (t *Triage) Template(id string) (answer.Template, bool) {
	for _, tpl := range t.index.Templates() {
		if tpl.ID == id {
			return tpl, true
		}
	}
	return answer.Template{}, false
}
