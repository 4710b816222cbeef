#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <optional>

namespace Gatehouse::Simulation {

// Reads the members of one JSON object of a scenario, each problem appended to `errors` as
// "<JSON Pointer>: <message>" and reading on, so that a reader reports every problem at once.
// Getters return nullopt when the member is absent (reported when `required`) or wrong
// (always reported). Short-lived, on the reader's thread.
class FieldReader
{
public:
    FieldReader(QJsonObject object, QString pointer, QStringList *errors);

    // Members outside `known` are errors: "unknown member", or `elsewhere`'s message when the
    // member is one that belongs to another kind of object ("not used by the ramping-vus executor").
    void allowOnly(const QStringList &known, const QStringList &elsewhere = {}, const QString &elsewhereMessage = {});

    bool has(const QString &name) const { return m_object.contains(name); }
    QJsonValue value(const QString &name) const { return m_object.value(name); }
    const QJsonObject &object() const { return m_object; }
    const QString &pointer() const { return m_pointer; }
    QString at(const QString &name) const;   // the member's pointer
    void error(const QString &name, const QString &message) const;   // at the member
    void errorHere(const QString &message) const;                    // at the object itself
    int errorCount() const;
    QStringList *errors() const { return m_errors; }

    std::optional<QString> string(const QString &name, bool required = false, qsizetype maxLength = 1024) const;
    std::optional<bool> boolean(const QString &name) const;
    std::optional<qint64> integer(const QString &name, qint64 min, qint64 max, bool required = false) const;
    // A number in [min, max]; above `min` only when minExclusive.
    std::optional<double> number(const QString &name, double min, double max, bool required = false,
                                 bool minExclusive = false) const;
    // A k6 duration or a number of seconds, in ms, in [minMs, maxMs].
    std::optional<qint64> duration(const QString &name, qint64 minMs, qint64 maxMs, bool required = false) const;
    std::optional<QJsonArray> array(const QString &name, qsizetype minItems, qsizetype maxItems, bool required = false) const;
    std::optional<QJsonObject> object(const QString &name, bool required = false) const;

    // "24h", "1m30s"... as k6 writes durations, for messages.
    static QString formatDuration(qint64 ms);

private:
    QJsonObject m_object;
    QString m_pointer;
    QStringList *m_errors;
};

} // namespace Gatehouse::Simulation
