package sqlstore

import (
	"encoding/json"
	"fmt"
)

// Encoder turns optional values into JSON column values, remembering the
// first error so that a row's arguments read as one expression. T is the
// type the column binds: string for a TEXT column (which SQLite's STRICT
// tables require), []byte for PostgreSQL's json.
type Encoder[T string | []byte] struct{ Err error }

// JSON returns v as JSON, or nil, which binds as NULL, for a nil pointer,
// slice or map: NULL is how the store tells "not set" from an empty value.
func (e *Encoder[T]) JSON(v any) any {
	if e.Err != nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		e.Err = err
		return nil
	}
	if string(b) == "null" {
		return nil
	}
	return T(b)
}

// Decoder is the inverse of Encoder.
type Decoder struct{ Err error }

// JSON decodes b into dst, a pointer to a pointer, slice or map, which it
// leaves nil if b is nil, as a NULL column scans.
func (d *Decoder) JSON(b []byte, dst any) {
	if d.Err != nil || b == nil {
		return
	}
	if err := json.Unmarshal(b, dst); err != nil {
		d.Err = fmt.Errorf("decode %T: %w", dst, err)
	}
}
