package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    func(Config) bool
		wantErr string
	}{
		{
			name: "defaults",
			want: func(c Config) bool {
				return c.Addr == "127.0.0.1:4580" && c.Delay == time.Second &&
					c.AccountID == "000000000000" && c.Region == "us-east-1" && c.LogFormat == "text"
			},
		},
		{
			name: "environment",
			env: map[string]string{"OSEMU_ADDR": "127.0.0.1:9999", "OSEMU_DELAY": "0s",
				"OSEMU_DATA_DIR": "/tmp/x", "OSEMU_ACCOUNT_ID": "123456789012", "OSEMU_S3_ENDPOINT": "http://127.0.0.1:9000"},
			want: func(c Config) bool {
				return c.Addr == "127.0.0.1:9999" && c.Delay == 0 && c.DataDir == "/tmp/x" &&
					c.AccountID == "123456789012" && c.S3Endpoint == "http://127.0.0.1:9000"
			},
		},
		{
			name: "flag beats environment",
			env:  map[string]string{"OSEMU_DELAY": "5s", "OSEMU_LOG_FORMAT": "json"},
			args: []string{"--delay", "250ms"},
			want: func(c Config) bool { return c.Delay == 250*time.Millisecond && c.LogFormat == "json" },
		},
		{name: "negative delay", args: []string{"--delay", "-1s"}, wantErr: "must not be negative"},
		{name: "bad account", args: []string{"--account-id", "12345"}, wantErr: "12 digits"},
		{name: "bad log format", args: []string{"--log-format", "xml"}, wantErr: "text or json"},
		{name: "bad env value", env: map[string]string{"OSEMU_DELAY": "soon"}, wantErr: "OSEMU_DELAY"},
		{name: "bad s3 endpoint", args: []string{"--s3-endpoint", "notaurl"}, wantErr: "http or https URL"},
		{name: "stray argument", args: []string{"extra"}, wantErr: "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// t.Setenv restores each variable after the test.
			for _, name := range []string{"OSEMU_ADDR", "OSEMU_DELAY", "OSEMU_DATA_DIR", "OSEMU_ACCOUNT_ID",
				"OSEMU_S3_ENDPOINT", "OSEMU_LOG_FORMAT", "OSEMU_LOG_LEVEL", "OSEMU_REGION"} {
				t.Setenv(name, "")
				os.Unsetenv(name)
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}

			m := NewMain(io.Discard)
			err := m.ParseFlags(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.want(m.Config) {
				t.Errorf("got %+v", m.Config)
			}
		})
	}
}

func TestRunCommands(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		wantOut  string
	}{
		{[]string{"version"}, 0, "osemu 0."},
		{[]string{"help"}, 0, "osemu serve"},
		{nil, 2, "Usage"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		code := run(context.Background(), tt.args, &out, &out)
		if code != tt.wantCode || !strings.Contains(out.String(), tt.wantOut) {
			t.Errorf("run %v: got %d %q, want %d and %q", tt.args, code, out.String(), tt.wantCode, tt.wantOut)
		}
	}
}

// TestOpenCleansTempDir checks that a start removes what a killed run left
// in the temporary directory.
func TestOpenCleansTempDir(t *testing.T) {
	dir := t.TempDir()
	leftover := filepath.Join(dir, "tmp", "osemu-content-123")
	if err := os.MkdirAll(filepath.Dir(leftover), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(leftover, []byte("spooled"), 0o644); err != nil {
		t.Fatal(err)
	}

	m := NewMain(io.Discard)
	if err := m.ParseFlags([]string{"--addr", "127.0.0.1:0", "--data-dir", dir}); err != nil {
		t.Fatal(err)
	}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("leftover spool file after a start: %v", err)
	}
}
