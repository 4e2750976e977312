package answer

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
)

// model is a multinomial logistic regression over (locale, intent) classes, trained on the example questions:
// it learns which terms tell similar intents apart ("subscription" against "order" for a cancellation),
// which nearest-example similarity alone does not.
type model struct {
	classes []class
	// weights[term*len(classes)+c] is term's weight for class c.
	weights []float32
	bias    []float32
	// ofTemplate[i] is the class of template i.
	ofTemplate []int
}

type class struct{ locale, intent string }

// entry is one term of a unit-length example vector.
type entry struct {
	term int32
	x    float32
}

// Training settings: few epochs suffice on a few hundred short examples per locale; L2 keeps weights small so
// unfamiliar text yields flat, low-confidence probabilities.
const (
	epochs = 40
	rate   = 2.0
	l2     = 0.0001
)

// example is one example question of a template: examples[doc] in train.
type example struct{ template, doc int32 }

// train fits the model to the examples in learn, whose vectors are in examples.
func train(ts []Template, learn []example, examples [][]entry, nTerms int) model {
	var m model
	index := map[class]int{}
	for _, t := range ts {
		c := class{t.Locale, t.Intent}
		if _, ok := index[c]; !ok {
			index[c] = len(m.classes)
			m.classes = append(m.classes, c)
		}
	}
	// Order classes by locale so a locale's classes are contiguous.
	slices.SortStableFunc(m.classes, func(a, b class) int {
		if a.locale != b.locale {
			if a.locale < b.locale {
				return -1
			}
			return 1
		}
		if a.intent < b.intent {
			return -1
		}
		if a.intent > b.intent {
			return 1
		}
		return 0
	})
	for i, c := range m.classes {
		index[c] = i
	}
	m.ofTemplate = make([]int, len(ts))
	for i, t := range ts {
		m.ofTemplate[i] = index[class{t.Locale, t.Intent}]
	}
	nc := len(m.classes)
	m.weights = make([]float32, nTerms*nc)
	m.bias = make([]float32, nc)
	lo, hi := m.localeRanges()
	// Each distinct (class, example) once: a merchant's copy of a platform template teaches nothing new, and
	// training on every copy made init time grow with the number of merchants.
	var order []example
	seen := map[string]bool{}
	for _, e := range learn {
		es := examples[e.doc]
		if len(es) == 0 {
			continue
		}
		if key := exampleKey(m.ofTemplate[e.template], es); !seen[key] {
			seen[key] = true
			order = append(order, e)
		}
	}
	rng := rand.New(rand.NewPCG(4, 2))
	p := make([]float64, nc)
	// The weights averaged over the second half of training vary less with the order examples came in.
	avgW, avgB := make([]float32, len(m.weights)), make([]float32, nc)
	averaged := 0
	for epoch := 0; epoch < epochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		lr := rate / (1 + 0.1*float64(epoch))
		for _, ex := range order {
			y, d := m.ofTemplate[ex.template], ex.doc
			a, b := lo[y], hi[y]
			for c := a; c < b; c++ {
				z := float64(m.bias[c])
				for _, e := range examples[d] {
					z += float64(e.x * m.weights[int(e.term)*nc+c])
				}
				p[c] = z
			}
			softmax(p[a:b])
			for c := a; c < b; c++ {
				g := p[c]
				if c == y {
					g--
				}
				m.bias[c] -= float32(lr * g)
				for _, e := range examples[d] {
					w := &m.weights[int(e.term)*nc+c]
					*w -= float32(lr * (g*float64(e.x) + l2*float64(*w)))
				}
			}
		}
		if epoch >= epochs/2 {
			for i, w := range m.weights {
				avgW[i] += w
			}
			for i, b := range m.bias {
				avgB[i] += b
			}
			averaged++
		}
	}
	if averaged > 0 {
		for i := range avgW {
			m.weights[i] = avgW[i] / float32(averaged)
		}
		for i := range avgB {
			m.bias[i] = avgB[i] / float32(averaged)
		}
	}
	halfPrecision(m.weights)
	return m
}

// localeRanges returns, for each class, the bounds of its locale's classes.
func (m *model) localeRanges() (lo, hi []int) {
	lo, hi = make([]int, len(m.classes)), make([]int, len(m.classes))
	start := 0
	for i := range m.classes {
		if i > 0 && m.classes[i].locale != m.classes[i-1].locale {
			start = i
		}
		lo[i] = start
	}
	end := len(m.classes)
	for i := len(m.classes) - 1; i >= 0; i-- {
		if i < len(m.classes)-1 && m.classes[i].locale != m.classes[i+1].locale {
			end = i + 1
		}
		hi[i] = end
	}
	return lo, hi
}

func softmax(z []float64) {
	if len(z) == 0 {
		return
	}
	top := slices.Max(z)
	var sum float64
	for i := range z {
		z[i] = math.Exp(z[i] - top)
		sum += z[i]
	}
	for i := range z {
		z[i] /= sum
	}
}

// exampleKey identifies an example's features within its class.
func exampleKey(class int, es []entry) string {
	b := make([]byte, 0, 8+8*len(es))
	b = binary.LittleEndian.AppendUint64(b, uint64(class))
	for _, e := range es {
		b = binary.LittleEndian.AppendUint32(b, uint32(e.term))
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(e.x))
	}
	return string(b)
}
