#pragma once

#include <QAbstractTableModel>

#include <functional>

namespace Gatehouse::Ui {

class StreamHistory;

// The Streams page's event list: one row per event of the loaded entity, in stream order
// (version, position, time, type, data). Reads a StreamHistory owned by the page; the page
// calls reset() after loading another entity and appended() after new events arrive.
// GUI thread only.
class StreamEventsModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StreamEventsModel)

public:
    enum Column { VersionColumn, PositionColumn, TimeColumn, TypeColumn, DataColumn, ColumnCount };

    explicit StreamEventsModel(const StreamHistory *history, QObject *parent = nullptr);
    ~StreamEventsModel() override;

    // The model shows the history's first rowCount() events; these announce what the page
    // changed in the history: another entity (a reset) or events appended at the end.
    void resetHistory(const std::function<void()> &change);   // runs `change` inside a model reset
    void historyAppended();

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    const StreamHistory *m_history;
    int m_rows = 0;
};

} // namespace Gatehouse::Ui
