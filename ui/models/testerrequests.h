#pragma once

#include "requesttesterhistorymodel.h"

#include <QHash>
#include <QStringList>

#include <optional>

namespace Gatehouse::Ui {

// The request tester's requests apart from sending them: the ones saved by name (QSettings,
// between sessions, newest first, at most kMax), their `:params`, and a request as curl.
namespace SavedRequests {
constexpr int kMax = 200;
QStringList names();
std::optional<RequestTesterEntry> find(const QString &name);
void save(const QString &name, const RequestTesterEntry &request);   // replaces one of that name
void remove(const QString &name);
} // namespace SavedRequests

// The :params of a path as routes write them ("/api/products/:id"), in order, each once.
QStringList pathParams(const QString &path);
// The path with each :param replaced by its value, percent-encoded; `*missing` names the first
// without a value.
QString fillPathParams(const QString &path, const QHash<QString, QString> &values, QString *missing = nullptr);

// `curl` with the method, http://<gateway><path>, the headers and the body, every word quoted
// for a POSIX shell (a JSON body without a Content-Type gets application/json, as Send does).
// `gatewayUrl` with its scheme ("https://127.0.0.1:9443"); `certificateFile`, when not empty,
// goes in as --cacert (the engine's own certificate).
QString curlCommand(const RequestTesterEntry &request, const QString &gatewayUrl, const QString &certificateFile = {});

} // namespace Gatehouse::Ui
