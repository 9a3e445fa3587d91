package config

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// parseDunning reads "24h,72h,168h": at most 10 retry offsets after the first
// attempt, strictly increasing, each at least a minute and at most 60 days.
func parseDunning(v string) ([]time.Duration, error) {
	parts := strings.Split(v, ",")
	if len(parts) > 10 {
		return nil, errors.New("at most 10 retries")
	}
	out := make([]time.Duration, 0, len(parts))
	for _, p := range parts {
		d, err := time.ParseDuration(strings.TrimSpace(p))
		if err != nil {
			return nil, err
		}
		if d < time.Minute || d > 60*24*time.Hour || (len(out) > 0 && d <= out[len(out)-1]) {
			return nil, fmt.Errorf("%q: offsets must increase, each within 1m..1440h", p)
		}
		out = append(out, d)
	}
	return out, nil
}
