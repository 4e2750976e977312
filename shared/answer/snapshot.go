package answer

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// indexFormat heads every encoded index; a reader refuses any other, so a responder built before a format change
// rebuilds from the templates instead of misreading a newer snapshot.
const indexFormat = "breakwater-index/2\n"

// maxWeights bounds what a decoder allocates for a model: 64 times what the default pack needs.
const maxWeights = 1 << 24

// AppendBinary appends ix, built and trained, to b, so that a reader gets it with DecodeIndex instead of building it
// again: building trains the matcher's model, which is most of a cold start. Example questions are left out:
// matching never reads them once the index is built.
func (ix *Index) AppendBinary(b []byte) ([]byte, error) {
	ts := make([]Template, len(ix.templates))
	for i, t := range ix.templates {
		t.Examples = nil
		ts[i] = t
	}
	js, err := json.Marshal(ts)
	if err != nil {
		return nil, fmt.Errorf("encode index templates: %w", err)
	}
	b = append(b, indexFormat...)
	b = appendBytes(b, js)
	b = binary.AppendUvarint(b, uint64(ix.real))
	b = binary.AppendUvarint(b, uint64(len(ix.speller.words)))
	for _, w := range ix.speller.words {
		b = appendBytes(b, []byte(w))
	}
	b = appendFloat(b, ix.oovIDF)
	b = binary.AppendUvarint(b, uint64(ix.docs))
	for _, d := range ix.docOf {
		b = binary.AppendUvarint(b, uint64(d))
	}

	// Terms in id order, each with its postings; a term's id is its place in that order.
	byID := make([]uint64, len(ix.terms))
	for h, t := range ix.terms {
		byID[t.id] = h
	}
	b = binary.AppendUvarint(b, uint64(len(byID)))
	for _, h := range byID {
		t := ix.terms[h]
		b = binary.LittleEndian.AppendUint64(b, h)
		b = appendFloat(b, t.idf)
		b = binary.AppendUvarint(b, uint64(t.end-t.start))
		for _, p := range ix.postings[t.start:t.end] {
			b = binary.AppendUvarint(b, uint64(p.doc))
			b = appendFloat(b, p.weight)
		}
	}

	m := &ix.model
	b = binary.AppendUvarint(b, uint64(len(m.classes)))
	for _, c := range m.classes {
		b = appendBytes(b, []byte(c.locale))
		b = appendBytes(b, []byte(c.intent))
	}
	for _, x := range m.bias {
		b = appendFloat(b, x)
	}
	for _, c := range m.ofTemplate {
		b = binary.AppendUvarint(b, uint64(c))
	}
	// Weights as runs of halves: a term's weights for the other locale's classes stay zero, about half of them.
	for i := 0; i < len(m.weights); {
		z := i
		for z < len(m.weights) && m.weights[z] == 0 {
			z++
		}
		nz := z
		for nz < len(m.weights) && m.weights[nz] != 0 {
			nz++
		}
		b = binary.AppendUvarint(b, uint64(z-i))
		b = binary.AppendUvarint(b, uint64(nz-z))
		for _, w := range m.weights[z:nz] {
			b = binary.LittleEndian.AppendUint16(b, toHalf(w)) // lossless: training rounds weights to halves
		}
		i = nz
	}
	return b, nil
}

// DecodeIndex reads an index written by AppendBinary. It matches exactly as the index that was written.
func DecodeIndex(b []byte) (*Index, error) {
	ix, err := decodeIndex(&reader{b: b})
	if err != nil {
		return nil, fmt.Errorf("decode index: %w", err)
	}
	return ix, nil
}

func decodeIndex(r *reader) (*Index, error) {
	if string(r.next(len(indexFormat))) != indexFormat {
		return nil, errors.New("not an index of format " + fmt.Sprintf("%q", indexFormat))
	}
	ix := &Index{merchants: map[string]bool{}}
	if err := json.Unmarshal(r.bytes(), &ix.templates); err != nil && r.err == nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	ix.real = r.count(len(ix.templates))
	ix.trainOnly = trainOnly(ix.templates, ix.real)
	ix.findNear()
	words := make([]string, r.count(len(r.b)))
	for i := range words {
		words[i] = string(r.bytes())
	}
	ix.speller = newSpeller(words)
	ix.oovIDF = r.float()
	ix.docs = r.count(len(ix.templates))
	ix.docOf = make([]int32, len(ix.templates))
	for i := range ix.docOf {
		ix.docOf[i] = int32(r.count(ix.docs - 1))
	}
	for _, t := range ix.templates[:ix.real] {
		if t.Merchant != Platform {
			ix.merchants[t.Merchant] = true
		}
	}

	nTerms := r.count(len(r.b) / 13) // a term takes at least 13 bytes
	ix.terms = make(map[uint64]term, nTerms)
	for id := 0; id < nTerms && r.err == nil; id++ {
		h := r.uint64()
		t := term{idf: r.float(), start: int32(len(ix.postings)), id: int32(id)}
		n := r.count(len(r.b))
		for range n {
			p := posting{doc: int32(r.count(ix.docs - 1)), weight: r.float()}
			ix.postings = append(ix.postings, p)
		}
		t.end = int32(len(ix.postings))
		if _, dup := ix.terms[h]; dup {
			r.fail("term %x twice", h)
		}
		ix.terms[h] = t
	}

	m := &ix.model
	nc := r.count(len(ix.templates)) // every class has a template
	for range nc {
		m.classes = append(m.classes, class{locale: string(r.bytes()), intent: string(r.bytes())})
	}
	if r.err != nil {
		return nil, r.err
	}
	m.bias = make([]float32, nc)
	for c := range m.bias {
		m.bias[c] = r.float()
	}
	m.ofTemplate = make([]int, len(ix.templates))
	for i := range m.ofTemplate {
		m.ofTemplate[i] = r.count(nc - 1)
	}
	if nTerms*nc > maxWeights {
		return nil, fmt.Errorf("%d terms by %d classes is above %d weights", nTerms, nc, maxWeights)
	}
	m.weights = make([]float32, nTerms*nc)
	for i := 0; i < len(m.weights) && r.err == nil; {
		z := r.count(len(m.weights) - i)
		i += z
		n := r.count(len(m.weights) - i)
		if z == 0 && n == 0 {
			r.fail("empty run of weights")
		}
		for k := range n {
			m.weights[i+k] = r.half()
		}
		i += n
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d bytes after the index", len(r.b))
	}
	if r.err != nil {
		return nil, r.err
	}
	ix.scratch.New = ix.newScratch
	return ix, nil
}

func appendFloat(b []byte, x float32) []byte {
	return binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
}

func appendBytes(b, s []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// reader reads an encoded index, keeping the first error; after it, every read returns zero.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
	r.b = nil
}

func (r *reader) next(n int) []byte {
	if r.err != nil || n > len(r.b) {
		r.fail("truncated")
		return nil
	}
	s := r.b[:n:n]
	r.b = r.b[n:]
	return s
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a number that must be at most limit.
func (r *reader) count(limit int) int {
	v := r.uvarint()
	if r.err == nil && (limit < 0 || v > uint64(limit)) {
		r.fail("count %d above %d", v, limit)
		return 0
	}
	return int(v)
}

// bytes reads a length-prefixed run; it aliases the input, and every caller copies it (string, json.Unmarshal).
func (r *reader) bytes() []byte { return r.next(r.count(len(r.b))) }

func (r *reader) uint64() uint64 {
	if s := r.next(8); s != nil {
		return binary.LittleEndian.Uint64(s)
	}
	return 0
}

func (r *reader) half() float32 {
	if s := r.next(2); s != nil {
		return fromHalf(binary.LittleEndian.Uint16(s))
	}
	return 0
}

func (r *reader) float() float32 {
	if s := r.next(4); s != nil {
		return math.Float32frombits(binary.LittleEndian.Uint32(s))
	}
	return 0
}
