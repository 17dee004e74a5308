// Package e2e tests the built osemu binary end to end, through the clients
// users run: the aws CLI, boto3 and the AWS SDK for Go v2, on dictionaries
// built from a real word list (Debian's wamerican, /usr/share/dict/words).
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the osemu binary that TestMain builds.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "osemu-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "osemu")
	build := exec.Command("go", "build", "-o", binary, "../cmd/osemu")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build osemu:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is an osemu process.
type server struct {
	t       *testing.T
	cmd     *exec.Cmd
	URL     string
	dataDir string

	mu   sync.Mutex
	logs bytes.Buffer
	done chan struct{}
}

// startServer starts "osemu serve" on a free loopback port with the data
// dir and step delay, and waits until it listens. The test stops it at the
// end unless it was killed before.
func startServer(t *testing.T, dataDir string, delay time.Duration, extra ...string) *server {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir,
		"--delay", delay.String(), "--log-format", "json"}, extra...)
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "AWS_EC2_METADATA_DISABLED=true")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start osemu: %v", err)
	}

	s := &server{t: t, cmd: cmd, dataDir: dataDir, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			s.mu.Lock()
			s.logs.Write(line)
			s.logs.WriteByte('\n')
			s.mu.Unlock()

			var entry struct{ Msg, Addr string }
			if json.Unmarshal(line, &entry) == nil && entry.Msg == "osemu started" {
				addr <- entry.Addr
			}
		}
		_ = cmd.Wait()
	}()

	select {
	case a := <-addr:
		s.URL = "http://" + a
	case <-s.done:
		t.Fatalf("osemu exited before listening:\n%s", s.Logs())
	case <-time.After(30 * time.Second):
		s.Kill()
		t.Fatalf("osemu did not start listening:\n%s", s.Logs())
	}

	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("osemu logs:\n%s", s.Logs())
		}
	})
	return s
}

// Logs returns what the server logged so far.
func (s *server) Logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

// Kill ends the server abruptly, as a crash would.
func (s *server) Kill() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

// Stop asks the server to shut down and waits for it.
func (s *server) Stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		s.t.Errorf("osemu did not stop on SIGTERM")
		s.Kill()
	}
}

// dictionaries writes a synonyms file and a stopwords file of thousands of
// lines built from the system word list, with non-ASCII lines among them,
// and returns their paths.
func dictionaries(t *testing.T) (synonyms, stopwords string) {
	t.Helper()
	raw, err := os.ReadFile("/usr/share/dict/words")
	if err != nil {
		t.Fatalf("the dictionary tests need a word list: install Debian's wamerican (%v)", err)
	}
	words := strings.Fields(string(raw))
	if len(words) < 20000 {
		t.Fatalf("word list has only %d words", len(words))
	}

	var syn, stop strings.Builder
	nonASCII := 0
	for i := 0; i+2 < len(words) && i < 15000; i += 3 {
		fmt.Fprintf(&syn, "%s, %s, %s\n", words[i], words[i+1], words[i+2])
	}
	for i, w := range words {
		if strings.IndexFunc(w, func(r rune) bool { return r > 127 }) >= 0 {
			fmt.Fprintf(&syn, "%s => %s\n", w, words[i%1000])
			stop.WriteString(w + "\n")
			nonASCII++
		}
		if i%20 == 0 && i < 80000 {
			stop.WriteString(w + "\n")
		}
	}
	if nonASCII == 0 {
		t.Fatal("word list has no non-ASCII words")
	}

	dir := t.TempDir()
	synonyms, stopwords = filepath.Join(dir, "synonyms.txt"), filepath.Join(dir, "stopwords.txt")
	if err := os.WriteFile(synonyms, []byte(syn.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stopwords, []byte(stop.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return synonyms, stopwords
}

// runScript runs a test script against the server and fails the test with
// its output if it fails.
func runScript(t *testing.T, s *server, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(),
		"OSEMU_URL="+s.URL,
		"AWS_ACCESS_KEY_ID=AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY=secret",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"TMPDIR="+t.TempDir(),
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s failed: %v\n%s", filepath.Base(args[0]), err, out)
	}
	t.Logf("%s:\n%s", filepath.Base(args[0]), out)
}

func TestCLIFlow(t *testing.T) {
	synonyms, stopwords := dictionaries(t)
	// Each aws command takes a few hundred milliseconds to start: steps
	// must last longer for the script to see the transitional statuses.
	s := startServer(t, t.TempDir(), 1500*time.Millisecond)
	runScript(t, s, "bash", "testdata/cli_flow.sh", synonyms, stopwords)
}

func TestBoto3Flow(t *testing.T) {
	synonyms, stopwords := dictionaries(t)
	s := startServer(t, t.TempDir(), 200*time.Millisecond)
	runScript(t, s, "python3", "testdata/boto3_flow.py", synonyms, stopwords)
}

func TestVersion(t *testing.T) {
	out, err := exec.Command(binary, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("osemu version: %v\n%s", err, out)
	}
	if !strings.HasPrefix(string(out), "osemu ") {
		t.Errorf("got %q, want osemu <version>", out)
	}
}

// TestReadmeQuickStart runs the README's quick start as written, against a
// server on a free port instead of the default one, so that the README
// stays true.
func TestReadmeQuickStart(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "## Quick start")
	if !ok {
		t.Fatal("README has no Quick start section")
	}
	_, rest, ok = strings.Cut(rest, "```sh\n")
	script, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("README's Quick start has no sh block")
	}

	s := startServer(t, t.TempDir(), time.Second)
	script = strings.ReplaceAll(script, "http://127.0.0.1:4580", s.URL)
	path := filepath.Join(t.TempDir(), "quickstart.sh")
	if err := os.WriteFile(path, []byte("set -euo pipefail\ncd \"$(dirname \"$0\")\"\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", path)
	cmd.Env = append(os.Environ(), "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("quick start failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), `"DomainPackageStatus": "ACTIVE"`) ||
		!strings.Contains(string(out), `"PackageStatus": "AVAILABLE"`) {
		t.Errorf("quick start did not end with an AVAILABLE package ACTIVE on the domain:\n%s", out)
	}
}

func TestCLIPlugins(t *testing.T) {
	deployDir := t.TempDir()
	s := startServer(t, t.TempDir(), 200*time.Millisecond, "--aws-packages", "--deploy-dir", deployDir)
	t.Setenv("DEPLOY_DIR", deployDir)
	runScript(t, s, "bash", "testdata/cli_plugins.sh")
}
