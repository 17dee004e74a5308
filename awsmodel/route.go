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

// route is an operation with the names of its labels in path order.
type route struct {
	op     *Operation
	labels []string
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

	var m matching
	m.method = method
	m.segs = segs
	r, labelSegs := m.walk(s.routes, 0)
	if r == nil {
		if m.pathMatched {
			return nil, nil, ErrMethodNotAllowed
		}
		return nil, nil, ErrNoRoute
	}

	if len(r.labels) == 0 {
		return r.op, nil, nil
	}
	labels := make(map[string]string, len(r.labels))
	for i, name := range r.labels {
		v, err := url.PathUnescape(labelSegs[i])
		if err != nil {
			return nil, nil, fmt.Errorf("%w: bad escape in %s: %v", ErrNoRoute, name, err)
		}
		labels[name] = v
	}
	return r.op, labels, nil
}

// matching is the state of one Route call.
type matching struct {
	method      string
	segs        []string
	vals        [maxSegments]string
	nvals       int
	pathMatched bool
}

// walk matches segs[i:] below n. It returns the route and the raw label
// values in path order.
func (m *matching) walk(n *node, i int) (*route, []string) {
	if i == len(m.segs) {
		if len(n.ops) > 0 {
			if r := n.ops[m.method]; r != nil {
				return r, m.vals[:m.nvals]
			}
			m.pathMatched = true
		}
		return nil, nil
	}

	seg := m.segs[i]
	if next := n.literal[seg]; next != nil {
		if r, v := m.walk(next, i+1); r != nil {
			return r, v
		}
	} else if strings.IndexByte(seg, '%') >= 0 && n.literal != nil {
		// A client may percent-encode characters of a literal segment.
		if u, err := url.PathUnescape(seg); err == nil {
			if next := n.literal[u]; next != nil {
				if r, v := m.walk(next, i+1); r != nil {
					return r, v
				}
			}
		}
	}

	if n.label != nil && seg != "" {
		m.vals[m.nvals] = seg
		m.nvals++
		if r, v := m.walk(n.label, i+1); r != nil {
			return r, v
		}
		m.nvals--
	}

	if len(n.greedy) > 0 {
		rest := strings.Join(m.segs[i:], "/")
		if rest != "" {
			if r := n.greedy[m.method]; r != nil {
				m.vals[m.nvals] = rest
				return r, m.vals[:m.nvals+1]
			}
			m.pathMatched = true
		}
	}
	return nil, nil
}
