#pragma once

#include "streamhistory.h"

#include <QAbstractTableModel>

namespace Gatehouse::Ui {

// The Streams page's diff: what one event changed, one row per field (added, removed,
// changed, or the entity deleted/restored), with the values before and after, coloured by
// kind (green added, red removed, amber changed). GUI thread only.
class StreamDiffModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StreamDiffModel)

public:
    enum Column { FieldColumn, ChangeColumn, BeforeColumn, AfterColumn, ColumnCount };
    static constexpr int KindRole = Qt::UserRole + 1;   // StreamHistory::Change::Kind as int

    explicit StreamDiffModel(QObject *parent = nullptr);
    ~StreamDiffModel() override;

    void setChanges(const QList<StreamHistory::Change> &changes);
    const QList<StreamHistory::Change> &changes() const { return m_changes; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    static QString valueText(const QJsonValue &value);

private:
    QList<StreamHistory::Change> m_changes;
};

} // namespace Gatehouse::Ui
