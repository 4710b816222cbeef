#include "functionversionspanel.h"

#include "engineclient.h"
#include "models/jsonrowsmodel.h"
#include "models/linediff.h"
#include "widgets/jscodeeditor.h"

#include <QComboBox>
#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace Gatehouse::Ui {

namespace {
QList<JsonRowsModel::Column> columns()
{
    using C = JsonRowsModel::Column;
    return {
        C{QObject::tr("Version"), QStringLiteral("version")},
        C{QObject::tr("Deployed"), QString(), [](const QJsonObject &row) -> QVariant {
              return QDateTime::fromMSecsSinceEpoch(row.value(QLatin1String("deployed_at_ms")).toInteger()).toString(Qt::ISODate);
          }},
        C{QObject::tr("Rolled back from"), QStringLiteral("rolled_back_from")},
    };
}
} // namespace

FunctionVersionsPanel::FunctionVersionsPanel(EngineClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
    , m_model(new JsonRowsModel(QStringLiteral("version"), columns(), this))
{
    setObjectName(QStringLiteral("functionVersionsPanel"));
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("functionVersions"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_code = new JsCodeEditor(this);
    m_code->setObjectName(QStringLiteral("functionVersionCode"));
    m_code->setReadOnly(true);
    m_rollback = new QPushButton(tr("Roll back to this version"), this);
    m_rollback->setObjectName(QStringLiteral("functionRollback"));
    m_rollback->setEnabled(false);
    m_compare = new QComboBox(this);
    m_compare->setObjectName(QStringLiteral("functionVersionCompare"));
    m_compare->setToolTip(tr("Show what changed from that version to the selected one"));
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_table);
    split->addWidget(m_code);
    auto *bottom = new QHBoxLayout;
    bottom->addWidget(m_rollback);
    bottom->addStretch(1);
    bottom->addWidget(new QLabel(tr("Compare with"), this));
    bottom->addWidget(m_compare);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(split, 1);
    layout->addLayout(bottom);

    connect(m_rollback, &QPushButton::clicked, this, &FunctionVersionsPanel::rollback);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &FunctionVersionsPanel::showSelected);
    connect(m_compare, &QComboBox::currentIndexChanged, this, &FunctionVersionsPanel::showSelected);
}

FunctionVersionsPanel::~FunctionVersionsPanel() = default;

void FunctionVersionsPanel::compareWith(qint64 version)
{
    m_compare->setCurrentIndex(qMax(0, m_compare->findData(version)));
}

QString FunctionVersionsPanel::shownText() const
{
    return m_code->toPlainText();
}

void FunctionVersionsPanel::showSelected()
{
    const QModelIndex current = m_table->selectionModel()->currentIndex();
    m_rollback->setEnabled(current.isValid());
    const QJsonObject selected = current.isValid() ? m_model->item(current.row()) : QJsonObject();
    const QString code = selected.value(QLatin1String("code")).toString();
    const qint64 other = m_compare->currentData().toLongLong();
    const int otherRow = other > 0 ? m_model->rowOf(QString::number(other)) : -1;
    m_code->setLineBackgrounds({});
    if (!current.isValid() || otherRow < 0 || otherRow == current.row()) {
        m_code->setPlainText(code);
        return;
    }
    // The diff from the other version to the selected one, each line marked.
    bool tooLarge = false;
    const QString before = m_model->item(otherRow).value(QLatin1String("code")).toString();
    const QList<DiffLine> lines = LineDiff::compare(before.split(u'\n'), code.split(u'\n'), &tooLarge);
    if (tooLarge) {
        m_code->setPlainText(tr("// The versions are too long to compare line by line (more than %1 lines changed).\n").arg(LineDiff::kMaxLines) + code);
        return;
    }
    m_code->setPlainText(LineDiff::unified(lines));
    QHash<int, QColor> marks;
    for (qsizetype i = 0; i < lines.size(); ++i) {
        if (lines.at(i).kind != DiffLine::Kind::Same)
            marks.insert(int(i + 1), lines.at(i).kind == DiffLine::Kind::Added ? QColor(0xd8, 0xf5, 0xd0) : QColor(0xfa, 0xd4, 0xd4));
    }
    m_code->setLineBackgrounds(marks);
}

void FunctionVersionsPanel::showFunction(const QString &name)
{
    m_name = name;
    m_model->replaceItems({});
    m_code->clear();
    m_rollback->setEnabled(false);
    reload();
}

void FunctionVersionsPanel::reload()
{
    if (m_name.isEmpty())
        return;
    const QString name = m_name;
    m_client->adminGet("/admin/functions/" + EngineClient::encode(name) + "/versions", this, [this, name](const ClientReply &reply) {
        if (name != m_name || !reply.isSuccess())
            return;
        const QJsonArray items = reply.object().value(QLatin1String("items")).toArray();
        QList<QJsonValue> sorted(items.begin(), items.end());
        std::sort(sorted.begin(), sorted.end(), [](const QJsonValue &a, const QJsonValue &b) {
            return a.toObject().value(QLatin1String("version")).toInteger() > b.toObject().value(QLatin1String("version")).toInteger();
        });
        QJsonArray ordered;
        for (const QJsonValue &v : std::as_const(sorted))
            ordered.append(v);
        m_model->replaceItems(ordered);
        m_code->clear();
        m_rollback->setEnabled(false);
        const qint64 compared = m_compare->currentData().toLongLong();
        const QSignalBlocker blocker(m_compare);
        m_compare->clear();
        m_compare->addItem(tr("(none)"), qint64(0));
        for (const QJsonValue &v : std::as_const(ordered)) {
            const qint64 version = v.toObject().value(QLatin1String("version")).toInteger();
            m_compare->addItem(tr("version %1").arg(version), version);
        }
        m_compare->setCurrentIndex(qMax(0, m_compare->findData(compared)));
    });
}

void FunctionVersionsPanel::rollback()
{
    const QModelIndex current = m_table->selectionModel()->currentIndex();
    if (m_name.isEmpty() || !current.isValid())
        return;
    const qint64 version = m_model->item(current.row()).value(QLatin1String("version")).toInteger();
    const QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("version"), version}}).toJson(QJsonDocument::Compact);
    m_client->admin("POST", "/admin/functions/" + EngineClient::encode(m_name) + "/rollback", body, this,
                    [this, version](const ClientReply &reply) {
        if (!reply.isSuccess()) {
            Q_EMIT failed(tr("Rollback failed: %1").arg(reply.errorText()));
            return;
        }
        reload();
        Q_EMIT rolledBack(version, reply.object());
    });
}

} // namespace Gatehouse::Ui
