package emulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// Messaging (§6): POST /{ig-user-id}/messages and /me/messages.

const (
	maxMessageBytes  = 1000               // text ≤ 1000 bytes of UTF-8 (§6)
	messageWindow    = 24 * time.Hour     // the standard window after the user's last message (§6)
	humanAgentWindow = 7 * 24 * time.Hour // with tag=HUMAN_AGENT (§6)
	tagHumanAgent    = "HUMAN_AGENT"
)

// attachmentTypes are the attachment types the emulator accepts (§6).
var attachmentTypes = []string{"image", "video", "audio", "file"}

// Message is a message an account sent through the emulator.
type Message struct {
	ID        string // message_id: "mid." and random characters
	Recipient string // the recipient's IGSID
	Text      string // "" for an attachment
	// AttachmentType and AttachmentURL describe an attachment, if any:
	// {"attachment":{"type":"image","payload":{"url":"…"}}} (§6).
	AttachmentType, AttachmentURL string
	Tag                           string    // the tag parameter, e.g. HUMAN_AGENT
	At                            time.Time // emulated time it was sent
}

// OpenWindow records that the user with the IGSID igsid messaged the
// account at Now(), which opens the 24-hour window in which the account may
// answer (§6). It creates the account if new. Without it, every message to
// igsid is outside the window.
func (s *Server) OpenWindow(username, igsid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.userLocked(username).windows[igsid] = s.Now()
}

// Messages returns the messages the account has sent, oldest first: each
// delivery once, so tests can check exactly-once sending.
func (s *Server) Messages(username string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[username]; ok {
		return slices.Clone(u.messages)
	}
	return nil
}

// sendResponse is the Send API's answer (§6).
type sendResponse struct {
	RecipientID string `json:"recipient_id"`
	MessageID   string `json:"message_id"`
}

// handleMessages is POST /{ig-user-id}/messages and /me/messages (§6). The
// body is JSON ({"recipient":{"id":…},"message":{"text":…}}) or a form
// whose recipient and message are JSON texts.
func (s *Server) handleMessages(w http.ResponseWriter, r *http.Request) {
	if !wantMethod(w, r, http.MethodPost) {
		return
	}
	f, err := graphParams(w, r)
	if err != nil {
		writeGraphError(w, err)
		return
	}
	u, ok := s.caller(w, r, f, true)
	if !ok {
		return
	}
	m, err := parseMessage(f)
	if err != nil {
		writeGraphError(w, err)
		return
	}
	window := messageWindow
	if m.Tag == tagHumanAgent {
		window = humanAgentWindow
	}
	s.mu.Lock()
	now := s.Now()
	owner := s.users[u.Username]
	opened, ok := owner.windows[m.Recipient]
	if !ok || now.Sub(opened) >= window {
		s.mu.Unlock()
		// Code 10 with this subcode and message (§6); not transient.
		writeGraphError(w, &apiError{Type: "OAuthException", Code: 10, Subcode: 2534022,
			Message: "(#10) This message is sent outside of allowed window."})
		return
	}
	m.ID, m.At = "mid."+randomString(base62, 40), now
	owner.messages = append(owner.messages, m)
	s.mu.Unlock()
	s.log.Info("message sent", logKeyUser, u.Username)
	writeJSON(w, http.StatusOK, sendResponse{RecipientID: m.Recipient, MessageID: m.ID})
}

// parseMessage reads recipient, message and tag (§6).
func parseMessage(f url.Values) (Message, *apiError) {
	var recipient struct {
		ID string `json:"id"`
	}
	if json.Unmarshal([]byte(f.Get("recipient")), &recipient) != nil || recipient.ID == "" {
		return Message{}, errParam("The parameter recipient is required")
	}
	if f.Get("message") == "" {
		return Message{}, errParam("The parameter message is required")
	}
	var body struct {
		Text       string `json:"text"`
		Attachment *struct {
			Type    string `json:"type"`
			Payload struct {
				URL string `json:"url"`
			} `json:"payload"`
		} `json:"attachment"`
	}
	if json.Unmarshal([]byte(f.Get("message")), &body) != nil {
		return Message{}, errParam("Param message must be a JSON object")
	}
	m := Message{Recipient: recipient.ID, Text: body.Text, Tag: f.Get("tag")}
	switch a := body.Attachment; {
	case len(body.Text) > maxMessageBytes:
		return Message{}, errParam("Length of param message[text] must be less than or equal to " + strconv.Itoa(maxMessageBytes))
	case a != nil && body.Text != "":
		return Message{}, errParam("Only one of message[text] and message[attachment] can be set")
	case a != nil:
		if !slices.Contains(attachmentTypes, a.Type) {
			return Message{}, errParam("Param message[attachment][type] must be one of image, video, audio, file")
		}
		if a.Payload.URL == "" {
			return Message{}, errParam("The parameter message[attachment][payload][url] is required")
		}
		m.AttachmentType, m.AttachmentURL = a.Type, a.Payload.URL
	case body.Text == "":
		return Message{}, errParam("Param message must be non-empty")
	}
	return m, nil
}
