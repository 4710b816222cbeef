#pragma once

#include "engineclient.h"

#include <QUrl>

#include <memory>

namespace Gatehouse::Ui {

// EngineClient for an engine in another process, here or on another machine (`gatehouse
// --headless`): admin requests go to its admin API with the admin key, public-API requests to
// its gateway, and the live signals come over the admin listener's live channel (/admin/live, a
// WebSocket). When the link drops the client says so (connection()), waits -- 0.25 s, doubling
// up to 10 s -- and connects again from the last event it delivered, so eventsArrived() goes on
// without a gap or a repeat; resourcesChanged() then fires for every kind, as anything may have
// changed meanwhile. A refused key ends the attempts (Refused). TLS is verified against the
// system's authorities plus `caFile` (a self-signed engine's certificate, say).
class RemoteEngineClient final : public EngineClient
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RemoteEngineClient)

public:
    struct Options
    {
        QUrl adminUrl;        // "https://host:9180"
        QByteArray adminKey;
        QString caFile;       // PEM; empty: the system's authorities only
        int minBackoffMs = 250;
        int maxBackoffMs = 10000;
        int maxWaitingRequests = 256;   // gateway requests held until the engine says where its gateway is
        int batchIntervalMs = 50;       // eventsArrived() at most this often
    };

    explicit RemoteEngineClient(const Options &options, QObject *parent = nullptr);
    ~RemoteEngineClient() override;

    // An engine's address as typed ("https://h:9180/ ") as connections are saved under it.
    static QString normalizedUrl(const QString &typed);
    // Checks the options: false with a reason (an unusable URL, an unreadable CA file).
    static bool validate(const Options &options, QString *error);

    QString gatewayAddress() const override;
    QString adminAddress() const override;
    QString gatewayUrl() const override;
    QString adminUrl() const override;
    QList<QSslCertificate> engineCertificates() const override;
    QString engineCertificateFile() const override;
    QString dataDirectory() const override { return {}; }

    void request(const QByteArray &method, const QByteArray &target, const QByteArray &body,
                 const HeaderList &headers, QObject *context, ReplyCallback callback) override;
    void admin(const QByteArray &method, const QByteArray &target, const QByteArray &body,
               QObject *context, ReplyCallback callback) override;

    EngineStatus status() const override;
    Connection connection() const override;
    QString connectionText() const override;

    qint64 lastPosition() const;   // the last event delivered (0: none yet)
    int reconnects() const;        // links made again after a drop

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace Gatehouse::Ui
