#pragma once

#include "mqttbrowserclient.h"

#include <QAbstractItemModel>

#include <deque>
#include <memory>
#include <vector>

namespace Gatehouse::Ui {

// The broker's topics as a tree (one level per '/'-separated segment), as the MQTT page shows
// them: per topic the messages seen (own and below), the last payload and whether it was
// retained, and the last kHistory messages (time, payload) for its history and rate. Bounded:
// at most kMaxTopics topics (messages to further new ones are counted, not kept). Rows are
// only ever added (a batch of messages: one insert per new topic, then one dataChanged per
// touched topic). GUI thread only.
class MqttTopicModel final : public QAbstractItemModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MqttTopicModel)

public:
    enum Column { TopicColumn, MessagesColumn, PayloadColumn, RetainedColumn, ColumnCount };
    enum Role { TopicRole = Qt::UserRole + 1 };
    static constexpr int kMaxTopics = 10000;
    static constexpr int kHistory = 100;
    static constexpr qsizetype kMaxKeptPayload = 64 * 1024;   // bytes kept of each payload (its size is kept whole)

    struct Entry
    {
        qint64 ms = 0;
        QByteArray payload;   // at most kMaxKeptPayload bytes of it
        qsizetype size = 0;   // of the whole payload
        bool retained = false;
    };

    explicit MqttTopicModel(QObject *parent = nullptr);
    ~MqttTopicModel() override;

    void addMessages(const QList<MqttMessage> &messages);
    void clear();
    QModelIndex indexOf(const QString &topic) const;
    QString topicAt(const QModelIndex &index) const;
    qint64 messageCount(const QString &topic) const;   // own and below
    QList<Entry> history(const QString &topic) const;   // own, oldest first
    int topicCount() const { return m_topics; }
    qint64 droppedTopics() const { return m_droppedTopics; }

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Node
    {
        QString segment;
        QString topic;
        Node *parent = nullptr;
        int row = 0;   // among the parent's children, kept current on every insert
        std::vector<std::unique_ptr<Node>> children;
        qint64 own = 0;
        qint64 total = 0;
        bool hasMessage = false;
        bool retained = false;
        std::deque<Entry> history;
    };
    Node *nodeOf(const QModelIndex &index) const;
    QModelIndex indexOfNode(const Node *node, int column = 0) const;
    Node *findOrCreate(const QString &topic, bool create);

    std::unique_ptr<Node> m_root;
    int m_topics = 0;
    qint64 m_droppedTopics = 0;
};

} // namespace Gatehouse::Ui
