#include "consumertablemodel.h"

namespace Gatehouse::Ui {

ConsumerTableModel::ConsumerTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

ConsumerTableModel::~ConsumerTableModel() = default;

void ConsumerTableModel::setConsumers(const QJsonArray &consumers)
{
    beginResetModel();
    m_consumers.clear();
    for (const QJsonValue &v : consumers)
        m_consumers.append(v.toObject());
    endResetModel();
}

QJsonObject ConsumerTableModel::consumer(int row) const
{
    return row >= 0 && row < m_consumers.size() ? m_consumers.at(row) : QJsonObject();
}

int ConsumerTableModel::rowOf(const QString &username) const
{
    for (int row = 0; row < m_consumers.size(); ++row) {
        if (m_consumers.at(row).value(QStringLiteral("username")).toString() == username)
            return row;
    }
    return -1;
}

int ConsumerTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_consumers.size());
}

int ConsumerTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ConsumerTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const QJsonObject &c = m_consumers.at(index.row());
    if (role == UsernameRole)
        return c.value(QStringLiteral("username")).toString();
    if (role == ConsumerRole)
        return c;
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (index.column()) {
    case Username: return c.value(QStringLiteral("username")).toString();
    case Credentials: return c.value(QStringLiteral("plugins")).toObject().keys().join(QStringLiteral(", "));
    case Description: return c.value(QStringLiteral("desc")).toString();
    default: return {};
    }
}

QVariant ConsumerTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Username: return tr("Username");
    case Credentials: return tr("Credentials");
    case Description: return tr("Description");
    default: return {};
    }
}

} // namespace Gatehouse::Ui
