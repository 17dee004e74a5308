package content

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeProperties returns a descriptor's bytes as text: UTF-8 when they
// are valid UTF-8 (without a byte order mark), ISO-8859-1 otherwise.
//
// AWS: (unverified) OpenSearch loads a descriptor as ISO-8859-1 and would
// garble UTF-8 text in a description; osemu keeps UTF-8 readable.
func decodeProperties(data []byte) string {
	if utf8.Valid(data) {
		return strings.TrimPrefix(string(data), "\ufeff")
	}
	runes := make([]rune, len(data))
	for i, b := range data {
		runes[i] = rune(b)
	}
	return string(runes)
}

// parseProperties parses text in the format of java.util.Properties.load:
//
//   - a logical line continues onto the next natural line when it ends in
//     an odd number of backslashes; the next line's leading whitespace is
//     dropped;
//   - lines whose first non-blank character is # or ! are comments (and
//     never continue);
//   - the key runs from the first non-blank character to the first
//     unescaped '=', ':' or blank; blanks, one '=' or ':' and blanks again
//     separate it from the value, which keeps trailing blanks;
//   - \t, \n, \r, \f and \uXXXX are escapes, and a backslash before any
//     other character stands for that character.
//
// Blanks are space, tab and form feed; lines end in \n, \r or \r\n. A later
// key replaces an earlier one. The error reports a malformed \u escape.
func parseProperties(text string) (map[string]string, error) {
	props := make(map[string]string)
	lines := splitLines(text)
	for i := 0; i < len(lines); i++ {
		line := strings.TrimLeft(lines[i], propBlanks)
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}

		// Join the natural lines of a logical line. A continuation
		// backslash on the last line is dropped.
		for continues(line) {
			line = line[:len(line)-1]
			if i+1 == len(lines) {
				break
			}
			i++
			line += strings.TrimLeft(lines[i], propBlanks)
		}

		rawKey, rawValue := splitProperty(line)
		key, err := unescapeProperty(rawKey)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		value, err := unescapeProperty(rawValue)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		props[key] = value
	}
	return props, nil
}

// propBlanks are the characters Java's Properties treats as white space.
const propBlanks = " \t\f"

// splitLines splits text at \n, \r and \r\n.
func splitLines(text string) []string {
	var lines []string
	for text != "" {
		i := strings.IndexAny(text, "\r\n")
		if i < 0 {
			lines = append(lines, text)
			break
		}
		lines = append(lines, text[:i])
		if text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n' {
			i++
		}
		text = text[i+1:]
	}
	return lines
}

// continues reports whether line ends in an odd number of backslashes:
// the last one escapes the line break.
func continues(line string) bool {
	n := len(line) - len(strings.TrimRight(line, `\`))
	return n%2 == 1
}

// splitProperty splits a logical line into its raw key and raw value.
func splitProperty(line string) (key, value string) {
	keyEnd, valueStart := 0, len(line)
	separated, escaped := false, false
	for ; keyEnd < len(line); keyEnd++ {
		c := line[keyEnd]
		if !escaped && (c == '=' || c == ':') {
			valueStart, separated = keyEnd+1, true
			break
		}
		if !escaped && strings.IndexByte(propBlanks, c) >= 0 {
			valueStart = keyEnd + 1
			break
		}
		escaped = c == '\\' && !escaped
	}

	// Skip blanks, and one separator after a key that ended at a blank.
	for ; valueStart < len(line); valueStart++ {
		c := line[valueStart]
		if strings.IndexByte(propBlanks, c) >= 0 {
			continue
		}
		if separated || (c != '=' && c != ':') {
			break
		}
		separated = true
	}
	return line[:keyEnd], line[valueStart:]
}

// unescapeProperty resolves the escapes of a key or value. A \u escape of
// a UTF-16 surrogate pair makes one character, as in a Java string.
func unescapeProperty(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			i++
			continue
		}
		if i+1 == len(s) {
			break // a lone trailing backslash stands for nothing
		}

		c := s[i+1]
		i += 2
		switch c {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			r, ok := hex4(s[i:])
			if !ok {
				return "", fmt.Errorf("malformed \\uxxxx escape %q", "\\u"+prefix(s[i:], 4))
			}
			i += 4
			if utf16.IsSurrogate(r) && strings.HasPrefix(s[i:], `\u`) {
				if low, ok := hex4(s[i+2:]); ok {
					if pair := utf16.DecodeRune(r, low); pair != utf8.RuneError {
						r = pair
						i += 6
					}
				}
			}
			b.WriteRune(r)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// hex4 parses the four hexadecimal digits that start s.
func hex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	for _, c := range []byte(s[:4]) {
		if !strings.ContainsRune("0123456789abcdefABCDEF", rune(c)) {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s[:4], 16, 32)
	return rune(n), err == nil
}

// prefix returns the first n bytes of s, or s when shorter.
func prefix(s string, n int) string {
	if len(s) < n {
		return s
	}
	return s[:n]
}
