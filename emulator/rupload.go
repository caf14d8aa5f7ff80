package emulator

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// Resumable upload (§5.2): POST /rupload/ig-api/{ver}/{container-id} (or
// Meta's own /ig-api-upload/{ver}/{container-id}, version optional) with
// "Authorization: OAuth <token>" and the headers offset and file_size, the
// body being the bytes from offset on; or the header file_url and no body.
// An upload may come in several requests, each starting where the last
// left off. GET on the same path answers {"offset":n,"file_size":m}: that
// is the emulator's own, undocumented by Meta, so clients can resume after
// a broken upload; a POST at the wrong offset also names the right one.

// uploadChunk is how much of an upload body is read at a time.
const uploadChunk = 32 << 10

// uploadResponse is rupload's success answer (§5.2).
type uploadResponse struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
}

// uploadOffset is the emulator-only answer to GET on an upload path.
type uploadOffset struct {
	Offset   int64 `json:"offset"`
	FileSize int64 `json:"file_size"`
}

// FailNextUpload makes the next upload request keep the first n bytes of
// its body, then drop the connection without an answer, as a network
// failure midway does (§5.2). The client can then ask for the offset and
// resume. n ≤ 0 drops the request before any byte is read. It is
// FailNext(EndpointRupload, 1, Fault{DropAfterBytes: n}).
func (s *Server) FailNextUpload(n int64) {
	if n <= 0 {
		s.FailNext(EndpointRupload, 1, Fault{Drop: true})
		return
	}
	s.FailNext(EndpointRupload, 1, Fault{DropAfterBytes: n})
}

func (s *Server) handleRupload(w http.ResponseWriter, r *http.Request) { s.serveUpload(w, r, -1) }

// serveUpload answers an upload request. With dropAfter ≥ 0 it keeps at
// most dropAfter bytes of the body and then drops the connection.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request, dropAfter int64) {
	if dropAfter >= 0 && r.Method != http.MethodPost {
		drop(w)
		return
	}
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		s.writeUploadError(w, errUnknownPath(r.Method))
		return
	}
	value := requestToken(r, r.URL.Query().Get("access_token"))
	if value == "" {
		s.writeUploadError(w, errNoToken(false))
		return
	}
	u, err := s.tokenOwner(value)
	if err != nil {
		s.writeUploadError(w, err)
		return
	}
	id := r.PathValue("id")
	if r.Method == http.MethodGet {
		off, err := s.uploadOffset(u, id)
		if err != nil {
			s.writeUploadError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, off)
		return
	}
	c, remaining, err := s.startUpload(u, id, r.Header, r.ContentLength)
	if err != nil {
		s.writeUploadError(w, err)
		return
	}
	if c == nil { // file_url: nothing to read
		writeJSON(w, http.StatusOK, uploadResponse{true, "Upload successful."})
		return
	}
	limit := remaining
	if dropAfter >= 0 {
		limit = min(limit, dropAfter)
	}
	readErr := s.receive(c, r.Body, limit)
	overflow := false
	if readErr == nil && dropAfter < 0 {
		var one [1]byte
		n, _ := io.ReadFull(r.Body, one[:])
		overflow = n > 0
	}
	offset, size := s.endUpload(c)
	switch {
	case dropAfter >= 0:
		drop(w)
	case readErr != nil:
		s.writeUploadError(w, errParam(fmt.Sprintf("The upload broke off; it is at offset %d", offset)))
	case overflow:
		s.writeUploadError(w, errParam(fmt.Sprintf(
			"The body goes past file_size %d; the upload is at offset %d", size, offset)))
	default:
		writeJSON(w, http.StatusOK, uploadResponse{true, "Upload successful."})
	}
}

// uploadLocked returns u's container id if it takes uploads. s.mu must be
// held.
func (s *Server) uploadLocked(u User, id string) (*container, *apiError) {
	c := s.containers[id]
	if c == nil || c.owner.Username != u.Username {
		return nil, errNoObject(http.MethodPost, id)
	}
	if !c.resumable {
		return nil, errParam("Media container " + id + " was not created with upload_type=resumable")
	}
	return c, nil
}

func (s *Server) uploadOffset(u User, id string) (*uploadOffset, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.uploadLocked(u, id)
	if err != nil {
		return nil, err
	}
	return &uploadOffset{Offset: c.offset, FileSize: c.fileSize}, nil
}

// startUpload checks an upload's headers against the container and marks
// it as uploading; it returns how many body bytes may follow. For a
// file_url upload it finishes the container at once and returns a nil
// container.
func (s *Server) startUpload(u User, id string, h http.Header, contentLength int64) (*container, int64, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	c, err := s.uploadLocked(u, id)
	if err != nil {
		return nil, 0, err
	}
	switch code, _ := s.statusLocked(c, now); {
	case code == StatusExpired:
		return nil, 0, &apiError{Type: "OAuthException", Code: -2, Subcode: 2207020, Message: "The media has expired",
			UserTitle: "Media expired", UserMsg: "The media container expired. Create a new container."} // §5.5
	case code == StatusPublished || code == StatusError:
		return nil, 0, errParam("Media container " + id + " no longer takes uploads: it is " + code)
	case c.uploading:
		return nil, 0, errParam("Another upload to media container " + id + " is in progress")
	}
	if fileURL := h.Get("file_url"); fileURL != "" {
		if c.offset > 0 || c.complete {
			return nil, 0, errParam("Media container " + id + " already has bytes; file_url must come first")
		}
		c.sourceURL = fileURL
		s.finishLocked(c, now)
		return nil, 0, nil
	}
	offset, perr := strconv.ParseInt(h.Get("offset"), 10, 64)
	if perr != nil || offset < 0 {
		return nil, 0, errParam("The offset header is required and must be a whole number of bytes")
	}
	size := c.fileSize
	if v := h.Get("file_size"); v != "" {
		n, perr := strconv.ParseInt(v, 10, 64)
		switch {
		case perr != nil || n <= 0:
			return nil, 0, errParam("The file_size header must be a positive whole number of bytes")
		case size != 0 && n != size:
			return nil, 0, errParam(fmt.Sprintf("file_size %d differs from the %d this upload started with", n, size))
		}
		size = n
	}
	if size == 0 {
		return nil, 0, errParam("The file_size header is required")
	}
	if offset != c.offset {
		return nil, 0, errParam(fmt.Sprintf("Invalid offset %d: the upload is at offset %d", offset, c.offset))
	}
	remaining := size - c.offset
	if contentLength > remaining {
		return nil, 0, errParam(fmt.Sprintf("The body of %d bytes goes past file_size %d; the upload is at offset %d",
			contentLength, size, c.offset))
	}
	c.fileSize, c.uploading = size, true
	return c, remaining, nil
}

// receive appends at most limit bytes of body to c as they arrive, so that
// what came before a broken connection is kept. It returns the read error
// other than EOF.
func (s *Server) receive(c *container, body io.Reader, limit int64) error {
	buf := make([]byte, min(limit, uploadChunk))
	lr := io.LimitReader(body, limit)
	for {
		n, err := lr.Read(buf)
		if n > 0 {
			s.mu.Lock()
			c.sum.Write(buf[:n])
			c.offset += int64(n)
			s.mu.Unlock()
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// endUpload ends an upload request; with every byte in, processing starts.
// It returns the offset and file_size.
func (s *Server) endUpload(c *container) (offset, size int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.uploading = false
	if c.offset == c.fileSize && !c.complete {
		s.finishLocked(c, s.Now())
	}
	return c.offset, c.fileSize
}

// debugInfoBody is the upload host's own error envelope (§5.2):
// {"debug_info":{"retriable":false,"type":"ProcessingFailedError",
// "message":"{\"success\":false,\"error\":{\"message\":\"…\"}}"}}.
type debugInfoBody struct {
	DebugInfo struct {
		Retriable bool   `json:"retriable"`
		Type      string `json:"type"`
		Message   string `json:"message"` // JSON text
	} `json:"debug_info"`
}

// writeUploadError answers an upload error in the Graph envelope, or in
// the debug_info one if Config.RuploadDebugInfo is set. There, token errors
// read "unauthorized user request", as in Meta's sample (§5.2).
func (s *Server) writeUploadError(w http.ResponseWriter, e *apiError) {
	if !s.cfg.RuploadDebugInfo {
		writeGraphError(w, e)
		return
	}
	msg := e.Message
	if e.Code == 190 || e.Code == 104 {
		msg = "unauthorized user request"
	}
	var inner struct {
		Success bool `json:"success"`
		Error   struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	inner.Error.Message = msg
	text, _ := json.Marshal(inner) // plain struct: cannot fail
	var body debugInfoBody
	body.DebugInfo.Retriable = e.IsTransient
	body.DebugInfo.Type = "ProcessingFailedError"
	body.DebugInfo.Message = string(text)
	status := e.Status
	if status == 0 {
		status = statusFor(e.Code)
	}
	writeJSON(w, status, body)
}
