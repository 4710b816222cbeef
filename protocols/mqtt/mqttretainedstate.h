#pragma once

#include "readmodel/storeddocument.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QTimer>

namespace Gatehouse::Mqtt {

class MqttClient;

// Read-model state on MQTT (DESIGN.md "MQTT"): after each upsert, the document with `_meta`
// (logically deleted ones with `_meta.deleted = true`) is published retained at QoS 1 on
// {prefix}/readmodel/{collection}/{id}, so a new subscriber gets the current state at once.
//
// Only the newest version of a document matters, so changes are coalesced per topic while
// they wait (broker away, or `window` publishes already awaiting PUBACK); a publish the broker
// never acknowledged is queued again when the connection drops; a broker that keeps no retained
// messages gets them as plain messages, for live subscribers (the client warns). Lives on the
// bridge's thread;
// documentsChanged arrives queued from the projection thread.
class MqttRetainedState final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MqttRetainedState)

public:
    MqttRetainedState(const QString &topicPrefix, int window, QObject *parent = nullptr);
    ~MqttRetainedState() override;

    void attach(MqttClient *client);
    void connectionUp();
    void connectionDown();

    int pending() const { return int(m_pending.size() + m_inFlight.size()); }   // not yet acknowledged
    quint64 published() const { return m_published; }

public Q_SLOTS:
    void documentsChanged(const QList<Gatehouse::StoredDocument> &documents);

Q_SIGNALS:
    void progressed();

private:
    void flush();
    void requeue(const QString &topic, const StoredDocument &document);
    void delivered(quint64 sequence, quint8 reasonCode);

    struct InFlight
    {
        QString topic;
        StoredDocument document;
    };

    QString m_prefix;
    int m_window;
    MqttClient *m_client = nullptr;
    bool m_connected = false;
    quint64 m_sequence = 0;
    QHash<QString, StoredDocument> m_pending;   // by topic: the newest version waiting
    QHash<quint64, InFlight> m_inFlight;        // by publish sequence number
    quint64 m_published = 0;
    QTimer m_retryTimer;                        // resumes after the client refused a publish for now
};

} // namespace Gatehouse::Mqtt
