package seal_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/igtoken/igtoken/internal/seal"
)

// mustKey returns a deterministic 32-byte key filled with b.
func mustKey(tb testing.TB, b byte) []byte {
	tb.Helper()
	return bytes.Repeat([]byte{b}, seal.KeySize)
}

func mustKeyring(tb testing.TB, keys ...[]byte) *seal.Keyring {
	tb.Helper()
	k, err := seal.NewKeyring(keys...)
	if err != nil {
		tb.Fatalf("NewKeyring: %v", err)
	}
	return k
}

func TestKeyring_SealOpen(t *testing.T) {
	t.Parallel()
	k := mustKeyring(t, mustKey(t, 1))
	tests := []struct {
		name      string
		plaintext []byte
	}{
		{name: "Empty", plaintext: []byte{}},
		{name: "Token", plaintext: []byte("IGAAT0kenValue1234567890abcdef")},
		{name: "Unicode", plaintext: []byte("tök€n 🎉 'quoted' \"double\" \x00 nul")},
		{name: "Long", plaintext: bytes.Repeat([]byte("long-token-"), 1000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ct, id, err := k.Seal(tt.plaintext)
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			if id != k.PrimaryID() {
				t.Errorf("Seal key id = %q, want primary %q", id, k.PrimaryID())
			}
			if len(tt.plaintext) > 0 && bytes.Contains(ct, tt.plaintext) {
				t.Errorf("ciphertext contains the plaintext")
			}
			got, err := k.Open(ct, id)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, tt.plaintext) {
				t.Errorf("Open = %q, want %q", got, tt.plaintext)
			}
		})
	}
}

func TestKeyring_Seal_NonceIsRandom(t *testing.T) {
	t.Parallel()
	k := mustKeyring(t, mustKey(t, 1))
	a, _, _ := k.Seal([]byte("same"))
	b, _, _ := k.Seal([]byte("same"))
	if bytes.Equal(a, b) {
		t.Errorf("two seals of the same plaintext are equal; the nonce must be random")
	}
	if len(a) != 12+len("same")+16 {
		t.Errorf("len(ciphertext) = %d, want nonce(12)+plaintext+tag(16) = %d", len(a), 12+4+16)
	}
}

func TestKeyring_Open_Errors(t *testing.T) {
	t.Parallel()
	k1 := mustKeyring(t, mustKey(t, 1))
	ct, id, err := k1.Seal([]byte("secret-token"))
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(ct)
	tampered[len(tampered)-1] ^= 1

	tests := []struct {
		name       string
		ring       *seal.Keyring
		ciphertext []byte
		keyID      string
		want       error
	}{
		{name: "UnknownKeyID", ring: k1, ciphertext: ct, keyID: "deadbeef", want: seal.ErrUnknownKey},
		{name: "KeyNotInRing", ring: mustKeyring(t, mustKey(t, 2)), ciphertext: ct, keyID: id, want: seal.ErrUnknownKey},
		{name: "Tampered", ring: k1, ciphertext: tampered, keyID: id, want: seal.ErrDecrypt},
		{name: "Truncated", ring: k1, ciphertext: ct[:10], keyID: id, want: seal.ErrDecrypt},
		{name: "Empty", ring: k1, ciphertext: nil, keyID: id, want: seal.ErrDecrypt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.ring.Open(tt.ciphertext, tt.keyID)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open error = %v, want %v", err, tt.want)
			}
			if got != nil {
				t.Errorf("Open returned %q with an error", got)
			}
		})
	}
}

// TestKeyring_Open_WrongKeySameID forges a ring whose key claims another
// key's id: GCM authentication, not the id lookup, must catch it.
func TestKeyring_Open_WrongKeySameID(t *testing.T) {
	t.Parallel()
	k1 := mustKeyring(t, mustKey(t, 1))
	k2 := mustKeyring(t, mustKey(t, 2))
	ct, _, err := k1.Seal([]byte("secret-token"))
	if err != nil {
		t.Fatal(err)
	}
	// Seal with k2 and open under k2's id works; opening k1's ciphertext under
	// k2's id must fail authentication.
	if _, err := k2.Open(ct, k2.PrimaryID()); !errors.Is(err, seal.ErrDecrypt) {
		t.Errorf("Open with wrong key = %v, want ErrDecrypt", err)
	}
}

func TestKeyring_Rotation(t *testing.T) {
	t.Parallel()
	oldKey, newKey := mustKey(t, 1), mustKey(t, 2)
	old := mustKeyring(t, oldKey)
	ct, oldID, err := old.Seal([]byte("sealed-before-rotation"))
	if err != nil {
		t.Fatal(err)
	}

	rotated := mustKeyring(t, newKey, oldKey)
	if got, want := rotated.IDs(), []string{seal.KeyID(newKey), seal.KeyID(oldKey)}; !cmp.Equal(got, want) {
		t.Errorf("IDs() = %v, want %v", got, want)
	}
	if got, err := rotated.Open(ct, oldID); err != nil || string(got) != "sealed-before-rotation" {
		t.Errorf("Open(old ciphertext) = %q, %v; want the plaintext", got, err)
	}
	_, id, err := rotated.Seal([]byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if id != seal.KeyID(newKey) {
		t.Errorf("Seal after rotation used key %s, want the new primary %s", id, seal.KeyID(newKey))
	}
}

func TestNewKeyring_Errors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		keys    [][]byte
		wantMsg string
	}{
		{name: "NoKeys", keys: nil, wantMsg: "no encryption key"},
		{name: "Short", keys: [][]byte{make([]byte, 16)}, wantMsg: "key 1 of 1 is 16 bytes, want 32"},
		{name: "SecondLong", keys: [][]byte{make([]byte, 32), make([]byte, 33)}, wantMsg: "key 2 of 2 is 33 bytes"},
		{name: "Duplicate", keys: [][]byte{make([]byte, 32), make([]byte, 32)}, wantMsg: "given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := seal.NewKeyring(tt.keys...)
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("NewKeyring error = %v, want one containing %q", err, tt.wantMsg)
			}
		})
	}
}

func TestParseKeys(t *testing.T) {
	t.Parallel()
	k1, k2 := mustKey(t, 1), mustKey(t, 2)
	b1, b2 := base64.StdEncoding.EncodeToString(k1), base64.StdEncoding.EncodeToString(k2)
	short := base64.StdEncoding.EncodeToString(make([]byte, 16))
	const hint = "base64 of 32 bytes, e.g. from `openssl rand -base64 32`"

	tests := []struct {
		name    string
		in      string
		wantIDs []string
		wantMsg string // non-empty: an error containing this is expected
	}{
		{name: "One", in: b1, wantIDs: []string{seal.KeyID(k1)}},
		{name: "Two", in: b2 + "," + b1, wantIDs: []string{seal.KeyID(k2), seal.KeyID(k1)}},
		{name: "Spaces", in: " " + b1 + " , " + b2 + "\n", wantIDs: []string{seal.KeyID(k1), seal.KeyID(k2)}},
		{name: "NoPadding", in: strings.TrimRight(b1, "="), wantIDs: []string{seal.KeyID(k1)}},
		{name: "Empty", in: "  ", wantMsg: "no encryption key given: want " + hint},
		{name: "NotBase64", in: b1 + ",not*base64!", wantMsg: "encryption key 2 of 2: is not valid base64: want " + hint},
		{name: "WrongLength", in: short, wantMsg: "encryption key 1 of 1: decodes to 16 bytes: want " + hint},
		{name: "EmptyEntry", in: b1 + ",", wantMsg: "encryption key 2 of 2: is empty"},
		{name: "Duplicate", in: b1 + "," + b1, wantMsg: "given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := seal.ParseKeys(tt.in)
			if tt.wantMsg != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("ParseKeys error = %v, want one containing %q", err, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseKeys: %v", err)
			}
			if diff := cmp.Diff(tt.wantIDs, k.IDs()); diff != "" {
				t.Errorf("IDs() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseKeys_ErrorHidesKey checks that a rejected key is never echoed:
// error messages end up in logs.
func TestParseKeys_ErrorHidesKey(t *testing.T) {
	t.Parallel()
	secret := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("s"), 31))
	_, err := seal.ParseKeys(secret)
	if err == nil {
		t.Fatal("ParseKeys accepted a 31-byte key")
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), secret[:12]) {
		t.Errorf("error %q contains the key", err)
	}
}

func TestKeyID(t *testing.T) {
	t.Parallel()
	k1, k2 := mustKey(t, 1), mustKey(t, 2)
	id := seal.KeyID(k1)
	if len(id) != 8 || strings.Trim(id, "0123456789abcdef") != "" {
		t.Errorf("KeyID = %q, want 8 lowercase hex characters", id)
	}
	if seal.KeyID(k1) != id {
		t.Errorf("KeyID is not deterministic")
	}
	if seal.KeyID(k2) == id {
		t.Errorf("two keys have the same id %s", id)
	}
	if strings.Contains(fmt.Sprintf("%x", k1), id) {
		t.Errorf("KeyID %s is part of the key", id)
	}
}

func TestKeyring_PrintHidesKeys(t *testing.T) {
	t.Parallel()
	key := mustKey(t, 0xab)
	k := mustKeyring(t, key)
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{k, *k} {
			got := fmt.Sprintf(format, v)
			if strings.Contains(got, "abab") || strings.Contains(got, "171 171") || strings.Contains(got, string(key)) || !strings.Contains(got, k.PrimaryID()) {
				t.Errorf("Sprintf(%q, %T) = %q, want key ids only", format, v, got)
			}
		}
	}
}
