package awsmodel

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Routing errors. The API layer answers them; AWS gives an unknown route a
// 404 UnknownOperationException.
var (
	// ErrNoRoute means no operation's requestUri matches the path.
	ErrNoRoute = errors.New("no operation matches the request path")

	// ErrMethodNotAllowed means some operation's requestUri matches the path,
	// but none with the request's method.
	ErrMethodNotAllowed = errors.New("no operation matches the request method for this path")
)

// The routing table is a trie of path segments built once per Service.
// Matching walks it depth first, trying at each level the literal child,
// then the single-segment label, then greedy labels, so a literal segment
// beats a label whenever both lead to an operation for the method.
type node struct {
	literal map[string]*node
	label   *node

	// ops are the operations whose template ends at this node, by method.
	ops map[string]*route

	// greedy are the operations whose template ends here with a {Name+}
	// label that takes the rest of the path, by method.
	greedy map[string]*route
}

// route is an operation with its labels: their names and segment indexes
// in path order. When greedy is set the last label takes every segment from
// its index on.
type route struct {
	op       *Operation
	labels   []string
	labelPos []int
	greedy   bool
}

func newNode() *node { return &node{} }

// templatePath returns the path part of a requestUri template, without its
// query part (some models put constant query parameters there) and without
// a trailing slash (ListTags is "/2021-01-01/tags/", clients differ on it).
func templatePath(uri string) string {
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	if len(uri) > 1 {
		uri = strings.TrimSuffix(uri, "/")
	}
	return uri
}

// add inserts an operation's template into the trie.
func (n *node) add(op *Operation) error {
	path := templatePath(op.URI)
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("operation %s: requestUri %q does not start with /", op.Name, op.URI)
	}

	r := &route{op: op}
	cur := n
	segs := strings.Split(path[1:], "/")
	for i, seg := range segs {
		name, isLabel := strings.CutPrefix(seg, "{")
		switch {
		case seg == "" && len(segs) == 1:
			// The root path: the operation ends at the root node.
		case !isLabel:
			if strings.ContainsAny(seg, "{}") {
				return fmt.Errorf("operation %s: label inside segment %q", op.Name, seg)
			}
			if cur.literal == nil {
				cur.literal = make(map[string]*node)
			}
			next := cur.literal[seg]
			if next == nil {
				next = newNode()
				cur.literal[seg] = next
			}
			cur = next
		case strings.HasSuffix(name, "+}"):
			if i != len(segs)-1 {
				return fmt.Errorf("operation %s: greedy label %s is not last", op.Name, seg)
			}
			r.labels = append(r.labels, strings.TrimSuffix(name, "+}"))
			r.labelPos = append(r.labelPos, i)
			r.greedy = true
			if cur.greedy == nil {
				cur.greedy = make(map[string]*route)
			}
			if prev := cur.greedy[op.Method]; prev != nil {
				return fmt.Errorf("operations %s and %s share a route", prev.op.Name, op.Name)
			}
			cur.greedy[op.Method] = r
			return nil
		default:
			name, ok := strings.CutSuffix(name, "}")
			if !ok || name == "" || strings.ContainsAny(name, "{}") {
				return fmt.Errorf("operation %s: bad label %q", op.Name, seg)
			}
			r.labels = append(r.labels, name)
			r.labelPos = append(r.labelPos, i)
			if cur.label == nil {
				cur.label = newNode()
			}
			cur = cur.label
		}
	}

	if cur.ops == nil {
		cur.ops = make(map[string]*route)
	}
	if prev := cur.ops[op.Method]; prev != nil {
		return fmt.Errorf("operations %s and %s share a route", prev.op.Name, op.Name)
	}
	cur.ops[op.Method] = r
	return nil
}

// maxSegments bounds the depth of a path Route accepts. The deepest template
// has eight segments; anything far longer cannot match.
const maxSegments = 32

// Route finds the operation for an HTTP method and a request's escaped path
// (r.URL.EscapedPath(), without the query string). It returns the operation
// and its URI labels, percent-decoded, keyed by label name as written in the
// template ({PackageID} gives "PackageID"; a greedy {Key+} gives "Key").
//
// A literal segment beats a label, and a single-segment label beats a
// greedy one; among the templates that match the path, the first in that
// order that accepts the method wins. So DELETE /2021-01-01/packages/describe
// is DeletePackage with PackageID "describe", while POST on the same path is
// DescribePackages. A trailing slash is ignored, on both the template and the
// request. Route returns ErrMethodNotAllowed when templates match the path
// but none accepts the method, and ErrNoRoute when none matches.
//
// AWS: that a label takes over when the literal template lacks the method
// (DELETE .../packages/describe) was not verified against AWS; it gives the
// client a ValidationException on the label rather than a routing error.
func (s *Service) Route(method, escapedPath string) (*Operation, map[string]string, error) {
	if !strings.HasPrefix(escapedPath, "/") {
		return nil, nil, ErrNoRoute
	}
	path := escapedPath[1:]
	path = strings.TrimSuffix(path, "/")

	// Split into segments without allocating for ordinary depths.
	var buf [maxSegments]string
	segs := buf[:0]
	if path != "" {
		for {
			i := strings.IndexByte(path, '/')
			if len(segs) == maxSegments {
				return nil, nil, ErrNoRoute
			}
			if i < 0 {
				segs = append(segs, path)
				break
			}
			segs = append(segs, path[:i])
			path = path[i+1:]
		}
	}

	pathMatched := false
	r := walk(s.routes, segs, 0, method, &pathMatched)
	if r == nil {
		if pathMatched {
			return nil, nil, ErrMethodNotAllowed
		}
		return nil, nil, ErrNoRoute
	}

	if len(r.labels) == 0 {
		return r.op, nil, nil
	}
	labels := make(map[string]string, len(r.labels))
	for i, name := range r.labels {
		raw := segs[r.labelPos[i]]
		if r.greedy && i == len(r.labels)-1 {
			raw = strings.Join(segs[r.labelPos[i]:], "/")
		}
		v, err := url.PathUnescape(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: bad escape in %s: %v", ErrNoRoute, name, err)
		}
		labels[name] = v
	}
	return r.op, labels, nil
}

// walk matches segs[i:] below n and returns the first route, in
// precedence order, that accepts the method. It sets *pathMatched when some
// route matches the path with another method.
func walk(n *node, segs []string, i int, method string, pathMatched *bool) *route {
	if i == len(segs) {
		if len(n.ops) > 0 {
			if r := n.ops[method]; r != nil {
				return r
			}
			*pathMatched = true
		}
		return nil
	}

	seg := segs[i]
	if next := n.literal[seg]; next != nil {
		if r := walk(next, segs, i+1, method, pathMatched); r != nil {
			return r
		}
	} else if n.literal != nil && strings.IndexByte(seg, '%') >= 0 {
		// A client may percent-encode characters of a literal segment.
		if u, err := url.PathUnescape(seg); err == nil {
			if next := n.literal[u]; next != nil {
				if r := walk(next, segs, i+1, method, pathMatched); r != nil {
					return r
				}
			}
		}
	}

	if n.label != nil && seg != "" {
		if r := walk(n.label, segs, i+1, method, pathMatched); r != nil {
			return r
		}
	}

	// A greedy label takes the rest of the path, which must not be empty.
	if len(n.greedy) > 0 && (seg != "" || i+1 < len(segs)) {
		if r := n.greedy[method]; r != nil {
			return r
		}
		*pathMatched = true
	}
	return nil
}
