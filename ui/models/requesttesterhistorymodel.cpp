#include "requesttesterhistorymodel.h"

#include <QBrush>
#include <QLocale>

namespace Gatehouse::Ui {

RequestTesterHistoryModel::RequestTesterHistoryModel(int capacity, QObject *parent)
    : QAbstractListModel(parent)
    , m_capacity(qMax(1, capacity))
{
}

RequestTesterHistoryModel::~RequestTesterHistoryModel() = default;

void RequestTesterHistoryModel::add(const RequestTesterEntry &entry)
{
    if (m_entries.size() >= m_capacity) {
        const int first = m_capacity - 1;
        beginRemoveRows({}, first, int(m_entries.size()) - 1);
        m_entries.resize(first);
        endRemoveRows();
    }
    beginInsertRows({}, 0, 0);
    m_entries.prepend(entry);
    endInsertRows();
}

RequestTesterEntry RequestTesterHistoryModel::entry(int row) const
{
    return row >= 0 && row < m_entries.size() ? m_entries.at(row) : RequestTesterEntry();
}

int RequestTesterHistoryModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}

QVariant RequestTesterHistoryModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const RequestTesterEntry &e = m_entries.at(index.row());
    switch (role) {
    case Qt::DisplayRole: {
        const QString status = e.status ? QString::number(e.status) : tr("no answer");
        return tr("%1 %2 → %3 (%4 ms)")
            .arg(QString::fromLatin1(e.method), e.path, status, QLocale().toString(e.elapsedMs, 'f', 1));
    }
    case Qt::ForegroundRole:
        if (e.status == 0 || e.status >= 500)
            return QBrush(Qt::darkRed);
        return e.status >= 400 ? QVariant(QBrush(QColor(0xb0, 0x60, 0x00))) : QVariant();
    case StatusRole:
        return e.status;
    default:
        return {};
    }
}

} // namespace Gatehouse::Ui
