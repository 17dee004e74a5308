package content

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// MaxLicenseSize is the largest PACKAGE-LICENSE accepted.
//
// AWS: (unverified) AWS documents no limit; licence files are a few KiB,
// and the cap bounds what validation holds in memory.
const MaxLicenseSize = 1 << 20

// checkLicense accepts a PACKAGE-LICENSE: a JSON object in a .json file or
// a well-formed XML document in a .xml file, at most MaxLicenseSize bytes.
//
// AWS: (unverified) the extension is matched without regard to case, and a
// UTF-8 byte order mark is allowed before the document.
func checkLicense(in Input) error {
	ext := strings.ToLower(path.Ext(in.Key))
	if ext != ".json" && ext != ".xml" {
		return &Invalid{
			Type: "UnsupportedLicenseFormat",
			Message: fmt.Sprintf("The licence file %q is neither .json nor .xml: "+
				"a licence must be a .json or .xml file.", path.Base(in.Key)),
		}
	}
	if in.Size > MaxLicenseSize {
		return &Invalid{
			Type: "LicenseTooLarge",
			Message: fmt.Sprintf("The licence file is %d bytes, more than the maximum "+
				"of %d bytes (1 MiB).", in.Size, MaxLicenseSize),
		}
	}

	data, err := io.ReadAll(io.NewSectionReader(in.Content, 0, in.Size))
	if err != nil {
		return fmt.Errorf("read licence: %w", err)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))

	if ext == ".json" {
		return checkJSONLicense(data)
	}
	return checkXMLLicense(data)
}

// checkJSONLicense accepts a JSON object.
func checkJSONLicense(data []byte) error {
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return &Invalid{
			Type:    "InvalidLicense",
			Message: fmt.Sprintf("The licence is not valid JSON: %v.", err),
		}
	}
	if _, ok := doc.(map[string]any); !ok {
		return &Invalid{
			Type:    "InvalidLicense",
			Message: "The licence is valid JSON but not a JSON object.",
		}
	}
	return nil
}

// checkXMLLicense accepts a well-formed XML document: one root element,
// with nothing but comments, processing instructions and white space
// around it. Entities are not expanded.
func checkXMLLicense(data []byte) error {
	invalid := func(reason string) error {
		return &Invalid{
			Type:    "InvalidLicense",
			Message: "The licence is not well-formed XML: " + reason + ".",
		}
	}

	d := xml.NewDecoder(bytes.NewReader(data))
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return invalid(err.Error())
		}

		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			if roots > 1 {
				return invalid("more than one root element")
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return invalid("text outside the root element")
			}
		}
	}
	if roots == 0 {
		return invalid("no root element")
	}
	return nil
}
