package providersim

import (
	"net/http"
	"strings"
	"time"
)

// PortOne V2 identity verification (본인인증, SMS), under /portone/{store}/: the
// merchant assigns the identityVerificationId; send texts a 6-digit OTP
// (readable through GET /admin/identity/requests/{id}/code, like the original
// identity protocol's); confirm checks it. The sandbox's channel refuses a
// wrong, expired or exhausted OTP with PortOne's PgProviderError (502) and the
// pgCodes WRONG_OTP, OTP_EXPIRED, TOO_MANY_ATTEMPTS (a sandbox choice: PortOne
// passes the channel's own codes through, which it does not list). Faults apply
// to provider "identity", ops request_code, confirm, query.

var portoneOperators = map[string]bool{"SKT": true, "KT": true, "LGU": true, "SKT_MVNO": true, "KT_MVNO": true, "LGU_MVNO": true}

func (s *Server) portoneIdentityRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /portone/{name}/identity-verifications/{id}/send", s.portoneIdentityRoute(OpRequestCode, s.portoneSendIdentity))
	mux.HandleFunc("POST /portone/{name}/identity-verifications/{id}/confirm", s.portoneIdentityRoute(OpConfirm, s.portoneConfirmIdentity))
	mux.HandleFunc("GET /portone/{name}/identity-verifications/{id}", s.portoneIdentityRoute(OpQuery, s.portoneGetIdentity))
}

func (s *Server) portoneIdentityRoute(op string, h func(r *http.Request) reply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "PortOne ")
		if !ok || !strings.HasPrefix(secret, PortOneSecretPrefix) {
			writeReply(w, portoneErr(http.StatusUnauthorized, "UnauthorizedError", "인증 정보가 올바르지 않습니다."))
			return
		}
		s.serve(w, r, ProviderIdentity, op, func() reply { return h(r) })
	}
}

type portoneSendIdentityRequest struct {
	StoreID    string `json:"storeId"`
	ChannelKey string `json:"channelKey"`
	Customer   struct {
		ID             string `json:"id"`
		Name           string `json:"name"`
		PhoneNumber    string `json:"phoneNumber"`
		IdentityNumber string `json:"identityNumber"`
		IPAddress      string `json:"ipAddress"`
	} `json:"customer"`
	CustomData string         `json:"customData"`
	Bypass     map[string]any `json:"bypass"`
	Operator   string         `json:"operator"`
	Method     string         `json:"method"`
}

type portoneConfirmIdentityRequest struct {
	StoreID string `json:"storeId"`
	OTP     string `json:"otp"`
}

// birthOf reads YYMMDD and the century digit of a 7-digit identity number.
func birthOf(identityNumber string) (string, bool) {
	if len(identityNumber) != 7 || !allDigits(identityNumber) {
		return "", false
	}
	century := map[byte]string{'1': "19", '2': "19", '5': "19", '6': "19", '3': "20", '4': "20", '7': "20", '8': "20", '9': "18", '0': "18"}[identityNumber[6]]
	date := century + identityNumber[:6]
	if _, err := time.Parse("20060102", date); err != nil {
		return "", false
	}
	return date, true
}

func (s *Server) portoneSendIdentity(r *http.Request) reply {
	var req portoneSendIdentityRequest
	if rep, ok := decodePortone(r, &req); !ok {
		return rep
	}
	birth, ok := birthOf(req.Customer.IdentityNumber)
	person := codeRequest{Name: strings.TrimSpace(req.Customer.Name), Phone: req.Customer.PhoneNumber, BirthDate: birth}
	switch {
	case req.ChannelKey == "" || !portoneOperators[req.Operator] || req.Method != "SMS" || req.Customer.IPAddress == "":
		return portoneErr(http.StatusBadRequest, "InvalidRequestError", "channelKey, operator, method(SMS), customer.ipAddress가 올바르지 않습니다.")
	case !ok:
		return portoneErr(http.StatusBadRequest, "InvalidRequestError", "SMS 본인인증에는 customer.identityNumber(주민등록번호 앞 7자리)가 필요합니다.")
	}
	if _, ok := validPerson(person, s.now()); !ok {
		return portoneErr(http.StatusBadRequest, "InvalidRequestError", "customer.name, phoneNumber가 올바르지 않습니다.")
	}
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	if q, ok := s.idvs[id]; ok {
		if q.confirmed {
			return portoneErr(http.StatusConflict, "IdentityVerificationAlreadyVerifiedError", "이미 인증된 본인인증 건입니다.")
		}
		return portoneErr(http.StatusConflict, "IdentityVerificationAlreadySentError", "이미 요청된 본인인증 건입니다.")
	}
	q := &idvRequest{id: id, name: person.Name, phone: person.Phone, birthDate: birth, code: randomDigits(6), expiresAt: s.now().Add(identityCodeTTL)}
	s.idvs[id] = q
	s.record(Record{Provider: ProviderIdentity, Kind: KindRequestCode, IdempotencyKey: id, PaymentKey: id})
	return jsonReply(http.StatusOK, map[string]any{})
}

func (s *Server) portoneConfirmIdentity(r *http.Request) reply {
	var req portoneConfirmIdentityRequest
	if rep, ok := decodePortone(r, &req); !ok {
		return rep
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.idvs[r.PathValue("id")]
	if !ok {
		return portoneErr(http.StatusNotFound, "IdentityVerificationNotFoundError", "요청된 본인인증 건이 존재하지 않습니다.")
	}
	pgErr := func(code, msg string) reply {
		return jsonReply(http.StatusBadGateway, portoneError{Type: "PgProviderError", Message: "PG사에서 오류를 전달했습니다.", PgCode: code, PgMessage: msg})
	}
	switch q.status(s.now()) {
	case "confirmed":
		return portoneErr(http.StatusConflict, "IdentityVerificationAlreadyVerifiedError", "이미 인증된 본인인증 건입니다.")
	case "locked":
		return pgErr("TOO_MANY_ATTEMPTS", "인증번호 입력 횟수를 초과했습니다.")
	case "expired":
		return pgErr("OTP_EXPIRED", "인증번호 유효시간이 지났습니다.")
	}
	if req.OTP != q.code {
		q.attempts++
		return pgErr("WRONG_OTP", "인증번호가 일치하지 않습니다.")
	}
	q.confirmed = true
	return jsonReply(http.StatusOK, map[string]any{"identityVerification": s.portoneIdentityLocked(q)})
}

func (s *Server) portoneGetIdentity(r *http.Request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.idvs[r.PathValue("id")]
	if !ok {
		return portoneErr(http.StatusNotFound, "IdentityVerificationNotFoundError", "요청된 본인인증 건이 존재하지 않습니다.")
	}
	return jsonReply(http.StatusOK, s.portoneIdentityLocked(q))
}

// portoneIdentityLocked is the verification as PortOne answers it: READY
// (requested customer) or VERIFIED (verified customer, CI and DI).
func (s *Server) portoneIdentityLocked(q *idvRequest) map[string]any {
	now := portoneTime(s.now())
	out := map[string]any{"status": "READY", "id": q.id, "requestedAt": now, "updatedAt": now, "statusChangedAt": now, "version": "V2",
		"requestedCustomer": map[string]any{"name": q.name, "phoneNumber": q.phone}}
	if q.confirmed {
		ci, di := personIDs(q.name, q.birthDate, q.phone)
		birth := q.birthDate[:4] + "-" + q.birthDate[4:6] + "-" + q.birthDate[6:]
		delete(out, "requestedCustomer")
		out["status"], out["verifiedAt"], out["pgTxId"], out["pgRawResponse"] = "VERIFIED", now, q.id+"-pg", "{}"
		out["verifiedCustomer"] = map[string]any{"name": q.name, "phoneNumber": q.phone, "birthDate": birth, "isForeigner": false, "ci": ci, "di": di}
	}
	return out
}
