package providersim

import (
	"sync"
	"time"
)

// SetHangFor shortens how long a CardTimeout authorization hangs. Call it before
// the server takes requests.
func SetHangFor(s *Server, d time.Duration) { s.hangFor = d }

// Clock is a settable clock for tests of expiry.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// UseClock makes s read the time from c. Call it before the server takes requests.
func UseClock(s *Server, c *Clock) {
	c.mu.Lock()
	if c.t.IsZero() {
		c.t = time.Now()
	}
	c.mu.Unlock()
	s.now = c.Now
}
