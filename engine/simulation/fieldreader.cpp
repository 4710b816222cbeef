#include "fieldreader.h"

#include "scenario.h"

#include "config/jsonpointer.h"

#include <QLocale>

#include <cmath>

using namespace Qt::StringLiterals;

namespace Gatehouse::Simulation {

namespace {

QString formatNumber(double number)
{
    if (number == std::floor(number) && std::abs(number) < 1e15)
        return QString::number(qint64(number));
    return QString::number(number, 'g', QLocale::FloatingPointShortest);
}

QString countPhrase(qsizetype count, const QString &noun)
{
    return QString::number(count) % u' ' % noun % (count == 1 ? QString() : u"s"_s);
}

} // namespace

FieldReader::FieldReader(QJsonObject object, QString pointer, QStringList *errors)
    : m_object(std::move(object))
    , m_pointer(std::move(pointer))
    , m_errors(errors)
{
}

QString FieldReader::at(const QString &name) const
{
    return JsonPointer::append(m_pointer, name);
}

void FieldReader::error(const QString &name, const QString &message) const
{
    m_errors->append(at(name) % u": "_s % message);
}

void FieldReader::errorHere(const QString &message) const
{
    m_errors->append((m_pointer.isEmpty() ? u"(root)"_s : m_pointer) % u": "_s % message);
}

int FieldReader::errorCount() const
{
    return int(m_errors->size());
}

void FieldReader::allowOnly(const QStringList &known, const QStringList &elsewhere, const QString &elsewhereMessage)
{
    for (auto it = m_object.constBegin(); it != m_object.constEnd(); ++it) {
        if (known.contains(it.key()))
            continue;
        error(it.key(), elsewhere.contains(it.key()) ? elsewhereMessage : u"unknown member"_s);
    }
}

std::optional<QString> FieldReader::string(const QString &name, bool required, qsizetype maxLength) const
{
    if (!has(name)) {
        if (required)
            error(name, u"is required"_s);
        return std::nullopt;
    }
    const QJsonValue v = value(name);
    if (!v.isString()) {
        error(name, u"must be a string"_s);
        return std::nullopt;
    }
    if (v.toString().size() > maxLength) {
        error(name, u"must be at most "_s % QString::number(maxLength) % u" characters"_s);
        return std::nullopt;
    }
    return v.toString();
}

std::optional<bool> FieldReader::boolean(const QString &name) const
{
    if (!has(name))
        return std::nullopt;
    if (!value(name).isBool()) {
        error(name, u"must be true or false"_s);
        return std::nullopt;
    }
    return value(name).toBool();
}

std::optional<qint64> FieldReader::integer(const QString &name, qint64 min, qint64 max, bool required) const
{
    if (!has(name)) {
        if (required)
            error(name, u"is required"_s);
        return std::nullopt;
    }
    const QJsonValue v = value(name);
    const double d = v.toDouble();
    if (!v.isDouble() || d != std::floor(d) || d < double(min) || d > double(max)) {
        error(name, u"must be an integer from "_s % QString::number(min) % u" to "_s % QString::number(max));
        return std::nullopt;
    }
    return qint64(d);
}

std::optional<double> FieldReader::number(const QString &name, double min, double max, bool required,
                                          bool minExclusive) const
{
    if (!has(name)) {
        if (required)
            error(name, u"is required"_s);
        return std::nullopt;
    }
    const QJsonValue v = value(name);
    const double d = v.toDouble();
    if (!v.isDouble() || !std::isfinite(d) || (minExclusive ? d <= min : d < min) || d > max) {
        const QString upper = std::isfinite(max) ? (minExclusive ? u" and at most "_s : u" to "_s) % formatNumber(max)
                                                 : QString();
        error(name, u"must be a number "_s % (minExclusive ? u"above "_s : u"from "_s) % formatNumber(min) % upper);
        return std::nullopt;
    }
    return d;
}

std::optional<qint64> FieldReader::duration(const QString &name, qint64 minMs, qint64 maxMs, bool required) const
{
    if (!has(name)) {
        if (required)
            error(name, u"is required"_s);
        return std::nullopt;
    }
    const auto ms = parseDurationMs(value(name));
    if (!ms) {
        error(name, u"must be a duration such as \"30s\", \"1m30s\" or \"500ms\", or a number of seconds, at most 24h"_s);
        return std::nullopt;
    }
    if (*ms < minMs || *ms > maxMs) {
        error(name, minMs > 0 && *ms < minMs ? u"must be at least "_s % formatDuration(minMs)
                                             : u"must be at most "_s % formatDuration(maxMs));
        return std::nullopt;
    }
    return ms;
}

std::optional<QJsonArray> FieldReader::array(const QString &name, qsizetype minItems, qsizetype maxItems, bool required) const
{
    if (!has(name)) {
        if (required)
            error(name, u"is required"_s);
        return std::nullopt;
    }
    const QJsonValue v = value(name);
    const qsizetype size = v.toArray().size();
    if (!v.isArray() || size < minItems || size > maxItems) {
        const QString count = minItems == maxItems ? countPhrase(minItems, u"item"_s)
                                                   : QString::number(minItems) % u" to "_s % countPhrase(maxItems, u"item"_s);
        error(name, u"must be an array of "_s % count);
        return std::nullopt;
    }
    return v.toArray();
}

std::optional<QJsonObject> FieldReader::object(const QString &name, bool required) const
{
    if (!has(name)) {
        if (required)
            error(name, u"is required"_s);
        return std::nullopt;
    }
    if (!value(name).isObject()) {
        error(name, u"must be an object"_s);
        return std::nullopt;
    }
    return value(name).toObject();
}

QString FieldReader::formatDuration(qint64 ms)
{
    if (ms == 0)
        return u"0s"_s;
    QString text;
    const qint64 hours = ms / 3'600'000;
    const qint64 minutes = ms / 60'000 % 60;
    const qint64 seconds = ms / 1000 % 60;
    const qint64 millis = ms % 1000;
    if (hours)
        text += QString::number(hours) % u'h';
    if (minutes)
        text += QString::number(minutes) % u'm';
    if (seconds)
        text += QString::number(seconds) % u's';
    if (millis)
        text += QString::number(millis) % u"ms"_s;
    return text;
}

} // namespace Gatehouse::Simulation
