package answer

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
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
	epochs = 20
	rate   = 2.0
	l2     = 0.0001
	// minWeight: a term's weight for a class below this moves that class's logit by less than about 0.01.
	minWeight = 0.05
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
	// Each locale's classes have a softmax of their own and their own columns of the weights, so the locales train
	// apart, in parallel, each in a fixed order: the result does not depend on scheduling.
	byLocale := map[int][]example{}
	for _, ex := range order {
		first := lo[m.ofTemplate[ex.template]]
		byLocale[first] = append(byLocale[first], ex)
	}
	var wg sync.WaitGroup
	for first, exs := range byLocale {
		wg.Go(func() { m.trainLocale(exs, examples, first, hi[first], uint64(first)) })
	}
	wg.Wait()
	// Weights too small to move a probability are dropped: the snapshot stores only the others.
	for i, w := range m.weights {
		if w > -minWeight && w < minWeight {
			m.weights[i] = 0
		}
	}
	halfPrecision(m.weights)
	return m
}

// trainLocale runs stochastic gradient descent on the examples of the classes [a, b), which are one locale's. It
// trains its own matrix of those classes' columns, so that two locales training at once share no cache lines,
// and copies it into m.weights at the end.
func (m *model) trainLocale(order []example, examples [][]entry, a, b int, seed uint64) {
	nc, k := len(m.classes), b-a
	nTerms := len(m.weights) / max(1, nc)
	w := make([]float32, nTerms*k)
	bias := make([]float32, k)
	rng := rand.New(rand.NewPCG(4, 2+seed))
	p := make([]float64, k)
	// The weights averaged over the second half of training vary less with the order examples came in.
	avgW, avgB := make([]float32, len(w)), make([]float32, k)
	averaged := 0
	for epoch := 0; epoch < epochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		lr := rate / (1 + 0.1*float64(epoch))
		for _, ex := range order {
			y, d := m.ofTemplate[ex.template]-a, ex.doc
			for c := range k {
				p[c] = float64(bias[c])
			}
			for _, e := range examples[d] {
				row := w[int(e.term)*k : int(e.term)*k+k]
				for c, x := range row {
					p[c] += float64(e.x * x)
				}
			}
			softmax(p)
			for c := range k {
				g := p[c]
				if c == y {
					g--
				}
				bias[c] -= float32(lr * g)
			}
			for _, e := range examples[d] {
				row := w[int(e.term)*k : int(e.term)*k+k]
				for c := range row {
					g := p[c]
					if c == y {
						g--
					}
					row[c] -= float32(lr * (g*float64(e.x) + l2*float64(row[c])))
				}
			}
		}
		if epoch >= epochs/2 {
			for i, x := range w {
				avgW[i] += x
			}
			for c, x := range bias {
				avgB[c] += x
			}
			averaged++
		}
	}
	for t := range nTerms {
		for c := range k {
			m.weights[t*nc+a+c] = avgW[t*k+c] / float32(averaged)
		}
	}
	for c := range k {
		m.bias[a+c] = avgB[c] / float32(averaged)
	}
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
