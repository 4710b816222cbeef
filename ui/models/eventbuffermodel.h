#pragma once

#include "store/recordedevent.h"

#include <QAbstractTableModel>

#include <deque>

namespace Gatehouse::Ui {

// The Events page's rows: a bounded, position-ordered window onto the event log (a ring
// buffer; default 10,000 rows). New events append at the bottom and push the oldest out at the
// top; older pages ("load older") go in at the top. Every batch is applied with at most one
// remove and one insert (or a single reset when the batch alone fills the buffer), so a flood
// of events costs a handful of signals per batch, never one per event. Rows keep a lower-case
// search text so filtering 10,000 rows needs no JSON parsing. GUI thread only.
class EventBufferModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventBufferModel)

public:
    enum Column { PositionColumn, TimeColumn, TypeColumn, SubjectColumn, SummaryColumn, ColumnCount };
    enum Role {
        PositionRole = Qt::UserRole + 1,   // qint64
        EventIdRole,                       // QString
        TypeRole,                          // QString
        SubjectRole,                       // QString
        SearchTextRole,                    // QString, lower case: type, subject, data
    };

    static constexpr int kDefaultCapacity = 10000;

    explicit EventBufferModel(QObject *parent = nullptr);
    ~EventBufferModel() override;

    int capacity() const { return m_capacity; }
    // Shrinking drops the oldest rows.
    void setCapacity(int rows);

    // Live events, in log order, newer than every row. Returns how many fell off the top.
    int appendEvents(const RecordedEvents &events);
    // An older page, in log order. Only events older than the oldest row are taken. With
    // `displaceNewest`, room is made at the bottom: the newest rows that no longer fit are
    // removed and returned (in log order) so the caller can hold them instead of losing them.
    // Without, only the page's newest events that fit in the free room go in.
    RecordedEvents prependEvents(const RecordedEvents &events, bool displaceNewest = true);
    void clear();

    qint64 oldestPosition() const;   // 0 when empty
    qint64 newestPosition() const;   // 0 when empty
    const RecordedEvent &eventAt(int row) const;
    // Row of the event with this id, or of the first event the command with this id appended
    // (metadata commandid); -1 when not in the buffer.
    int rowOfEventOrCommand(const QString &id) const;
    // Rows whose metadata has `key` (correlationid, causationid) equal to `value`, in order.
    QList<int> rowsWithMetadata(const QString &key, const QString &value, int max) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    static QString summaryOf(const QByteArray &data);

private:
    struct Row
    {
        RecordedEvent event;
        QString subject;
        QString summary;
        QString searchText;
    };
    static Row makeRow(const RecordedEvent &event);
    void removeOldest(int count);
    void removeNewest(int count);

    std::deque<Row> m_rows;
    int m_capacity = kDefaultCapacity;
};

} // namespace Gatehouse::Ui
