#include "streamsentitypicker.h"

#include "engineclient.h"
#include "store/cloudevent.h"

#include <QAbstractItemView>
#include <QComboBox>
#include <QCompleter>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSet>
#include <QStringListModel>

namespace Gatehouse::Ui {

namespace {
constexpr int kMaxRecent = 200;
constexpr int kListedIds = 100;
} // namespace

StreamsEntityPicker::StreamsEntityPicker(EngineClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
    , m_collections(new QComboBox(this))
    , m_id(new QLineEdit(this))
    , m_completer(new QCompleter(this))
    , m_completions(new QStringListModel(this))
{
    setObjectName(QStringLiteral("streamsPicker"));
    m_collections->setObjectName(QStringLiteral("streamsCollection"));
    m_collections->setMinimumContentsLength(14);
    m_id->setObjectName(QStringLiteral("streamsId"));
    m_id->setPlaceholderText(tr("Entity id"));
    m_id->setClearButtonEnabled(true);
    m_completions->setObjectName(QStringLiteral("streamsIdCompletions"));
    m_completer->setModel(m_completions);
    m_completer->setCaseSensitivity(Qt::CaseInsensitive);
    m_completer->setFilterMode(Qt::MatchContains);
    m_id->setCompleter(m_completer);
    auto *load = new QPushButton(tr("Load"), this);
    load->setObjectName(QStringLiteral("streamsLoad"));

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *collectionLabel = new QLabel(tr("&Collection"), this);
    collectionLabel->setBuddy(m_collections);
    auto *idLabel = new QLabel(tr("&Id"), this);
    idLabel->setBuddy(m_id);
    layout->addWidget(collectionLabel);
    layout->addWidget(m_collections);
    layout->addWidget(idLabel);
    layout->addWidget(m_id, 1);
    layout->addWidget(load);

    connect(m_collections, &QComboBox::currentTextChanged, this, &StreamsEntityPicker::collectionChosen);
    connect(m_id, &QLineEdit::returnPressed, this, &StreamsEntityPicker::requestLoad);
    connect(load, &QPushButton::clicked, this, &StreamsEntityPicker::requestLoad);
    connect(client, &EngineClient::resourcesChanged, this, [this](const QString &kind) {
        if (kind == QLatin1String("collections"))
            reloadCollections();
    });
    reloadCollections();
}

StreamsEntityPicker::~StreamsEntityPicker() = default;

QString StreamsEntityPicker::collection() const
{
    return m_collections->currentText();
}

QString StreamsEntityPicker::entityId() const
{
    return m_id->text().trimmed();
}

void StreamsEntityPicker::setEntity(const QString &collection, const QString &id)
{
    const int index = m_collections->findText(collection);
    if (index >= 0)
        m_collections->setCurrentIndex(index);
    else
        m_wantedCollection = collection;
    m_id->setText(id);
}

QStringList StreamsEntityPicker::completions() const
{
    return m_completions->stringList();
}

void StreamsEntityPicker::reloadCollections()
{
    m_client->adminGet("/admin/collections", this, [this](const ClientReply &reply) {
        if (!reply.isSuccess())
            return;
        QStringList names;
        for (const QJsonValue &item : reply.object().value(QLatin1String("items")).toArray())
            names.append(item.toObject().value(QLatin1String("name")).toString());
        const QString wanted = m_wantedCollection.isEmpty() ? collection() : m_wantedCollection;
        m_wantedCollection.clear();
        QSignalBlocker blocker(m_collections);
        m_collections->clear();
        m_collections->addItems(names);
        m_collections->setCurrentIndex(qMax(0, names.indexOf(wanted)));
        blocker.unblock();
        collectionChosen();
    });
}

void StreamsEntityPicker::collectionChosen()
{
    const QString name = collection();
    refreshCompletions();
    if (name.isEmpty())
        return;
    m_client->get("/api/" + EngineClient::encode(name) + "?limit=" + QByteArray::number(kListedIds), this,
                  [this, name](const ClientReply &reply) {
                      if (!reply.isSuccess())
                          return;
                      QStringList ids;
                      for (const QJsonValue &item : reply.object().value(QLatin1String("items")).toArray())
                          ids.append(item.toObject().value(QLatin1String("id")).toString());
                      m_listed.insert(name, ids);
                      refreshCompletions();
                  });
}

void StreamsEntityPicker::noteEvents(const RecordedEvents &events)
{
    // Newest first, each subject once; walk the batch backwards so the newest wins.
    QHash<QString, QStringList> fresh;
    QSet<QString> seen;
    for (auto it = events.crbegin(); it != events.crend(); ++it) {
        const QString collection = CloudEvent::collectionOf(it->type);
        const QString subject = CloudEvent::subjectOf(*it);
        if (seen.size() < kMaxRecent * 4 && !seen.contains(it->stream)) {
            seen.insert(it->stream);
            fresh[collection].append(subject);
        }
    }
    for (auto it = fresh.cbegin(); it != fresh.cend(); ++it) {
        QStringList &recent = m_recent[it.key()];
        for (const QString &subject : it.value())
            recent.removeOne(subject);
        recent = it.value() + recent;
        if (recent.size() > kMaxRecent)
            recent.resize(kMaxRecent);
    }
    if (fresh.contains(collection()))
        refreshCompletions();
}

void StreamsEntityPicker::refreshCompletions()
{
    // Never swap the list under an open popup.
    if (m_completer->popup() && m_completer->popup()->isVisible())
        return;
    QStringList all = m_recent.value(collection());
    for (const QString &id : m_listed.value(collection())) {
        if (!all.contains(id))
            all.append(id);
    }
    if (all != m_completions->stringList())
        m_completions->setStringList(all);
}

void StreamsEntityPicker::requestLoad()
{
    if (!collection().isEmpty() && !entityId().isEmpty())
        Q_EMIT loadRequested(collection(), entityId());
}

} // namespace Gatehouse::Ui
