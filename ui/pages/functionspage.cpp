#include "functionspage.h"

#include "engineclient.h"
#include "models/jsonrowsmodel.h"
#include "widgets/functiondeadletterspanel.h"
#include "widgets/functiontestpanel.h"
#include "widgets/functionversionspanel.h"
#include "widgets/jscodeeditor.h"
#include "widgets/metricchart.h"

#include <QDateTime>
#include <QJsonObject>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QShortcut>
#include <QSplitter>
#include <QTabBar>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

namespace Gatehouse::Ui {

namespace {

constexpr int kStatsIntervalMs = 1000;
// Members of GET /admin/functions/{name} that describe the deployment, not the definition.
const QStringList kReadOnlyMembers{QStringLiteral("name"), QStringLiteral("code"), QStringLiteral("version"),
                                   QStringLiteral("deployed_at_ms"), QStringLiteral("stats"), QStringLiteral("projection"),
                                   QStringLiteral("rolled_back_from"), QStringLiteral("runtime")};

QString triggerSummary(const QJsonObject &function)
{
    QStringList parts;
    for (const QJsonValue &v : function.value(QLatin1String("triggers")).toArray()) {
        const QJsonObject t = v.toObject();
        const QString type = t.value(QLatin1String("type")).toString();
        if (type == QLatin1String("event")) {
            QStringList filter;
            const QJsonObject f = t.value(QLatin1String("filter")).toObject();
            for (auto it = f.begin(); it != f.end(); ++it) {
                const QJsonObject m = it.value().toObject();
                const QString value = it.value().isString() ? it.value().toString()
                    : m.contains(QLatin1String("prefix")) ? QString(m.value(QLatin1String("prefix")).toString() + u'*')
                    : QString(u'*' + m.value(QLatin1String("suffix")).toString());
                filter.append(it.key() + u'=' + value);
            }
            parts.append(QObject::tr("event %1").arg(filter.isEmpty() ? QStringLiteral("*") : filter.join(u' ')));
        } else if (type == QLatin1String("interval")) {
            parts.append(QObject::tr("every %1 s").arg(t.value(QLatin1String("every_s")).toInt()));
        } else {
            parts.append(type);
        }
    }
    return parts.join(QStringLiteral(", "));
}

QList<JsonRowsModel::Column> functionColumns()
{
    using C = JsonRowsModel::Column;
    return {
        C{QObject::tr("Name"), QStringLiteral("name")},
        C{QObject::tr("Version"), QStringLiteral("version")},
        C{QObject::tr("Triggers"), QString(), [](const QJsonObject &row) -> QVariant { return triggerSummary(row); }},
        C{QObject::tr("Invocations"), QStringLiteral("stats.invocations")},
        C{QObject::tr("Errors"), QStringLiteral("stats.errors")},
        C{QObject::tr("Retries"), QStringLiteral("stats.retries")},
        C{QObject::tr("Timeouts"), QStringLiteral("stats.timeouts")},
        C{QObject::tr("Cold starts"), QStringLiteral("stats.cold_starts")},
        C{QObject::tr("p50 ms"), QStringLiteral("stats.duration_p50_ms")},
        C{QObject::tr("p99 ms"), QStringLiteral("stats.duration_p99_ms")},
        C{QObject::tr("Dead letters"), QStringLiteral("stats.dead_letters")},
    };
}

QTableView *makeTable(const QString &name, QAbstractItemModel *model, QWidget *parent)
{
    auto *table = new QTableView(parent);
    table->setObjectName(name);
    table->setModel(model);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setSelectionMode(QAbstractItemView::SingleSelection);
    table->verticalHeader()->hide();
    table->horizontalHeader()->setStretchLastSection(true);
    return table;
}

} // namespace

FunctionsPage::FunctionsPage(EngineClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
    , m_functions(new JsonRowsModel(QStringLiteral("name"), functionColumns(), this))
{
    setObjectName(QStringLiteral("functionsPage"));
    m_list = makeTable(QStringLiteral("functionList"), m_functions, this);
    auto *create = new QPushButton(tr("New"), this);
    create->setObjectName(QStringLiteral("functionNew"));
    auto *removeButton = new QPushButton(tr("Delete…"), this);
    removeButton->setObjectName(QStringLiteral("functionDelete"));

    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("functionName"));
    m_name->setPlaceholderText(tr("function name, e.g. count-products"));
    m_deploy = new QPushButton(tr("Deploy"), this);
    m_deploy->setObjectName(QStringLiteral("functionDeploy"));
    // Ctrl+S while the focus is on this page (other pages may save with it too).
    auto *save = new QShortcut(QKeySequence::Save, this, this, &FunctionsPage::deploy);
    save->setContext(Qt::WidgetWithChildrenShortcut);
    m_deploy->setToolTip(tr("Deploy a new version (Ctrl+S)"));
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("functionMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_code = new JsCodeEditor(this);
    m_code->setObjectName(QStringLiteral("functionCode"));
    m_settings = new QPlainTextEdit(this);
    m_settings->setObjectName(QStringLiteral("functionSettings"));
    m_settings->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_settings->setToolTip(tr("Triggers (a JSON array) or the whole definition without code: triggers, timeout_ms, retry, env, concurrency…"));
    auto *settingsBox = new QWidget(this);
    auto *settingsLayout = new QVBoxLayout(settingsBox);
    settingsLayout->setContentsMargins(0, 0, 0, 0);
    settingsLayout->addWidget(new QLabel(tr("Triggers and settings (JSON)"), settingsBox));
    settingsLayout->addWidget(m_settings);
    auto *codeSplit = new QSplitter(Qt::Vertical, this);
    codeSplit->addWidget(m_code);
    codeSplit->addWidget(settingsBox);
    codeSplit->setStretchFactor(0, 3);
    codeSplit->setStretchFactor(1, 1);

    m_versionsPanel = new FunctionVersionsPanel(client, this);

    m_stats = new QLabel(this);
    m_stats->setObjectName(QStringLiteral("functionStats"));
    m_stats->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_stats->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_log = new QPlainTextEdit(this);
    m_log->setObjectName(QStringLiteral("functionLog"));
    m_log->setReadOnly(true);
    m_log->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_log->setPlaceholderText(tr("ctx.log and console.log lines of recent invocations"));
    // Stats over time: the rates between refreshes and the p99 the engine reports.
    m_invocationsChart = new MetricChart(tr("Invocations/s"), tr("inv/s"), this);
    m_invocationsChart->setObjectName(QStringLiteral("functionInvocationsChart"));
    m_errorsChart = new MetricChart(tr("Errors/s"), tr("err/s"), this);
    m_errorsChart->setObjectName(QStringLiteral("functionErrorsChart"));
    m_p99Chart = new MetricChart(tr("Duration p99"), tr("ms"), this);
    m_p99Chart->setObjectName(QStringLiteral("functionP99Chart"));
    auto *charts = new QHBoxLayout;
    for (MetricChart *chart : {m_invocationsChart, m_errorsChart, m_p99Chart}) {
        chart->setMinimumHeight(140);
        chart->setMaximumHeight(180);
        charts->addWidget(chart);
    }
    auto *statsTab = new QWidget(this);
    auto *statsLayout = new QVBoxLayout(statsTab);
    statsLayout->addLayout(charts);
    statsLayout->addWidget(m_stats);
    statsLayout->addWidget(new QLabel(tr("Recent log lines (the admin API keeps the last 50; there is no per-invocation log)"), statsTab));
    statsLayout->addWidget(m_log, 1);

    m_deadLetters = new FunctionDeadLettersPanel(client, this);

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("functionTabs"));
    m_tabs->addTab(codeSplit, tr("Code"));
    m_tabs->addTab(m_versionsPanel, tr("Versions"));
    m_tabs->addTab(statsTab, tr("Stats && log"));
    m_tabs->addTab(m_deadLetters, tr("Dead letters"));
    m_test = new FunctionTestPanel(client, [this] { return m_code->toPlainText(); }, this);
    m_tabs->addTab(m_test, tr("Test"));
    connect(m_test, &FunctionTestPanel::errorLine, this, [this](int line, const QString &message) { m_code->setErrorLine(line, message); });

    auto *left = new QWidget(this);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(m_list, 1);
    auto *listButtons = new QHBoxLayout;
    listButtons->addWidget(create);
    listButtons->addWidget(removeButton);
    listButtons->addStretch();
    leftLayout->addLayout(listButtons);
    auto *right = new QWidget(this);
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    auto *nameRow = new QHBoxLayout;
    nameRow->addWidget(new QLabel(tr("Name"), right));
    nameRow->addWidget(m_name, 1);
    nameRow->addWidget(m_deploy);
    rightLayout->addLayout(nameRow);
    rightLayout->addWidget(m_message);
    rightLayout->addWidget(m_tabs, 1);
    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(left);
    split->addWidget(right);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(split);

    connect(create, &QPushButton::clicked, this, &FunctionsPage::newFunction);
    connect(removeButton, &QPushButton::clicked, this, &FunctionsPage::removeSelected);
    connect(m_deploy, &QPushButton::clicked, this, &FunctionsPage::deploy);
    connect(m_versionsPanel, &FunctionVersionsPanel::failed, this, [this](const QString &message) { setMessage(message, true); });
    connect(m_versionsPanel, &FunctionVersionsPanel::rolledBack, this, &FunctionsPage::rolledBack);
    connect(m_list->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &FunctionsPage::selectionChanged);
    connect(m_deadLetters, &FunctionDeadLettersPanel::changed, this, &FunctionsPage::refresh);
    connect(m_deadLetters, &FunctionDeadLettersPanel::openRequested, this, &FunctionsPage::openRequested);
    // The tab counts what waits there; the main window's sidebar does the same from the engine's status.
    connect(m_deadLetters, &FunctionDeadLettersPanel::countChanged, this, [this](int count) {
        const int tab = m_tabs->indexOf(m_deadLetters);
        m_tabs->setTabText(tab, count > 0 ? tr("Dead letters (%1)").arg(count) : tr("Dead letters"));
        m_tabs->tabBar()->setTabTextColor(tab, count > 0 ? QColor(0xb3, 0x59, 0x00) : m_tabs->palette().color(QPalette::WindowText));
    });
    connect(client, &EngineClient::statusUpdated, this, &FunctionsPage::maybeRefresh);
    connect(client, &EngineClient::resourcesChanged, this, [this](const QString &kind) {
        if (kind == QLatin1String("functions") || kind == QLatin1String("dead-letters") || kind == QLatin1String("config"))
            refresh();
    });
    newFunction();
}

FunctionsPage::~FunctionsPage() = default;

JsonRowsModel *FunctionsPage::versions() const
{
    return m_versionsPanel->versions();
}

QString FunctionsPage::defaultCode()
{
    return QStringLiteral(
        "// Runs for every event that matches a trigger.\n"
        "// ctx: upsert(collection, id, doc), remove, get, query, emit(type, subject, data), log, env\n"
        "function handle(event, ctx) {\n"
        "  ctx.log(`${event.type} ${event.subject}`);\n"
        "}\n");
}

QString FunctionsPage::defaultSettings()
{
    return QStringLiteral("{\n  \"triggers\": [\n    {\"type\": \"event\", \"filter\": {\"type\": {\"prefix\": \"products.\"}}}\n  ]\n}\n");
}

void FunctionsPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refresh();
}

void FunctionsPage::maybeRefresh()
{
    if (isVisible() && (!m_sinceRefresh.isValid() || m_sinceRefresh.elapsed() >= kStatsIntervalMs))
        refresh();
}

void FunctionsPage::refresh()
{
    m_deadLetters->refresh();
    if (m_inFlight)
        return;
    m_inFlight = true;
    m_sinceRefresh.start();
    m_client->adminGet("/admin/functions", this, [this](const ClientReply &reply) {
        m_inFlight = false;
        if (!reply.isSuccess()) {
            setMessage(reply.errorText(), true);
            return;
        }
        m_functions->setItems(reply.object().value(QLatin1String("items")).toArray());
        if (!m_selectAfterRefresh.isEmpty()) {
            const int row = m_functions->rowOf(m_selectAfterRefresh);
            if (row >= 0) {
                m_list->selectRow(row);
                m_selectAfterRefresh.clear();
            } else {
                // Deployed while this answer was on its way: ask again.
                m_sinceRefresh.invalidate();
            }
        }
        if (!m_loaded.isEmpty() && m_functions->rowOf(m_loaded) >= 0)
            showStats(m_functions->item(m_functions->rowOf(m_loaded)));
    });
}

QString FunctionsPage::selectedName() const
{
    const QModelIndex current = m_list->selectionModel()->currentIndex();
    return current.isValid() ? m_functions->key(current.row()) : QString();
}

void FunctionsPage::selectionChanged()
{
    const QString name = selectedName();
    if (!name.isEmpty() && name != m_loaded)
        load(name);
}

void FunctionsPage::openFunction(const QString &name)
{
    const int row = m_functions->rowOf(name);
    if (row >= 0) {
        m_list->selectRow(row);
        return;
    }
    m_selectAfterRefresh = name;   // not listed yet
    m_sinceRefresh.invalidate();
    refresh();
}

void FunctionsPage::openDeadLetter(const QString &id)
{
    m_tabs->setCurrentWidget(m_deadLetters);
    m_deadLetters->selectLetter(id);
}

void FunctionsPage::openDeadLettersOfEvent(const QString &eventId)
{
    m_tabs->setCurrentWidget(m_deadLetters);
    m_deadLetters->selectEvent(eventId);
}

void FunctionsPage::newFunction()
{
    m_list->selectionModel()->clearCurrentIndex();
    m_list->clearSelection();
    m_loaded.clear();
    m_test->setFunction({});
    m_name->clear();
    m_code->setPlainText(defaultCode());
    m_settings->setPlainText(defaultSettings());
    m_versionsPanel->showFunction({});
    m_stats->setText(tr("Not deployed yet"));
    m_log->clear();
    m_tabs->setCurrentIndex(0);
    setMessage({}, false);
}

void FunctionsPage::load(const QString &name)
{
    m_loaded = name;
    m_test->setFunction(name);
    m_client->adminGet("/admin/functions/" + EngineClient::encode(name), this, [this, name](const ClientReply &reply) {
        if (name != m_loaded)
            return;
        if (!reply.isSuccess()) {
            setMessage(reply.errorText(), true);
            return;
        }
        showDefinition(reply.object());
        setMessage({}, false);
    });
    m_versionsPanel->showFunction(name);
}

void FunctionsPage::showDefinition(const QJsonObject &function)
{
    m_name->setText(function.value(QLatin1String("name")).toString());
    m_code->setPlainText(function.value(QLatin1String("code")).toString());
    QJsonObject settings = function;
    for (const QString &member : kReadOnlyMembers)
        settings.remove(member);
    m_settings->setPlainText(QString::fromUtf8(QJsonDocument(settings).toJson(QJsonDocument::Indented)));
    showStats(function);
}

void FunctionsPage::showStats(const QJsonObject &function)
{
    // Every member of "stats" is shown, so counters a newer engine adds appear without a change here.
    const QJsonObject stats = function.value(QLatin1String("stats")).toObject();
    const QString name = function.value(QLatin1String("name")).toString();
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const double invocations = stats.value(QLatin1String("invocations")).toDouble();
    const double errors = stats.value(QLatin1String("errors")).toDouble();
    if (name != m_chartedFunction) {
        // Another function: its charts start over.
        m_chartedFunction = name;
        for (MetricChart *chart : {m_invocationsChart, m_errorsChart, m_p99Chart})
            chart->clear();
        m_chartedAtMs = 0;
    }
    // A point per half second at most: answers close together would make rates of noise.
    if (!stats.isEmpty() && (m_chartedAtMs == 0 || now - m_chartedAtMs >= 500)) {
        if (m_chartedAtMs > 0) {
            const double dt = double(now - m_chartedAtMs) / 1000.0;
            m_invocationsChart->addPoint(now, qMax(0.0, invocations - m_chartedInvocations) / dt);
            m_errorsChart->addPoint(now, qMax(0.0, errors - m_chartedErrors) / dt);
            m_p99Chart->addPoint(now, stats.value(QLatin1String("duration_p99_ms")).toDouble());
        }
        m_chartedAtMs = now;
        m_chartedInvocations = invocations;
        m_chartedErrors = errors;
    }
    QStringList lines{tr("<b>%1</b> version %2, deployed %3")
                          .arg(function.value(QLatin1String("name")).toString().toHtmlEscaped())
                          .arg(function.value(QLatin1String("version")).toInteger())
                          .arg(QDateTime::fromMSecsSinceEpoch(function.value(QLatin1String("deployed_at_ms")).toInteger()).toString(Qt::ISODate))};
    for (auto it = stats.begin(); it != stats.end(); ++it) {
        if (it.key() != QLatin1String("recent_logs"))
            lines.append(QStringLiteral("%1: %2").arg(it.key(), JsonRowsModel::displayText(it.value()).toHtmlEscaped()));
    }
    const QJsonObject projection = function.value(QLatin1String("projection")).toObject();
    if (!projection.isEmpty())
        lines.append(tr("event triggers: %1 at position %2, %3 behind %4")
                         .arg(projection.value(QLatin1String("status")).toString())
                         .arg(projection.value(QLatin1String("position")).toInteger())
                         .arg(projection.value(QLatin1String("lag_events")).toInteger())
                         .arg(projection.value(QLatin1String("error")).toString().toHtmlEscaped()));
    m_stats->setText(lines.join(QStringLiteral("<br>")));
    QStringList log;
    for (const QJsonValue &v : stats.value(QLatin1String("recent_logs")).toArray())
        log.append(v.toString());
    if (m_log->toPlainText() != log.join(u'\n'))
        m_log->setPlainText(log.join(u'\n'));
}

void FunctionsPage::deploy()
{
    const QString name = m_name->text().trimmed();
    if (name.isEmpty()) {
        setMessage(tr("Give the function a name first"), true);
        m_name->setFocus();
        return;
    }
    QJsonObject body;
    const QByteArray settingsText = m_settings->toPlainText().trimmed().toUtf8();
    if (!settingsText.isEmpty()) {
        QJsonParseError error;
        const QJsonDocument settings = QJsonDocument::fromJson(settingsText, &error);
        if (error.error != QJsonParseError::NoError) {
            setMessage(tr("Triggers and settings: %1 at offset %2").arg(error.errorString()).arg(error.offset), true);
            return;
        }
        body = settings.isArray() ? QJsonObject{{QStringLiteral("triggers"), settings.array()}} : settings.object();
    }
    for (const QString &member : kReadOnlyMembers)
        body.remove(member);
    body.insert(QStringLiteral("code"), m_code->toPlainText());
    m_code->clearError();
    setMessage(tr("Deploying %1…").arg(name), false);
    m_client->admin("PUT", "/admin/functions/" + EngineClient::encode(name), QJsonDocument(body).toJson(QJsonDocument::Compact), this,
                    [this, name](const ClientReply &reply) {
        const QJsonObject answer = reply.object();
        if (!reply.isSuccess()) {
            const int line = answer.value(QLatin1String("line")).toInt();
            if (line > 0) {
                const QString message = answer.value(QLatin1String("message")).toString();
                m_code->setErrorLine(line, message);
                m_tabs->setCurrentIndex(0);
                setMessage(tr("Not deployed: line %1: %2").arg(line).arg(message), true);
            } else {
                setMessage(tr("Not deployed: %1").arg(reply.errorText()), true);
            }
            return;
        }
        m_loaded = name;
        m_test->setFunction(name);
        m_selectAfterRefresh = name;
        setMessage(tr("Deployed %1 version %2").arg(name).arg(answer.value(QLatin1String("version")).toInteger()), false);
        showStats(answer);
        m_versionsPanel->showFunction(name);
        m_sinceRefresh.invalidate();
        refresh();
    });
}

void FunctionsPage::rolledBack(qint64 fromVersion, const QJsonObject &function)
{
    const QString name = function.value(QLatin1String("name")).toString();
    if (name == m_loaded)
        showDefinition(function);
    setMessage(tr("Rolled %1 back to version %2: now version %3").arg(name).arg(fromVersion).arg(function.value(QLatin1String("version")).toInteger()), false);
    refresh();
}

void FunctionsPage::removeSelected()
{
    const QString name = selectedName();
    if (name.isEmpty())
        return;
    if (QMessageBox::question(this, tr("Delete function"), tr("Delete %1 and all its versions?").arg(name)) != QMessageBox::Yes)
        return;
    m_client->admin("DELETE", "/admin/functions/" + EngineClient::encode(name), {}, this, [this, name](const ClientReply &reply) {
        setMessage(reply.isSuccess() ? tr("Deleted %1").arg(name) : reply.errorText(), !reply.isSuccess());
        if (reply.isSuccess() && m_loaded == name)
            newFunction();
        refresh();
    });
}

void FunctionsPage::setMessage(const QString &text, bool error)
{
    m_message->setText(text);
    m_message->setStyleSheet(error ? QStringLiteral("color: #b71c1c;") : QString());
}

} // namespace Gatehouse::Ui
