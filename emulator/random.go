package emulator

import "crypto/rand"

const (
	base62    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	base64URL = base62 + "-_"
	digits    = "0123456789"
)

// randomString returns n characters drawn uniformly from alphabet (at most
// 256 characters) by crypto/rand.
func randomString(alphabet string, n int) string {
	limit := 256 - 256%len(alphabet) // reject bytes that would bias the draw
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4+8)
	for len(out) < n {
		rand.Read(buf) // never fails; crashes the program instead (Go 1.24+)
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}

// newTokenValue returns "IGAA" and 150 base62 characters. The IGAA prefix is
// what Instagram Login tokens look like (§0, observed, undocumented).
func newTokenValue() string { return "IGAA" + randomString(base62, 150) }

// newCodeValue returns an opaque authorization code. Real codes contain "*"
// and "!" (§1.2), so clients must not validate the charset; ours always do.
func newCodeValue() string {
	return randomString(base64URL, 44) + "*0!" + randomString(digits, 4)
}

// newTraceID returns an fbtrace_id-like value.
func newTraceID() string { return randomString(base64URL, 11) }
