#include "simulationpage.h"

#include "engineclient.h"
#include "models/simulationrunsmodel.h"
#include "models/simulationrunwatcher.h"
#include "widgets/runcomparisonview.h"
#include "widgets/runhistorypanel.h"
#include "widgets/runview.h"
#include "widgets/scenarioeditor.h"

#include <QHBoxLayout>
#include <QJsonDocument>
#include <QJsonArray>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

namespace Gatehouse::Ui {

namespace {

QString s(const char *latin1)
{
    return QString::fromLatin1(latin1);
}

// What New starts from: a light scenario that runs as it is against the default project.
QJsonObject newScenarioTemplate(const QString &name)
{
    return QJsonObject{
        {s("name"), name},
        {s("description"), QString()},
        {s("seed"), 1},
        {s("duration"), s("10s")},
        {s("workloads"), QJsonArray{QJsonObject{
                             {s("name"), s("clients")},
                             {s("executor"), s("constant-arrival-rate")},
                             {s("rate"), 20},
                             {s("time_unit"), s("1s")},
                             {s("pre_allocated_vus"), 5},
                             {s("max_vus"), 20},
                             {s("operations"), QJsonArray{QJsonObject{{s("op"), s("create")}, {s("collection"), s("products")}, {s("weight"), 1}},
                                                          QJsonObject{{s("op"), s("get")}, {s("collection"), s("products")}, {s("weight"), 4}}}},
                         }}},
        {s("thresholds"), QJsonObject{{s("errors"), QJsonArray{s("rate<0.01")}}}},
    };
}

} // namespace

SimulationPage::SimulationPage(EngineClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
    , m_watcher(new SimulationRunWatcher(client, this))
{
    setObjectName(QStringLiteral("simulationPage"));
    m_list = new QListWidget(this);
    m_list->setObjectName(QStringLiteral("scenarioList"));
    auto *add = new QPushButton(tr("New"), this);
    add->setObjectName(QStringLiteral("scenarioNew"));
    m_duplicate = new QPushButton(tr("Duplicate"), this);
    m_duplicate->setObjectName(QStringLiteral("scenarioDuplicate"));
    m_delete = new QPushButton(tr("Delete"), this);
    m_delete->setObjectName(QStringLiteral("scenarioDelete"));
    auto *listButtons = new QHBoxLayout;
    listButtons->addWidget(add);
    listButtons->addWidget(m_duplicate);
    listButtons->addWidget(m_delete);
    auto *left = new QWidget(this);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(m_list, 1);
    leftLayout->addLayout(listButtons);

    m_save = new QPushButton(tr("Save"), this);
    m_save->setObjectName(QStringLiteral("scenarioSave"));
    m_start = new QPushButton(tr("Start"), this);
    m_start->setObjectName(QStringLiteral("simulationStart"));
    m_start->setToolTip(tr("Save the scenario if it changed, then run it against its target"));
    m_stop = new QPushButton(tr("Stop"), this);
    m_stop->setObjectName(QStringLiteral("simulationStop"));
    m_stop->setToolTip(tr("End the run now; what it measured so far is kept"));
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("simulationMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *bar = new QHBoxLayout;
    bar->addWidget(m_save);
    bar->addWidget(m_start);
    bar->addWidget(m_stop);
    bar->addWidget(m_message, 1);

    m_editor = new ScenarioEditor(this);
    m_live = new RunView(this);
    m_live->setObjectName(QStringLiteral("liveRun"));
    m_history = new RunHistoryPanel(client, this);
    m_compare = new RunComparisonView(this);
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("simulationTabs"));
    m_tabs->addTab(m_editor, tr("Scenario"));
    m_tabs->addTab(m_live, tr("Run"));
    m_tabs->addTab(m_history, tr("History"));
    m_tabs->addTab(m_compare, tr("Compare"));
    auto *right = new QWidget(this);
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addLayout(bar);
    rightLayout->addWidget(m_tabs, 1);

    auto *split = new QSplitter(this);
    split->addWidget(left);
    split->addWidget(right);
    split->setStretchFactor(1, 1);
    split->setSizes({220, 1000});
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(split);

    connect(m_watcher, &SimulationRunWatcher::snapshot, m_live, &RunView::update);
    connect(m_watcher, &SimulationRunWatcher::ended, this, &SimulationPage::runEnding);
    connect(m_watcher, &SimulationRunWatcher::failed, this, [this](const QString &text) { setMessage(text, true); });
    // While the page is seen, the history follows runs started elsewhere (the admin API,
    // `gatehouse simulate` against this engine, another console).
    m_historyTimer = new QTimer(this);
    m_historyTimer->setInterval(kHistoryRefreshMs);
    connect(m_historyTimer, &QTimer::timeout, this, [this] {
        if (isVisible())
            m_history->refresh();
    });
    m_historyTimer->start();
    connect(add, &QPushButton::clicked, this, &SimulationPage::newScenario);
    connect(m_duplicate, &QPushButton::clicked, this, &SimulationPage::duplicateScenario);
    connect(m_delete, &QPushButton::clicked, this, &SimulationPage::deleteScenario);
    connect(m_save, &QPushButton::clicked, this, &SimulationPage::save);
    connect(m_start, &QPushButton::clicked, this, &SimulationPage::start);
    connect(m_stop, &QPushButton::clicked, this, &SimulationPage::stop);
    connect(m_list, &QListWidget::currentTextChanged, this, [this](const QString &name) {
        if (!name.isEmpty() && name != m_current)
            loadScenario(name);
    });
    connect(m_editor, &ScenarioEditor::changed, this, &SimulationPage::updateButtons);
    connect(m_history, &RunHistoryPanel::message, this, &SimulationPage::setMessage);
    connect(m_history, &RunHistoryPanel::comparisonReady, this, [this](const QJsonObject &a, const QJsonObject &b) {
        m_compare->setRuns(a, b);
        m_tabs->setCurrentIndex(CompareTab);
    });
    connect(m_history, &RunHistoryPanel::refreshed, this, [this] {
        // A run started elsewhere (the admin API, another console) is watched here too.
        if (m_watcher->isWatching() || m_starting)
            return;
        const QJsonObject newest = m_history->model()->run(0);
        if (newest.value(s("state")).toString() == QLatin1String("running"))
            watch(newest.value(s("id")).toString(), {});
    });
    updateButtons();
}

SimulationPage::~SimulationPage() = default;

void SimulationPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refresh();
}

void SimulationPage::refresh()
{
    refreshScenarios();
    m_history->refresh();
}

void SimulationPage::refreshScenarios()
{
    if (m_listInFlight) {
        // Sent again when the one on its way answers: that answer may predate a save.
        m_listAgain = true;
        return;
    }
    m_listInFlight = true;
    m_listAgain = false;
    m_client->adminGet("/admin/scenarios", this, [this](const ClientReply &reply) {
        m_listInFlight = false;
        if (m_listAgain) {
            refreshScenarios();
            return;
        }
        if (!reply.isSuccess()) {
            setMessage(tr("Scenarios: %1").arg(reply.errorText()), true);
            return;
        }
        QStringList names;
        for (const QJsonValue &v : reply.object().value(s("items")).toArray())
            names.append(v.toObject().value(s("name")).toString());
        names.sort();
        QSignalBlocker blocker(m_list);
        m_list->clear();
        m_list->addItems(names);
        const QList<QListWidgetItem *> current = m_list->findItems(m_current, Qt::MatchExactly);
        if (!current.isEmpty())
            m_list->setCurrentItem(current.constFirst());
        blocker.unblock();
        if (m_current.isEmpty() && !m_editor->isModified() && !names.isEmpty())
            selectScenario(names.constFirst());
        updateButtons();
    });
}

void SimulationPage::selectScenario(const QString &name)
{
    const QList<QListWidgetItem *> items = m_list->findItems(name, Qt::MatchExactly);
    if (!items.isEmpty())
        m_list->setCurrentItem(items.constFirst());   // loads it
    if (m_current != name)
        loadScenario(name);
}

void SimulationPage::loadScenario(const QString &name)
{
    m_current = name;
    m_client->adminGet("/admin/scenarios/" + EngineClient::encode(name), this, [this, name](const ClientReply &reply) {
        if (m_current != name)
            return;
        if (!reply.isSuccess()) {
            setMessage(tr("Scenario %1: %2").arg(name, reply.errorText()), true);
            return;
        }
        QJsonObject document = reply.object();
        document.remove(s("create_time"));   // the store's, not the author's
        document.remove(s("update_time"));
        m_editor->setDocument(document);
        setMessage({});
        updateButtons();
    });
    updateButtons();
}

QString SimulationPage::uniqueName(const QString &base) const
{
    QString name = base;
    for (int n = 2; !m_list->findItems(name, Qt::MatchExactly).isEmpty(); ++n)
        name = QStringLiteral("%1-%2").arg(base).arg(n);
    return name;
}

void SimulationPage::newScenario()
{
    m_current.clear();
    m_list->setCurrentItem(nullptr);
    m_editor->setDocument(newScenarioTemplate(uniqueName(QStringLiteral("scenario"))));
    m_editor->setModified(true);
    m_tabs->setCurrentIndex(ScenarioTab);
    setMessage(tr("A new scenario: Save stores it under its name."));
    updateButtons();
}

void SimulationPage::duplicateScenario()
{
    QJsonObject document = m_editor->document();
    const QString base = document.value(s("name")).toString();
    document.insert(s("name"), uniqueName((base.isEmpty() ? QStringLiteral("scenario") : base) + QStringLiteral("-copy")));
    m_current.clear();
    m_list->setCurrentItem(nullptr);
    m_editor->setDocument(document);
    m_editor->setModified(true);
    m_tabs->setCurrentIndex(ScenarioTab);
    setMessage(tr("A copy: Save stores it under its new name."));
    updateButtons();
}

void SimulationPage::deleteScenario()
{
    const QString name = m_current;
    if (name.isEmpty())
        return;
    auto *confirm = new QMessageBox(QMessageBox::Question, tr("Delete scenario"),
                                    tr("Delete scenario %1? Its past runs are kept.").arg(name),
                                    QMessageBox::Yes | QMessageBox::Cancel, this);
    confirm->setObjectName(QStringLiteral("scenarioDeleteConfirm"));
    confirm->setAttribute(Qt::WA_DeleteOnClose);
    connect(confirm, &QMessageBox::buttonClicked, this, [this, confirm, name](QAbstractButton *clicked) {
        if (confirm->standardButton(clicked) != QMessageBox::Yes)
            return;
        m_client->admin(QByteArrayLiteral("DELETE"), "/admin/scenarios/" + EngineClient::encode(name), {}, this,
                        [this, name](const ClientReply &reply) {
            if (!reply.isSuccess()) {
                setMessage(tr("Cannot delete %1: %2").arg(name, reply.errorText()), true);
                return;
            }
            if (m_current == name) {
                m_current.clear();
                m_editor->setDocument({});
            }
            setMessage(tr("Scenario %1 deleted.").arg(name));
            refreshScenarios();
        });
    });
    confirm->open();
}

void SimulationPage::save()
{
    saveThen([](bool) {});
}

void SimulationPage::saveThen(const std::function<void(bool saved)> &next)
{
    if (!m_editor->textParses()) {
        setMessage(tr("The JSON text does not parse; fix it before saving."), true);
        next(false);
        return;
    }
    const QJsonObject document = m_editor->document();
    const QString name = document.value(s("name")).toString();
    if (name.isEmpty()) {
        m_editor->showErrors({QStringLiteral("/name: a stored scenario needs a name")});
        setMessage(tr("The scenario needs a name."), true);
        next(false);
        return;
    }
    m_client->admin(QByteArrayLiteral("PUT"), "/admin/scenarios/" + EngineClient::encode(name),
                    QJsonDocument(document).toJson(QJsonDocument::Compact), this, [this, name, next](const ClientReply &reply) {
        if (reply.status == 400) {
            QStringList errors;
            for (const QJsonValue &e : reply.object().value(s("errors")).toArray())
                errors.append(e.toString());
            if (errors.isEmpty())
                errors.append(reply.errorText());
            m_editor->showErrors(errors);
            setMessage(tr("%1 was not saved: %n error(s).", nullptr, int(errors.size())).arg(name), true);
            next(false);
            return;
        }
        if (!reply.isSuccess()) {
            setMessage(tr("Cannot save %1: %2").arg(name, reply.errorText()), true);
            next(false);
            return;
        }
        m_editor->clearErrors();
        m_editor->setModified(false);
        m_current = name;
        setMessage(tr("Scenario %1 saved.").arg(name));
        refreshScenarios();
        next(true);
    });
}

void SimulationPage::start()
{
    if (m_watcher->isWatching() || m_starting)
        return;
    m_starting = true;
    updateButtons();
    if (m_editor->isModified() || m_current.isEmpty()) {
        saveThen([this](bool saved) {
            if (saved) {
                run(m_current);
            } else {
                m_starting = false;
                updateButtons();
            }
        });
        return;
    }
    run(m_current);
}

void SimulationPage::run(const QString &name)
{
    const QJsonObject scenario = m_editor->document();
    m_client->admin(QByteArrayLiteral("POST"), "/admin/scenarios/" + EngineClient::encode(name) + "/run", {}, this,
                    [this, name, scenario](const ClientReply &reply) {
        m_starting = false;
        if (reply.status == 400) {
            QStringList errors;
            for (const QJsonValue &e : reply.object().value(s("errors")).toArray())
                errors.append(e.toString());
            m_editor->showErrors(errors);
        }
        if (!reply.isSuccess()) {
            setMessage(tr("Cannot start %1: %2").arg(name, reply.errorText()), true);
            updateButtons();
            return;
        }
        const QJsonObject first = reply.object();
        m_live->begin(scenario);
        watch(first.value(s("id")).toString(), first);
        m_tabs->setCurrentIndex(RunTab);
        m_history->refresh();
    });
}

void SimulationPage::watch(const QString &runId, const QJsonObject &first)
{
    if (runId.isEmpty())
        return;
    if (!first.isEmpty())
        m_live->update(first);
    setMessage(tr("Run %1 is running.").arg(runId));
    m_watcher->watch(runId);
    updateButtons();
}

void SimulationPage::runEnding(const QString &id, const QString &state)
{
    const bool passed = m_live->run().value(s("passed")).toBool(true);
    if (state == QLatin1String("deleted"))
        setMessage(tr("Run %1 was deleted while it was shown.").arg(id), true);
    else
        setMessage(tr("Run %1 %2; thresholds %3.").arg(id, state, passed ? tr("passed") : tr("failed")),
                   !passed || state == QLatin1String("failed"));
    m_history->refresh();
    updateButtons();
    Q_EMIT runEnded(id, state);
}

void SimulationPage::stop()
{
    m_watcher->stop();
}

void SimulationPage::setMessage(const QString &text, bool error)
{
    m_message->setText(text);
    m_message->setStyleSheet(error ? QStringLiteral("color: #b71c1c;") : QString());
}

QString SimulationPage::liveRunId() const
{
    return m_watcher->runId();
}

QString SimulationPage::message() const
{
    return m_message->text();
}

void SimulationPage::updateButtons()
{
    const bool running = m_watcher->isWatching() || m_starting;
    m_duplicate->setEnabled(!m_editor->document().isEmpty());
    m_delete->setEnabled(!m_current.isEmpty());
    m_save->setEnabled(!m_editor->document().isEmpty());
    m_start->setEnabled(!running && !m_editor->document().isEmpty());
    m_stop->setEnabled(m_watcher->isWatching());
}

} // namespace Gatehouse::Ui
