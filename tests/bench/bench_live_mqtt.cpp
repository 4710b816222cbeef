// MQTT side of tests/bench/bench_live.sh (Paho C++, test-side only). Three modes:
//
//   bench_live_mqtt sub URL FILTER COUNT [IDLE_S]
//       QoS 1 subscriber; prints "READY" once the subscription is acknowledged, then counts
//       messages until COUNT arrived (or IDLE_S seconds, default 20, pass without one) and prints
//       MQTT_SUB count=.. seconds=.. rate=.. avg_payload=.. avg_topic=..  (seconds: first -> last)
//   bench_live_mqtt pub URL TOPIC_PREFIX COUNT PAYLOAD_BYTES [WINDOW]
//       QoS 1 publisher, WINDOW (default 64) messages in flight, topic TOPIC_PREFIX/<36 chars>
//       (the length of an event subject), payload of PAYLOAD_BYTES; prints MQTT_PUB count=.. seconds=..
//   bench_live_mqtt commands URL PREFIX SECONDS INFLIGHT
//       MQTT 5 client publishing create commands on PREFIX/commands/products/create with a
//       response topic and correlation data, INFLIGHT outstanding, for SECONDS; prints
//       MQTT_CMD sent=.. replies=.. status_202=.. other=.. seconds=.. rate=.. p50_ms=.. p99_ms=.. max_ms=..

#include "base/tcpnodelay.h"

#include <mqtt/async_client.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

using Clock = std::chrono::steady_clock;

static double secondsBetween(Clock::time_point a, Clock::time_point b)
{
    return std::chrono::duration<double>(b - a).count();
}

static mqtt::connect_options connectOptions()
{
    return mqtt::connect_options_builder().mqtt_version(MQTTVERSION_5).clean_start(true).keep_alive_interval(std::chrono::seconds(30)).finalize();
}

// Connects, then turns Nagle off as the engine does for its own client (Paho 1.3.12 leaves it
// on, and each small packet would wait for the peer's delayed acknowledgement).
static void connectClient(mqtt::async_client &client, const std::string &url)
{
    client.connect(connectOptions())->wait();
    Gatehouse::TcpNoDelay::disableOnSocketsTo(Gatehouse::TcpNoDelay::brokerPort(QString::fromStdString(url)));
}

static std::string clientId(const char *what)
{
    return std::string("bench-") + what + '-' + std::to_string(::getpid()) + '-' + std::to_string(Clock::now().time_since_epoch().count() % 1000000);
}

static int subscriber(const std::string &url, const std::string &filter, long expected, int idleSeconds)
{
    mqtt::async_client client(url, clientId("sub"), mqtt::create_options(MQTTVERSION_5));
    std::mutex m;
    std::condition_variable cv;
    long count = 0;
    double payloadBytes = 0, topicBytes = 0;
    Clock::time_point first, last;
    client.set_message_callback([&](mqtt::const_message_ptr msg) {
        const auto now = Clock::now();
        std::lock_guard lock(m);
        if (count == 0)
            first = now;
        last = now;
        ++count;
        payloadBytes += double(msg->get_payload_ref().size());
        topicBytes += double(msg->get_topic_ref().size());
        if (count >= expected)
            cv.notify_all();
    });
    connectClient(client, url);
    client.subscribe(filter, 1)->wait();
    std::printf("READY\n");
    std::fflush(stdout);
    {
        std::unique_lock lock(m);
        long seen = -1;
        while (count < expected) {
            if (count == seen && count > 0)
                break;   // idle for a whole period after something arrived: give up waiting
            seen = count;
            cv.wait_for(lock, std::chrono::seconds(idleSeconds), [&] { return count >= expected; });
            if (count == 0 && seen == 0)
                break;
        }
    }
    client.disconnect()->wait();
    std::lock_guard lock(m);
    const double s = count > 1 ? secondsBetween(first, last) : 0;
    std::printf("MQTT_SUB count=%ld seconds=%.3f rate=%.0f avg_payload=%.0f avg_topic=%.0f\n", count, s, s > 0 ? (count - 1) / s : 0.0,
                count ? payloadBytes / count : 0.0, count ? topicBytes / count : 0.0);
    return count >= expected ? 0 : 1;
}

static int publisher(const std::string &url, const std::string &prefix, long count, int payloadBytes, int window)
{
    mqtt::async_client client(url, clientId("pub"), mqtt::create_options(MQTTVERSION_5));
    connectClient(client, url);
    std::string payload(size_t(std::max(payloadBytes, 1)), 'x');
    payload.front() = '{';
    payload.back() = '}';
    std::deque<mqtt::delivery_token_ptr> inFlight;
    const auto start = Clock::now();
    for (long i = 0; i < count; ++i) {
        char subject[48];
        std::snprintf(subject, sizeof subject, "00000000-0000-4000-8000-%012ld", i);
        inFlight.push_back(client.publish(prefix + '/' + subject, payload.data(), payload.size(), 1, false));
        if (long(inFlight.size()) >= window) {
            inFlight.front()->wait();
            inFlight.pop_front();
        }
    }
    for (auto &t : inFlight)
        t->wait();
    const double s = secondsBetween(start, Clock::now());
    client.disconnect()->wait();
    std::printf("MQTT_PUB count=%ld seconds=%.3f rate=%.0f\n", count, s, count / s);
    return 0;
}

static int commands(const std::string &url, const std::string &prefix, int seconds, int inflight)
{
    const std::string id = clientId("cmd");
    const std::string replyTopic = "bench/replies/" + id;
    const std::string commandTopic = prefix + "/commands/products/create";
    mqtt::async_client client(url, id, mqtt::create_options(MQTTVERSION_5));

    std::mutex m;
    std::condition_variable cv;
    std::vector<Clock::time_point> sentAt;   // by correlation number
    std::vector<double> latenciesMs;
    long replies = 0, status202 = 0, other = 0, outstanding = 0;
    bool stopping = false;
    Clock::time_point start;

    auto publishNext = [&](std::unique_lock<std::mutex> &lock) {
        const long n = long(sentAt.size());
        sentAt.push_back(Clock::now());
        ++outstanding;
        lock.unlock();
        const std::string body = "{\"name\":\"Widget mqtt " + std::to_string(n) + "\",\"price\":" + std::to_string(n) + ".5,\"sku\":\"ABC-123\"}";
        auto msg = mqtt::make_message(commandTopic, body.data(), body.size(), 1, false);
        mqtt::properties props;
        props.add(mqtt::property(mqtt::property::RESPONSE_TOPIC, replyTopic));
        props.add(mqtt::property(mqtt::property::CORRELATION_DATA, std::to_string(n)));
        msg->set_properties(props);
        client.publish(msg);
        lock.lock();
    };

    client.set_message_callback([&](mqtt::const_message_ptr msg) {
        const auto now = Clock::now();
        const mqtt::properties &p = msg->get_properties();
        if (!p.contains(mqtt::property::CORRELATION_DATA))
            return;
        const long n = std::strtol(mqtt::get<std::string>(p, mqtt::property::CORRELATION_DATA).c_str(), nullptr, 10);
        std::string status;
        for (size_t i = 0; i < p.count(mqtt::property::USER_PROPERTY); ++i) {
            const auto [name, value] = mqtt::get<mqtt::string_pair>(p, mqtt::property::USER_PROPERTY, i);
            if (name == "status")
                status = value;
        }
        std::unique_lock lock(m);
        if (n < 0 || n >= long(sentAt.size()))
            return;
        --outstanding;
        ++replies;
        if (status == "202")
            ++status202;
        else
            ++other;
        latenciesMs.push_back(std::chrono::duration<double, std::milli>(now - sentAt[size_t(n)]).count());
        if (!stopping && secondsBetween(start, now) < seconds)
            publishNext(lock);
        else
            stopping = true;
        cv.notify_all();
    });
    connectClient(client, url);
    client.subscribe(replyTopic, 1)->wait();

    std::unique_lock lock(m);
    start = Clock::now();
    for (int i = 0; i < inflight; ++i)
        publishNext(lock);
    cv.wait_for(lock, std::chrono::seconds(seconds + 30), [&] { return stopping && outstanding == 0; });
    const double elapsed = secondsBetween(start, Clock::now());
    const long sent = long(sentAt.size());
    std::sort(latenciesMs.begin(), latenciesMs.end());
    auto pct = [&](double q) { return latenciesMs.empty() ? 0.0 : latenciesMs[std::min(latenciesMs.size() - 1, size_t(q * latenciesMs.size()))]; };
    std::printf("MQTT_CMD sent=%ld replies=%ld status_202=%ld other=%ld unanswered=%ld seconds=%.3f rate=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
                sent, replies, status202, other, outstanding, elapsed, replies / elapsed, pct(0.5), pct(0.99),
                latenciesMs.empty() ? 0.0 : latenciesMs.back());
    lock.unlock();
    client.disconnect()->wait();
    return other == 0 && outstanding == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    const std::string mode = argc > 1 ? argv[1] : "";
    try {
        if (mode == "sub" && argc >= 5)
            return subscriber(argv[2], argv[3], std::atol(argv[4]), argc > 5 ? std::atoi(argv[5]) : 20);
        if (mode == "pub" && argc >= 6)
            return publisher(argv[2], argv[3], std::atol(argv[4]), std::atoi(argv[5]), argc > 6 ? std::atoi(argv[6]) : 64);
        if (mode == "commands" && argc >= 6)
            return commands(argv[2], argv[3], std::atoi(argv[4]), std::atoi(argv[5]));
    } catch (const mqtt::exception &e) {
        std::fprintf(stderr, "bench_live_mqtt %s: %s\n", mode.c_str(), e.what());
        return 3;
    }
    std::fprintf(stderr, "usage: bench_live_mqtt sub URL FILTER COUNT [IDLE_S] | pub URL TOPIC_PREFIX COUNT PAYLOAD_BYTES [WINDOW]"
                         " | commands URL PREFIX SECONDS INFLIGHT\n");
    return 2;
}
