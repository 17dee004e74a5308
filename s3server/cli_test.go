package s3server_test

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestAWSCLI copies files up and down with the aws CLI, which puts files
// over 8 MB in parts.
func TestAWSCLI(t *testing.T) {
	awsPath, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("the aws CLI is not installed: %v", err)
	}
	srv, _ := MustServer(t, false)

	// Count the parts the CLI uploads.
	var parts atomic.Int32
	h := srv.Config.Handler
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && r.URL.Query().Has("partNumber") {
			parts.Add(1)
		}
		h.ServeHTTP(w, r)
	})

	dir := t.TempDir()
	// The machine's environment, less any AWS setting of its own.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"AWS_ACCESS_KEY_ID=AKIAOSEMUTEST",
		"AWS_SECRET_ACCESS_KEY=secret",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+filepath.Join(dir, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "no-credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"NO_PROXY=127.0.0.1",
		"no_proxy=127.0.0.1",
	)
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(awsPath, append(args, "--endpoint-url", srv.URL)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	large := randomBytes(9<<20+123, 4)
	text := []byte("Straße, Strasse\nœuvre, ouvrage\n東京, Tokyo\nnaïve, naive\n")
	files := map[string][]byte{"plugin.zip": large, "synonyms.txt": text}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	run("s3", "mb", "s3://cli-bucket")
	run("s3", "cp", filepath.Join(dir, "plugin.zip"), "s3://cli-bucket/plugins/plugin.zip")
	run("s3", "cp", filepath.Join(dir, "synonyms.txt"), "s3://cli-bucket/wörter/synonyms.txt")
	if n := parts.Load(); n < 2 {
		t.Errorf("the CLI uploaded %d parts of a 9 MiB file, want a multipart upload", n)
	}

	ls := run("s3", "ls", "--recursive", "s3://cli-bucket/")
	for _, want := range []string{"9437307 plugins/plugin.zip", "     61 wörter/synonyms.txt"} {
		if !strings.Contains(ls, want) {
			t.Errorf("aws s3 ls: got\n%s\nwant a line ending in %q", ls, want)
		}
	}

	run("s3", "cp", "s3://cli-bucket/plugins/plugin.zip", filepath.Join(dir, "plugin.down"))
	run("s3", "cp", "s3://cli-bucket/wörter/synonyms.txt", filepath.Join(dir, "synonyms.down"))
	for down, want := range map[string][]byte{"plugin.down": large, "synonyms.down": text} {
		got, err := os.ReadFile(filepath.Join(dir, down))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: got %d bytes that differ from the %d uploaded", down, len(got), len(want))
		}
	}
}
