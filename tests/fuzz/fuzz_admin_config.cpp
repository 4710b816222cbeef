// What an operator sends to the admin API: a whole gateway configuration for
// PUT /admin/config (our JSON form or APISIX's apisix.yaml, engine/resources/configexport.*), or
// one resource for POST/PUT /admin/{routes,upstreams,consumers,global_rules}; both through the
// real ResourceService (validation, engine/gateway/gatewayconfig.*, route.*, plugins) into a
// real config.db and gateway. Checked besides memory safety:
//  - fail closed: every route the gateway serves after an accepted change runs every plugin its
//    stored resource names (and a stored `plugins` is an object);
//  - an accepted configuration exports (JSON and APISIX YAML) and imports back unchanged.

#include "config/configstore.h"
#include "config/strictjson.h"
#include "fuzzsupport.h"
#include "gateway/gateway.h"
#include "gateway/gatewayconfig.h"
#include "resources/configexport.h"
#include "resources/resourceservice.h"

#include <QCoreApplication>
#include <QDir>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTemporaryDir>

#include <cstdint>
#include <memory>
#include <optional>

using namespace Gatehouse;

namespace {

struct Fixture
{
    std::unique_ptr<QTemporaryDir> dir;
    ConfigStore store;
    Gateway gateway;
    std::unique_ptr<ResourceService> service;
};

Fixture *fixture()
{
    static Fixture *f = [] {
        auto *fx = new Fixture;
        // config.db commits with synchronous=FULL; in memory-backed /dev/shm that costs nothing.
        const QString base = QDir(QStringLiteral("/dev/shm")).exists() ? QStringLiteral("/dev/shm") : QDir::tempPath();
        fx->dir = std::make_unique<QTemporaryDir>(base + QStringLiteral("/gatehouse-fuzz-XXXXXX"));
        QString error;
        if (!fx->dir->isValid() || !fx->store.open(Gatehouse::StorageTarget::sqlite(fx->dir->filePath(QStringLiteral("config.db"))), &error))
            Fuzz::fail(__FILE__, __LINE__, "open", error);
        fx->service = std::make_unique<ResourceService>(&fx->store, &fx->gateway);
        if (!fx->service->load({}, &error))
            Fuzz::fail(__FILE__, __LINE__, "load", error);
        return fx;
    }();
    return f;
}

QJsonArray withoutTimes(const QJsonArray &items)
{
    QJsonArray out;
    for (const QJsonValue &v : items) {
        QJsonObject o = v.toObject();
        o.remove(QStringLiteral("create_time"));
        o.remove(QStringLiteral("update_time"));
        out.append(o);
    }
    return out;
}

ConfigExport::Resources current()
{
    ConfigExport::Resources all;
    for (const QString &kind : ResourceService::kinds())
        all.insert(kind, withoutTimes(fixture()->service->list(kind)));
    return all;
}

QString compact(const QJsonArray &items)
{
    return QString::fromUtf8(QJsonDocument(items).toJson(QJsonDocument::Compact));
}

void checkFailClosed()
{
    const auto config = fixture()->gateway.config();
    FUZZ_CHECK(config != nullptr, QStringLiteral("no gateway configuration"));
    // A write is refused when anything it leaves could not be applied.
    FUZZ_CHECK(!config->hasProblems(), QStringLiteral("an accepted write left problems: %1").arg(config->allProblems().join(QLatin1Char(' '))));
    for (const QJsonValue &v : fixture()->service->list(QStringLiteral("routes"))) {
        const QJsonObject stored = v.toObject();
        const QString id = stored.value(QStringLiteral("id")).toString();
        const Route *route = config->routeTable().route(id);
        FUZZ_CHECK(route != nullptr, QStringLiteral("stored route '%1' is not served").arg(id));
        if (!stored.contains(QStringLiteral("plugins")))
            continue;
        const QJsonValue plugins = stored.value(QStringLiteral("plugins"));
        FUZZ_CHECK(plugins.isObject(), QStringLiteral("route '%1' stored with plugins that are not an object").arg(id));
        QSet<QString> chain;
        for (const auto &slot : config->chain(route))
            chain.insert(slot.name);
        for (const QString &name : plugins.toObject().keys())
            FUZZ_CHECK(chain.contains(name), QStringLiteral("route '%1' is served without its plugin %2").arg(id, name));
    }
}

ConfigExport::Resources read(const QByteArray &file, const char *form)
{
    QString error;
    const std::optional<QJsonObject> document = ConfigExport::readDocument(file, &error);
    FUZZ_CHECK(document.has_value(), QStringLiteral("our %1 export does not import: %2").arg(QLatin1String(form), error));
    return ConfigExport::sections(*document);
}

void checkRoundTrip()
{
    const ConfigExport::Resources before = current();
    ConfigExport::Resources back = read(ConfigExport::toJson(before, fixture()->service->version()), "JSON");
    for (const QString &kind : ResourceService::kinds())
        FUZZ_CHECK(withoutTimes(back.value(kind)) == before.value(kind),
                   QStringLiteral("JSON export changed %1:\n%2\nbecame\n%3").arg(kind, compact(before.value(kind)), compact(withoutTimes(back.value(kind)))));
    back = read(ConfigExport::toApisixYaml(before, QStringLiteral("127.0.0.1:9080")), "APISIX");
    for (const QString &kind : ResourceService::kinds())
        FUZZ_CHECK(withoutTimes(back.value(kind)) == before.value(kind),
                   QStringLiteral("APISIX export changed %1:\n%2\nbecame\n%3").arg(kind, compact(before.value(kind)), compact(withoutTimes(back.value(kind)))));
}

// Each input starts from an empty configuration; clearing costs a commit, so only when needed.
bool dirty = true;

void reset()
{
    if (!dirty)
        return;
    QJsonObject empty;
    for (const QString &kind : ResourceService::kinds())
        empty.insert(kind, QJsonArray());
    const auto result = fixture()->service->replaceAll(empty);
    FUZZ_CHECK(result.status == 200, QStringLiteral("cannot clear the configuration: %1").arg(result.errors.join(QLatin1Char(' '))));
    dirty = false;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static QCoreApplication app(*argc, *argv);
    Fuzz::quietLogs();
    fixture();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray content(reinterpret_cast<const char *>(data), qsizetype(size));
    reset();

    // A whole configuration (PUT /admin/config).
    QString error;
    if (const std::optional<QJsonObject> document = ConfigExport::readDocument(content, &error)) {
        const auto result = fixture()->service->replaceAll(*document);
        dirty = dirty || result.status == 200;
        FUZZ_CHECK(result.status == 200 || (result.status == 400 && !result.errors.isEmpty()),
                   QStringLiteral("import answered %1 %2").arg(result.status).arg(result.detail));
        if (result.status == 200) {
            checkFailClosed();
            checkRoundTrip();
        }
    } else {
        FUZZ_CHECK(!error.isEmpty(), QStringLiteral("import refused without a message"));
    }

    // The same text as one resource of each kind (PUT /admin/<kind>/<id>; POST only adds an id).
    const std::optional<QJsonObject> body = StrictJson::parseObject(content);
    if (!body)
        return 0;
    for (const QString &kind : ResourceService::kinds()) {
        reset();
        const auto put = fixture()->service->put(kind, QStringLiteral("fz-1"), *body);
        FUZZ_CHECK(put.status == 201 || put.status == 200 || (put.status >= 400 && put.status < 500),
                   QStringLiteral("PUT %1 answered %2 %3").arg(kind).arg(put.status).arg(put.detail));
        if (put.status < 400) {
            dirty = true;
            checkFailClosed();
            checkRoundTrip();
        }
    }
    return 0;
}
