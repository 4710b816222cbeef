#include "streameventsmodel.h"

#include "eventbuffermodel.h"
#include "streamhistory.h"

#include <QDateTime>

namespace Gatehouse::Ui {

StreamEventsModel::StreamEventsModel(const StreamHistory *history, QObject *parent)
    : QAbstractTableModel(parent)
    , m_history(history)
{
}

StreamEventsModel::~StreamEventsModel() = default;

void StreamEventsModel::resetHistory(const std::function<void()> &change)
{
    beginResetModel();
    change();
    m_rows = m_history->size();
    endResetModel();
}

void StreamEventsModel::historyAppended()
{
    const int size = m_history->size();
    if (size <= m_rows)
        return;
    beginInsertRows({}, m_rows, size - 1);
    m_rows = size;
    endInsertRows();
}

int StreamEventsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_rows;
}

int StreamEventsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant StreamEventsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const RecordedEvent &e = m_history->eventAt(index.row());
    if (role == Qt::ToolTipRole && index.column() == DataColumn)
        return QString::fromUtf8(e.data.left(2000));
    if (role == Qt::ToolTipRole && index.column() == TimeColumn)
        return QDateTime::fromMSecsSinceEpoch(e.timeMs).toString(Qt::ISODateWithMs);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case VersionColumn: return e.version;
    case PositionColumn: return e.position;
    case TimeColumn: return QDateTime::fromMSecsSinceEpoch(e.timeMs).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"));
    case TypeColumn: return e.type;
    case DataColumn: return EventBufferModel::summaryOf(e.data);
    default: return {};
    }
}

QVariant StreamEventsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case VersionColumn: return tr("Version");
    case PositionColumn: return tr("Position");
    case TimeColumn: return tr("Time");
    case TypeColumn: return tr("Type");
    case DataColumn: return tr("Data");
    default: return {};
    }
}

} // namespace Gatehouse::Ui
