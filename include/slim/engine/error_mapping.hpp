#pragma once
// Turning engine answers and transport failures into one-line messages (pure).

#include "slim/engine/client.hpp"

#include <string>
#include <string_view>

namespace slim::engine {

/// The message for an HTTP error answer: the JSON body's `message`, else the body's first line
/// (trimmed, at most 300 characters), else "HTTP <status> <reason>".
std::string engine_error_message(int status, std::string_view body);
/// Throws EngineError(status, engine_error_message(...)) when status >= 400.
void throw_if_http_error(int status, std::string_view body);
/// "cannot reach the Docker engine at `ADDR`: REASON (is dockerd running? set DOCKER_HOST or
/// --host)", with a TLS hint instead when the failure was in the TLS handshake.
std::string unreachable_message(const Endpoint& endpoint, std::string_view reason,
                                bool tls_failure);
/// The reason phrase of an HTTP status ("Not Found"), or "" when unknown.
std::string_view http_reason(int status);
/// Percent-encodes everything except unreserved characters and those in `keep`.
std::string percent_encode(std::string_view s, std::string_view keep = {});

} // namespace slim::engine
