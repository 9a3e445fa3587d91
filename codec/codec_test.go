package codec

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

func mustCodec(t *testing.T, spec string) *Encryption {
	t.Helper()
	keys, err := ParseKeys(spec)
	require.NoError(t, err)
	e, err := New(keys)
	require.NoError(t, err)
	return e
}

func TestRoundTripHidesThePlaintext(t *testing.T) {
	e := mustCodec(t, NewKey("k1"))
	dc := DataConverter(e)
	p, err := dc.ToPayload(map[string]string{"holder": "홍길동", "account": "110123456789"})
	require.NoError(t, err)
	require.Equal(t, MetadataEncoding, string(p.Metadata[converter.MetadataEncoding]))
	require.NotContains(t, string(p.Data), "110123456789")
	require.NotContains(t, string(p.Data), "홍길동")

	var back map[string]string
	require.NoError(t, dc.FromPayload(p, &back))
	require.Equal(t, "110123456789", back["account"])
}

func TestRotationDecryptsOldKeysAndEncryptsWithTheNew(t *testing.T) {
	old := NewKey("k1")
	p, err := DataConverter(mustCodec(t, old)).ToPayload("secret")
	require.NoError(t, err)

	rotated := mustCodec(t, NewKey("k2")+","+old)
	var s string
	require.NoError(t, DataConverter(rotated).FromPayload(p, &s))
	require.Equal(t, "secret", s)
	p2, err := DataConverter(rotated).ToPayload("x")
	require.NoError(t, err)
	require.Equal(t, "k2", string(p2.Metadata[metadataKeyID]))

	_, err = mustCodec(t, NewKey("k3")).Decode([]*commonpb.Payload{p})
	require.ErrorContains(t, err, `unknown key id "k1"`)
}

func TestTamperingIsDetected(t *testing.T) {
	e := mustCodec(t, NewKey("k1"))
	out, err := e.Encode([]*commonpb.Payload{{Data: []byte(`"x"`)}})
	require.NoError(t, err)
	out[0].Data[len(out[0].Data)-1] ^= 1
	_, err = e.Decode(out)
	require.Error(t, err)
}

func TestPlainPayloadsPassThrough(t *testing.T) {
	e := mustCodec(t, NewKey("k1"))
	plain := &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte("json/plain")}, Data: []byte(`1`)}
	out, err := e.Decode([]*commonpb.Payload{plain})
	require.NoError(t, err)
	require.Same(t, plain, out[0])
}

func TestParseKeysRejectsBadSpecsWithoutEchoingSecrets(t *testing.T) {
	for _, spec := range []string{"", "nokey", "k1:notbase64!", "k1:c2hvcnQ="} {
		_, err := ParseKeys(spec)
		require.Error(t, err, spec)
		if _, secret, ok := strings.Cut(spec, ":"); ok && secret != "" {
			require.NotContains(t, err.Error(), secret)
		}
	}
}

func TestServerDecodesForTheUI(t *testing.T) {
	e := mustCodec(t, NewKey("k1"))
	enc, err := e.Encode([]*commonpb.Payload{{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"hello"`)}})
	require.NoError(t, err)
	srv := httptest.NewServer(Server(e, []string{"http://localhost:8233"}))
	defer srv.Close()

	body, err := json.Marshal(map[string]any{"payloads": []map[string]any{{
		"metadata": map[string]string{"encoding": "YmluYXJ5L2VuY3J5cHRlZA==", "encryption-key-id": "azE="},
		"data":     enc[0].Data,
	}}})
	require.NoError(t, err)
	req, _ := http.NewRequest("POST", srv.URL+"/decode", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "http://localhost:8233")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, 200, res.StatusCode)
	require.Equal(t, "http://localhost:8233", res.Header.Get("Access-Control-Allow-Origin"))
	var got struct {
		Payloads []struct{ Data []byte } `json:"payloads"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&got))
	require.Equal(t, `"hello"`, string(got.Payloads[0].Data))
}
