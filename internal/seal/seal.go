// Package seal encrypts token values at rest.
//
// A Keyring holds one or more AES-256 keys. The first (primary) key seals new
// values with AES-256-GCM and a random 12-byte nonce; every key in the ring
// can open values sealed with it, which is how keys are rotated: put the new
// key first, keep the old one until every value has been sealed again, then
// drop it. Each sealed value is stored with the id of its key (KeyID), and
// that id is authenticated as GCM additional data.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length in bytes of every key: AES-256.
const KeySize = 32

// keyIDLabel separates key ids from any other SHA-256 of the key material.
const keyIDLabel = "igtoken seal key id v1\x00"

// keyHint tells people how to make a valid key.
const keyHint = "base64 of 32 bytes, e.g. from `openssl rand -base64 32`"

var (
	// ErrUnknownKey means a value was sealed with a key that is not in the
	// keyring.
	ErrUnknownKey = errors.New("seal: value was sealed with a key that is not in the keyring")
	// ErrDecrypt means a value failed authentication: it was sealed with a
	// different key that has the same id, or it was altered.
	ErrDecrypt = errors.New("seal: value cannot be decrypted (wrong key or corrupted data)")
)

// Keyring holds the keys that seal and open token values. It is safe for
// concurrent use. Printing a Keyring shows key ids only, never key material.
type Keyring struct {
	ids   []string // ids[0] is the primary key's
	aeads map[string]cipher.AEAD
}

// NewKeyring returns a keyring of keys, each exactly KeySize bytes. The first
// key seals; all of them open.
func NewKeyring(keys ...[]byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("seal: no encryption key given")
	}
	k := &Keyring{aeads: make(map[string]cipher.AEAD, len(keys))}
	for i, key := range keys {
		if len(key) != KeySize {
			return nil, fmt.Errorf("seal: key %d of %d is %d bytes, want %d", i+1, len(keys), len(key), KeySize)
		}
		id := KeyID(key)
		if _, dup := k.aeads[id]; dup {
			return nil, fmt.Errorf("seal: key %d of %d (id %s) is given twice", i+1, len(keys), id)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("seal: key %d of %d: %w", i+1, len(keys), err)
		}
		aead, err := cipher.NewGCMWithRandomNonce(block)
		if err != nil {
			return nil, fmt.Errorf("seal: key %d of %d: %w", i+1, len(keys), err)
		}
		k.ids = append(k.ids, id)
		k.aeads[id] = aead
	}
	return k, nil
}

// ParseKeys parses a comma-separated list of standard base64 keys, as found
// in IGTOKEN_ENCRYPTION_KEY, and returns their keyring. Spaces around entries
// are ignored. Errors name the bad entry by position, never by value.
func ParseKeys(s string) (*Keyring, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("seal: no encryption key given: want %s", keyHint)
	}
	entries := strings.Split(s, ",")
	keys := make([][]byte, 0, len(entries))
	for i, e := range entries {
		key, err := decodeKey(e)
		if err != nil {
			return nil, fmt.Errorf("seal: encryption key %d of %d: %w", i+1, len(entries), err)
		}
		keys = append(keys, key)
	}
	return NewKeyring(keys...)
}

// decodeKey decodes one base64 key and checks its length. Its errors never
// contain the input.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("is empty: want %s", keyHint)
	}
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		// Tolerate a key whose "=" padding was lost, e.g. by a shell or a
		// .env parser.
		key, err = base64.RawStdEncoding.DecodeString(s)
	}
	if err != nil {
		return nil, fmt.Errorf("is not valid base64: want %s", keyHint)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("decodes to %d bytes: want %s", len(key), keyHint)
	}
	return key, nil
}

// KeyID returns the id of key: the first 8 hex characters of the SHA-256 of
// a fixed label followed by the key. It names a key in the database and in
// messages without revealing it.
func KeyID(key []byte) string {
	h := sha256.New()
	h.Write([]byte(keyIDLabel))
	h.Write(key)
	return hex.EncodeToString(h.Sum(nil)[:4])
}

// GenerateKey returns a new random key of KeySize bytes.
func GenerateKey() ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("seal: generate key: %w", err)
	}
	return key, nil
}

// PrimaryID returns the id of the key that seals new values.
func (k *Keyring) PrimaryID() string { return k.ids[0] }

// IDs returns the ids of every key in the ring, primary first.
func (k *Keyring) IDs() []string { return append([]string(nil), k.ids...) }

// Seal encrypts plaintext with the primary key and returns the ciphertext
// (nonce, encrypted data and tag) and the id of the key, which Open needs.
func (k *Keyring) Seal(plaintext []byte) (ciphertext []byte, keyID string, err error) {
	keyID = k.ids[0]
	// NewGCMWithRandomNonce draws a fresh 12-byte nonce for every call and
	// prepends it to the result.
	return k.aeads[keyID].Seal(nil, nil, plaintext, []byte(keyID)), keyID, nil
}

// Open decrypts ciphertext sealed with the key whose id is keyID. It returns
// an error wrapping ErrUnknownKey if that key is not in the ring, and one
// wrapping ErrDecrypt if authentication fails.
func (k *Keyring) Open(ciphertext []byte, keyID string) ([]byte, error) {
	aead, ok := k.aeads[keyID]
	if !ok {
		return nil, fmt.Errorf("key %q (keyring has %s): %w", keyID, strings.Join(k.ids, ", "), ErrUnknownKey)
	}
	plaintext, err := aead.Open(nil, nil, ciphertext, []byte(keyID))
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", keyID, ErrDecrypt)
	}
	return plaintext, nil
}

// String describes the keyring by key ids only. It has a value receiver so
// that printing a Keyring or a *Keyring never shows key material.
func (k Keyring) String() string {
	return "seal.Keyring(" + strings.Join(k.ids, ",") + ")"
}

// GoString keeps %#v from printing key material.
func (k Keyring) GoString() string { return k.String() }
