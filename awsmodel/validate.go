package awsmodel

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/osemu/osemu"
)

// maxShown is how many characters of a value a message shows at most.
const maxShown = 256

// redacted replaces the value of a sensitive member in messages.
const redacted = "*** Sensitive Data Redacted ***"

// Validate checks an input, as Bind builds it, against every constraint of
// the operation's input shape: required members, JSON types, string, list
// and map lengths, numeric ranges, enums and patterns. It returns nil, or an
// *osemu.Error with code ValidationException whose message lists every
// violation the way AWS's Coral framework does:
//
//	1 validation error detected: Value 'Test-Domain' at 'domainName' failed to
//	satisfy constraint: Member must satisfy regular expression pattern:
//	[a-z][a-z0-9\-]+
//
// Several violations are joined with "; " after "N validation errors
// detected: ". Paths are lowerCamel member names, list elements are
// "<list>.<1-based index>.member" and map values "<map>.<key>".
//
// AWS: Coral lists violations in no fixed order; osemu lists them in model
// member order, depth first, and for one value in the order type, length,
// pattern, enum, range, so messages are deterministic.
func (op *Operation) Validate(input map[string]any) error {
	if op.Input == nil {
		return nil
	}
	var v validation
	v.structure(op.Input, input, "")
	return v.err()
}

// validation collects violations.
type validation struct {
	msgs []string
}

func (v *validation) err() error {
	switch len(v.msgs) {
	case 0:
		return nil
	case 1:
		return &osemu.Error{Code: osemu.CodeValidation,
			Message: "1 validation error detected: " + v.msgs[0]}
	default:
		return &osemu.Error{Code: osemu.CodeValidation,
			Message: strconv.Itoa(len(v.msgs)) + " validation errors detected: " + strings.Join(v.msgs, "; ")}
	}
}

// fail records one violation of value val (already formatted, or "null").
func (v *validation) fail(shown, path, constraint string) {
	v.msgs = append(v.msgs, "Value "+shown+" at '"+path+"' failed to satisfy constraint: "+constraint)
}

// failValue records a violation by a value.
func (v *validation) failValue(val any, sh *Shape, path, constraint string) {
	v.fail("'"+show(val, sh)+"'", path, constraint)
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// structure validates the members of a structure value.
func (v *validation) structure(sh *Shape, obj map[string]any, path string) {
	for _, m := range sh.Members {
		mp := join(path, m.path)
		val, ok := obj[m.Name]
		if !ok || val == nil {
			if m.Required {
				v.fail("null", mp, "Member must not be null")
			}
			continue
		}
		v.value(m.Shape, val, mp)
	}
}

// value validates one non-null value against its shape.
func (v *validation) value(sh *Shape, val any, path string) {
	switch sh.Type {
	case TypeStructure:
		if sh.Document {
			return
		}
		obj, ok := val.(map[string]any)
		if !ok {
			v.failType(val, sh, path, "a structure")
			return
		}
		// TODO(union): AWS rejects a union with no member or several set; its
		// wording is unknown, so unions are checked member by member only.
		v.structure(sh, obj, path)

	case TypeList:
		list, ok := asList(val)
		if !ok {
			v.failType(val, sh, path, "a list")
			return
		}
		v.length(val, sh, len(list), path)
		for i, e := range list {
			ep := path + "." + strconv.Itoa(i+1) + ".member"
			if e == nil {
				v.fail("null", ep, "Member must not be null")
				continue
			}
			if sh.Elem != nil {
				v.value(sh.Elem, e, ep)
			}
		}

	case TypeMap:
		obj, ok := val.(map[string]any)
		if !ok {
			v.failType(val, sh, path, "a map")
			return
		}
		v.length(val, sh, len(obj), path)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			// AWS: Coral reports a bad key or value against the whole map
			// ("Map keys must satisfy constraint: [...]"); osemu names the
			// entry, which says the same more precisely.
			ep := path + "." + k
			if sh.Key != nil {
				v.value(sh.Key, k, ep)
			}
			if obj[k] == nil {
				v.fail("null", ep, "Member must not be null")
				continue
			}
			if sh.Value != nil {
				v.value(sh.Value, obj[k], ep)
			}
		}

	case TypeString:
		s, ok := val.(string)
		if !ok {
			v.failType(val, sh, path, "a string")
			return
		}
		v.length(s, sh, javaLength(s), path)
		if sh.match != nil && !sh.match(s) {
			v.failValue(s, sh, path, "Member must satisfy regular expression pattern: "+sh.Pattern)
		}
		if sh.enumSet != nil && !sh.enumSet[s] {
			v.failValue(s, sh, path, "Member must satisfy enum value set: ["+strings.Join(sh.Enum, ", ")+"]")
		}

	case TypeInteger, TypeLong:
		bits := 64
		if sh.Type == TypeInteger {
			bits = 32
		}
		n, ok := asInt(val, bits)
		if !ok {
			v.failType(val, sh, path, "an integer")
			return
		}
		if sh.minN.set && n < sh.minN.i {
			v.failValue(val, sh, path, "Member must have value greater than or equal to "+sh.Min)
		}
		if sh.maxN.set && n > sh.maxN.i {
			v.failValue(val, sh, path, "Member must have value less than or equal to "+sh.Max)
		}

	case TypeFloat, TypeDouble:
		f, ok := asFloat(val)
		if !ok {
			v.failType(val, sh, path, "a number")
			return
		}
		if sh.minN.set && f < sh.minN.f {
			v.failValue(val, sh, path, "Member must have value greater than or equal to "+sh.Min)
		}
		if sh.maxN.set && f > sh.maxN.f {
			v.failValue(val, sh, path, "Member must have value less than or equal to "+sh.Max)
		}

	case TypeBoolean:
		if _, ok := val.(bool); !ok {
			v.failType(val, sh, path, "a boolean")
		}

	case TypeTimestamp:
		switch t := val.(type) {
		case time.Time:
		default:
			if _, ok := asFloat(t); !ok {
				v.failType(val, sh, path, "a timestamp in epoch seconds")
			}
		}

	case TypeBlob:
		if _, ok := val.(string); !ok {
			v.failType(val, sh, path, "a base64-encoded string")
		}
	}
}

// length checks the min and max length of a string, list or map.
func (v *validation) length(val any, sh *Shape, n int, path string) {
	if sh.minN.set && int64(n) < sh.minN.i {
		v.failValue(val, sh, path, "Member must have length greater than or equal to "+sh.Min)
	}
	if sh.maxN.set && int64(n) > sh.maxN.i {
		v.failValue(val, sh, path, "Member must have length less than or equal to "+sh.Max)
	}
}

// failType records a value of the wrong JSON type.
//
// AWS: rejects such a body earlier, with a SerializationException whose text
// comes from its JSON parser; osemu lists it with the other violations.
func (v *validation) failType(val any, sh *Shape, path, want string) {
	v.failValue(val, sh, path, "Member must be "+want)
}

func asList(val any) ([]any, bool) {
	switch l := val.(type) {
	case []any:
		return l, true
	case []string:
		out := make([]any, len(l))
		for i, s := range l {
			out[i] = s
		}
		return out, true
	}
	return nil, false
}

func asInt(val any, bits int) (int64, bool) {
	var n int64
	switch x := val.(type) {
	case json.Number:
		i, err := strconv.ParseInt(string(x), 10, 64)
		if err != nil {
			return 0, false
		}
		n = i
	case int:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			return 0, false
		}
		n = int64(x)
	default:
		return 0, false
	}
	if bits == 32 && (n < math.MinInt32 || n > math.MaxInt32) {
		return 0, false
	}
	return n, true
}

func asFloat(val any) (float64, bool) {
	switch x := val.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		return f, err == nil
	case int:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// show formats a value the way Java's toString would for a Coral message:
// strings as they are, lists as [a, b], maps and structures as {k=v}, and
// sensitive shapes redacted. The result is clipped to maxShown characters.
func show(val any, sh *Shape) string {
	var b strings.Builder
	writeValue(&b, val, sh)
	return clip(b.String())
}

func writeValue(b *strings.Builder, val any, sh *Shape) {
	if sh != nil && sh.Sensitive {
		b.WriteString(redacted)
		return
	}
	if b.Len() > maxShown {
		return
	}
	switch x := val.(type) {
	case nil:
		b.WriteString("null")
	case string:
		b.WriteString(x)
	case json.Number:
		b.WriteString(string(x))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case []any:
		var elem *Shape
		if sh != nil {
			elem = sh.Elem
		}
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeValue(b, e, elem)
		}
		b.WriteByte(']')
	case map[string]any:
		writeObject(b, x, sh)
	default:
		fmt.Fprint(b, x)
	}
}

// writeObject writes a structure in member order, or a map in key order.
func writeObject(b *strings.Builder, obj map[string]any, sh *Shape) {
	b.WriteByte('{')
	first := true
	entry := func(k string, v any, vs *Shape) {
		if !first {
			b.WriteString(", ")
		}
		first = false
		b.WriteString(k)
		b.WriteByte('=')
		writeValue(b, v, vs)
	}

	if sh != nil && sh.Type == TypeStructure {
		for _, m := range sh.Members {
			if v, ok := obj[m.Name]; ok {
				entry(m.Name, v, m.Shape)
			}
		}
	} else {
		var vs *Shape
		if sh != nil {
			vs = sh.Value
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			entry(k, obj[k], vs)
		}
	}
	b.WriteByte('}')
}

// clip shortens s to maxShown characters.
//
// AWS: how Coral shortens very long values was not verified; osemu cuts them
// and marks the cut with "...".
func clip(s string) string {
	if utf8.RuneCountInString(s) <= maxShown {
		return s
	}
	n := 0
	for i := range s {
		if n == maxShown {
			return s[:i] + "..."
		}
		n++
	}
	return s
}

// javaLength returns the length of s as Java counts it, in UTF-16 code
// units, which is what AWS's length constraints measure: a character
// outside the Basic Multilingual Plane, such as an emoji, counts twice.
func javaLength(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
