package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Op is one kind of request of the mixed load; Weight is its share.
type Op struct {
	Kind   string
	Weight int
	Call   func(ctx context.Context, n int) error
}

// MixedOptions configure a mixed-load run: Total requests over Workers, each
// drawn by weight (deterministically: request n is always the same kind).
type MixedOptions struct {
	Ops     []Op
	Total   int
	Workers int
	Out     io.Writer
}

// Sample is one request of the run.
type Sample struct {
	Kind      string  `json:"kind"`
	StartMS   float64 `json:"start_ms"` // since the run began
	LatencyMS float64 `json:"latency_ms"`
	OK        bool    `json:"ok"`
}

// KindStats sums up one kind.
type KindStats struct {
	Kind       string  `json:"kind"`
	N          int     `json:"n"`
	Errors     int     `json:"errors"`
	P50MS      float64 `json:"p50_ms"`
	P99MS      float64 `json:"p99_ms"`
	Throughput float64 `json:"throughput_per_s"`
}

// MixedReport is the run, per kind and request by request.
type MixedReport struct {
	Started  time.Time   `json:"started"`
	WallMS   float64     `json:"wall_ms"`
	Workers  int         `json:"workers"`
	Stats    []KindStats `json:"stats"`
	Samples  []Sample    `json:"samples"`
	Settings string      `json:"settings"`
}

// RunMixed runs the mixed load and prints its table.
func RunMixed(ctx context.Context, o MixedOptions) MixedReport {
	var weights []int
	total := 0
	for _, op := range o.Ops {
		total += op.Weight
		weights = append(weights, total)
	}
	kindOf := func(n int) Op {
		x := (n * 7919) % total // spread the kinds evenly through the run
		i, _ := slices.BinarySearch(weights, x+1)
		return o.Ops[i]
	}
	samples := make([]Sample, o.Total)
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range next {
				op := kindOf(n)
				t0 := time.Now()
				err := op.Call(ctx, n)
				samples[n] = Sample{Kind: op.Kind, StartMS: msOf(t0.Sub(start)), LatencyMS: msOf(time.Since(t0)), OK: err == nil}
			}
		}()
	}
	for n := range o.Total {
		next <- n
	}
	close(next)
	wg.Wait()
	r := MixedReport{Started: start, WallMS: msOf(time.Since(start)), Workers: o.Workers, Samples: samples}
	r.Stats = summarize(samples, time.Since(start))
	printMixed(o.Out, r)
	return r
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func summarize(samples []Sample, wall time.Duration) []KindStats {
	byKind := map[string][]Sample{}
	for _, s := range samples {
		byKind[s.Kind] = append(byKind[s.Kind], s)
		byKind["all"] = append(byKind["all"], s)
	}
	var out []KindStats
	for kind, ss := range byKind {
		lat := make([]time.Duration, 0, len(ss))
		st := KindStats{Kind: kind, N: len(ss), Throughput: float64(len(ss)) / wall.Seconds()}
		for _, s := range ss {
			lat = append(lat, time.Duration(s.LatencyMS*float64(time.Millisecond)))
			if !s.OK {
				st.Errors++
			}
		}
		slices.Sort(lat)
		st.P50MS, st.P99MS = msOf(percentile(lat, 0.5)), msOf(percentile(lat, 0.99))
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}

func printMixed(w io.Writer, r MixedReport) {
	fmt.Fprintf(w, "%-16s %6s %10s %10s %12s %6s\n", "kind", "n", "p50", "p99", "throughput", "errors")
	for _, s := range r.Stats {
		fmt.Fprintf(w, "%-16s %6d %8.1fms %8.1fms %10.1f/s %6d\n", s.Kind, s.N, s.P50MS, s.P99MS, s.Throughput, s.Errors)
	}
}

// WriteReport writes dir/bench-mixed.json and dir/bench-mixed.html (a page with
// the table and an inline SVG of latency over time, one colour per kind).
func WriteReport(dir string, r MixedReport) (jsonPath, htmlPath string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", "", err
	}
	jsonPath, htmlPath = filepath.Join(dir, "bench-mixed.json"), filepath.Join(dir, "bench-mixed.html")
	if err := os.WriteFile(jsonPath, b, 0o644); err != nil {
		return "", "", err
	}
	var page strings.Builder
	if err := pageTemplate.Execute(&page, plot(r)); err != nil {
		return "", "", err
	}
	return jsonPath, htmlPath, os.WriteFile(htmlPath, []byte(page.String()), 0o644)
}

var colours = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"}

type point struct {
	X, Y   float64
	Colour string
}

type legend struct {
	Kind, Colour string
	Y            int
}

type page struct {
	Report           MixedReport
	Points           []point
	Legend           []legend
	MaxMS, WallS     float64
	Width, Height    int
	YTicks, XTicks   []tick
	PlotW, PlotH     float64
	Left, Top, Right float64
}

type tick struct {
	Pos   float64
	Label string
}

// plot maps every sample to the SVG: x = start time, y = latency (log-free, to the max).
func plot(r MixedReport) page {
	p := page{Report: r, Width: 900, Height: 420, Left: 60, Top: 20, Right: 140}
	p.PlotW, p.PlotH = float64(p.Width)-p.Left-p.Right, float64(p.Height)-p.Top-40
	for _, s := range r.Samples {
		p.MaxMS = max(p.MaxMS, s.LatencyMS)
	}
	p.MaxMS = max(p.MaxMS, 1)
	p.WallS = max(r.WallMS/1000, 0.001)
	colour := map[string]string{}
	for _, st := range r.Stats {
		if st.Kind == "all" {
			continue
		}
		colour[st.Kind] = colours[len(colour)%len(colours)]
		p.Legend = append(p.Legend, legend{Kind: st.Kind, Colour: colour[st.Kind], Y: int(p.Top) + 16*len(p.Legend) + 10})
	}
	for _, s := range r.Samples {
		c := colour[s.Kind]
		if !s.OK {
			c = "#000"
		}
		p.Points = append(p.Points, point{X: p.Left + s.StartMS/1000/p.WallS*p.PlotW, Y: p.Top + p.PlotH - s.LatencyMS/p.MaxMS*p.PlotH, Colour: c})
	}
	for i := range 5 {
		f := float64(i) / 4
		p.YTicks = append(p.YTicks, tick{Pos: p.Top + p.PlotH - f*p.PlotH, Label: fmt.Sprintf("%.0f ms", f*p.MaxMS)})
		p.XTicks = append(p.XTicks, tick{Pos: p.Left + f*p.PlotW, Label: fmt.Sprintf("%.1f s", f*p.WallS)})
	}
	return p
}

var pageTemplate = template.Must(template.New("bench").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>paysaga mixed-load bench</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right;border-bottom:1px solid #ddd}th:first-child,td:first-child{text-align:left}</style>
</head><body>
<h1>paysaga mixed-load bench</h1>
<p>{{.Report.Started.Format "2006-01-02 15:04:05 MST"}}, {{.Report.Workers}} concurrent, {{printf "%.1f" .WallS}} s. {{.Report.Settings}}</p>
<table><tr><th>kind</th><th>n</th><th>p50 ms</th><th>p99 ms</th><th>per s</th><th>errors</th></tr>
{{range .Report.Stats}}<tr><td>{{.Kind}}</td><td>{{.N}}</td><td>{{printf "%.1f" .P50MS}}</td><td>{{printf "%.1f" .P99MS}}</td><td>{{printf "%.1f" .Throughput}}</td><td>{{.Errors}}</td></tr>
{{end}}</table>
<h2>Latency over time</h2>
<svg xmlns="http://www.w3.org/2000/svg" width="{{.Width}}" height="{{.Height}}" role="img" aria-label="latency of each request by its start time">
<rect x="{{.Left}}" y="{{.Top}}" width="{{.PlotW}}" height="{{.PlotH}}" fill="none" stroke="#999"/>
{{range .YTicks}}<text x="{{$.Left}}" dx="-4" y="{{.Pos}}" font-size="10" text-anchor="end">{{.Label}}</text>
{{end}}{{range .XTicks}}<text x="{{.Pos}}" y="{{$.Height}}" dy="-20" font-size="10" text-anchor="middle">{{.Label}}</text>
{{end}}{{range .Points}}<circle cx="{{printf "%.1f" .X}}" cy="{{printf "%.1f" .Y}}" r="1.6" fill="{{.Colour}}" fill-opacity="0.6"/>
{{end}}{{range .Legend}}<circle cx="{{$.Width}}" cy="{{.Y}}" r="4" fill="{{.Colour}}" transform="translate(-130,0)"/><text x="{{$.Width}}" y="{{.Y}}" dx="-120" dy="4" font-size="12">{{.Kind}}</text>
{{end}}</svg>
<p>Each dot is one request: x its start, y its latency; black dots failed.</p>
</body></html>
`))
