package faults

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// hotKeys are partition key values that DynamoDB throttles every write to, as it does a key value written past
// its partition's limit (or an index partition's: a throttled index write throttles the table write feeding it).
type hotKeys struct {
	mu   sync.RWMutex
	keys map[string]bool
}

// SetHot makes every write that touches one of keys (a DynamoDB key attribute's string value, such as
// "C#c_…") throttled until the next SetHot: PutItem, UpdateItem and DeleteItem answer ThrottlingException, and a
// TransactWriteItems is cancelled with ThrottlingError for the hot items and None for the others, as DynamoDB
// answers. SetHot() with no keys cools every key. Only a DynamoDB proxy has hot keys.
func (p *Proxy) SetHot(keys ...string) {
	p.hot.mu.Lock()
	defer p.hot.mu.Unlock()
	p.hot.keys = map[string]bool{}
	for _, k := range keys {
		p.hot.keys[k] = true
	}
}

// Hot is how many calls were throttled for touching a hot key.
func (p *Proxy) Hot() int64 { return p.counts[hotKind].Load() }

// hotKind counts the calls refused for a hot key; it is not a kind Options may ask for.
const hotKind Kind = "hot-key"

func (h *hotKeys) any() bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.keys) > 0
}

func (h *hotKeys) has(key map[string]map[string]any) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, v := range key {
		if s, ok := v["S"].(string); ok && h.keys[s] {
			return true
		}
	}
	return false
}

// writeRequest is the part of a DynamoDB write request that names the items it writes.
type writeRequest struct {
	Key           map[string]map[string]any `json:"Key"`
	Item          map[string]map[string]any `json:"Item"`
	TransactItems []map[string]struct {
		Key  map[string]map[string]any `json:"Key"`
		Item map[string]map[string]any `json:"Item"`
	} `json:"TransactItems"`
}

// hotWrite answers a write to a hot key as DynamoDB does and reports true, or reports false to let the call through.
func (p *Proxy) hotWrite(w http.ResponseWriter, op string, body []byte) bool {
	if p.o.Service != DynamoDB || !p.hot.any() {
		return false
	}
	switch op {
	case "PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems":
	default:
		return false
	}
	var req writeRequest
	if json.Unmarshal(body, &req) != nil {
		return false
	}
	if op != "TransactWriteItems" {
		if !p.hot.has(req.Key) && !p.hot.has(req.Item) {
			return false
		}
		p.counts[hotKind].Add(1)
		p.writeFault(w, Throttle)
		return true
	}
	codes := make([]string, len(req.TransactItems))
	hot := false
	for i, it := range req.TransactItems {
		codes[i] = "None"
		for _, action := range it {
			if p.hot.has(action.Key) || p.hot.has(action.Item) {
				codes[i], hot = "ThrottlingError", true
			}
		}
	}
	if !hot {
		return false
	}
	p.counts[hotKind].Add(1)
	reasons := make([]string, len(codes))
	for i, c := range codes {
		if c == "None" {
			reasons[i] = `{"Code":"None"}`
		} else {
			reasons[i] = `{"Code":"ThrottlingError","Message":"Throughput exceeds the current capacity for one or more global secondary indexes. DynamoDB is automatically scaling your index so please try again shortly."}`
		}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("hot-%d", p.calls.Load()))
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","Message":"Transaction cancelled, please refer cancellation reasons for specific reasons [%s]","CancellationReasons":[%s]}`,
		strings.Join(codes, ", "), strings.Join(reasons, ","))
	return true
}

// touchesPrefix reports whether a DynamoDB request names an item (its Key or Item, alone or in a transaction) with a
// key attribute starting with prefix.
func touchesPrefix(body []byte, prefix string) bool {
	var req writeRequest
	if json.Unmarshal(body, &req) != nil {
		return false
	}
	has := func(key map[string]map[string]any) bool {
		for _, v := range key {
			if s, ok := v["S"].(string); ok && strings.HasPrefix(s, prefix) {
				return true
			}
		}
		return false
	}
	if has(req.Key) || has(req.Item) {
		return true
	}
	for _, it := range req.TransactItems {
		for _, action := range it {
			if has(action.Key) || has(action.Item) {
				return true
			}
		}
	}
	return false
}
