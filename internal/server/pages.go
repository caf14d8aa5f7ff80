package server

import (
	"bytes"
	"html/template"
	"net/http"
)

// page is what the service's few HTML pages show. It never holds a token.
type page struct {
	Title   string
	Message string
	Details []string
	Error   bool
	// Again offers a link back to /connect.
	Again bool
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.Title}} · igtoken</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}.error h1{color:#a40000}.ok h1{color:#0a6a2a}li{margin:.3rem 0}
</style>
</head>
<body class="{{if .Error}}error{{else}}ok{{end}}">
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
{{with .Details}}<ul>{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Again}}<p><a href="/connect">Connect an Instagram account</a></p>{{end}}
</body>
</html>
`))

// renderPage writes p with status.
func (s *Server) renderPage(w http.ResponseWriter, status int, p page) {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		s.log.Error("render page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
