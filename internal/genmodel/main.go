// Command genmodel writes the trimmed service models that package awsmodel
// embeds.
//
// Where the data comes from: the botocore service models of Amazon
// OpenSearch Service (data/opensearch/2021-01-01/service-2.json.gz) and of
// the legacy Amazon Elasticsearch Service (data/es/2015-01-01/service-2.json.gz),
// as shipped in the botocore Python package. botocore is published by Amazon
// under the Apache License 2.0; its service models are the wire contract of
// the AWS APIs (routes, members, constraints, error codes), which is exactly
// what osemu must reproduce.
//
// What is kept: the service metadata; for each operation its name, HTTP
// method, requestUri, responseCode, input and output shapes and error
// shapes; for each shape its type, members (in model order, with location,
// locationName and idempotencyToken), required list, min, max, pattern,
// enum, list member, map key and value, sensitive, union, document and error
// traits. Documentation text is dropped. Member order matters: awsmodel
// reports validation errors in that order, so members are written as a JSON
// array rather than an object.
//
// Usage (from the awsmodel directory, through go generate):
//
//	go run ../internal/genmodel [-botocore DIR] [-out DIR]
//
// Without -botocore the data directory is taken from $BOTOCORE_DATA, or else
// from the botocore package that python3 imports.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// models lists the botocore models to trim and the file each one becomes.
var models = []struct {
	src, out string
}{
	{"opensearch/2021-01-01/service-2.json.gz", "opensearch-2021-01-01.json.gz"},
	{"es/2015-01-01/service-2.json.gz", "es-2015-01-01.json.gz"},
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("genmodel: ")

	dataDir := flag.String("botocore", "",
		"botocore data directory (default: $BOTOCORE_DATA or python3's botocore)")
	outDir := flag.String("out", ".", "directory to write the trimmed models into")
	flag.Parse()

	dir, version, err := findBotocore(*dataDir)
	if err != nil {
		log.Fatal(err)
	}

	for _, m := range models {
		if err := convert(filepath.Join(dir, m.src), filepath.Join(*outDir, m.out), m.src, version); err != nil {
			log.Fatal(err)
		}
	}
}

// findBotocore returns the botocore data directory and, when known, the
// botocore version.
func findBotocore(flagDir string) (dir, version string, err error) {
	if flagDir != "" {
		return flagDir, "", nil
	}
	if env := os.Getenv("BOTOCORE_DATA"); env != "" {
		return env, "", nil
	}

	// Ask the Python that has botocore installed; this is how SPEC.md tells
	// developers to find the models.
	out, err := exec.Command("python3", "-c",
		"import botocore, os; print(os.path.dirname(botocore.__file__)); print(botocore.__version__)").Output()
	if err != nil {
		return "", "", fmt.Errorf("locate botocore with python3 (or pass -botocore): %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		return "", "", fmt.Errorf("locate botocore: unexpected python3 output %q", out)
	}
	return filepath.Join(lines[0], "data"), lines[1], nil
}

// convert reads one botocore model and writes its trimmed, gzipped copy.
func convert(src, dst, name, version string) error {
	raw, err := readGzip(src)
	if err != nil {
		return err
	}

	var in botoModel
	if err := json.Unmarshal(raw, &in); err != nil {
		return fmt.Errorf("parse %s: %w", src, err)
	}
	out, err := trim(&in)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	out.Source = "botocore " + version + " data/" + name
	if version == "" {
		out.Source = "botocore data/" + name
	}
	out.License = "Apache-2.0 (botocore service model, the AWS wire contract)"

	js, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		return err
	}

	// A zero gzip header (no name, no time) keeps the output byte-for-byte
	// reproducible, so regenerating without model changes leaves git clean.
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(append(js, '\n')); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		return err
	}
	log.Printf("wrote %s (%d operations, %d shapes)", dst, len(out.Operations), len(out.Shapes))
	return nil
}

func readGzip(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer zr.Close()
	return io.ReadAll(zr)
}

// botoModel is the part of a botocore service-2.json this command reads.
type botoModel struct {
	Metadata   map[string]any           `json:"metadata"`
	Operations map[string]botoOperation `json:"operations"`
	Shapes     map[string]botoShape     `json:"shapes"`
}

type botoOperation struct {
	Name string `json:"name"`
	HTTP struct {
		Method       string `json:"method"`
		RequestURI   string `json:"requestUri"`
		ResponseCode int    `json:"responseCode"`
	} `json:"http"`
	Input  *botoRef  `json:"input"`
	Output *botoRef  `json:"output"`
	Errors []botoRef `json:"errors"`
}

type botoRef struct {
	Shape string `json:"shape"`
}

type botoShape struct {
	Type      string         `json:"type"`
	Members   orderedMembers `json:"members"`
	Required  []string       `json:"required"`
	Min       json.Number    `json:"min"`
	Max       json.Number    `json:"max"`
	Pattern   *string        `json:"pattern"`
	Enum      []string       `json:"enum"`
	Member    *botoRef       `json:"member"`
	Key       *botoRef       `json:"key"`
	Value     *botoRef       `json:"value"`
	Sensitive bool           `json:"sensitive"`
	Union     bool           `json:"union"`
	Document  bool           `json:"document"`
	Exception bool           `json:"exception"`
	Error     *struct {
		Code           string `json:"code"`
		HTTPStatusCode int    `json:"httpStatusCode"`
		SenderFault    bool   `json:"senderFault"`
	} `json:"error"`
}

type botoMember struct {
	Name             string
	Shape            string `json:"shape"`
	Location         string `json:"location"`
	LocationName     string `json:"locationName"`
	IdempotencyToken bool   `json:"idempotencyToken"`
}

// orderedMembers decodes a JSON object of members keeping the order of its
// keys, which a Go map would lose.
type orderedMembers []botoMember

// UnmarshalJSON reads the object token by token.
func (m *orderedMembers) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return errors.New("members: not an object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		var mem botoMember
		if err := dec.Decode(&mem); err != nil {
			return err
		}
		mem.Name = tok.(string)
		*m = append(*m, mem)
	}
	_, err = dec.Token()
	return err
}

// Model is the trimmed model file. awsmodel decodes the same layout.
type Model struct {
	Source     string            `json:"source"`
	License    string            `json:"license"`
	Metadata   Metadata          `json:"metadata"`
	Operations []Operation       `json:"operations"`
	Shapes     map[string]*Shape `json:"shapes"`
}

// Metadata is the service metadata awsmodel keeps.
type Metadata struct {
	APIVersion      string `json:"apiVersion"`
	EndpointPrefix  string `json:"endpointPrefix"`
	Protocol        string `json:"protocol"`
	ServiceFullName string `json:"serviceFullName"`
	ServiceID       string `json:"serviceId"`
	SigningName     string `json:"signingName,omitempty"`
	UID             string `json:"uid"`
}

// Operation is one operation of the trimmed model.
type Operation struct {
	Name         string   `json:"name"`
	Method       string   `json:"method"`
	RequestURI   string   `json:"requestUri"`
	ResponseCode int      `json:"responseCode,omitempty"`
	Input        string   `json:"input,omitempty"`
	Output       string   `json:"output,omitempty"`
	Errors       []string `json:"errors,omitempty"`
}

// Shape is one shape of the trimmed model.
type Shape struct {
	Type      string      `json:"type"`
	Members   []Member    `json:"members,omitempty"`
	Required  []string    `json:"required,omitempty"`
	Min       json.Number `json:"min,omitempty"`
	Max       json.Number `json:"max,omitempty"`
	Pattern   *string     `json:"pattern,omitempty"`
	Enum      []string    `json:"enum,omitempty"`
	Member    string      `json:"member,omitempty"`
	Key       string      `json:"key,omitempty"`
	Value     string      `json:"value,omitempty"`
	Sensitive bool        `json:"sensitive,omitempty"`
	Union     bool        `json:"union,omitempty"`
	Document  bool        `json:"document,omitempty"`
	Exception bool        `json:"exception,omitempty"`
	Error     *ErrorTrait `json:"error,omitempty"`
}

// Member is one member of a structure shape.
type Member struct {
	Name             string `json:"name"`
	Shape            string `json:"shape"`
	Location         string `json:"location,omitempty"`
	LocationName     string `json:"locationName,omitempty"`
	IdempotencyToken bool   `json:"idempotencyToken,omitempty"`
}

// ErrorTrait is the error trait of an exception shape.
type ErrorTrait struct {
	Code           string `json:"code,omitempty"`
	HTTPStatusCode int    `json:"httpStatusCode,omitempty"`
	SenderFault    bool   `json:"senderFault,omitempty"`
}

// trim converts a botocore model into the trimmed layout and checks that
// every shape reference resolves.
func trim(in *botoModel) (*Model, error) {
	str := func(k string) string { s, _ := in.Metadata[k].(string); return s }
	out := &Model{
		Metadata: Metadata{
			APIVersion:      str("apiVersion"),
			EndpointPrefix:  str("endpointPrefix"),
			Protocol:        str("protocol"),
			ServiceFullName: str("serviceFullName"),
			ServiceID:       str("serviceId"),
			SigningName:     str("signingName"),
			UID:             str("uid"),
		},
		Shapes: make(map[string]*Shape, len(in.Shapes)),
	}

	var problems []string
	ref := func(where string, r *botoRef) string {
		if r == nil {
			return ""
		}
		if _, ok := in.Shapes[r.Shape]; !ok {
			problems = append(problems, fmt.Sprintf("%s: unknown shape %q", where, r.Shape))
		}
		return r.Shape
	}

	names := make([]string, 0, len(in.Operations))
	for name := range in.Operations {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		o := in.Operations[name]
		op := Operation{
			Name:         name,
			Method:       o.HTTP.Method,
			RequestURI:   o.HTTP.RequestURI,
			ResponseCode: o.HTTP.ResponseCode,
			Input:        ref(name+" input", o.Input),
			Output:       ref(name+" output", o.Output),
		}
		for _, e := range o.Errors {
			op.Errors = append(op.Errors, ref(name+" error", &e))
		}
		out.Operations = append(out.Operations, op)
	}

	for name, s := range in.Shapes {
		sh := &Shape{
			Type:      s.Type,
			Required:  s.Required,
			Min:       s.Min,
			Max:       s.Max,
			Pattern:   s.Pattern,
			Enum:      s.Enum,
			Member:    ref(name+" member", s.Member),
			Key:       ref(name+" key", s.Key),
			Value:     ref(name+" value", s.Value),
			Sensitive: s.Sensitive,
			Union:     s.Union,
			Document:  s.Document,
			Exception: s.Exception,
		}
		if s.Error != nil {
			sh.Error = &ErrorTrait{
				Code:           s.Error.Code,
				HTTPStatusCode: s.Error.HTTPStatusCode,
				SenderFault:    s.Error.SenderFault,
			}
		}
		for _, m := range s.Members {
			ref(name+"."+m.Name, &botoRef{Shape: m.Shape})
			sh.Members = append(sh.Members, Member(m))
		}
		out.Shapes[name] = sh
	}

	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return out, nil
}
