#include "httprequest.h"

namespace Gatehouse::Http {

QByteArray HttpRequest::header(QByteArrayView lowerCaseName) const
{
    for (const auto &[name, value] : headers) {
        if (name == lowerCaseName)
            return value;
    }
    return {};
}

bool HttpRequest::hasHeader(QByteArrayView lowerCaseName) const
{
    for (const auto &entry : headers) {
        if (entry.first == lowerCaseName)
            return true;
    }
    return false;
}

} // namespace Gatehouse::Http
