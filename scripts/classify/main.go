// Command classify runs the responder's triage on JSON lines from standard input and writes one decision per line.
//
//	go run ./scripts/classify [-templates PATH] [-explain] < questions.jsonl
//
// Input lines are {"id","text","locale"?}; without a locale, text with Han characters is zh-CN and the rest en.
// Output lines are {"id","decision":"auto"|"human"|"decline","intent","template","confidence","priority","reasons"},
// in input order; a line that cannot be read yields {"id","error"} and the run goes on. "decline" is the bot's
// polite answer to an off-topic question: nothing is queued. Without -templates it uses the shipped pack's
// triage as built ahead of time (shared/catalog/builtin), so it starts without training the matcher.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"time"

	"breakwater/shared/answer/pack"
	"breakwater/shared/catalog/builtin"
	"breakwater/shared/triage"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "classify:", err)
		os.Exit(1)
	}
}

func run() error {
	templates := flag.String("templates", "", "template pack: a JSON file or a folder of them (default: the shipped pack)")
	explain := flag.Bool("explain", false, "add the best candidates with their scores, and the rendered answer")
	merchant := flag.String("merchant", "m1", "merchant the questions are for (its templates override the platform's)")
	at := flag.String("now", "", "evaluate promotion windows at this RFC 3339 time (default: now)")
	flag.Parse()

	var tr *triage.Triage
	if *templates == "" {
		var err error
		if tr, err = builtin.Triage(); err != nil {
			return err
		}
	} else {
		ts, err := pack.Read(*templates)
		if err != nil {
			return err
		}
		if tr, err = triage.New(ts, nil); err != nil {
			return err
		}
	}
	var err error
	now := time.Now()
	if *at != "" {
		if now, err = time.Parse(time.RFC3339, *at); err != nil {
			return fmt.Errorf("parse -now %q: %w", *at, err)
		}
	}
	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	c := classifier{triage: tr, merchant: *merchant, now: now, explain: *explain}
	if err := c.run(os.Stdin, out); err != nil {
		return err
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("write decisions: %w", err)
	}
	return nil
}
