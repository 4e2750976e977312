package webui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"breakwater/shared/localenv"
	"breakwater/shared/localstack"
)

func TestMain(m *testing.M) { localenv.Main(m) }

// startSystem starts the whole local Breakwater (the real functions behind the local HTTP API, on the shared emulators,
// with tables and queues of its own) and returns its base URL and the agent token. The stack's log goes to the artifacts.
func startSystem(t *testing.T, env map[string]string) (string, string) {
	t.Helper()
	emu := localenv.Shared(t)
	logPath := filepath.Join(artifacts(t), strings.ReplaceAll(t.Name(), "/", "_")+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("create stack log %s: %v", logPath, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	st, err := localstack.Start(ctx, localstack.Options{Emulators: emu, Concurrency: 2, ExtraEnv: env, Log: logFile})
	if err != nil {
		logFile.Close()
		t.Fatalf("start local stack (log in %s): %v", logPath, err)
	}
	t.Logf("local stack up at %s in %s", st.URL, time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close local stack: %v", err)
		}
		logFile.Close()
	})
	return st.URL, st.AgentToken
}
