#include "jsonrowsmodel.h"

#include <QJsonDocument>
#include <QSet>

namespace Gatehouse::Ui {

JsonRowsModel::JsonRowsModel(const QString &keyMember, const QList<Column> &columns, QObject *parent)
    : QAbstractTableModel(parent)
    , m_keyMember(keyMember)
    , m_columns(columns)
{
}

JsonRowsModel::~JsonRowsModel() = default;

void JsonRowsModel::setItems(const QJsonArray &items)
{
    QList<QJsonObject> incoming;
    QSet<QString> keys;
    for (const QJsonValue &v : items) {
        const QJsonObject o = v.toObject();
        const QString k = o.value(m_keyMember).toVariant().toString();
        if (k.isEmpty() || keys.contains(k))
            continue;   // a row needs a unique key to be merged
        keys.insert(k);
        incoming.append(o);
    }
    // Gone rows, from the bottom so the indexes above stay valid.
    for (int row = int(m_rows.size()) - 1; row >= 0; --row) {
        if (!keys.contains(key(row))) {
            beginRemoveRows({}, row, row);
            m_rows.removeAt(row);
            endRemoveRows();
        }
    }
    for (const QJsonObject &o : std::as_const(incoming)) {
        const int row = rowOf(o.value(m_keyMember).toVariant().toString());
        if (row >= 0) {
            if (m_rows.at(row) != o) {
                m_rows[row] = o;
                Q_EMIT dataChanged(index(row, 0), index(row, columnCount() - 1));
            }
            continue;
        }
        const int at = int(m_rows.size());
        beginInsertRows({}, at, at);
        m_rows.append(o);
        endInsertRows();
    }
}

void JsonRowsModel::replaceItems(const QJsonArray &items)
{
    beginResetModel();
    m_rows.clear();
    endResetModel();
    setItems(items);
}

QJsonObject JsonRowsModel::item(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows.at(row) : QJsonObject();
}

QString JsonRowsModel::key(int row) const
{
    return item(row).value(m_keyMember).toVariant().toString();
}

int JsonRowsModel::rowOf(const QString &k) const
{
    for (int row = 0; row < m_rows.size(); ++row) {
        if (key(row) == k)
            return row;
    }
    return -1;
}

QJsonValue JsonRowsModel::valueAt(const QJsonObject &object, const QString &dottedPath)
{
    QJsonValue v = object;
    for (const QString &part : dottedPath.split(QLatin1Char('.')))
        v = v.toObject().value(part);
    return v;
}

QString JsonRowsModel::displayText(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return {};
    case QJsonValue::Bool:
        return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Double: {
        const double d = value.toDouble();
        if (d == double(qint64(d)) && qAbs(d) < 1e15)
            return QString::number(qint64(d));
        return QString::number(d, 'g', 6);
    }
    case QJsonValue::String:
        return value.toString();
    case QJsonValue::Array:
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    case QJsonValue::Object:
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    }
    return {};
}

int JsonRowsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int JsonRowsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_columns.size());
}

QVariant JsonRowsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const QJsonObject &row = m_rows.at(index.row());
    const Column &column = m_columns.at(index.column());
    switch (role) {
    case Qt::DisplayRole:
    case Qt::ToolTipRole: {
        if (column.display)
            return column.display(row);
        return displayText(valueAt(row, column.path));
    }
    case Qt::TextAlignmentRole:
        if (!column.path.isEmpty() && valueAt(row, column.path).isDouble())
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case SortRole:
        if (column.display)
            return column.display(row);
        return valueAt(row, column.path).toVariant();
    case KeyRole:
        return key(index.row());
    case ObjectRole:
        return QVariant::fromValue(row);
    default:
        return decoration(row, index.column(), role);
    }
}

QVariant JsonRowsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Horizontal && role == Qt::DisplayRole && section >= 0 && section < m_columns.size())
        return m_columns.at(section).title;
    return QAbstractTableModel::headerData(section, orientation, role);
}

QVariant JsonRowsModel::decoration(const QJsonObject &, int, int) const
{
    return {};
}

} // namespace Gatehouse::Ui
