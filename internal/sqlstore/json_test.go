package sqlstore

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

func TestEncoder(t *testing.T) {
	type opts struct{ A int }
	var (
		nilPtr   *opts
		nilSlice []string
		nilMap   map[string]string
		nilRaw   json.RawMessage
	)
	tests := []struct {
		v    any
		want any // as a string column binds it
	}{
		{nilPtr, nil},
		{nilSlice, nil},
		{nilMap, nil},
		{nilRaw, nil},
		{&opts{A: 1}, `{"A":1}`},
		{[]string{}, `[]`}, // empty is not unset: the engines decide
		{map[string]string{"k": "v"}, `{"k":"v"}`},
	}
	for _, tc := range tests {
		var text Encoder[string]
		if got := text.JSON(tc.v); got != tc.want || text.Err != nil {
			t.Errorf("Encoder[string].JSON(%#v): got %#v, %v; want %#v", tc.v, got, text.Err, tc.want)
		}
		var bin Encoder[[]byte]
		got := bin.JSON(tc.v)
		if tc.want == nil && got != nil || tc.want != nil && string(got.([]byte)) != tc.want {
			t.Errorf("Encoder[[]byte].JSON(%#v): got %#v, want %#v", tc.v, got, tc.want)
		}
	}

	// The first error sticks, and what follows encodes to NULL.
	var e Encoder[string]
	if got := e.JSON(math.Inf(1)); got != nil || e.Err == nil {
		t.Fatalf("JSON(+Inf): got %#v, %v; want nil and an error", got, e.Err)
	}
	first := e.Err
	if got := e.JSON(&opts{}); got != nil || e.Err != first {
		t.Errorf("JSON after an error: got %#v, %v; want nil, %v", got, e.Err, first)
	}
}

func TestDecoder(t *testing.T) {
	var d Decoder
	var (
		unset *struct{ A int }
		list  []string
		set   *struct{ A int }
	)
	d.JSON(nil, &unset)
	d.JSON([]byte(`["a"]`), &list)
	d.JSON([]byte(`{"A":2}`), &set)
	if d.Err != nil || unset != nil || !reflect.DeepEqual(list, []string{"a"}) || set.A != 2 {
		t.Fatalf("got %v, %v, %v, %v; want nil, [a], {2}, no error", unset, list, set, d.Err)
	}

	// The first error sticks, and nothing more is decoded.
	d.JSON([]byte(`{`), &set)
	first := d.Err
	list = nil
	d.JSON([]byte(`["b"]`), &list)
	if first == nil || d.Err != first || list != nil {
		t.Errorf("after a bad document: got %v, %v; want the first error and nothing decoded",
			d.Err, list)
	}
}
