// MQTT command load for tests/bench/bench_live.sh on a single-threaded client: the engine's own
// MQTT 5 client (protocols/mqtt/mqttclient.h) on one Qt event loop, where Paho's client (the
// `commands` mode of bench_live_mqtt) hands every message between three threads. Same protocol
// and the same output line as that mode:
//
//   bench_mqtt_commands URL PREFIX SECONDS INFLIGHT
//       publishes create commands on PREFIX/commands/products/create at QoS 1 with a response
//       topic and correlation data, INFLIGHT outstanding, for SECONDS; prints
//       MQTT_CMD sent=.. replies=.. status_202=.. other=.. unanswered=.. seconds=.. rate=.. p50_ms=.. p99_ms=.. max_ms=..

#include "mqtt/mqttclient.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <vector>

#include <unistd.h>

using namespace Gatehouse::Mqtt;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc < 5) {
        std::fprintf(stderr, "usage: bench_mqtt_commands URL PREFIX SECONDS INFLIGHT\n");
        return 2;
    }
    MqttClient::Options options;
    QString error;
    if (!MqttClient::parseUrl(QString::fromLocal8Bit(argv[1]), &options, &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 2;
    }
    const QByteArray id = "bench-lean-" + QByteArray::number(::getpid());
    options.clientId = id;
    options.cleanStart = true;
    options.maxQueued = 1 << 20;
    const QByteArray commandTopic = QByteArray(argv[2]) + "/commands/products/create";
    const QByteArray replyTopic = "bench/replies/" + id;
    const int seconds = std::atoi(argv[3]);
    const int inflight = std::max(1, std::atoi(argv[4]));

    MqttClient client(options);
    QElapsedTimer clock;
    std::vector<qint64> sentAtNs;
    std::vector<double> latenciesMs;
    long replies = 0, status202 = 0, other = 0, outstanding = 0;
    bool stopping = false;

    const auto publishNext = [&] {
        const long n = long(sentAtNs.size());
        sentAtNs.push_back(clock.nsecsElapsed());
        ++outstanding;
        MqttMessage m;
        m.topic = commandTopic;
        m.qos = 1;
        m.payload = "{\"name\":\"Widget mqtt " + QByteArray::number(qlonglong(n)) + "\",\"price\":" + QByteArray::number(qlonglong(n))
            + ".5,\"sku\":\"ABC-123\"}";
        m.responseTopic = replyTopic;
        m.correlationData = QByteArray::number(qlonglong(n));
        if (client.publish(std::move(m)) != MqttClient::PublishResult::Accepted) {
            std::fprintf(stderr, "bench_mqtt_commands: publish refused\n");
            app.exit(3);
        }
    };
    const auto finish = [&] {
        const double elapsed = double(clock.nsecsElapsed()) / 1e9;
        std::sort(latenciesMs.begin(), latenciesMs.end());
        const auto pct = [&](double q) {
            return latenciesMs.empty() ? 0.0 : latenciesMs[std::min(latenciesMs.size() - 1, size_t(q * double(latenciesMs.size())))];
        };
        std::printf("MQTT_CMD sent=%ld replies=%ld status_202=%ld other=%ld unanswered=%ld seconds=%.3f rate=%.0f p50_ms=%.2f "
                    "p99_ms=%.2f max_ms=%.2f\n",
                    long(sentAtNs.size()), replies, status202, other, outstanding, elapsed, double(replies) / elapsed, pct(0.5),
                    pct(0.99), latenciesMs.empty() ? 0.0 : latenciesMs.back());
        std::fflush(stdout);
        client.stop(1000);
        app.exit(other == 0 && outstanding == 0 ? 0 : 1);
    };

    QObject::connect(&client, &MqttClient::messageReceived, &app, [&](const MqttMessage &m) {
        const qint64 now = clock.nsecsElapsed();
        bool ok = false;
        const long n = m.correlationData.toLong(&ok);
        if (!ok || n < 0 || n >= long(sentAtNs.size()))
            return;
        QByteArray status;
        for (const auto &[name, value] : m.userProperties) {
            if (name == "status")
                status = value;
        }
        --outstanding;
        ++replies;
        ++(status == "202" ? status202 : other);
        latenciesMs.push_back(double(now - sentAtNs[size_t(n)]) / 1e6);
        if (!stopping && now < qint64(seconds) * 1000000000)
            publishNext();
        else
            stopping = true;
        if (stopping && outstanding == 0)
            finish();
    });
    bool started = false;
    QObject::connect(&client, &MqttClient::connected, &app, [&] {
        if (started)
            return;
        started = true;
        client.subscribe(replyTopic, 1);
        // The subscription is in place before the first command: the broker handles our
        // packets in order, and SUBACK is not needed to know that.
        clock.start();
        for (int i = 0; i < inflight; ++i)
            publishNext();
    });
    QObject::connect(&client, &MqttClient::connectFailed, &app, [&](const QString &why) {
        std::fprintf(stderr, "bench_mqtt_commands: %s\n", qPrintable(why));
        app.exit(3);
    });
    QObject::connect(&client, &MqttClient::disconnected, &app, [&](const QString &why) {
        if (!stopping) {
            std::fprintf(stderr, "bench_mqtt_commands: disconnected: %s\n", qPrintable(why));
            app.exit(3);
        }
    });
    QTimer::singleShot((seconds + 30) * 1000, &app, [&] {
        stopping = true;
        finish();
    });
    client.start();
    return app.exec();
}
