package content

import (
	"errors"
	"strings"
	"testing"

	"github.com/osemu/osemu"
)

func TestCheckDictionary(t *testing.T) {
	// A multi-byte character straddling the reader's 64 KiB buffer.
	straddle := strings.Repeat("a", 64<<10-1) + "é\n"

	tests := []struct {
		name     string
		content  string
		wantType string // "" for valid content
		wantMsg  string
	}{
		{"ascii", "car, automobile\nthe\n", "", ""},
		{"accents", "café, coffee shop\nAtatürk\n", "", ""},
		{"bom", "\ufeffcar, automobile\n", "", ""},
		{"empty", "", "", ""},
		{"straddling rune", straddle, "", ""},
		{"latin-1 byte", "ok\nok\ncaf\xe9\n", "InvalidEncoding", "line 3 (byte offset 9)"},
		{"truncated rune", "ok\n\xc3", "InvalidEncoding", "line 2 (byte offset 3)"},
		{"nul byte", "a\x00b", "InvalidContent", "line 1 (byte offset 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Check(osemu.PackageTypeTxtDictionary, strings.NewReader(tt.content))
			if tt.wantType == "" {
				if err != nil {
					t.Fatalf("got %v, want valid", err)
				}
				return
			}
			var invalid *Invalid
			if !errors.As(err, &invalid) {
				t.Fatalf("got %v, want an *Invalid", err)
			}
			if invalid.Type != tt.wantType || !strings.Contains(invalid.Message, tt.wantMsg) {
				t.Errorf("got %s %q, want %s mentioning %q", invalid.Type, invalid.Message, tt.wantType, tt.wantMsg)
			}
			if d := invalid.Details(); d.ErrorType != tt.wantType || d.ErrorMessage != invalid.Message {
				t.Errorf("Details() = %+v", d)
			}
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestCheckReadError(t *testing.T) {
	_, err := Check(osemu.PackageTypeTxtDictionary, failingReader{})
	var invalid *Invalid
	if err == nil || errors.As(err, &invalid) {
		t.Fatalf("got %v, want a read error that is not a verdict", err)
	}
	if !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("got %v, want the reader's error wrapped", err)
	}
}
