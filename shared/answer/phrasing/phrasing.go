// Package phrasing generates the many ways shoppers phrase each question from a small grammar, so that the
// matcher learns intents from the variety real text has (polite wrappers, terse forms, synonyms, misspellings)
// and not only from the few examples a merchant writes.
//
// A grammar is plain text:
//
//	# a comment
//	$rule: one way | another way | (an|a) inline (choice|) with an empty alternative
//	$list:
//	  one alternative per indented line
//	  which may use $rule references and (inline|groups)
//	@class order.cancel n=400
//	$vp: cancel my order | call off the purchase      (rules inside a class block are local to it)
//	> how (do|can) i $vp                              (a sentence pattern of the class)
//	>3 $want_vp                                       (a pattern three times as likely)
//
// Rules are looked up in the class block first, then among the global ones (those before the first @class), so
// a global wrapper such as "$want_vp: i want to $vp" reads each class's own $vp.
package phrasing

import (
	"bufio"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Grammar is a parsed grammar: global rules, and the classes with their patterns and local rules.
type Grammar struct {
	global  map[string][]node
	classes []*class
}

type class struct {
	name     string
	n        int
	rules    map[string][]node
	patterns []node
	weights  []int
	line     int
}

// node is one alternative: a sequence of parts.
type node []part

// part is literal text, a rule reference, or an inline choice among alternatives.
type part struct {
	text   string
	ref    string
	choice []node
}

// Parse reads a grammar; errors name the line.
func Parse(text string) (*Grammar, error) {
	g := &Grammar{global: map[string][]node{}}
	var (
		cur      *class
		openRule string // a "$name:" with no alternatives on its line takes the indented lines below it
		openIn   map[string][]node
	)
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for n := 1; sc.Scan(); n++ {
		raw := sc.Text()
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		indented := raw != "" && (raw[0] == ' ' || raw[0] == '\t')
		if indented && openRule != "" {
			alts, err := parseAlternatives(line)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			openIn[openRule] = append(openIn[openRule], alts...)
			continue
		}
		openRule = ""
		rules := g.global
		if cur != nil {
			rules = cur.rules
		}
		switch {
		case strings.HasPrefix(line, "@class "):
			fields := strings.Fields(line[len("@class "):])
			if len(fields) == 0 {
				return nil, fmt.Errorf("line %d: @class needs a name", n)
			}
			cur = &class{name: fields[0], n: 300, rules: map[string][]node{}, line: n}
			for _, f := range fields[1:] {
				v, ok := strings.CutPrefix(f, "n=")
				count, err := strconv.Atoi(v)
				if !ok || err != nil || count <= 0 {
					return nil, fmt.Errorf("line %d: %q: want n=<count>", n, f)
				}
				cur.n = count
			}
			for _, c := range g.classes {
				if c.name == cur.name {
					return nil, fmt.Errorf("line %d: class %s is defined twice (first at line %d)", n, c.name, c.line)
				}
			}
			g.classes = append(g.classes, cur)
		case strings.HasPrefix(line, "$"):
			name, body, ok := strings.Cut(line[1:], ":")
			name = strings.TrimSpace(name)
			if !ok || !isName(name) {
				return nil, fmt.Errorf("line %d: want $name: alternatives", n)
			}
			if _, dup := rules[name]; dup {
				return nil, fmt.Errorf("line %d: rule $%s is defined twice in the same scope", n, name)
			}
			body = strings.TrimSpace(body)
			if body == "" {
				openRule, openIn = name, rules
				rules[name] = nil
				continue
			}
			alts, err := parseAlternatives(body)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			rules[name] = alts
		case strings.HasPrefix(line, ">"):
			if cur == nil {
				return nil, fmt.Errorf("line %d: a pattern before any @class", n)
			}
			rest := line[1:]
			weight := 1
			if i := strings.IndexByte(rest, ' '); i > 0 {
				if w, err := strconv.Atoi(rest[:i]); err == nil && w > 0 {
					weight, rest = w, rest[i:]
				}
			}
			node, err := parseSeq(strings.TrimSpace(rest))
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			cur.patterns = append(cur.patterns, node)
			cur.weights = append(cur.weights, weight)
		default:
			return nil, fmt.Errorf("line %d: %q is not a rule, a pattern, a class or a comment", n, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read grammar: %w", err)
	}
	return g, g.check()
}

// check reports references to undefined rules, classes without patterns, and rules without alternatives.
func (g *Grammar) check() error {
	for name, alts := range g.global {
		if len(alts) == 0 {
			return fmt.Errorf("rule $%s has no alternatives", name)
		}
	}
	for _, c := range g.classes {
		if len(c.patterns) == 0 {
			return fmt.Errorf("class %s (line %d) has no patterns", c.name, c.line)
		}
		for name, alts := range c.rules {
			if len(alts) == 0 {
				return fmt.Errorf("class %s: rule $%s has no alternatives", c.name, name)
			}
		}
		var missing []string
		var walk func(nodes []node, depth int)
		seen := map[string]bool{}
		walk = func(nodes []node, depth int) {
			for _, nd := range nodes {
				for _, p := range nd {
					switch {
					case p.ref != "":
						if seen[p.ref] {
							continue
						}
						seen[p.ref] = true
						alts, ok := c.rules[p.ref]
						if !ok {
							alts, ok = g.global[p.ref]
						}
						if !ok {
							missing = append(missing, "$"+p.ref)
							continue
						}
						walk(alts, depth+1)
					case p.choice != nil:
						walk(p.choice, depth)
					}
				}
			}
		}
		walk(c.patterns, 0)
		if len(missing) > 0 {
			slices.Sort(missing)
			return fmt.Errorf("class %s (line %d) uses undefined %s", c.name, c.line, strings.Join(slices.Compact(missing), ", "))
		}
	}
	return nil
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// parseAlternatives reads "a | b | c" at the top level (outside parentheses).
func parseAlternatives(s string) ([]node, error) {
	var out []node
	depth, start := 0, 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) {
			switch s[i] {
			case '(':
				depth++
			case ')':
				depth--
				if depth < 0 {
					return nil, fmt.Errorf("unbalanced ) in %q", s)
				}
			}
			if !(s[i] == '|' && depth == 0) {
				continue
			}
		}
		nd, err := parseSeq(strings.TrimSpace(s[start:i]))
		if err != nil {
			return nil, err
		}
		out = append(out, nd)
		start = i + 1
	}
	if depth != 0 {
		return nil, fmt.Errorf("unbalanced ( in %q", s)
	}
	return out, nil
}

// parseSeq reads a sequence of text, $refs and (inline|choices).
func parseSeq(s string) (node, error) {
	var nd node
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			nd = append(nd, part{text: text.String()})
			text.Reset()
		}
	}
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '$':
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			if j == i+1 {
				text.WriteByte(c)
				i++
				continue
			}
			flush()
			nd = append(nd, part{ref: s[i+1 : j]})
			i = j
		case c == '(':
			depth, j := 0, i
			for ; j < len(s); j++ {
				if s[j] == '(' {
					depth++
				} else if s[j] == ')' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			if j == len(s) {
				return nil, fmt.Errorf("unbalanced ( in %q", s)
			}
			alts, err := parseAlternatives(s[i+1 : j])
			if err != nil {
				return nil, err
			}
			flush()
			nd = append(nd, part{choice: alts})
			i = j + 1
		case c == ')':
			return nil, fmt.Errorf("unbalanced ) in %q", s)
		default:
			text.WriteByte(c)
			i++
		}
	}
	flush()
	return nd, nil
}

// Classes lists the grammar's class names in the order they appear.
func (g *Grammar) Classes() []string {
	out := make([]string, len(g.classes))
	for i, c := range g.classes {
		out[i] = c.name
	}
	return out
}

// Generate returns up to each class's n distinct sentences, by class name. The same grammar and seed always give
// the same sentences in the same order.
func (g *Grammar) Generate(seed uint64, noise func(*rand.Rand, string) string) map[string][]string {
	out := make(map[string][]string, len(g.classes))
	for _, c := range g.classes {
		h := fnv.New64a()
		h.Write([]byte(c.name))
		rng := rand.New(rand.NewPCG(seed, h.Sum64()))
		total := 0
		for _, w := range c.weights {
			total += w
		}
		seen := map[string]bool{}
		var got []string
		for tries := 0; len(got) < c.n && tries < c.n*20; tries++ {
			k, pick := 0, rng.IntN(total)
			for pick >= c.weights[k] {
				pick -= c.weights[k]
				k++
			}
			var b strings.Builder
			g.expand(&b, c, c.patterns[k], rng, 0)
			s := tidy(b.String())
			if noise != nil {
				s = noise(rng, s)
			}
			if s == "" || seen[s] {
				continue
			}
			seen[s] = true
			got = append(got, s)
		}
		out[c.name] = got
	}
	return out
}

// maxDepth stops a rule that refers to itself.
const maxDepth = 24

func (g *Grammar) expand(b *strings.Builder, c *class, nd node, rng *rand.Rand, depth int) {
	if depth > maxDepth {
		return
	}
	for _, p := range nd {
		switch {
		case p.ref != "":
			alts, ok := c.rules[p.ref]
			if !ok {
				alts = g.global[p.ref]
			}
			if len(alts) > 0 {
				g.expand(b, c, alts[rng.IntN(len(alts))], rng, depth+1)
			}
		case p.choice != nil:
			g.expand(b, c, p.choice[rng.IntN(len(p.choice))], rng, depth+1)
		default:
			b.WriteString(p.text)
		}
	}
}

// tidy collapses runs of spaces left by empty alternatives and spaces before punctuation.
func tidy(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	for _, p := range []string{" ?", " ,", " .", " !", " '"} {
		s = strings.ReplaceAll(s, p, p[1:])
	}
	return s
}
