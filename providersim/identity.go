package providersim

import (
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"
)

const (
	identityCodeTTL     = 180 * time.Second
	identityMaxAttempts = 5
)

type idvRequest struct {
	id        string
	name      string
	phone     string
	birthDate string
	code      string
	expiresAt time.Time
	attempts  int // wrong codes so far
	confirmed bool
}

type codeRequest struct {
	Name      string `json:"name"`
	Phone     string `json:"phone"`      // digits only, 01XXXXXXXXX
	BirthDate string `json:"birth_date"` // YYYYMMDD
}

type codeResponse struct {
	RequestID string `json:"request_id"`
	ExpiresIn int    `json:"expires_in"` // seconds
}

type confirmRequest struct {
	Code string `json:"code"`
}

type confirmResponse struct {
	CI string `json:"ci"`
	DI string `json:"di"`
}

type identityStatusJSON struct {
	RequestID string    `json:"request_id"`
	Status    string    `json:"status"` // pending | confirmed | expired | locked
	ExpiresAt time.Time `json:"expires_at"`
}

func (q *idvRequest) status(now time.Time) string {
	switch {
	case q.confirmed:
		return "confirmed"
	case q.attempts >= identityMaxAttempts:
		return "locked"
	case now.After(q.expiresAt):
		return "expired"
	default:
		return "pending"
	}
}

// PersonIDs is the CI and DI the sandbox answers for a person, so tests can
// check they are stored nowhere in clear.
func PersonIDs(name, birthDate, phone string) (ci, di string) {
	return personIDs(name, birthDate, phone)
}

// personIDs derives CI (88 base64 characters, like a real CI) and DI (64) from the
// person, so the same person always gets the same CI.
func personIDs(name, birthDate, phone string) (ci, di string) {
	who := name + "|" + birthDate + "|" + phone
	c := sha512.Sum512([]byte("paysaga-sandbox-ci|" + who))
	d := sha512.Sum384([]byte("paysaga-sandbox-di|" + who))
	return base64.StdEncoding.EncodeToString(c[:]), base64.StdEncoding.EncodeToString(d[:])
}

// requestCode "sends" a 6-digit code to the phone. The code is readable only
// through GET /admin/identity/requests/{id}/code.
func (s *Server) requestCode(r *http.Request) reply {
	key, rep, ok := idempotencyKey(r)
	if !ok {
		return rep
	}
	var req codeRequest
	if rep, ok := decode(r, &req); !ok {
		return rep
	}
	req.Name = strings.TrimSpace(req.Name)
	if rep, ok := validPerson(req, s.now()); !ok {
		return rep
	}
	fp := fingerprint(OpRequestCode, r, req)
	s.mu.Lock()
	defer s.mu.Unlock()
	if rep, ok := s.replay(ProviderIdentity, key, fp); ok {
		return rep
	}
	q := &idvRequest{id: newID("idv_"), name: req.Name, phone: req.Phone, birthDate: req.BirthDate,
		code: randomDigits(6), expiresAt: s.now().Add(identityCodeTTL)}
	s.idvs[q.id] = q
	s.record(Record{Provider: ProviderIdentity, Kind: KindRequestCode, IdempotencyKey: key, PaymentKey: q.id})
	rep = jsonReply(http.StatusOK, codeResponse{RequestID: q.id, ExpiresIn: int(identityCodeTTL / time.Second)})
	s.remember(ProviderIdentity, key, OpRequestCode, fp, rep, q.id)
	return rep
}

func validPerson(req codeRequest, now time.Time) (reply, bool) {
	if req.Name == "" || len(req.Name) > 100 {
		return errReply(http.StatusBadRequest, "INVALID_NAME", "name is required (at most 100 bytes)"), false
	}
	if len(req.Phone) < 10 || len(req.Phone) > 11 || !allDigits(req.Phone) || !strings.HasPrefix(req.Phone, "01") {
		return errReply(http.StatusBadRequest, "INVALID_PHONE", "phone must be a mobile number of 10 or 11 digits, 01XXXXXXXXX"), false
	}
	birth, err := time.Parse("20060102", req.BirthDate)
	if err != nil || birth.After(now) || birth.Year() < 1900 {
		return errReply(http.StatusBadRequest, "INVALID_BIRTH_DATE", "birth_date must be a past date, YYYYMMDD"), false
	}
	return reply{}, true
}

// confirm checks a code. Declines (422): WRONG_CODE, CODE_EXPIRED, TOO_MANY_ATTEMPTS.
// Confirming an already confirmed request with its code answers the same CI/DI.
func (s *Server) confirm(r *http.Request) reply {
	var req confirmRequest
	if rep, ok := decode(r, &req); !ok {
		return rep
	}
	if req.Code == "" {
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "code is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.idvs[r.PathValue("id")]
	if !ok {
		return errReply(http.StatusNotFound, "REQUEST_NOT_FOUND", "no such verification request")
	}
	switch q.status(s.now()) {
	case "confirmed":
		if req.Code == q.code {
			ci, di := personIDs(q.name, q.birthDate, q.phone)
			return jsonReply(http.StatusOK, confirmResponse{CI: ci, DI: di})
		}
		return errReply(http.StatusUnprocessableEntity, "WRONG_CODE", "the code does not match")
	case "locked":
		return errReply(http.StatusUnprocessableEntity, "TOO_MANY_ATTEMPTS", "too many wrong codes; request a new code")
	case "expired":
		return errReply(http.StatusUnprocessableEntity, "CODE_EXPIRED", "the code has expired; request a new code")
	}
	if req.Code != q.code {
		q.attempts++
		return errReply(http.StatusUnprocessableEntity, "WRONG_CODE",
			fmt.Sprintf("the code does not match; %d attempts left", identityMaxAttempts-q.attempts))
	}
	q.confirmed = true
	ci, di := personIDs(q.name, q.birthDate, q.phone)
	return jsonReply(http.StatusOK, confirmResponse{CI: ci, DI: di})
}

func (s *Server) getIdentityRequest(r *http.Request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.idvs[r.PathValue("id")]
	if !ok {
		return errReply(http.StatusNotFound, "REQUEST_NOT_FOUND", "no such verification request")
	}
	return jsonReply(http.StatusOK, identityStatusJSON{RequestID: q.id, Status: q.status(s.now()), ExpiresAt: q.expiresAt})
}
