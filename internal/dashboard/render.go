package dashboard

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
	"time"
)

// pages maps a page name to its template: the layout plus the page's own
// "content" block.
type pages map[string]*template.Template

var pageNames = []string{"login", "accounts", "account", "remove", "error"}

func parsePages() (pages, error) {
	layout, err := template.New("layout.html").ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	p := make(pages, len(pageNames))
	for _, name := range pageNames {
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		p[name] = t
	}
	return p, nil
}

// render writes page name with status. It fills in what every page shows
// (session, CSRF token, flash, sandbox clock) from the request.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, data *page) {
	data.ConnectPath = h.cfg.ConnectPath
	if s, ok := h.session(r); ok {
		data.LoggedIn, data.CSRF = true, s.csrf
		if h.cfg.Sandbox != nil {
			emulated := h.cfg.Sandbox.Now()
			data.Sandbox = &sandboxView{Now: timeOf(&emulated, emulated), RunPass: h.cfg.RunPass != nil}
			if d := time.Until(emulated); d >= time.Minute {
				data.Sandbox.Ahead = span(d.Round(time.Minute))
			}
		}
	}
	if data.Flash == nil && r.Method == http.MethodGet {
		data.Flash = h.takeFlash(w, r)
	}
	var buf bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&buf, "layout.html", data); err != nil {
		h.log.Error("dashboard: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// renderError shows a message with status.
func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	h.render(w, r, status, "error", &page{Title: http.StatusText(status), Status: status, Message: msg})
}

// renderLogin shows the login form with status, an error and where to go
// after logging in.
func (h *Handler) renderLogin(w http.ResponseWriter, r *http.Request, status int, msg, next string) {
	h.render(w, r, status, "login", &page{Title: "Log in", LoginError: msg, Next: next})
}
