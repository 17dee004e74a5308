package osemu

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Error codes, exactly as AWS spells them in the x-amzn-ErrorType header.
const (
	CodeValidation            = "ValidationException"
	CodeBase                  = "BaseException"
	CodeAccessDenied          = "AccessDeniedException"
	CodeInternal              = "InternalException"
	CodeResourceNotFound      = "ResourceNotFoundException"
	CodeResourceAlreadyExists = "ResourceAlreadyExistsException"
	CodeConflict              = "ConflictException"
	CodeLimitExceeded         = "LimitExceededException"
	CodeInvalidType           = "InvalidTypeException"
	CodeDisabledOperation     = "DisabledOperationException"
	CodeDependencyFailure     = "DependencyFailureException"
	CodeThrottling            = "ThrottlingException"
	CodeInvalidPaginationTok  = "InvalidPaginationTokenException"
	CodeUnknownOperation      = "UnknownOperationException"
	CodeServiceUnavailable    = "ServiceUnavailableException"
	CodeServiceQuotaExceeded  = "ServiceQuotaExceededException"
	CodeSlotNotAvailable      = "SlotNotAvailableException"

	// Codes of the SigV4 front door, common to every AWS service.
	CodeIncompleteSignature = "IncompleteSignatureException"
	CodeInvalidSignature    = "InvalidSignatureException"
)

// statusByCode maps each error code to its HTTP status, as the service model
// declares it. Note that ResourceNotFoundException is a 409, not a 404.
var statusByCode = map[string]int{
	CodeValidation:            http.StatusBadRequest,
	CodeBase:                  http.StatusBadRequest,
	CodeInvalidPaginationTok:  http.StatusBadRequest,
	CodeAccessDenied:          http.StatusForbidden,
	CodeResourceNotFound:      http.StatusConflict,
	CodeResourceAlreadyExists: http.StatusConflict,
	CodeConflict:              http.StatusConflict,
	CodeLimitExceeded:         http.StatusConflict,
	CodeInvalidType:           http.StatusConflict,
	CodeDisabledOperation:     http.StatusConflict,
	CodeDependencyFailure:     http.StatusFailedDependency,
	CodeThrottling:            http.StatusTooManyRequests,
	CodeInternal:              http.StatusInternalServerError,
	CodeServiceUnavailable:    http.StatusServiceUnavailable,
	CodeUnknownOperation:      http.StatusNotFound,
	CodeServiceQuotaExceeded:  http.StatusPaymentRequired,
	CodeSlotNotAvailable:      http.StatusConflict,
	CodeIncompleteSignature:   http.StatusForbidden,
	CodeInvalidSignature:      http.StatusForbidden,
}

// Error is an error that the API returns to the client as is: an AWS error
// code and a human-readable message.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Status returns the HTTP status that goes with the error code.
func (e *Error) Status() int { return StatusOf(e.Code) }

// StatusOf returns the HTTP status of an error code; unknown codes are 400s,
// the status AWS gives an exception the model leaves without one.
func StatusOf(code string) int {
	if s, ok := statusByCode[code]; ok {
		return s
	}
	return http.StatusBadRequest
}

// Errorf returns an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the AWS code of err if it is an *Error, and
// InternalException otherwise.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// Sentinel errors returned by stores. The service translates them into the
// AWS error that fits the operation.
var (
	// ErrNotFound means the row does not exist.
	ErrNotFound = errors.New("not found")

	// ErrExists means a row with the same unique key already exists.
	ErrExists = errors.New("already exists")

	// ErrUnavailable means the store cannot be reached; the request may be
	// retried.
	ErrUnavailable = errors.New("store unavailable")

	// ErrLeaseLost means a worker tried to finish a step whose lease another
	// worker has taken over.
	ErrLeaseLost = errors.New("step lease lost")
)

// ValidationError returns the ValidationException that AWS answers for
// constraint failures, each a sentence like "Value 'x' at 'domainName' failed
// to satisfy constraint: Member must ...": "1 validation error detected: a",
// or "2 validation errors detected: a; b".
func ValidationError(failures ...string) *Error {
	if len(failures) == 1 {
		return &Error{Code: CodeValidation, Message: "1 validation error detected: " + failures[0]}
	}
	return &Error{Code: CodeValidation, Message: fmt.Sprintf("%d validation errors detected: %s",
		len(failures), strings.Join(failures, "; "))}
}
