package awsmodel

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// Model patterns are Java regular expressions that AWS applies with
// full-match semantics (Matcher.matches). Most translate mechanically to
// Go's RE2 syntax; the few that use constructs RE2 lacks (lookaheads) have a
// hand-written matcher in handMatchers, keyed by the exact model text.

var (
	matcherMu    sync.Mutex
	matcherCache = map[string]func(string) bool{}
)

// matcher returns a full-match function for a model pattern. Both services
// share many patterns, so each is compiled once per process.
func matcher(pattern string) (func(string) bool, error) {
	matcherMu.Lock()
	defer matcherMu.Unlock()

	if m, ok := matcherCache[pattern]; ok {
		return m, nil
	}
	m, err := newMatcher(pattern)
	if err != nil {
		return nil, err
	}
	matcherCache[pattern] = m
	return m, nil
}

func newMatcher(pattern string) (func(string) bool, error) {
	if build, ok := handMatchers[pattern]; ok {
		return build(), nil
	}
	re, err := compileJava(pattern)
	if err != nil {
		return nil, fmt.Errorf("pattern %q has no matcher: %w", pattern, err)
	}
	return re.MatchString, nil
}

// compileJava compiles a Java pattern for full matches with Go's regexp.
func compileJava(pattern string) (*regexp.Regexp, error) {
	tr, err := translateJava(pattern)
	if err != nil {
		return nil, err
	}
	return regexp.Compile(`^(?:` + tr + `)$`)
}

// mustCompileJava is compileJava for the fixed fragments of hand matchers.
func mustCompileJava(pattern string) *regexp.Regexp {
	re, err := compileJava(pattern)
	if err != nil {
		panic("awsmodel: " + err.Error())
	}
	return re
}

// errUnsupported marks Java constructs that have no RE2 equivalent.
var errUnsupported = errors.New("construct not supported by RE2")

// Character sets where Java and RE2 disagree. Java's \s includes the
// vertical tab, RE2's does not; Java's dot excludes every line terminator,
// RE2's only \n.
const (
	javaSpace    = `\t\n\x0B\f\r `
	javaNonSpace = `\x00-\x08\x0E-\x1F\x21-\x{10FFFF}`
	javaDot      = `[^\n\r\x{85}\x{2028}\x{2029}]`
	javaXDigit   = `0-9A-Fa-f`
)

// translateJava rewrites a Java regular expression into RE2 syntax with the
// same meaning. It returns an error wrapping errUnsupported for lookarounds,
// atomic groups, class intersections and escapes whose meaning differs;
// anything else RE2 rejects shows up when compiling.
func translateJava(p string) (string, error) {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\':
			if i+1 >= len(p) {
				return "", errors.New("trailing backslash")
			}
			i++
			e := p[i]
			switch e {
			case 'Q':
				// Quoted run: copied verbatim, RE2 knows \Q...\E.
				end := strings.Index(p[i:], `\E`)
				if end < 0 {
					b.WriteString(`\Q` + p[i+1:])
					i = len(p)
					continue
				}
				b.WriteString(`\Q` + p[i+1:i+end] + `\E`)
				i += end + 1
			case 's':
				if inClass {
					b.WriteString(javaSpace)
				} else {
					b.WriteString("[" + javaSpace + "]")
				}
			case 'S':
				if inClass {
					b.WriteString(javaNonSpace)
				} else {
					b.WriteString("[" + javaNonSpace + "]")
				}
			case 'p', 'P':
				if strings.HasPrefix(p[i+1:], "{XDigit}") {
					neg := e == 'P'
					i += len("{XDigit}")
					switch {
					case inClass && neg:
						return "", fmt.Errorf("%w: \\P{XDigit} in a class", errUnsupported)
					case inClass:
						b.WriteString(javaXDigit)
					case neg:
						b.WriteString("[^" + javaXDigit + "]")
					default:
						b.WriteString("[" + javaXDigit + "]")
					}
					continue
				}
				// Unicode categories (\p{L}) mean the same in both.
				b.WriteByte('\\')
				b.WriteByte(e)
			case 'h', 'H', 'v', 'V', 'R', 'X', 'G', 'Z', 'k', 'u', 'c', 'e':
				return "", fmt.Errorf("%w: \\%c", errUnsupported, e)
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
		case inClass:
			switch {
			case c == '[':
				return "", fmt.Errorf("%w: nested character class", errUnsupported)
			case c == '&' && i+1 < len(p) && p[i+1] == '&':
				return "", fmt.Errorf("%w: class intersection", errUnsupported)
			case c == ']':
				inClass = false
			}
			b.WriteByte(c)
		case c == '[':
			inClass = true
			b.WriteByte(c)

			// A ']' right after '[' or '[^' is a literal in both dialects.
			if i+1 < len(p) && p[i+1] == '^' {
				i++
				b.WriteByte('^')
			}
			if i+1 < len(p) && p[i+1] == ']' {
				i++
				b.WriteString(`\]`)
			}
		case c == '.':
			b.WriteString(javaDot)
		case c == '(' && strings.HasPrefix(p[i:], "(?") && i+2 < len(p) && strings.IndexByte("=!<>", p[i+2]) >= 0:
			return "", fmt.Errorf("%w: lookaround or atomic group", errUnsupported)
		default:
			b.WriteByte(c)
		}
	}
	if inClass {
		return "", errors.New("unterminated character class")
	}
	return b.String(), nil
}

// trimFinalTerminator removes one trailing line terminator, the part of the
// input before which Java's $ also matches.
func trimFinalTerminator(s string) string {
	for _, t := range []string{"\r\n", "\n", "\r", "\u0085", "\u2028", "\u2029"} {
		if strings.HasSuffix(s, t) {
			return s[:len(s)-len(t)]
		}
	}
	return s
}

// Patterns with lookaheads, as the models spell them.
const (
	patternHTTPSURL = `^$|^https://(?!(?:10|127|169\.254|192\.168|172\.(?:1[6-9]|2[0-9]|3[01]))\.)` +
		`[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*` +
		`\.[a-zA-Z]{2,}(?::[0-9]{1,5})?(?:/[a-zA-Z0-9\-._~%!$&'()*+,;=:']*)?$`
	patternHostname = `^(((?!-)[A-Za-z0-9-]{0,62}[A-Za-z0-9])\.)+((?!-)[A-Za-z0-9-]{1,62}[A-Za-z0-9])$`
	patternS3Path   = `^(?!.*\/\.{2,})(?!.*\.\.)[a-zA-Z0-9_.-]+(?:\/[a-zA-Z0-9_.-]+)*$`
	patternIndex    = `^(?!\.\.?$)[^_ ,:"+/*\\|?#><A-Z-][^ ,:"+/*\\|?#><A-Z]*$`
)

// handMatchers builds full-match functions for the model patterns RE2
// cannot compile. Each one is the pattern with its lookahead split out into
// plain Go code; TestEveryModelPatternHasAMatcher checks that the table
// covers the models and TestHandMatchers pins their behaviour.
var handMatchers = map[string]func() func(string) bool{
	// An https URL (or nothing) whose host does not start with a private
	// IPv4 prefix.
	patternHTTPSURL: func() func(string) bool {
		private := regexp.MustCompile(`^(?:10|127|169\.254|192\.168|172\.(?:1[6-9]|2[0-9]|3[01]))\.`)
		rest := mustCompileJava(strings.Replace(patternHTTPSURL,
			`(?!(?:10|127|169\.254|192\.168|172\.(?:1[6-9]|2[0-9]|3[01]))\.)`, "", 1))
		return func(s string) bool {
			if s == "" {
				return true
			}
			host, ok := strings.CutPrefix(s, "https://")
			return ok && !private.MatchString(host) && rest.MatchString(s)
		}
	},

	// A DNS name of at least two labels; (?!-) forbids a leading hyphen,
	// which RE2 expresses by starting each label with [A-Za-z0-9].
	patternHostname: func() func(string) bool {
		re := regexp.MustCompile(`^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+` +
			`[A-Za-z0-9][A-Za-z0-9-]{0,61}[A-Za-z0-9]$`)
		return re.MatchString
	},

	// A relative path without "..": the second lookahead forbids ".."
	// anywhere, which includes the first one's "/..". The character set
	// excludes line terminators, so Java's dot in the lookaheads sees the
	// whole input.
	patternS3Path: func() func(string) bool {
		re := mustCompileJava(`[a-zA-Z0-9_.-]+(?:\/[a-zA-Z0-9_.-]+)*`)
		return func(s string) bool {
			return !strings.Contains(s, "..") && re.MatchString(s)
		}
	},

	// An OpenSearch index name other than "." and "..".
	patternIndex: func() func(string) bool {
		re := mustCompileJava(`[^_ ,:"+/*\\|?#><A-Z-][^ ,:"+/*\\|?#><A-Z]*`)
		return func(s string) bool {
			if t := trimFinalTerminator(s); t == "." || t == ".." {
				return false
			}
			return re.MatchString(s)
		}
	},
}
