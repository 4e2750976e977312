// Command coldstart prints the size of every function binary as deployed (linux/arm64, stripped, lambda.norpc)
// and the responder's init time (config, clients, catalog snapshot read and decode) against DynamoDB Local.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"breakwater/shared/answer"
	"breakwater/shared/answer/pack"
	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/sdkconfig"
	"breakwater/shared/catalog"
	"breakwater/shared/local/emulators"
	"breakwater/shared/local/lambdahost"
	"breakwater/shared/local/runner"
	"breakwater/shared/topology"
	"breakwater/shared/triage"
)

// Targets from the performance issue.
const (
	maxBinaryMB = 15
	maxInit     = 100 * time.Millisecond
)

func main() {
	runs := flag.Int("runs", 7, "cold starts per catalog size")
	sizes := flag.String("templates", "42,500", "catalog sizes to measure, comma-separated (the default pack has 42)")
	skipBuild := flag.Bool("skip-sizes", false, "skip the linux/arm64 build and size table")
	verbose := flag.Bool("v", false, "show emulator and function output")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *runs, *sizes, !*skipBuild, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, runs int, sizeList string, build, verbose bool) error {
	root, err := emulators.RepoRoot()
	if err != nil {
		return err
	}
	var log io.Writer = io.Discard
	if verbose {
		log = os.Stderr
	}
	var counts []int
	for _, s := range strings.Split(sizeList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("-templates: %q is not a positive number", s)
		}
		counts = append(counts, n)
	}
	tmp, err := os.MkdirTemp("", "breakwater-coldstart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	failed := false
	if build {
		ok, err := binarySizes(ctx, root, filepath.Join(tmp, "arm64"))
		if err != nil {
			return err
		}
		failed = failed || !ok
	}

	fmt.Println("\nBuilding the responder for this machine and starting DynamoDB Local and fauxqs...")
	bin, err := lambdahost.Build(ctx, root, "responder", filepath.Join(tmp, "host"))
	if err != nil {
		return err
	}
	emu, err := emulators.Start(ctx, emulators.Options{Root: root, Log: log})
	if err != nil {
		return err
	}
	defer emu.Close()
	cfg, err := emu.AWSConfig(ctx)
	if err != nil {
		return err
	}
	db, sq := sdkconfig.DynamoDB(cfg, emulators.DynamoOptions), sdkconfig.SQS(cfg)

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "templates\truns\tinit min\tinit median\tinit max\tsnapshot\tsnapshot read\tdecode\twithout snapshot: read\tbuild\ttarget\t\n")
	for i, n := range counts {
		res, err := runner.Provision(ctx, db, sq, fmt.Sprintf("coldstart%d-", i), 0)
		if err != nil {
			return err
		}
		cat := dynamo.NewCatalog(db, res.Tables[topology.Catalog.ID])
		if err := seed(ctx, catalog.NewWriter(cat), n); err != nil {
			return err
		}
		p, err := phases(ctx, cat, n)
		if err != nil {
			return err
		}
		env := []string{}
		for k, v := range emu.EnvMap() {
			env = append(env, k+"="+v)
		}
		env = append(env, topology.Contacts.EnvVar+"="+res.Tables[topology.Contacts.ID],
			topology.Catalog.EnvVar+"="+res.Tables[topology.Catalog.ID],
			topology.Messages.EnvVar+"="+res.Tables[topology.Messages.ID])
		var inits []time.Duration
		for range runs {
			// Init is allowed a minute here, so a slow one is measured rather than cut off; Lambda allows 10 s.
			inst, err := lambdahost.Start(ctx, lambdahost.Function{Name: "responder", Path: bin, Env: env,
				MemoryMB: 512, InitTimeout: time.Minute, Log: log})
			if err != nil {
				return fmt.Errorf("cold start with %d templates: %w", n, err)
			}
			inits = append(inits, inst.ColdStart())
			if err := inst.Close(); err != nil {
				return err
			}
		}
		slices.Sort(inits)
		med := inits[len(inits)/2]
		verdict := "ok"
		if med > maxInit {
			verdict = "MISSED"
			failed = true
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%d KB\t%s\t%s\t%s\t%s\t≤ %s %s\t\n", n, runs, ms(inits[0]), ms(med), ms(inits[len(inits)-1]),
			p.size>>10, ms(p.snapshotRead), ms(p.decode), ms(p.templatesRead), ms(p.build), ms(maxInit), verdict)
	}
	fmt.Println("\nResponder init (process start to first /next call: config, clients, catalog version, snapshot read and decode; host arch):")
	tw.Flush()
	fmt.Println("snapshot read and decode: one in-process run of the same steps (Catalog.Version and Snapshot, triage.Decode).")
	fmt.Println("without snapshot: what a cold start costs when there is none (Catalog.Load, triage.New), for comparison.")
	if failed {
		return fmt.Errorf("a target was missed")
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// binarySizes builds every function the way the stack does (scripts/build) and prints their sizes.
func binarySizes(ctx context.Context, root, out string) (bool, error) {
	fmt.Println("Building every function for linux/arm64 (go run ./scripts/build: -tags lambda.norpc -trimpath -ldflags=\"-s -w\", CGO_ENABLED=0)...")
	cmd := exec.CommandContext(ctx, "go", "run", "./scripts/build", "-arch", "arm64", "-out", out)
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return false, fmt.Errorf("go run ./scripts/build: %w\n%s", err, msg)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "function\tbootstrap\ttarget\t\n")
	ok := true
	for _, f := range topology.Functions {
		info, err := os.Stat(filepath.Join(out, f.Name, "bootstrap"))
		if err != nil {
			return false, fmt.Errorf("size of %s: %w", f.Name, err)
		}
		mb := float64(info.Size()) / (1 << 20)
		verdict := "ok"
		if mb > maxBinaryMB {
			verdict, ok = "MISSED", false
		}
		fmt.Fprintf(tw, "%s\t%.1f MB (%d bytes)\t≤ %d MB %s\t\n", f.Name, mb, info.Size(), maxBinaryMB, verdict)
	}
	return ok, tw.Flush()
}

// seed makes the catalog hold n templates: the default pack, then copies of it for merchants m001, m002, ...
// with their own ids and answers, as merchants who override the platform answers would have.
func seed(ctx context.Context, cat *catalog.Writer, n int) error {
	def, err := pack.Default()
	if err != nil {
		return err
	}
	if n < len(def) {
		return fmt.Errorf("%d templates: the catalog starts with the default pack's %d", n, len(def))
	}
	ts, err := templates(n)
	if err != nil {
		return err
	}
	// The platform pack is already there (Provision seeds it); write the merchants' copies.
	if len(ts) > len(def) {
		return cat.PutTemplates(ctx, ts[len(def):])
	}
	return nil
}

// catalog returns n templates built from the default pack (the first len(default) of them are the pack itself).
func templates(n int) ([]answer.Template, error) {
	def, err := pack.Default()
	if err != nil {
		return nil, err
	}
	if n <= len(def) {
		return def[:n], nil
	}
	ts := slices.Clone(def)
	for m := 1; len(ts) < n; m++ {
		merchant := fmt.Sprintf("m%03d", m)
		for _, t := range def {
			if len(ts) == n {
				break
			}
			t.ID = t.ID + "." + merchant
			t.Merchant = merchant
			t.Answer = t.Answer + " (" + merchant + ")"
			t.Examples = slices.Clone(t.Examples)
			ts = append(ts, t)
		}
	}
	return ts, nil
}

// phaseTimes are the steps of a cold start's catalog load, timed in this process.
type phaseTimes struct {
	size                 int // snapshot bytes
	snapshotRead, decode time.Duration
	// What the same load costs without a snapshot: read every template, build and train the index.
	templatesRead, build time.Duration
}

// phases times the snapshot read and decode, and the template read and index build they replace.
func phases(ctx context.Context, cat *dynamo.Catalog, n int) (phaseTimes, error) {
	var p phaseTimes
	start := time.Now()
	v, err := cat.Version(ctx)
	if err != nil {
		return p, err
	}
	b, err := cat.Snapshot(ctx, v)
	if err != nil {
		return p, err
	}
	if b == nil {
		return p, fmt.Errorf("catalog version %d has no snapshot", v)
	}
	p.snapshotRead, p.size = time.Since(start), len(b)
	start = time.Now()
	if _, err := triage.Decode(b); err != nil {
		return p, err
	}
	p.decode = time.Since(start)

	start = time.Now()
	c, err := catalog.Load(ctx, cat)
	if err != nil {
		return p, err
	}
	ts, rules := c.Templates, c.Rules
	p.templatesRead = time.Since(start)
	if len(ts) < n {
		return p, fmt.Errorf("catalog holds %d templates, want %d", len(ts), n)
	}
	start = time.Now()
	if _, err := triage.New(ts, rules); err != nil {
		return p, err
	}
	p.build = time.Since(start)
	return p, nil
}
