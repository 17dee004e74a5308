package service

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/osemu/osemu"
)

// tokenKeyMeta is the store setting that holds the pagination-token key.
// Keeping it in the store lets every replica on one database verify the
// tokens of every other.
const tokenKeyMeta = "pagination-token-key"

// macSize is how many bytes of the HMAC-SHA256 a token carries.
const macSize = 16

// cursor is what a pagination token remembers: which listing it belongs to
// and the key of the last item of the page it ended.
type cursor struct {
	Op     string `json:"o"`
	Scope  string `json:"s"`
	Parent string `json:"p,omitempty"`
	Filter string `json:"f,omitempty"`
	Key    string `json:"k,omitempty"`
	Seq    int64  `json:"q,omitempty"`
}

// tokens signs and verifies pagination tokens. A token is opaque to
// clients: base64url of the cursor's JSON followed by a MAC, so a token
// that was forged, altered, or issued for another listing is refused.
type tokens struct {
	store osemu.Store

	mu  sync.Mutex
	key []byte
}

// loadKey returns the token key, creating it on first use.
func (t *tokens) loadKey(ctx context.Context) ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.key != nil {
		return t.key, nil
	}

	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("generate token key: %w", err)
	}

	var key []byte
	err := t.store.Update(ctx, func(tx osemu.Tx) error {
		var err error
		key, err = tx.PutMetaIfAbsent(tokenKeyMeta, fresh)
		return err
	})
	if err != nil {
		return nil, storeError(fmt.Errorf("load token key: %w", err))
	}
	t.key = key
	return key, nil
}

func (t *tokens) mac(key, payload []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(payload)
	return h.Sum(nil)[:macSize]
}

// encode returns the token for c.
func (t *tokens) encode(ctx context.Context, c cursor) (string, error) {
	key, err := t.loadKey(ctx)
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(append(payload, t.mac(key, payload)...)), nil
}

// decode verifies token and returns its cursor, which must belong to the
// listing described by want (Op, Scope, Parent and Filter).
func (t *tokens) decode(ctx context.Context, token string, want cursor) (cursor, error) {
	key, err := t.loadKey(ctx)
	if err != nil {
		return cursor{}, err
	}

	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) <= macSize {
		return cursor{}, errInvalidToken()
	}
	payload, mac := raw[:len(raw)-macSize], raw[len(raw)-macSize:]
	if !hmac.Equal(mac, t.mac(key, payload)) {
		return cursor{}, errInvalidToken()
	}

	var c cursor
	if err := json.Unmarshal(payload, &c); err != nil {
		return cursor{}, errInvalidToken()
	}
	if c.Op != want.Op || c.Scope != want.Scope || c.Parent != want.Parent || c.Filter != want.Filter {
		return cursor{}, errInvalidToken()
	}
	return c, nil
}

func errInvalidToken() error {
	return osemu.Errorf(osemu.CodeValidation,
		"The provided nextToken is not valid: it was not issued by this service for this request.")
}
