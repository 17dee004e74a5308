package awsmodel

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/osemu/osemu"
)

// Bind builds the operation's input from a request: a tree of generic values
// keyed by model member names ("PackageID", "MaxResults"), taking each member
// from where the model puts it: URI labels (from Route), the query string,
// headers, or the JSON body. Nested structures in the body are keyed by
// member names too, and keys the model does not know are dropped.
//
// Values follow encoding/json with UseNumber: strings, json.Number, bool,
// []any and map[string]any. Numbers from the URI, query or headers become
// json.Number as well, and timestamps json.Number epoch seconds, so that a
// member looks the same wherever it came from. A JSON null is an absent
// member.
//
// Bind checks only what it must to build the tree: a label, query parameter
// or header that does not convert to its member's type, and a body that is
// not a JSON object, are 400 ValidationExceptions. Everything else is left
// to Validate. The body is read only when the input has body members; an
// empty body is {}.
func (op *Operation) Bind(r *http.Request, labels map[string]string, body []byte) (map[string]any, error) {
	in := op.Input
	if in == nil {
		return map[string]any{}, nil
	}

	var doc map[string]any
	if in.hasBody {
		var err error
		if doc, err = decodeBody(body); err != nil {
			return nil, err
		}
	}

	var query map[string][]string
	out := make(map[string]any, len(in.Members))
	for _, m := range in.Members {
		switch m.Location {
		case LocationURI:
			v, ok := labels[m.LocationName]
			if !ok {
				continue
			}
			cv, err := convertText(m, v, "URI label")
			if err != nil {
				return nil, err
			}
			out[m.Name] = cv

		case LocationQueryString:
			if query == nil && r != nil {
				query = r.URL.Query()
			}
			v, ok, err := bindQuery(m, query, in)
			if err != nil {
				return nil, err
			}
			if ok {
				out[m.Name] = v
			}

		case LocationHeader:
			if r == nil {
				continue
			}
			vs := r.Header.Values(m.LocationName)
			if len(vs) == 0 {
				continue
			}
			v, err := bindHeader(m, vs)
			if err != nil {
				return nil, err
			}
			out[m.Name] = v

		case LocationHeaders:
			if r == nil {
				continue
			}
			prefix := http.CanonicalHeaderKey(m.LocationName)
			hm := map[string]any{}
			for k, vs := range r.Header {
				if len(k) >= len(prefix) && strings.EqualFold(k[:len(prefix)], prefix) {
					hm[strings.ToLower(k[len(prefix):])] = strings.Join(vs, ",")
				}
			}
			if len(hm) > 0 {
				out[m.Name] = hm
			}

		case "":
			v, ok := doc[m.LocationName]
			if ok && v != nil {
				out[m.Name] = conform(v, m.Shape)
			}
		}
	}
	return out, nil
}

// decodeBody parses a JSON object, keeping integer precision.
func decodeBody(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, nil
	}

	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil {
		// Anything after the object is as malformed as a broken object.
		if _, err2 := dec.Token(); !errors.Is(err2, io.EOF) {
			err = errors.New("unexpected data after the JSON object")
		}
	}
	if err != nil {
		// AWS: answers SerializationException (400); osemu keeps to the error
		// codes its domain knows and uses ValidationException.
		return nil, osemu.Errorf(osemu.CodeValidation, "Could not parse request body into json: %s", err)
	}

	obj, ok := v.(map[string]any)
	if !ok {
		// AWS: SerializationException, as above.
		return nil, osemu.Errorf(osemu.CodeValidation,
			"Could not parse request body into json: the body must be a JSON object")
	}
	return obj, nil
}

// bindQuery takes a querystring member from the parsed query.
func bindQuery(m *Member, query map[string][]string, in *Shape) (any, bool, error) {
	switch m.Shape.Type {
	case TypeList:
		vs := query[m.LocationName]
		if len(vs) == 0 {
			return nil, false, nil
		}
		list := make([]any, 0, len(vs))
		for _, v := range vs {
			cv, err := convertText(m, v, "query parameter")
			if err != nil {
				return nil, false, err
			}
			list = append(list, cv)
		}
		return list, true, nil

	case TypeMap:
		// A querystring map takes every parameter that no other member
		// names.
		named := map[string]bool{}
		for _, o := range in.Members {
			if o.Location == LocationQueryString && o.Shape.Type != TypeMap {
				named[o.LocationName] = true
			}
		}
		mv := map[string]any{}
		for k, vs := range query {
			if named[k] || len(vs) == 0 {
				continue
			}
			if m.Shape.Value != nil && m.Shape.Value.Type == TypeList {
				list := make([]any, len(vs))
				for i, v := range vs {
					list[i] = v
				}
				mv[k] = list
			} else {
				mv[k] = vs[0]
			}
		}
		return mv, len(mv) > 0, nil

	default:
		vs := query[m.LocationName]
		if len(vs) == 0 {
			return nil, false, nil
		}
		// AWS: which of repeated scalar parameters wins was not verified;
		// the first one does here.
		cv, err := convertText(m, vs[0], "query parameter")
		return cv, err == nil, err
	}
}

// bindHeader takes a header member; list members split on commas.
func bindHeader(m *Member, vs []string) (any, error) {
	if m.Shape.Type != TypeList {
		return convertText(m, vs[0], "header")
	}
	var list []any
	for _, v := range vs {
		for _, part := range strings.Split(v, ",") {
			cv, err := convertText(m, strings.TrimSpace(part), "header")
			if err != nil {
				return nil, err
			}
			list = append(list, cv)
		}
	}
	return list, nil
}

// convertText converts the text of a label, query parameter or header to the
// member's type (or, for a list, its element type).
func convertText(m *Member, text, where string) (any, error) {
	sh := m.Shape
	if sh.Type == TypeList && sh.Elem != nil {
		sh = sh.Elem
	}

	bad := func(want string) error {
		// AWS: the exact text AWS gives an unconvertible parameter was not
		// verified; this one names the parameter and what it must be.
		return osemu.Errorf(osemu.CodeValidation, "Value '%s' for %s %s is invalid: expected %s",
			clip(text), where, m.LocationName, want)
	}

	switch sh.Type {
	case TypeInteger, TypeLong:
		bits := 64
		if sh.Type == TypeInteger {
			bits = 32
		}
		if _, err := strconv.ParseInt(text, 10, bits); err != nil {
			return nil, bad("an integer")
		}
		return json.Number(text), nil

	case TypeFloat, TypeDouble:
		if _, err := strconv.ParseFloat(text, 64); err != nil {
			return nil, bad("a number")
		}
		return json.Number(text), nil

	case TypeBoolean:
		switch text {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, bad("true or false")

	case TypeTimestamp:
		t, ok := parseTimestamp(text, m.Location)
		if !ok {
			return nil, bad("a timestamp")
		}
		ms := t.UnixMilli()
		return json.Number(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil

	default:
		return text, nil
	}
}

// parseTimestamp reads a timestamp in the format REST-JSON uses for its
// location (ISO 8601 in the URI and query, HTTP date in headers), also
// accepting epoch seconds.
func parseTimestamp(text, location string) (time.Time, bool) {
	if f, err := strconv.ParseFloat(text, 64); err == nil {
		return time.UnixMilli(int64(f * 1000)).UTC(), true
	}
	layouts := []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700"}
	if location == LocationHeader {
		layouts = []string{http.TimeFormat, time.RFC1123, time.RFC3339Nano}
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, text); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// conform rewrites a decoded body value so that structures are keyed by
// member names, dropping keys the model does not know and null members.
// Values of the wrong JSON type are kept as they are for Validate to report.
func conform(v any, sh *Shape) any {
	switch sh.Type {
	case TypeStructure:
		obj, ok := v.(map[string]any)
		if !ok || sh.Document {
			return v
		}
		out := make(map[string]any, len(obj))
		for k, mv := range obj {
			m := sh.byJSONName[k]
			if m == nil || mv == nil {
				continue
			}
			out[m.Name] = conform(mv, m.Shape)
		}
		return out

	case TypeList:
		list, ok := v.([]any)
		if !ok || sh.Elem == nil {
			return v
		}
		for i, e := range list {
			if e != nil {
				list[i] = conform(e, sh.Elem)
			}
		}
		return list

	case TypeMap:
		obj, ok := v.(map[string]any)
		if !ok || sh.Value == nil {
			return v
		}
		for k, e := range obj {
			if e != nil {
				obj[k] = conform(e, sh.Value)
			}
		}
		return obj

	default:
		return v
	}
}
