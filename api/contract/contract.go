// Package contract holds paysaga's HTTP API to its OpenAPI document: a Checker
// validates each request a test sends and each response it gets (status,
// headers, content type, body, and the problem code) against api/openapi.yaml
// and records which operations were exercised. The api and e2e test harnesses
// use it, so a handler that answers something the document does not describe
// fails the test that exercised it.
package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// problemCodesKey is the extension that lists, per status, the problem codes an
// operation answers; at the document's top level it lists the codes any
// operation may answer. "*" admits any code (codes a provider or workflow names).
const problemCodesKey = "x-problem-codes"

const problemJSON = "application/problem+json"

// Checker validates exchanges against one OpenAPI document. It is safe for
// concurrent use.
type Checker struct {
	doc    *openapi3.T
	router routers.Router
	common map[string][]string // status -> codes any operation may answer
	ops    map[string]*openapi3.Operation

	mu  sync.Mutex
	hit map[string]int // operationId -> validated exchanges
}

// New loads and validates the document.
func New(spec []byte) (*Checker, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("load openapi document: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi document is invalid: %w", err)
	}
	// Match paths only: tests talk to httptest servers, not the documented host.
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route openapi document: %w", err)
	}
	c := &Checker{doc: doc, router: router, ops: map[string]*openapi3.Operation{}, hit: map[string]int{}}
	if c.common, err = problemCodes(doc.Extensions); err != nil {
		return nil, fmt.Errorf("document %s: %w", problemCodesKey, err)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				return nil, fmt.Errorf("%s %s has no operationId", method, path)
			}
			if _, err := problemCodes(op.Extensions); err != nil {
				return nil, fmt.Errorf("%s %s %s: %w", method, path, problemCodesKey, err)
			}
			c.ops[op.OperationID] = op
		}
	}
	return c, nil
}

// MustNew is New for test harnesses, where a broken document ends the run.
func MustNew(spec []byte) *Checker {
	c, err := New(spec)
	if err != nil {
		panic(err)
	}
	return c
}

// Check validates one exchange: req as sent (its body in reqBody; req.Body is
// not read) and the answer. A request the document rejects must be answered
// with a documented 4xx (tests send bad input on purpose); one it admits must
// get a documented answer. It returns nil when the exchange conforms.
func (c *Checker) Check(req *http.Request, reqBody []byte, status int, header http.Header, respBody []byte) error {
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	r.ContentLength = int64(len(reqBody))
	if r.URL.Host == "" && r.Host != "" {
		u := *r.URL
		u.Host = r.Host
		r.URL = &u
	}
	where := req.Method + " " + req.URL.Path
	route, params, err := c.router.FindRoute(r)
	if err != nil {
		// A test of an unknown route or method: only the router's problem is right.
		if (status == http.StatusNotFound || status == http.StatusMethodNotAllowed) && isProblem(header) {
			return nil
		}
		return fmt.Errorf("%s: the document has no such operation (answered %d): %w", where, status, err)
	}
	op := route.Operation
	where += " (" + op.OperationID + ")"
	in := &openapi3filter.RequestValidationInput{
		Request: r, PathParams: params, Route: route,
		Options: options(&openapi3filter.Options{MultiError: true, AuthenticationFunc: bearerPresent}),
	}
	reqErr := openapi3filter.ValidateRequest(r.Context(), in)
	res := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: header,
		Body:    io.NopCloser(bytes.NewReader(respBody)),
		Options: options(&openapi3filter.Options{MultiError: true, IncludeResponseStatus: true}),
	}
	if err := openapi3filter.ValidateResponse(r.Context(), res); err != nil {
		return fmt.Errorf("%s: the answer %d does not match the document: %w\nbody: %s", where, status, err, clip(respBody))
	}
	if reqErr != nil && status < 400 {
		return fmt.Errorf("%s: answered %d to a request the document rejects: %w", where, status, reqErr)
	}
	if isProblem(header) {
		if err := c.checkCode(op, status, respBody); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
	}
	c.mu.Lock()
	c.hit[op.OperationID]++
	c.mu.Unlock()
	return nil
}

// options makes schema errors one line each (where and why), not a dump of the
// schema and the value: the body is printed once beside them.
func options(o *openapi3filter.Options) *openapi3filter.Options {
	o.WithCustomSchemaErrorFunc(func(err *openapi3.SchemaError) string {
		return fmt.Sprintf("at /%s: %s", strings.Join(err.JSONPointer(), "/"), err.Reason)
	})
	return o
}

// checkCode: a problem's code is one the operation lists for its status, or one
// any operation may answer.
func (c *Checker) checkCode(op *openapi3.Operation, status int, body []byte) error {
	var p struct {
		Code string `json:"code"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return fmt.Errorf("problem body: %w", err)
	}
	own, _ := problemCodes(op.Extensions)
	key := strconv.Itoa(status)
	allowed := append(slices.Clone(c.common[key]), own[key]...)
	if slices.Contains(allowed, p.Code) || slices.Contains(own[key], "*") {
		return nil
	}
	return fmt.Errorf("problem code %q with status %d is not in %s (%v)", p.Code, status, problemCodesKey, allowed)
}

// Transport wraps next (nil: http.DefaultTransport) so that every exchange
// through it is checked; report receives each mismatch (e.g. t.Errorf).
func (c *Checker) Transport(next http.RoundTripper, report func(error)) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		var reqBody []byte
		if req.Body != nil {
			b, err := io.ReadAll(req.Body)
			_ = req.Body.Close()
			if err != nil {
				return nil, fmt.Errorf("read request body: %w", err)
			}
			reqBody = b
			req.Body = io.NopCloser(bytes.NewReader(b))
		}
		res, err := next.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		respBody, err := io.ReadAll(res.Body)
		_ = res.Body.Close()
		res.Body = io.NopCloser(bytes.NewReader(respBody))
		if err != nil {
			return res, nil // the caller sees the short body; nothing to check
		}
		if cerr := c.Check(req, reqBody, res.StatusCode, res.Header, respBody); cerr != nil {
			report(cerr)
		}
		return res, nil
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Coverage is which operations at least one checked exchange exercised.
type Coverage struct {
	Covered []string `json:"covered"`
	Missing []string `json:"missing"`
}

// Share is the covered fraction, 0..1.
func (cv Coverage) Share() float64 {
	n := len(cv.Covered) + len(cv.Missing)
	if n == 0 {
		return 1
	}
	return float64(len(cv.Covered)) / float64(n)
}

func (cv Coverage) String() string {
	s := fmt.Sprintf("openapi operations exercised by a validated exchange: %d/%d (%.0f%%)",
		len(cv.Covered), len(cv.Covered)+len(cv.Missing), 100*cv.Share())
	if len(cv.Missing) > 0 {
		s += "; not exercised: " + strings.Join(cv.Missing, ", ")
	}
	return s
}

// Coverage reports the operations exercised so far.
func (c *Checker) Coverage() Coverage {
	c.mu.Lock()
	defer c.mu.Unlock()
	cv := Coverage{Covered: []string{}, Missing: []string{}}
	for id := range c.ops {
		if c.hit[id] > 0 {
			cv.Covered = append(cv.Covered, id)
		} else {
			cv.Missing = append(cv.Missing, id)
		}
	}
	sort.Strings(cv.Covered)
	sort.Strings(cv.Missing)
	return cv
}

// problemCodes reads an x-problem-codes extension: {"404": [code, ...], ...}.
func problemCodes(ext map[string]any) (map[string][]string, error) {
	raw, ok := ext[problemCodesKey]
	if !ok {
		return map[string][]string{}, nil
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, err
	}
	var out map[string][]string
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("want {status: [code, ...]}: %w", err)
	}
	return out, nil
}

// bearerPresent admits a request that carries a bearer token. Whether the key
// is valid is the server's to say (401); a missing one makes the request one
// the document rejects, so it must be answered with a 4xx.
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	scheme, token, ok := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return errors.New("no bearer token")
	}
	return nil
}

func isProblem(h http.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && mt == problemJSON
}

func clip(b []byte) string {
	const max = 2000
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}

// Report writes the coverage line to w and, when PAYSAGA_OPENAPI_COVERAGE names
// a folder, the covered operations to {folder}/{name}.txt (one a line, for
// scripts/gotest.sh to join across packages).
func Report(w io.Writer, name string, cv Coverage) error {
	fmt.Fprintf(w, "%s: %s\n", name, cv)
	dir := os.Getenv("PAYSAGA_OPENAPI_COVERAGE")
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("coverage folder: %w", err)
	}
	var b strings.Builder
	for _, id := range cv.Covered {
		b.WriteString(id + "\n")
	}
	return os.WriteFile(filepath.Join(dir, name+".txt"), []byte(b.String()), 0o644)
}

// Operations lists every operationId in the document, sorted.
func (c *Checker) Operations() []string {
	out := make([]string, 0, len(c.ops))
	for id := range c.ops {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// Routes lists every operation as "METHOD /path/{param}", sorted, to compare
// with the routes a server registers.
func (c *Checker) Routes() []string {
	var out []string
	for path, item := range c.doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, method+" "+path)
		}
	}
	sort.Strings(out)
	return out
}

// Handler serves next and checks every exchange it serves, whoever the caller
// (a test's client, or a provider sandbox delivering webhooks); report receives
// each mismatch.
func (c *Checker) Handler(next http.Handler, report func(error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var reqBody []byte
		if r.Body != nil {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, "read body", http.StatusBadRequest)
				return
			}
			reqBody = b
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		orig := r.Clone(r.Context())
		tw := &teeWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(tw, r)
		if err := c.Check(orig, reqBody, tw.status, w.Header(), tw.body.Bytes()); err != nil {
			report(err)
		}
	})
}

// teeWriter keeps a copy of the status and body it writes through.
type teeWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func (t *teeWriter) WriteHeader(code int) {
	if !t.wroteHeader {
		t.status, t.wroteHeader = code, true
	}
	t.ResponseWriter.WriteHeader(code)
}

func (t *teeWriter) Write(b []byte) (int, error) {
	t.wroteHeader = true
	t.body.Write(b)
	return t.ResponseWriter.Write(b)
}

// Flush lets a handler that streams keep doing so.
func (t *teeWriter) Flush() {
	if f, ok := t.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (t *teeWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
