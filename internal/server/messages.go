package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// maxMessageBytes is Instagram's limit on a text message: 1000 bytes of
// UTF-8 (instagram-api.md §6).
const maxMessageBytes = 1000

// messageRequest is the body of POST /api/v1/accounts/{id}/messages.
type messageRequest struct {
	To   string `json:"to"`   // the recipient's Instagram-scoped id (IGSID)
	Text string `json:"text"` // at most 1000 bytes
}

type messageResponse struct {
	MessageID string `json:"message_id"`
}

// handleSendMessage sends a text message as the account. A stale token is
// recovered once and the message is never sent twice (Manager.SendMessage).
// A recipient outside the 24-hour window answers 422 outside_window: not a
// token problem, the account stays as it is.
func (s *Server) handleSendMessage(w http.ResponseWriter, r *http.Request) {
	var req messageRequest
	if err := decodeJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	req.To = strings.TrimSpace(req.To)
	switch {
	case req.To == "":
		s.writeError(w, r, badRequest(`"to" (the recipient's Instagram-scoped id) is required`))
		return
	case strings.TrimSpace(req.Text) == "":
		s.writeError(w, r, badRequest(`"text" is required`))
		return
	case len(req.Text) > maxMessageBytes:
		s.writeError(w, r, badRequest(`"text" must be at most %d bytes of UTF-8 (got %d)`, maxMessageBytes, len(req.Text)))
		return
	}
	a, err := s.account(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id, err := s.m.SendMessage(r.Context(), a.ID, req.To, req.Text)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("message sent", "account_id", a.ID)
	writeJSON(w, http.StatusOK, messageResponse{MessageID: id})
}

// decodeJSON reads one JSON object from r's body into v, refusing unknown
// fields and trailing data. The body is already bounded by limit.
func decodeJSON(r *http.Request, v any) error {
	if r.Body == nil {
		return badRequest("a JSON body is required")
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("unexpected data after the JSON object")
	}
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tooLarge):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeTooLarge,
			Message: "the request body is larger than the limit"}
	case errors.Is(err, io.EOF):
		return badRequest("a JSON body is required")
	}
	return badRequest("the body is not valid JSON: %v", err)
}
