#pragma once

#include "engineclient.h"

#include <QElapsedTimer>

#include <memory>

namespace Gatehouse {
class Engine;
}

namespace Gatehouse::Mqtt {
class MqttService;
}

namespace Gatehouse::Ui {

// EngineClient for an engine in this process. Public-API requests go through the engine's
// Gateway (as from remote address "gui"); admin requests through the same AdminApi handler
// the admin listener uses, run on a worker thread so a slow operation never blocks the window.
// Committed events are collected on the store's thread and delivered in batches at most every
// `batchIntervalMs`; a receiver that falls behind loses the oldest pending events (counted).
class LocalEngineClient final : public EngineClient
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LocalEngineClient)

public:
    struct Options
    {
        QString gatewayAddress;
        QString adminAddress;
        QString gatewayUrl;        // with the scheme; empty: http:// + gatewayAddress
        QString adminUrl;
        QString certificateFile;   // the engine's TLS certificate (PEM), when it has one
        Mqtt::MqttService *mqtt = nullptr;   // optional
        int batchIntervalMs = 50;
        int statusIntervalMs = 500;
    };

    LocalEngineClient(Engine *engine, const Options &options, QObject *parent = nullptr);
    ~LocalEngineClient() override;

    QString gatewayAddress() const override;
    QString adminAddress() const override;
    QString gatewayUrl() const override;
    QString adminUrl() const override;
    QList<QSslCertificate> engineCertificates() const override;
    QString engineCertificateFile() const override;
    QString dataDirectory() const override;

    void request(const QByteArray &method, const QByteArray &target, const QByteArray &body,
                 const HeaderList &headers, QObject *context, ReplyCallback callback) override;
    void admin(const QByteArray &method, const QByteArray &target, const QByteArray &body,
               QObject *context, ReplyCallback callback) override;

    EngineStatus status() const override;

private:
    void flushEvents();
    void sampleStatus();

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace Gatehouse::Ui
