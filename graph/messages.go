package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// Endpoint names of the account calls, as *Error and *TransportError report
// them.
const (
	endpointMessages        = "messages"
	endpointMedia           = "media"
	endpointMediaPublish    = "media_publish"
	endpointPublishingLimit = "content_publishing_limit"
	endpointContainer       = "container"
	endpointUpload          = "rupload"
)

// subcodeOutsideWindow is code 10's subcode for a message sent outside the
// 24-hour messaging window (§6).
const subcodeOutsideWindow = 2534022

// SentMessage is the Send API's answer (§6).
type SentMessage struct {
	RecipientID string // the recipient's IGSID
	MessageID   string
}

// SendMessage sends text to the user with the Instagram-scoped id
// recipientIGSID from the account igUserID ("" means "me"), with POST
// {GraphURL}/{Version}/{igUserID}/messages (§6).
//
// SendMessage never retries: after a *TransportError the message may or
// may not have been delivered. Outside the 24-hour window it returns an
// *Error for which IsOutsideWindow is true, and NeedsReconnect false.
func (c *Client) SendMessage(ctx context.Context, token, igUserID, recipientIGSID, text string) (*SentMessage, error) {
	var body struct {
		Recipient struct {
			ID string `json:"id"`
		} `json:"recipient"`
		Message struct {
			Text string `json:"text"`
		} `json:"message"`
	}
	body.Recipient.ID, body.Message.Text = recipientIGSID, text
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.nodeURL(igUserID, "messages"), bytes.NewReader(b))
	if err != nil {
		return nil, requestError(endpointMessages, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	var resp struct {
		RecipientID jsonID `json:"recipient_id"`
		MessageID   string `json:"message_id"`
	}
	if err := c.send(req, endpointMessages, []string{token}, &resp); err != nil {
		return nil, err
	}
	if resp.MessageID == "" {
		return nil, malformed(endpointMessages, "no message_id")
	}
	return &SentMessage{RecipientID: string(resp.RecipientID), MessageID: resp.MessageID}, nil
}

// IsOutsideWindow reports whether err is Instagram refusing a message sent
// outside the 24-hour messaging window: code 10, subcode 2534022 (§6). It
// is not a token problem, and retrying does not help until the user writes.
func IsOutsideWindow(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == 10 && e.Subcode == subcodeOutsideWindow
}

// nodeURL is {GraphURL}/{Version}/{node}[/{edge}]; an empty node is "me".
func (c *Client) nodeURL(node, edge string) string {
	if node == "" {
		node = "me"
	}
	u := c.graphURL() + c.versionPath() + "/" + url.PathEscape(node)
	if edge != "" {
		u += "/" + edge
	}
	return u
}

// postBearer posts form, URL-encoded, to rawURL with token as a Bearer
// header and decodes the JSON answer into v.
func (c *Client) postBearer(ctx context.Context, endpoint, rawURL string, form url.Values, token string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	if err != nil {
		return requestError(endpoint, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+token)
	return c.send(req, endpoint, secretsOf(form, token), v)
}
