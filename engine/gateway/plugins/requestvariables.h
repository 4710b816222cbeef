#pragma once

#include <QString>
#include <QStringList>

namespace Gatehouse {

struct ApiRequest;
struct RequestContext;

// APISIX/NGINX-style variables a plugin config may name: remote_addr, remote_port,
// consumer_name, route_id, uri, request_uri, args, request_method, host, and the families
// http_<header> (dashes as underscores), arg_<query parameter> and cookie_<cookie>.
// Stateless; safe from any thread.
namespace RequestVariables {

bool isKnown(QStringView name);
QString knownNames();   // for error messages
// The variable's value for this request; empty when absent or unknown.
QString value(const RequestContext &ctx, QStringView name);

// Replaces $name and ${name} in `text`. $1..$9 (and ${1}..) take the regex captures when
// given (index 0 is the whole match). A lone '$' stays as it is.
QString expand(const QString &text, const RequestContext &ctx, const QStringList &captures = {});
// expand() for a request target ("/path?query"): a variable's value goes in percent-encoded
// (UTF-8) wherever it could change the target's structure -- before the template's first
// literal '?' everything but RFC 3986's pchar (and '/' in $uri only), after it everything but
// unreserved characters -- so a decoded $uri, $arg_x or header cannot end the path, add
// segments, start a query or a fragment, add parameters, or put a space or control character
// on the request line (dot segments and escaped control characters are the caller's to refuse: ApiRequest::checkPath). Values
// that are already encoded (request_uri, args, regex captures of the request's own path) go in
// as they are.
QByteArray expandUri(const QString &text, const RequestContext &ctx, const QStringList &captures = {});
// How often the request carries a header (lower-case name), a query parameter or a cookie:
// a credential given twice is refused rather than one of them guessed.
int headerCount(const ApiRequest &request, QByteArrayView lowerCaseName);
int queryCount(const ApiRequest &request, const QString &name);
int cookieCount(const ApiRequest &request, QStringView name);

// For a plugin that passes $arg_<name> values on (proxy-rewrite): false with a message when one
// of `argNames` (without "arg_") is given more than once, or a value of it has a malformed
// %-escape or does not decode to UTF-8 -- which value counts would be a guess, and U+FFFD
// would stand in for whatever the client sent.
bool checkArgs(const ApiRequest &request, const QStringList &argNames, QString *error);

// The names a template refers to that are neither known variables nor capture indexes.
QStringList unknownIn(const QString &text);
// Every $name / ${name} in a template, in order.
QStringList referencedIn(const QString &text);

} // namespace RequestVariables

} // namespace Gatehouse
