package postgres

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// proxy forwards TCP connections to the test database, so that a test can
// take the database away from a store, and give it back, without touching
// the server: stop closes the listener and every connection, start listens
// again on the same address, kill closes the connections only (a server
// restart), and hang makes new connections go unanswered (a server that
// does not respond).
type proxy struct {
	tb              testing.TB
	network, target string
	addr            string

	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
	hung   bool
	closed bool          // set by stop, so that no connection accepted after it stays open
	frozen chan struct{} // while not nil, bytes wait in the proxy until it closes
	wg     sync.WaitGroup
}

// newProxy starts a proxy to the test database on a free port of
// 127.0.0.1, stopped when tb ends.
func newProxy(tb testing.TB) *proxy {
	tb.Helper()
	cfg, err := pgconn.ParseConfig(testDSN())
	if err != nil {
		tb.Fatal(err)
	}
	p := &proxy{tb: tb, network: "tcp", addr: "127.0.0.1:0", conns: map[net.Conn]bool{}}
	p.target = net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
	if strings.HasPrefix(cfg.Host, "/") {
		p.network = "unix"
		p.target = filepath.Join(cfg.Host, fmt.Sprintf(".s.PGSQL.%d", cfg.Port))
	}
	p.start()
	tb.Cleanup(p.stop)
	return p
}

// dsn returns the test DSN with its search_path set to schema, through the
// proxy.
func (p *proxy) dsn(schema string) string {
	return hostDSN(p.tb, schemaDSN(p.tb, schema), p.addr)
}

// hostDSN returns dsn with its host and port replaced by addr's.
func hostDSN(tb testing.TB, dsn, addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		tb.Fatal(err)
	}
	return withParam(tb, withParam(tb, dsn, "host", host), "port", port)
}

// start listens on the proxy's address.
func (p *proxy) start() {
	p.tb.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.tb.Fatalf("proxy: %v", err)
	}
	p.mu.Lock()
	p.ln, p.addr, p.hung, p.closed = ln, ln.Addr().String(), false, false
	p.mu.Unlock()
	p.wg.Go(func() { p.accept(ln) })
}

func (p *proxy) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) || p.isHung() {
			continue // kept open, never answered
		}
		server, err := net.Dial(p.network, p.target)
		if err != nil {
			c.Close()
			continue
		}
		if !p.track(server) {
			c.Close()
			continue
		}
		for _, pair := range [][2]net.Conn{{c, server}, {server, c}} {
			p.wg.Go(func() {
				p.copy(pair[0], pair[1])
				pair[0].Close()
				pair[1].Close()
			})
		}
	}
}

// copy forwards src to dst, holding the bytes back while the proxy is
// frozen.
func (p *proxy) copy(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			gate := p.frozen
			p.mu.Unlock()
			if gate != nil {
				<-gate
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// freeze keeps every connection open but forwards nothing, as a frozen
// host or a network partition would, until thaw.
func (p *proxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.frozen == nil {
		p.frozen = make(chan struct{})
	}
}

// thaw forwards again what freeze held back.
func (p *proxy) thaw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.frozen != nil {
		close(p.frozen)
		p.frozen = nil
	}
}

// track adds c to the connections that kill closes, or closes it if the
// proxy is stopped, and reports whether it added it.
func (p *proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

func (p *proxy) isHung() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hung
}

// kill closes every connection through the proxy, as a server restart
// would, and keeps listening.
func (p *proxy) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// hang closes every connection and leaves the new ones unanswered.
func (p *proxy) hang() {
	p.kill()
	p.mu.Lock()
	p.hung = true
	p.mu.Unlock()
}

// stop closes the listener and every connection, and waits for the
// proxy's goroutines.
func (p *proxy) stop() {
	p.thaw()
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	p.closed = true
	p.mu.Unlock()
	p.kill()
	p.wg.Wait()
}

// openProxied opens a store on a new schema through a new proxy.
func openProxied(t *testing.T, opts ...Option) (*Store, *proxy) {
	t.Helper()
	p := newProxy(t)
	schema := newSchema(t)
	opts = append([]Option{WithMaxConns(testPoolSize)}, opts...)
	s, err := Open(context.Background(), p.dsn(schema), opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, p
}
