#include "streamdiffmodel.h"

#include <QColor>
#include <QJsonArray>
#include <QJsonDocument>

namespace Gatehouse::Ui {

namespace {
using Kind = StreamHistory::Change::Kind;

QColor background(Kind kind)
{
    switch (kind) {
    case Kind::Added:
    case Kind::Restored: return QColor(0xd8, 0xf5, 0xd0);
    case Kind::Removed:
    case Kind::Deleted: return QColor(0xfa, 0xd4, 0xd4);
    case Kind::Changed: return QColor(0xfc, 0xef, 0xc7);
    }
    return {};
}
} // namespace

StreamDiffModel::StreamDiffModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

StreamDiffModel::~StreamDiffModel() = default;

void StreamDiffModel::setChanges(const QList<StreamHistory::Change> &changes)
{
    beginResetModel();
    m_changes = changes;
    endResetModel();
}

QString StreamDiffModel::valueText(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Undefined: return {};
    case QJsonValue::Object: return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    case QJsonValue::Array: return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    default:
        // Scalars as JSON text, so "5" and 5 stay apart.
        return QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact)).mid(1).chopped(1);
    }
}

int StreamDiffModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_changes.size());
}

int StreamDiffModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant StreamDiffModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const StreamHistory::Change &c = m_changes.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case FieldColumn: return c.field.isEmpty() ? tr("(entity)") : c.field;
        case ChangeColumn: return StreamHistory::kindName(c.kind);
        case BeforeColumn: return valueText(c.before);
        case AfterColumn: return valueText(c.after);
        default: return {};
        }
    case Qt::BackgroundRole: return background(c.kind);
    case Qt::ForegroundRole: return QColor(Qt::black);   // readable on the light backgrounds in dark themes too
    case KindRole: return int(c.kind);
    default: return {};
    }
}

QVariant StreamDiffModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case FieldColumn: return tr("Field");
    case ChangeColumn: return tr("Change");
    case BeforeColumn: return tr("Before");
    case AfterColumn: return tr("After");
    default: return {};
    }
}

} // namespace Gatehouse::Ui
