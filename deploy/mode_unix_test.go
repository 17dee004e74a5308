//go:build unix

package deploy_test

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestModesIgnoreUmask checks that files are 0644 and directories 0755 even
// under a umask that would keep them from the container's opensearch user.
func TestModesIgnoreUmask(t *testing.T) {
	old := syscall.Umask(0o077)
	t.Cleanup(func() { syscall.Umask(old) })
	d, root := MustNew(t)

	if err := d.WriteDictionary(scope, "movies", "F1", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	MustInstallPlugin(t, d, "acme",
		zipEntry{name: "plugin-descriptor.properties", body: "name=acme\n", mode: 0o600},
		zipEntry{name: "lib/native/a.so", body: "so", mode: 0o700})
	err := d.WriteLicense(scope, "movies", "acme", "conf/license.xml", strings.NewReader("<l/>"))
	if err != nil {
		t.Fatal(err)
	}
	z := MustZip(t, zipEntry{name: "rules/acme.yml", body: "a: 1\n"})
	if err := d.InstallConfig(scope, "movies", "acme", z, z.Size()); err != nil {
		t.Fatal(err)
	}

	// ReadTree fails the test on any other mode.
	tree := ReadTree(t, filepath.Join(root, scope.Account))
	for _, p := range []string{
		"eu-west-1/movies/analyzers/F1",
		"eu-west-1/movies/plugins/acme/lib/native/a.so",
		"eu-west-1/movies/plugins/acme/conf/license.xml",
		"eu-west-1/movies/licenses/acme/conf/license.xml",
		"eu-west-1/movies/config/acme/rules/acme.yml",
	} {
		if _, ok := tree[p]; !ok {
			t.Errorf("%s is missing", p)
		}
	}
}
