package api_test

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/osemu/osemu/internal/osemutest"
)

// TestMain runs the API suite on both store engines: on SQLite, then, in a
// second run of this test binary, on PostgreSQL. Setting OSEMU_TEST_ENGINE
// runs it on that engine only.
func TestMain(m *testing.M) {
	if os.Getenv(osemutest.EngineEnv) != "" {
		os.Exit(m.Run())
	}

	code := m.Run()
	fmt.Println("=== API suite on PostgreSQL")
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), osemutest.EngineEnv+"=postgres")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "API suite on PostgreSQL:", err)
		code = 1
	}
	os.Exit(code)
}
