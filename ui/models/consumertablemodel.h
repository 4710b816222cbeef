#pragma once

#include <QAbstractTableModel>
#include <QJsonArray>
#include <QJsonObject>

namespace Gatehouse::Ui {

// The gateway's consumers (GET /admin/consumers) for the Consumers tab: username, the
// credential plugins each one carries (never the secrets themselves) and the description.
// Reloads reset the model; the tab restores the selection by username. Lives on the GUI thread.
class ConsumerTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConsumerTableModel)

public:
    enum Column { Username, Credentials, Description, ColumnCount };
    enum Role { UsernameRole = Qt::UserRole + 1, ConsumerRole };

    explicit ConsumerTableModel(QObject *parent = nullptr);
    ~ConsumerTableModel() override;

    void setConsumers(const QJsonArray &consumers);
    QJsonObject consumer(int row) const;
    int rowOf(const QString &username) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<QJsonObject> m_consumers;
};

} // namespace Gatehouse::Ui
