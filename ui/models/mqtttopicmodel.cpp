#include "mqtttopicmodel.h"

#include <QDateTime>
#include <QSet>

namespace Gatehouse::Ui {

namespace {
QString shortPayload(const QByteArray &payload)
{
    QString text = QString::fromUtf8(payload.left(200)).simplified();
    if (payload.size() > 200)
        text += QStringLiteral(" …");
    return text;
}
} // namespace

MqttTopicModel::MqttTopicModel(QObject *parent)
    : QAbstractItemModel(parent)
    , m_root(std::make_unique<Node>())
{
}

MqttTopicModel::~MqttTopicModel() = default;

MqttTopicModel::Node *MqttTopicModel::nodeOf(const QModelIndex &index) const
{
    return index.isValid() ? static_cast<Node *>(index.internalPointer()) : m_root.get();
}

QModelIndex MqttTopicModel::indexOfNode(const Node *node, int column) const
{
    if (!node || node == m_root.get() || !node->parent)
        return {};
    return createIndex(node->row, column, const_cast<Node *>(node));
}

MqttTopicModel::Node *MqttTopicModel::findOrCreate(const QString &topic, bool create)
{
    Node *node = m_root.get();
    const QStringList segments = topic.split(u'/');
    QString path;
    for (qsizetype i = 0; i < segments.size(); ++i) {
        path = i == 0 ? segments.at(0) : path + u'/' + segments.at(i);
        Node *next = nullptr;
        for (const auto &child : node->children) {
            if (child->segment == segments.at(i)) {
                next = child.get();
                break;
            }
        }
        if (!next) {
            if (!create)
                return nullptr;
            if (m_topics >= kMaxTopics)
                return nullptr;
            // Children in name order: the tree reads like the broker's topic space.
            auto fresh = std::make_unique<Node>();
            fresh->segment = segments.at(i);
            fresh->topic = path;
            fresh->parent = node;
            size_t row = 0;
            while (row < node->children.size() && node->children[row]->segment < fresh->segment)
                ++row;
            beginInsertRows(indexOfNode(node), int(row), int(row));
            next = fresh.get();
            node->children.insert(node->children.begin() + qsizetype(row), std::move(fresh));
            for (size_t r = row; r < node->children.size(); ++r)
                node->children[r]->row = int(r);
            ++m_topics;
            endInsertRows();
        }
        node = next;
    }
    return node;
}

void MqttTopicModel::addMessages(const QList<MqttMessage> &messages)
{
    QSet<Node *> touched;
    for (const MqttMessage &m : messages) {
        Node *node = findOrCreate(m.topic, true);
        if (!node) {
            ++m_droppedTopics;
            continue;
        }
        ++node->own;
        node->hasMessage = true;
        node->retained = m.retained;
        node->history.push_back({m.receivedMs, m.payload.left(kMaxKeptPayload), m.payload.size(), m.retained});
        while (node->history.size() > size_t(kHistory))
            node->history.pop_front();
        for (Node *n = node; n && n != m_root.get(); n = n->parent) {
            ++n->total;
            touched.insert(n);
        }
    }
    for (Node *n : std::as_const(touched)) {
        const QModelIndex first = indexOfNode(n, MessagesColumn);
        Q_EMIT dataChanged(first, first.siblingAtColumn(RetainedColumn));
    }
}

void MqttTopicModel::clear()
{
    beginResetModel();
    m_root = std::make_unique<Node>();
    m_topics = 0;
    m_droppedTopics = 0;
    endResetModel();
}

QModelIndex MqttTopicModel::indexOf(const QString &topic) const
{
    return indexOfNode(const_cast<MqttTopicModel *>(this)->findOrCreate(topic, false));
}

QString MqttTopicModel::topicAt(const QModelIndex &index) const
{
    return index.isValid() ? nodeOf(index)->topic : QString();
}

qint64 MqttTopicModel::messageCount(const QString &topic) const
{
    const Node *n = const_cast<MqttTopicModel *>(this)->findOrCreate(topic, false);
    return n ? n->total : 0;
}

QList<MqttTopicModel::Entry> MqttTopicModel::history(const QString &topic) const
{
    const Node *n = const_cast<MqttTopicModel *>(this)->findOrCreate(topic, false);
    return n ? QList<Entry>(n->history.begin(), n->history.end()) : QList<Entry>();
}

QModelIndex MqttTopicModel::index(int row, int column, const QModelIndex &parent) const
{
    if (column < 0 || column >= ColumnCount || (parent.isValid() && parent.column() != 0))
        return {};
    const Node *p = nodeOf(parent);
    if (row < 0 || size_t(row) >= p->children.size())
        return {};
    return createIndex(row, column, p->children[size_t(row)].get());
}

QModelIndex MqttTopicModel::parent(const QModelIndex &child) const
{
    if (!child.isValid())
        return {};
    return indexOfNode(nodeOf(child)->parent);
}

int MqttTopicModel::rowCount(const QModelIndex &parent) const
{
    if (parent.isValid() && parent.column() != 0)
        return 0;
    return int(nodeOf(parent)->children.size());
}

int MqttTopicModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

QVariant MqttTopicModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const Node *n = nodeOf(index);
    if (role == TopicRole)
        return n->topic;
    if (role == Qt::ToolTipRole && index.column() == TopicColumn)
        return n->topic;
    if (role == Qt::TextAlignmentRole && index.column() == MessagesColumn)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case TopicColumn: return n->segment.isEmpty() ? QStringLiteral("(empty)") : n->segment;
    case MessagesColumn: return n->total;
    case PayloadColumn: return n->hasMessage && !n->history.empty() ? shortPayload(n->history.back().payload) : QString();
    case RetainedColumn: return n->hasMessage && n->retained ? tr("retained") : QString();
    default: return {};
    }
}

QVariant MqttTopicModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case TopicColumn: return tr("Topic");
    case MessagesColumn: return tr("Messages");
    case PayloadColumn: return tr("Last payload");
    case RetainedColumn: return tr("Retained");
    default: return {};
    }
}

} // namespace Gatehouse::Ui
