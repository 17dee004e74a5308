// Package content validates what a package holds, the way OpenSearch
// Service does while a package is VALIDATING: a dictionary must be text a
// node can load, a plugin a zip whose descriptor fits the package's engine
// version, a licence a JSON or XML document, a configuration a zip of files.
package content

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/osemu/osemu"
)

// Input is content to validate.
type Input struct {
	Type osemu.PackageType

	// Key is the S3 key the content came from. A PACKAGE-LICENSE's format
	// is told by its extension, .json or .xml.
	Key string

	// EngineVersion is the package's EngineVersion, such as
	// "OpenSearch_2.19"; a ZIP-PLUGIN's descriptor must match it.
	EngineVersion string

	// Content holds Size bytes. Zip archives need random access: only
	// their central directory and plugin descriptor are read.
	Content io.ReaderAt
	Size    int64
}

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

// pluginReason starts the message of every ZIP-PLUGIN verdict.
//
// AWS: the one failure AWS documents reads "PluginValidationFailureReason :
// Dependency Scan reported 3 vulnerabilities ..." with an empty ErrorType;
// osemu keeps the prefix but names an ErrorType for each verdict.
const pluginReason = "PluginValidationFailureReason : "

// Check validates content of type in.Type. It returns an *Invalid error for
// content a domain could not use, and other errors when the content cannot
// be read or the input itself is wrong (an unknown type, a malformed engine
// version).
//
// What it accepts:
//   - TXT-DICTIONARY: UTF-8 text without NUL bytes, read as a stream.
//   - ZIP-PLUGIN: a zip whose entry paths are safe (see SafeEntryPath),
//     whose entries add up to at most MaxPluginSize uncompressed, and which
//     holds plugin-descriptor.properties at its root, or inside the one
//     top-level folder that holds every entry. The descriptor must name
//     name, version, classname and opensearch.version (or, for an
//     Elasticsearch_ engine, elasticsearch.version) of the package's
//     engine's major and minor version. Only the central directory and the
//     descriptor are read.
//   - PACKAGE-LICENSE: by in.Key's extension, a JSON object (.json) or a
//     well-formed XML document (.xml), at most MaxLicenseSize bytes.
//   - PACKAGE-CONFIG: a zip of at least one file, with safe entry paths, at
//     most MaxPluginSize uncompressed.
func Check(in Input) (*Result, error) {
	if in.Content == nil || in.Size < 0 {
		return nil, fmt.Errorf("content: no content to check (size %d)", in.Size)
	}

	switch in.Type {
	case osemu.PackageTypeTxtDictionary:
		if err := checkText(io.NewSectionReader(in.Content, 0, in.Size)); err != nil {
			return nil, err
		}
		return &Result{}, nil

	case osemu.PackageTypeZipPlugin:
		props, err := checkPlugin(in)
		var invalid *Invalid
		if errors.As(err, &invalid) {
			invalid.Message = pluginReason + invalid.Message
		}
		if err != nil {
			return nil, err
		}
		return &Result{PluginProperties: props}, nil

	case osemu.PackageTypeLicense:
		if err := checkLicense(in); err != nil {
			return nil, err
		}
		return &Result{}, nil

	case osemu.PackageTypeConfig:
		if err := checkConfig(in); err != nil {
			return nil, err
		}
		return &Result{}, nil

	default:
		return nil, fmt.Errorf("content: unknown package type %q", in.Type)
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
