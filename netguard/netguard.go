// Package netguard keeps paysaga's outbound calls to app-supplied URLs (event
// delivery to registered webhook endpoints) away from internal addresses, so an
// API key cannot make paysaga reach its own database, metadata services or
// anything else on the private network (SSRF). The check runs on the address
// actually dialled, after DNS resolution, so a name that resolves (or later
// re-resolves) to a private address is refused too.
package netguard

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// cgnat is the shared address space (RFC 6598), internal like the private ranges.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// Internal reports whether ip is not a public unicast address.
func Internal(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || cgnat.Contains(ip)
}

// DialContext is a dialer for http.Transport that refuses internal addresses
// unless allowInternal (development and tests, whose receivers are on loopback).
func DialContext(timeout time.Duration, allowInternal bool) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout}
	if !allowInternal {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("netguard: %q: %w", address, err)
			}
			if Internal(ap.Addr()) {
				return fmt.Errorf("netguard: %s is not a public address", ap.Addr())
			}
			return nil
		}
	}
	return d.DialContext
}
