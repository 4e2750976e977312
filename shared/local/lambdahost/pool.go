package lambdahost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Pool keeps a fixed number of execution environments of one function, each serving one invocation at a time.
// An environment that crashed or timed out is replaced by a fresh one (a new cold start) when next needed.
type Pool struct {
	fn Function
	// OnInvoke, when set before the first Invoke, is called with the instance about to serve each invocation (crash tests kill it).
	OnInvoke func(inst *Instance)

	idle chan *Instance

	mu         sync.Mutex
	all        map[*Instance]bool
	closed     bool
	coldStarts []time.Duration
}

// NewPool starts size environments of fn concurrently and returns once all have finished init.
func NewPool(ctx context.Context, fn Function, size int) (*Pool, error) {
	if size < 1 {
		return nil, fmt.Errorf("new pool of %s: size %d, want at least 1", fn.Name, size)
	}
	if fn.Log != nil {
		fn.Log = &lockedWriter{w: fn.Log} // the environments write to it concurrently
	}
	p := &Pool{fn: fn, idle: make(chan *Instance, size), all: make(map[*Instance]bool)}
	errs := make([]error, size)
	var wg sync.WaitGroup
	for n := range size {
		wg.Go(func() {
			inst, err := p.start(ctx)
			if err != nil {
				errs[n] = err
				return
			}
			p.idle <- inst
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, errors.Join(fmt.Errorf("new pool of %d %s: %w", size, fn.Name, err), p.Close())
	}
	return p, nil
}

func (p *Pool) start(ctx context.Context) (*Instance, error) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("start %s: %w", p.fn.Name, ErrClosed)
	}
	inst, err := Start(ctx, p.fn)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errors.Join(fmt.Errorf("start %s: %w", p.fn.Name, ErrClosed), inst.Close())
	}
	p.all[inst] = true
	p.coldStarts = append(p.coldStarts, inst.ColdStart())
	return inst, nil
}

func (p *Pool) forget(inst *Instance) {
	p.mu.Lock()
	delete(p.all, inst)
	p.mu.Unlock()
	inst.Close()
}

// Invoke runs payload on a free environment, waiting for one when all are busy.
func (p *Pool) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return p.InvokeWith(ctx, payload, nil)
}

// InvokeWith is Invoke that also calls serving (when not nil) with the environment about to run this payload, after OnInvoke:
// a crash simulation can kill just that process, for example after a delay.
func (p *Pool) InvokeWith(ctx context.Context, payload []byte, serving func(inst *Instance)) ([]byte, error) {
	var inst *Instance
	select {
	case inst = <-p.idle:
	case <-ctx.Done():
		return nil, fmt.Errorf("invoke %s: wait for a free environment: %w", p.fn.Name, ctx.Err())
	}
	defer func() { p.idle <- inst }()
	if !inst.Alive() {
		fresh, err := p.replace(ctx, inst)
		if err != nil {
			return nil, err
		}
		inst = fresh
	}
	if p.OnInvoke != nil {
		p.OnInvoke(inst)
	}
	if serving != nil {
		serving(inst)
	}
	return inst.Invoke(ctx, payload)
}

// replace swaps a dead environment for a fresh one; on failure the dead one keeps the slot and the next caller tries again.
func (p *Pool) replace(ctx context.Context, dead *Instance) (*Instance, error) {
	fresh, err := p.start(ctx)
	if err != nil {
		return dead, fmt.Errorf("invoke %s: replace a dead environment: %w", p.fn.Name, err)
	}
	p.forget(dead)
	return fresh, nil
}

// KillAll kills every environment's process, as if they all crashed; the pool replaces them on the next invocations.
func (p *Pool) KillAll() {
	p.mu.Lock()
	all := make([]*Instance, 0, len(p.all))
	for inst := range p.all {
		all = append(all, inst)
	}
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, inst := range all {
		wg.Go(inst.Kill)
	}
	wg.Wait()
}

// ColdStarts lists the cold start of every environment the pool has started, replacements included.
func (p *Pool) ColdStarts() []time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Duration(nil), p.coldStarts...)
}

// Close stops every environment; invocations in flight end with ErrClosed.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	all := make([]*Instance, 0, len(p.all))
	for inst := range p.all {
		all = append(all, inst)
	}
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, inst := range all {
		wg.Go(func() { inst.Close() })
	}
	wg.Wait()
	return nil
}

// lockedWriter serializes writes from several processes' output copiers.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
