#include "projectionspage.h"

#include "engineclient.h"
#include "models/projectiontablemodel.h"
#include "widgets/parkedeventspanel.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLocale>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace Gatehouse::Ui {

namespace {
constexpr int kMinRefreshMs = 250;
constexpr int kProgressSteps = 1000;
constexpr int kActionMessageMs = 10000;   // how long a message about a finished action stays
} // namespace

ProjectionsPage::ProjectionsPage(EngineClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
    , m_model(new ProjectionTableModel(this))
{
    setObjectName(QStringLiteral("projectionsPage"));
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("projectionTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);

    m_pause = new QPushButton(tr("Pause"), this);
    m_pause->setObjectName(QStringLiteral("projectionPause"));
    m_resume = new QPushButton(tr("Resume"), this);
    m_resume->setObjectName(QStringLiteral("projectionResume"));
    m_resume->setToolTip(tr("Continue a paused projection, or retry a faulted one from its checkpoint"));
    m_rebuild = new QPushButton(tr("Rebuild"), this);
    m_rebuild->setObjectName(QStringLiteral("projectionRebuild"));
    m_rebuild->setToolTip(tr("Drop the read model and replay the whole event log into it"));
    m_skip = new QPushButton(tr("Skip event"), this);
    m_skip->setObjectName(QStringLiteral("projectionSkip"));
    m_skip->setToolTip(tr("Park the event this projection cannot apply and go on without it (also in rebuilds); "
                          "it can be released later"));
    m_parked = new ParkedEventsPanel(client, this);
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("projectionProgress"));
    m_progress->setRange(0, kProgressSteps);
    m_progress->setValue(kProgressSteps);
    m_progress->setFormat(tr("No projection selected"));
    m_fault = new QLabel(this);
    m_fault->setObjectName(QStringLiteral("projectionFault"));
    m_fault->setWordWrap(true);
    m_fault->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_fault->setStyleSheet(QStringLiteral("color: #b71c1c;"));
    m_fault->hide();
    m_action = new QLabel(this);
    m_action->setObjectName(QStringLiteral("projectionActionStatus"));
    m_action->setWordWrap(true);
    m_actionExpiry = new QTimer(this);
    m_actionExpiry->setSingleShot(true);
    m_actionExpiry->setInterval(kActionMessageMs);
    connect(m_actionExpiry, &QTimer::timeout, m_action, &QLabel::clear);

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_pause);
    buttons->addWidget(m_resume);
    buttons->addWidget(m_rebuild);
    buttons->addWidget(m_skip);
    buttons->addWidget(m_progress, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_table, 3);
    layout->addLayout(buttons);
    layout->addWidget(m_fault);
    layout->addWidget(m_action);
    layout->addWidget(m_parked, 1);

    connect(m_pause, &QPushButton::clicked, this, [this] { act(QStringLiteral("pause")); });
    connect(m_resume, &QPushButton::clicked, this, [this] { act(QStringLiteral("resume")); });
    connect(m_rebuild, &QPushButton::clicked, this, &ProjectionsPage::confirmRebuild);
    connect(m_skip, &QPushButton::clicked, this, [this] { act(QStringLiteral("skip")); });
    connect(m_parked, &ParkedEventsPanel::openRequested, this, &ProjectionsPage::openRequested);
    connect(m_parked, &ParkedEventsPanel::changed, this, [this] {
        m_sinceRefresh.invalidate();
        refresh();
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &ProjectionsPage::updateSelection);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &ProjectionsPage::updateSelection);
    connect(client, &EngineClient::statusUpdated, this, &ProjectionsPage::maybeRefresh);
    updateSelection();
}

ProjectionsPage::~ProjectionsPage() = default;

void ProjectionsPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refresh();
}

void ProjectionsPage::maybeRefresh()
{
    // Nobody watches a hidden page; a visible one asks at most every kMinRefreshMs.
    if (!isVisible() || m_inFlight || (m_sinceRefresh.isValid() && m_sinceRefresh.elapsed() < kMinRefreshMs))
        return;
    refresh();
}

void ProjectionsPage::refresh()
{
    if (m_inFlight)
        return;
    m_inFlight = true;
    m_sinceRefresh.start();
    m_client->adminGet("/admin/projections", this, [this](const ClientReply &reply) {
        m_inFlight = false;
        if (!reply.isSuccess()) {
            m_action->setText(tr("Projections: %1").arg(reply.errorText()));
            return;
        }
        applyList(reply.object().value(QLatin1String("items")).toArray());
    });
}

void ProjectionsPage::applyList(const QJsonArray &items)
{
    m_model->setItems(items);
    if (!m_table->selectionModel()->currentIndex().isValid() && m_model->rowCount() > 0)
        m_table->selectRow(0);
    // A rebuild is done when the projection left "rebuilding" (or was never seen in it, for a
    // short log, after two answers) and has caught up.
    for (auto it = m_rebuilds.begin(); it != m_rebuilds.end();) {
        const QJsonObject p = m_model->item(m_model->rowOf(it.key()));
        const QString status = p.value(QLatin1String("status")).toString();
        ++it->answersSince;
        if (status == QLatin1String("rebuilding")) {
            it->seenRebuilding = true;
        } else if (status == QLatin1String("faulted")) {
            m_action->setText(tr("Rebuild of %1 stopped: %2").arg(it.key(), ProjectionTableModel::faultText(p)));
            it = m_rebuilds.erase(it);
            continue;
        } else if ((it->seenRebuilding || it->answersSince >= 2) && status == QLatin1String("running")
                   && p.value(QLatin1String("lag_events")).toInteger() == 0) {
            showAction(tr("Rebuilt %1: %2 events replayed")
                                  .arg(it.key(), QLocale().toString(p.value(QLatin1String("position")).toInteger())),
                       true);
            it = m_rebuilds.erase(it);
            continue;
        }
        ++it;
    }
    updateSelection();
}

QString ProjectionsPage::selectedName() const
{
    const QModelIndex current = m_table->selectionModel()->currentIndex();
    return current.isValid() ? m_model->key(current.row()) : QString();
}

// A rebuild drops the read model (reads see it fill again): asked first, as deleting is.
void ProjectionsPage::confirmRebuild()
{
    const QString name = selectedName();
    if (name.isEmpty())
        return;
    auto *confirm = new QMessageBox(QMessageBox::Question, tr("Rebuild projection"),
                                    tr("Rebuild %1? Its read model is dropped and the whole event log replayed into it; "
                                       "queries answer from the partial read model until it is done.").arg(name),
                                    QMessageBox::Yes | QMessageBox::Cancel, this);
    confirm->setObjectName(QStringLiteral("projectionRebuildConfirm"));
    confirm->setAttribute(Qt::WA_DeleteOnClose);
    confirm->setDefaultButton(QMessageBox::Cancel);
    connect(confirm, &QMessageBox::buttonClicked, this, [this, confirm, name](QAbstractButton *button) {
        if (confirm->standardButton(button) == QMessageBox::Yes && selectedName() == name)
            act(QStringLiteral("rebuild"));
    });
    confirm->open();
}

void ProjectionsPage::showAction(const QString &text, bool expires)
{
    m_action->setText(text);
    // A message about something finished goes after a while; one about what is under way stays.
    if (expires)
        m_actionExpiry->start();
    else
        m_actionExpiry->stop();
}

void ProjectionsPage::act(const QString &action)
{
    const QString name = selectedName();
    if (name.isEmpty())
        return;
    const QByteArray target = "/admin/projections/" + EngineClient::encode(name) + '/' + action.toUtf8();
    showAction(tr("%1: %2 requested…").arg(name, action), false);
    m_client->admin("POST", target, {}, this, [this, name, action](const ClientReply &reply) {
        if (!reply.isSuccess()) {
            showAction(tr("%1: %2 failed: %3").arg(name, action, reply.errorText()), false);
            return;
        }
        if (action == QLatin1String("rebuild")) {
            m_rebuilds.insert(name, PendingRebuild{});
            showAction(tr("Rebuilding %1…").arg(name), false);
        } else if (action == QLatin1String("skip")) {
            const QJsonObject parked = reply.object().value(QLatin1String("parked")).toObject();
            showAction(tr("%1: parked the event at position %2 (%3); the projection goes on without it")
                           .arg(name, QString::number(parked.value(QLatin1String("position")).toInteger()),
                                parked.value(QLatin1String("event_id")).toString()),
                       true);
            m_parked->refresh();
        } else {
            showAction(tr("%1: %2 accepted").arg(name, action), true);
        }
        m_sinceRefresh.invalidate();
        refresh();
    });
}

void ProjectionsPage::updateSelection()
{
    const QString name = selectedName();
    const QJsonObject p = m_model->item(m_model->rowOf(name));
    const QString status = p.value(QLatin1String("status")).toString();
    m_pause->setEnabled(status == QLatin1String("running") || status == QLatin1String("catching_up") || status == QLatin1String("rebuilding"));
    m_resume->setEnabled(status == QLatin1String("paused") || status == QLatin1String("faulted"));
    m_rebuild->setEnabled(!name.isEmpty());
    m_skip->setEnabled(status == QLatin1String("faulted") && p.value(QLatin1String("fault_position")).toInteger() > 0);
    m_parked->setProjection(name);
    const qint64 parkedCount = p.value(QLatin1String("parked_events")).toInteger();
    if (parkedCount != m_parkedCount) {   // parked or released elsewhere (admin API)
        m_parkedCount = parkedCount;
        m_parked->refresh();
    }

    const QString fault = ProjectionTableModel::faultText(p);
    m_fault->setVisible(!fault.isEmpty());
    m_fault->setText(fault.isEmpty() ? QString() : tr("%1 is faulted: %2").arg(name, fault));

    if (name.isEmpty()) {
        m_progress->setValue(kProgressSteps);
        m_progress->setFormat(tr("No projection selected"));
        return;
    }
    const qint64 position = p.value(QLatin1String("position")).toInteger();
    const qint64 head = p.value(QLatin1String("head")).toInteger();
    const double progress = p.value(QLatin1String("progress")).toDouble(1.0);
    const QLocale locale;
    if (status == QLatin1String("rebuilding")) {
        const qint64 target = p.value(QLatin1String("rebuild_target")).toInteger(head);
        // The checkpoint moves only when the rebuild is written at its end: what was replayed so
        // far is the progress of the target.
        const qint64 done = qBound<qint64>(0, qint64(progress * double(target)), target);
        m_progress->setValue(int(progress * kProgressSteps));
        m_progress->setFormat(tr("Rebuilding: %1 of %2 events (%p%)").arg(locale.toString(done), locale.toString(target)));
    } else if (position < head) {
        m_progress->setValue(head > 0 ? int(double(position) / double(head) * kProgressSteps) : 0);
        m_progress->setFormat(tr("%1: %2 of %3 events (%p%)").arg(status, locale.toString(position), locale.toString(head)));
    } else {
        m_progress->setValue(kProgressSteps);
        m_progress->setFormat(tr("%1: current at %2").arg(status, locale.toString(position)));
    }
}

} // namespace Gatehouse::Ui
