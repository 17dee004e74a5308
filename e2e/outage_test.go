package e2e

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/opensearch"
)

// proxy forwards TCP connections from a loopback port to a target, and can
// be cut (every connection closed, new ones refused) and restored, to play
// a database that goes away and comes back.
type proxy struct {
	target string

	mu    sync.Mutex
	ln    net.Listener
	addr  string
	conns []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	p := &proxy{target: target}
	if err := p.listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return nil
}

func (p *proxy) serve(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, c, up)
	p.mu.Unlock()
	go func() { io.Copy(up, c); up.Close() }()
	io.Copy(c, up)
	c.Close()
}

// cut closes the listener and every connection.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// restore listens again on the same address.
func (p *proxy) restore(t *testing.T) {
	t.Helper()
	var err error
	for range 50 {
		if err = p.listen(p.addr); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("proxy cannot listen again on %s: %v", p.addr, err)
}

func TestDatabaseOutage(t *testing.T) {
	ctx := context.Background()
	dsn := postgresDSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db := startProxy(t, u.Host)
	u.Host = db.addr

	srv := startServer(t, t.TempDir(), 100*time.Millisecond, "--store", u.String())
	es, _ := clients(srv.URL)
	es = opensearch.New(es.Options(), func(o *opensearch.Options) { o.RetryMaxAttempts = 1 })
	list := func() error {
		_, err := es.ListDomainNames(ctx, &opensearch.ListDomainNamesInput{})
		return err
	}
	if _, err := es.CreateDomain(ctx, &opensearch.CreateDomainInput{DomainName: aws.String("search")}); err != nil {
		t.Fatal(err)
	}

	// While the database is away, requests fail with a retryable 5xx.
	db.cut()
	err = list()
	var respErr *awshttp.ResponseError
	if !errors.As(err, &respErr) || respErr.HTTPStatusCode() < 500 {
		t.Fatalf("with the database down: got %v, want a 5xx AWS error", err)
	}
	if code := apiCode(err); code != "InternalException" {
		t.Errorf("with the database down: code %s, want InternalException", code)
	}

	// When it returns, so does osemu, without a restart.
	db.restore(t)
	eventually(t, 30*time.Second, "requests after the database returns", func() (bool, string) {
		err := list()
		return err == nil, apiCode(err)
	})
	out, err := es.DescribeDomain(ctx, &opensearch.DescribeDomainInput{DomainName: aws.String("search")})
	if err != nil || *out.DomainStatus.DomainName != "search" {
		t.Errorf("the domain created before the outage: %v %v", out, err)
	}
}
