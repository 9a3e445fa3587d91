package netguard

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestInternal(t *testing.T) {
	for addr, internal := range map[string]bool{
		"127.0.0.1": true, "10.1.2.3": true, "172.16.0.1": true, "192.168.1.1": true,
		"169.254.169.254": true, "100.64.0.1": true, "0.0.0.0": true, "::1": true, "fd00::1": true,
		"::ffff:127.0.0.1": true, "fe80::1": true,
		"8.8.8.8": false, "1.1.1.1": false, "2606:4700:4700::1111": false,
	} {
		require.Equal(t, internal, Internal(netip.MustParseAddr(addr)), addr)
	}
}

func TestDialRefusesInternalUnlessAllowed(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	ctx := context.Background()
	_, err = DialContext(time.Second, false)(ctx, "tcp", l.Addr().String())
	require.ErrorContains(t, err, "not a public address")
	_, err = DialContext(time.Second, false)(ctx, "tcp", "localhost:"+portOf(l))
	require.ErrorContains(t, err, "not a public address", "a name is checked after it resolves")

	c, err := DialContext(time.Second, true)(ctx, "tcp", l.Addr().String())
	require.NoError(t, err)
	c.Close()
}

func portOf(l net.Listener) string {
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}
