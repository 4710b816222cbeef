#pragma once

#include <QAbstractListModel>
#include <QByteArray>
#include <QList>
#include <QString>

#include <utility>

namespace Gatehouse::Ui {

// One request the tester sent, and how it was answered.
struct RequestTesterEntry
{
    QByteArray method;
    QString path;
    QList<std::pair<QString, QString>> headers;
    QByteArray body;
    int status = 0;          // 0: no answer (transport error)
    double elapsedMs = 0;
};

// The request tester's short history, newest first and bounded (default 20 entries), so a
// request can be sent again or compared. Lives on the GUI thread.
class RequestTesterHistoryModel final : public QAbstractListModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RequestTesterHistoryModel)

public:
    enum Role { StatusRole = Qt::UserRole + 1 };

    explicit RequestTesterHistoryModel(int capacity = 20, QObject *parent = nullptr);
    ~RequestTesterHistoryModel() override;

    void add(const RequestTesterEntry &entry);
    RequestTesterEntry entry(int row) const;
    int capacity() const { return m_capacity; }

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

private:
    QList<RequestTesterEntry> m_entries;
    int m_capacity;
};

} // namespace Gatehouse::Ui
