#include "runhistorypanel.h"

#include "engineclient.h"
#include "models/simulationrunsmodel.h"
#include "runview.h"

#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QJsonArray>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>
#include <memory>

namespace Gatehouse::Ui {

RunHistoryPanel::RunHistoryPanel(EngineClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
    , m_model(new SimulationRunsModel(this))
{
    setObjectName(QStringLiteral("runHistory"));
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("runHistoryTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_detail = new RunView(this);
    m_detail->setObjectName(QStringLiteral("runHistoryDetail"));

    auto *refresh = new QPushButton(tr("Refresh"), this);
    m_delete = new QPushButton(tr("Delete"), this);
    m_delete->setObjectName(QStringLiteral("runDelete"));
    m_compare = new QPushButton(tr("Compare"), this);
    m_compare->setObjectName(QStringLiteral("runCompare"));
    m_compare->setToolTip(tr("Select two runs (Ctrl+click) to see them side by side"));
    m_export = new QPushButton(tr("Export"), this);
    m_export->setObjectName(QStringLiteral("runExport"));
    auto *menu = new QMenu(m_export);
    menu->addAction(tr("Report as JSON…"), this, [this] { exportWithDialog(RunExport::Format::Json); });
    menu->addAction(tr("Operations as CSV…"), this, [this] { exportWithDialog(RunExport::Format::OperationsCsv); });
    menu->addAction(tr("Series as CSV…"), this, [this] { exportWithDialog(RunExport::Format::SeriesCsv); });
    menu->addAction(tr("Report image (PNG)…"), this, [this] { exportWithDialog(RunExport::Format::Image); });
    m_export->setMenu(menu);

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(refresh);
    buttons->addWidget(m_delete);
    buttons->addWidget(m_compare);
    buttons->addWidget(m_export);
    buttons->addStretch(1);
    auto *top = new QWidget(this);
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addWidget(m_table, 1);
    topLayout->addLayout(buttons);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(top);
    split->addWidget(m_detail);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 3);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);

    connect(refresh, &QPushButton::clicked, this, &RunHistoryPanel::refresh);
    connect(m_delete, &QPushButton::clicked, this, &RunHistoryPanel::deleteSelected);
    connect(m_compare, &QPushButton::clicked, this, &RunHistoryPanel::compareSelected);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, &RunHistoryPanel::selectionChanged);
    selectionChanged();
}

RunHistoryPanel::~RunHistoryPanel() = default;

void RunHistoryPanel::refresh()
{
    if (m_inFlight) {
        m_again = true;
        return;
    }
    m_inFlight = true;
    m_again = false;
    m_client->adminGet("/admin/runs", this, [this](const ClientReply &reply) {
        m_inFlight = false;
        if (m_again) {
            refresh();
            return;
        }
        if (!reply.isSuccess()) {
            Q_EMIT message(tr("Runs: %1").arg(reply.errorText()), true);
            return;
        }
        m_model->setRuns(reply.object().value(QStringLiteral("items")).toArray());
        selectionChanged();
        Q_EMIT refreshed();
    });
}

QStringList RunHistoryPanel::selectedIds() const
{
    QList<int> rows;
    for (const QModelIndex &index : m_table->selectionModel()->selectedRows())
        rows.append(index.row());
    std::sort(rows.begin(), rows.end());
    QStringList ids;
    for (int row : rows)
        ids.append(m_model->id(row));
    return ids;
}

void RunHistoryPanel::selectRun(const QString &id)
{
    selectRuns({id});
}

void RunHistoryPanel::selectRuns(const QStringList &ids)
{
    QItemSelection selection;
    for (const QString &id : ids) {
        const int row = m_model->rowOf(id);
        if (row >= 0)
            selection.select(m_model->index(row, 0), m_model->index(row, SimulationRunsModel::ColumnCount - 1));
    }
    m_table->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
}

void RunHistoryPanel::selectionChanged()
{
    const QStringList ids = selectedIds();
    const QString state = ids.size() == 1 ? m_model->run(m_model->rowOf(ids.constFirst())).value(QStringLiteral("state")).toString() : QString();
    m_delete->setEnabled(ids.size() == 1 && state != QLatin1String("running"));
    m_compare->setEnabled(ids.size() == 2);
    m_export->setEnabled(ids.size() == 1 && m_report.value(QStringLiteral("id")).toString() == ids.constFirst());
    if (ids.size() != 1)
        return;
    // A finished run's report does not change: load it once; a running one on each refresh.
    if (ids.constFirst() != m_report.value(QStringLiteral("id")).toString() || state == QLatin1String("running")
        || m_report.value(QStringLiteral("state")).toString() == QLatin1String("running"))
        loadDetail(ids.constFirst());
}

void RunHistoryPanel::loadDetail(const QString &id)
{
    if (m_loading == id)
        return;
    m_loading = id;
    m_client->adminGet("/admin/runs/" + EngineClient::encode(id), this, [this, id](const ClientReply &reply) {
        if (m_loading == id)
            m_loading.clear();
        if (!reply.isSuccess()) {
            Q_EMIT message(tr("Run %1: %2").arg(id, reply.errorText()), true);
            return;
        }
        const QStringList ids = selectedIds();
        if (ids.size() != 1 || ids.constFirst() != id)
            return;   // the selection moved on meanwhile
        m_report = reply.object();
        m_detail->update(m_report);
        m_export->setEnabled(true);
    });
}

void RunHistoryPanel::compareSelected()
{
    const QStringList ids = selectedIds();
    if (ids.size() != 2)
        return;
    // Newest first in the table: the older run is A.
    struct Pair
    {
        QJsonObject a, b;
        int answers = 0;
        bool failed = false;
    };
    auto pair = std::make_shared<Pair>();
    for (int i = 0; i < 2; ++i) {
        const QString id = ids.at(1 - i);
        m_client->adminGet("/admin/runs/" + EngineClient::encode(id), this, [this, pair, i, id](const ClientReply &reply) {
            if (!reply.isSuccess()) {
                pair->failed = true;
                Q_EMIT message(tr("Run %1: %2").arg(id, reply.errorText()), true);
            }
            (i == 0 ? pair->a : pair->b) = reply.object();
            if (++pair->answers == 2 && !pair->failed)
                Q_EMIT comparisonReady(pair->a, pair->b);
        });
    }
}

void RunHistoryPanel::deleteSelected()
{
    const QStringList ids = selectedIds();
    if (ids.size() != 1)
        return;
    const QString id = ids.constFirst();
    auto *confirm = new QMessageBox(QMessageBox::Question, tr("Delete run"),
                                    tr("Delete run %1 and everything it measured?").arg(id),
                                    QMessageBox::Yes | QMessageBox::Cancel, this);
    confirm->setObjectName(QStringLiteral("runDeleteConfirm"));
    confirm->setAttribute(Qt::WA_DeleteOnClose);
    connect(confirm, &QMessageBox::buttonClicked, this, [this, confirm, id](QAbstractButton *clicked) {
        if (confirm->standardButton(clicked) != QMessageBox::Yes)
            return;
        m_client->admin(QByteArrayLiteral("DELETE"), "/admin/runs/" + EngineClient::encode(id), {}, this,
                        [this, id](const ClientReply &reply) {
            if (!reply.isSuccess()) {
                Q_EMIT message(tr("Cannot delete run %1: %2").arg(id, reply.errorText()), true);
                return;
            }
            if (m_report.value(QStringLiteral("id")).toString() == id) {
                m_report = {};
                m_detail->clear();
            }
            Q_EMIT message(tr("Run %1 deleted.").arg(id), false);
            refresh();
        });
    });
    confirm->open();
}

bool RunHistoryPanel::exportReport(RunExport::Format format, const QString &path, QString *error)
{
    if (m_report.isEmpty()) {
        if (error)
            *error = tr("no run selected");
        return false;
    }
    return RunExport::write(m_report, format, path, error);
}

void RunHistoryPanel::exportWithDialog(RunExport::Format format)
{
    if (m_report.isEmpty())
        return;
    auto *dialog = new QFileDialog(this, tr("Export run"), RunExport::suggestedName(m_report, format), RunExport::fileFilter(format));
    dialog->setObjectName(QStringLiteral("runExportDialog"));
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QFileDialog::fileSelected, this, [this, format](const QString &path) {
        QString error;
        if (exportReport(format, path, &error))
            Q_EMIT message(tr("Exported to %1.").arg(path), false);
        else
            Q_EMIT message(tr("Cannot write %1: %2").arg(path, error), true);
    });
    dialog->open();
}

} // namespace Gatehouse::Ui
