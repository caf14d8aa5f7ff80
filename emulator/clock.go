package emulator

import (
	"sync/atomic"
	"time"
)

// clock is the emulated clock: the start time plus real elapsed time plus
// every Advance.
type clock struct {
	start     time.Time // emulated time at realStart
	realStart time.Time // carries the monotonic reading
	advanced  atomic.Int64
}

func newClock(start time.Time) clock {
	now := time.Now()
	if start.IsZero() {
		start = now
	}
	return clock{start: start.Round(0), realStart: now}
}

// Now returns the emulated time: Config.Start plus the real time elapsed
// since New plus every Advance. Code and token expiry use it.
func (s *Server) Now() time.Time {
	c := &s.clock
	return c.start.Add(time.Since(c.realStart) + time.Duration(c.advanced.Load()))
}

// Advance moves the emulated clock forward by d.
func (s *Server) Advance(d time.Duration) { s.clock.advanced.Add(int64(d)) }

// advanced returns the total of every Advance.
func (s *Server) advanced() time.Duration { return time.Duration(s.clock.advanced.Load()) }

// pacific is Meta's time zone in "Session has expired on …" messages (§1.5).
var pacific = func() *time.Location {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		return time.UTC
	}
	return loc
}()

// metaTime formats t like Meta's token errors: "Sunday, 31-May-20 10:12:48 PDT".
func metaTime(t time.Time) string {
	return t.In(pacific).Format("Monday, 02-Jan-06 15:04:05 MST")
}
