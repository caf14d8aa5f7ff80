package seal_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/igtoken/igtoken/internal/seal"
)

func TestLoadOrCreateKeyFile_Creates(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data", "igtoken")
	path := filepath.Join(dir, "key")

	key, err := seal.LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatalf("LoadOrCreateKeyFile: %v", err)
	}
	if len(key) != seal.KeySize {
		t.Fatalf("len(key) = %d, want %d", len(key), seal.KeySize)
	}
	if runtime.GOOS != "windows" {
		if got := mustMode(t, path); got != 0o600 {
			t.Errorf("key file mode = %v, want 0600", got)
		}
		if got := mustMode(t, dir); got != 0o700|os.ModeDir {
			t.Errorf("key directory mode = %v, want drwx------", got)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(data)); got != base64.StdEncoding.EncodeToString(key) {
		t.Errorf("key file holds %q, want the base64 of the returned key", got)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("key directory holds %d entries, want only the key file (temporary file left behind?)", len(entries))
	}

	again, err := seal.LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatalf("LoadOrCreateKeyFile (second call): %v", err)
	}
	if !bytes.Equal(again, key) {
		t.Errorf("second call returned a different key")
	}
}

func TestLoadOrCreateKeyFile_Concurrent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "key")
	const n = 16
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = seal.LoadOrCreateKeyFile(path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("caller %d got a different key than caller 0: two keys were created", i)
		}
	}
}

func TestLoadOrCreateKeyFile_ReadsExisting(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{7}, seal.KeySize)
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := seal.LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatalf("LoadOrCreateKeyFile: %v", err)
	}
	if !bytes.Equal(got, key) {
		t.Errorf("LoadOrCreateKeyFile returned another key than the file's")
	}
}

func TestLoadOrCreateKeyFile_Errors(t *testing.T) {
	t.Parallel()
	good := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, seal.KeySize))
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		wantMsg string
		unix    bool // the check relies on Unix permission bits
	}{
		{name: "GroupReadable", content: good, mode: 0o640, wantMsg: "group or others can access it", unix: true},
		{name: "WorldReadable", content: good, mode: 0o644, wantMsg: "chmod 600", unix: true},
		{name: "Empty", content: "", mode: 0o600, wantMsg: "key is empty"},
		{name: "Garbage", content: "not a key", mode: 0o600, wantMsg: "is not valid base64"},
		{name: "Short", content: base64.StdEncoding.EncodeToString(make([]byte, 8)), mode: 0o600, wantMsg: "decodes to 8 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.unix && runtime.GOOS == "windows" {
				t.Skip("no Unix permission bits")
			}
			path := filepath.Join(t.TempDir(), "key")
			if err := os.WriteFile(path, []byte(tt.content), tt.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil { // bypass the umask
				t.Fatal(err)
			}
			_, err := seal.LoadOrCreateKeyFile(path)
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("LoadOrCreateKeyFile error = %v, want one containing %q", err, tt.wantMsg)
			}
			if strings.Contains(err.Error(), good) {
				t.Errorf("error %q contains the key", err)
			}
			data, _ := os.ReadFile(path)
			if string(data) != tt.content {
				t.Errorf("the rejected key file was changed")
			}
		})
	}
}

func TestGenerateKey(t *testing.T) {
	t.Parallel()
	a, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	b, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != seal.KeySize || bytes.Equal(a, b) {
		t.Errorf("GenerateKey returned %d bytes, equal twice: %v; want distinct %d-byte keys", len(a), bytes.Equal(a, b), seal.KeySize)
	}
	if _, err := seal.NewKeyring(a); err != nil {
		t.Errorf("NewKeyring(GenerateKey()) = %v", err)
	}
}

// mustMode returns the permission bits of path, plus os.ModeDir for a
// directory.
func mustMode(tb testing.TB, path string) os.FileMode {
	tb.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return fi.Mode() & (os.ModeDir | os.ModePerm)
}
