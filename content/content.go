// Package content validates what a package holds, the way OpenSearch
// Service does while a package is VALIDATING: a dictionary must be text a
// node can load.
package content

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/osemu/osemu"
)

// Invalid is the verdict on content that fails validation. Its fields become
// the package's ErrorDetails.
type Invalid struct {
	Type    string
	Message string
}

// Error implements the error interface.
func (e *Invalid) Error() string { return e.Type + ": " + e.Message }

// Details returns the ErrorDetails that report the verdict.
func (e *Invalid) Details() *osemu.ErrorDetails {
	return &osemu.ErrorDetails{ErrorType: e.Type, ErrorMessage: e.Message}
}

// Result is what validation learns about valid content.
type Result struct {
	// PluginProperties describes a plugin; nil for other types.
	PluginProperties *osemu.PluginProperties
}

// Check validates content of a package of type typ read from r. It returns
// an *Invalid error for content a domain could not use, and other errors
// when r cannot be read.
//
// TODO(plugins): ZIP-PLUGIN, PACKAGE-LICENSE and PACKAGE-CONFIG content is
// accepted as is; the next issue validates plugin archives, licences and
// configurations.
func Check(typ osemu.PackageType, r io.Reader) (*Result, error) {
	switch typ {
	case osemu.PackageTypeTxtDictionary:
		return &Result{}, checkText(r)
	default:
		if _, err := io.Copy(io.Discard, r); err != nil {
			return nil, err
		}
		return &Result{}, nil
	}
}

// checkText accepts UTF-8 text without NUL bytes, streaming through r so
// that a large dictionary is never held in memory whole.
func checkText(r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	line, offset := 1, int64(0)
	for {
		c, size, err := br.ReadRune()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read dictionary: %w", err)
		}
		switch {
		case c == utf8.RuneError && size == 1:
			return &Invalid{
				Type: "InvalidEncoding",
				Message: fmt.Sprintf("The dictionary is not valid UTF-8 text: "+
					"invalid byte sequence on line %d (byte offset %d).", line, offset),
			}
		case c == 0:
			return &Invalid{
				Type: "InvalidContent",
				Message: fmt.Sprintf("The dictionary is not a text file: "+
					"NUL byte on line %d (byte offset %d).", line, offset),
			}
		case c == '\n':
			line++
		}
		offset += int64(size)
	}
}
