package seal

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// LoadOrCreateKeyFile returns the key stored, in base64, in the file at
// path. If there is no such file it creates one holding a new random key:
// missing directories are made with mode 0700 and the file with mode 0600.
// The file appears atomically and complete, and never replaces an existing
// one, so two processes starting at once end up with the same key.
//
// It refuses a key file that group or others can access: the key protects
// every stored token.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	key, err := readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := createKeyFile(path); err != nil {
		return nil, err
	}
	key, err = readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("seal: key file %s vanished after it was created: %w", path, err)
	}
	return key, err
}

func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("seal: read key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("seal: read key file: %w", err)
	}
	// Windows has no Unix permission bits; there the directory's ACL decides.
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("seal: key file %s has mode %04o, so group or others can access it; "+
			"run `chmod 600 %s` (and consider the key compromised if others could read it)", path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return nil, fmt.Errorf("seal: read key file: %w", err)
	}
	key, err := decodeKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("seal: key file %s: key %w", path, err)
	}
	return key, nil
}

// createKeyFile writes a new key to a temporary file and links it to path.
// Unlike a rename, a hard link fails if path exists, so a concurrent creator's
// key is never overwritten; and unlike O_EXCL on path itself, readers never
// see a half-written file.
func createKeyFile(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("seal: create key file directory: %w", err)
	}
	key, err := GenerateKey()
	if err != nil {
		return err
	}
	data := []byte(base64.StdEncoding.EncodeToString(key) + "\n")

	tmp, err := os.CreateTemp(dir, ".igtoken-key-*") // mode 0600
	if err != nil {
		return fmt.Errorf("seal: create key file: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("seal: write key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("seal: write key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("seal: write key file: %w", err)
	}

	switch err := os.Link(tmpName, path); {
	case err == nil:
	case errors.Is(err, fs.ErrExist):
		return nil // another process won; the caller reads its key
	default:
		// Some file systems have no hard links; fall back to O_EXCL.
		if err := writeExclusive(path, data); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("seal: create key file: %w", err)
		}
	}
	syncDir(dir)
	return nil
}

func writeExclusive(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes a new directory entry durable where the platform allows it.
// Losing the key file means losing every token, so it is worth the call.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
